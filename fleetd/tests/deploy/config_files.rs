//! `deploy/fleetd.toml.example`, the key table of `docs/configuration.md`
//! and the settings code agree: the same keys, the same defaults, the same
//! environment variables.

use crate::support::repo_file;
use fleetd::settings::{ConfigSource, Settings};
use std::collections::BTreeMap;

const EXAMPLE: &str = "deploy/fleetd.toml.example";
const DOC: &str = "docs/configuration.md";

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

/// `section.key` → (default, environment variable), from the doc's table.
fn documented_keys() -> BTreeMap<String, (String, String)> {
    repo_file(DOC)
        .lines()
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
    let example = Settings::from_toml_str(&repo_file(EXAMPLE))
        .unwrap_or_else(|e| panic!("{EXAMPLE} does not load: {e}"));
    assert_eq!(
        example,
        Settings::default(),
        "every value in {EXAMPLE} is the built-in default"
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
        assert_eq!(
            &example[key], default,
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
