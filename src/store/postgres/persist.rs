//! Writing one batch of changes: one statement per table, each row set passed as arrays and
//! expanded with UNNEST, so a batch costs a fixed number of statements however many rows it
//! holds, and all of them travel in one pipelined round trip.

use deadpool_postgres::ClientWrapper;
use tokio_postgres::types::ToSql;

use super::cells;
use super::*;
use crate::store::columns::*;
use crate::store::{held, record_rows};

type Param = Box<dyn ToSql + Sync + Send>;

/// One statement of a batch, with owned parameters so it can cross to the store's runtime.
pub(super) struct Write {
    sql: String,
    params: Vec<Param>,
}

fn col<R, T>(rows: &[R], f: impl Fn(&R) -> T) -> Param
where
    T: ToSql + Sync + Send + 'static,
{
    Box::new(rows.iter().map(f).collect::<Vec<T>>())
}

/// `INSERT … SELECT $1, * FROM UNNEST(…) ON CONFLICT (key) DO UPDATE` of `rows`, one array
/// per column; `None` without rows. Append-only rows are inserted without `ON CONFLICT`, so
/// a key collision is an error, never an update.
fn upsert<'a, T: 'a>(
    stored: &Stored<T>,
    ledger_id: i64,
    rows: impl IntoIterator<Item = &'a T>,
) -> Option<Write> {
    let rows: Vec<Vec<Cell>> = rows.into_iter().map(stored.to_row).collect();
    if rows.is_empty() {
        return None;
    }
    let names: Vec<&str> = stored.columns.iter().map(|(n, _)| *n).collect();
    let arrays: Vec<String> = stored
        .columns
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| format!("${}::{}[]", i + 2, cells::sql_type(*ty)))
        .collect();
    let conflict = stored.on_conflict();
    let mut params: Vec<Param> = vec![Box::new(ledger_id)];
    params.extend(cells::arrays(stored.columns, rows));
    Some(Write {
        sql: format!(
            "INSERT INTO {} (ledger_id, {}) SELECT $1, * FROM UNNEST({}){conflict}",
            stored.table,
            names.join(", "),
            arrays.join(", ")
        ),
        params,
    })
}

pub(super) fn statements(ledger: &Ledger, dirty: &Dirty) -> Vec<Write> {
    let lid = ledger.info.id;
    let l = ledger;
    let mut out = Vec::new();
    if dirty.info {
        out.push(Write {
            sql: "UPDATE ledgers SET name = $2, settings = $3 WHERE id = $1".into(),
            params: vec![
                Box::new(lid),
                Box::new(ledger.info.name.clone()),
                Box::new(serde_json::to_string(&ledger.info.settings).expect("settings serialize")),
            ],
        });
    }
    out.extend(upsert(
        &CUSTOMERS,
        lid,
        held(&dirty.customers, |k| l.customer(*k)),
    ));
    out.extend(upsert(
        &ACCOUNTS,
        lid,
        held(&dirty.accounts, |k| l.account(*k)),
    ));
    out.extend(upsert(&RECORDS, lid, &record_rows(l, dirty)));
    out.extend(upsert(&BILLS, lid, held(&dirty.bills, |k| l.bill(*k))));
    out.extend(upsert(&CARDS, lid, held(&dirty.cards, |k| l.card(k))));
    out.extend(upsert(&HOLDS, lid, held(&dirty.holds, |k| l.hold(*k))));
    out.extend(upsert(
        &SESSIONS,
        lid,
        held(&dirty.sessions, |k| l.session(*k)),
    ));
    out.extend(upsert(
        &PAYMENTS,
        lid,
        held(&dirty.payments, |k| l.payment(*k)),
    ));
    out.extend(upsert(
        &RECHARGES,
        lid,
        held(&dirty.recharges, |k| l.recharge(*k)),
    ));
    out.extend(upsert(&TRANSACTIONS, lid, &dirty.transactions));
    out.extend(upsert(&EVENTS, lid, &dirty.events));
    // After the postings, so transactions billed in the batch that created them are found.
    let billed: Vec<(i64, i64)> = dirty
        .billed
        .iter()
        .flat_map(|(bill, ids)| ids.iter().map(move |id| (*id, *bill)))
        .collect();
    if !billed.is_empty() {
        out.push(Write {
            sql: "UPDATE transactions t SET billed = u.bill
                  FROM UNNEST($2::bigint[], $3::bigint[]) AS u(id, bill)
                  WHERE t.ledger_id = $1 AND t.id = u.id AND t.billed IS NULL"
                .into(),
            params: vec![Box::new(lid), col(&billed, |b| b.0), col(&billed, |b| b.1)],
        });
    }
    out
}

/// Runs every write and advances the ledger's version, pipelined; returns the new version.
pub(super) async fn execute(
    c: &ClientWrapper,
    ledger_id: i64,
    token: i64,
    changes: &str,
    writes: &[Write],
) -> StoreResult<i64> {
    let mut prepared = Vec::with_capacity(writes.len());
    for w in writes {
        prepared.push(c.prepare_cached(&w.sql).await?);
    }
    // One round trip: the version advances, the batch is logged under it, and every
    // `BATCH_LOG_PRUNE_EVERY` versions the oldest entries go.
    let bump = c
        .prepare_cached(
            "WITH bumped AS (
                 UPDATE ledgers SET version = version + 1 WHERE id = $1 RETURNING version
             ), logged AS (
                 INSERT INTO ledger_batches (ledger_id, version, token, changes)
                 SELECT $1, version, $2, $5 FROM bumped RETURNING version
             ), pruned AS (
                 DELETE FROM ledger_batches
                 WHERE ledger_id = $1 AND version <= (SELECT version FROM bumped) - $3
                   AND (SELECT version FROM bumped) % $4 = 0
             )
             SELECT version FROM logged",
        )
        .await?;
    let runs = writes.iter().zip(&prepared).map(|(w, stmt)| {
        let params: Vec<&(dyn ToSql + Sync)> = w
            .params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        async move { c.execute(stmt, &params).await }
    });
    let (_, version) = futures::future::try_join(
        futures::future::try_join_all(runs),
        c.query_one(
            &bump,
            &[
                &ledger_id,
                &token,
                &super::super::BATCH_LOG_KEEP,
                &super::super::BATCH_LOG_PRUNE_EVERY,
                &changes,
            ],
        ),
    )
    .await?;
    Ok(version.try_get(0)?)
}
