//! Billing (SPEC §1.6): bill runs, minimum payments, OCR references, payments closing bills,
//! reminders with fees, bill PDFs, and statements.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::tools::require;
use crate::helpers::{Fixture, Setup, dec};

const L: &str = "501";
const T: &str = "ledger/credit-account/v1/problems/";
const A1: &str = "/ledger/credit-account/v1/501/accounts/5010000001";

impl Fixture {
    /// Alice prints for `amount` through API A.
    async fn spend(&self, amount: &str) {
        let s = self.app.session(&self.myq, "alice").await;
        let p = self.app.payment(&self.myq, s, amount).await;
        let r = self
            .app
            .myq(
                &self.myq,
                Method::POST,
                &format!("/sessions/{s}/payments/{p}/commit"),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
        self.app
            .myq(&self.myq, Method::DELETE, &format!("/sessions/{s}"), None)
            .await;
    }

    /// Changes the ledger's settings.
    async fn settings(&self, settings: Value) {
        let r = self
            .app
            .admin(
                Method::PATCH,
                &format!("/ledgers/{L}"),
                Some(json!({ "settings": settings })),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// Money received on alice's account through the admin API.
    async fn pay(&self, amount: &str) {
        let amount: serde_json::Number = amount.parse().unwrap();
        let r = self
            .app
            .admin(
                Method::POST,
                &format!("/ledgers/{L}/accounts/5010000001/payments"),
                Some(json!({ "amount": amount })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }

    /// The text of alice's document `id` (`bill-1`, `reminder-2`), read back with pdftotext
    /// in its physical layout, so a label and its figure share a line. The PDF is kept under
    /// the test's target directory (`documents/`) for a look at it.
    async fn document_text(&self, id: &str) -> String {
        let res = self
            .app
            .client
            .get(format!("{}{A1}/bills/{id}/document", self.app.url))
            .header("authorization", &self.bearer)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = res.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("documents");
        std::fs::create_dir_all(&dir).unwrap();
        // A #[tokio::test] runs on its test's thread, which is named after the test.
        let test = std::thread::current()
            .name()
            .unwrap_or("test")
            .replace("::", "-");
        let path = dir.join(format!("{test}-{id}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        let out = std::process::Command::new(require("pdftotext", "poppler-utils"))
            .arg("-layout")
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn bill_run(&self, date: &str) -> Vec<Value> {
        let r = self
            .app
            .admin(
                Method::POST,
                &format!("/ledgers/{L}/bill-runs"),
                Some(json!({"billDate": date})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["bills"].as_array().unwrap().clone()
    }
}

/// Alice (limit 1000) and bob (limit 50); the clock starts on 2027-01-15.
async fn setup() -> Fixture {
    Setup::ledger(L)
        .patch(
            json!({"name": "Uni Print", "settings": {"bankAccountNo": "5555-1234",
                      "iban": "SE4550000000058398257466", "bic": "ESSESESS"}}),
        )
        .myq()
        .customer("C1", json!({"username": "alice"}), "1000")
        .customer("C2", json!({"username": "bob"}), "50")
        .ledger_bearer()
        .spawn()
        .await
}

#[tokio::test]
async fn a_bill_run_bills_accounts_in_debt_once() {
    let f = setup().await;
    f.spend("250").await;
    let bills = f.bill_run("2027-01-31").await;
    assert_eq!(bills.len(), 1, "bob owes nothing");
    let b = &bills[0];
    assert_eq!(b["@id"], format!("{A1}/bills/bill-1"));
    assert_eq!(
        (
            b["billNo"].clone(),
            b["billDate"].clone(),
            b["dueDate"].clone(),
            b["billType"].clone(),
            b["status"].clone()
        ),
        (
            json!("1"),
            json!("2027-01-31"),
            json!("2027-03-02"),
            json!("bill"),
            json!("open")
        )
    );
    assert_eq!(b["billAmount"], dec("250.00"));
    let details = &b["activePaymentDetails"];
    assert_eq!(
        details["minimumAmountToBePayed"],
        dec("100.00"),
        "the fixed minimum beats 3 %"
    );
    assert_eq!(
        (
            details["bankAccountNo"].clone(),
            details["bankAccountType"].clone(),
            details["iban"].clone()
        ),
        (
            json!("5555-1234"),
            json!("BGSE"),
            json!("SE4550000000058398257466")
        )
    );
    let reference = details["paymentReference"].as_str().unwrap();
    assert!(saldo::ledger::ocr::is_valid(reference), "{reference}");
    assert_eq!(details["paymentOrdersExists"], false);

    let account = f.get(A1).await;
    assert_eq!(account["openBill"], format!("{A1}/bills/bill-1"));
    let txns = f.get(&format!("{A1}/transactions")).await;
    assert_eq!(txns["items"][0]["billed"], true);

    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": "2027-01-31"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["bills"].clone()),
        (201, json!([])),
        "the same date again makes nothing"
    );
    assert_eq!(f.get(A1).await["openBill"], format!("{A1}/bills/bill-1"));
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": "2027-01-30"})),
        )
        .await;
    assert_eq!(r.status, 409, "an earlier date: {}", r.text);
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": "31/01/2027"})),
        )
        .await;
    assert_eq!(
        (r.status, r.error_message()),
        (400, "billDate: must be a date YYYY-MM-DD".to_string())
    );

    // New activity after the run is unbilled until the next one.
    f.spend("10").await;
    assert_eq!(
        f.get(&format!("{A1}/transactions")).await["items"][0]["billed"],
        false
    );
}

#[tokio::test]
async fn minimums_follow_the_ledger_rule_and_are_capped_at_the_debt() {
    let f = setup().await;
    f.pay("1").await;
    let s = f.app.session(&f.myq, "bob").await;
    let p = f.app.payment(&f.myq, s, "40").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    f.settings(json!({"maxCreditLimit": 20000})).await;
    let apply = "/ledger/credit-account-onboardings/v1/501/accounts/5010000001/apply-for-raised-credit-limit";
    let r = f
        .app
        .request(
            Method::POST,
            apply,
            &[("authorization", &f.bearer)],
            Some(r#"{"creditLimit": 20000}"#),
        )
        .await;
    assert_eq!(r.json()["status"], "approved");
    f.spend("10001").await;
    let bills = f.bill_run("2027-01-31").await;
    let by_account: Vec<(String, Value)> = bills
        .iter()
        .map(|b| {
            (
                b["@id"]
                    .as_str()
                    .unwrap()
                    .split("/bills/")
                    .next()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                b["activePaymentDetails"]["minimumAmountToBePayed"].clone(),
            )
        })
        .collect();
    // Alice owes 10000.00 (10001 − 1): 3 % is 300.00. Bob owes 40.00: less than the fixed 100.
    assert_eq!(
        by_account,
        [
            ("5010000001".to_string(), dec("300.00")),
            ("5010000002".to_string(), dec("40.00"))
        ]
    );
}

#[tokio::test]
async fn payments_close_bills_by_reference_or_account() {
    let f = setup().await;
    f.spend("250").await;
    let bill = &f.bill_run("2027-01-31").await[0];
    let reference = bill["activePaymentDetails"]["paymentReference"]
        .as_str()
        .unwrap()
        .to_string();
    f.pay("60").await;
    let b = f.get(&format!("{A1}/bills/bill-1")).await;
    assert_eq!(
        (
            b["status"].clone(),
            b["activePaymentDetails"]["minimumAmountToBePayed"].clone()
        ),
        (json!("open"), dec("40.00"))
    );
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payments"),
            Some(json!({"amount": 40, "paymentReference": reference})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let b = f.get(&format!("{A1}/bills/bill-1")).await;
    assert_eq!(
        (b["status"].clone(), b["activePaymentDetails"].clone()),
        (json!("closed"), Value::Null)
    );
    assert_eq!(f.get(A1).await["openBill"], Value::Null);
    // A closed bill leaves memory; the store still knows its reference and its bill date.
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payments"),
            Some(json!({"amount": 5, "paymentReference": reference})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(f.get(A1).await["totalBalance"], dec("-145.00"));
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": "2027-01-31"})),
        )
        .await;
    assert_eq!(r.json()["bills"], json!([]), "{}", r.text);
    // The account's own reference works like a bill's; bob's does not pay alice's account.
    let own = f.get(A1).await["bankPayment"]["paymentReference"]
        .as_str()
        .unwrap()
        .to_string();
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payments"),
            Some(json!({"amount": 15, "paymentReference": own})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(f.get(A1).await["totalBalance"], dec("-130.00"));
    let bob = f
        .get("/ledger/credit-account/v1/501/accounts/5010000002")
        .await;
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payments"),
            Some(json!({"amount": 1, "paymentReference": bob["bankPayment"]["paymentReference"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        f.get("/ledger/credit-account/v1/501/accounts/5010000002")
            .await["totalBalance"],
        dec("1.00")
    );
    assert_eq!(f.get(A1).await["totalBalance"], dec("-130.00"));
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payments"),
            Some(json!({"amount": 40, "paymentReference": "12345"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error_message().starts_with("paymentReference"));

    let closed = f.get(&format!("{A1}/bills?status=closed")).await;
    assert_eq!(closed["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        f.get(&format!("{A1}/bills?status=open")).await["items"],
        json!([])
    );
    let r = f
        .call(Method::GET, &format!("{A1}/bills?status=paid"), None)
        .await;
    assert_eq!(r.status, 400);
    r.problem(T, "validation");
    for id in ["reminder-1", "bill-9", "bill-x", "1"] {
        let r = f.call(Method::GET, &format!("{A1}/bills/{id}"), None).await;
        assert_eq!(r.status, 404, "{id}");
        r.problem(T, "not-found");
    }
}

/// The documents a run made, as (billType, billNo) pairs.
fn kinds(bills: &[Value]) -> Vec<(String, String)> {
    bills
        .iter()
        .map(|b| {
            let field = |k: &str| b[k].as_str().unwrap().to_string();
            (field("billType"), field("billNo"))
        })
        .collect()
}

/// The issue's scenario: one unpaid 20.00 purchase and bill runs at +0, +31, +46, +61 and +91
/// days make one chain: a bill, reminder1, reminder2 and a collection notice, one fee each;
/// never two documents in a run, never a second chain, nothing after collection.
#[tokio::test]
async fn one_unpaid_debt_is_one_chain_with_one_fee_per_step() {
    let f = setup().await;
    f.settings(json!({"reminderFee": 60.00})).await;
    f.spend("20").await;
    let day = |d: i64| (time::macros::date!(2027 - 01 - 31) + time::Duration::days(d)).to_string();
    let mut runs = Vec::new();
    for d in [0, 31, 46, 61, 91] {
        runs.push(kinds(&f.bill_run(&day(d)).await));
    }
    let doc = |kind: &str, no: &str| vec![(kind.to_string(), no.to_string())];
    assert_eq!(
        runs,
        [
            doc("bill", "1"),
            doc("reminder1", "2"),
            doc("reminder2", "3"),
            doc("collection", "4"),
            vec![],
        ]
    );
    // Every step names the original bill: the fee's description and the document's title.
    let txns = f.get(&format!("{A1}/transactions")).await;
    let fees: Vec<String> = txns["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["description"]
                .as_str()
                .unwrap()
                .starts_with("Reminder fee")
        })
        .map(|t| t["description"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fees,
        [
            "Reminder fee, collection of bill 1",
            "Reminder fee, reminder2 of bill 1",
            "Reminder fee, reminder1 of bill 1",
        ],
        "three fees, newest first"
    );
    let account = f.get(A1).await;
    assert_eq!(account["totalBalance"], dec("-200.00"), "20 + 3 × 60");
    for (id, title) in [
        ("reminder-2", "Reminder"),
        ("reminder-3", "Second reminder"),
        ("reminder-4", "Notice before collection"),
    ] {
        let text = f.document_text(id).await;
        assert!(
            line_with(&text, "Uni Print").ends_with(title),
            "{id}:\n{text}"
        );
        let about = "We have not received full payment of bill 1 of 31 Jan 2027, due 2 Mar 2027.";
        assert!(text.contains(about), "{id}:\n{text}");
        shows(&text, "Reminder fee", "60.00");
    }
    // Only the collection notice is open, and it asks for what is overdue with its fees.
    let open = f.get(&format!("{A1}/bills?status=open")).await;
    let open: Vec<&Value> = open["items"].as_array().unwrap().iter().collect();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["billType"], "collection");
    assert_eq!(
        open[0]["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("200.00")
    );

    // The same date again makes nothing and charges nothing.
    assert_eq!(f.bill_run(&day(91)).await, Vec::<Value>::new());
    assert_eq!(f.get(A1).await["totalBalance"], dec("-200.00"));
    // A date before the latest document's is refused.
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": day(60)})),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // A bill in reminder blocks a raised limit.
    let apply = "/ledger/credit-account-onboardings/v1/501/accounts/5010000001/apply-for-raised-credit-limit";
    let r = f
        .app
        .request(
            Method::POST,
            apply,
            &[("authorization", &f.bearer)],
            Some(r#"{"creditLimit": 2000}"#),
        )
        .await;
    assert_eq!(
        (r.json()["status"].clone(), r.json()["reason"].clone()),
        (
            json!("rejected"),
            json!("The account has a bill in reminder")
        )
    );

    // Paying the debt ends the chain; the next run bills new purchases afresh.
    f.pay("200").await;
    assert_eq!(
        f.get(&format!("{A1}/bills?status=open")).await["items"],
        json!([])
    );
    f.spend("10").await;
    assert_eq!(kinds(&f.bill_run(&day(120)).await), doc("bill", "5"));
}

/// A fee is a charge for what already happened: posted in full even when it takes the
/// available credit below zero, and the document shows what was posted.
#[tokio::test]
async fn a_fee_larger_than_the_remaining_credit_is_posted_in_full() {
    let f = setup().await;
    f.settings(json!({"reminderFee": 60.00})).await;
    let bob = "/ledger/credit-account/v1/501/accounts/5010000002";
    let s = f.app.session(&f.myq, "bob").await;
    let p = f.app.payment(&f.myq, s, "45.50").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    f.bill_run("2027-01-31").await;
    let reminders = f.bill_run("2027-03-31").await;
    let reminder = reminders
        .iter()
        .find(|b| b["@id"].as_str().unwrap().starts_with(bob))
        .expect("bob's reminder");
    assert_eq!(reminder["billType"], "reminder1");
    let account = f.get(bob).await;
    assert_eq!(
        account["totalBalance"],
        dec("-105.50"),
        "45.50 + the whole 60.00"
    );
    assert_eq!(account["availableAmount"], dec("-55.50"));
    // What the customer initiates may still not overdraw.
    let s = f.app.session(&f.myq, "bob").await;
    let r = f
        .app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments"),
            Some(r#"{"amount": 1}"#),
        )
        .await;
    assert_ne!(r.json()["amount"], json!(1), "{}", r.text);
}

/// With the defaults a ledger charges no reminder fee (it sets its own).
#[tokio::test]
async fn reminders_charge_nothing_unless_the_ledger_sets_a_fee() {
    let f = setup().await;
    f.spend("20").await;
    f.bill_run("2027-01-31").await;
    let reminder = &f.bill_run("2027-03-31").await[0];
    assert_eq!(reminder["billType"], "reminder1");
    assert_eq!(f.get(A1).await["totalBalance"], dec("-20.00"));
    assert_eq!(
        reminder["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("20.00")
    );
}

/// The first line of a document's text that holds `label`.
fn line_with<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no line with {label:?} in:\n{text}"))
}

/// Asserts that the line holding `label` also holds `figure`.
fn shows(text: &str, label: &str, figure: &str) {
    let line = line_with(text, label);
    assert!(
        line.contains(figure),
        "{label:?} is not {figure:?}: {line:?}"
    );
}

/// A creditor as a real one sets itself up, and alice with her postal address.
async fn creditor_setup(language: &str) -> Fixture {
    Setup::ledger(L)
        .patch(json!({"name": "Uni Print", "settings": {
            "language": language,
            "creditorName": "Uni Print AB",
            "creditorAddress": ["Box 100", "111 22 Stockholm"],
            "creditorContact": ["Phone 08-123 45 67", "billing@uniprint.example"],
            "creditorOrganizationNo": "556000-0000",
            "bankAccountNo": "5555-1234",
            "iban": "SE4550000000058398257466", "bic": "ESSESESS"}}))
        .myq()
        .customer(
            "C1",
            json!({"username": "alice", "address": {"streetAddress": "Storgatan 1",
                   "coAddress": "Berg", "zipCode": "11122", "city": "Stockholm",
                   "countryCode": "se"}}),
            "5000",
        )
        .ledger_bearer()
        .spawn()
        .await
}

/// A bill a customer can read: who bills whom, the facts, a summary from the previous
/// balance to the new one that adds up, what to pay by when with the OCR reference, the
/// payment block, and each transaction as a positive amount in its debit or credit column.
#[tokio::test]
async fn a_bill_shows_both_parties_a_summary_that_adds_up_and_how_to_pay() {
    let f = creditor_setup("en").await;
    f.spend("20").await;
    f.bill_run("2027-01-31").await;
    f.pay("10").await;
    f.spend("1234.5").await;
    let bill = &f.bill_run("2027-02-28").await[0];
    let reference = bill["activePaymentDetails"]["paymentReference"]
        .as_str()
        .unwrap()
        .to_string();
    let text = f.document_text("bill-2").await;
    for expected in [
        "Uni Print AB",
        "Box 100",
        "Org. no 556000-0000",
        "Questions about your bill?",
        "Phone 08-123 45 67",
        "billing@uniprint.example",
        "Customer C1",
        "c/o Berg",
        "Storgatan 1",
        "111 22 STOCKHOLM",
        "Bankgiro 5555-1234",
        "IBAN SE4550000000058398257466",
        "BIC ESSESESS",
        "Page 1 of 1",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    for (label, figure) in [
        ("Bill no", "2"),
        ("Bill date", "28 Feb 2027"),
        ("Due date", "30 Mar 2027"),
        ("Customer no", "C1"),
        ("Account no", "5010000001"),
        ("Previous balance", "20.00"),
        ("Payments", "-10.00"),
        ("Purchases", "1,234.50"),
        ("Fees", "0.00"),
        ("Interest", "0.00"),
        ("New balance", "1,244.50 SEK"),
    ] {
        shows(&text, label, figure);
    }
    // 3 % of 1,244.50 is 37.34, below the 100.00 floor; the 10.00 unpaid of bill 1 is carried.
    assert_eq!(
        bill["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("110.00")
    );
    let figures: Vec<&str> = text.lines().filter(|l| l.contains("110.00 SEK")).collect();
    assert_eq!(
        figures.len(),
        2,
        "the to-pay box and the payment block:\n{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains(&reference)).count(),
        2,
        "the OCR reference in the to-pay box and the payment block:\n{text}"
    );
    assert_eq!(
        text.matches("30 Mar 2027").count(),
        3,
        "facts, box, payment"
    );
    // Amounts are positive; a purchase is a debit, a payment a credit further right.
    let purchase = line_with(&text, "MyQ session");
    let payment = line_with(&text, "Incoming payment");
    assert!(!purchase.contains("-1,234.50") && !payment.contains("-10.00"));
    let column = |line: &str, figure: &str| line.find(figure).unwrap() + figure.len();
    assert!(column(payment, "10.00") > column(purchase, "1,234.50") + 5);
    assert!(line_with(&text, "Debit SEK").contains("Credit SEK"));
    assert!(
        !text.contains("-1,234.50"),
        "no negative line items:\n{text}"
    );
}

/// In Swedish, with Swedish numbers and dates: a reminder names the bill and due date it is
/// about, what is overdue, the fee, the interest, what to pay now and the new due date; the
/// collection notice says what happens next.
#[tokio::test]
async fn a_swedish_reminder_says_which_bill_is_overdue_the_fee_and_the_new_due_date() {
    let f = creditor_setup("sv").await;
    f.settings(json!({"reminderFee": 60.00, "debtInterestRate": 10.00,
                      "penaltyInterestRate": 10.00}))
        .await;
    f.spend("1500").await; // on 2027-01-15
    f.bill_run("2027-01-31").await;
    let text = f.document_text("bill-1").await;
    // Interest for Jan 15..31: 1500.00 × 10 % × 17 / 365 = 6.986… → 6.99.
    for (label, figure) in [
        ("Fakturanr", "1"),
        ("Fakturadatum", "2027-01-31"),
        ("Förfallodag", "2027-03-02"),
        ("Föregående saldo", "0,00"),
        ("Köp", "1 500,00"),
        ("Ränta", "6,99"),
        ("Nytt saldo", "1 506,99 SEK"),
        (
            "Ränta 2027-01-15 till 2027-01-31 (10,00 % på skulden, 10,00 % förfallet)",
            "6,99",
        ),
        ("Sida", "1 av 1"),
    ] {
        shows(&text, label, figure);
    }
    assert!(text.contains("Lägsta belopp att betala"), "{text}");
    assert!(text.contains("Betala till"), "{text}");

    // Unpaid past the due date: the first reminder, with one fee.
    let reminder = &f.bill_run("2027-03-03").await[0];
    assert_eq!(reminder["billType"], "reminder1");
    let text = f.document_text("reminder-2").await;
    assert!(text.contains("Påminnelse"), "{text}");
    assert!(
        text.contains(
            "Vi har inte fått full betalning av faktura 1 av den 2027-01-31, förfallen 2027-03-02."
        ),
        "{text}"
    );
    // Interest for Feb 1..Mar 3, 31 days on 1506.99: 150699 × 1000 × 31 / 3,650,000
    // = 1279.9… → 12.80.
    for (label, figure) in [
        ("Påminnelsenr", "2"),
        ("Förfallet belopp", "100,00"),
        ("Påminnelseavgift", "60,00"),
        ("Ränta", "12,80"),
        ("Kvar att betala på faktura 1", "1 579,79 SEK"),
        ("Påminnelseavgift, påminnelse för faktura 1", "60,00"),
        ("Ränta 2027-02-01 till 2027-03-03", "12,80"),
    ] {
        shows(&text, label, figure);
    }
    assert!(text.contains("172,80 SEK"), "to pay now: {text}");
    assert!(text.contains("Ny förfallodag"), "{text}");
    assert_eq!(
        text.matches("2027-03-17").count(),
        3,
        "facts, box, payment:\n{text}"
    );

    let second = &f.bill_run("2027-03-18").await[0];
    let owed = second["activePaymentDetails"]["minimumAmountToBePayed"].to_string();
    let collection = &f.bill_run("2027-04-02").await[0];
    assert_eq!(collection["billType"], "collection");
    let text = f.document_text("reminder-4").await;
    assert!(text.contains("Inkassovarsel"), "{text}");
    assert!(
        text.contains("Har vi inte fått betalt senast 2027-04-16 lämnas skulden till inkasso."),
        "{text}"
    );
    shows(&text, "Förfallet belopp", &owed.replace('.', ","));
    shows(
        &text,
        "Påminnelseavgift, inkassovarsel för faktura 1",
        "60,00",
    );
}

/// A bill with more lines than a page holds goes on over further pages, each numbered, with
/// every transaction listed once; a bill that does not exist is a 404.
#[tokio::test]
async fn a_long_bill_continues_on_numbered_pages_with_every_line() {
    let f = creditor_setup("en").await;
    for _ in 0..40 {
        f.spend("1").await;
    }
    f.bill_run("2027-01-31").await;
    let text = f.document_text("bill-1").await;
    assert_eq!(text.matches("MyQ session").count(), 40, "{text}");
    assert!(
        text.contains("Page 1 of 2") && text.contains("Page 2 of 2"),
        "{text}"
    );
    assert_eq!(text.matches("Purchases").count(), 1, "one summary");
    let r = f
        .call(Method::GET, &format!("{A1}/bills/bill-2/document"), None)
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
}

#[tokio::test]
async fn statements_have_running_balances_holds_and_csv() {
    let f = setup().await;
    f.spend("20").await;
    f.app.clock.advance(time::Duration::days(3));
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/accounts/5010000001/payments"),
            Some(json!({"amount": 5.5, "description": "Swish, \"thanks\""})),
        )
        .await;
    assert_eq!(r.status, 201);
    f.app.clock.advance(time::Duration::days(3));
    f.spend("1.25").await;
    let s = f.app.session(&f.myq, "alice").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(r#"{"amount": 2}"#),
        )
        .await;

    let path = format!("/ledgers/{L}/accounts/5010000001/statement");
    let all = f.app.admin(Method::GET, &path, None).await.json();
    let balances: Vec<String> = all["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["balance"].to_string())
        .collect();
    assert_eq!(balances, ["-20.00", "-14.50", "-15.75"]);
    assert_eq!(all["holds"][0]["remaining"], dec("2.00"));
    let window = f
        .app
        .admin(
            Method::GET,
            &format!("{path}?from=2027-01-16&to=2027-01-20"),
            None,
        )
        .await
        .json();
    assert_eq!(window["openingBalance"], dec("-20.00"));
    assert_eq!(window["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(window["transactions"][0]["balance"], dec("-14.50"));

    let r = f
        .app
        .admin(Method::GET, &format!("{path}?format=csv"), None)
        .await;
    assert_eq!(r.headers["content-type"], "text/csv; charset=utf-8");
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines[0], "date,type,description,amount,balance,reference");
    assert_eq!(
        lines[2],
        r#"2027-01-18,payment,"Swish, ""thanks""",5.50,-14.50,incoming:"#
    );
    assert_eq!(lines.len(), 4);
    let r = f
        .app
        .admin(Method::GET, &format!("{path}?format=xml"), None)
        .await;
    assert_eq!(r.status, 400);
    let r = f
        .app
        .admin(Method::GET, &format!("{path}?from=soon"), None)
        .await;
    assert_eq!(r.status, 400);
}

/// Interest at each bill run, worked out by hand to the öre: 10.00 % a year on the debt, and
/// 20.00 % instead on the overdue part after the due date, dated the bill date and billed on
/// the run's document.
#[tokio::test]
async fn interest_is_charged_per_day_as_worked_out_by_hand() {
    let f = setup().await;
    f.settings(json!({"debtInterestRate": 10.00, "penaltyInterestRate": 20.00}))
        .await;
    f.spend("1000").await; // on 2027-01-15
    let interest = |statement: &Value| -> Vec<(String, Value, String)> {
        statement["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["type"] == "interest")
            .map(|t| {
                let text = |k: &str| t[k].as_str().unwrap().to_string();
                (text("date"), t["amount"].clone(), text("description"))
            })
            .collect()
    };
    let statement = format!("/ledgers/{L}/accounts/5010000001/statement");

    // Jan 15..31, 17 days: 1000.00 × 10 % × 17 / 365 = 4.6575… → 4.66.
    let bill = &f.bill_run("2027-01-31").await[0];
    assert_eq!(bill["billAmount"], dec("1004.66"));
    let got = interest(&f.app.admin(Method::GET, &statement, None).await.json());
    assert_eq!(
        got,
        [(
            "2027-01-31".to_string(),
            dec("-4.66"),
            "Interest 2027-01-15 to 2027-01-31 (10.00 % on the debt, 20.00 % overdue)".to_string()
        )]
    );

    // Feb 28: the bill is not due and nothing new happened: no document, so no interest yet.
    assert_eq!(f.bill_run("2027-02-28").await, Vec::<Value>::new());

    // Mar 31: the bill (minimum 100.00, due Mar 2) is overdue: a reminder, with the interest
    // of Feb 1..Mar 31 (59 days) on 1004.66, the 100.00 overdue at 20 % instead for Mar 3..31
    // (29 days): (100466 × 1000 × 59 − 10000 × 1000 × 29 + 10000 × 2000 × 29) / 3,650,000
    // = 6,217,494,000 / 3,650,000 = 1703.4… → 17.03.
    let reminder = &f.bill_run("2027-03-31").await[0];
    assert_eq!(reminder["billType"], "reminder1");
    assert_eq!(
        reminder["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("117.03"),
        "the overdue 100.00 and the interest (no fee set)"
    );
    let got = interest(&f.app.admin(Method::GET, &statement, None).await.json());
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[1].0.as_str(), &got[1].1),
        ("2027-03-31", &dec("-17.03"))
    );
    assert!(
        got[1].2.starts_with("Interest 2027-02-01 to 2027-03-31"),
        "{got:?}"
    );
    assert_eq!(f.get(A1).await["totalBalance"], dec("-1021.69"));
}

/// Autogiro: a new bill of an account with an autogiro setting makes a payment order for the
/// bill's minimum, due on the bill's due date; the account lists it, the bill says so, the
/// admin API exports it as CSV, and executing it posts the payment and closes the bill. A
/// failed order leaves the bill open; a superseded bill's order is canceled.
#[tokio::test]
async fn autogiro_payment_orders_are_made_exported_and_executed() {
    let f = setup().await;
    let r = f
        .call(
            Method::PATCH,
            &format!("{A1}/recurring-payment-setting"),
            Some(json!({"recurringPaymentScope": "billedAmount"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    f.spend("250").await;
    let bill = &f.bill_run("2027-01-31").await[0];
    assert_eq!(bill["activePaymentDetails"]["paymentOrdersExists"], true);
    let reference = bill["activePaymentDetails"]["paymentReference"]
        .as_str()
        .unwrap()
        .to_string();
    let orders = f.get(&format!("{A1}/active-payment-orders")).await;
    assert_eq!(
        orders["items"],
        json!([{"paymentMethod": "AUTOGIRO", "executionDate": "2027-03-02", "amount": dec("100.00")}])
    );

    // The export for a day before the execution date has nothing; on it, the order.
    let export = |due: &'static str| {
        let app = &f.app;
        async move {
            app.admin(
                Method::GET,
                &format!("/ledgers/{L}/payment-orders?due={due}&format=csv"),
                None,
            )
            .await
            .text
        }
    };
    assert_eq!(
        export("2027-03-01").await,
        "bill_no,account_no,amount,execution_date,payment_reference\n"
    );
    assert_eq!(
        export("2027-03-02").await,
        format!(
            "bill_no,account_no,amount,execution_date,payment_reference\n\
             1,5010000001,100.00,2027-03-02,{reference}\n"
        )
    );

    let executed = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payment-orders/1/executed"),
            None,
        )
        .await;
    assert_eq!(executed.status, 200, "{}", executed.text);
    assert_eq!(executed.json()["status"], "executed");
    assert_eq!(f.get(A1).await["totalBalance"], dec("-150.00"));
    assert_eq!(
        f.get(&format!("{A1}/bills/bill-1")).await["status"],
        "closed"
    );
    assert_eq!(
        f.get(&format!("{A1}/active-payment-orders")).await["items"],
        json!([])
    );
    let again = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payment-orders/1/executed"),
            None,
        )
        .await;
    assert_eq!(again.status, 409, "executed once: {}", again.text);
    assert_eq!(f.get(A1).await["totalBalance"], dec("-150.00"));

    // Next month: a new bill and its order. A purchase before it is due makes bill 3, which
    // supersedes bill 2 and cancels its order.
    let second = &f.bill_run("2027-02-28").await[0];
    assert_eq!(second["billNo"], "2");
    f.spend("10").await;
    let third = &f.bill_run("2027-03-01").await[0];
    assert_eq!(third["billNo"], "3");
    assert_eq!(
        f.get(&format!("{A1}/bills/bill-2")).await["status"],
        "closed"
    );
    let canceled = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payment-orders/2/executed"),
            None,
        )
        .await;
    assert_eq!(canceled.status, 409, "{}", canceled.text);
    let orders = f.get(&format!("{A1}/active-payment-orders")).await;
    assert_eq!(orders["items"].as_array().unwrap().len(), 1, "{orders}");

    // The bank fails bill 3's order: the bill stays open, with no order.
    let failed = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/payment-orders/3/failed"),
            None,
        )
        .await;
    assert_eq!(failed.json()["status"], "failed", "{}", failed.text);
    let bill = f.get(&format!("{A1}/bills/bill-3")).await;
    assert_eq!(
        (
            bill["status"].clone(),
            bill["activePaymentDetails"]["paymentOrdersExists"].clone()
        ),
        (json!("open"), json!(false))
    );
    assert_eq!(
        f.app
            .admin(
                Method::POST,
                &format!("/ledgers/{L}/payment-orders/9/executed"),
                None
            )
            .await
            .status,
        404
    );
}
