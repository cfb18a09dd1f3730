//! A fresh, empty database per test on the store `SALDO_TEST_STORE` selects (`TestDb`): a
//! SQLite file in a temporary directory, or on PostgreSQL a namespace of its own, dropped
//! afterwards: a schema in the database `saldo_tests`, which the test's URL puts first on the
//! `search_path`. To saldo it is an empty database; it is made in milliseconds, where
//! `CREATE DATABASE` takes half a second.
//!
//! The server is `SALDO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Where none answers, a PostgreSQL test fails saying so: it is never skipped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const TESTS_DATABASE: &str = "saldo_tests";

pub struct TestDatabase {
    pub url: String,
    database: String,
    schema: String,
}

fn server_url() -> String {
    std::env::var("SALDO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// Which store the store-dependent tests run on: `SALDO_TEST_STORE` is `sqlite` (the default)
/// or `postgres`; `scripts/test` runs them both ways.
pub fn selected() -> bool {
    match std::env::var("SALDO_TEST_STORE").as_deref() {
        Err(_) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("SALDO_TEST_STORE={other:?}: use sqlite or postgres"),
    }
}

/// Runs SQL on the server's maintenance database.
fn admin(server: &str, sql: String) -> Result<(), String> {
    query(server, sql).map(drop)
}

/// Runs SQL at `url` and returns the first column of its last row as text, on a thread of
/// its own so it works from inside or outside an async runtime.
pub fn query(url: &str, sql: String) -> Result<Option<String>, String> {
    let server = url.to_string();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, conn) = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                tokio_postgres::connect(&server, tokio_postgres::NoTls),
            )
            .await
            .map_err(|_| "timed out connecting".to_string())?
            .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let messages = client
                .simple_query(&sql)
                .await
                .map_err(|e| match e.as_db_error() {
                    Some(db) => db.message().to_string(),
                    None => e.to_string(),
                })?;
            Ok(messages.iter().rev().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            }))
        })
    })
    .join()
    .map_err(|_| "the admin thread panicked".to_string())?
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The URL of the database that holds the tests' schemas, made once per test run.
fn tests_database() -> &'static Result<String, String> {
    static DATABASE: OnceLock<Result<String, String>> = OnceLock::new();
    DATABASE.get_or_init(|| {
        let server = server_url();
        let database = with_database(&server, TESTS_DATABASE);
        // Another test binary may be creating it at the same moment: what counts is that it
        // exists afterwards.
        let created = admin(&server, format!("CREATE DATABASE {TESTS_DATABASE}"));
        match admin(&database, "SELECT 1".into()) {
            Ok(()) => Ok(database),
            Err(e) => Err(created.err().unwrap_or(e)),
        }
    })
}

impl TestDatabase {
    /// A new, empty namespace; panics, naming the server and the fix, when none answers.
    pub fn create() -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let schema = format!(
            "saldo_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let made = tests_database().clone().and_then(|database| {
            admin(&database, format!("CREATE SCHEMA {schema}"))?;
            Ok(database)
        });
        let database = made.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server at {} whose user may create databases, but \
                 making one failed: {e}. Run scripts/test-deps (it installs or starts one), or \
                 set SALDO_TEST_POSTGRES_URL to another server.",
                server_url().rsplit('@').next().unwrap_or_default()
            )
        });
        let separator = if database.contains('?') { '&' } else { '?' };
        TestDatabase {
            url: format!("{database}{separator}options=-c%20search_path%3D{schema}"),
            database,
            schema,
        }
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        if let Err(e) = admin(&self.database, drop) {
            eprintln!("dropping test schema {}: {e}", self.schema);
        }
    }
}

/// One test's database on the selected store; removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<TestDatabase>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let (url, postgres) = if selected() {
            let db = TestDatabase::create();
            (db.url.clone(), Some(db))
        } else {
            let path = dir.path().join("saldo.db");
            (format!("sqlite://{}", path.display()), None)
        };
        TestDb {
            url,
            _dir: dir,
            _postgres: postgres,
        }
    }
}
