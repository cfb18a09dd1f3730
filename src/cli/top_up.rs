//! `saldo admin top-up LEDGER FILE`: a print room's top-up file (`username;amount` per line,
//! as MyQ operators write it; a header line and `#` comments are skipped, a decimal comma is
//! read as a point) sent whole to the admin API, which applies all of it or nothing.

use anyhow::Context;
use serde_json::{Value, json};

use super::bulk::{Problem, Server, send_whole};

/// The file's lines as the API takes them, and the lines that cannot be read.
fn read(text: &str) -> (Vec<Value>, Vec<Problem>) {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        let mut columns = raw.split([';', '\t']).map(str::trim);
        let (username, amount) = (columns.next().unwrap_or(""), columns.next());
        if line == 1 && username.eq_ignore_ascii_case("username") {
            continue;
        }
        let problem = |column: &str, rule: &str| Problem {
            line,
            column: column.into(),
            rule: rule.into(),
        };
        let Some(amount) = amount.filter(|a| !a.is_empty()) else {
            problems.push(problem("amount", "is missing: write username;amount"));
            continue;
        };
        if username.is_empty() {
            problems.push(problem("username", "is missing"));
            continue;
        }
        match amount.replace(',', ".").parse::<serde_json::Number>() {
            Ok(n) => lines.push(json!({"line": line, "username": username, "amount": n})),
            Err(_) => problems.push(problem("amount", "must be a number such as 25 or 12,50")),
        }
    }
    (lines, problems)
}

pub async fn run(
    server: &Server<'_>,
    ledger: &str,
    file: &std::path::Path,
    description: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let (lines, problems) = read(&text);
    let count = lines.len() + problems.len();
    // With lines the file gets wrong, the rest are still checked, and nothing is applied.
    let body = json!({"description": description, "dryRun": dry_run || !problems.is_empty(), "lines": lines});
    let path = format!("/ledgers/{ledger}/top-ups");
    let answer = send_whole(server, &path, &body, problems, count, "lines").await?;
    if server.json {
        return server.print_json(&answer);
    }
    let verb = if dry_run { "would top up" } else { "topped up" };
    println!(
        "{verb} {} accounts with {} over {} lines{}",
        answer["accounts"],
        answer["total"],
        answer["lines"],
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Tops up every customer the filters find (all of them without filters) by `amount`, as one
/// top-up: all of them or none.
pub async fn everyone(
    server: &Server<'_>,
    ledger: &str,
    filters: &[(&str, Option<String>)],
    amount: &str,
    description: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    let amount: serde_json::Number = amount
        .replace(',', ".")
        .parse()
        .context("--amount must be a number such as 25 or 12,50")?;
    let (base, token) = (server.base, server.token);
    let client = reqwest::Client::new();
    let mut customers = Vec::new();
    loop {
        let mut url = reqwest::Url::parse(&format!("{base}/ledgers/{ledger}/customers"))?;
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in filters {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
            query.append_pair("limit", "1000");
            query.append_pair("offset", &customers.len().to_string());
        }
        let page: Value = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| format!("calling {base}"))?
            .error_for_status()?
            .json()
            .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let total = page["total"].as_u64().unwrap_or(0) as usize;
        let read = items.len();
        customers.extend(
            items
                .iter()
                .filter_map(|c| c["customerNo"].as_str().map(str::to_string)),
        );
        // An empty page ends it too, should customers go while it reads.
        if read == 0 || customers.len() >= total {
            break;
        }
    }
    anyhow::ensure!(!customers.is_empty(), "no customer matches");
    let lines: Vec<Value> = customers
        .iter()
        .map(|no| json!({"customerNo": no, "amount": amount}))
        .collect();
    let body = json!({"description": description, "dryRun": dry_run, "lines": lines});
    let path = format!("/ledgers/{ledger}/top-ups");
    let count = lines.len();
    let answer = send_whole(server, &path, &body, Vec::new(), count, "customers").await?;
    if server.json {
        return server.print_json(&answer);
    }
    println!(
        "{} {} customers with {} each, {} in all{}",
        if dry_run { "would top up" } else { "topped up" },
        answer["lines"],
        amount,
        answer["total"],
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    );
    Ok(())
}
