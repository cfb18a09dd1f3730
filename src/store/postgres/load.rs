//! Reading a ledger back into memory: its whole live state, or the live rows among the keys
//! other processes changed (catch-up). Callers run it inside one transaction; the queries of
//! one read are sent together (pipelined), so a read costs about one round trip.

use std::collections::BTreeSet;

use deadpool_postgres::ClientWrapper;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::*;

fn national_id(json: Option<String>) -> Option<NationalId> {
    json.and_then(|s| serde_json::from_str(&s).ok())
}

fn json_list(json: String) -> StoreResult<Vec<String>> {
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("list: {e}")))
}

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
    sql: &str,
    filter: Filter,
    row: fn(&Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let (sql, params) = match filter {
        Filter::Nothing => return Ok(Vec::new()),
        Filter::All => (sql.to_string(), Vec::new()),
        Filter::Only(condition, params) => (format!("{sql} AND {condition}"), params),
    };
    let statement = c.prepare_cached(&sql).await?;
    let mut bound: Vec<&(dyn ToSql + Sync)> = vec![&ledger_id];
    bound.extend(params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)));
    rows(c.query(&statement, &bound).await?, row)
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
    let counters = c.query_one(
        "SELECT version,
             (SELECT COALESCE(MAX(id), 0) FROM customers WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM accounts WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM holds WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM transactions WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM myq_sessions WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM myq_payments WHERE ledger_id = $1),
             (SELECT COALESCE(MAX(id), 0) FROM recharge_payments WHERE ledger_id = $1)
         FROM ledgers WHERE id = $1",
        &id,
    );
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
        // Bill numbers and card order are derived from the loaded rows on restore.
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
    let customers = select(
        c,
        ledger_id,
        "SELECT id, customer_no, name, email, msisdn, national_id, username, aliases,
                cards, personal_number, default_account, pep
         FROM customers WHERE ledger_id = $1",
        among(scope, "id", |c| &c.customers),
        customer,
    );
    let accounts = select(
        c,
        ledger_id,
        "SELECT id, account_no, customer_id, status, credit_limit, balance, reserved,
                start_date, profile_type, alias, description, charity_donation,
                recurring_method, recurring_scope, recurring_amount
         FROM accounts WHERE ledger_id = $1",
        among(scope, "id", |c| &c.accounts),
        account,
    );
    let cards = select(
        c,
        ledger_id,
        "SELECT token, seq, account_id, pan_trunc, deleted, main_card, holder_number,
                holder_name, holder_national_id
         FROM cards WHERE ledger_id = $1",
        among(scope, "token", |c| &c.cards),
        card,
    );
    let bills = select(
        c,
        ledger_id,
        "SELECT bill_no, account_id, bill_type, bill_date, due_date, amount, minimum, paid,
                open, reference, fee
         FROM bills WHERE ledger_id = $1",
        among(scope, "bill_no", |c| &c.bills),
        bill,
    );
    let records = select(
        c,
        ledger_id,
        "SELECT kind, key, body FROM records WHERE ledger_id = $1 AND live",
        records_among(scope),
        |r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
    );
    let holds = select(
        c,
        ledger_id,
        "SELECT id, account_id, kind, amount, remaining, status, created_at, expires_at,
                description
         FROM holds WHERE ledger_id = $1 AND status = 'active'",
        among(scope, "id", |c| &c.holds),
        hold,
    );
    let recharge_sql = format!(
        "SELECT {RECHARGE_COLUMNS} FROM recharge_payments WHERE ledger_id = $1 AND state = 'created'"
    );
    let recharges = select(
        c,
        ledger_id,
        &recharge_sql,
        among(scope, "id", |c| &c.recharges),
        recharge,
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
    const OPEN: &str = "SELECT id, account_id, created_at, last_activity, block_hold
         FROM myq_sessions WHERE ledger_id = $1 AND status = 'open'";
    const PAYMENTS: &str =
        "SELECT id, session_id, requested, permitted, from_block, hold_id, status
         FROM myq_payments
         WHERE ledger_id = $1 AND session_id IN
             (SELECT id FROM myq_sessions WHERE ledger_id = $1 AND status = 'open')";
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
            OPEN,
            among(scope, "id", |c| &c.sessions),
            session
        ),
        select(c, ledger_id, PAYMENTS, payments_filter, payment)
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

