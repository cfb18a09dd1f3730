//! One fixture builder for every module: a ledger, its customers and accounts, and the
//! credentials a test asks for, provisioned through the admin API of an in-process server or
//! of a real `saldo serve` process.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Reply, TestApp, basic};

/// The admin API of a server, with its token.
pub struct Admin {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl Admin {
    pub fn new(url: &str, token: &str) -> Admin {
        Admin {
            url: url.to_string(),
            token: token.to_string(),
            client: reqwest::Client::new(),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}/admin/v1{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::read(req.send().await.unwrap()).await
    }

    /// A call that must succeed; its JSON (`null` for an empty body).
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let reply = self.call(method, path, body).await;
        assert!((200..300).contains(&reply.status), "{path}: {reply:?}");
        serde_json::from_str(&reply.text).unwrap_or(Value::Null)
    }

    /// POSTs and insists on 201.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let reply = self.call(Method::POST, path, Some(body)).await;
        assert_eq!(reply.status, 201, "{path}: {}", reply.text);
        reply.json()
    }
}

/// What a test needs in one ledger; `spawn` builds it on a fresh in-process server,
/// `provision` on any server.
pub struct Setup {
    ledger_no: String,
    patch: Option<Value>,
    customers: Vec<(Value, Value)>,
    myq_login: Option<String>,
    ledger_bearer: bool,
    oauth_scopes: Option<Vec<String>>,
}

/// The credentials a `Setup` made; a field not asked for is empty.
#[derive(Default)]
pub struct Provisioned {
    /// `Basic …` of the MyQ credential (API A).
    pub myq: String,
    /// `Bearer …`: the OAuth token (API B) when asked for, else the ledger token (APIs C, D).
    pub bearer: String,
    /// The MyQ credential's id.
    pub myq_credential: i64,
    /// The OAuth client (id, secret).
    pub client: (String, String),
    /// MyQ v3 user ids by username, when an OAuth token with the `users` scope was asked for.
    pub users: HashMap<String, i64>,
}

impl Setup {
    /// A SEK ledger named "Test".
    pub fn ledger(ledger_no: &str) -> Setup {
        Setup {
            ledger_no: ledger_no.to_string(),
            patch: None,
            customers: Vec::new(),
            myq_login: None,
            ledger_bearer: false,
            oauth_scopes: None,
        }
    }

    /// PATCHes the ledger with `body` (name, settings) once it exists.
    pub fn patch(mut self, body: Value) -> Setup {
        self.patch = Some(body);
        self
    }

    /// A customer "Customer `no`" with the identity fields of `identity`, and a default
    /// account with credit limit `limit`.
    pub fn customer(mut self, no: &str, identity: Value, limit: &str) -> Setup {
        let mut body = json!({"customerNo": no, "name": format!("Customer {no}")});
        for (k, v) in identity.as_object().expect("identity is an object") {
            body[k] = v.clone();
        }
        let limit: serde_json::Number = limit.parse().expect("a decimal limit");
        let account = json!({"customerNo": no, "creditLimit": limit});
        self.customers.push((body, account));
        self
    }

    /// The last customer's account gets this number instead of a generated one.
    pub fn account_no(mut self, account_no: &str) -> Setup {
        let (_, account) = self.customers.last_mut().expect("a customer first");
        account["accountNo"] = json!(account_no);
        self
    }

    /// A MyQ Basic credential with login `myq{ledgerNo}`.
    pub fn myq(self) -> Setup {
        let login = format!("myq{}", self.ledger_no);
        self.myq_login(&login)
    }

    pub fn myq_login(mut self, login: &str) -> Setup {
        self.myq_login = Some(login.to_string());
        self
    }

    /// A ledger-bearer token (APIs C and D).
    pub fn ledger_bearer(mut self) -> Setup {
        self.ledger_bearer = true;
        self
    }

    /// An OAuth client holding `scopes` and a token granted all of them (API B).
    pub fn oauth(mut self, scopes: &[&str]) -> Setup {
        self.oauth_scopes = Some(scopes.iter().map(|s| s.to_string()).collect());
        self
    }

