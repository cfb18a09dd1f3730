//! The admin API's responses, from the ledger's model.

use super::types;
use crate::http::wire::Money;
use crate::ledger::{Account, Customer, Ledger, LedgerInfo, Transaction};

pub fn ledger(info: &LedgerInfo) -> types::Ledger {
    types::Ledger {
        ledger_no: info.ledger_no.clone(),
        name: info.name.clone(),
        currency: info.currency.clone(),
        settings: info.settings.clone(),
    }
}

pub fn customer(l: &Ledger, c: &Customer) -> types::Customer {
    types::Customer {
        id: c.id,
        customer_no: c.customer_no.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        msisdn: c.msisdn.clone(),
        national_consumer_identifier: c.national_id.clone(),
        username: c.username.clone(),
        aliases: c.aliases.clone(),
        cards: c.cards.clone(),
        personal_number: c.personal_number.clone(),
        pep: c.pep,
        default_account_no: c
            .default_account
            .and_then(|id| l.account(id))
            .map(|a| a.account_no.clone()),
        address: c.address.clone(),
    }
}

/// The account as API C shows it (SPEC §7).
pub fn account(l: &Ledger, a: &Account) -> types::Account {
    types::Account {
        shown: crate::http::credit_account::render::account(l, a),
        low_balance_threshold: a
            .low_balance_threshold
            .map(|t| Money::of(t, l.info.scale())),
    }
}

/// A posting, its creation time in the ledger's zone `tz` (SPEC §1.9).
pub fn transaction(t: &Transaction, scale: u32, tz: &str) -> types::Transaction {
    types::Transaction {
        id: t.id,
        kind: t.kind.as_str(),
        amount: Money::of(t.amount, scale),
        date: t.date.to_string(),
        created_at: Some(crate::ledger::zone::rfc3339(tz, t.created_at)),
        description: t.description.clone(),
        reserve_date: t.reserve_date.map(|d| d.to_string()),
        billed: t.billed,
        reference: t.reference.clone(),
        balance: None,
    }
}
