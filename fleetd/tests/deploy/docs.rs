//! `docs/api.md` names every member of what fleetd serves as JSON, so a
//! field added to the snapshot or the history cannot go undocumented.

use crate::helpers::spawn_app;
use crate::support::repo_file;
use std::collections::BTreeSet;

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
