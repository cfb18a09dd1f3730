//! `saldo admin import customers LEDGER FILE`: a customer file with a header naming its
//! columns (`customerNo;name;email;username;cards;creditLimit`, any order, `customerNo` and
//! `name` required, `;` or tab between them, several cards as `K-1,K-2`), sent whole to the
//! admin API as one upsert by customer number.

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::bulk::{Problem, Server, send_whole};

const COLUMNS: [&str; 6] = [
    "customerNo",
    "name",
    "email",
    "username",
    "cards",
    "creditLimit",
];

/// The file's rows as the API takes them; a row's problems are the file's own.
fn read(text: &str) -> anyhow::Result<(Vec<Value>, Vec<Problem>)> {
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
                        problems.push(Problem {
                            line: i as u64 + 1,
                            column: "creditLimit".into(),
                            rule: "must be a number such as 500 or 12,50".into(),
                        });
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
    server: &Server<'_>,
    ledger: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let (rows, problems) = read(&text)?;
    // A row with an unreadable cell is still sent, without that cell.
    let count = rows.len();
    let body = json!({"dryRun": dry_run || !problems.is_empty(), "rows": rows});
    let path = format!("/ledgers/{ledger}/imports/customers");
    let answer = send_whole(server, &path, &body, problems, count, "rows").await?;
    if server.json {
        return server.print_json(&answer);
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
