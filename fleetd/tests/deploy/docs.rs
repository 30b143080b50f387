//! `docs/api.md` names every member of what fleetd serves as JSON, so a
//! field added to the snapshot or the history cannot go undocumented; and
//! every configuration key, route, metric, `fleetd check` exit status and
//! command-line flag the code has is documented, and every one the docs
//! name exists.

use crate::helpers::spawn_app;
use crate::support::{doc_section, repo_file};
use std::collections::{BTreeMap, BTreeSet};

const API_DOC: &str = "docs/api.md";

/// Every member name in a JSON value, except the keys of `process_counts`
/// (process types: data, not fields).
fn member_names(value: &serde_json::Value, names: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, member) in map {
                names.insert(key.clone());
                if key != "process_counts" {
                    member_names(member, names);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| member_names(item, names)),
        _ => {}
    }
}

/// Whether the doc names `field` as code: `` `field` ``, `` `a.field` ``,
/// `` `a[].field` `` or `"field"` in an inline object.
fn documented(doc: &str, field: &str) -> bool {
    [
        format!("`{field}`"),
        format!(".{field}`"),
        format!("\"{field}\""),
    ]
    .iter()
    .any(|form| doc.contains(form.as_str()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_md_documents_every_member_of_the_snapshot_and_the_history() {
    let app = spawn_app().await;
    // After the first drift scan the optional drift members are present.
    app.wait_for_drift().await;
    let doc = repo_file(API_DOC);
    for path in ["/api/fleet", "/api/fleet/history"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let json: serde_json::Value = response.json().await.expect("JSON");
        let mut names = BTreeSet::new();
        member_names(&json, &mut names);
        let missing: Vec<&String> = names.iter().filter(|n| !documented(&doc, n)).collect();
        assert!(
            missing.is_empty(),
            "{API_DOC} does not name these members of {path}: {missing:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_md_documents_every_member_of_the_cutover_checklist() {
    let app = spawn_app().await;
    app.wait_for_drift().await;
    let prepared = app.snapshots.current().await.expect("a snapshot");
    // The checklist of the seeded fleet has a failing item: `fix` is present.
    let checklist = fleet_core::cutover::cutover_checklist(&prepared.snapshot);
    let json = serde_json::to_value(&checklist).expect("serialisable");
    let mut names = BTreeSet::new();
    member_names(&json, &mut names);
    assert!(names.contains("fix"), "{names:?}");
    let doc = repo_file(API_DOC);
    let missing: Vec<&String> = names.iter().filter(|n| !documented(&doc, n)).collect();
    assert!(
        missing.is_empty(),
        "{API_DOC} does not name these members of the cutover checklist: {missing:?}"
    );
    for expectation in fleet_core::cutover::Expectation::ALL {
        let name = serde_json::to_value(expectation).expect("serialisable");
        let name = name.as_str().expect("a string");
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} is not in {API_DOC}"
        );
    }
}

/// The first `code` span of each table row of `lines`.
fn first_cells<'a>(lines: &[&'a str]) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line.split('`').nth(1))
        .collect()
}

/// Every document an operator reads: the README and `docs/*.md`.
fn operator_docs() -> Vec<(String, String)> {
    let mut docs = vec![("README.md".to_owned(), repo_file("README.md"))];
    let dir = crate::support::repo_root().join("docs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs/")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    names.sort();
    for name in names {
        let path = format!("docs/{name}");
        let text = repo_file(&path);
        docs.push((path, text));
    }
    docs
}

