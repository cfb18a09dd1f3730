//! Writing one batch of changes, every dirty row and new posting, inside the caller's
//! transaction.

use rusqlite::{Connection, params};

use super::*;

pub(super) fn rows(tx: &Connection, ledger: &Ledger, dirty: &Dirty) -> StoreResult<()> {
    let lid = ledger.info.id;
    if dirty.info {
        tx.prepare_cached("UPDATE ledgers SET name = ?2, settings = ?3 WHERE id = ?1")?
            .execute(params![
                lid,
                ledger.info.name,
                serde_json::to_string(&ledger.info.settings).expect("settings serialize")
            ])?;
    }
    for id in &dirty.customers {
        let c = ledger.customer(*id).expect("dirty customer exists");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO customers (ledger_id, id, customer_no, name, email, msisdn,
                 national_id, username, aliases, cards, personal_number, default_account, pep)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            lid,
            c.id,
            c.customer_no,
            c.name,
            c.email,
            c.msisdn,
            c.national_id
                .as_ref()
                .map(|n| serde_json::to_string(n).expect("id serializes")),
            c.username,
            serde_json::to_string(&c.aliases).expect("list serializes"),
            serde_json::to_string(&c.cards).expect("list serializes"),
            c.personal_number,
            c.default_account,
            c.pep,
        ])?;
    }
    for id in &dirty.accounts {
        let a = ledger.account(*id).expect("dirty account exists");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO accounts (ledger_id, id, account_no, customer_id, status,
                 credit_limit, balance, reserved, start_date, profile_type, alias, description,
                 charity_donation, recurring_method, recurring_scope, recurring_amount)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            lid,
            a.id,
            a.account_no,
            a.customer_id,
            a.status.as_str(),
            a.credit_limit.minor(),
            a.balance.minor(),
            a.reserved.minor(),
            a.start_date.to_string(),
            a.profile_type,
            a.alias,
            a.description,
            a.charity_donation,
            a.recurring.as_ref().map(|r| &r.method),
            a.recurring.as_ref().map(|r| &r.scope),
            a.recurring
                .as_ref()
                .and_then(|r| r.fixed_amount)
                .map(Amount::minor),
        ])?;
    }
    for (kind, key) in &dirty.records {
        let body = ledger.record_json(kind, key).expect("dirty record exists");
        let live = ledger.record_is_live(kind, key);
        tx.prepare_cached(
            "INSERT OR REPLACE INTO records (ledger_id, kind, key, body, live)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![lid, kind, key, body, live])?;
    }
    for no in &dirty.bills {
        let b = ledger.bill(*no).expect("dirty bill exists");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO bills (ledger_id, bill_no, account_id, bill_type, bill_date,
                 due_date, amount, minimum, paid, open, reference, fee)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            lid,
            b.bill_no,
            b.account_id,
            b.bill_type.as_str(),
            b.bill_date.to_string(),
            b.due_date.to_string(),
            b.amount.minor(),
            b.minimum.minor(),
            b.paid.minor(),
            b.open,
            b.reference,
            b.fee.minor(),
        ])?;
    }
    for (bill_no, txns) in &dirty.billed {
        for id in txns {
            tx.prepare_cached(
                "UPDATE transactions SET billed = ?3 WHERE ledger_id = ?1 AND id = ?2 AND billed IS NULL",
            )?
            .execute(params![lid, id, bill_no])?;
        }
    }
    for token in &dirty.cards {
        let c = ledger.card(token).expect("dirty card exists");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO cards (ledger_id, token, seq, account_id, pan_trunc, deleted,
                 main_card, holder_number, holder_name, holder_national_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            lid,
            c.token,
            c.seq,
            c.account_id,
            c.pan_trunc,
            c.deleted,
            c.main_card,
            c.holder_number,
            c.holder_name,
            c.holder_national_id
                .as_ref()
                .map(|n| serde_json::to_string(n).expect("id serializes")),
        ])?;
    }
    for id in &dirty.holds {
        let h = ledger.hold(*id).expect("dirty hold exists until persisted");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO holds (ledger_id, id, account_id, kind, amount, remaining,
                 status, created_at, expires_at, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            lid,
            h.id,
            h.account_id,
            h.kind.as_str(),
            h.amount.minor(),
            h.remaining.minor(),
            h.status.as_str(),
            ts(h.created_at),
            h.expires_at.map(ts),
            h.description,
        ])?;
    }
    for id in &dirty.sessions {
        let s = ledger.session(*id).expect("dirty session exists");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO myq_sessions (ledger_id, id, account_id, status, created_at,
                 last_activity, block_hold)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            lid,
            s.id,
            s.account_id,
            match s.status {
                SessionStatus::Open => "open",
                SessionStatus::Ended => "ended",
            },
            ts(s.created_at),
            ts(s.last_activity),
            s.block_hold,
        ])?;
    }
    for id in &dirty.payments {
        let p = ledger
            .payment(*id)
            .expect("dirty payment exists until persisted");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO myq_payments (ledger_id, id, session_id, requested,
                 permitted, from_block, hold_id, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            lid,
            p.id,
            p.session_id,
            p.requested.minor(),
            p.permitted.minor(),
            p.from_block.minor(),
            p.hold_id,
            p.status.as_str(),
        ])?;
    }
    for id in &dirty.recharges {
        let p = ledger
            .recharge(*id)
            .expect("dirty recharge exists until persisted");
        tx.prepare_cached(
            "INSERT OR REPLACE INTO recharge_payments (ledger_id, id, customer_id, account_id,
                 provider, amount, description, state, created_at, updated_at, payment_no)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            lid,
            p.id,
            p.customer_id,
            p.account_id,
            p.provider,
            p.amount.minor(),
            p.description,
            p.state.as_str(),
            ts(p.created_at),
            ts(p.updated_at),
            p.payment_no,
        ])?;
    }
    for t in &dirty.transactions {
        tx.prepare_cached(
            "INSERT INTO transactions (ledger_id, id, account_id, type, amount, date,
                 created_at, description, reserve_date, billed, hold_id, reference)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            lid,
            t.id,
            t.account_id,
            t.kind.as_str(),
            t.amount.minor(),
            t.date.to_string(),
            ts(t.created_at),
            t.description,
            t.reserve_date.map(|d| d.to_string()),
            t.billed,
            t.hold_id,
            t.reference,
        ])?;
    }
    Ok(())
}
