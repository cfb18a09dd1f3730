//! JSON shapes of the admin API.

use serde_json::{Value, json};

use crate::ledger::{Account, Customer, Ledger, LedgerInfo, Transaction};

pub fn ledger(info: &LedgerInfo) -> Value {
    json!({
        "ledgerNo": info.ledger_no,
        "name": info.name,
        "currency": info.currency,
        "settings": info.settings,
    })
}

pub fn customer(l: &Ledger, c: &Customer) -> Value {
    json!({
        "id": c.id,
        "customerNo": c.customer_no,
        "name": c.name,
        "email": c.email,
        "msisdn": c.msisdn,
        "nationalConsumerIdentifier": c.national_id,
        "username": c.username,
        "aliases": c.aliases,
        "cards": c.cards,
        "personalNumber": c.personal_number,
        "pep": c.pep,
        "defaultAccountNo": c.default_account.and_then(|id| l.account(id)).map(|a| &a.account_no),
    })
}

/// The account as API C shows it (SPEC §7).
pub fn account(l: &Ledger, a: &Account) -> Value {
    serde_json::to_value(crate::http::credit_account::render::account(l, a))
        .expect("accounts serialize")
}

pub fn transaction(t: &Transaction, scale: u32) -> Value {
    json!({
        "id": t.id,
        "type": t.kind.as_str(),
        "amount": t.amount.fixed_json(scale),
        "date": t.date.to_string(),
        "createdAt": t.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "description": t.description,
        "reserveDate": t.reserve_date.map(|d| d.to_string()),
        "billed": t.billed,
        "reference": t.reference,
    })
}
