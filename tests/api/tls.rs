//! MyQ X over TLS: `saldo tls init` makes a CA and a server certificate, `saldo serve` speaks
//! HTTPS with them, and a client that trusts only that CA (fetched, as MyQ X's clients do, from
//! `GET /api/v3/certificates/ca`) runs the whole recharge flow.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::{Certificate, Client, Method};
use serde_json::{Value, json};

use crate::helpers::{PROCESS_TOKEN, TestDb, eventually, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_saldo");

/// Kills the server when the test ends, passed or not.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn call(client: &Client, method: Method, url: String, auth: &str, body: Value) -> Value {
    let mut request = client.request(method, &url).header("authorization", auth);
    if !body.is_null() {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_only_saldos_ca_runs_the_recharge_flow() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let init = Command::new(BIN)
        .args(["tls", "init", "--dir", tls.to_str().unwrap()])
        .args(["--host", "localhost", "--host", "127.0.0.1"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let db = TestDb::new();
    let port = free_port();
    let _server = Child(
        Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database-url", &db.url])
            .arg("--tls-cert")
            .arg(tls.join("server.pem"))
            .arg("--tls-key")
            .arg(tls.join("server-key.pem"))
            .env("SALDO_ADMIN_TOKEN", PROCESS_TOKEN)
            .env("SALDO_TEST_CHEAP_HASHING", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("https://localhost:{port}");

    // First contact, as MyQ X's clients make it: fetch the CA before trusting anyone.
    let first = Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let ca_url = format!("{url}/api/v3/certificates/ca");
    let pem = eventually(Duration::from_secs(20), "saldo serves HTTPS", || async {
        let r = first.get(&ca_url).send().await.ok()?;
        r.status().is_success().then_some(())?;
        r.text().await.ok()
    })
    .await;
    assert_eq!(pem, std::fs::read_to_string(tls.join("ca.pem")).unwrap());
    let trusting = |pem: &str| {
        Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(Certificate::from_pem(pem.as_bytes()).unwrap())
            .build()
            .unwrap()
    };
    let client = trusting(&pem);
    let plain = Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "no plain HTTP on the TLS port"
    );
    let other_dir = dir.path().join("other");
    let other = Command::new(BIN)
        .args([
            "tls",
            "init",
            "--dir",
            other_dir.to_str().unwrap(),
            "--host",
            "localhost",
        ])
        .output()
        .unwrap();
    assert!(other.status.success());
    let other_ca = std::fs::read_to_string(other_dir.join("ca.pem")).unwrap();
    let refused = trusting(&other_ca)
        .get(format!("{url}/healthz"))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a client trusting another CA must refuse saldo's certificate"
    );

    // The operator provisions over the same HTTPS port.
    let admin = format!("Bearer {PROCESS_TOKEN}");
    let at = |path: &str| format!("{url}{path}");
    call(
        &client,
        Method::POST,
        at("/admin/v1/ledgers"),
        &admin,
        json!({"ledgerNo": "501", "name": "Print", "currency": "SEK"}),
    )
    .await;
    call(
        &client,
        Method::POST,
        at("/admin/v1/ledgers/501/customers"),
        &admin,
        json!({"customerNo": "1", "name": "Alice", "username": "alice"}),
    )
    .await;
    call(
        &client,
        Method::POST,
        at("/admin/v1/ledgers/501/accounts"),
        &admin,
        json!({"customerNo": "1", "creditLimit": 20}),
    )
    .await;
    let oauth = call(
        &client,
        Method::POST,
        at("/admin/v1/ledgers/501/credentials"),
        &admin,
        json!({"kind": "myq-oauth-client", "scopes": ["credit", "users"]}),
    )
    .await;

    // The recharge flow of a MyQ X payment client, every call over TLS.
    let token = client
        .post(at("/api/auth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", oauth["clientId"].as_str().unwrap()),
            ("client_secret", oauth["clientSecret"].as_str().unwrap()),
            ("scope", "credit users"),
        ])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let found = call(
        &client,
        Method::GET,
        at("/api/v3/users/find?username=alice"),
        &bearer,
        Value::Null,
    )
    .await;
    let user = found["users"][0]["id"].as_i64().unwrap();
    let accounts = call(
        &client,
        Method::GET,
        at(&format!("/api/v3/users/{user}/accounts")),
        &bearer,
        Value::Null,
    )
    .await;
    let internal = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["reference"] == "internalaccount")
        .expect("the internalaccount entry MyQ X clients look for");
    assert_eq!(internal["limits"]["price"], json!(20));
    let payments = at("/api/v3/rechargeProviders/external/payments");
    let created = call(
        &client,
        Method::POST,
        payments.clone(),
        &bearer,
        json!({"userId": user, "params": {"amount": 15}}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let committed = call(
        &client,
        Method::POST,
        format!("{payments}/{id}/commit"),
        &bearer,
        Value::Null,
    )
    .await;
    assert_eq!(committed, json!({"amount": 15}));
    let balance = call(
        &client,
        Method::GET,
        at(&format!(
            "/api/v3/users/{user}/accounts/internalaccount/balance"
        )),
        &bearer,
        Value::Null,
    )
    .await;
    assert_eq!(
        balance,
        json!({"amount": 35}),
        "20 of credit and the 15 recharged"
    );
}

/// Without TLS there is no CA to hand out: 404 in API B's format.
#[tokio::test]
async fn without_tls_there_is_no_certificate_authority() {
    let app = crate::helpers::TestApp::spawn().await;
    let r = app
        .request(Method::GET, "/api/v3/certificates/ca", &[], None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    r.v3_error();
}
