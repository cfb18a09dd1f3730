//! `saldo bench`: a load generator for a running server. It provisions its own ledger through
//! the admin API, then runs N virtual clients in closed loops and reports throughput and
//! latency per call.

use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::secret::Secret;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// `myq`: session → block → payment → commit → end session (API A).
    /// `recharge`: one token, then create → commit recharge payments (API B).
    /// `authorize`: pre-authorize → split-authorize → capture (API D).
    #[arg(value_parser = ["myq", "recharge", "authorize"])]
    pub scenario: String,
    #[arg(long, env = "SALDO_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Another server on the same database: each client then alternates its requests
    /// between `--url` and these, as a load balancer would spread them over processes.
    #[arg(long)]
    pub also_url: Vec<String>,
    /// Admin token, to provision the bench ledger.
    #[arg(long, env = "SALDO_ADMIN_TOKEN", hide_env_values = true)]
    pub token: Secret,
    /// Concurrent virtual clients (print terminals, kiosks).
    #[arg(long, default_value_t = 64)]
    pub terminals: usize,
    /// Measured seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Put every client on one account.
    #[arg(long)]
    pub hot: bool,
    /// After the load, time one bill run over the accounts it put in debt (with interest
    /// charged, so each account's interest basis is read).
    #[arg(long)]
    pub bill_run: bool,
    /// Subscribe a receiver in this process to every event of the bench ledger, and report
    /// how many events it took during the run and how long it took to catch up.
    #[arg(long)]
    pub webhook: bool,
}

#[derive(Clone, Copy)]
enum Scenario {
    Myq,
    Recharge,
    Authorize,
}

impl Scenario {
    fn calls(self) -> &'static [&'static str] {
        match self {
            Scenario::Myq => &[
                "open session",
                "block",
                "create payment",
                "commit",
                "end session",
            ],
            Scenario::Recharge => &["create payment", "commit"],
            Scenario::Authorize => &["pre-authorize", "split-authorize", "capture"],
        }
    }
}

/// What one client measured.
struct Tally {
    latencies_us: Vec<Vec<u32>>,
    errors: u64,
    /// Payments committed (MyQ payments or recharges).
    committed: u64,
}

/// One client's view of the servers: its connection pool, auth header and user.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    /// The servers, taken in turn, one request each.
    bases: Vec<String>,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    auth: String,
    user: Value,
}

impl Client {
    /// Sends a request to the next server; `Some(body)` on a 2xx.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Option<Value> {
        let turn = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = &self.bases[turn % self.bases.len()];
        let mut request = self
            .http
            .request(method, format!("{base}{path}"))
            .header("authorization", &self.auth);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.ok()?;
        let ok = response.status().is_success();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        ok.then_some(body)
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.terminals > 0, "--terminals must be at least 1");
    let scenario = match args.scenario.as_str() {
        "recharge" => Scenario::Recharge,
        "authorize" => Scenario::Authorize,
        _ => Scenario::Myq,
    };
    let base = args.url.trim_end_matches('/').to_string();
    let bases: Vec<String> = std::iter::once(base.clone())
        .chain(
            args.also_url
                .iter()
                .map(|u| u.trim_end_matches('/').to_string()),
        )
        .collect();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.terminals)
        .build()?;
    let (ledger_no, auth, users) = provision(&http, &base, &args, scenario).await?;
    let receiver = if args.webhook {
        Some(super::bench_webhook::subscribe(&http, &base, args.token.expose(), &ledger_no).await?)
    } else {
        None
    };
    println!(
        "bench {}: {} clients on {} account(s), {} s measured, against {}",
        args.scenario,
        args.terminals,
        users.len(),
        args.duration_secs,
        bases.join(" and ")
    );
    let warmup_end = Instant::now() + Duration::from_secs(1);
    let end = warmup_end + Duration::from_secs(args.duration_secs);
    let mut tasks = Vec::new();
    for t in 0..args.terminals {
        let client = Client {
            http: http.clone(),
            bases: bases.clone(),
            calls: Default::default(),
            auth: auth.clone(),
            user: users[t % users.len()].clone(),
        };
        tasks.push(tokio::spawn(run_client(scenario, client, warmup_end, end)));
    }
    let mut total = Tally {
        latencies_us: vec![Vec::new(); scenario.calls().len()],
        errors: 0,
        committed: 0,
    };
    for task in tasks {
        let tally = task.await?;
        total.errors += tally.errors;
        total.committed += tally.committed;
        for (all, mine) in total.latencies_us.iter_mut().zip(tally.latencies_us) {
            all.extend(mine);
        }
    }
    report(scenario, &mut total, args.duration_secs as f64);
    if let Some(receiver) = receiver {
        receiver
            .report(&http, &base, args.token.expose(), &ledger_no)
            .await?;
    }
    anyhow::ensure!(
        total.latencies_us.iter().any(|l| !l.is_empty()),
        "no request succeeded ({} failed): is the server at {base} up?",
        total.errors
    );
    if args.bill_run {
        bill_run(&http, &base, &args, &ledger_no).await?;
    }
    Ok(())
}

