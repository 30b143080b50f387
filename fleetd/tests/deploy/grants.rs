//! `deploy/mysql/fleetd-grants.sql` on the test server: the account it
//! creates gives fleetd a complete snapshot (no section unreadable) and
//! nothing else — every write, every DDL and every other table is refused.

use crate::helpers::{address_of, seeded_db, spawn_app_on, without_times, TestApp};
use crate::support::{repo_file, repo_root};
use fleet_sql::testing::{admin_url, ScratchDb};
use fleetd::settings::{ConfigSource, Settings};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder};
use rand::distr::{Alphanumeric, SampleString};
use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const GRANTS: &str = "deploy/mysql/fleetd-grants.sql";
/// What the file names, and the test replaces.
const FILE_DATABASE: &str = "`jetmon`.";
const FILE_ACCOUNT: &str = "'fleetd'@'%'";
const FILE_PASSWORD: &str = "'change-me'";
/// Server errors that mean "you lack the privilege": database access
/// denied, table command denied, column command denied.
const DENIED: [u16; 3] = [1044, 1142, 1143];
const ADMIN_LIMIT: Duration = Duration::from_secs(30);

/// The tables of the jetmon schema (what fleetd reads).
fn schema_tables() -> BTreeSet<String> {
    fleet_sql::SCHEMA_SQL
        .lines()
        .filter_map(|line| line.trim().strip_prefix("CREATE TABLE IF NOT EXISTS "))
        .map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_matches('`')
                .to_owned()
        })
        .collect()
}

/// The grants file without comments, for database `database`, account
/// `account` and `password`. Every statement of the file is kept; the
/// replaced names must occur as often as the file's instructions say.
fn grants_sql(database: &str, account: &str, password: &str) -> String {
    let sql: String = repo_file(GRANTS)
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .map(|line| format!("{line}\n"))
        .collect();
    let tables: BTreeSet<String> = sql
        .lines()
        .filter_map(|line| line.strip_prefix(&format!("GRANT SELECT ON {FILE_DATABASE}`")))
        .filter_map(|rest| rest.split_once('`').map(|(table, _)| table.to_owned()))
        .collect();
    assert_eq!(
        tables,
        schema_tables(),
        "{GRANTS} grants SELECT on exactly the six tables of the schema"
    );
    for (name, times) in [(FILE_DATABASE, 6), (FILE_ACCOUNT, 8), (FILE_PASSWORD, 1)] {
        assert_eq!(
            sql.matches(name).count(),
            times,
            "{GRANTS} names {name} {times} times (its header tells operators what to replace)"
        );
    }
    sql.replace(FILE_DATABASE, &format!("`{database}`."))
        .replace(FILE_ACCOUNT, &format!("'{account}'@'%'"))
        .replace(FILE_PASSWORD, &format!("'{password}'"))
}

/// The account of the grants file under a unique name. Dropped at the end
/// of the test, and by `Drop` when the test fails.
struct Account {
    name: String,
    password: String,
    admin_url: String,
    dropped: bool,
}

impl Account {
    async fn create(db: &ScratchDb) -> Account {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let account = Account {
            // MySQL allows 32 characters in a user name.
            name: format!("fleetd_t{:x}_{:x}", std::process::id(), nanos),
            password: Alphanumeric.sample_string(&mut rand::rng(), 24),
            admin_url: admin_url(),
            dropped: false,
        };
        // The guard exists before the script runs: a half-run script is cleaned up too.
        db.exec(&grants_sql(db.name(), &account.name, &account.password))
            .await
            .unwrap_or_else(|e| panic!("run {GRANTS} as the administrator: {e}"));
        account
    }

    /// The URL fleetd is configured with: this account, no password in it.
    fn url(&self, db: &ScratchDb) -> String {
        format!(
            "mysql://{}@{}/{}",
            self.name,
            address_of(db.url()),
            db.name()
        )
    }

    async fn connect(&self, db: &ScratchDb) -> Conn {
        let opts = OptsBuilder::from_opts(Opts::from_url(&self.url(db)).expect("account URL"))
            .pass(Some(self.password.clone()));
        tokio::time::timeout(ADMIN_LIMIT, Conn::new(opts))
            .await
            .expect("connecting in time")
            .expect("the account can log in")
    }

    async fn drop_now(mut self) {
        self.dropped = true;
        drop_user(&self.admin_url, &self.name)
            .await
            .unwrap_or_else(|e| panic!("drop the test account {}: {e}", self.name));
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await and may run inside a runtime or a panic: a
        // thread with a runtime of its own.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(drop_user(&admin_url, &name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test account {}: {dropped:?}", self.name);
        }
    }
}

async fn drop_user(admin_url: &str, name: &str) -> Result<(), String> {
    let run = async {
        let mut conn = Conn::new(Opts::from_url(admin_url)?).await?;
        conn.query_drop(format!("DROP USER IF EXISTS '{name}'@'%'"))
            .await?;
        conn.disconnect().await
    };
    match tokio::time::timeout(ADMIN_LIMIT, run).await {
        Ok(result) => result.map_err(|e: mysql_async::Error| e.to_string()),
        Err(_) => Err(format!("timed out after {ADMIN_LIMIT:?}")),
    }
}

