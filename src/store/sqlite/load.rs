//! Reading a ledger back into memory: its whole live state, or the live rows among the keys
//! other processes changed (catch-up). Callers run it inside one transaction, so what it reads
//! is consistent.

use std::collections::BTreeSet;

use rusqlite::Connection;
use rusqlite::types::ToSql;

use super::*;

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

/// `rows` of `sql` for the ledger; in a changed scope, only those whose `column` is among
/// `keys` (`AND column IN keys` is appended, so `sql` ends in its own conditions).
fn select<T, K: serde::Serialize>(
    tx: &Connection,
    ledger_id: i64,
    sql: &str,
    only: Option<(&str, &K)>,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
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
    let mut stmt = tx.prepare_cached(&sql)?;
    let rows = stmt.query_map(&params[..], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
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
    let max = |table: &str| -> rusqlite::Result<i64> {
        tx.query_row(
            &format!("SELECT COALESCE(MAX(id), 0) FROM {table} WHERE ledger_id = ?1"),
            [ledger_id],
            |r| r.get(0),
        )
    };
    snap.max_ids = Counters {
        customer: max("customers")?,
        account: max("accounts")?,
        hold: max("holds")?,
        transaction: max("transactions")?,
        session: max("myq_sessions")?,
        payment: max("myq_payments")?,
        recharge: max("recharge_payments")?,
        // Bill numbers and card order are derived from the loaded rows on restore.
        ..Counters::default()
    };
    Ok(snap)
}

/// The rows of `scope`; for a whole ledger, without its version and counters.
pub(super) fn rows(tx: &Connection, ledger_id: i64, scope: Scope<'_>) -> StoreResult<Snapshot> {
    let mut snap = Snapshot::default();
    let customers = keys(scope, |c| &c.customers);
    if !skip(customers) {
        snap.customers = select(
            tx,
            ledger_id,
            "SELECT id, customer_no, name, email, msisdn, national_id, username, aliases,
                    cards, personal_number, default_account, pep
             FROM customers WHERE ledger_id = ?1",
            customers.map(|k| ("id", k)),
            CUSTOMER,
        )?;
    }
    let accounts = keys(scope, |c| &c.accounts);
    if !skip(accounts) {
        snap.accounts = select(
            tx,
            ledger_id,
            "SELECT id, account_no, customer_id, status, credit_limit, balance, reserved,
                    start_date, profile_type, alias, description, charity_donation,
                    recurring_method, recurring_scope, recurring_amount
             FROM accounts WHERE ledger_id = ?1",
            accounts.map(|k| ("id", k)),
            ACCOUNT,
        )?;
    }
    let cards = keys(scope, |c| &c.cards);
    if !skip(cards) {
        snap.cards = select(
            tx,
            ledger_id,
            "SELECT token, seq, account_id, pan_trunc, deleted, main_card, holder_number,
                    holder_name, holder_national_id
             FROM cards WHERE ledger_id = ?1",
            cards.map(|k| ("token", k)),
            CARD,
        )?;
    }
    let bills = keys(scope, |c| &c.bills);
    if !skip(bills) {
        snap.bills = select(
            tx,
            ledger_id,
            "SELECT bill_no, account_id, bill_type, bill_date, due_date, amount, minimum, paid,
                    open, reference, fee
             FROM bills WHERE ledger_id = ?1",
            bills.map(|k| ("bill_no", k)),
            BILL,
        )?;
    }
    let records = keys(scope, |c| &c.records);
    if !skip(records) {
        snap.records = select(
            tx,
            ledger_id,
            "SELECT kind, key, body FROM records WHERE ledger_id = ?1 AND live = 1",
            records.map(|k| ("(kind, key)", k)),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
    }
    let holds = keys(scope, |c| &c.holds);
    if !skip(holds) {
        snap.holds = select(
            tx,
            ledger_id,
            "SELECT id, account_id, kind, amount, remaining, status, created_at, expires_at,
                    description
             FROM holds INDEXED BY holds_active WHERE ledger_id = ?1 AND status = 'active'",
            holds.map(|k| ("id", k)),
            HOLD,
        )?;
    }
    sessions(tx, ledger_id, scope, &mut snap)?;
    let recharges = keys(scope, |c| &c.recharges);
    if !skip(recharges) {
        snap.recharges = select(
            tx,
            ledger_id,
            &format!(
                "SELECT {RECHARGE_COLUMNS} FROM recharge_payments INDEXED BY recharge_payments_created
                 WHERE ledger_id = ?1 AND state = 'created'"
            ),
            recharges.map(|k| ("id", k)),
            recharge,
        )?;
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
    const OPEN: &str = "SELECT id, account_id, created_at, last_activity, block_hold
         FROM myq_sessions INDEXED BY myq_sessions_open WHERE ledger_id = ?1 AND status = 'open'";
    const PAYMENTS: &str =
        "SELECT id, session_id, requested, permitted, from_block, hold_id, status
         FROM myq_payments
         WHERE ledger_id = ?1 AND session_id IN
             (SELECT id FROM myq_sessions INDEXED BY myq_sessions_open
              WHERE ledger_id = ?1 AND status = 'open')";
    match scope {
        Scope::Whole => {
            snap.sessions = select::<_, ()>(tx, ledger_id, OPEN, None, SESSION)?;
            snap.payments = select::<_, ()>(tx, ledger_id, PAYMENTS, None, PAYMENT)?;
        }
        Scope::Changed(changes) => {
            if !changes.sessions.is_empty() {
                let only = Some(("id", &changes.sessions));
                snap.sessions = select(tx, ledger_id, OPEN, only, SESSION)?;
                let only = Some(("session_id", &changes.sessions));
                snap.payments = select(tx, ledger_id, PAYMENTS, only, PAYMENT)?;
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
                    .extend(select(tx, ledger_id, PAYMENTS, only, PAYMENT)?);
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

type Mapper<T> = fn(&Row<'_>) -> rusqlite::Result<T>;

const CUSTOMER: Mapper<Customer> = |r| {
    let nid: Option<String> = r.get(5)?;
    Ok(Customer {
        id: r.get(0)?,
        customer_no: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        msisdn: r.get(4)?,
        national_id: nid.and_then(|s| serde_json::from_str(&s).ok()),
        username: r.get(6)?,
        aliases: json_list(&r.get::<_, String>(7)?)?,
        cards: json_list(&r.get::<_, String>(8)?)?,
        personal_number: r.get(9)?,
        default_account: r.get(10)?,
        pep: r.get(11)?,
    })
};

const ACCOUNT: Mapper<Account> = |r| {
    let status: String = r.get(3)?;
    Ok(Account {
        id: r.get(0)?,
        account_no: r.get(1)?,
        customer_id: r.get(2)?,
        status: AccountStatus::parse(&status).ok_or_else(|| corrupt("account status", &status))?,
        credit_limit: Amount::from_minor(r.get(4)?),
        balance: Amount::from_minor(r.get(5)?),
        reserved: Amount::from_minor(r.get(6)?),
        start_date: parse_date(&r.get::<_, String>(7)?)?,
        profile_type: r.get(8)?,
        alias: r.get(9)?,
        description: r.get(10)?,
        charity_donation: r.get(11)?,
        recurring: match (
            r.get::<_, Option<String>>(12)?,
            r.get::<_, Option<String>>(13)?,
        ) {
            (Some(method), Some(scope)) => Some(RecurringSetting {
                method,
                scope,
                fixed_amount: r.get::<_, Option<i64>>(14)?.map(Amount::from_minor),
            }),
            _ => None,
        },
    })
};

const CARD: Mapper<Card> = |r| {
    let nid: Option<String> = r.get(8)?;
    Ok(Card {
        token: r.get(0)?,
        seq: r.get(1)?,
        account_id: r.get(2)?,
        pan_trunc: r.get(3)?,
        deleted: r.get(4)?,
        main_card: r.get(5)?,
        holder_number: r.get(6)?,
        holder_name: r.get(7)?,
        holder_national_id: nid.and_then(|s| serde_json::from_str(&s).ok()),
    })
};

const BILL: Mapper<Bill> = |r| {
    let kind: String = r.get(2)?;
    Ok(Bill {
        bill_no: r.get(0)?,
        account_id: r.get(1)?,
        bill_type: BillType::parse(&kind).ok_or_else(|| corrupt("bill type", &kind))?,
        bill_date: parse_date(&r.get::<_, String>(3)?)?,
        due_date: parse_date(&r.get::<_, String>(4)?)?,
        amount: Amount::from_minor(r.get(5)?),
        minimum: Amount::from_minor(r.get(6)?),
        paid: Amount::from_minor(r.get(7)?),
        open: r.get(8)?,
        reference: r.get(9)?,
        fee: Amount::from_minor(r.get(10)?),
    })
};

const HOLD: Mapper<Hold> = |r| {
    let kind: String = r.get(2)?;
    let status: String = r.get(5)?;
    Ok(Hold {
        id: r.get(0)?,
        account_id: r.get(1)?,
        kind: HoldKind::parse(&kind).ok_or_else(|| corrupt("hold kind", &kind))?,
        amount: Amount::from_minor(r.get(3)?),
        remaining: Amount::from_minor(r.get(4)?),
        status: HoldStatus::parse(&status).ok_or_else(|| corrupt("hold status", &status))?,
        created_at: parse_ts(&r.get::<_, String>(6)?)?,
        expires_at: r
            .get::<_, Option<String>>(7)?
            .as_deref()
            .map(parse_ts)
            .transpose()?,
        description: r.get(8)?,
    })
};

const PAYMENT: Mapper<SessionPayment> = |r| {
    let status: String = r.get(6)?;
    Ok(SessionPayment {
        id: r.get(0)?,
        session_id: r.get(1)?,
        requested: Amount::from_minor(r.get(2)?),
        permitted: Amount::from_minor(r.get(3)?),
        from_block: Amount::from_minor(r.get(4)?),
        hold_id: r.get(5)?,
        status: PaymentStatus::parse(&status).ok_or_else(|| corrupt("payment status", &status))?,
    })
};

const SESSION: Mapper<Session> = |r| {
    Ok(Session {
        id: r.get(0)?,
        account_id: r.get(1)?,
        status: SessionStatus::Open,
        created_at: parse_ts(&r.get::<_, String>(2)?)?,
        last_activity: parse_ts(&r.get::<_, String>(3)?)?,
        block_hold: r.get(4)?,
        payments: Vec::new(),
    })
};
