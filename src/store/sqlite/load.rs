//! Reading a ledger's whole state back into memory, checking that every balance equals the
//! sum of its postings. Callers run it inside one transaction, so the snapshot is consistent.

use rusqlite::Connection;

use super::*;

pub(super) fn snapshot(tx: &Connection, ledger_id: i64) -> StoreResult<Snapshot> {
    let mut snap = Snapshot {
        version: tx.query_row(
            "SELECT version FROM ledgers WHERE id = ?1",
            [ledger_id],
            |r| r.get(0),
        )?,
        ..Snapshot::default()
    };
    {
        let mut stmt = tx.prepare(
            "SELECT id, customer_no, name, email, msisdn, national_id, username, aliases,
                    cards, personal_number, default_account, pep
             FROM customers WHERE ledger_id = ?1",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
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
        })?;
        snap.customers = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT id, account_no, customer_id, status, credit_limit, balance, reserved,
                    start_date, profile_type, alias, description, charity_donation,
                    recurring_method, recurring_scope, recurring_amount
             FROM accounts WHERE ledger_id = ?1",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
            let status: String = r.get(3)?;
            Ok(Account {
                id: r.get(0)?,
                account_no: r.get(1)?,
                customer_id: r.get(2)?,
                status: AccountStatus::parse(&status)
                    .ok_or_else(|| corrupt("account status", &status))?,
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
        })?;
        snap.accounts = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT token, seq, account_id, pan_trunc, deleted, main_card, holder_number,
                    holder_name, holder_national_id
             FROM cards WHERE ledger_id = ?1",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
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
        })?;
        snap.cards = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT bill_no, account_id, bill_type, bill_date, due_date, amount, minimum, paid,
                    open, reference, fee
             FROM bills WHERE ledger_id = ?1",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
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
        })?;
        snap.bills = rows.collect::<Result<_, _>>()?;

        let mut stmt =
            tx.prepare("SELECT kind, key, body FROM records WHERE ledger_id = ?1 AND live = 1")?;
        let rows = stmt.query_map([ledger_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        snap.records = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT id, account_id, kind, amount, remaining, status, created_at, expires_at,
                    description
             FROM holds WHERE ledger_id = ?1 AND status = 'active'",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
            let kind: String = r.get(2)?;
            let status: String = r.get(5)?;
            Ok(Hold {
                id: r.get(0)?,
                account_id: r.get(1)?,
                kind: HoldKind::parse(&kind).ok_or_else(|| corrupt("hold kind", &kind))?,
                amount: Amount::from_minor(r.get(3)?),
                remaining: Amount::from_minor(r.get(4)?),
                status: HoldStatus::parse(&status)
                    .ok_or_else(|| corrupt("hold status", &status))?,
                created_at: parse_ts(&r.get::<_, String>(6)?)?,
                expires_at: r
                    .get::<_, Option<String>>(7)?
                    .as_deref()
                    .map(parse_ts)
                    .transpose()?,
                description: r.get(8)?,
            })
        })?;
        snap.holds = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT id, session_id, requested, permitted, from_block, hold_id, p.status
             FROM myq_payments p
             WHERE ledger_id = ?1 AND session_id IN
                 (SELECT id FROM myq_sessions WHERE ledger_id = ?1 AND status = 'open')
             ORDER BY id",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
            let status: String = r.get(6)?;
            Ok(SessionPayment {
                id: r.get(0)?,
                session_id: r.get(1)?,
                requested: Amount::from_minor(r.get(2)?),
                permitted: Amount::from_minor(r.get(3)?),
                from_block: Amount::from_minor(r.get(4)?),
                hold_id: r.get(5)?,
                status: PaymentStatus::parse(&status)
                    .ok_or_else(|| corrupt("payment status", &status))?,
            })
        })?;
        snap.payments = rows.collect::<Result<_, _>>()?;

        let mut stmt = tx.prepare(
            "SELECT id, account_id, created_at, last_activity, block_hold
             FROM myq_sessions WHERE ledger_id = ?1 AND status = 'open'",
        )?;
        let rows = stmt.query_map([ledger_id], |r| {
            Ok(Session {
                id: r.get(0)?,
                account_id: r.get(1)?,
                status: SessionStatus::Open,
                created_at: parse_ts(&r.get::<_, String>(2)?)?,
                last_activity: parse_ts(&r.get::<_, String>(3)?)?,
                block_hold: r.get(4)?,
                payments: Vec::new(),
            })
        })?;
        snap.sessions = rows.collect::<Result<_, _>>()?;

        let mut by_session: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        for p in &snap.payments {
            by_session.entry(p.session_id).or_default().push(p.id);
        }
        for s in &mut snap.sessions {
            s.payments = by_session.remove(&s.id).unwrap_or_default();
        }

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

        let mut stmt = tx.prepare(&format!(
            "SELECT {RECHARGE_COLUMNS} FROM recharge_payments
             WHERE ledger_id = ?1 AND state = 'created'"
        ))?;
        let rows = stmt.query_map([ledger_id], recharge)?;
        snap.recharges = rows.collect::<Result<_, _>>()?;
    }
    Ok(snap)
}
