//! How a `Cell` of the shared entity descriptions travels through PostgreSQL: in native
//! types, and written a column at a time as arrays (see `persist::upsert`).

use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::StoreResult;
use crate::store::columns::{Cell, Stored, Type};

type Param = Box<dyn ToSql + Sync + Send>;

pub(super) fn sql_type(ty: Type) -> &'static str {
    match ty {
        Type::Int => "bigint",
        Type::Text => "text",
        Type::Bool => "bool",
        Type::Date => "date",
        Type::Time => "timestamptz",
    }
}

/// One array parameter per column of `rows`, each of its column's type.
pub(super) fn arrays(columns: &[(&str, Type)], rows: Vec<Vec<Cell>>) -> Vec<Param> {
    let mut by_column: Vec<Vec<Cell>> = columns.iter().map(|_| Vec::new()).collect();
    for row in rows {
        for (column, cell) in by_column.iter_mut().zip(row) {
            column.push(cell);
        }
    }
    columns
        .iter()
        .zip(by_column)
        .map(|((name, ty), cells)| array(name, *ty, cells))
        .collect()
}

fn array(name: &str, ty: Type, cells: Vec<Cell>) -> Param {
    let wrong = |cell: &Cell| -> ! { panic!("column {name} is {ty:?}, a row gave {cell:?}") };
    macro_rules! collect {
        ($variant:ident) => {
            Box::new(
                cells
                    .into_iter()
                    .map(|c| match c {
                        Cell::$variant(v) => v,
                        other => wrong(&other),
                    })
                    .collect::<Vec<_>>(),
            )
        };
    }
    match ty {
        Type::Int => collect!(Int),
        Type::Text => collect!(Text),
        Type::Bool => collect!(Bool),
        Type::Date => collect!(Date),
        Type::Time => collect!(Time),
    }
}

fn cells(columns: &[(&str, Type)], row: &Row) -> StoreResult<Vec<Cell>> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| {
            Ok(match ty {
                Type::Int => Cell::Int(row.try_get(i)?),
                Type::Text => Cell::Text(row.try_get(i)?),
                Type::Bool => Cell::Bool(row.try_get(i)?),
                Type::Date => Cell::Date(row.try_get(i)?),
                Type::Time => Cell::Time(row.try_get(i)?),
            })
        })
        .collect()
}

/// One cell as a statement parameter of its own type.
pub(super) fn param(cell: Cell) -> Param {
    match cell {
        Cell::Int(v) => Box::new(v),
        Cell::Text(v) => Box::new(v),
        Cell::Bool(v) => Box::new(v),
        Cell::Date(v) => Box::new(v),
        Cell::Time(v) => Box::new(v),
    }
}

/// `rows` read as `columns`.
pub(super) fn rows(columns: &[(&str, Type)], rows: Vec<Row>) -> StoreResult<Vec<Vec<Cell>>> {
    rows.iter().map(|r| cells(columns, r)).collect()
}

/// `rows` selected with `stored`'s columns, read back into values.
pub(super) fn read<T>(stored: &Stored<T>, rows: Vec<Row>) -> StoreResult<Vec<T>> {
    rows.iter()
        .map(|r| stored.read(cells(stored.columns, r)?))
        .collect()
}