    /// A fresh in-process server with all of this in it.
    pub async fn spawn(self) -> Fixture {
        let app = TestApp::spawn().await;
        let made = self.provision(&app.admin_api(), &app.url).await;
        Fixture { app, made }
    }

    /// Makes all of this through `admin`; `url` is where the server's APIs answer.
    pub async fn provision(self, admin: &Admin, url: &str) -> Provisioned {
        let l = &self.ledger_no;
        admin
            .create(
                "/ledgers",
                json!({"ledgerNo": l, "name": "Test", "currency": "SEK"}),
            )
            .await;
        if let Some(patch) = self.patch {
            admin
                .ok(Method::PATCH, &format!("/ledgers/{l}"), Some(patch))
                .await;
        }
        let usernames: Vec<String> = self
            .customers
            .iter()
            .filter_map(|(c, _)| Some(c["username"].as_str()?.to_string()))
            .collect();
        for (customer, account) in self.customers {
            admin
                .create(&format!("/ledgers/{l}/customers"), customer)
                .await;
            admin
                .create(&format!("/ledgers/{l}/accounts"), account)
                .await;
        }
        let credentials = format!("/ledgers/{l}/credentials");
        let mut made = Provisioned::default();
        if let Some(login) = self.myq_login {
            let c = admin
                .create(&credentials, json!({"kind": "myq-basic", "login": login}))
                .await;
            made.myq = basic(&login, c["password"].as_str().unwrap());
            made.myq_credential = c["id"].as_i64().expect("a credential id");
        }
        if self.ledger_bearer {
            let c = admin
                .create(&credentials, json!({"kind": "ledger-bearer"}))
                .await;
            made.bearer = format!("Bearer {}", c["token"].as_str().expect("a token"));
        }
        if let Some(scopes) = self.oauth_scopes {
            let c = admin
                .create(
                    &credentials,
                    json!({"kind": "myq-oauth-client", "scopes": scopes}),
                )
                .await;
            made.client = (
                c["clientId"].as_str().unwrap().to_string(),
                c["clientSecret"].as_str().unwrap().to_string(),
            );
            made.bearer = oauth_token(url, &made.client, &scopes.join(" ")).await;
            if scopes.iter().any(|s| s == "users") {
                made.users = v3_users(url, &made.bearer, usernames).await;
            }
        }
        made
    }
}

/// A `Bearer …` for a token granted to `client` with `scope` (space-separated).
pub async fn oauth_token(url: &str, client: &(String, String), scope: &str) -> String {
    let body = json!({"grant_type": "client_credentials", "client_id": client.0,
                      "client_secret": client.1, "scope": scope});
    let res = reqwest::Client::new()
        .post(format!("{url}/api/auth/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let r = Reply::read(res).await;
    assert_eq!(r.status, 200, "{}", r.text);
    format!("Bearer {}", r.json()["access_token"].as_str().unwrap())
}

/// The v3 ids of the users with `usernames`.
async fn v3_users(url: &str, bearer: &str, usernames: Vec<String>) -> HashMap<String, i64> {
    let mut ids = HashMap::new();
    for name in usernames {
        let res = reqwest::Client::new()
            .get(format!("{url}/api/v3/users/find?username={name}"))
            .header("authorization", bearer)
            .send()
            .await
            .unwrap();
        let r = Reply::read(res).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let id = r.json()["users"][0]["id"].as_i64().expect("a user id");
        ids.insert(name, id);
    }
    ids
}

/// One test's world: an in-process server and what its `Setup` made.
pub struct Fixture {
    pub app: TestApp,
    pub made: Provisioned,
}

impl std::ops::Deref for Fixture {
    type Target = Provisioned;
    fn deref(&self) -> &Provisioned {
        &self.made
    }
}

impl Fixture {
    /// A request with the fixture's bearer token and an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.app.authorized(&self.bearer, method, path, body).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// GET with the bearer token, insisting on 200.
    pub async fn get(&self, path: &str) -> Value {
        self.app.get_json(&self.bearer, path).await
    }

    /// The MyQ v3 id of the user with `username`.
    pub fn user(&self, username: &str) -> i64 {
        self.users[username]
    }
}
