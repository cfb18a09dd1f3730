//! `saldo admin events LEDGER [--after SEQ] [--follow]`: the ledger's events as NDJSON, one per
//! line, from the feed; with `--follow`, waiting for new ones until interrupted. A script that
//! keeps the last `seq` it handled passes it as `--after` to resume without a gap or a repeat.

use std::io::Write;

use anyhow::Context;
use serde_json::Value;

use super::bulk::Server;

/// How long one feed request waits for an event before asking again.
const WAIT_SECONDS: u64 = 30;

pub async fn print(
    server: &Server<'_>,
    ledger: &str,
    mut after: i64,
    follow: bool,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(WAIT_SECONDS + 30))
        .build()?;
    let mut out = std::io::stdout().lock();
    loop {
        let wait = if follow { WAIT_SECONDS } else { 0 };
        let url = format!(
            "{}/ledgers/{ledger}/events?after={after}&limit=1000&wait={wait}",
            server.base
        );
        let response = client
            .get(&url)
            .bearer_auth(server.token)
            .send()
            .await
            .with_context(|| format!("calling {url}"))?;
        let status = response.status();
        let page: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "the server answered {status}: {page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for event in &items {
            writeln!(out, "{event}")?;
        }
        out.flush()?;
        after = page["next"].as_i64().unwrap_or(after);
        if items.is_empty() && !follow {
            return Ok(());
        }
    }
}