#[test]
fn configuration_md_documents_every_key_the_settings_accept_and_no_other() {
    const DOC: &str = "docs/configuration.md";
    let doc = repo_file(DOC);
    let mut documented: Vec<String> = first_cells(&doc_section(&doc, DOC, "## Keys"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    documented.sort();
    let mut code = fleetd::settings::known_keys();
    code.sort();
    assert!(code.len() > 10, "{code:?}");
    assert_eq!(
        documented, code,
        "the key table of {DOC} and the keys fleetd accepts"
    );
    // Every `section.key` any document names is one of them.
    let sections: BTreeSet<&str> = code.iter().filter_map(|k| k.split('.').next()).collect();
    for (path, text) in operator_docs() {
        for span in text.split('`').skip(1).step_by(2) {
            let token = span.split([' ', '=', '[', ',']).next().unwrap_or_default();
            let Some((section, key)) = token.split_once('.') else {
                continue;
            };
            let file = [
                "css", "js", "rs", "md", "toml", "conf", "html", "svg", "json", "sql", "yml",
            ];
            if !sections.contains(section)
                || file.contains(&key)
                || !key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                continue;
            }
            assert!(
                code.contains(&token.to_owned()),
                "{path} names the configuration key `{token}`, which fleetd does not have"
            );
        }
    }
}

#[test]
fn api_md_documents_every_route_and_no_other() {
    let doc = repo_file(API_DOC);
    let mut documented: Vec<String> = first_cells(&doc_section(&doc, API_DOC, "## Endpoints"))
        .into_iter()
        .filter(|cell| cell.starts_with('/'))
        .map(str::to_owned)
        .collect();
    documented.sort();
    let mut code = fleetd::routes::templates();
    code.sort();
    assert_eq!(
        documented, code,
        "the route table of {API_DOC} and the routes fleetd registers"
    );
}

/// Names in the docs that look like metric names but are not: database
/// names of the tests, the demo and the benchmark, and an nginx variable.
const NOT_METRICS: [&str; 5] = [
    "fleetd_bench",
    "fleetd_soak_",
    "fleetd_test_",
    "fleetd_demo_",
    "fleetd_cache_control",
];

/// The metric names of an OpenMetrics exposition, as they appear in
/// samples and queries: `# TYPE` names plus the suffix their type adds
/// (counters `_total`, infos `_info`).
fn exposed_metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| {
            let (name, kind) = rest.split_once(' ')?;
            Some(match kind {
                "counter" => format!("{name}_total"),
                "info" => format!("{name}_info"),
                _ => name.to_owned(),
            })
        })
        .collect()
}

/// `fleetd_…` tokens of a text.
fn metric_tokens(text: &str) -> BTreeSet<String> {
    let mut tokens = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("fleetd_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        let token = &tail[..end];
        if !token.ends_with('_') && !NOT_METRICS.iter().any(|p| token.starts_with(p)) {
            tokens.insert(token.to_owned());
        }
        rest = &tail[end..];
    }
    tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_is_documented_and_every_documented_metric_exists() {
    const EXTRAS: &str = "docs/operator-extras.md";
    let app = spawn_app().await;
    // After a drift scan, with a snapshot cached and a body compressed
    // (a family with no series yet is left out of the exposition), every
    // family is there.
    app.wait_for_drift().await;
    let compressed = app
        .client
        .get(app.url("/api/fleet"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("GET /api/fleet");
    assert_eq!(compressed.status(), 200);
    let exposition = app.get("/metrics").await.text().await.expect("metrics");
    let code = exposed_metric_names(&exposition);
    assert!(code.contains("fleetd_projection_drift_sites"), "{code:?}");

    let extras = repo_file(EXTRAS);
    let table: BTreeSet<String> =
        first_cells(&doc_section(&extras, EXTRAS, "## `/metrics` (Prometheus)"))
            .into_iter()
            .filter(|cell| cell.starts_with("fleetd_"))
            .map(str::to_owned)
            .collect();
    assert_eq!(
        table, code,
        "the metric tables of {EXTRAS} and what /metrics exposes"
    );

    // Every name any document or alert rule uses exists (a histogram's
    // series are its name plus _bucket, _sum or _count).
    let mut texts = operator_docs();
    texts.push((
        "deploy/prometheus/fleetd-alerts.yml".to_owned(),
        repo_file("deploy/prometheus/fleetd-alerts.yml"),
    ));
    for (path, text) in texts {
        for token in metric_tokens(&text) {
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| token.strip_suffix(suffix))
                .filter(|base| code.contains(*base))
                .unwrap_or(&token);
            assert!(
                code.contains(base),
                "{path} names {token}, which /metrics does not expose"
            );
        }
    }
}

/// The `| code | meaning |` rows of an exit-status table: code → the first
/// word of the meaning.
fn exit_table(lines: &[&str]) -> BTreeMap<u8, String> {
    lines
        .iter()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse::<u8>().ok()?;
            let word = cells.get(2)?.split([':', ' ']).next()?.to_owned();
            Some((code, word))
        })
        .collect()
}

