//! How `saldo admin` shows an answer to a person: a table for a list, one field per line for a
//! resource, and a line saying what changed; `--json` prints the answer as the API gave it.

use comfy_table::{CellAlignment, Table, presets};
use serde_json::Value;

/// How one command's answer is laid out.
pub(super) struct View {
    /// Printed first, with `{/json/pointer}` filled from the answer and `{#/pointer}` as the
    /// length of the array there: what a change did, or a list's heading.
    pub headline: Option<String>,
    pub body: Body,
}

pub(super) enum Body {
    /// The array at `rows` as a table of (heading, JSON pointer) columns.
    Table {
        rows: &'static str,
        columns: &'static [(&'static str, &'static str)],
    },
    /// One resource, a field per line; nested objects as `outer.inner`.
    Record,
    /// Text the server formats itself (CSV), printed as it came.
    Raw,
    /// The headline says it all.
    Nothing,
}

impl View {
    pub fn record() -> Self {
        Self {
            headline: None,
            body: Body::Record,
        }
    }

    pub fn change(headline: impl Into<String>) -> Self {
        Self {
            headline: Some(headline.into()),
            body: Body::Record,
        }
    }

    pub fn table(rows: &'static str, columns: &'static [(&'static str, &'static str)]) -> Self {
        Self {
            headline: None,
            body: Body::Table { rows, columns },
        }
    }

    pub fn with_headline(mut self, headline: impl Into<String>) -> Self {
        self.headline = Some(headline.into());
        self
    }

    /// The answer `text` laid out for a person; `replayed` when the server answered from an
    /// earlier request with the same Idempotency-Key.
    pub fn render(&self, text: &str, replayed: bool) -> String {
        if matches!(self.body, Body::Raw) {
            return text.to_string();
        }
        let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let mut out = String::new();
        if let Some(headline) = &self.headline {
            out.push_str(&fill(headline, &answer));
            if replayed {
                out.push_str(" (already done earlier under this Idempotency-Key; not repeated)");
            }
            out.push('\n');
        }
        match &self.body {
            Body::Table { rows, columns } => out.push_str(&table(&answer, rows, columns)),
            Body::Record => out.push_str(&record(&answer)),
            Body::Raw | Body::Nothing => {}
        }
        out
    }
}

/// `template` with every `{/pointer}` replaced by the answer's value there and every
/// `{#/pointer}` by the length of the array there.
fn fill(template: &str, answer: &Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}').map(|e| start + e) else {
            break;
        };
        out.push_str(&rest[..start]);
        let key = &rest[start + 1..end];
        match key.strip_prefix('#') {
            Some(pointer) => {
                let n = answer
                    .pointer(pointer)
                    .and_then(Value::as_array)
                    .map(Vec::len);
                out.push_str(&n.unwrap_or(0).to_string());
            }
            None => out.push_str(&cell(answer.pointer(key).unwrap_or(&Value::Null))),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A value as one cell: text as is, no value as `-`, a list of values joined.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) if s.is_empty() => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".into(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(_) => fields(value, "")
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// Every scalar field of an object with its dotted path; links for API clients left out.
fn fields(value: &Value, prefix: &str) -> Vec<(String, String)> {
    let Value::Object(map) = value else {
        return vec![(prefix.to_string(), cell(value))];
    };
    let mut out = Vec::new();
    for (key, value) in map {
        if key.starts_with('@') || key == "operations" || is_link(value) {
            continue;
        }
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(_) => out.extend(fields(value, &path)),
            Value::Array(items) if items.iter().any(Value::is_object) => {
                out.push((path, format!("{} entries (see --json)", items.len())));
            }
            _ => out.push((path, cell(value))),
        }
    }
    out
}

/// A path to a related resource, there for API clients to follow.
fn is_link(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.starts_with('/') && !s.contains(' '))
}

fn record(answer: &Value) -> String {
    if answer.is_null() {
        return String::new();
    }
    let rows = fields(answer, "");
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:width$}  {v}\n"))
        .collect()
}