/// One bill run dated tomorrow (so it bills everything the load posted today), timed.
async fn bill_run(
    http: &reqwest::Client,
    base: &str,
    args: &BenchArgs,
    ledger_no: &str,
) -> anyhow::Result<()> {
    let date = time::OffsetDateTime::now_utc().date() + time::Duration::days(1);
    let started = Instant::now();
    let response = http
        .post(format!("{base}/admin/v1/ledgers/{ledger_no}/bill-runs"))
        .bearer_auth(args.token.expose())
        .json(&json!({"billDate": date.to_string()}))
        .send()
        .await
        .context("calling the admin API")?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let elapsed = started.elapsed();
    anyhow::ensure!(
        status.is_success(),
        "the bill run answered {status}: {body}"
    );
    let documents = body["bills"].as_array().map_or(0, Vec::len);
    println!(
        "bill run {date}: {documents} documents in {:.1} ms",
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Creates a ledger, one customer per client (one in all with `--hot`) with a credit limit the
/// run cannot exhaust, and the scenario's credential. Returns the auth header and the users.
async fn provision(
    http: &reqwest::Client,
    base: &str,
    args: &BenchArgs,
    scenario: Scenario,
) -> anyhow::Result<(String, String, Vec<Value>)> {
    let ledger_no = format!(
        "9{}",
        time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000_000
    );
    let admin = |path: String, body: Value| {
        let request = http
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
    // Interest, when a bill run is timed, so that the run reads each account's basis.
    let mut settings = if args.bill_run {
        json!({"debtInterestRate": 12.00})
    } else {
        json!({})
    };
    if args.webhook {
        // The receiver runs on this machine.
        settings["webhooksAllowPrivateAddresses"] = json!(true);
    }
    admin(
        "/ledgers".into(),
        json!({"ledgerNo": ledger_no, "name": "bench", "currency": "SEK", "settings": settings}),
    )
    .await?;
    let accounts = if args.hot { 1 } else { args.terminals };
    let mut users = Vec::new();
    for i in 0..accounts {
        let username = format!("bench{i}");
        let customer = admin(
            format!("/ledgers/{ledger_no}/customers"),
            json!({"customerNo": format!("c{i}"), "name": username, "username": username}),
        )
        .await?;
        admin(
            format!("/ledgers/{ledger_no}/accounts"),
            json!({"customerNo": format!("c{i}"), "creditLimit": 1_000_000_000}),
        )
        .await?;
        users.push(match scenario {
            Scenario::Myq => json!(username),
            Scenario::Recharge => customer["id"].clone(),
            Scenario::Authorize => {
                json!({"ledgerNo": ledger_no, "customerNo": format!("c{i}"), "client": i})
            }
        });
    }
    let auth = match scenario {
        Scenario::Myq => {
            let cred = admin(
                format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "myq-basic", "login": format!("bench-{ledger_no}")}),
            )
            .await?;
            let login = cred["login"].as_str().context("credential login")?;
            let password = cred["password"].as_str().context("credential password")?;
            let pair = format!("{login}:{password}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        }
        Scenario::Authorize => {
            let cred = admin(
                format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "ledger-bearer"}),
            )
            .await?;
            format!("Bearer {}", cred["token"].as_str().context("ledger token")?)
        }
        Scenario::Recharge => {
            let cred = admin(
                format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "myq-oauth-client", "scopes": ["credit"]}),
            )
            .await?;
            let grant: Value = http
                .post(format!("{base}/api/auth/token"))
                .json(&json!({
                    "grant_type": "client_credentials",
                    "client_id": cred["clientId"],
                    "client_secret": cred["clientSecret"],
                    "scope": "credit",
                }))
                .send()
                .await?
                .json()
                .await?;
            let token = grant["access_token"].as_str().context("access token")?;
            format!("Bearer {token}")
        }
    };
    Ok((ledger_no, auth, users))
}

