//! Reading a ledger's whole state back into memory, checking that every balance equals the
//! sum of its postings. Callers run it inside one transaction.

use deadpool_postgres::ClientWrapper;

use super::*;

fn national_id(json: Option<String>) -> Option<NationalId> {
    json.and_then(|s| serde_json::from_str(&s).ok())
}

fn json_list(json: String) -> StoreResult<Vec<String>> {
    serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("list: {e}")))
}

pub(super) async fn snapshot(c: &ClientWrapper, ledger_id: i64) -> StoreResult<Snapshot> {
    let id = [&ledger_id as &(dyn tokio_postgres::types::ToSql + Sync)];
    let mut snap = Snapshot {
        version: c
            .query_one("SELECT version FROM ledgers WHERE id = $1", &id)
            .await?
            .try_get(0)?,
        ..Snapshot::default()
    };

    let found = c
        .query(
            "SELECT id, customer_no, name, email, msisdn, national_id, username, aliases,
                    cards, personal_number, default_account, pep
             FROM customers WHERE ledger_id = $1",
            &id,
        )
        .await?;
    snap.customers = rows(found, |r| {
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
    })?;

    let found = c
        .query(
            "SELECT id, account_no, customer_id, status, credit_limit, balance, reserved,
                    start_date, profile_type, alias, description, charity_donation,
                    recurring_method, recurring_scope, recurring_amount
             FROM accounts WHERE ledger_id = $1",
            &id,
        )
        .await?;
    snap.accounts = rows(found, |r| {
        let status: String = r.try_get(3)?;
        Ok(Account {
            id: r.try_get(0)?,
            account_no: r.try_get(1)?,
            customer_id: r.try_get(2)?,
            status: AccountStatus::parse(&status)
                .ok_or_else(|| corrupt("account status", &status))?,
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
    })?;

    let found = c
        .query(
            "SELECT token, seq, account_id, pan_trunc, deleted, main_card, holder_number,
                    holder_name, holder_national_id
             FROM cards WHERE ledger_id = $1",
            &id,
        )
        .await?;
    snap.cards = rows(found, |r| {
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
    })?;

    let found = c
        .query(
            "SELECT bill_no, account_id, bill_type, bill_date, due_date, amount, minimum, paid,
                    open, reference, fee
             FROM bills WHERE ledger_id = $1",
            &id,
        )
        .await?;
    snap.bills = rows(found, |r| {
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
    })?;

    let found = c
        .query(
            "SELECT kind, key, body FROM records WHERE ledger_id = $1 AND live",
            &id,
        )
        .await?;
    snap.records = rows(found, |r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))?;

    let found = c
        .query(
            "SELECT id, account_id, kind, amount, remaining, status, created_at, expires_at,
                    description
             FROM holds WHERE ledger_id = $1 AND status = 'active'",
            &id,
        )
        .await?;
    snap.holds = rows(found, |r| {
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
    })?;

    let found = c
        .query(
            "SELECT id, session_id, requested, permitted, from_block, hold_id, status
             FROM myq_payments
             WHERE ledger_id = $1 AND session_id IN
                 (SELECT id FROM myq_sessions WHERE ledger_id = $1 AND status = 'open')
             ORDER BY id",
            &id,
        )
        .await?;
    snap.payments = rows(found, |r| {
        let status: String = r.try_get(6)?;
        Ok(SessionPayment {
            id: r.try_get(0)?,
            session_id: r.try_get(1)?,
            requested: Amount::from_minor(r.try_get(2)?),
            permitted: Amount::from_minor(r.try_get(3)?),
            from_block: Amount::from_minor(r.try_get(4)?),
            hold_id: r.try_get(5)?,
            status: PaymentStatus::parse(&status)
                .ok_or_else(|| corrupt("payment status", &status))?,
        })
    })?;

    let found = c
        .query(
            "SELECT id, account_id, created_at, last_activity, block_hold
             FROM myq_sessions WHERE ledger_id = $1 AND status = 'open'",
            &id,
        )
        .await?;
    snap.sessions = rows(found, |r| {
        Ok(Session {
            id: r.try_get(0)?,
            account_id: r.try_get(1)?,
            status: SessionStatus::Open,
            created_at: r.try_get(2)?,
            last_activity: r.try_get(3)?,
            block_hold: r.try_get(4)?,
            payments: Vec::new(),
        })
    })?;

    let mut by_session: std::collections::HashMap<i64, Vec<i64>> = Default::default();
    for p in &snap.payments {
        by_session.entry(p.session_id).or_default().push(p.id);
    }
    for s in &mut snap.sessions {
        s.payments = by_session.remove(&s.id).unwrap_or_default();
    }

    let max = c
        .query_one(
            "SELECT
                 (SELECT COALESCE(MAX(id), 0) FROM customers WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM accounts WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM holds WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM transactions WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM myq_sessions WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM myq_payments WHERE ledger_id = $1),
                 (SELECT COALESCE(MAX(id), 0) FROM recharge_payments WHERE ledger_id = $1)",
            &id,
        )
        .await?;
    snap.max_ids = Counters {
        customer: max.try_get(0)?,
        account: max.try_get(1)?,
        hold: max.try_get(2)?,
        transaction: max.try_get(3)?,
        session: max.try_get(4)?,
        payment: max.try_get(5)?,
        recharge: max.try_get(6)?,
        // Bill numbers and card order are derived from the loaded rows on restore.
        ..Counters::default()
    };

    let found = c
        .query(
            &format!(
                "SELECT {RECHARGE_COLUMNS} FROM recharge_payments
                 WHERE ledger_id = $1 AND state = 'created'"
            ),
            &id,
        )
        .await?;
    snap.recharges = rows(found, recharge)?;
    Ok(snap)
}