fn customer(r: &Row) -> StoreResult<Customer> {
    Ok(Customer {
        id: r.try_get(0)?,
        customer_no: r.try_get(1)?,
        name: r.try_get(2)?,
        email: r.try_get(3)?,
        msisdn: r.try_get(4)?,
        national_id: national_id(r.try_get(5)?),
        username: r.try_get(6)?,
        aliases: json_list(r.try_get(7)?)?,
        cards: json_list(r.try_get(8)?)?,
        personal_number: r.try_get(9)?,
        default_account: r.try_get(10)?,
        pep: r.try_get(11)?,
    })
}

fn account(r: &Row) -> StoreResult<Account> {
    let status: String = r.try_get(3)?;
    Ok(Account {
        id: r.try_get(0)?,
        account_no: r.try_get(1)?,
        customer_id: r.try_get(2)?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("account status", &status))?,
        credit_limit: Amount::from_minor(r.try_get(4)?),
        balance: Amount::from_minor(r.try_get(5)?),
        reserved: Amount::from_minor(r.try_get(6)?),
        start_date: r.try_get(7)?,
        profile_type: r.try_get(8)?,
        alias: r.try_get(9)?,
        description: r.try_get(10)?,
        charity_donation: r.try_get(11)?,
        recurring: match (
            r.try_get::<_, Option<String>>(12)?,
            r.try_get::<_, Option<String>>(13)?,
        ) {
            (Some(method), Some(scope)) => Some(RecurringSetting {
                method,
                scope,
                fixed_amount: r.try_get::<_, Option<i64>>(14)?.map(Amount::from_minor),
            }),
            _ => None,
        },
    })
}

fn card(r: &Row) -> StoreResult<Card> {
    Ok(Card {
        token: r.try_get(0)?,
        seq: r.try_get(1)?,
        account_id: r.try_get(2)?,
        pan_trunc: r.try_get(3)?,
        deleted: r.try_get(4)?,
        main_card: r.try_get(5)?,
        holder_number: r.try_get(6)?,
        holder_name: r.try_get(7)?,
        holder_national_id: national_id(r.try_get(8)?),
    })
}

fn bill(r: &Row) -> StoreResult<Bill> {
    let kind: String = r.try_get(2)?;
    Ok(Bill {
        bill_no: r.try_get(0)?,
        account_id: r.try_get(1)?,
        bill_type: BillType::parse(&kind).ok_or_else(|| corrupt("bill type", &kind))?,
        bill_date: r.try_get(3)?,
        due_date: r.try_get(4)?,
        amount: Amount::from_minor(r.try_get(5)?),
        minimum: Amount::from_minor(r.try_get(6)?),
        paid: Amount::from_minor(r.try_get(7)?),
        open: r.try_get(8)?,
        reference: r.try_get(9)?,
        fee: Amount::from_minor(r.try_get(10)?),
    })
}

fn hold(r: &Row) -> StoreResult<Hold> {
    let kind: String = r.try_get(2)?;
    let status: String = r.try_get(5)?;
    Ok(Hold {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        kind: HoldKind::parse(&kind).ok_or_else(|| corrupt("hold kind", &kind))?,
        amount: Amount::from_minor(r.try_get(3)?),
        remaining: Amount::from_minor(r.try_get(4)?),
        status: HoldStatus::parse(&status).ok_or_else(|| corrupt("hold status", &status))?,
        created_at: r.try_get(6)?,
        expires_at: r.try_get(7)?,
        description: r.try_get(8)?,
    })
}

fn payment(r: &Row) -> StoreResult<SessionPayment> {
    let status: String = r.try_get(6)?;
    Ok(SessionPayment {
        id: r.try_get(0)?,
        session_id: r.try_get(1)?,
        requested: Amount::from_minor(r.try_get(2)?),
        permitted: Amount::from_minor(r.try_get(3)?),
        from_block: Amount::from_minor(r.try_get(4)?),
        hold_id: r.try_get(5)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("payment status", &status))?,
    })
}

fn session(r: &Row) -> StoreResult<Session> {
    Ok(Session {
        id: r.try_get(0)?,
        account_id: r.try_get(1)?,
        status: SessionStatus::Open,
        created_at: r.try_get(2)?,
        last_activity: r.try_get(3)?,
        block_hold: r.try_get(4)?,
        payments: Vec::new(),
    })
}
