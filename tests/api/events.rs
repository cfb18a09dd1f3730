//! The event feed (SPEC §10): every committed change as numbered events, read through the
//! admin API a page at a time or waiting for the next.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Setup, TestApp, dec};

const L: &str = "501";

/// The feed after `after`, insisting on 200.
pub(crate) async fn feed(app: &TestApp, query: &str) -> Value {
    let reply = app
        .admin(Method::GET, &format!("/ledgers/{L}/events?{query}"), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

/// Types and resource ids of the events after `after`, and the next `after`.
pub(crate) async fn told(app: &TestApp, after: i64) -> (Vec<(String, String)>, i64) {
    let page = feed(app, &format!("after={after}&limit=1000")).await;
    let items = page["items"].as_array().unwrap();
    let told = items
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap().to_string();
            (kind, e["resourceId"].as_str().unwrap().to_string())
        })
        .collect();
    (told, page["next"].as_i64().unwrap())
}

pub(crate) fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, id)| (k.to_string(), id.to_string()))
        .collect()
}

/// alice (account A1, limit 20) on a ledger that warns below 15 available.
async fn setup() -> (TestApp, String) {
    alice(json!({"lowBalanceThreshold": 15})).await
}

/// alice (account A1, card K-1, limit 20) on a ledger with `settings`, and the MyQ
/// credential.
pub(crate) async fn alice(settings: Value) -> (TestApp, String) {
    let f = Setup::ledger(L)
        .patch(json!({ "settings": settings }))
        .myq()
        .customer("1", json!({"username": "alice", "cards": ["K-1"]}), "20")
        .account_no("A1")
        .spawn()
        .await;
    (f.app, f.made.myq)
}

#[tokio::test]
async fn provisioning_and_a_myq_print_job_are_told_in_order_with_the_state_after() {
    let (app, myq) = setup().await;
    let (setup_events, after) = told(&app, 0).await;
    assert_eq!(
        setup_events,
        pairs(&[
            ("customer.created", "1"),
            ("account.created", "A1"),
            ("customer.changed", "1"),
        ]),
        "the account became alice's default in the job that opened it"
    );
    let all = feed(&app, "after=0").await;
    let first = &all["items"][0];
    assert_eq!(first["seq"], 1);
    assert_eq!(first["id"], "evt-501-1");
    assert!(
        first["time"].as_str().unwrap().ends_with("+01:00"),
        "{first}"
    );

    let session = app.session(&myq, "alice").await;
    let job = app.payment(&myq, session, "3").await;
    let commit = format!("/sessions/{session}/payments/{job}/commit");
    assert_eq!(app.myq(&myq, Method::POST, &commit, None).await.status, 204);
    let copy = app.payment(&myq, session, "4").await;
    let rollback = format!("/sessions/{session}/payments/{copy}/rollback");
    assert_eq!(
        app.myq(&myq, Method::POST, &rollback, None).await.status,
        204
    );
    let end = format!("/sessions/{session}");
    assert_eq!(app.myq(&myq, Method::DELETE, &end, None).await.status, 204);
    let (flow, next) = told(&app, after).await;
    let (job, copy, session) = (job.to_string(), copy.to_string(), session.to_string());
    assert_eq!(
        flow,
        pairs(&[
            // 3 reserved: available 20 → 17.
            ("account.balance-changed", "A1"),
            ("myq.payment.committed", &job),
            // 3 spent, nothing reserved: available still 17.
            ("account.balance-changed", "A1"),
            // 4 reserved: available 17 → 13, below 15 for the first time.
            ("account.balance-changed", "A1"),
            ("account.low-balance", "A1"),
            ("myq.payment.rolled-back", &copy),
            ("account.balance-changed", "A1"),
            ("myq.session.ended", &session),
        ])
    );
    let page = feed(&app, &format!("after={after}&limit=1000")).await;
    let last_account = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["resource"] == "account")
        .unwrap()
        .clone();
    assert_eq!(last_account["data"]["balance"].to_string(), "-3.00");
    assert_eq!(last_account["data"]["reserved"].to_string(), "0.00");
    assert_eq!(last_account["data"]["available"].to_string(), "17.00");
    let committed = &page["items"][1]["data"];
    assert_eq!(
        (
            committed["status"].as_str(),
            committed["accountNo"].as_str()
        ),
        (Some("committed"), Some("A1"))
    );
    assert_eq!(told(&app, next).await.0, vec![], "nothing after the end");
    let behind = feed(&app, "after=0&limit=1").await;
    assert_eq!(
        (behind["next"].as_i64(), behind["last"].as_i64()),
        (Some(1), Some(next))
    );
}

