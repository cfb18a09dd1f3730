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
    assert_eq!(r.status, 409, "the same date twice would bill twice");
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
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/accounts/5010000001/payments"),
            Some(json!({"amount": 1})),
        )
        .await;
    assert_eq!(r.status, 201);
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
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}"),
            Some(json!({"settings": {"maxCreditLimit": 20000}})),
        )
        .await;
    assert_eq!(r.status, 200);
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
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/accounts/5010000001/payments"),
            Some(json!({"amount": 60})),
        )
        .await;
    assert_eq!(r.status, 201);
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
    assert_eq!(r.status, 409, "{}", r.text);
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

#[tokio::test]
async fn overdue_bills_get_reminders_with_fees_up_to_collection() {
    let f = setup().await;
    f.spend("250").await;
    f.bill_run("2027-01-31").await;
    f.app.clock.advance(time::Duration::days(60));
    let created = f.bill_run("2027-03-31").await;
    let kinds: Vec<(Value, Value)> = created
        .iter()
        .map(|b| (b["billType"].clone(), b["billNo"].clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (json!("reminder1"), json!("2")),
            (json!("bill"), json!("3"))
        ]
    );
    let reminder = &created[0];
    assert_eq!(reminder["@id"], format!("{A1}/bills/reminder-2"));
    assert_eq!(
        reminder["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("160.00"),
        "100 unpaid + 60 fee"
    );
    assert_eq!(reminder["dueDate"], "2027-04-14");
    assert_eq!(
        created[1]["billAmount"],
        dec("310.00"),
        "the debt now includes the fee"
    );
    assert_eq!(
        f.get(&format!("{A1}/bills/bill-1")).await["status"],
        "closed",
        "the reminder replaced it"
    );
    let fee = &f.get(&format!("{A1}/transactions")).await["items"][0];
    assert_eq!(
        (fee["type"].clone(), fee["amount"].clone()),
        (json!("purchase"), dec("60.00"))
    );
    assert!(
        fee["description"]
            .as_str()
            .unwrap()
            .starts_with("Reminder fee")
    );
    assert_eq!(
        fee["billed"], true,
        "the fee is billed by the run that charged it, in the same batch"
    );

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

    // Every run bills the account again and escalates whatever is overdue, so several
    // chains run side by side; follow the one that started with bill 1.
    let of_type = |bills: &[Value], kind: &str| -> Vec<String> {
        bills
            .iter()
            .filter(|b| b["billType"] == kind)
            .map(|b| b["@id"].as_str().unwrap().to_string())
            .collect()
    };
    let april = f.bill_run("2027-04-30").await;
    assert_eq!(
        of_type(&april, "reminder2"),
        [format!("{A1}/bills/reminder-4")]
    );
    assert_eq!(
        f.get(&format!("{A1}/bills/reminder-2")).await["status"],
        "closed"
    );
    let may = f.bill_run("2027-05-31").await;
    let collection = of_type(&may, "collection");
    assert_eq!(collection.len(), 1, "{may:?}");
    f.bill_run("2027-06-30").await;
    f.bill_run("2027-07-31").await;
    let notice = f.get(&collection[0]).await;
    assert_eq!(
        (notice["billType"].clone(), notice["status"].clone()),
        (json!("collection"), json!("open")),
        "collection is the end of the line"
    );
}

#[tokio::test]
async fn the_bill_pdf_reads_back_with_the_bill_number_amount_and_reference() {
    let f = setup().await;
    f.spend("123.45").await;
    let bill = &f.bill_run("2027-01-31").await[0];
    let reference = bill["activePaymentDetails"]["paymentReference"]
        .as_str()
        .unwrap()
        .to_string();
    let res = f
        .app
        .client
        .get(format!("{}{A1}/bills/bill-1/document", f.app.url))
        .header("authorization", &f.bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bill.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = std::process::Command::new(require("pdftotext", "poppler-utils"))
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Uni Print",
        "Bill 1",
        "Customer C1",
        "5010000001",
        "2027-01-31",
        "2027-03-02",
        "123.45 SEK",
        "Minimum amount to pay: 100.00 SEK",
        reference.as_str(),
        "IBAN: SE4550000000058398257466",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the PDF text:\n{text}"
        );
    }
    assert!(
        text.contains("MyQ session"),
        "the billed purchase is listed:\n{text}"
    );
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
