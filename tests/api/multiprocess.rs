//! Two real `saldo serve` processes on one database: no interleaving across them overdraws,
//! double-commits or loses an update, each sees the other's changes at once, and killing one
//! loses nothing it acknowledged.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Load, PROCESS_TOKEN as TOKEN, Server, Setup, TestDb, dec, eventually, free_port,
};

async fn call(
    url: &str,
    auth: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{url}{path}"))
        .header("authorization", auth);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Ledger 601 with `users` customers u0.. (accounts A0.., limit `limit` each), made through
/// `server`; returns the MyQ Basic header and the credential's id.
async fn provision(server: &Server, users: usize, limit: &str) -> (String, i64) {
    let mut setup = Setup::ledger("601").myq_login("m");
    for i in 0..users {
        setup = setup
            .customer(
                &format!("c{i}"),
                json!({"username": format!("u{i}")}),
                limit,
            )
            .account_no(&format!("A{i}"));
    }
    let made = setup.provision(&server.admin(), &server.url).await;
    (made.myq, made.myq_credential)
}

async fn account(server: &Server, no: &str) -> Value {
    let path = format!("/ledgers/601/accounts/{no}");
    server.admin().ok(Method::GET, &path, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_race_forty_blocks_and_see_each_others_changes_at_once() {
    let db = TestDb::new();
    let a = Server::start(&db.url, free_port(), Some(TOKEN)).await;
    let b = Server::start(&db.url, free_port(), Some(TOKEN)).await;
    // Everything is made through A; B serves it at once, credential and ledger included.
    let (auth, credential) = provision(&a, 1, "20").await;
    let (status, s_b) = call(
        &b.url,
        &auth,
        Method::POST,
        "/sessions",
        Some(json!({"username": "u0"})),
    )
    .await;
    assert_eq!(
        status, 200,
        "B knows A's ledger, customer and credential: {s_b}"
    );
    let (_, s_a) = call(
        &a.url,
        &auth,
        Method::POST,
        "/sessions",
        Some(json!({"username": "u0"})),
    )
    .await;
    let (s_a, s_b) = (s_a["id"].as_i64().unwrap(), s_b["id"].as_i64().unwrap());
    assert_ne!(s_a, s_b, "ids are unique across processes");

    let mut tasks = Vec::new();
    for i in 0..40 {
        let (url, s) = if i % 2 == 0 {
            (a.url.clone(), s_a)
        } else {
            (b.url.clone(), s_b)
        };
        let auth = auth.clone();
        tasks.push(tokio::spawn(async move {
            call(
                &url,
                &auth,
                Method::POST,
                &format!("/sessions/{s}/block"),
                Some(json!({"amount": 5})),
            )
            .await
            .0
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let held_by_b = statuses
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&s| s == 204)
        .count();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 204).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 402).count(),
        36,
        "{statuses:?}"
    );
    for server in [&a, &b] {
        let acc = account(server, "A0").await;
        assert_eq!(acc["reservedAmount"], dec("20.00"), "{acc}");
        assert_eq!(acc["availableAmount"], dec("0.00"), "{acc}");
    }

    // A change through one process is visible through the other on the very next request.
    let (status, _) = call(
        &a.url,
        &auth,
        Method::DELETE,
        &format!("/sessions/{s_a}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let after_end = account(&b, "A0").await;
    assert_eq!(
        after_end["reservedAmount"],
        dec(&format!("{}.00", 5 * held_by_b)),
        "B sees A's session end: {after_end}"
    );
    let (status, p) = call(
        &b.url,
        &auth,
        Method::POST,
        &format!("/sessions/{s_b}/payments"),
        Some(json!({"amount": 3})),
    )
    .await;
    assert_eq!(status, 200, "{p}");
    let p = p["id"].as_i64().unwrap();
    let (status, _) = call(
        &b.url,
        &auth,
        Method::POST,
        &format!("/sessions/{s_b}/payments/{p}/commit"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    let seen_by_a = account(&a, "A0").await;
    assert_eq!(
        seen_by_a["totalBalance"],
        dec("-3.00"),
        "A sees B's commit at once: {seen_by_a}"
    );
    // A commit retried through the other process has no second effect.
    let (status, _) = call(
        &a.url,
        &auth,
        Method::POST,
        &format!("/sessions/{s_b}/payments/{p}/commit"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(account(&b, "A0").await["totalBalance"], dec("-3.00"));
    // Settings patched through B govern A's next request.
    let renamed = json!({"name": "renamed"});
    b.admin()
        .ok(Method::PATCH, "/ledgers/601", Some(renamed))
        .await;
    assert_eq!(
        a.admin().ok(Method::GET, "/ledgers/601", None).await["name"],
        "renamed"
    );
    // A credential revoked through A stops working through B within the refresh interval.
    let (status, _) = call(
        &a.url,
        &format!("Bearer {TOKEN}"),
        Method::DELETE,
        &format!("/admin/v1/ledgers/601/credentials/{credential}"),
        None,
    )
    .await;
    assert!((200..300).contains(&status));
    let session = format!("/sessions/{s_b}");
    let what = "B refuses the credential revoked through A";
    eventually(Duration::from_millis(1500), what, || async {
        let (status, _) = call(&b.url, &auth, Method::GET, &session, None).await;
        (status == 401).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_process_mid_load_loses_nothing_it_acknowledged() {
    let db = TestDb::new();
    let a = Server::start(&db.url, free_port(), Some(TOKEN)).await;
    let b = Server::start(&db.url, free_port(), Some(TOKEN)).await;
    let (auth, _) = provision(&a, 4, "1000").await;

    // Eight terminals, half on each process, all on the same four accounts.
    let terminals = (0..8)
        .map(|t| (if t % 2 == 0 { &a.url } else { &b.url }.clone(), t % 4))
        .collect();
    let load = Load::start(terminals, &auth);
    load.until_acknowledged(24).await;
    a.kill9();
    // B's terminals carry on under load after the kill.
    let at_kill = load.acknowledged();
    load.until_acknowledged(at_kill + 24).await;
    let acked = load.finish().await;
    assert!(acked.len() > 20, "the load ran: {} commits", acked.len());

    // B carried on; everything either acknowledged is there, and the books balance.
    let mut total_debits = 0.0;
    for user in 0..4 {
        let path = format!("/ledgers/601/accounts/A{user}/statement");
        let statement = b.admin().ok(Method::GET, &path, None).await;
        let txns = statement["transactions"].as_array().unwrap();
        let refs: std::collections::HashSet<&str> = txns
            .iter()
            .map(|t| t["reference"].as_str().unwrap())
            .collect();
        for (_, p) in acked.iter().filter(|(u, _)| *u == user) {
            assert!(
                refs.contains(format!("myq-payment:{p}").as_str()),
                "acknowledged payment {p} of u{user} is lost"
            );
        }
        let account = &statement["account"];
        if let Some(last) = txns.last() {
            assert_eq!(
                account["totalBalance"], last["balance"],
                "balance is the sum of postings"
            );
        }
        assert!(account["availableAmount"].as_f64().unwrap() >= 0.0);
        total_debits += txns.len() as f64;
    }
    assert!(total_debits >= acked.len() as f64);
    let (status, _) = call(
        &b.url,
        &auth,
        Method::POST,
        "/sessions",
        Some(json!({"username": "u0"})),
    )
    .await;
    assert_eq!(status, 200, "the survivor keeps serving");
    // And a restarted process agrees with it.
    let c = Server::start(&db.url, free_port(), Some(TOKEN)).await;
    for user in 0..4 {
        let no = format!("A{user}");
        assert_eq!(account(&b, &no).await, account(&c, &no).await);
    }
}