#[tokio::test]
async fn a_refused_change_tells_nothing_and_the_feed_pages_without_gaps() {
    let (app, myq) = setup().await;
    let (_, after) = told(&app, 0).await;
    let (_, after) = {
        // Opening a session changes no account: nothing to tell.
        app.session(&myq, "alice").await;
        told(&app, after).await
    };
    let debit = json!({"direction": "debit", "amount": 999, "reason": "Too much"});
    let path = format!("/ledgers/{L}/accounts/A1/adjustments");
    let reply = app.admin(Method::POST, &path, Some(debit)).await;
    assert!(reply.status >= 400, "more than alice has: {}", reply.text);
    assert_eq!(
        told(&app, after).await.0,
        vec![],
        "a refusal changes nothing"
    );

    for amount in ["1", "2", "3"] {
        let pay = json!({"amount": amount.parse::<i64>().unwrap()});
        let path = format!("/ledgers/{L}/accounts/A1/payments");
        assert_eq!(app.admin(Method::POST, &path, Some(pay)).await.status, 201);
    }
    let mut seen = Vec::new();
    let mut cursor = after;
    loop {
        let page = feed(&app, &format!("after={cursor}&limit=2")).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        if items.is_empty() {
            assert_eq!(page["next"], cursor, "an empty page keeps the cursor");
            break;
        }
        seen.extend(items.iter().map(|e| e["seq"].as_i64().unwrap()));
        cursor = page["next"].as_i64().unwrap();
    }
    let expected: Vec<i64> = (after + 1..=after + 6).collect();
    assert_eq!(
        seen, expected,
        "three payments, each received and moving A1"
    );

    let reply = app
        .admin(Method::GET, &format!("/ledgers/{L}/events?since=3"), None)
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.error_message().contains("since"), "{}", reply.text);
    let reply = app
        .admin(Method::GET, &format!("/ledgers/{L}/events?wait=61"), None)
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.error_message().contains("wait"), "{}", reply.text);
}

#[tokio::test]
async fn a_waiting_reader_gets_the_next_event_as_soon_as_it_commits() {
    let (app, _) = setup().await;
    let (_, after) = told(&app, 0).await;
    let started = Instant::now();
    let admin = app.admin_api();
    let pay = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let path = format!("/ledgers/{L}/accounts/A1/payments");
        admin.create(&path, json!({"amount": 5})).await;
    });
    let page = feed(&app, &format!("after={after}&wait=20")).await;
    pay.await.unwrap();
    let waited = started.elapsed();
    assert_eq!(page["items"][0]["type"], "payment.received", "{page}");
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(10),
        "woken by the commit, not by the 20 s deadline: {waited:?}"
    );
    let quiet = Instant::now();
    let page = feed(&app, &format!("after={}&wait=1", page["next"])).await;
    assert_eq!(page["items"], json!([]));
    assert!(
        quiet.elapsed() >= Duration::from_secs(1),
        "waited the second out"
    );
}

#[tokio::test]
async fn an_account_warns_at_its_own_threshold_until_it_follows_the_ledgers_again() {
    let (app, myq) = setup().await;
    let (_, after) = told(&app, 0).await;
    let path = format!("/ledgers/{L}/accounts/A1");
    let set = |threshold: Value| Some(json!({ "lowBalanceThreshold": threshold }));
    let reply = app.admin(Method::PATCH, &path, set(json!(-1))).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(
        reply.error_message().contains("lowBalanceThreshold"),
        "{}",
        reply.text
    );
    let reply = app.admin(Method::PATCH, &path, set(json!(19.5))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["lowBalanceThreshold"], dec("19.50"));

    let session = app.session(&myq, "alice").await;
    // Available 20 → 19: below the account's 19.50, above the ledger's 15.
    app.payment(&myq, session, "1").await;
    let reply = app.admin(Method::PATCH, &path, set(Value::Null)).await;
    assert_eq!(reply.json()["lowBalanceThreshold"], Value::Null);
    // 19 → 16 → 14: the ledger's 15 is crossed by the second.
    app.payment(&myq, session, "3").await;
    app.payment(&myq, session, "2").await;
    assert_eq!(
        told(&app, after).await.0,
        pairs(&[
            ("account.changed", "A1"),
            ("account.balance-changed", "A1"),
            ("account.low-balance", "A1"),
            ("account.changed", "A1"),
            ("account.balance-changed", "A1"),
            ("account.balance-changed", "A1"),
            ("account.low-balance", "A1"),
        ])
    );
    let page = feed(&app, &format!("after={after}&limit=1")).await;
    assert_eq!(
        page["items"][0]["data"]["lowBalanceThreshold"].to_string(),
        "19.50"
    );
}
