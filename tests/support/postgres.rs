//! A fresh PostgreSQL database per test, dropped afterwards.
//!
//! The server is `SALDO_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Where none answers, a PostgreSQL test fails saying so: it is never skipped.

use std::sync::atomic::{AtomicU32, Ordering};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDatabase {
    pub url: String,
    server: String,
    name: String,
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

impl TestDatabase {
    /// A new, empty database; panics, naming the server and the fix, when none answers.
    pub fn create() -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let server = server_url();
        let name = format!(
            "saldo_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        if let Err(e) = admin(&server, format!("CREATE DATABASE {name}")) {
            panic!(
                "PostgreSQL tests need a server at {} whose user may create databases, but \
                 creating one failed: {e}. Run scripts/test-deps (it installs or starts one), or \
                 set SALDO_TEST_POSTGRES_URL to another server.",
                server.rsplit('@').next().unwrap_or_default()
            );
        }
        TestDatabase {
            url: with_database(&server, &name),
            server,
            name,
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
        if let Err(e) = admin(
            &self.server,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        ) {
            eprintln!("dropping test database {}: {e}", self.name);
        }
    }
}
