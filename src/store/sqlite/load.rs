//! Reading a ledger back into memory: its whole live state, or the live rows among the keys
//! other processes changed (catch-up). Callers run it inside one transaction, so what it reads
//! is consistent.

use std::collections::BTreeSet;

use rusqlite::Connection;
use rusqlite::types::ToSql;

use super::cells;
use super::*;
use crate::store::columns::*;

// The live rows are read through partial indexes, named: without statistics SQLite would
// rather scan a ledger's whole history by primary key.

/// Which rows of a ledger a read takes.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Its whole live state.
    Whole,
    /// The live rows among these keys.
    Changed(&'a Changes),
}

/// `stored` rows of `sql` for the ledger; in a changed scope, only those whose `column` is
/// among `keys` (`AND column IN keys` is appended, so `sql` ends in its own conditions).
fn select<T, K: serde::Serialize>(
    tx: &Connection,
    ledger_id: i64,
    stored: &Stored<T>,
    sql: &str,
    only: Option<(&str, &K)>,
) -> StoreResult<Vec<T>> {
    let keys = only.map(|(column, keys)| {
        let json = serde_json::to_string(keys).expect("keys serialize");
        (column, json)
    });
    let sql = match &keys {
        // Records are keyed by (kind, key): pairs arrive as two-element arrays.
        Some((column, _)) if column.starts_with('(') => format!(
            "{sql} AND {column} IN
                 (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
                  FROM json_each(?2))"
        ),
        Some((column, _)) => format!("{sql} AND {column} IN (SELECT value FROM json_each(?2))"),
        None => sql.to_string(),
    };
    let mut params: Vec<&dyn ToSql> = vec![&ledger_id];
    if let Some((_, json)) = &keys {
        params.push(json);
    }
    cells::query(tx, stored, &sql, &params)
}

/// The keys of a changed scope, or `None` (every row) for the whole ledger; `Some` of an
/// empty set reads nothing.
fn keys<'a, K>(scope: Scope<'a>, pick: impl Fn(&'a Changes) -> &'a K) -> Option<&'a K> {
    match scope {
        Scope::Whole => None,
        Scope::Changed(changes) => Some(pick(changes)),
    }
}

pub(super) fn snapshot(tx: &Connection, ledger_id: i64) -> StoreResult<Snapshot> {
    let mut snap = rows(tx, ledger_id, Scope::Whole)?;
    snap.version = tx.query_row(
        "SELECT version FROM ledgers WHERE id = ?1",
        [ledger_id],
        |r| r.get(0),
    )?;
    let max = |stored_max: String| -> rusqlite::Result<i64> {
        tx.query_row(&stored_max, [ledger_id], |r| r.get(0))
    };
    snap.max_ids = Counters {
        customer: max(CUSTOMERS.max_key("?1"))?,
        account: max(ACCOUNTS.max_key("?1"))?,
        hold: max(HOLDS.max_key("?1"))?,
        transaction: max(TRANSACTIONS.max_key("?1"))?,
        session: max(SESSIONS.max_key("?1"))?,
        payment: max(PAYMENTS.max_key("?1"))?,
        recharge: max(RECHARGES.max_key("?1"))?,
        bill: max(BILLS.max_key("?1"))?,
        event: max(EVENTS.max_key("?1"))?,
        // Card order is derived from the loaded cards on restore.
        ..Counters::default()
    };
    Ok(snap)
}

