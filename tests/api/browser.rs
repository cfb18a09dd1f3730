//! The SCA page in a real browser: headless Chromium driven through WebDriver opens the
//! redirect link, sees the amount, clicks Approve (or Decline) and lands on the return URL.
//! Fails, naming the packages, where Debian's `chromium` or `chromium-driver` is missing;
//! `scripts/test-deps` installs them.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::helpers::tools::require;
use crate::helpers::{Setup, TestApp, eventually, free_port};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_driver() -> (Driver, String) {
    require(CHROMIUM, "chromium");
    let port = free_port();
    let child = Command::new(require(CHROMEDRIVER, "chromium-driver"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    let status = format!("{url}/status");
    eventually(Duration::from_secs(20), "chromedriver starts", || async {
        reqwest::get(&status).await.ok().map(drop)
    })
    .await;
    (Driver(child), url)
}

async fn browser(driver: &str, profile: &std::path::Path) -> fantoccini::Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(driver)
        .await
        .expect("a WebDriver session")
}

/// Pre-authorizes 450.00 (so SCA is needed) and returns the consumer's link.
async fn sca_link(app: &TestApp, bearer: &str, id: &str) -> String {
    let base = "/ledger/account-transaction/v1/501/authentications";
    let mut body = crate::helpers::pre_authorization("C1", json!(450), "None");
    body["sellerNo"] = json!("Möbelhuset");
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("{base}/{id}"),
            &[("authorization", bearer)],
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.json()["status"], "awaiting-sca", "{}", r.text);
    let body = json!({"returnUrl": format!("{}/healthz?shop=1", app.url), "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}});
    let r = app
        .request(
            reqwest::Method::POST,
            &format!("{base}/{id}/redirect"),
            &[("authorization", bearer)],
            Some(&body.to_string()),
        )
        .await;
    r.json()["redirectUrl"].as_str().unwrap().to_string()
}

async fn wait_for_return(client: &fantoccini::Client) -> String {
    eventually(
        Duration::from_secs(20),
        "the browser reaches the return URL",
        || async {
            let url = client.current_url().await.unwrap().to_string();
            url.contains("status=").then_some(url)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_approves_and_declines_in_a_real_browser() {
    let (_driver, driver_url) = start_driver().await;
    let f = Setup::ledger("501")
        .customer("C1", json!({}), "1000")
        .ledger_bearer()
        .spawn()
        .await;
    let (app, bearer) = (&f.app, &f.bearer);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver_url, profile.path()).await;

    for (id, button, status) in [
        ("web-yes", "approve", "approved"),
        ("web-no", "decline", "declined"),
    ] {
        let link = sca_link(app, bearer, id).await;
        client.goto(&link).await.unwrap();
        let amount = client
            .find(Locator::Id("amount"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(amount, "450.00 SEK");
        let page = client.source().await.unwrap();
        assert!(page.contains("Möbelhuset"), "the seller is shown");
        client
            .find(Locator::Id(button))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let landed = wait_for_return(&client).await;
        assert_eq!(
            landed,
            format!(
                "{}/healthz?shop=1&status={status}&authenticationId={id}",
                app.url
            )
        );
        let r = app
            .request(
                reqwest::Method::GET,
                &format!("/ledger/account-transaction/v1/501/authentications/{id}"),
                &[("authorization", bearer)],
                None,
            )
            .await;
        assert_eq!(r.json()["status"], Value::String(status.into()));
        // The link is spent: opening it again shows the used page.
        client.goto(&link).await.unwrap();
        assert!(client.source().await.unwrap().contains("already been used"));
    }
    client.close().await.unwrap();
}