#[test]
fn the_documented_exit_statuses_of_check_are_the_ones_it_uses() {
    use fleet_core::cutover::Outcome;
    use fleet_core::Status;
    use fleetd::check::{cutover_exit_code, exit_code, EXIT_UNKNOWN};
    let plain: BTreeMap<u8, String> = [
        (exit_code(Status::Green), "green"),
        (exit_code(Status::Amber), "amber"),
        (exit_code(Status::Red), "red"),
        (EXIT_UNKNOWN, "unknown"),
    ]
    .into_iter()
    .map(|(code, word)| (code, word.to_owned()))
    .collect();
    let cutover: BTreeMap<u8, String> = [
        (cutover_exit_code(Outcome::Pass), "pass"),
        (cutover_exit_code(Outcome::Fail), "fail"),
        (cutover_exit_code(Outcome::Unknown), "unknown"),
    ]
    .into_iter()
    .map(|(code, word)| (code, word.to_owned()))
    .collect();
    let api = repo_file(API_DOC);
    let extras = repo_file("docs/operator-extras.md");
    for (path, doc, heading, expected) in [
        (API_DOC, &api, "## `fleetd check`", &plain),
        (API_DOC, &api, "### `fleetd check --cutover`", &cutover),
        (
            "docs/operator-extras.md",
            &extras,
            "## `fleetd check`",
            &plain,
        ),
    ] {
        // The plain table ends where the --cutover subsection starts.
        let lines: Vec<&str> = doc_section(doc, path, heading)
            .into_iter()
            .take_while(|line| !line.starts_with('#'))
            .collect();
        assert_eq!(
            &exit_table(&lines),
            expected,
            "{path} {heading}: the exit statuses"
        );
    }
}

/// `--flag`s written after `fleetd <subcommand>` in a line of a document
/// (up to the end of the code span, a pipe, `;` or a comment), and the
/// `--flag` rows of tables in a section headed by `fleetd <subcommand>`.
fn documented_flags(subcommand: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let prefix = format!("fleetd {subcommand}");
    for (_, text) in operator_docs() {
        let mut in_section = false;
        for line in text.lines() {
            if line.starts_with('#') {
                in_section = line.contains(&format!("`{prefix}"));
            }
            if in_section && line.starts_with("| `--") {
                if let Some(flag) = line.split('`').nth(1) {
                    flags.insert(flag.split([' ', '=']).next().unwrap_or(flag).to_owned());
                }
            }
            let mut rest = line;
            while let Some(at) = rest.find(&prefix) {
                let tail = &rest[at + prefix.len()..];
                let end = tail.find(['`', '|', ';', '#']).unwrap_or(tail.len());
                for word in tail[..end].split_whitespace() {
                    if let Some(name) = word.strip_prefix("--") {
                        let name = name.trim_end_matches([']', ')', ',', '.']);
                        if !name.is_empty() {
                            flags.insert(format!("--{name}"));
                        }
                    }
                }
                rest = &tail[end..];
            }
        }
    }
    flags
}

#[test]
fn every_command_line_flag_is_documented_and_every_documented_flag_exists() {
    use clap::CommandFactory;
    let cli = fleetd::cli::Cli::command();
    for subcommand in cli.get_subcommands() {
        let name = subcommand.get_name();
        let code: BTreeSet<String> = subcommand
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "help" | "version"))
            .map(|long| format!("--{long}"))
            .collect();
        let documented: BTreeSet<String> = documented_flags(name)
            .into_iter()
            .filter(|flag| !matches!(flag.as_str(), "--help" | "--version"))
            .collect();
        assert_eq!(
            documented, code,
            "`fleetd {name}`: the flags the docs name and the ones it takes"
        );
    }
}
