//! Reading a ledger back into memory: its whole live state, or the live rows among the keys
//! other processes changed (catch-up). Callers run it inside one transaction; the queries of
//! one read are sent together (pipelined), so a read costs about one round trip.

use std::collections::BTreeSet;

use deadpool_postgres::ClientWrapper;
use tokio_postgres::types::ToSql;

use super::cells;
use super::*;
use crate::store::columns::*;

/// Which rows of a ledger a read takes.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Its whole live state.
    Whole,
    /// The live rows among these keys.
    Changed(&'a Changes),
}

type Param = Box<dyn ToSql + Sync + Send>;

/// What of a table a read takes: every row (`All`), the rows matching a condition on keys
/// bound from `$2`, or nothing (a changed scope without keys of this kind).
enum Filter {
    All,
    Only(String, Vec<Param>),
    Nothing,
}

/// Rows of `sql` (whose `$1` is the ledger and which ends in its own conditions) narrowed
/// by `filter`.
async fn select<T>(
    c: &ClientWrapper,
    ledger_id: i64,
    stored: &Stored<T>,
    sql: &str,
    filter: Filter,
) -> StoreResult<Vec<T>> {
    let (sql, params) = match filter {
        Filter::Nothing => return Ok(Vec::new()),
        Filter::All => (sql.to_string(), Vec::new()),
        Filter::Only(condition, params) => (format!("{sql} AND {condition}"), params),
    };
    let statement = c.prepare_cached(&sql).await?;
    let mut bound: Vec<&(dyn ToSql + Sync)> = vec![&ledger_id];
    bound.extend(params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)));
    cells::read(stored, c.query(&statement, &bound).await?)
}

/// The filter of a scope on `column` for the keys `pick` chooses.
fn among<K: Clone + ToSql + Sync + Send + 'static>(
    scope: Scope<'_>,
    column: &str,
    pick: impl Fn(&Changes) -> &BTreeSet<K>,
) -> Filter {
    match scope {
        Scope::Whole => Filter::All,
        Scope::Changed(changes) if pick(changes).is_empty() => Filter::Nothing,
        Scope::Changed(changes) => {
            let keys: Vec<K> = pick(changes).iter().cloned().collect();
            Filter::Only(format!("{column} = ANY($2)"), vec![Box::new(keys)])
        }
    }
}

pub(super) async fn snapshot(c: &ClientWrapper, ledger_id: i64) -> StoreResult<Snapshot> {
    let id = [&ledger_id as &(dyn ToSql + Sync)];
    // The last id of each kind, in the order `max_ids` takes them below.
    let maxima: Vec<String> = [
        CUSTOMERS.max_key("$1"),
        ACCOUNTS.max_key("$1"),
        HOLDS.max_key("$1"),
        TRANSACTIONS.max_key("$1"),
        SESSIONS.max_key("$1"),
        PAYMENTS.max_key("$1"),
        RECHARGES.max_key("$1"),
        BILLS.max_key("$1"),
        EVENTS.max_key("$1"),
    ]
    .iter()
    .map(|sql| format!("({sql})"))
    .collect();
    let sql = format!(
        "SELECT version, {} FROM ledgers WHERE id = $1",
        maxima.join(", ")
    );
    let counters = c.query_one(&sql, &id);
    let (max, mut snap) = tokio::try_join!(
        async { Ok::<_, StoreError>(counters.await?) },
        self::rows_of(c, ledger_id, Scope::Whole)
    )?;
    snap.version = max.try_get(0)?;
    snap.max_ids = Counters {
        customer: max.try_get(1)?,
        account: max.try_get(2)?,
        hold: max.try_get(3)?,
        transaction: max.try_get(4)?,
        session: max.try_get(5)?,
        payment: max.try_get(6)?,
        recharge: max.try_get(7)?,
        bill: max.try_get(8)?,
        event: max.try_get(9)?,
        // Card order is derived from the loaded cards on restore.
        ..Counters::default()
    };
    Ok(snap)
}

