//! `saldo admin top-up LEDGER FILE`: a print room's top-up file (`username;amount` per line,
//! as MyQ operators write it; a header line and `#` comments are skipped, a decimal comma is
//! read as a point) sent whole to the admin API, which applies all of it or nothing.

use anyhow::Context;
use serde_json::{Value, json};

/// A line the file itself gets wrong, or one the server refused.
struct Problem {
    line: u64,
    column: String,
    rule: String,
}

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
    base: &str,
    token: &str,
    ledger: &str,
    file: &std::path::Path,
    description: &str,
    dry_run: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let (lines, mut problems) = read(&text);
    let count = lines.len() + problems.len();
    // With lines the file gets wrong, the rest are still checked, and nothing is applied.
    let body = json!({"description": description, "dryRun": dry_run || !problems.is_empty(), "lines": lines});
    let response = reqwest::Client::new()
        .post(format!("{base}/ledgers/{ledger}/top-ups"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("calling {base}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if status.as_u16() == 422 {
        for p in answer["problems"].as_array().into_iter().flatten() {
            problems.push(Problem {
                line: p["line"].as_u64().unwrap_or(0),
                column: p["column"].as_str().unwrap_or_default().into(),
                rule: p["rule"].as_str().unwrap_or_default().into(),
            });
        }
    } else {
        anyhow::ensure!(
            status.is_success(),
            "the server answered {status}: {answer}"
        );
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        for p in &problems {
            println!("line {}, {}: {}", p.line, p.column, p.rule);
        }
        println!(
            "{} of {count} lines break a rule; nothing was applied",
            problems.len()
        );
        anyhow::bail!("the top-up was refused");
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
