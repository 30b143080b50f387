//! `deploy/fleetd.toml.example`, the key table of `docs/configuration.md`
//! and the settings code agree: the same keys, the same defaults, the same
//! environment variables.

use crate::support::{self, repo_file};
use fleetd::settings::{ConfigSource, NumericKey, Settings, NUMERIC_KEYS};
use std::collections::BTreeMap;

const EXAMPLE: &str = "deploy/fleetd.toml.example";
const DOC: &str = "docs/configuration.md";

/// The keys the example sets to something else than the built-in default,
/// and to what: the history is kept on disk by a deployment (the unit's
/// StateDirectory), in memory by default (development, demo, tests).
const EXAMPLE_DIFFERS: [(&str, &str); 1] =
    [("history.path", "\"/var/lib/fleetd/history.sqlite3\"")];

/// `section.key` → value as written, from the example's `key = value` lines.
fn example_keys() -> BTreeMap<String, String> {
    let mut keys = BTreeMap::new();
    let mut section = String::new();
    for line in repo_file(EXAMPLE).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{EXAMPLE}: not `key = value`: {line}"));
        let value = value.trim();
        let value = if value.starts_with('"') {
            value
        } else {
            value.split('#').next().unwrap_or_default().trim()
        };
        keys.insert(format!("{section}.{}", key.trim()), value.to_owned());
    }
    keys
}

/// The first `code` span of a table cell.
fn code(cell: &str) -> String {
    cell.split('`').nth(1).unwrap_or_default().to_owned()
}

/// The lines of the doc's section `## {title}`.
fn doc_section(title: &str) -> Vec<String> {
    let doc = repo_file(DOC);
    support::doc_section(&doc, DOC, &format!("## {title}"))
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// `section.key` → (default, environment variable), from the doc's table.
fn documented_keys() -> BTreeMap<String, (String, String)> {
    doc_section("Keys")
        .iter()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            assert!(cells.len() >= 3, "{DOC}: a short key row: {line}");
            (code(cells[0]), (code(cells[1]), code(cells[2])))
        })
        .collect()
}

#[test]
fn the_example_configuration_spells_out_the_defaults() {
    let mut example = Settings::from_toml_str(&repo_file(EXAMPLE))
        .unwrap_or_else(|e| panic!("{EXAMPLE} does not load: {e}"));
    assert_eq!(
        example.history.path.as_deref(),
        Some(std::path::Path::new("/var/lib/fleetd/history.sqlite3")),
        "the example keeps the history in the unit's StateDirectory"
    );
    example.history.path = None;
    assert_eq!(
        example,
        Settings::default(),
        "every other value in {EXAMPLE} is the built-in default"
    );
}

#[test]
fn the_example_the_docs_and_the_settings_name_the_same_keys() {
    let example = example_keys();
    let documented = documented_keys();
    assert_eq!(
        example.keys().collect::<Vec<_>>(),
        documented.keys().collect::<Vec<_>>(),
        "{EXAMPLE} and the key table of {DOC} list the same keys"
    );
    let nowhere = tempfile::tempdir().expect("temp dir");
    let no_file = ConfigSource {
        path: nowhere.path().join("fleetd.toml"),
        required: false,
    };
    for (key, (default, variable)) in &documented {
        let in_example = EXAMPLE_DIFFERS
            .iter()
            .find(|(k, _)| k == key)
            .map_or(default.as_str(), |(_, v)| v);
        assert_eq!(
            example[key], in_example,
            "{key}: the default in {DOC} and {EXAMPLE}"
        );
        let (section, name) = key.split_once('.').expect("section.key");
        assert_eq!(
            variable,
            &format!("FLEETD_{}__{}", section.to_uppercase(), name.to_uppercase()),
            "{key}: the variable in {DOC}"
        );
        // The variable is read (an unknown one would be an error) and the
        // documented default is the default.
        let value = default.trim_matches('"').to_owned();
        let mut loaded = Settings::load_with_env(&no_file, [(variable.clone(), value.clone())])
            .unwrap_or_else(|e| panic!("{variable}={value}: {e}"));
        loaded.source = None;
        assert_eq!(loaded, Settings::default(), "{variable}={value}");
    }
}

/// The rows of the doc's "Ranges" table: (key, default, min, max, unit).
fn documented_ranges() -> Vec<(String, u64, u64, u64, String)> {
    let number = |cell: &str, line: &str| -> u64 {
        cell.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{DOC}: not a number in {line}"))
    };
    doc_section("Ranges")
        .iter()
        .filter(|line| {
            line.starts_with("| ") && !line.starts_with("| range of") && !line.starts_with("|---")
        })
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            assert_eq!(cells.len(), 5, "{DOC}: a ranges row has 5 cells: {line}");
            (
                cells[0].to_owned(),
                number(cells[1], line),
                number(cells[2], line),
                number(cells[3], line),
                cells[4].to_owned(),
            )
        })
        .collect()
}

/// Issue 15: every numeric key has a documented range, and the code
/// enforces exactly that range: both ends load, one past either does not,
/// and the message names the key.
#[test]
fn every_numeric_key_has_the_documented_range_and_it_is_enforced() {
    let documented = documented_ranges();
    assert_eq!(
        documented.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        NUMERIC_KEYS.iter().map(|k| k.key).collect::<Vec<_>>(),
        "the Ranges table of {DOC} lists the numeric keys of the code, in order"
    );
    let example = example_keys();
    for (key, default, min, max, unit) in &documented {
        let code = NumericKey::of(key).expect("a numeric key");
        assert_eq!((code.min, code.max), (*min, *max), "{key}: range in {DOC}");
        assert!(
            unit.starts_with(code.unit),
            "{key}: unit {unit:?} vs {:?}",
            code.unit
        );
        assert_eq!(
            example[key],
            default.to_string(),
            "{key}: the default in {EXAMPLE}"
        );
        assert!(
            (min..=max).contains(&default),
            "{key}: the default is in range"
        );
        let (section, name) = key.split_once('.').expect("section.key");
        let load =
            |value: u64| Settings::from_toml_str(&format!("[{section}]\n{name} = {value}\n"));
        for value in [*min, *max] {
            load(value).unwrap_or_else(|e| panic!("{key} = {value} must load: {e}"));
        }
        let mut outside = vec![max + 1];
        if *min > 0 {
            outside.push(min - 1);
        }
        for value in outside {
            let err = load(value).expect_err("outside the range").to_string();
            assert!(err.contains(key.as_str()), "{key} = {value}: {err}");
        }
    }
}
