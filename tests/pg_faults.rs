//! saldo behind a TCP proxy to PostgreSQL, two processes writing one ledger, while the
//! proxy cuts, half-opens and stalls their connections mid-batch: writes resume within 15 s
//! of each fault in both processes, every request answered 2xx was applied once, and none
//! answered 5xx was applied. PostgreSQL only, whatever `SALDO_TEST_STORE` says.

#[allow(dead_code, unused_imports)]
#[path = "api/helpers/mod.rs"]
mod helpers;
#[path = "pg_faults/proxy.rs"]
mod proxy;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use helpers::{PROCESS_TOKEN, Server, Setup, free_port};
use proxy::Proxy;

const ACCOUNTS: usize = 4;
/// Each fault must be healed, in every process, within this.
const RESUME_WITHIN: Duration = Duration::from_secs(15);

/// What became of one payment request: its unique description and the status answered
/// (`None`: no answer reached the client).
type Sent = (String, Option<u16>);

/// `host:port` of the PostgreSQL server in `url`, and `url` with that replaced by `proxy`.
fn via(url: &str, proxy: impl FnOnce(String) -> String) -> String {
    let (scheme, rest) = url.split_once('@').expect("postgres://user@host:port/db");
    let (server, tail) = rest.split_once('/').expect("a database name");
    let target = if server.contains(':') {
        server.to_string()
    } else {
        format!("{server}:5432")
    };
    format!("{scheme}@{}/{tail}", proxy(target))
}

/// Posts a payment of 1.00 with a fresh description to `server`; records what it answered.
async fn pay(
    client: &reqwest::Client,
    server: &str,
    account: usize,
    sent: &Mutex<Vec<Sent>>,
) -> Option<u16> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let tag = format!("fault-test-{}", SEQ.fetch_add(1, Ordering::Relaxed));
    let status = client
        .post(format!(
            "{server}/admin/v1/ledgers/601/accounts/A{account}/payments"
        ))
        .bearer_auth(PROCESS_TOKEN)
        .json(&json!({"amount": 1, "description": tag}))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16());
    sent.lock().unwrap().push((tag, status));
    status
}

/// Clerks posting payments through both servers, alternating, until told to stop.
fn clerks(
    servers: [String; 2],
    sent: Arc<Mutex<Vec<Sent>>>,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..6)
        .map(|i| {
            let (servers, sent, stop) = (servers.clone(), sent.clone(), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                let mut n = i;
                while !stop.load(Ordering::Relaxed) {
                    if pay(&client, &servers[n % 2], n % ACCOUNTS, &sent).await != Some(201) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    n += 1;
                }
            })
        })
        .collect()
}

/// How long after `fault` a payment through `server` was first acknowledged.
async fn resumed(server: &str, since: Instant, sent: &Mutex<Vec<Sent>>) -> Duration {
    let client = reqwest::Client::builder()
        .timeout(RESUME_WITHIN)
        .build()
        .unwrap();
    loop {
        if pay(&client, server, 0, sent).await == Some(201) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < RESUME_WITHIN,
            "{server} still refuses writes {:?} after the fault",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_resume_after_cut_half_open_and_stalled_connections_and_no_5xx_was_applied() {
    let db = helpers::database::TestDatabase::create();
    let mut target = String::new();
    let _ = via(&db.url, |t| {
        target = t;
        String::new()
    });
    let proxy = Proxy::start(target).await;
    let url = via(&db.url, |_| format!("127.0.0.1:{}", proxy.port));
    let a = Server::start(&url, free_port(), Some(PROCESS_TOKEN)).await;
    let b = Server::start(&url, free_port(), Some(PROCESS_TOKEN)).await;
    let mut setup = Setup::ledger("601");
    for i in 0..ACCOUNTS {
        setup = setup
            .customer(&format!("c{i}"), json!({}), "0")
            .account_no(&format!("A{i}"));
    }
    setup.provision(&a.admin(), &a.url).await;

    let sent = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = clerks([a.url.clone(), b.url.clone()], sent.clone(), stop.clone());
    for name in ["cut", "half-open", "stall"] {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let acked_before = sent
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.1 == Some(201))
            .count();
        assert!(acked_before > 0, "the clerks write before the {name}");
        let mid_batch = match name {
            "cut" => proxy.cut().await,
            "half-open" => proxy.half_open().await,
            _ => proxy.stall().await,
        };
        let at = Instant::now();
        eprintln!("{name}: {mid_batch} connection(s) were mid-transaction");
        for server in [&a.url, &b.url] {
            let took = resumed(server, at, &sent).await;
            eprintln!("{name}: {server} wrote again after {took:?}");
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for clerk in load {
        clerk.await.unwrap();
    }

    let mut posted = std::collections::HashMap::<String, usize>::new();
    for i in 0..ACCOUNTS {
        let path = format!("/ledgers/601/accounts/A{i}/statement");
        let statement = a.admin().ok(Method::GET, &path, None).await;
        for t in statement["transactions"].as_array().unwrap() {
            *posted
                .entry(t["description"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    let sent = sent.lock().unwrap();
    let answered = |class: u16| {
        sent.iter()
            .filter(|s| s.1.is_some_and(|c| c / 100 == class))
            .count()
    };
    eprintln!(
        "{} payments sent: {} 2xx, {} 5xx, {} unanswered",
        sent.len(),
        answered(2),
        answered(5),
        sent.iter().filter(|s| s.1.is_none()).count()
    );
    for (tag, status) in sent.iter() {
        let times = posted.get(tag).copied().unwrap_or(0);
        match status {
            Some(201) => assert_eq!(times, 1, "{tag} was acknowledged: posted once"),
            Some(s) if *s >= 400 => assert_eq!(times, 0, "{tag} was answered {s}: not applied"),
            Some(s) => panic!("{tag}: unexpected status {s}"),
            None => assert!(times <= 1, "{tag} unanswered: posted at most once"),
        }
    }
}
