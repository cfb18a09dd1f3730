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
        "defaultAccountNo": c.default_account.and_then(|id| l.account(id)).map(|a| &a.account_no),
    })
}

/// The account with API C's field names and two-decimal amounts.
pub fn account(l: &Ledger, a: &Account) -> Value {
    let scale = l.info.scale();
    let base = format!(
        "/ledger/credit-account/v1/{}/accounts/{}",
        l.info.ledger_no, a.account_no
    );
    json!({
        "@id": base,
        "accountNo": a.account_no,
        "startDate": a.start_date.to_string(),
        "description": a.description,
        "accountProfileType": a.profile_type,
        "accountAlias": a.alias,
        "customerNo": l.customer(a.customer_id).map(|c| &c.customer_no),
        "status": a.status.as_str(),
        "creditLimit": a.credit_limit.fixed_json(scale),
        "totalBalance": a.balance.fixed_json(scale),
        "reservedAmount": a.reserved.fixed_json(scale),
        "availableAmount": a.available().fixed_json(scale),
        "currency": l.info.currency,
    })
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
