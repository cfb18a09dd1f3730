//! A real server on a random port with a manual clock, over a temporary SQLite file or, with
//! `SALDO_TEST_STORE=postgres`, over a fresh PostgreSQL database.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use reqwest::Method;
use saldo::engine::{Engine, ManualClock};
use saldo::http::{AppState, Credentials, app};
use saldo::secret;
use saldo::store;
use serde_json::{Value, json};
use time::OffsetDateTime;

mod fixture;
mod process;

pub use fixture::{Admin, Fixture, Provisioned, Setup};
pub use process::{Load, PROCESS_TOKEN, Server, free_port};

pub const ADMIN_TOKEN: &str = "test-admin-token";

#[path = "../../support/database.rs"]
pub mod database;
#[path = "../../support/tools.rs"]
pub mod tools;

/// Whether this run puts the suite on PostgreSQL (`SALDO_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    database::selected()
}

pub use database::TestDb;

impl TestDb {
    /// How many migrations the database has applied.
    pub fn schema_version(&self) -> i64 {
        if on_postgres() {
            return self.scalar("SELECT MAX(version) FROM saldo_migrations");
        }
        self.scalar("PRAGMA user_version")
    }

    /// `SELECT COUNT(*) FROM <from>`, behind saldo's back.
    pub fn count(&self, from: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {from}"))
    }

    /// The one integer `sql` answers.
    fn scalar(&self, sql: &str) -> i64 {
        if on_postgres() {
            let v = database::query(&self.url, sql.into()).unwrap();
            return v.expect("a value").parse().unwrap();
        }
        let path = self.url.strip_prefix("sqlite://").unwrap();
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    /// Runs SQL on the database behind saldo's back, as a damaged disk or a careless
    /// operator would.
    pub fn execute(&self, sql: &str) {
        if on_postgres() {
            database::query(&self.url, sql.into()).unwrap();
            return;
        }
        let path = self.url.strip_prefix("sqlite://").unwrap();
        rusqlite::Connection::open(path)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }

    /// A second handle on the same database, as another process would open it.
    pub fn open(&self) -> Arc<dyn saldo::store::Store> {
        store::open(&self.url).unwrap()
    }
}

/// The library's server in this process: reachable over real TCP at `url`, or without a
/// socket through `oneshot` (for wire-format checks where the transport does not matter).
pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub engine: Arc<Engine>,
    pub credentials: Arc<Credentials>,
    router: axum::Router,
    _db: TestDb,
}

/// A response as a client sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        // Test builds only: a release build ignores this and keeps production Argon2 costs.
        secret::use_cheap_hashing_for_tests();
        let db = TestDb::new();
        let store = db.open();
        let clock = Arc::new(ManualClock::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        ));
        let engine = Engine::start(store.clone(), clock.clone()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let credentials = Arc::new(Credentials::load(store, clock.clone()).unwrap());
        let state = AppState {
            engine: engine.clone(),
            credentials: credentials.clone(),
            admin_token_sha256: Arc::new(secret::sha256(ADMIN_TOKEN.as_bytes())),
            identity: Arc::new(saldo::identity::TestIdentityProvider::default()),
            public_url: url.as_str().into(),
            ca_pem: None,
        };
        // Webhook retries fast enough for a test to watch a failing receiver recover.
        saldo::webhooks::spawn(
            engine.clone(),
            saldo::webhooks::Config {
                first_backoff: Duration::from_millis(100),
                retry_for: Duration::from_secs(3),
                lease: Duration::from_secs(3),
                timeout: Duration::from_secs(1),
                ..saldo::webhooks::Config::default()
            },
        );
        let router = app(state);
        let served = router.clone();
        tokio::spawn(async move { axum::serve(listener, served).await.unwrap() });
        TestApp {
            url,
            client: reqwest::Client::new(),
            clock,
            engine,
            credentials,
            router,
            _db: db,
        }
    }

    /// Another handle on this server's database, as a second process would hold it.
    pub fn second_handle(&self) -> Arc<dyn saldo::store::Store> {
        self._db.open()
    }

    /// The admin API of this server.
    pub fn admin_api(&self) -> Admin {
        Admin::new(&self.url, ADMIN_TOKEN)
    }

    /// Makes what `setup` describes on this server.
    pub async fn provision(&self, setup: Setup) -> Provisioned {
        setup.provision(&self.admin_api(), &self.url).await
    }

    /// An OAuth client of the ledger holding `scopes`; returns (clientId, clientSecret).
    pub async fn oauth_client(&self, ledger_no: &str, scopes: &[&str]) -> (String, String) {
        let path = format!("/ledgers/{ledger_no}/credentials");
        let body = json!({"kind": "myq-oauth-client", "scopes": scopes});
        let c = self.admin_create(&path, body).await;
        let field = |k: &str| c[k].as_str().unwrap().to_string();
        (field("clientId"), field("clientSecret"))
    }

    /// A `Bearer …` for a token granted to `client` with `scope` (space-separated).
    pub async fn bearer(&self, client: &(String, String), scope: &str) -> String {
        fixture::oauth_token(&self.url, client, scope).await
    }

    /// A request over TCP, with a JSON body if one is given.
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
        Reply::read(req.send().await.unwrap()).await
    }

    /// The same request handed to the router in-process: no socket, no connection pool.
    pub async fn oneshot(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        use tower::ServiceExt as _;
        let mut req = axum::http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(axum::body::Body::from(body.unwrap_or_default().to_string()))
            .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).expect("a UTF-8 body"),
        }
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.admin_api().call(method, path, body).await
    }

    /// POSTs to the admin API and insists on 201.
    pub async fn admin_create(&self, path: &str, body: Value) -> Value {
        self.admin_api().create(path, body).await
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
        let body = json!({"username": username}).to_string();
        let reply = self.myq(auth, Method::POST, "/sessions", Some(&body)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()["id"].as_i64().expect("integer id")
    }

    /// Creates a session payment of `amount` and returns its id.
    pub async fn payment(&self, auth: &str, session: i64, amount: &str) -> i64 {
        let path = format!("/sessions/{session}/payments");
        let reply = self
            .myq(auth, Method::POST, &path, Some(&self::amount(amount)))
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
    pub async fn read(res: reqwest::Response) -> Reply {
        Reply {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            text: res.text().await.unwrap(),
        }
    }

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

    /// The v3 error `{"code","message","data":[]}`, asserting its shape; returns the message.
    pub fn v3_error(&self) -> String {
        let body = self.json();
        assert_eq!(body["code"], self.status, "code repeats the status: {body}");
        assert_eq!(body["data"], json!([]), "{body}");
        assert_eq!(body.as_object().unwrap().len(), 3, "{body}");
        body["message"]
            .as_str()
            .expect("message is a string")
            .to_string()
    }

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

/// Polls `check` until it gives `Some`, and fails naming `what` if `within` passes first.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A pre-authorization body with every field seed 004 requires, for the customer `customer_no`
/// (the national identifier left empty, so the customer number finds the account).
pub fn pre_authorization(
    customer_no: &str,
    amount: serde_json::Value,
    sca: &str,
) -> serde_json::Value {
    serde_json::json!({
        "@id": "", "customer": {"nationalConsumerIdentifier": {"value": "", "countryCode": ""},
                     "email": "", "msisdn": "", "customerNo": customer_no},
        "sellerNo": "S", "sellerReferenceId": "", "profileName": "", "authorizationAmount": amount,
        "currency": "SEK", "externalReference": "", "assesment": {"assessmentUrl": "", "scaStatus": sca},
    })
}