/// Paths of every member saying a part of the snapshot could not be read
/// (`error` of a section or table, `dependency_health_error` of a process;
/// `last_error` is data the processes reported, not ours).
fn errors_in(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, member) in map {
                let here = format!("{path}.{key}");
                if key == "error" || key == "dependency_health_error" {
                    found.push(format!("{here} = {member}"));
                }
                errors_in(member, &here, found);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                errors_in(item, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

async fn snapshot_json(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/fleet").await;
    assert_eq!(response.status(), 200, "/api/fleet");
    response.json().await.expect("snapshot JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grants_account_reads_a_complete_snapshot_and_can_write_nothing() {
    let db = seeded_db().await;
    db.exec(
        "CREATE TABLE not_for_fleetd (secret VARCHAR(20)); INSERT INTO not_for_fleetd VALUES ('x')",
    )
    .await
    .expect("a table outside the grants");
    let account = Account::create(&db).await;

    // fleetd as deployed: the example configuration, the account in the
    // URL, its password from a file (the systemd credential).
    let dir = tempfile::tempdir().expect("temp dir");
    let password_file = dir.path().join("db-password");
    std::fs::write(&password_file, format!("{}\n", account.password)).expect("password file");
    let source = ConfigSource::explicit(repo_root().join("deploy/fleetd.toml.example"));
    let settings = Settings::load_with_env(
        &source,
        [
            ("FLEETD_SERVER__LISTEN", "127.0.0.1:0".to_owned()),
            ("FLEETD_DATABASE__URL", account.url(&db)),
            (
                "FLEETD_DATABASE__PASSWORD_FILE",
                password_file.display().to_string(),
            ),
            ("FLEETD_DATABASE__CONNECT_TIMEOUT_MS", "5000".to_owned()),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    )
    .expect("the example configuration with the account");
    let fleetd = spawn_app_on(&account.url(&db), move |s| *s = settings).await;
    let admin = spawn_app_on(db.url(), |_| {}).await;
    fleetd.wait_for_drift().await;
    admin.wait_for_drift().await;

    // Every section is readable: no section reports an error, and the
    // snapshot is the one the administrator's account gets.
    let ours = snapshot_json(&fleetd).await;
    let mut errors = Vec::new();
    errors_in(&ours, "", &mut errors);
    assert!(
        errors.is_empty(),
        "sections unreadable with the account: {errors:?}"
    );
    assert_eq!(
        ours["projection_drift"]["count"], 1,
        "the drift scan ran with the account"
    );
    assert_eq!(
        without_times(ours),
        without_times(snapshot_json(&admin).await)
    );
    assert_eq!(fleetd.get("/readyz").await.status(), 200);

    // Nothing but SELECT on the six tables. The session is an ordinary one
    // (not fleetd's read-only transactions): the grants alone refuse.
    let mut conn = account.connect(&db).await;
    for (what, sql) in [
        (
            "INSERT",
            "INSERT INTO jetmon_hosts (host_id, bucket_min, bucket_max, last_heartbeat, status) \
             VALUES ('intruder', 0, 0, NOW(), 'active')",
        ),
        ("UPDATE", "UPDATE jetmon_hosts SET status = 'draining'"),
        ("DELETE", "DELETE FROM jetmon_webhook_deliveries"),
        ("TRUNCATE", "TRUNCATE TABLE jetmon_alert_deliveries"),
        ("CREATE TABLE", "CREATE TABLE intruder (id INT)"),
        (
            "ALTER TABLE",
            "ALTER TABLE jetmon_hosts ADD COLUMN intruder INT",
        ),
        ("DROP TABLE", "DROP TABLE jetmon_events"),
        ("SELECT elsewhere", "SELECT secret FROM not_for_fleetd"),
        ("SELECT mysql.user", "SELECT user FROM mysql.user"),
    ] {
        match conn.query_drop(sql).await {
            Err(mysql_async::Error::Server(e)) if DENIED.contains(&e.code) => {}
            other => panic!("{what} with the fleetd account must be refused, got {other:?}"),
        }
    }
    let grants: Vec<String> = conn.query("SHOW GRANTS").await.expect("SHOW GRANTS");
    let _ = conn.disconnect().await;
    let mut select_on = BTreeSet::new();
    for grant in &grants {
        if let Some(rest) = grant.strip_prefix(&format!("GRANT SELECT ON `{}`.`", db.name())) {
            select_on.insert(rest.split('`').next().unwrap_or_default().to_owned());
        } else {
            assert!(
                grant.starts_with("GRANT USAGE ON *.* TO"),
                "a grant beyond SELECT on the six tables: {grant}"
            );
        }
    }
    assert_eq!(select_on, schema_tables(), "{grants:#?}");

    // And nothing changed.
    let active = db
        .value("SELECT COUNT(*) FROM jetmon_hosts WHERE status = 'active'")
        .await
        .expect("count hosts");
    assert_eq!(active, mysql_async::Value::Int(3));
    let deliveries = db
        .value("SELECT COUNT(*) FROM jetmon_webhook_deliveries")
        .await
        .expect("count deliveries");
    assert_eq!(deliveries, mysql_async::Value::Int(1));

    fleetd.server.stop(true).await;
    admin.server.stop(true).await;
    account.drop_now().await;
    db.drop().await.expect("drop the scratch database");
}
