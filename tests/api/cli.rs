//! The binary as an operator uses it: admin token bootstrap, `--demo`, `saldo admin`, SIGTERM.

use std::process::Command;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Load, PROCESS_TOKEN, Server, Setup, TestDb, free_port, on_postgres};

/// `saldo admin … --json`: the server's answer as scripts read it.
fn saldo_json(args: &[&str], url: &str, token: &str) -> (bool, String) {
    let mut args = args.to_vec();
    args.push("--json");
    saldo(&args, url, token)
}

fn saldo(args: &[&str], url: &str, token: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(args)
        .env("SALDO_URL", url)
        .env("SALDO_ADMIN_TOKEN", token)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

/// A server (admin token `cli-token`) with ledger 501 made through the CLI.
async fn server_with_ledger() -> (TestDb, Server) {
    let test_db = TestDb::new();
    let server = Server::start(&test_db.url, free_port(), Some("cli-token")).await;
    let create = [
        "admin",
        "ledger-create",
        "--ledger-no",
        "501",
        "--name",
        "Print",
    ];
    let (ok, out) = saldo(&create, &server.url, "cli-token");
    assert!(ok, "{out}");
    (test_db, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generated_admin_token_is_printed_once_and_keeps_working() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), None).await;
    let (status, out) = server.terminate();
    assert!(status.success(), "SIGTERM exits cleanly");
    let token = out
        .lines()
        .skip_while(|l| !l.starts_with("Generated admin token"))
        .nth(1)
        .expect("token printed")
        .trim()
        .to_string();
    assert!(token.len() >= 32);

    let server = Server::start(&db, free_port(), None).await;
    let (ok, _) = saldo(
        &["admin", "ledger-create", "--ledger-no", "7", "--name", "x"],
        &server.url,
        &token,
    );
    assert!(ok, "the stored token still works after a restart");
    let (ok, _) = saldo(&["admin", "ledger-get", "7"], &server.url, "not-the-token");
    assert!(!ok);
    let (_, out) = server.terminate();
    assert!(
        !out.contains("Generated admin token"),
        "printed only at first start"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_provisions_a_working_myq_ledger() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some("cli-token")).await;
    let run = |args: &[&str]| {
        let (ok, out) = saldo_json(args, &server.url, "cli-token");
        assert!(ok, "saldo {args:?}: {out}");
        out
    };
    run(&[
        "admin",
        "ledger-create",
        "--ledger-no",
        "501",
        "--name",
        "Print",
        "--currency",
        "SEK",
    ]);
    run(&[
        "admin",
        "customer-create",
        "501",
        "--customer-no",
        "1",
        "--name",
        "Alice",
        "--username",
        "alice",
        "--card",
        "K-1",
    ]);
    let account: Value = serde_json::from_str(&run(&[
        "admin",
        "account-create",
        "501",
        "--customer-no",
        "1",
        "--account-no",
        "A1",
        "--credit-limit",
        "12.50",
    ]))
    .unwrap();
    assert_eq!(account["creditLimit"].to_string(), "12.50");
    run(&["admin", "payment-create", "501", "A1", "--amount", "2.5"]);
    run(&[
        "admin",
        "ledger-settings",
        "501",
        "--set",
        "sessionIdleTimeoutSeconds=90",
    ]);
    let ledger: Value = serde_json::from_str(&run(&["admin", "ledger-get", "501"])).unwrap();
    assert_eq!(ledger["settings"]["sessionIdleTimeoutSeconds"], 90);
    let cred: Value = serde_json::from_str(&run(&[
        "admin",
        "credential-create",
        "501",
        "--login",
        "myq",
    ]))
    .unwrap();
    let auth = crate::helpers::basic("myq", cred["password"].as_str().unwrap());

    let client = reqwest::Client::new();
    let r = client
        .request(Method::POST, format!("{}/sessions", server.url))
        .header("authorization", &auth)
        .body(r#"{"cards":["K-1"]}"#)
        .send()
        .await
        .unwrap();
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = client
        .get(format!("{}/sessions/{id}", server.url))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"balance":15}"#);

    let statement: Value =
        serde_json::from_str(&run(&["admin", "statement", "501", "A1"])).unwrap();
    assert_eq!(statement["transactions"][0]["amount"].to_string(), "2.50");
    run(&["admin", "credential-revoke", "501", &cred["id"].to_string()]);
    let oauth: Value = serde_json::from_str(&run(&[
        "admin",
        "credential-create",
        "501",
        "--kind",
        "myq-oauth-client",
        "--scope",
        "credit",
    ]))
    .unwrap();
    assert_eq!(oauth["scopes"], serde_json::json!(["credit"]));
    assert!(oauth["clientSecret"].as_str().unwrap().len() >= 32);
    let ledger: Value = serde_json::from_str(&run(&[
        "admin",
        "recharge-provider",
        "501",
        "voucher",
        "--disable",
    ]))
    .unwrap();
    assert_eq!(ledger["settings"]["rechargeProviders"]["voucher"], false);
    let ledger: Value = serde_json::from_str(&run(&[
        "admin",
        "recharge-provider",
        "501",
        "voucher",
        "--enable",
    ]))
    .unwrap();
    assert_eq!(ledger["settings"]["rechargeProviders"]["voucher"], true);
    let r = client
        .get(format!("{}/sessions/{id}", server.url))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Billing from the command line: a print job puts A1 in debt, a bill run bills it, and a
    // payment with the bill's OCR reference closes the bill.
    let printer: Value = serde_json::from_str(&run(&[
        "admin",
        "credential-create",
        "501",
        "--login",
        "printer2",
    ]))
    .unwrap();
    let auth = crate::helpers::basic("printer2", printer["password"].as_str().unwrap());
    let post = |path: String, body: &'static str| {
        client
            .post(format!("{}{path}", server.url))
            .header("authorization", &auth)
            .body(body)
            .send()
    };
    // The card K-1 prints for `amount` through API A: session, payment, commit.
    let print = |amount: &'static str| async move {
        let session: Value = post("/sessions".into(), r#"{"cards":["K-1"]}"#)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sid = session["id"].as_i64().unwrap();
        let payment: Value = post(format!("/sessions/{sid}/payments"), amount)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let pid = payment["id"].as_i64().unwrap();
        let commit = post(format!("/sessions/{sid}/payments/{pid}/commit"), "");
        assert_eq!(commit.await.unwrap().status(), 204);
    };
    print(r#"{"amount": 10}"#).await;
    let bills: Value = serde_json::from_str(&run(&[
        "admin",
        "bill-run",
        "501",
        "--bill-date",
        "2099-01-31",
    ]))
    .unwrap();
    let bill = &bills["bills"][0];
    assert_eq!(
        bill["billAmount"].to_string(),
        "7.50",
        "10 spent, 2.50 paid in"
    );
    let reference = bill["activePaymentDetails"]["paymentReference"]
        .as_str()
        .unwrap();
    run(&[
        "admin",
        "pay-reference",
        "501",
        "--amount",
        "7.50",
        "--reference",
        reference,
    ]);
    let statement: Value =
        serde_json::from_str(&run(&["admin", "statement", "501", "A1"])).unwrap();
    assert_eq!(
        statement["account"]["openBill"],
        Value::Null,
        "the bill is paid"
    );
    // The same as CSV for a day range: a header and one line per posting in it.
    let csv = run(&[
        "admin",
        "statement",
        "501",
        "A1",
        "--from",
        "2000-01-01",
        "--to",
        "2999-12-31",
        "--format",
        "csv",
    ]);
    let lines: Vec<&str> = csv.trim_end().lines().collect();
    assert_eq!(
        lines.len(),
        1 + statement["transactions"].as_array().unwrap().len(),
        "{csv}"
    );
    let empty = run(&[
        "admin",
        "statement",
        "501",
        "A1",
        "--to",
        "2000-01-01",
        "--format",
        "csv",
    ]);
    assert_eq!(empty.trim_end().lines().count(), 1, "{empty}");
    // Autogiro from the command line: the next bill makes an order, exported as CSV and
    // marked executed.
    let bearer: Value = serde_json::from_str(&run(&[
        "admin",
        "credential-create",
        "501",
        "--kind",
        "ledger-bearer",
    ]))
    .unwrap();
    let r = client
        .patch(format!(
            "{}/ledger/credit-account/v1/501/accounts/A1/recurring-payment-setting",
            server.url
        ))
        .bearer_auth(bearer["token"].as_str().unwrap())
        .json(&serde_json::json!({"recurringPaymentScope": "totalDebt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    print(r#"{"amount": 4}"#).await;
    let bills: Value = serde_json::from_str(&run(&[
        "admin",
        "bill-run",
        "501",
        "--bill-date",
        "2099-02-28",
    ]))
    .unwrap();
    let bill_no = bills["bills"][0]["billNo"].as_str().unwrap().to_string();
    let csv = run(&["admin", "payment-orders", "501", "--due", "2099-12-31"]);
    let line = csv.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        line.starts_with(&format!("{bill_no},A1,4.00,")),
        "the order for the whole debt: {csv}"
    );
    run(&["admin", "payment-order-done", "501", &bill_no, "--executed"]);
    let csv = run(&["admin", "payment-orders", "501"]);
    assert_eq!(
        csv.trim_end().lines().count(),
        1,
        "only the header is left: {csv}"
    );
    let (ok, _) = saldo(
        &["admin", "payment-order-done", "501", &bill_no, "--failed"],
        &server.url,
        "cli-token",
    );
    assert!(!ok, "an executed order cannot fail");
    let (ok, _) = saldo(
        &["admin", "account-get", "501", "nope"],
        &server.url,
        "cli-token",
    );
    assert!(!ok, "a 404 makes the CLI fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_prints_a_flow_that_works() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start_with(&db, free_port(), Some("demo-token"), &["--demo"]).await;
    let url = server.url.clone();
    let (status, out) = server.terminate();
    assert!(status.success());
    let auth = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("export AUTH='"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("the demo prints the Basic header")
        .strip_prefix("Authorization: ")
        .unwrap()
        .to_string();
    assert!(out.contains(&format!("{url}/sessions")));

    // The same database, served again: the printed credential works and alice can print.
    let server = Server::start_with(&db, free_port(), Some("demo-token"), &["--demo"]).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/sessions", server.url))
        .header("authorization", &auth)
        .body(r#"{"username":"alice"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The printed OAuth client recharges alice's credit through API B.
    let token_line = out
        .lines()
        .find(|l| l.contains("client_id="))
        .expect("the recharge flow is printed");
    let form = token_line.split('\'').nth(1).expect("a quoted form body");
    let token: Value = client
        .post(format!("{}/api/auth/token", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().expect("a token")
    );
    let payment: Value = client
        .post(format!(
            "{}/api/v3/rechargeProviders/external/payments",
            server.url
        ))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"userId": 1, "params": {"amount": 25}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = payment["id"].as_str().unwrap();
    let r = client
        .post(format!(
            "{}/api/v3/rechargeProviders/external/payments/{id}/commit",
            server.url
        ))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), r#"{"amount":25}"#);
    let (_, out) = server.terminate();
    assert!(
        out.contains("already holds ledgers"),
        "a second --demo seeds nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_and_keeps_what_was_acknowledged() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let server = Server::start(&db, free_port(), Some("t")).await;
    let (ok, _) = saldo(
        &["admin", "ledger-create", "--ledger-no", "1", "--name", "g"],
        &server.url,
        "t",
    );
    assert!(ok);
    let (status, _) = server.terminate();
    assert!(status.success(), "graceful exit: {status}");
    let server = Server::start(&db, free_port(), Some("t")).await;
    let (ok, out) = saldo(&["admin", "ledger-get", "1"], &server.url, "t");
    assert!(ok, "{out}");
    let url = server.url.clone();
    let healthcheck = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_saldo"))
            .args(["healthcheck", "--url", url])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(
        healthcheck(&url),
        "healthcheck passes against a running server"
    );
    let (status, _) = server.terminate();
    assert!(status.success());
    assert!(!healthcheck(&url), "and fails once it is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_creates_the_schema_and_serve_starts_on_it() {
    let test_db = TestDb::new();
    let db = test_db.url.clone();
    let out = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["migrate", "--database-url", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = test_db.schema_version();
    let dir = if on_postgres() { "postgres" } else { "sqlite" };
    let migrations = std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .count() as i64;
    assert_eq!(version, migrations, "every migration applied");
    // It says what it did: every migration the first time, none the second.
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(
        said.contains(&format!(
            "applied migrations 1 to {migrations}; schema version {migrations}"
        )),
        "{said}"
    );
    // Migrating again is harmless, and the server runs on the result.
    let again = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["migrate", "--database-url", &db])
        .output()
        .unwrap();
    assert!(again.status.success());
    let said = String::from_utf8(again.stdout).unwrap();
    assert!(
        said.contains(&format!("is up to date (schema version {migrations})")),
        "{said}"
    );
    let server = Server::start(&db, free_port(), Some("t")).await;
    let (ok, _) = saldo(
        &["admin", "ledger-create", "--ledger-no", "1", "--name", "m"],
        &server.url,
        "t",
    );
    assert!(ok);
    let bad = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["migrate", "--database-url", "mysql://x"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "an unsupported URL is an error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_audits_a_live_database_and_names_what_is_broken() {
    let db = TestDb::new();
    let server = Server::start(&db.url, free_port(), Some(PROCESS_TOKEN)).await;
    let setup = Setup::ledger("501")
        .myq_login("v")
        .customer("c0", serde_json::json!({"username": "u0"}), "100")
        .account_no("A0");
    let auth = setup.provision(&server.admin(), &server.url).await.myq;
    let load = Load::start(vec![(server.url.clone(), 0)], &auth);
    load.until_acknowledged(3).await;
    load.finish().await;
    let verify = || {
        Command::new(env!("CARGO_BIN_EXE_saldo"))
            .args(["verify", "--database-url", &db.url])
            .output()
            .unwrap()
    };
    // Beside the running server, on what it wrote.
    let out = verify();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("[1/1] ledger 501: 1 accounts"), "{text}");
    assert!(text.contains("verified 1 ledgers"), "{text}");

    // One minor unit added to a balance behind saldo's back.
    db.execute("UPDATE accounts SET balance = balance + 1 WHERE account_no = 'A0'");
    let out = verify();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "broken: ledger 501: account A0: balance differs from the sum of its postings"
        ),
        "{text}"
    );
}

/// `--metrics-listen` moves `/metrics` off the APIs' port to an address of its own, and an
/// empty admin token is refused at start, before it could lock the admin API for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_get_their_own_address_and_an_empty_admin_token_is_refused() {
    let test_db = TestDb::new();
    let metrics = format!("127.0.0.1:{}", free_port());
    let server = Server::start_with(
        &test_db.url,
        free_port(),
        Some(PROCESS_TOKEN),
        &["--metrics-listen", &metrics],
    )
    .await;
    let on_api = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap();
    assert_eq!(on_api.status(), 404);
    let scraped = reqwest::get(format!("http://{metrics}/metrics"))
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(text.contains("# TYPE saldo_batch_size histogram"), "{text}");
    let (status, _) = server.terminate();
    assert!(status.success());

    for (flag, env) in [(None, Some("")), (Some(""), None), (None, Some("  "))] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_saldo"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{}", free_port())])
            .args(["--database-url", &test_db.url])
            .env_remove("SALDO_ADMIN_TOKEN");
        if let Some(flag) = flag {
            cmd.args(["--admin-token", flag]);
        }
        if let Some(env) = env {
            cmd.env("SALDO_ADMIN_TOKEN", env);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{flag:?} {env:?}: {stderr}");
        assert!(
            stderr.contains("SALDO_ADMIN_TOKEN (--admin-token) is empty"),
            "{flag:?} {env:?}: {stderr}"
        );
    }
}

/// `saldo bench` counts only answered calls as requests: when the server goes away mid-run,
/// the refused connections are reported as failures, not as (very fast) requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_reports_calls_to_a_stopped_server_as_failures() {
    let test_db = TestDb::new();
    let server = Server::start(&test_db.url, free_port(), Some(PROCESS_TOKEN)).await;
    let bench = std::process::Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["bench", "myq", "--url", &server.url, "--terminals", "4"])
        .args(["--duration-secs", "3"])
        .env("SALDO_ADMIN_TOKEN", PROCESS_TOKEN)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Provisioning, the one-second warm-up, and about a second of measured load.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    server.kill9();
    let out = bench.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let figure = |label: &str| -> u64 {
        let at = stdout
            .find(label)
            .unwrap_or_else(|| panic!("{label} in {stdout}"));
        let digits: String = stdout[at + label.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    let answered = figure("requests: ");
    let failed = figure("failed (not counted as requests): ");
    assert!(answered > 0 && failed > 0, "{stdout}");
    // Every answered call is in the latency table, and no failure is.
    let all = stdout.lines().find(|l| l.starts_with("all ")).unwrap();
    assert!(
        all.split_whitespace().nth(1) == Some(&answered.to_string()),
        "{stdout}"
    );
}

/// A JSON log line per request names the ledger (admin requests too), carries the request's
/// fields once, and holds no colour codes when stderr is a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_the_ledger_once_and_without_colour() {
    let test_db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("saldo.log");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["--log-format", "json", "serve"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--database-url", &test_db.url])
        .env("SALDO_ADMIN_TOKEN", PROCESS_TOKEN)
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    crate::helpers::eventually(std::time::Duration::from_secs(20), "ready", || async {
        let r = reqwest::get(format!("{url}/readyz")).await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    let admin = crate::helpers::Admin::new(&url, PROCESS_TOKEN);
    let r = admin
        .call(
            Method::POST,
            "/ledgers",
            Some(serde_json::json!({"ledgerNo": "731", "name": "Logs", "currency": "SEK"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = admin.call(Method::GET, "/ledgers/731", None).await;
    assert_eq!(r.status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(!log.contains('\u{1b}'), "no colour codes in a file:\n{log}");
    let line: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["span"]["route"] == "/admin/v1/ledgers/{ledger}")
        .unwrap_or_else(|| panic!("a request line for the ledger:\n{log}"));
    assert_eq!(line["span"]["ledger"], "731", "{line}");
    assert_eq!(line["fields"]["status"], 200, "{line}");
    assert!(
        line.get("spans").is_none(),
        "the span once, not again in a list: {line}"
    );
}

/// The operator's everyday commands: find customers and accounts, change a customer's card
/// and e-mail, raise a credit limit and choose the default account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_finds_and_changes_customers_and_accounts() {
    let (_db, server) = server_with_ledger().await;
    let run = |args: &[&str]| -> Value {
        let (ok, out) = saldo_json(args, &server.url, "cli-token");
        assert!(ok, "saldo {args:?}: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    };
    for (no, name, card) in [("1", "Alice Andersson", "K-1"), ("2", "Bob Berg", "K-2")] {
        run(&[
            "admin",
            "customer-create",
            "501",
            "--customer-no",
            no,
            "--name",
            name,
        ])
        .get("id")
        .unwrap();
        run(&["admin", "customer-update", "501", no, "--card", card]);
        run(&[
            "admin",
            "account-create",
            "501",
            "--customer-no",
            no,
            "--account-no",
            &format!("A{no}"),
        ]);
    }
    let found = run(&["admin", "customer-list", "501", "--q", "bob berg"]);
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["cards"], serde_json::json!(["K-2"]));
    let changed = run(&[
        "admin",
        "customer-update",
        "501",
        "1",
        "--card",
        "K-9",
        "--email",
        "a@example.edu",
    ]);
    assert_eq!(changed["cards"], serde_json::json!(["K-9"]));
    assert_eq!(changed["email"], "a@example.edu");
    let cleared = run(&["admin", "customer-update", "501", "1", "--email", ""]);
    assert_eq!(cleared["email"], Value::Null);
    let (ok, out) = saldo(
        &["admin", "customer-update", "501", "1", "--card", "K-2"],
        &server.url,
        "cli-token",
    );
    assert!(!ok, "bob's card is bob's: {out}");
    let page = run(&[
        "admin",
        "customer-list",
        "501",
        "--limit",
        "1",
        "--offset",
        "1",
    ]);
    assert_eq!(page["items"][0]["customerNo"], "2");
    let raised = run(&[
        "admin",
        "account-set",
        "501",
        "A1",
        "--credit-limit",
        "250.50",
    ]);
    assert_eq!(raised["creditLimit"].to_string(), "250.50");
    let adjust = |direction: &str, reason: &str, key: Option<&str>| {
        let mut args = vec!["admin", "adjust", "501", "A1", direction, "0.50"];
        args.extend(["--reason", reason]);
        if let Some(key) = key {
            args.extend(["--idempotency-key", key]);
        }
        run(&args)
    };
    let debit = adjust("--debit", "Stapler", None);
    assert_eq!(
        (debit["type"].clone(), debit["amount"].to_string()),
        (Value::from("adjustment"), "-0.50".to_string())
    );
    // A script run twice with the same key adjusts once.
    for _ in 0..2 {
        adjust("--credit", "Stapler refund", Some("refund-1"));
    }
    let a1 = run(&["admin", "account-get", "501", "A1"]);
    assert_eq!(a1["totalBalance"].to_string(), "0.00", "-0.50 + 0.50, once");
    let open = run(&[
        "admin",
        "account-list",
        "501",
        "--status",
        "open",
        "--in-debt",
        "false",
    ]);
    assert_eq!(open["total"], 2);
    run(&[
        "admin",
        "account-create",
        "501",
        "--customer-no",
        "1",
        "--account-no",
        "A3",
    ]);
    run(&["admin", "account-set", "501", "A3", "--default"]);
    let alice = run(&["admin", "customer-list", "501", "--customer-no", "1"]);
    assert_eq!(alice["items"][0]["defaultAccountNo"], "A3");
    let ledgers = run(&["admin", "ledger-list"]);
    assert_eq!(ledgers["items"][0]["ledgerNo"], "501");
    let created = run(&["admin", "credential-create", "501", "--login", "printer"]);
    let listed = run(&["admin", "credential-list", "501"]);
    assert_eq!(listed["items"][0]["id"], created["id"]);
    assert_eq!(listed["items"][0]["login"], "printer");
    let id = created["id"].to_string();
    let (ok, out) = saldo(
        &["admin", "credential-revoke", "501", &id],
        &server.url,
        "cli-token",
    );
    assert!(ok, "{out}");
    assert_eq!(run(&["admin", "credential-list", "501"])["total"], 0);
}

/// `saldo backup` copies a running server's SQLite database under write load, with every write
/// acknowledged before it began and consistent throughout (`saldo verify` passes on the copy);
/// `saldo restore` puts it in place but never over an existing database. Given a PostgreSQL
/// URL, both name `pg_dump` and `pg_restore` instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_holds_every_acknowledged_write() {
    let test_db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.to_str().unwrap().to_string();
    let saldo_cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_saldo"))
            .args(args)
            .env_remove("SALDO_DATABASE_URL")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    if on_postgres() {
        let (ok, out) = saldo_cli(&["backup", "--database-url", &test_db.url, &copy_arg]);
        assert!(!ok && out.contains("pg_dump --format=custom"), "{out}");
        let (ok, out) = saldo_cli(&["restore", &copy_arg, "--database-url", &test_db.url]);
        assert!(!ok && out.contains("pg_restore"), "{out}");
        return;
    }
    let server = Server::start(&test_db.url, free_port(), Some(PROCESS_TOKEN)).await;
    let url = server.url.clone();
    let mut setup = Setup::ledger("501").myq_login("k");
    for i in 0..4 {
        setup = setup
            .customer(
                &format!("c{i}"),
                serde_json::json!({"username": format!("u{i}")}),
                "100000",
            )
            .account_no(&format!("A{i}"));
    }
    let auth = setup.provision(&server.admin(), &url).await.myq;
    let terminals = || (0..4).map(|t| (url.clone(), t)).collect();
    let before = Load::start(terminals(), &auth);
    before.until_acknowledged(40).await;
    let acked = before.finish().await;
    // More load while the backup runs.
    let during = Load::start(terminals(), &auth);
    during.until_acknowledged(10).await;
    let (ok, out) = saldo_cli(&["backup", "--database-url", &test_db.url, &copy_arg]);
    assert!(ok, "{out}");
    assert!(out.contains("integrity ok"), "{out}");
    during.finish().await;

    let references: std::collections::HashSet<String> = {
        let conn = rusqlite::Connection::open(&copy).unwrap();
        let mut stmt = conn.prepare("SELECT reference FROM transactions").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for (user, payment) in &acked {
        assert!(
            references.contains(&format!("myq-payment:{payment}")),
            "payment {payment} of u{user}, acknowledged before the backup, is in the copy"
        );
    }
    let copy_url = format!("sqlite://{copy_arg}");
    let (ok, out) = saldo_cli(&["verify", "--database-url", &copy_url]);
    assert!(ok, "the copy is consistent: {out}");
    // A second backup to the same file is refused; so is restoring over a database.
    let (ok, out) = saldo_cli(&["backup", "--database-url", &test_db.url, &copy_arg]);
    assert!(!ok && out.contains("exists already"), "{out}");
    let (ok, out) = saldo_cli(&["restore", &copy_arg, "--database-url", &test_db.url]);
    assert!(!ok && out.contains("never overwrites"), "{out}");
    drop(server);
    let restored = dir.path().join("restored.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let (ok, out) = saldo_cli(&["restore", &copy_arg, "--database-url", &restored_url]);
    assert!(ok, "{out}");
    let server = Server::start(&restored_url, free_port(), Some(PROCESS_TOKEN)).await;
    let statement = server
        .admin()
        .ok(Method::GET, "/ledgers/501/accounts/A0/statement", None)
        .await;
    assert!(
        statement["transactions"].as_array().unwrap().len()
            >= acked.iter().filter(|(u, _)| *u == 0).count(),
        "the restored server serves the copy"
    );
}

/// The demo's commands, pasted into a shell as printed, all succeed: the MyQ print flow, the
/// recharge, a bill run that bills alice and a real PDF, and API D through the approval page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_commands_work_pasted_into_a_shell() {
    let test_db = TestDb::new();
    let port = free_port();
    // No SALDO_ADMIN_TOKEN: the server makes one, and the demo prints it where it is needed.
    let server = Server::start_with(&test_db.url, port, None, &["--demo"]).await;
    let (status, printed) = server.terminate();
    assert!(status.success(), "{printed}");
    let commands: Vec<&str> = printed
        .lines()
        .skip_while(|l| !l.starts_with("Paste the commands"))
        .map(str::trim)
        .filter(|l| {
            ["export ", "curl ", "TOKEN=", "SCA=", "echo "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert!(commands.len() > 25, "{printed}");
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("export SALDO_ADMIN_TOKEN='")),
        "{printed}"
    );

    // The same database on the same port, as after a restart; the commands run in order.
    let _server = Server::start(&test_db.url, port, None).await;
    let dir = tempfile::tempdir().unwrap();
    let script = format!("set -euo pipefail\n{}\n", commands.join("\n"));
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env_remove("SALDO_ADMIN_TOKEN")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "a pasted command failed:\n{said}");
    assert!(
        said.contains(r#""billNo":"1""#),
        "the bill run billed alice: {said}"
    );
    let pdf = std::fs::read(dir.path().join("bill.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "bill.pdf is a PDF");
    assert!(
        said.contains(r#""captureId":"demo-c1""#),
        "API D captured: {said}"
    );
}

/// `saldo admin top-up`: the operator's `username;amount` file, every wrong line reported by
/// number (the file's own mistakes and the ledger's alike) with nothing applied; a right file
/// applied whole, and a dry run changing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_tops_up_from_a_file_all_or_nothing() {
    let (_db, server) = server_with_ledger().await;
    let run = |args: &[&str]| saldo(args, &server.url, "cli-token");
    for (no, user) in [("1", "alice"), ("2", "bob")] {
        let (ok, out) = run(&[
            "admin",
            "customer-create",
            "501",
            "--customer-no",
            no,
            "--name",
            user,
            "--username",
            user,
        ]);
        assert!(ok, "{out}");
        let (ok, out) = run(&[
            "admin",
            "account-create",
            "501",
            "--customer-no",
            no,
            "--account-no",
            &format!("A{no}"),
        ]);
        assert!(ok, "{out}");
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let wrong = write(
        "wrong.csv",
        "username;amount\n# spring credit\nalice;12,50\nnobody;5\nbob\nbob;1.234\nbob;7\n",
    );
    let (ok, out) = run(&["admin", "top-up", "501", &wrong, "--description", "Spring"]);
    assert!(!ok, "{out}");
    for expected in [
        "line 4, username: is no customer's username or alias in this ledger",
        "line 5, amount: is missing: write username;amount",
        "line 6, amount: must have at most 2 decimals",
        "3 of 5 lines break a rule; nothing was applied",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
    let balance = |account: &str| {
        let (ok, out) = run(&["admin", "account-get", "501", account, "--json"]);
        assert!(ok, "{out}");
        serde_json::from_str::<Value>(&out).unwrap()["totalBalance"].to_string()
    };
    assert_eq!(
        (balance("A1"), balance("A2")),
        ("0.00".into(), "0.00".into())
    );
    let right = write("right.csv", "alice;12,50\nbob;7\nalice;0.5\n");
    let (ok, out) = run(&[
        "admin",
        "top-up",
        "501",
        &right,
        "--description",
        "Spring",
        "--dry-run",
    ]);
    assert!(
        ok && out.contains("would top up 2 accounts with 20.00 over 3 lines"),
        "{out}"
    );
    assert_eq!(balance("A1"), "0.00");
    let (ok, out) = run(&["admin", "top-up", "501", &right, "--description", "Spring"]);
    assert!(ok && out.contains("topped up 2 accounts"), "{out}");
    assert_eq!(
        (balance("A1"), balance("A2")),
        ("13.00".into(), "7.00".into())
    );
    // Everyone the filter finds, by customer number (usernames are not needed).
    let (ok, out) = run(&[
        "admin",
        "top-up-all",
        "501",
        "--amount",
        "2,50",
        "--description",
        "Bonus",
        "--q",
        "bo",
    ]);
    assert!(
        ok && out.contains("topped up 1 customers with 2.50 each"),
        "{out}"
    );
    assert_eq!(
        (balance("A1"), balance("A2")),
        ("13.00".into(), "9.50".into())
    );
    let (ok, out) = run(&[
        "admin",
        "top-up-all",
        "501",
        "--amount",
        "1",
        "--description",
        "All",
    ]);
    assert!(ok && out.contains("topped up 2 customers"), "{out}");
    assert_eq!(
        (balance("A1"), balance("A2")),
        ("14.00".into(), "10.50".into())
    );
}

/// `saldo admin import customers`: a class list as a file, imported twice without a second
/// account for anyone, and a wrong file refused whole with its wrong rows named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_imports_customers_and_a_second_run_changes_nothing() {
    let (_db, server) = server_with_ledger().await;
    let run = |args: &[&str]| saldo(args, &server.url, "cli-token");
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("class.csv");
    std::fs::write(
        &class,
        "customerNo;name;username;cards;creditLimit\n\
         # autumn class\n\
         s1;Sam;sam;K-1;50\n\
         s2;Tove;tove;K-2,K-3;12,50\n",
    )
    .unwrap();
    let class = class.to_str().unwrap();
    let (ok, out) = run(&["admin", "import", "customers", "501", class, "--dry-run"]);
    assert!(
        ok && out.contains("would import: 2 created, 0 updated, 0 unchanged"),
        "{out}"
    );
    let (ok, out) = run(&["admin", "import", "customers", "501", class]);
    assert!(ok && out.contains("imported: 2 created"), "{out}");
    let (ok, out) = run(&["admin", "import", "customers", "501", class]);
    assert!(
        ok && out.contains("imported: 0 created, 0 updated, 2 unchanged"),
        "{out}"
    );
    let (ok, out) = run(&["admin", "account-list", "501", "--json"]);
    assert!(ok, "{out}");
    let accounts: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(accounts["total"], 2, "no second account: {out}");
    assert_eq!(accounts["items"][1]["creditLimit"].to_string(), "12.50");

    let wrong = dir.path().join("wrong.csv");
    std::fs::write(
        &wrong,
        "customerNo;name;cards;creditLimit\ns3;Uno;K-1;5\ns4;Vera;;lots\ns5;Wim;;1\n",
    )
    .unwrap();
    let (ok, out) = run(&[
        "admin",
        "import",
        "customers",
        "501",
        wrong.to_str().unwrap(),
    ]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("line 2, cards: cards: K-1 is already used in this ledger"),
        "{out}"
    );
    assert!(
        out.contains("line 3, creditLimit: must be a number"),
        "{out}"
    );
    let (_, out) = run(&["admin", "customer-list", "501"]);
    assert!(!out.contains("s5"), "nothing of the wrong file: {out}");
}

/// Without `--json` the CLI speaks to a person: a sentence for every change (and for a change
/// already made under the same Idempotency-Key), tables for lists, and a progress bar for a
/// bulk file on a terminal only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_says_what_it_changed_and_lists_in_tables() {
    let (_db, server) = server_with_ledger().await;
    let run = |args: &[&str]| {
        let (ok, out) = saldo(args, &server.url, "cli-token");
        assert!(ok, "saldo {args:?}: {out}");
        out
    };
    let created = run(&[
        "admin",
        "customer-create",
        "501",
        "--customer-no",
        "7",
        "--name",
        "Åsa Öberg",
        "--username",
        "asa",
    ]);
    assert!(
        created.starts_with("created customer 7 (Åsa Öberg)\n"),
        "{created}"
    );
    let opened = run(&["admin", "account-create", "501", "--customer-no", "7"]);
    assert!(opened.starts_with("opened account "), "{opened}");
    let account = opened.split_whitespace().nth(2).unwrap().to_string();
    let pay = [
        "admin",
        "payment-create",
        "501",
        &account,
        "--amount",
        "2.5",
    ];
    let keyed = [&pay[..], &["--idempotency-key", "bank-77"]].concat();
    let first = run(&keyed);
    assert!(
        first.starts_with(&format!(
            "recorded a payment of 2.50 on account {account}\n"
        )),
        "{first}"
    );
    let again = run(&keyed);
    assert!(
        again.contains("already done earlier under this Idempotency-Key"),
        "{again}"
    );
    let list = run(&["admin", "account-list", "501"]);
    let lines: Vec<&str> = list.lines().collect();
    let heading: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        heading[..4],
        ["ACCOUNT", "CUSTOMER", "STATUS", "CREDIT"],
        "{list}"
    );
    assert!(
        lines[1].starts_with(&account) && lines[1].contains(" 2.50 "),
        "{list}"
    );
    assert_eq!(lines.last(), Some(&"1 in all"), "{list}");
    let nobody = run(&["admin", "customer-list", "501", "--q", "nobody"]);
    assert_eq!(nobody, "none found\n");
    let id = serde_json::from_str::<Value>(
        &saldo_json(
            &["admin", "credential-create", "501", "--login", "p"],
            &server.url,
            "cli-token",
        )
        .1,
    )
    .unwrap()["id"]
        .to_string();
    let revoked = run(&["admin", "credential-revoke", "501", &id]);
    assert_eq!(revoked, format!("revoked credential {id} of ledger 501\n"));

    // The bar is drawn on a terminal (here a pseudo-terminal from `script`), never into a pipe.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("topup.csv");
    std::fs::write(&file, "username;amount\nasa;5\n").unwrap();
    let top_up = format!(
        "{} admin top-up 501 {} --description Spring",
        env!("CARGO_BIN_EXE_saldo"),
        file.display()
    );
    let on_terminal = Command::new("script")
        .args(["-qec", &top_up, "/dev/null"])
        .env("SALDO_URL", &server.url)
        .env("SALDO_ADMIN_TOKEN", "cli-token")
        .output()
        .unwrap();
    let seen = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(on_terminal.status.success(), "{seen}");
    assert!(
        seen.contains("sending 1 lines"),
        "a bar on a terminal: {seen:?}"
    );
    assert!(seen.contains("topped up 1 accounts"), "{seen:?}");
    let piped = Command::new("sh")
        .args(["-c", &format!("{top_up} 2>&1 | cat")])
        .env("SALDO_URL", &server.url)
        .env("SALDO_ADMIN_TOKEN", "cli-token")
        .output()
        .unwrap();
    let piped = String::from_utf8_lossy(&piped.stdout);
    assert!(piped.contains("topped up 1 accounts"), "{piped}");
    assert!(!piped.contains("sending"), "no bar into a pipe: {piped:?}");
}

/// `saldo admin events` prints the feed as NDJSON, resumes after a sequence number, and with
/// `--follow` prints a new event as soon as it commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_cli_prints_and_follows_the_event_feed() {
    use std::io::BufRead;
    let (_db, server) = server_with_ledger().await;
    let run = |args: &[&str]| {
        let (ok, out) = saldo(args, &server.url, "cli-token");
        assert!(ok, "saldo {args:?}: {out}");
        out
    };
    run(&[
        "admin",
        "customer-create",
        "501",
        "--customer-no",
        "1",
        "--name",
        "Ann",
    ]);
    run(&[
        "admin",
        "account-create",
        "501",
        "--customer-no",
        "1",
        "--account-no",
        "A1",
    ]);
    let all = run(&["admin", "events", "501"]);
    let events: Vec<Value> = all
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["customer.created", "account.created", "customer.changed"]
    );
    let rest = run(&["admin", "events", "501", "--after", "2"]);
    assert_eq!(rest.lines().count(), 1, "only what came after 2: {rest}");

    let mut follow = Command::new(env!("CARGO_BIN_EXE_saldo"))
        .args(["admin", "events", "501", "--after", "3", "--follow"])
        .env("SALDO_URL", &server.url)
        .env("SALDO_ADMIN_TOKEN", "cli-token")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    let lines = std::thread::spawn(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .take(2)
            .map(|l| l.unwrap())
            .collect::<Vec<String>>()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    run(&["admin", "payment-create", "501", "A1", "--amount", "5"]);
    let followed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tokio::task::spawn_blocking(move || lines.join().unwrap()),
    )
    .await;
    follow.kill().unwrap();
    let _ = follow.wait();
    let followed = followed.expect("the payment's events within 20 s").unwrap();
    let first: Value = serde_json::from_str(&followed[0]).unwrap();
    assert_eq!(
        (first["seq"].as_i64(), first["type"].as_str()),
        (Some(4), Some("payment.received"))
    );
}
