//! Webhooks (SPEC §10) against a real HTTP receiver: signed deliveries in sequence order,
//! retries of a failing receiver, pausing one that keeps failing, replay, the delivery log.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Setup, TestApp, eventually};

const L: &str = "501";

/// What the receiver got, and what it answers next.
#[derive(Default)]
struct Inbox {
    received: Vec<(HeaderMap, String)>,
    /// Answers to give, first first; 200 once they run out. 0 means "answer too late".
    script: Vec<u16>,
}

/// A receiver on 127.0.0.1 that records every delivery.
async fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Inbox>>) {
    let inbox = Arc::new(Mutex::new(Inbox {
        received: Vec::new(),
        script,
    }));
    async fn take(
        State(inbox): State<Arc<Mutex<Inbox>>>,
        headers: HeaderMap,
        body: String,
    ) -> StatusCode {
        let answer = {
            let mut inbox = inbox.lock().unwrap();
            inbox.received.push((headers, body));
            if inbox.script.is_empty() {
                200
            } else {
                inbox.script.remove(0)
            }
        };
        if answer == 0 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            return StatusCode::OK;
        }
        StatusCode::from_u16(answer).unwrap()
    }
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(take))
        .with_state(inbox.clone());
    (serve_hook(app).await, inbox)
}

/// Serves `app` on a free port of 127.0.0.1; its URL at `/hook`.
async fn serve_hook(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// alice (A1, limit 20) on a ledger that lets webhooks reach this machine.
async fn setup() -> (TestApp, String) {
    crate::events::alice(json!({"webhooksAllowPrivateAddresses": true})).await
}

async fn subscribe(app: &TestApp, body: Value) -> Value {
    app.admin_create(&format!("/ledgers/{L}/webhooks"), body)
        .await
}

async fn pay(app: &TestApp, amount: i64) {
    let path = format!("/ledgers/{L}/accounts/A1/payments");
    app.admin_create(&path, json!({"amount": amount})).await;
}

/// The seqs the receiver took (answered 2xx), in arrival order.
fn delivered_seqs(inbox: &Arc<Mutex<Inbox>>) -> Vec<i64> {
    inbox
        .lock()
        .unwrap()
        .received
        .iter()
        .map(|(_, body)| {
            serde_json::from_str::<Value>(body).unwrap()["seq"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

/// Runs the Python `verify` of docs/webhooks.md on a delivery.
fn docs_recipe_verifies(secret: &str, header: &str, body: &str) -> bool {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/webhooks.md")).unwrap();
    let recipe = doc
        .split("```python\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a python block in docs/webhooks.md");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("body"), body).unwrap();
    let script = format!(
        "{recipe}\nimport os, sys\nbody = open(os.path.join(sys.argv[1], 'body'), 'rb').read()\n\
         sys.exit(0 if verify(os.environ['SECRET'], os.environ['HEADER'], body) else 1)\n"
    );
    let status = std::process::Command::new("python3")
        .args(["-c", &script])
        .arg(dir.path())
        .env("SECRET", secret)
        .env("HEADER", header)
        .status()
        .expect("python3 runs");
    status.success()
}

#[tokio::test]
async fn every_wanted_event_arrives_signed_in_sequence_order() {
    let (app, myq) = setup().await;
    let (url, inbox) = receiver(vec![]).await;
    let all = subscribe(&app, json!({"url": url, "after": 0})).await;
    let secret = all["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{all}");
    let (only_url, only) = receiver(vec![]).await;
    subscribe(
        &app,
        json!({"url": only_url, "types": ["myq.payment.committed"]}),
    )
    .await;

    let session = app.session(&myq, "alice").await;
    let job = app.payment(&myq, session, "3").await;
    let commit = format!("/sessions/{session}/payments/{job}/commit");
    assert_eq!(app.myq(&myq, Method::POST, &commit, None).await.status, 204);
    let feed = app
        .admin(
            Method::GET,
            &format!("/ledgers/{L}/events?limit=1000"),
            None,
        )
        .await
        .json();
    let expected: Vec<i64> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    let want = expected.len();
    eventually(Duration::from_secs(10), "every event delivered", || {
        let got = delivered_seqs(&inbox).len();
        async move { (got >= want).then_some(()) }
    })
    .await;
    assert_eq!(delivered_seqs(&inbox), expected, "each once, in order");

    let received = inbox.lock().unwrap().received.clone();
    for (headers, body) in &received {
        let signature = headers["saldo-signature"].to_str().unwrap();
        assert!(
            saldo::webhooks::sign::verify(&secret, signature, body.as_bytes()),
            "signed: {signature}"
        );
        let changed = body.replacen('}', " }", 1);
        assert!(!saldo::webhooks::sign::verify(
            &secret,
            signature,
            changed.as_bytes()
        ));
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(headers["saldo-event-id"], event["id"].as_str().unwrap());
        assert_eq!(headers["saldo-event-type"], event["type"].as_str().unwrap());
        assert_eq!(event["ledgerNo"], L);
    }
    // The recipe docs/webhooks.md gives receivers, run as written.
    let (headers, body) = received.last().unwrap().clone();
    let signature = headers["saldo-signature"].to_str().unwrap();
    assert!(docs_recipe_verifies(&secret, signature, &body));
    assert!(!docs_recipe_verifies(
        &secret,
        signature,
        &body.replacen('}', " }", 1)
    ));
    // The filtered subscription started at the end of the feed and wants commits only.
    eventually(Duration::from_secs(10), "the commit delivered", || {
        let n = only.lock().unwrap().received.len();
        async move { (n >= 1).then_some(()) }
    })
    .await;
    let only = only.lock().unwrap();
    assert_eq!(only.received.len(), 1);
    assert!(only.received[0].1.contains("myq.payment.committed"));
}

#[tokio::test]
async fn a_receiver_that_fails_or_times_out_gets_the_event_again_and_in_order() {
    let (app, _) = setup().await;
    // 500, no answer in time, 503: three failures of the first event, then all is taken.
    let (url, inbox) = receiver(vec![500, 0, 503]).await;
    let hook = subscribe(&app, json!({"url": url})).await;
    pay(&app, 5).await;
    pay(&app, 6).await;
    let id = hook["id"].as_i64().unwrap();
    let first = hook["handledSeq"].as_i64().unwrap() + 1;
    eventually(Duration::from_secs(15), "both payments delivered", || {
        let seqs = delivered_seqs(&inbox);
        async move { (seqs.len() >= 7).then_some(()) }
    })
    .await;
    let seqs = delivered_seqs(&inbox);
    assert_eq!(
        seqs[..4],
        [first; 4],
        "the first event until it was taken: {seqs:?}"
    );
    assert_eq!(
        seqs[4..],
        [first + 1, first + 2, first + 3],
        "then the rest in order"
    );
    let log = app
        .admin(
            Method::GET,
            &format!("/ledgers/{L}/webhooks/{id}/deliveries"),
            None,
        )
        .await
        .json();
    let oldest_first: Vec<&Value> = log["items"].as_array().unwrap().iter().rev().collect();
    let outcome = |i: usize| {
        let d = oldest_first[i];
        (
            d["attempt"].as_i64().unwrap(),
            d["status"].as_i64(),
            d["outcome"].as_str().unwrap(),
        )
    };
    assert_eq!(outcome(0), (1, Some(500), "retrying"));
    assert_eq!(outcome(1), (2, None, "retrying"));
    assert_eq!(oldest_first[1]["error"], "no answer in time");
    assert_eq!(outcome(2), (3, Some(503), "retrying"));
    assert_eq!(outcome(3), (4, Some(200), "delivered"));
    assert!(oldest_first[3]["latencyMs"].as_i64().unwrap() >= 0);
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_pauses_its_subscription_until_resumed_and_replayed() {
    let (app, _) = setup().await;
    let (url, inbox) = receiver(vec![500; 1000]).await;
    let hook = subscribe(&app, json!({"url": url, "types": ["payment.received"]})).await;
    let id = hook["id"].as_i64().unwrap();
    pay(&app, 5).await;
    let path = format!("/ledgers/{L}/webhooks");
    let paused = eventually(
        Duration::from_secs(15),
        "paused after the retry period",
        || {
            let app = &app;
            let path = path.clone();
            async move {
                let list = app.admin(Method::GET, &path, None).await.json();
                let hook = list["items"][0].clone();
                (hook["status"] == "paused").then_some(hook)
            }
        },
    )
    .await;
    assert!(
        paused.get("secret").is_none(),
        "never shown again: {paused}"
    );
    let tried = inbox.lock().unwrap().received.len();
    assert!(tried >= 3, "retried with backoff before giving up: {tried}");
    let log = app
        .admin(
            Method::GET,
            &format!("{path}/{id}/deliveries?limit=1"),
            None,
        )
        .await
        .json();
    assert_eq!(log["items"][0]["outcome"], "failed");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        inbox.lock().unwrap().received.len(),
        tried,
        "paused: no more tries"
    );

    // The receiver is fixed; the operator resumes the subscription.
    inbox.lock().unwrap().script.clear();
    let resumed = app
        .admin(
            Method::PATCH,
            &format!("{path}/{id}"),
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    eventually(Duration::from_secs(10), "delivered once resumed", || {
        let last = inbox.lock().unwrap().received.len();
        async move { (last > tried).then_some(()) }
    })
    .await;
    let before_replay = inbox.lock().unwrap().received.len();
    let replay = app
        .admin(
            Method::POST,
            &format!("{path}/{id}/replay"),
            Some(json!({"after": 0})),
        )
        .await;
    assert_eq!(replay.status, 200, "{}", replay.text);
    eventually(
        Duration::from_secs(10),
        "the payment delivered again",
        || {
            let n = inbox.lock().unwrap().received.len();
            async move { (n > before_replay).then_some(()) }
        },
    )
    .await;
    let deleted = app
        .admin(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204);
    let list = app.admin(Method::GET, &path, None).await.json();
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn subscriptions_refuse_private_receivers_unknown_types_and_bad_urls() {
    let f = Setup::ledger(L).spawn().await;
    let app = &f.app;
    let path = format!("/ledgers/{L}/webhooks");
    for (body, field) in [
        (json!({"url": "http://127.0.0.1:9/hook"}), "url"),
        (json!({"url": "http://10.0.0.7/hook"}), "url"),
        (json!({"url": "ftp://example.com/"}), "url"),
        (
            json!({"url": "https://example.com/", "types": ["bill.created", "nope"]}),
            "types[1]",
        ),
        (json!({"url": "https://example.com/", "after": 99}), "after"),
    ] {
        let reply = app.admin(Method::POST, &path, Some(body.clone())).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        assert!(
            reply.error_message().starts_with(field),
            "{body}: {}",
            reply.text
        );
    }
    let list = app.admin(Method::GET, &path, None).await.json();
    assert_eq!(list["total"], 0, "nothing made by a refused request");
}

/// Two `saldo serve` processes on one database: a subscription is delivered by one process at
/// a time, and when the one delivering is killed mid-delivery, the other goes on from where
/// it saved: every event arrives at least once, never before an earlier one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_leaves_its_deliveries_to_another_and_loses_none() {
    use crate::helpers::{PROCESS_TOKEN, Server, TestDb, free_port};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Every seq in arrival order, and the most deliveries ever in flight at once.
    #[derive(Default)]
    struct Seen {
        seqs: Mutex<Vec<i64>>,
        now: AtomicUsize,
        most: AtomicUsize,
    }
    /// Counts a delivery out when its handler ends, also when a killed sender's connection
    /// drops the handler mid-way.
    struct InFlight(Arc<Seen>);
    impl Drop for InFlight {
        fn drop(&mut self) {
            self.0.now.fetch_sub(1, Ordering::SeqCst);
        }
    }
    async fn take(State(seen): State<Arc<Seen>>, body: String) -> StatusCode {
        let n = seen.now.fetch_add(1, Ordering::SeqCst) + 1;
        seen.most.fetch_max(n, Ordering::SeqCst);
        let _in_flight = InFlight(seen.clone());
        // Slow enough that a kill lands while deliveries are going on.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let seq = serde_json::from_str::<Value>(&body).unwrap()["seq"]
            .as_i64()
            .unwrap();
        seen.seqs.lock().unwrap().push(seq);
        StatusCode::OK
    }
    let seen = Arc::new(Seen::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(take))
        .with_state(seen.clone());
    let url = serve_hook(app).await;

    let db = TestDb::new();
    let fast = [
        "--webhook-lease-secs",
        "3",
        "--webhook-timeout-secs",
        "1",
        "--webhook-backoff-ms",
        "100",
    ];
    let a = Server::start_with(&db.url, free_port(), Some(PROCESS_TOKEN), &fast).await;
    Setup::ledger(L)
        .patch(json!({"settings": {"webhooksAllowPrivateAddresses": true}}))
        .customer("1", json!({"username": "alice"}), "20")
        .account_no("A1")
        .provision(&a.admin(), &a.url)
        .await;
    let admin = a.admin();
    admin
        .create(
            &format!("/ledgers/{L}/webhooks"),
            json!({"url": url, "after": 0}),
        )
        .await;
    let pay = format!("/ledgers/{L}/accounts/A1/payments");
    for _ in 0..30 {
        admin.create(&pay, json!({"amount": 1})).await;
    }
    let b = Server::start_with(&db.url, free_port(), Some(PROCESS_TOKEN), &fast).await;
    eventually(Duration::from_secs(20), "deliveries under way", || {
        let n = seen.seqs.lock().unwrap().len();
        async move { (n >= 10).then_some(()) }
    })
    .await;
    a.kill9();
    let admin = b.admin();
    for _ in 0..10 {
        admin.create(&pay, json!({"amount": 1})).await;
    }
    let feed = admin
        .ok(
            Method::GET,
            &format!("/ledgers/{L}/events?limit=1000"),
            None,
        )
        .await;
    let last = feed["next"].as_i64().unwrap();
    eventually(Duration::from_secs(30), "every event delivered", || {
        let seqs = seen.seqs.lock().unwrap().clone();
        async move { (1..=last).all(|s| seqs.contains(&s)).then_some(()) }
    })
    .await;
    let seqs = seen.seqs.lock().unwrap().clone();
    let mut highest = 0;
    for seq in &seqs {
        assert!(
            *seq <= highest + 1,
            "{seq} came before {}: {seqs:?}",
            highest + 1
        );
        highest = highest.max(*seq);
    }
    assert_eq!(
        seen.most.load(Ordering::SeqCst),
        1,
        "one delivery at a time"
    );
    drop(b);
}
