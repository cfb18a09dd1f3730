//! Reads never wait for the database's write lock: with another process holding it, a GET is
//! answered from memory once the stored version shows memory is current.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Setup, dec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_is_answered_while_another_process_holds_the_write_lock() {
    let f = Setup::ledger("501")
        .customer("C1", json!({}), "100")
        .account_no("A1")
        .ledger_bearer()
        .spawn()
        .await;
    let id = f.app.engine.ledger_id("501").unwrap();
    let other = f.app.second_handle();
    let held = other.begin(id).expect("the other process takes the lock");

    let get = f.app.admin(Method::GET, "/ledgers/501/accounts/A1", None);
    let account = tokio::time::timeout(Duration::from_secs(3), get)
        .await
        .expect("answered without waiting for the lock");
    assert_eq!(account.status, 200, "{}", account.text);
    assert_eq!(account.json()["creditLimit"], dec("100.00"));
    let list = f.get("/ledger/credit-account/v1/501/accounts");
    let list = tokio::time::timeout(Duration::from_secs(3), list)
        .await
        .expect("API C's list too");
    assert_eq!(list["items"][0]["accountNo"], "A1");
    drop(held);

    // Writes still take the lock, and a read after one shows it.
    let patch = json!({"creditLimit": 80});
    let account = "/ledger/credit-account/v1/501/accounts/A1";
    let r = f.call(Method::PATCH, account, Some(patch)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = f.get("/ledger/credit-account/v1/501/accounts").await;
    assert_eq!(listed["items"][0]["creditLimit"], dec("80.00"));
}
