//! The Credit Account API's resources as JSON (seed 003), amounts with two decimals.

use serde_json::Value;

use super::types;
use crate::http::wire::{Money, Operation};
use crate::ledger::{Account, AccountStatus, Card, Ledger, ocr};
use crate::money::Amount;

pub fn account_path(ledger_no: &str, account_no: &str) -> String {
    format!("/ledger/credit-account/v1/{ledger_no}/accounts/{account_no}")
}

/// A settings decimal (percent, limit) with two decimals.
fn decimal(n: &serde_json::Number) -> Value {
    Amount::parse(&n.to_string(), 2)
        .map(|a| a.fixed_json(2))
        .unwrap_or(Value::Number(n.clone()))
}

/// The account's standing payment reference: OCR digits with a Luhn check digit. Bill
/// references use the bill number instead; the leading 9 keeps the two apart.
pub fn account_reference(ledger_no: &str, account_id: i64) -> String {
    ocr::account_reference(ledger_no, account_id)
}

pub fn account(l: &Ledger, a: &Account) -> types::Account {
    let scale = l.info.scale();
    let no = &l.info.ledger_no;
    let base = account_path(no, &a.account_no);
    let settings = &l.info.settings;
    let customer_no = l.customer(a.customer_id).map(|c| c.customer_no.clone());
    let operation = |rel, method, href| Operation { rel, method, href };
    let mut operations = Vec::new();
    if a.status == AccountStatus::Open {
        operations.push(operation("add-card-info", "post", format!("{base}/cards")));
        operations.push(operation(
            "request-close-account",
            "post",
            format!("{base}/request-close-account"),
        ));
        operations.push(operation(
            "apply-for-raised-credit-limit",
            "post",
            format!(
                "/ledger/credit-account-onboardings/v1/{no}/accounts/{}/apply-for-raised-credit-limit",
                a.account_no
            ),
        ));
    }
    operations.push(operation("partial-update", "patch", base.clone()));
    types::Account {
        account_no: a.account_no.clone(),
        start_date: a.start_date.to_string(),
        description: a.description.clone(),
        account_profile_type: a.profile_type.clone(),
        account_alias: a.alias.clone(),
        customer: format!(
            "/ledger/customers/v1/{no}/customer/{}",
            customer_no.clone().unwrap_or_default()
        ),
        customer_no,
        status: a.status.as_str(),
        credit_limit: Money::of(a.credit_limit, scale),
        total_balance: Money::of(a.balance, scale),
        reserved_amount: Money::of(a.reserved, scale),
        available_amount: Money::of(a.available(), scale),
        open_bill: l
            .open_bills_of(a.id)
            .first()
            .map(|b| format!("{base}/bills/{}", b.bill_type.id(b.bill_no))),
        charity_donation: a.charity_donation,
        interest_rate: types::InterestRate {
            debt_interest: decimal(&settings.debt_interest_rate),
            penalty_interest: decimal(&settings.penalty_interest_rate),
        },
        bank_payment: types::BankPayment {
            bank_account_no: settings.bank_account_no.clone(),
            bank_account_type: settings.bank_account_type.clone(),
            bic: settings.bic.clone(),
            iban: settings.iban.clone(),
            payment_reference: account_reference(no, a.id),
        },
        active_payment_orders: format!("{base}/active-payment-orders"),
        recurring_payment_consent: format!("{base}/recurring-payment-setting"),
        cards: format!("{base}/cards"),
        transactions: format!("{base}/transactions"),
        reservations: format!("{base}/reservations"),
        // The seed writes the currency in lower case here.
        currency: l.info.currency.to_lowercase(),
        bills: format!("{base}/bills"),
        operations,
        id: base,
    }
}

pub fn card(ledger_no: &str, account_no: &str, c: &Card) -> types::Card {
    let parent = account_path(ledger_no, account_no);
    let id = format!("{parent}/cards/{}", c.token);
    types::Card {
        operations: vec![Operation {
            rel: "partial-update",
            method: "patch",
            href: id.clone(),
        }],
        id,
        token: c.token.clone(),
        pan_trunc: c.pan_trunc.clone(),
        deleted: c.deleted,
        main_card: c.main_card,
        card_holder: types::CardHolder {
            number: c.holder_number.clone(),
            name: c.holder_name.clone(),
            national_consumer_identifier: c.holder_national_id.clone(),
        },
        parent_href: parent,
    }
}
