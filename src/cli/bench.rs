//! `saldo bench`: a load generator for a running server. It provisions its own ledger through
//! the admin API, then runs N virtual terminals in closed loops and reports throughput and
//! latency per call.

use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::secret::Secret;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// What to drive: `myq` (session → block → payment → commit → end session).
    #[arg(value_parser = ["myq"])]
    pub scenario: String,
    #[arg(long, env = "SALDO_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Admin token, to provision the bench ledger.
    #[arg(long, env = "SALDO_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Secret,
    /// Concurrent virtual terminals.
    #[arg(long, default_value_t = 64)]
    pub terminals: usize,
    /// Measured seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Put every terminal on one account.
    #[arg(long)]
    pub hot: bool,
}

const CALLS: [&str; 5] = [
    "open session",
    "block",
    "create payment",
    "commit",
    "end session",
];

#[derive(Default)]
struct Tally {
    latencies_us: [Vec<u32>; 5],
    errors: u64,
    payments: u64,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.terminals > 0, "--terminals must be at least 1");
    let base = args.url.trim_end_matches('/').to_string();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.terminals)
        .build()?;
    let (auth, users) = provision(&client, &base, &args).await?;
    println!(
        "bench myq: {} terminals on {} account(s), {} s measured, against {base}",
        args.terminals,
        users.len(),
        args.duration_secs
    );
    let warmup_end = Instant::now() + Duration::from_secs(1);
    let end = warmup_end + Duration::from_secs(args.duration_secs);
    let mut tasks = Vec::new();
    for t in 0..args.terminals {
        let (client, base, auth) = (client.clone(), base.clone(), auth.clone());
        let user = users[t % users.len()].clone();
        tasks.push(tokio::spawn(async move {
            terminal(client, base, auth, user, warmup_end, end).await
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await?;
        total.errors += tally.errors;
        total.payments += tally.payments;
        for (all, mine) in total.latencies_us.iter_mut().zip(tally.latencies_us) {
            all.extend(mine);
        }
    }
    report(&mut total, args.duration_secs as f64);
    Ok(())
}

/// Creates a ledger, one customer per terminal (one in all with `--hot`) with a credit limit
/// the run cannot exhaust, and a MyQ credential. Returns the Basic header and the usernames.
async fn provision(
    client: &reqwest::Client,
    base: &str,
    args: &BenchArgs,
) -> anyhow::Result<(String, Vec<String>)> {
    let ledger_no = format!(
        "9{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000_000
    );
    let admin = |path: String, body: Value| {
        let request = client
            .post(format!("{base}/admin/v1{path}"))
            .bearer_auth(args.token.expose())
            .json(&body);
        async move {
            let response = request.send().await.context("calling the admin API")?;
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            anyhow::ensure!(status.is_success(), "admin API answered {status}: {body}");
            Ok::<Value, anyhow::Error>(body)
        }
    };
    admin(
        "/ledgers".into(),
        json!({"ledgerNo": ledger_no, "name": "bench", "currency": "SEK"}),
    )
    .await?;
    let accounts = if args.hot { 1 } else { args.terminals };
    let mut users = Vec::new();
    for i in 0..accounts {
        let username = format!("bench{i}");
        admin(
            format!("/ledgers/{ledger_no}/customers"),
            json!({"customerNo": format!("c{i}"), "name": username, "username": username}),
        )
        .await?;
        admin(
            format!("/ledgers/{ledger_no}/accounts"),
            json!({"customerNo": format!("c{i}"), "creditLimit": 1_000_000_000}),
        )
        .await?;
        users.push(username);
    }
    let cred = admin(
        format!("/ledgers/{ledger_no}/credentials"),
        json!({"kind": "myq-basic", "login": format!("bench-{ledger_no}")}),
    )
    .await?;
    let login = cred["login"].as_str().context("credential login")?;
    let password = cred["password"].as_str().context("credential password")?;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    );
    Ok((auth, users))
}

async fn terminal(
    client: reqwest::Client,
    base: String,
    auth: String,
    user: String,
    warmup_end: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let call = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut request = client
            .request(method, format!("{base}{path}"))
            .header("authorization", &auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        async move {
            let response = request.send().await.ok()?;
            let ok = response.status().is_success();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            ok.then_some(body)
        }
    };
    use reqwest::Method;
    while Instant::now() < end {
        let measuring = Instant::now() >= warmup_end;
        let timed = |i: usize, started: Instant, ok: bool, tally: &mut Tally| {
            if measuring {
                tally.latencies_us[i]
                    .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                if !ok {
                    tally.errors += 1;
                }
            }
        };
        let t = Instant::now();
        let session = call(
            Method::POST,
            "/sessions".into(),
            Some(json!({"username": user})),
        )
        .await;
        timed(0, t, session.is_some(), &mut tally);
        let Some(id) = session.and_then(|s| s["id"].as_i64()) else {
            continue;
        };
        let t = Instant::now();
        let blocked = call(
            Method::POST,
            format!("/sessions/{id}/block"),
            Some(json!({"amount": 5})),
        )
        .await;
        timed(1, t, blocked.is_some(), &mut tally);
        let t = Instant::now();
        let payment = call(
            Method::POST,
            format!("/sessions/{id}/payments"),
            Some(json!({"amount": 1.5})),
        )
        .await;
        timed(2, t, payment.is_some(), &mut tally);
        if let Some(pid) = payment.and_then(|p| p["id"].as_i64()) {
            let t = Instant::now();
            let committed = call(
                Method::POST,
                format!("/sessions/{id}/payments/{pid}/commit"),
                None,
            )
            .await;
            timed(3, t, committed.is_some(), &mut tally);
            if committed.is_some() && measuring {
                tally.payments += 1;
            }
        }
        let t = Instant::now();
        let ended = call(Method::DELETE, format!("/sessions/{id}"), None).await;
        timed(4, t, ended.is_some(), &mut tally);
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank] as f64 / 1000.0
}

fn report(total: &mut Tally, seconds: f64) {
    let requests: usize = total.latencies_us.iter().map(Vec::len).sum();
    println!(
        "requests: {requests} in {seconds} s = {:.0} requests/s; payments committed: {:.0}/s; errors: {}",
        requests as f64 / seconds,
        total.payments as f64 / seconds,
        total.errors
    );
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9}",
        "call", "count", "p50 ms", "p99 ms", "max ms"
    );
    let mut all = Vec::with_capacity(requests);
    for (name, lat) in CALLS.iter().zip(total.latencies_us.iter_mut()) {
        lat.sort_unstable();
        all.extend_from_slice(lat);
        println!(
            "{name:<16} {:>9} {:>9.2} {:>9.2} {:>9.2}",
            lat.len(),
            percentile(lat, 50.0),
            percentile(lat, 99.0),
            percentile(lat, 100.0)
        );
    }
    all.sort_unstable();
    println!(
        "{:<16} {:>9} {:>9.2} {:>9.2} {:>9.2}",
        "all",
        all.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        percentile(&all, 100.0)
    );
}