/// The rows of `scope`; for a whole ledger, without its version and counters.
pub(super) fn rows(tx: &Connection, ledger_id: i64, scope: Scope<'_>) -> StoreResult<Snapshot> {
    let mut snap = Snapshot::default();
    let customers = keys(scope, |c| &c.customers);
    if !skip(customers) {
        let sql = cells::select(&CUSTOMERS, None);
        snap.customers = select(
            tx,
            ledger_id,
            &CUSTOMERS,
            &sql,
            customers.map(|k| ("id", k)),
        )?;
    }
    let accounts = keys(scope, |c| &c.accounts);
    if !skip(accounts) {
        let sql = cells::select(&ACCOUNTS, None);
        snap.accounts = select(tx, ledger_id, &ACCOUNTS, &sql, accounts.map(|k| ("id", k)))?;
    }
    let cards = keys(scope, |c| &c.cards);
    if !skip(cards) {
        let sql = cells::select(&CARDS, None);
        snap.cards = select(tx, ledger_id, &CARDS, &sql, cards.map(|k| ("token", k)))?;
    }
    let bills = keys(scope, |c| &c.bills);
    if !skip(bills) {
        let sql = format!("{} AND open = 1", cells::select(&BILLS, Some("bills_open")));
        snap.bills = select(tx, ledger_id, &BILLS, &sql, bills.map(|k| ("bill_no", k)))?;
    }
    let records = keys(scope, |c| &c.records);
    if !skip(records) {
        let sql = format!("{} AND live = 1", cells::select(&RECORDS, None));
        let only = records.map(|k| ("(kind, key)", k));
        snap.records = select(tx, ledger_id, &RECORDS, &sql, only)?
            .into_iter()
            .map(|r| (r.kind, r.key, r.body))
            .collect();
    }
    let holds = keys(scope, |c| &c.holds);
    if !skip(holds) {
        let sql = format!(
            "{} AND status = 'active'",
            cells::select(&HOLDS, Some("holds_active"))
        );
        snap.holds = select(tx, ledger_id, &HOLDS, &sql, holds.map(|k| ("id", k)))?;
    }
    sessions(tx, ledger_id, scope, &mut snap)?;
    let recharges = keys(scope, |c| &c.recharges);
    if !skip(recharges) {
        let sql = format!(
            "{} AND state = 'created'",
            cells::select(&RECHARGES, Some("recharge_payments_created"))
        );
        let only = recharges.map(|k| ("id", k));
        snap.recharges = select(tx, ledger_id, &RECHARGES, &sql, only)?;
    }
    Ok(snap)
}

/// Open sessions with their payments; in a changed scope, the changed open sessions with all
/// their payments, and the changed payments of open sessions.
fn sessions(
    tx: &Connection,
    ledger_id: i64,
    scope: Scope<'_>,
    snap: &mut Snapshot,
) -> StoreResult<()> {
    let open = format!(
        "{} AND status = 'open'",
        cells::select(&SESSIONS, Some("myq_sessions_open"))
    );
    let of_open = format!(
        "{} AND session_id IN
             (SELECT id FROM myq_sessions INDEXED BY myq_sessions_open
              WHERE ledger_id = ?1 AND status = 'open')",
        cells::select(&PAYMENTS, None)
    );
    let (open, of_open) = (open.as_str(), of_open.as_str());
    match scope {
        Scope::Whole => {
            snap.sessions = select::<_, ()>(tx, ledger_id, &SESSIONS, open, None)?;
            snap.payments = select::<_, ()>(tx, ledger_id, &PAYMENTS, of_open, None)?;
        }
        Scope::Changed(changes) => {
            if !changes.sessions.is_empty() {
                let only = Some(("id", &changes.sessions));
                snap.sessions = select(tx, ledger_id, &SESSIONS, open, only)?;
                let only = Some(("session_id", &changes.sessions));
                snap.payments = select(tx, ledger_id, &PAYMENTS, of_open, only)?;
            }
            let others: BTreeSet<i64> = changes
                .payments
                .iter()
                .filter(|id| !snap.payments.iter().any(|p| p.id == **id))
                .copied()
                .collect();
            if !others.is_empty() {
                let only = Some(("id", &others));
                snap.payments
                    .extend(select(tx, ledger_id, &PAYMENTS, of_open, only)?);
            }
        }
    }
    snap.payments.sort_by_key(|p| p.id);
    let mut by_session: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for p in &snap.payments {
        by_session.entry(p.session_id).or_default().push(p.id);
    }
    for s in &mut snap.sessions {
        s.payments = by_session.remove(&s.id).unwrap_or_default();
    }
    Ok(())
}

/// Whether a changed scope has no keys of a kind: nothing to read.
fn skip<K>(keys: Option<&BTreeSet<K>>) -> bool {
    keys.is_some_and(BTreeSet::is_empty)
}
