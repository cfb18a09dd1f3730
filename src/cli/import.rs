//! `saldo admin import customers LEDGER FILE`: a customer file with a header naming its
//! columns (`customerNo;name;email;username;cards;creditLimit`, any order, `customerNo` and
//! `name` required, `;` or tab between them, several cards as `K-1,K-2`), sent whole to the
//! admin API as one upsert by customer number.

use anyhow::Context;
use serde_json::{Map, Value, json};

const COLUMNS: [&str; 6] = [
    "customerNo",
    "name",
    "email",
    "username",
    "cards",
    "creditLimit",
];

/// The file's rows as the API takes them; a row's problems are the file's own.
fn read(text: &str) -> anyhow::Result<(Vec<Value>, Vec<String>)> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    });
    let (_, header) = lines.next().context("the file is empty")?;
    let split = |l: &str| {
        l.split([';', '\t'])
            .map(|c| c.trim().to_string())
            .collect::<Vec<_>>()
    };
    let names = split(header);
    for name in &names {
        anyhow::ensure!(
            COLUMNS.contains(&name.as_str()),
            "the header names {name:?}; the columns are {}",
            COLUMNS.join(", ")
        );
    }
    for required in ["customerNo", "name"] {
        anyhow::ensure!(
            names.iter().any(|n| n == required),
            "the header has no {required}"
        );
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in lines {
        let mut row = Map::new();
        row.insert("line".into(), json!(i + 1));
        for (name, cell) in names.iter().zip(split(line)) {
            let value = match name.as_str() {
                "cards" => json!(
                    cell.split(',')
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>()
                ),
                "creditLimit" if cell.is_empty() => continue,
                "creditLimit" => match cell.replace(',', ".").parse::<serde_json::Number>() {
                    Ok(n) => Value::Number(n),
                    Err(_) => {
                        problems.push(format!(
                            "line {}, creditLimit: must be a number such as 500 or 12,50",
                            i + 1
                        ));
                        continue;
                    }
                },
                "email" | "username" if cell.is_empty() => Value::Null,
                _ => Value::String(cell),
            };
            row.insert(name.clone(), value);
        }
        rows.push(Value::Object(row));
    }
    Ok((rows, problems))
}

pub async fn customers(
    base: &str,
    token: &str,
    ledger: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let (rows, mut problems) = read(&text)?;
    let count = rows.len();
    let body = json!({"dryRun": dry_run || !problems.is_empty(), "rows": rows});
    let response = reqwest::Client::new()
        .post(format!("{base}/ledgers/{ledger}/imports/customers"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .with_context(|| format!("calling {base}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if status.as_u16() == 422 {
        for p in answer["problems"].as_array().into_iter().flatten() {
            problems.push(format!(
                "line {}, {}: {}",
                p["line"],
                p["column"].as_str().unwrap_or_default(),
                p["rule"].as_str().unwrap_or_default()
            ));
        }
    } else {
        anyhow::ensure!(
            status.is_success(),
            "the server answered {status}: {answer}"
        );
    }
    if !problems.is_empty() {
        for p in &problems {
            println!("{p}");
        }
        println!(
            "{} of {count} rows break a rule; nothing was applied",
            problems.len()
        );
        anyhow::bail!("the import was refused");
    }
    println!(
        "{}: {} created, {} updated, {} unchanged{}",
        if dry_run { "would import" } else { "imported" },
        answer["created"],
        answer["updated"],
        answer["unchanged"],
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    );
    Ok(())
}
