//! Full flows of APIs B, C and D, and the events each change tells, in order (SPEC §10).
//! API A's flow is in `events.rs`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::account_transaction::pre_auth_body;
use crate::events::{feed, pairs, told};
use crate::helpers::{Fixture, Setup, TestApp, dec};

const L: &str = "501";
const RECHARGE: &str = "/api/v3/rechargeProviders/external/payments";
const AT: &str = "/ledger/account-transaction/v1/501";
const A: &str = "5010000001";
const ACCOUNT: &str = "/ledger/credit-account/v1/501/accounts/5010000001";

/// The events after `after` in full, by their type and resource id.
async fn told_in_full(app: &TestApp, after: i64) -> Vec<Value> {
    feed(app, &format!("after={after}&limit=1000")).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn data_of<'a>(events: &'a [Value], kind: &str, id: &str) -> &'a Value {
    &events
        .iter()
        .find(|e| e["type"] == kind && e["resourceId"] == id)
        .unwrap_or_else(|| panic!("no {kind} {id} in {events:?}"))["data"]
}

/// A recharge through API B: created, changed, committed; one rolled back; one left to
/// expire.
#[tokio::test]
async fn a_recharge_tells_completed_canceled_and_expired() {
    let f = Setup::ledger(L)
        .myq()
        .customer("1", json!({"username": "alice"}), "20")
        .account_no("A1")
        .oauth(&["credit", "users"])
        .spawn()
        .await;
    let (_, after) = told(&f.app, 0).await;
    let paid = recharge(&f, "10").await;
    let changed = json!({"description": "Kiosk", "params": {"amount": 12.5}});
    let r = f
        .call(Method::PATCH, &format!("{RECHARGE}/{paid}"), Some(changed))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        told(&f.app, after).await.0,
        vec![],
        "a created or changed payment moves no money"
    );
    let r = f
        .post(&format!("{RECHARGE}/{paid}/commit"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let dropped = recharge(&f, "5").await;
    // A client's reason is its own, even the word the sweeper uses.
    let reason = json!({"reason": "Expired"});
    let r = f
        .post(&format!("{RECHARGE}/{dropped}/rollback"), reason)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let stale = recharge(&f, "7").await;
    f.app.clock.advance(time::Duration::hours(24));
    assert_eq!(f.app.engine.sweep().await.unwrap().recharges, 1);

    assert_eq!(
        told(&f.app, after).await.0,
        pairs(&[
            ("recharge.completed", &paid),
            ("account.balance-changed", "A1"),
            ("recharge.canceled", &dropped),
            ("recharge.expired", &stale),
        ])
    );
    let events = told_in_full(&f.app, after).await;
    let completed = data_of(&events, "recharge.completed", &paid);
    assert_eq!(
        (
            completed["amount"].to_string(),
            completed["state"].as_str(),
            completed["accountNo"].as_str(),
            completed["customerNo"].as_str(),
        ),
        ("12.5".into(), Some("completed"), Some("A1"), Some("1"))
    );
    let moved = data_of(&events, "account.balance-changed", "A1");
    assert_eq!(moved["balance"].to_string(), "12.50");
    assert_eq!(moved["available"].to_string(), "32.50");
}

/// Alice's new recharge payment of `amount` through API B.
async fn recharge(f: &Fixture, amount: &str) -> String {
    let body = json!({"userId": f.user("alice"), "params": {"amount": dec(amount)}});
    let r = f.post(RECHARGE, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_string()
}

/// Alice prints for `amount` through API A.
async fn spend(f: &Fixture, amount: &str) {
    let s = f.app.session(&f.myq, "alice").await;
    let p = f.app.payment(&f.myq, s, amount).await;
    let commit = format!("/sessions/{s}/payments/{p}/commit");
    assert_eq!(
        f.app.myq(&f.myq, Method::POST, &commit, None).await.status,
        204
    );
    let end = format!("/sessions/{s}");
    assert_eq!(
        f.app.myq(&f.myq, Method::DELETE, &end, None).await.status,
        204
    );
}

async fn admin_post(f: &Fixture, path: &str, body: Value) -> Value {
    let r = f
        .app
        .admin(Method::POST, &format!("/ledgers/{L}{path}"), Some(body))
        .await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json()
}

/// A debt billed, reminded with a fee, the account asked to close, and the debt paid: the
/// payment closes the reminder and then the account.
#[tokio::test]
async fn billing_tells_bills_reminders_payments_and_the_account_closing() {
    let f = Setup::ledger(L)
        .patch(json!({"settings": {"reminderFee": 60}}))
        .myq()
        .customer("C1", json!({"username": "alice"}), "1000")
        .ledger_bearer()
        .spawn()
        .await;
    let (_, after) = told(&f.app, 0).await;
    let r = f
        .call(Method::PATCH, ACCOUNT, Some(json!({"creditLimit": 800})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        told(&f.app, after).await.0,
        pairs(&[("account.changed", A)]),
        "a lower limit moves no money"
    );
    spend(&f, "20").await;
    let (_, after) = told(&f.app, after).await;

    admin_post(&f, "/bill-runs", json!({"billDate": "2027-01-31"})).await;
    assert_eq!(told(&f.app, after).await.0, pairs(&[("bill.created", "1")]));
    let (_, after) = told(&f.app, after).await;
    admin_post(&f, "/bill-runs", json!({"billDate": "2027-03-03"})).await;
    let r = f
        .post(&format!("{ACCOUNT}/request-close-account"), json!({}))
        .await;
    assert!(r.status < 300, "{}", r.text);
    let paid = admin_post(
        &f,
        &format!("/accounts/{A}/payments"),
        json!({"amount": 80}),
    )
    .await;
    let payment = paid["id"].to_string();
    assert_eq!(
        told(&f.app, after).await.0,
        pairs(&[
            // The run: a reminder with its fee takes the unpaid bill's place.
            ("reminder.created", "2"),
            ("bill.closed", "1"),
            ("account.balance-changed", A),
            // Asked to close while owing: it waits for the debt.
            ("account.changed", A),
            // The payment settles everything, and the account closes.
            ("account.closed", A),
            ("bill.closed", "2"),
            ("payment.received", &payment),
            ("account.balance-changed", A),
        ])
    );
    let events = told_in_full(&f.app, after).await;
    let superseded = data_of(&events, "bill.closed", "1");
    assert_eq!(superseded["closedBecause"], "superseded", "{superseded}");
    let settled = data_of(&events, "bill.closed", "2");
    assert_eq!(
        (
            settled["closedBecause"].as_str(),
            settled["type"].as_str(),
            settled["paid"].to_string()
        ),
        (Some("paid"), Some("reminder1"), "80.00".into())
    );
    let waiting = data_of(&events, "account.changed", A);
    assert_eq!(waiting["status"], "pending-close", "{waiting}");
    let last = events.last().unwrap();
    assert_eq!(
        (
            last["data"]["balance"].to_string(),
            last["data"]["status"].as_str()
        ),
        ("0.00".into(), Some("closed"))
    );
}

/// The consumer's SCA page approves or declines; a split authorization is captured in part,
/// reversed in part and cancelled; another one expires.
#[tokio::test]
async fn authorizations_tell_sca_captures_reversals_cancellations_and_expiry() {
    let f = crate::account_transaction::setup().await;
    let (_, after) = told(&f.app, 0).await;
    pre_authorize(&f, "p1", "100", "None").await;
    pre_authorize(&f, "p2", "300", "Required").await;
    decide(&f, "p2", "approve").await;
    pre_authorize(&f, "p3", "50", "Required").await;
    decide(&f, "p3", "decline").await;

    split(&f, "s1", "p1").await;
    let capture = json!({"captureId": "c1", "sellerTransactionId": "tx-c1", "currency": "SEK",
        "monthlyBillingAmount": 0, "months": 0, "totalAmount": 40, "productName": "Sofa"});
    created(&f, "/split-authorizations/s1/captures/c1", capture).await;
    let reversal = json!({"reversalId": "r1", "currency": "SEK", "amount": 15, "sellerTransactionId": "ret-1"});
    created(
        &f,
        "/split-authorizations/s1/captures/c1/reversals/r1",
        reversal,
    )
    .await;
    created(&f, "/split-authorizations/s1/cancellations", json!({})).await;
    split(&f, "s2", "p2").await;
    f.app.clock.advance(time::Duration::days(31));
    assert_eq!(f.app.engine.sweep().await.unwrap().authorizations, 1);

    assert_eq!(
        told(&f.app, after).await.0,
        pairs(&[
            ("authentication.approved", "p1"),
            ("authentication.approved", "p2"),
            ("authentication.declined", "p3"),
            ("authorization.created", "s1"),
            ("account.balance-changed", A),
            ("authorization.captured", "c1"),
            ("account.balance-changed", A),
            ("reversal.created", "r1"),
            ("account.balance-changed", A),
            ("authorization.cancelled", "s1"),
            ("account.balance-changed", A),
            ("authorization.created", "s2"),
            ("account.balance-changed", A),
            ("authorization.expired", "s2"),
            ("account.balance-changed", A),
        ])
    );
    let events = told_in_full(&f.app, after).await;
    let captured = data_of(&events, "authorization.captured", "c1");
    assert_eq!(
        (
            captured["amount"].to_string(),
            captured["authorizationId"].as_str()
        ),
        ("40.00".into(), Some("s1"))
    );
    let cancelled = data_of(&events, "authorization.cancelled", "s1");
    assert_eq!(cancelled["remaining"].to_string(), "60.00", "{cancelled}");
    let last = &events.last().unwrap()["data"];
    assert_eq!(
        (last["balance"].to_string(), last["reserved"].to_string()),
        ("-25.00".into(), "0.00".into()),
        "40 captured, 15 reversed, every hold released"
    );
}

/// POST `body` to `path` under API D's ledger base, insisting on 201.
async fn created(f: &Fixture, path: &str, body: Value) {
    let r = f.post(&format!("{AT}{path}"), body).await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
}

async fn pre_authorize(f: &Fixture, id: &str, amount: &str, sca: &str) {
    created(
        f,
        &format!("/authentications/{id}"),
        pre_auth_body(amount, sca),
    )
    .await;
}

async fn split(f: &Fixture, id: &str, pre_authorization: &str) {
    let body = json!({"splitAuthorizationId": id, "preAuthorizationId": pre_authorization});
    created(f, &format!("/split-authorizations/{id}"), body).await;
}

/// The consumer answers `decision` on the SCA page of pre-authorization `id`.
async fn decide(f: &Fixture, id: &str, decision: &str) {
    let body = json!({"returnUrl": "https://shop.example/done",
        "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}});
    let r = f
        .post(&format!("{AT}/authentications/{id}/redirect"), body)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let page = r.json()["redirectUrl"].as_str().unwrap().to_string();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .post(page)
        .form(&[("decision", decision)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{decision}");
}
