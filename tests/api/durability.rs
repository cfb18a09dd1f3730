//! The real binary, killed with SIGKILL under load, keeps every acknowledged payment.

use reqwest::Method;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::helpers::{Load, PROCESS_TOKEN as TOKEN, Server, Setup, TestDb, free_port};

/// Undoes the schema changes made after the older saldo versions these tests stand in for;
/// every new migration adds its undoing here.
const LATER_CHANGES_UNDONE: &str = "ALTER TABLE bills DROP COLUMN origin; \
    ALTER TABLE customers DROP COLUMN address; ALTER TABLE credentials DROP COLUMN last_used_at; \
    DROP TABLE events; DROP TABLE webhooks; DROP TABLE webhook_deliveries; \
    ALTER TABLE accounts DROP COLUMN low_balance_threshold;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_payment() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let port = free_port();
    let server = Server::start(&db, port, Some(TOKEN)).await;
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let mut setup = Setup::ledger("501").myq_login("k");
    for i in 0..4 {
        setup = setup
            .customer(
                &format!("c{i}"),
                json!({"username": format!("u{i}")}),
                "100000",
            )
            .account_no(&format!("A{i}"));
    }
    let auth = setup.provision(&server.admin(), &url).await.myq;

    // Eight terminals commit payments until the server dies; each remembers what was acknowledged.
    let load = Load::start((0..8).map(|t| (url.clone(), t % 4)).collect(), &auth);
    load.until_acknowledged(60).await;
    server.kill9();
    let acked = load.finish().await;
    assert!(acked.len() > 50, "the load ran: {} commits", acked.len());

    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let url = server.url.clone();
    for user in 0..4 {
        let path = format!("/ledgers/501/accounts/A{user}/statement");
        let statement = server.admin().ok(Method::GET, &path, None).await;
        let refs: std::collections::HashSet<String> = statement["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reference"].as_str().unwrap().to_string())
            .collect();
        for (_, p) in acked.iter().filter(|(u, _)| *u == user) {
            assert!(
                refs.contains(&format!("myq-payment:{p}")),
                "acknowledged payment {p} of u{user} is lost"
            );
        }
        // Invariants after the restart: the balance is the sum of the postings, nothing overdrawn.
        let account = &statement["account"];
        let last = statement["transactions"]
            .as_array()
            .unwrap()
            .last()
            .unwrap();
        assert_eq!(account["totalBalance"], last["balance"]);
        let available: f64 = account["availableAmount"].to_string().parse().unwrap();
        assert!(available >= 0.0);
    }
    // Sessions that were open at the kill still work after it: the ledger is fully usable.
    let r = client
        .post(format!("{url}/sessions"))
        .header("authorization", &auth)
        .json(&json!({"username": "u0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizations_and_their_idempotent_answers_survive_sigkill() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let client = reqwest::Client::new();
    let url = server.url.clone();
    let setup = Setup::ledger("501")
        .customer("C1", json!({}), "1000")
        .account_no("A1")
        .ledger_bearer();
    let bearer = setup.provision(&server.admin(), &url).await.bearer;
    let base = "/ledger/account-transaction/v1/501";
    let post = |url: String, path: String, body: Value| {
        let (client, bearer) = (client.clone(), bearer.clone());
        async move {
            let r = client
                .post(format!("{url}{path}"))
                .header("authorization", bearer)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let pre = crate::helpers::pre_authorization("C1", json!(300), "Exempted");
    assert_eq!(
        post(url.clone(), format!("{base}/authentications/p1"), pre)
            .await
            .0,
        201
    );
    let split = json!({"splitAuthorizationId": "s1", "preAuthorizationId": "p1"});
    assert_eq!(
        post(
            url.clone(),
            format!("{base}/split-authorizations/s1"),
            split
        )
        .await
        .0,
        201
    );
    let capture = json!({"captureId": "c1", "sellerTransactionId": "t1", "currency": "SEK", "monthlyBillingAmount": 0,
                         "months": 0, "totalAmount": 120, "productName": "Lamp"});
    let first = post(
        url.clone(),
        format!("{base}/split-authorizations/s1/captures/c1"),
        capture.clone(),
    )
    .await;
    assert_eq!(first.0, 201);
    server.kill9();

    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let url = server.url.clone();
    let again = post(
        url.clone(),
        format!("{base}/split-authorizations/s1/captures/c1"),
        capture,
    )
    .await;
    assert_eq!(again, first, "the stored answer survived the crash");
    let s1: Value = client
        .get(format!("{url}{base}/split-authorizations/s1"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (s1["status"].clone(), s1["remainingAmount"].to_string()),
        (json!("authorized"), "180.00".to_string())
    );
    let account = server
        .admin()
        .ok(Method::GET, "/ledgers/501/accounts/A1", None)
        .await;
    assert_eq!(
        (
            account["totalBalance"].to_string(),
            account["reservedAmount"].to_string()
        ),
        ("-120.00".to_string(), "180.00".to_string()),
        "captured once, the rest still held"
    );
}

/// A database written by a version that stored HTTP answers (`idempotency` records) is
/// migrated: each resource gets its request's hash, and the stored answers go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_answers_of_an_older_version_become_request_hashes() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let setup = Setup::ledger("501")
        .customer("C1", json!({}), "1000")
        .ledger_bearer();
    let bearer = setup.provision(&server.admin(), &server.url).await.bearer;
    let path = "/ledger/account-transaction/v1/501/authentications/m1";
    let body = |amount: i64| crate::helpers::pre_authorization("C1", json!(amount), "Exempted");
    let post = |url: String, body: Value| {
        let bearer = bearer.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{url}{path}"))
                .header("authorization", bearer)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(post(server.url.clone(), body(300)).await.0, 201);
    server.kill9();

    // Back to what the schema before request hashes held: the hash in a stored answer, not on
    // the resource, no `live` column, and none of the later migrations' changes.
    let mut later_migrations_undone = String::from(
        "DROP INDEX recharge_payments_customer; \
         DROP TABLE ledger_batches; \
         ALTER TABLE ledgers ADD COLUMN last_batch BIGINT NOT NULL DEFAULT 0;",
    );
    if !crate::helpers::on_postgres() {
        later_migrations_undone.push_str(
            "DROP INDEX holds_active; CREATE INDEX holds_active ON holds(ledger_id, status); \
             DROP INDEX myq_sessions_open; \
             CREATE INDEX myq_sessions_status ON myq_sessions(ledger_id, status); \
             DROP INDEX recharge_payments_created; \
             CREATE INDEX recharge_payments_state ON recharge_payments(ledger_id, state);",
        );
    }
    let (json_hash, without_hash, version_back) = if crate::helpers::on_postgres() {
        (
            "body::jsonb ->> 'request_sha256'",
            "(body::jsonb - 'request_sha256')::text",
            format!(
                "DROP INDEX records_live; ALTER TABLE records DROP COLUMN live; {LATER_CHANGES_UNDONE} \
             DELETE FROM saldo_migrations WHERE version >= 4"
            ),
        )
    } else {
        (
            "json_extract(body, '$.request_sha256')",
            "json_remove(body, '$.request_sha256')",
            format!(
                "DROP INDEX records_live; ALTER TABLE records DROP COLUMN live; {LATER_CHANGES_UNDONE} \
             PRAGMA user_version = 8"
            ),
        )
    };
    test_db.execute(&format!(
        "INSERT INTO records (ledger_id, kind, key, body) \
         SELECT ledger_id, 'idempotency', 'authentication:m1', \
                '{{\"body_sha256\":\"' || ({json_hash}) || '\",\"status\":201,\"response\":\"{{}}\"}}' \
         FROM records WHERE kind = 'authentication' AND key = 'm1'"
    ));
    test_db.execute(&format!(
        "UPDATE records SET body = {without_hash} WHERE kind = 'authentication'"
    ));
    test_db.execute(&later_migrations_undone);
    test_db.execute(&version_back);

    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let (status, text) = post(server.url.clone(), body(300)).await;
    assert_eq!(status, 201, "the same request is still a retry: {text}");
    let (status, text) = post(server.url.clone(), body(301)).await;
    assert_eq!(status, 409, "another request is still a conflict: {text}");
    assert!(text.contains("different request body"), "{text}");
    let left = test_db.count("records WHERE kind = 'idempotency'");
    assert_eq!(left, 0, "no stored answers remain");
}

/// A database written when capture and reversal ids were unique across the ledger is migrated:
/// each capture moves under its split authorization and each reversal under its capture, and
/// the stored resources are still found, retried and refused as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_and_reversals_of_an_older_version_move_under_their_parent() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let setup = Setup::ledger("501")
        .customer("C1", json!({}), "1000")
        .account_no("A1")
        .ledger_bearer();
    let bearer = setup.provision(&server.admin(), &server.url).await.bearer;
    const BASE: &str = "/ledger/account-transaction/v1/501";
    let send = |url: String, method: Method, path: String, body: Option<Value>| {
        let bearer = bearer.clone();
        async move {
            let mut request = reqwest::Client::new()
                .request(method, format!("{url}{BASE}{path}"))
                .header("authorization", bearer);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let reversal =
        json!({"reversalId": "r1", "currency": "SEK", "amount": 10, "sellerTransactionId": "t"});
    let steps = [
        (
            "/authentications/m1",
            crate::helpers::pre_authorization("C1", json!(300), "Exempted"),
        ),
        (
            "/split-authorizations/s1",
            json!({"splitAuthorizationId": "s1", "preAuthorizationId": "m1"}),
        ),
        (
            "/split-authorizations/s1/captures/c1",
            json!({"captureId": "c1", "sellerTransactionId": "t",
            "currency": "SEK", "monthlyBillingAmount": 0, "months": 0, "totalAmount": 100, "productName": "P"}),
        ),
        (
            "/split-authorizations/s1/captures/c1/reversals/r1",
            reversal.clone(),
        ),
    ];
    for (path, body) in steps {
        let (status, text) = send(server.url.clone(), Method::POST, path.into(), Some(body)).await;
        assert_eq!(status, 201, "{path}: {text}");
    }
    server.kill9();

    // Back to the keys and schema version of the older saldo.
    let (capture_id, reversal_id, version_back) = if crate::helpers::on_postgres() {
        (
            "split_part(key, '/', 2)",
            "split_part(key, '/', 3)",
            format!("{LATER_CHANGES_UNDONE} DELETE FROM saldo_migrations WHERE version >= 10"),
        )
    } else {
        (
            "substr(key, instr(key, '/') + 1)",
            "substr(substr(key, instr(key, '/') + 1), instr(substr(key, instr(key, '/') + 1), '/') + 1)",
            format!("{LATER_CHANGES_UNDONE} PRAGMA user_version = 15"),
        )
    };
    test_db.execute(&format!(
        "UPDATE records SET key = {capture_id} WHERE kind = 'capture'"
    ));
    test_db.execute(&format!(
        "UPDATE records SET key = {reversal_id} WHERE kind = 'reversal'"
    ));
    assert_eq!(
        test_db.count("records WHERE key IN ('c1', 'r1')"),
        2,
        "old keys in place"
    );
    test_db.execute(&version_back);

    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let (status, text) = send(
        server.url.clone(),
        Method::GET,
        "/split-authorizations/s1/captures/c1".into(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"reversedAmount\":10.00"), "{text}");
    let retry = "/split-authorizations/s1/captures/c1/reversals/r1".to_string();
    let (status, text) = send(
        server.url.clone(),
        Method::POST,
        retry.clone(),
        Some(reversal),
    )
    .await;
    assert_eq!(status, 201, "the same reversal is still a retry: {text}");
    let other =
        json!({"reversalId": "r1", "currency": "SEK", "amount": 11, "sellerTransactionId": "t"});
    let (status, text) = send(server.url.clone(), Method::POST, retry, Some(other)).await;
    assert_eq!(status, 409, "another body is still a conflict: {text}");
    assert_eq!(
        test_db.count("records WHERE key IN ('c1', 'r1')"),
        0,
        "keys migrated"
    );
    let account = server
        .admin()
        .ok(Method::GET, "/ledgers/501/accounts/A1", None)
        .await;
    assert_eq!(
        account["totalBalance"].to_string(),
        "-90.00",
        "reversed once"
    );

    // The migration run again over keys it already moved (a crash after the keys, before the
    // version) leaves them as they are.
    server.kill9();
    test_db.execute(&version_back);
    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    assert_eq!(
        test_db.count("records WHERE key IN ('s1/c1', 's1/c1/r1')"),
        2,
        "keys moved once"
    );
    let (status, text) = send(
        server.url.clone(),
        Method::GET,
        "/split-authorizations/s1/captures/c1/reversals/r1".into(),
        None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
}

/// Kiosks topping up through API B while the server is killed: every recharge whose commit
/// was acknowledged is posted after the restart, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_recharges_survive_sigkill() {
    const PAYMENTS: &str = "/api/v3/rechargeProviders/external/payments";
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    let setup = Setup::ledger("501")
        .customer("c0", json!({"username": "u0"}), "0")
        .account_no("A0")
        .customer("c1", json!({"username": "u1"}), "0")
        .account_no("A1")
        .oauth(&["credit", "users"]);
    let made = setup.provision(&server.admin(), &server.url).await;
    let acked = Arc::new(AtomicUsize::new(0));
    let kiosks: Vec<_> = (0..4)
        .map(|k| {
            let (url, bearer, acked) = (server.url.clone(), made.bearer.clone(), acked.clone());
            let user = made.users[&format!("u{}", k % 2)];
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let post = |path: String, body: Option<Value>| {
                    let mut req = client
                        .post(format!("{url}{path}"))
                        .header("authorization", &bearer);
                    if let Some(body) = body {
                        req = req.json(&body);
                    }
                    async move {
                        let r = req.send().await.ok()?;
                        (r.status() == 200).then_some(())?;
                        r.json::<Value>().await.ok()
                    }
                };
                let mut committed = Vec::new();
                let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
                while tokio::time::Instant::now() < deadline {
                    let body = json!({"userId": user, "params": {"amount": 2.5}});
                    let Some(created) = post(PAYMENTS.into(), Some(body)).await else {
                        break;
                    };
                    let id = created["id"].as_str().unwrap().to_string();
                    if post(format!("{PAYMENTS}/{id}/commit"), None)
                        .await
                        .is_none()
                    {
                        break;
                    }
                    acked.fetch_add(1, Ordering::Relaxed);
                    committed.push((k % 2, id));
                }
                committed
            })
        })
        .collect();
    crate::helpers::eventually(
        std::time::Duration::from_secs(30),
        "40 recharges acknowledged",
        || async { (acked.load(Ordering::Relaxed) >= 40).then_some(()) },
    )
    .await;
    server.kill9();
    let mut committed = Vec::new();
    for kiosk in kiosks {
        committed.extend(kiosk.await.unwrap());
    }

    let server = Server::start(&db, free_port(), Some(TOKEN)).await;
    for user in 0..2 {
        let path = format!("/ledgers/501/accounts/A{user}/statement");
        let statement = server.admin().ok(Method::GET, &path, None).await;
        let refs: Vec<String> = statement["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["reference"].as_str().unwrap().to_string())
            .collect();
        for (_, id) in committed.iter().filter(|(u, _)| *u == user) {
            let posted = refs
                .iter()
                .filter(|r| **r == format!("recharge:{id}"))
                .count();
            assert_eq!(
                posted, 1,
                "acknowledged recharge {id} of u{user} is posted once"
            );
        }
        // The balance is the sum of what was posted: 2.50 per recharge, nothing else.
        let account = &statement["account"];
        assert_eq!(
            account["totalBalance"].to_string(),
            format!("{}.{:02}", refs.len() * 250 / 100, refs.len() * 250 % 100)
        );
    }
}
