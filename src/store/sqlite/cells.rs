//! How a `Cell` of the shared entity descriptions travels through SQLite: dates and timestamps
//! as text (RFC 3339, which sorts by time for UTC), booleans as integers.

use rusqlite::types::{ToSql, Value};
use rusqlite::{Connection, Row};

use super::{parse_date, parse_ts, ts};
use crate::store::StoreResult;
use crate::store::columns::{Cell, Stored, Type};

fn value(cell: Cell) -> Value {
    match cell {
        Cell::Int(v) => v.map_or(Value::Null, Value::Integer),
        Cell::Text(v) => v.map_or(Value::Null, Value::Text),
        Cell::Bool(v) => v.map_or(Value::Null, |b| Value::Integer(i64::from(b))),
        Cell::Date(v) => v.map_or(Value::Null, |d| Value::Text(d.to_string())),
        Cell::Time(v) => v.map_or(Value::Null, |t| Value::Text(ts(t))),
    }
}

fn cells(columns: &[(&str, Type)], row: &Row<'_>) -> rusqlite::Result<Vec<Cell>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            Ok(match ty {
                Type::Int => Cell::Int(row.get(i)?),
                Type::Text => Cell::Text(row.get(i)?),
                Type::Bool => Cell::Bool(row.get(i)?),
                Type::Date => Cell::Date(
                    row.get::<_, Option<String>>(i)?
                        .as_deref()
                        .map(parse_date)
                        .transpose()?,
                ),
                Type::Time => Cell::Time(
                    row.get::<_, Option<String>>(i)?
                        .as_deref()
                        .map(parse_ts)
                        .transpose()?,
                ),
            })
        })
        .collect()
}

/// Runs `sql` (`$n` placeholders) with `params`, returning its rows read as `columns`.
pub(super) fn exec(
    conn: &Connection,
    sql: &str,
    params: Vec<Cell>,
    columns: &[(&str, Type)],
) -> StoreResult<Vec<Vec<Cell>>> {
    let mut stmt = conn.prepare_cached(&sql.replace('$', "?"))?;
    let values: Vec<Value> = params.into_iter().map(value).collect();
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| cells(columns, r))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes `rows` of the ledger: inserted, or updated by key unless the entity is append-only.
pub(super) fn write<'a, T: 'a>(
    tx: &Connection,
    ledger_id: i64,
    stored: &Stored<T>,
    rows: impl IntoIterator<Item = &'a T>,
) -> StoreResult<()> {
    let marks: Vec<String> = (1..=stored.columns.len() + 1)
        .map(|i| format!("?{i}"))
        .collect();
    // An upsert updates the row where it is: `INSERT OR REPLACE` would delete it and insert
    // it again, rewriting every index entry of the row, changed or not.
    let conflict = stored.on_conflict();
    let sql = format!(
        "INSERT INTO {} (ledger_id, {}) VALUES ({}){conflict}",
        stored.table,
        stored.names(),
        marks.join(", ")
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    for row in rows {
        let mut values = vec![Value::Integer(ledger_id)];
        values.extend((stored.to_row)(row).into_iter().map(value));
        stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

/// The rows `sql` selects (the description's columns, in order), read back into values.
pub(super) fn query<T>(
    conn: &Connection,
    stored: &Stored<T>,
    sql: &str,
    params: &[&dyn ToSql],
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| cells(stored.columns, r))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(stored.read(row?)?);
    }
    Ok(out)
}

/// `SELECT <columns> FROM <table> WHERE ledger_id = ?1`, through `index` when given: without
/// statistics SQLite would rather scan a ledger's whole history by primary key.
pub(super) fn select<T>(stored: &Stored<T>, index: Option<&str>) -> String {
    match index {
        None => stored.select("?1"),
        Some(index) => format!(
            "SELECT {} FROM {} INDEXED BY {index} WHERE ledger_id = ?1",
            stored.names(),
            stored.table
        ),
    }
}