async fn run_client(
    scenario: Scenario,
    client: Client,
    warmup_end: Instant,
    end: Instant,
) -> Tally {
    let mut tally = Tally {
        latencies_us: vec![Vec::new(); scenario.calls().len()],
        errors: 0,
        committed: 0,
    };
    let mut iteration = 0u64;
    while Instant::now() < end {
        iteration += 1;
        let measuring = Instant::now() >= warmup_end;
        // Times one call as call number `$index` of the scenario; `None` on failure. Only
        // answered calls count as requests: a refused connection fails fast, and counting it
        // would make a stopped server look quick.
        macro_rules! timed {
            ($index:expr, $call:expr) => {{
                let started = Instant::now();
                let result = $call.await;
                if measuring {
                    let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                    match result {
                        Some(_) => tally.latencies_us[$index].push(us),
                        None => tally.errors += 1,
                    }
                }
                result
            }};
        }
        match scenario {
            Scenario::Myq => {
                let body = json!({ "username": client.user });
                let session = timed!(0, client.call(Method::POST, "/sessions", Some(body)));
                let Some(id) = session.and_then(|s| s["id"].as_i64()) else {
                    continue;
                };
                let path = format!("/sessions/{id}");
                timed!(
                    1,
                    client.call(
                        Method::POST,
                        &format!("{path}/block"),
                        Some(json!({"amount": 5}))
                    )
                );
                let payment = timed!(
                    2,
                    client.call(
                        Method::POST,
                        &format!("{path}/payments"),
                        Some(json!({"amount": 1.5}))
                    )
                );
                if let Some(pid) = payment.and_then(|p| p["id"].as_i64()) {
                    let commit = format!("{path}/payments/{pid}/commit");
                    if timed!(3, client.call(Method::POST, &commit, None)).is_some() && measuring {
                        tally.committed += 1;
                    }
                }
                timed!(4, client.call(Method::DELETE, &path, None));
            }
            Scenario::Recharge => {
                const PAYMENTS: &str = "/api/v3/rechargeProviders/external/payments";
                let body = json!({"userId": client.user, "params": {"amount": 2.5}});
                let created = timed!(0, client.call(Method::POST, PAYMENTS, Some(body)));
                let Some(id) = created.and_then(|p| p["id"].as_str().map(str::to_string)) else {
                    continue;
                };
                let commit = format!("{PAYMENTS}/{id}/commit");
                if timed!(1, client.call(Method::POST, &commit, None)).is_some() && measuring {
                    tally.committed += 1;
                }
            }
            Scenario::Authorize => {
                let ledger = client.user["ledgerNo"].as_str().unwrap_or_default();
                let base = format!("/ledger/account-transaction/v1/{ledger}");
                // Client-chosen ids: unique per client and iteration (and per run, by ledger).
                let id = format!("{}-{iteration}", client.user["client"]);
                let pre_auth = json!({
                    "@id": "", "customer": {"nationalConsumerIdentifier": {"value": "", "countryCode": ""},
                        "email": "", "msisdn": "", "customerNo": client.user["customerNo"]},
                    "sellerNo": "bench", "sellerReferenceId": "", "profileName": "",
                    "authorizationAmount": 100, "currency": "SEK", "externalReference": "",
                    "assesment": {"assessmentUrl": "", "scaStatus": "Exempted"},
                });
                let path = format!("{base}/authentications/p{id}");
                if timed!(0, client.call(Method::POST, &path, Some(pre_auth))).is_none() {
                    continue;
                }
                let split = json!({"splitAuthorizationId": format!("s{id}"), "preAuthorizationId": format!("p{id}")});
                let path = format!("{base}/split-authorizations/s{id}");
                if timed!(1, client.call(Method::POST, &path, Some(split))).is_none() {
                    continue;
                }
                let capture = json!({
                    "captureId": format!("c{id}"), "sellerTransactionId": id, "currency": "SEK",
                    "monthlyBillingAmount": 0, "months": 0, "totalAmount": 100, "productName": "bench",
                });
                let path = format!("{base}/split-authorizations/s{id}/captures/c{id}");
                if timed!(2, client.call(Method::POST, &path, Some(capture))).is_some() && measuring
                {
                    tally.committed += 1;
                }
            }
        }
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

fn report(scenario: Scenario, total: &mut Tally, seconds: f64) {
    let requests: usize = total.latencies_us.iter().map(Vec::len).sum();
    println!(
        "requests: {requests} in {seconds} s = {:.0} requests/s; payments committed: {:.0}/s; failed (not counted as requests): {}",
        requests as f64 / seconds,
        total.committed as f64 / seconds,
        total.errors
    );
    println!(
        "{:<16} {:>9} {:>9} {:>9} {:>9}",
        "call", "count", "p50 ms", "p99 ms", "max ms"
    );
    let mut all = Vec::with_capacity(requests);
    let row = |name: &str, lat: &[u32]| {
        println!(
            "{name:<16} {:>9} {:>9.2} {:>9.2} {:>9.2}",
            lat.len(),
            percentile(lat, 50.0),
            percentile(lat, 99.0),
            percentile(lat, 100.0)
        );
    };
    for (name, lat) in scenario.calls().iter().zip(total.latencies_us.iter_mut()) {
        lat.sort_unstable();
        all.extend_from_slice(lat);
        row(name, lat);
    }
    all.sort_unstable();
    row("all", &all);
}
