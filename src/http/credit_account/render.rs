//! The Credit Account API's resources as JSON (seed 003), amounts with two decimals.

use serde_json::{Value, json};

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
    ocr::reference(ledger_no, 90_000_000 + account_id)
}

pub fn account(l: &Ledger, a: &Account) -> Value {
    let scale = l.info.scale();
    let no = &l.info.ledger_no;
    let base = account_path(no, &a.account_no);
    let settings = &l.info.settings;
    let customer_no = l.customer(a.customer_id).map(|c| c.customer_no.clone());
    let mut operations = Vec::new();
    if a.status == AccountStatus::Open {
        operations.push(
            json!({"rel": "add-card-info", "method": "post", "href": format!("{base}/cards")}),
        );
        operations.push(json!({"rel": "request-close-account", "method": "post", "href": format!("{base}/request-close-account")}));
        operations.push(json!({
            "rel": "apply-for-raised-credit-limit", "method": "post",
            "href": format!("/ledger/credit-account-onboardings/v1/{no}/accounts/{}/apply-for-raised-credit-limit", a.account_no),
        }));
    }
    operations.push(json!({"rel": "partial-update", "method": "patch", "href": base}));
    json!({
        "@id": base,
        "accountNo": a.account_no,
        "startDate": a.start_date.to_string(),
        "description": a.description,
        "accountProfileType": a.profile_type,
        "accountAlias": a.alias,
        "customerNo": customer_no,
        "status": a.status.as_str(),
        "creditLimit": a.credit_limit.fixed_json(scale),
        "totalBalance": a.balance.fixed_json(scale),
        "reservedAmount": a.reserved.fixed_json(scale),
        "availableAmount": a.available().fixed_json(scale),
        "openBill": l
            .open_bills_of(a.id)
            .first()
            .map(|b| format!("{base}/bills/{}", b.bill_type.id(b.bill_no))),
        "charityDonation": a.charity_donation,
        "interestRate": {
            "debtInterest": decimal(&settings.debt_interest_rate),
            "penaltyInterest": decimal(&settings.penalty_interest_rate),
        },
        "bankPayment": {
            "bankAccountNo": settings.bank_account_no,
            "bankAccountType": settings.bank_account_type,
            "bic": settings.bic,
            "iban": settings.iban,
            "paymentReference": account_reference(no, a.id),
        },
        "activePaymentOrders": format!("{base}/active-payment-orders"),
        "recurringPaymentConsent": format!("{base}/recurring-payment-setting"),
        "cards": format!("{base}/cards"),
        "transactions": format!("{base}/transactions"),
        "reservations": format!("{base}/reservations"),
        // The seed writes the currency in lower case here.
        "currency": l.info.currency.to_lowercase(),
        "bills": format!("{base}/bills"),
        "customer": format!("/ledger/customers/v1/{no}/customer/{}", customer_no.unwrap_or_default()),
        "operations": operations,
    })
}

pub fn card(ledger_no: &str, account_no: &str, c: &Card) -> Value {
    let parent = account_path(ledger_no, account_no);
    let id = format!("{parent}/cards/{}", c.token);
    json!({
        "@id": id,
        "token": c.token,
        "panTrunc": c.pan_trunc,
        "deleted": c.deleted,
        "mainCard": c.main_card,
        "cardHolder": {
            "number": c.holder_number,
            "name": c.holder_name,
            "nationalConsumerIdentifier": c.holder_national_id,
        },
        "parentHREF": parent,
        "operations": [{"rel": "partial-update", "method": "patch", "href": id}],
    })
}