/// The rows of `scope`; for a whole ledger, without its version and counters.
pub(super) async fn rows_of(
    c: &ClientWrapper,
    ledger_id: i64,
    scope: Scope<'_>,
) -> StoreResult<Snapshot> {
    let (customers_sql, accounts_sql, cards_sql, bills_sql) = (
        CUSTOMERS.select("$1"),
        ACCOUNTS.select("$1"),
        CARDS.select("$1"),
        format!("{} AND open", BILLS.select("$1")),
    );
    let records_sql = format!("{} AND live", RECORDS.select("$1"));
    let holds_sql = format!("{} AND status = 'active'", HOLDS.select("$1"));
    let recharges_sql = format!("{} AND state = 'created'", RECHARGES.select("$1"));
    let customers = select(
        c,
        ledger_id,
        &CUSTOMERS,
        &customers_sql,
        among(scope, "id", |c| &c.customers),
    );
    let accounts = select(
        c,
        ledger_id,
        &ACCOUNTS,
        &accounts_sql,
        among(scope, "id", |c| &c.accounts),
    );
    let cards = select(
        c,
        ledger_id,
        &CARDS,
        &cards_sql,
        among(scope, "token", |c| &c.cards),
    );
    let bills = select(
        c,
        ledger_id,
        &BILLS,
        &bills_sql,
        among(scope, "bill_no", |c| &c.bills),
    );
    let records = async {
        let rows = select(c, ledger_id, &RECORDS, &records_sql, records_among(scope)).await?;
        Ok::<_, StoreError>(rows.into_iter().map(|r| (r.kind, r.key, r.body)).collect())
    };
    let holds = select(
        c,
        ledger_id,
        &HOLDS,
        &holds_sql,
        among(scope, "id", |c| &c.holds),
    );
    let recharges = select(
        c,
        ledger_id,
        &RECHARGES,
        &recharges_sql,
        among(scope, "id", |c| &c.recharges),
    );
    let (customers, accounts, cards, bills, records, holds, recharges, (sessions, payments)) = tokio::try_join!(
        customers,
        accounts,
        cards,
        bills,
        records,
        holds,
        recharges,
        sessions_of(c, ledger_id, scope)
    )?;
    Ok(Snapshot {
        customers,
        accounts,
        holds,
        sessions,
        recharges,
        cards,
        bills,
        records,
        payments,
        ..Snapshot::default()
    })
}

/// Records are keyed by (kind, key).
fn records_among(scope: Scope<'_>) -> Filter {
    match scope {
        Scope::Whole => Filter::All,
        Scope::Changed(changes) if changes.records.is_empty() => Filter::Nothing,
        Scope::Changed(changes) => {
            let (kinds, keys): (Vec<String>, Vec<String>) = changes.records.iter().cloned().unzip();
            Filter::Only(
                "(kind, key) IN (SELECT * FROM unnest($2::text[], $3::text[]))".into(),
                vec![Box::new(kinds), Box::new(keys)],
            )
        }
    }
}

/// Open sessions with their payments; in a changed scope, the changed open sessions with all
/// their payments, and the changed payments of open sessions.
async fn sessions_of(
    c: &ClientWrapper,
    ledger_id: i64,
    scope: Scope<'_>,
) -> StoreResult<(Vec<Session>, Vec<SessionPayment>)> {
    let open = format!("{} AND status = 'open'", SESSIONS.select("$1"));
    let of_open = format!(
        "{} AND session_id IN
             (SELECT id FROM myq_sessions WHERE ledger_id = $1 AND status = 'open')",
        PAYMENTS.select("$1")
    );
    let payments_filter = match scope {
        Scope::Whole => Filter::All,
        Scope::Changed(changes) if changes.sessions.is_empty() && changes.payments.is_empty() => {
            Filter::Nothing
        }
        Scope::Changed(changes) => {
            let sessions: Vec<i64> = changes.sessions.iter().copied().collect();
            let payments: Vec<i64> = changes.payments.iter().copied().collect();
            Filter::Only(
                "(session_id = ANY($2) OR id = ANY($3))".into(),
                vec![Box::new(sessions), Box::new(payments)],
            )
        }
    };
    let (mut sessions, mut payments) = tokio::try_join!(
        select(
            c,
            ledger_id,
            &SESSIONS,
            &open,
            among(scope, "id", |c| &c.sessions)
        ),
        select(c, ledger_id, &PAYMENTS, &of_open, payments_filter)
    )?;
    payments.sort_by_key(|p| p.id);
    let mut by_session: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for p in &payments {
        by_session.entry(p.session_id).or_default().push(p.id);
    }
    for s in &mut sessions {
        s.payments = by_session.remove(&s.id).unwrap_or_default();
    }
    Ok((sessions, payments))
}