fn table(answer: &Value, rows: &str, columns: &[(&str, &str)]) -> String {
    let items = answer
        .pointer(rows)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items.is_empty() {
        return "none found\n".into();
    }
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_header(columns.iter().map(|(heading, _)| heading.to_uppercase()));
    for item in &items {
        table.add_row(
            columns
                .iter()
                .map(|(_, pointer)| cell(item.pointer(pointer).unwrap_or(&Value::Null))),
        );
    }
    for (i, _) in columns.iter().enumerate() {
        let values = || items.iter().filter_map(|item| item.pointer(columns[i].1));
        let numeric = values().any(Value::is_number)
            && values().all(|value| value.is_number() || value.is_null());
        if let (true, Some(column)) = (numeric, table.column_mut(i)) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut out: String = table
        .lines()
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_string()
                + "\n"
        })
        .collect();
    out.push_str(&page_footer(answer, items.len()));
    out
}

/// Where a page of a paged list is, and how to see the next.
fn page_footer(answer: &Value, shown: usize) -> String {
    let (Some(total), Some(offset)) = (answer["total"].as_u64(), answer["offset"].as_u64()) else {
        return String::new();
    };
    let last = offset + shown as u64;
    if offset == 0 && last >= total {
        return format!("{total} in all\n");
    }
    let mut line = format!("{}–{last} of {total}", offset + 1);
    if last < total {
        line.push_str(&format!("; the next page: --offset {last}"));
    }
    line + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_headline_takes_values_and_counts_from_the_answer() {
        let answer = json!({"ledgerNo": "501", "bills": [{}, {}], "email": null});
        let filled = fill(
            "billed {#/bills} in ledger {/ledgerNo}, mail {/email}",
            &answer,
        );
        assert_eq!(filled, "billed 2 in ledger 501, mail -");
    }

    #[test]
    fn a_list_is_a_table_with_numbers_on_the_right_and_the_page_it_is() {
        let answer = json!({
            "items": [
                {"accountNo": "A1", "creditLimit": 12.5, "cards": ["K-1", "K-2"]},
                {"accountNo": "A22", "creditLimit": 250, "cards": []},
            ],
            "total": 5, "limit": 2, "offset": 2,
        });
        let columns = &[
            ("account", "/accountNo"),
            ("limit", "/creditLimit"),
            ("cards", "/cards"),
        ];
        let shown = View::table("/items", columns).render(&answer.to_string(), false);
        let lines: Vec<&str> = shown.lines().collect();
        assert!(
            lines[0].starts_with("ACCOUNT") && lines[0].contains("LIMIT"),
            "{shown}"
        );
        assert!(
            lines[1].contains(" 12.5 ") && lines[1].ends_with("K-1, K-2"),
            "{shown}"
        );
        assert!(
            lines[2].contains("  250 ") && lines[2].ends_with('-'),
            "{shown}"
        );
        assert_eq!(lines[3], "3–4 of 5; the next page: --offset 4");
    }

    #[test]
    fn a_change_says_what_it_did_then_shows_the_resource_without_links() {
        let answer = json!({
            "@id": "/x", "customerNo": "7", "name": "Ann", "bills": "/ledger/7/bills",
            "address": {"city": "Umeå"}, "operations": [{"rel": "self"}],
        });
        let shown =
            View::change("changed customer {/customerNo}").render(&answer.to_string(), true);
        assert!(
            shown.starts_with("changed customer 7 (already done earlier"),
            "{shown}"
        );
        assert!(shown.contains("address.city  Umeå"), "{shown}");
        assert!(
            !shown.contains("operations") && !shown.contains("/x"),
            "{shown}"
        );
        assert!(
            !shown.contains("bills"),
            "links are for API clients: {shown}"
        );
    }

    #[test]
    fn an_empty_list_says_so() {
        let shown = View::table("/items", &[("id", "/id")]).render(r#"{"items":[]}"#, false);
        assert_eq!(shown, "none found\n");
    }
}
