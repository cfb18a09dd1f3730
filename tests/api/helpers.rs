//! A real server on a random port with a manual clock, over a temporary SQLite file or, in
//! the `api_postgres` target, over a fresh PostgreSQL database.

use std::sync::Arc;

use base64::Engine as _;
use reqwest::Method;
use saldo::engine::{Engine, ManualClock};
use saldo::http::{AppState, Credentials, app};
use saldo::secret;
use saldo::store::{self};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub const ADMIN_TOKEN: &str = "test-admin-token";

#[path = "../support/postgres.rs"]
mod postgres;

/// Whether this test binary runs the suite on PostgreSQL (the same sources build both).
pub fn on_postgres() -> bool {
    env!("CARGO_CRATE_NAME") == "api_postgres"
}

/// Where one test's data lives; removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: tempfile::TempDir,
    _postgres: Option<postgres::TestDatabase>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        if !on_postgres() {
            return TestDb {
                url: format!("sqlite://{}", dir.path().join("saldo.db").display()),
                _dir: dir,
                _postgres: None,
            };
        }
        let Some(db) = postgres::TestDatabase::create() else {
            // Every test of this binary needs PostgreSQL: say so once and stop, successfully.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "api_postgres: no PostgreSQL server answered; all PostgreSQL HTTP tests skipped"
            );
            std::process::exit(0);
        };
        TestDb {
            url: db.url.clone(),
            _dir: dir,
            _postgres: Some(db),
        }
    }

    /// How many migrations the database has applied.
    pub fn schema_version(&self) -> i64 {
        if on_postgres() {
            let v = postgres::query(
                &self.url,
                "SELECT MAX(version) FROM saldo_migrations".into(),
            )
            .unwrap();
            return v.expect("a schema version").parse().unwrap();
        }
        let path = self.url.strip_prefix("sqlite://").unwrap();
        rusqlite::Connection::open(path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    /// A second handle on the same database, as another process would open it.
    pub fn open(&self) -> std::sync::Arc<dyn saldo::store::Store> {
        store::open(&self.url).unwrap()
    }
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub engine: Arc<Engine>,
    _db: TestDb,
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// The MyQ/admin error message, asserting the error format on the way.
    pub fn error_message(&self) -> String {
        let body = self.json();
        let obj = body.as_object().expect("error body is an object");
        assert_eq!(obj.len(), 1, "only `error` at the top: {body}");
        body["error"]["message"]
            .as_str()
            .expect("error.message is a string")
            .to_string()
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let db = TestDb::new();
        let store = db.open();
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let engine = Engine::start(store.clone(), clock.clone()).unwrap();
        let state = AppState {
            engine: engine.clone(),
            credentials: Arc::new(Credentials::load(store, clock.clone()).unwrap()),
            admin_token_sha256: Arc::new(secret::sha256(ADMIN_TOKEN.as_bytes())),
            identity: Arc::new(saldo::identity::TestIdentityProvider::default()),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app(state)).await.unwrap() });
        TestApp {
            url,
            client: reqwest::Client::new(),
            clock,
            engine,
            _db: db,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let res = req.send().await.unwrap();
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string());
        let auth = format!("Bearer {ADMIN_TOKEN}");
        self.request(
            method,
            &format!("/admin/v1{path}"),
            &[("authorization", &auth)],
            body.as_deref(),
        )
        .await
    }

    /// POSTs to the admin API and insists on 201.
    pub async fn admin_create(&self, path: &str, body: Value) -> Value {
        let reply = self.admin(Method::POST, path, Some(body)).await;
        assert_eq!(reply.status, 201, "{path}: {}", reply.text);
        reply.json()
    }

    /// A SEK ledger.
    pub async fn ledger(&self, ledger_no: &str) -> Value {
        self.admin_create(
            "/ledgers",
            json!({"ledgerNo": ledger_no, "name": "Test", "currency": "SEK"}),
        )
        .await
    }

    /// A ledger with a MyQ credential; returns the Basic header value.
    pub async fn myq_ledger(&self, ledger_no: &str) -> String {
        self.ledger(ledger_no).await;
        let cred = self
            .admin_create(
                &format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "myq-basic", "login": format!("myq{ledger_no}")}),
            )
            .await;
        basic(
            cred["login"].as_str().unwrap(),
            cred["password"].as_str().unwrap(),
        )
    }

    /// A customer with a MyQ identity and a default account with `limit`; returns the accountNo.
    pub async fn customer(
        &self,
        ledger_no: &str,
        customer_no: &str,
        identity: Value,
        limit: &str,
    ) -> String {
        let mut body =
            json!({"customerNo": customer_no, "name": format!("Customer {customer_no}")});
        for (k, v) in identity.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.admin_create(&format!("/ledgers/{ledger_no}/customers"), body)
            .await;
        let account = self
            .admin_create(
                &format!("/ledgers/{ledger_no}/accounts"),
                json!({"customerNo": customer_no, "creditLimit": limit.parse::<serde_json::Number>().unwrap()}),
            )
            .await;
        account["accountNo"].as_str().unwrap().to_string()
    }

    pub async fn account(&self, ledger_no: &str, account_no: &str) -> Value {
        let reply = self
            .admin(
                Method::GET,
                &format!("/ledgers/{ledger_no}/accounts/{account_no}"),
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    pub async fn myq(&self, auth: &str, method: Method, path: &str, body: Option<&str>) -> Reply {
        self.request(method, path, &[("authorization", auth)], body)
            .await
    }

    /// Opens a session for `username` and returns its id.
    pub async fn session(&self, auth: &str, username: &str) -> i64 {
        let reply = self
            .myq(
                auth,
                Method::POST,
                "/sessions",
                Some(&json!({"username": username}).to_string()),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["id"].as_i64().expect("integer id")
    }

    /// Creates a session payment of `amount` and returns its id.
    pub async fn payment(&self, auth: &str, session: i64, amount: &str) -> i64 {
        let reply = self
            .myq(
                auth,
                Method::POST,
                &format!("/sessions/{session}/payments"),
                Some(&self::amount(amount)),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["id"].as_i64().expect("integer id")
    }

    pub async fn balance(&self, auth: &str, session: i64) -> Value {
        let reply = self
            .myq(auth, Method::GET, &format!("/sessions/{session}"), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["balance"].clone()
    }
}

pub fn basic(login: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"))
    )
}

pub fn amount(text: &str) -> String {
    json!({ "amount": text.parse::<serde_json::Number>().unwrap() }).to_string()
}

/// A JSON number exactly as written (`dec("13.00")` renders `13.00`), for wire comparisons.
pub fn dec(text: &str) -> Value {
    Value::Number(text.parse().unwrap())
}

/// Admin token of servers started as processes.
pub const PROCESS_TOKEN: &str = "process-admin-token";

/// An admin API call to a `Server` started with `PROCESS_TOKEN`, which must succeed.
pub async fn process_admin(url: &str, method: Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, format!("{url}/admin/v1{path}"))
        .bearer_auth(PROCESS_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The real `saldo` binary, as an operator runs it.
pub struct Server {
    pub child: std::process::Child,
    pub url: String,
}

impl Server {
    /// Starts `saldo serve` and waits for `/readyz`; stdout is kept for the caller to read.
    pub async fn start_with(db: &str, port: u16, token: Option<&str>, extra: &[&str]) -> Server {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_saldo"));
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            db,
        ])
        .args(extra)
        .env_remove("SALDO_ADMIN_TOKEN")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
        if let Some(token) = token {
            cmd.env("SALDO_ADMIN_TOKEN", token);
        }
        let child = cmd.spawn().expect("starting saldo");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !reqwest::get(format!("{url}/readyz"))
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "saldo did not become ready"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Server { child, url }
    }

    pub async fn start(db: &str, port: u16, token: Option<&str>) -> Server {
        Server::start_with(db, port, token, &[]).await
    }

    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and returns the exit status and everything printed on stdout.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        use std::io::Read;
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        (status, out)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Reply {
    /// The v3 error `{"code","message","data":[]}`, asserting its shape; returns the message.
    pub fn v3_error(&self) -> String {
        let body = self.json();
        assert_eq!(body["code"], self.status, "code repeats the status: {body}");
        assert_eq!(body["data"], serde_json::json!([]), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
        body["message"]
            .as_str()
            .expect("message is a string")
            .to_string()
    }
}

impl TestApp {
    /// An OAuth client of the ledger holding `scopes`; returns (clientId, clientSecret).
    pub async fn oauth_client(&self, ledger_no: &str, scopes: &[&str]) -> (String, String) {
        let c = self
            .admin_create(
                &format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "myq-oauth-client", "scopes": scopes}),
            )
            .await;
        (
            c["clientId"].as_str().unwrap().to_string(),
            c["clientSecret"].as_str().unwrap().to_string(),
        )
    }

    /// A Bearer header value for a token granted with `scope` (space-separated).
    pub async fn bearer(&self, client: &(String, String), scope: &str) -> String {
        let body = json!({"grant_type": "client_credentials", "client_id": client.0, "client_secret": client.1, "scope": scope});
        let r = self
            .request(
                Method::POST,
                "/api/auth/token",
                &[],
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        format!("Bearer {}", r.json()["access_token"].as_str().unwrap())
    }

    /// GET with `Authorization: <bearer>`, insisting on 200; returns the JSON.
    pub async fn get_json(&self, bearer: &str, path: &str) -> Value {
        let r = self.authorized(bearer, Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.json()
    }

    /// A request carrying `Authorization: <bearer>` and an optional JSON body.
    pub async fn authorized(
        &self,
        bearer: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let body = body.map(|b| b.to_string());
        self.request(method, path, &[("authorization", bearer)], body.as_deref())
            .await
    }
}

impl Reply {
    /// Asserts a PayEx problem (`application/problem+json` with every field) of `code` for
    /// the API whose types start with `type_prefix`; returns the body.
    pub fn problem(&self, type_prefix: &str, code: &str) -> Value {
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let body = self.json();
        assert_eq!(body["Type"], format!("{type_prefix}{code}"), "{body}");
        assert_eq!(body["Status"], self.status, "{body}");
        assert!(
            body["Title"].as_str().is_some_and(|t| !t.is_empty()),
            "{body}"
        );
        assert!(body["Detail"].is_string(), "{body}");
        assert!(body["Problems"].is_array(), "{body}");
        let instance = body["Instance"].as_str().expect("an Instance");
        assert!(
            uuid::Uuid::parse_str(instance).is_ok(),
            "Instance is a UUID: {instance}"
        );
        body
    }
}

impl TestApp {
    /// A `Bearer …` header value of a new ledger-bearer token.
    pub async fn ledger_bearer(&self, ledger_no: &str) -> String {
        let c = self
            .admin_create(
                &format!("/ledgers/{ledger_no}/credentials"),
                json!({"kind": "ledger-bearer"}),
            )
            .await;
        format!("Bearer {}", c["token"].as_str().expect("a token"))
    }
}

/// A print terminal under load: sessions of three committed payments of 0.25 for `u{user}`,
/// until `for_at_most` has passed or the server stops answering. Returns every payment whose
/// commit was acknowledged, as (user, payment id).
pub async fn commit_payments(
    url: String,
    auth: String,
    user: usize,
    for_at_most: std::time::Duration,
) -> Vec<(usize, i64)> {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + for_at_most;
    let mut acked = Vec::new();
    let post = |path: String, body: Option<Value>| {
        let mut req = client
            .post(format!("{url}{path}"))
            .header("authorization", &auth);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    'sessions: while tokio::time::Instant::now() < deadline {
        let Ok(r) = post(
            "/sessions".into(),
            Some(json!({"username": format!("u{user}")})),
        )
        .await
        else {
            break;
        };
        let Ok(s) = r.json::<Value>().await else {
            break;
        };
        let s = s["id"].as_i64().unwrap();
        for _ in 0..3 {
            let Ok(r) = post(
                format!("/sessions/{s}/payments"),
                Some(json!({"amount": 0.25})),
            )
            .await
            else {
                break 'sessions;
            };
            let Ok(p) = r.json::<Value>().await else {
                break 'sessions;
            };
            let p = p["id"].as_i64().unwrap();
            match post(format!("/sessions/{s}/payments/{p}/commit"), None).await {
                Ok(r) if r.status() == 204 => acked.push((user, p)),
                Ok(r) => panic!("commit answered {}", r.status()),
                Err(_) => break 'sessions,
            }
        }
    }
    acked
}
