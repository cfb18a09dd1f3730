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

/// Another process changed the ledger and then holds its lock: a GET still answers at once,
/// and shows that change (it catches up from the batch log without the lock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_shows_what_another_process_committed_without_waiting_for_its_lock() {
    let f = Setup::ledger("501")
        .customer("C1", json!({}), "100")
        .account_no("A1")
        .ledger_bearer()
        .spawn()
        .await;
    let before = f
        .app
        .admin(Method::GET, "/ledgers/501/accounts/A1", None)
        .await;
    assert_eq!(before.json()["totalBalance"], dec("0.00"));
    let id = f.app.engine.ledger_id("501").unwrap();
    let other = f.app.second_handle();

    // The other process pays 12.50 into the account and commits.
    let mut batch = other.begin(id).unwrap();
    let (info, snapshot) = batch.load().unwrap();
    let mut theirs = saldo::ledger::Ledger::restore(info, snapshot).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let paid = saldo::money::Amount::from_minor(1250);
    theirs.receive_payment("A1", paid, None, None, now).unwrap();
    let dirty = theirs.take_dirty();
    batch.commit(&theirs, &dirty).unwrap();
    // Then it starts another batch and keeps the lock.
    let held = other.begin(id).expect("the other process takes the lock");

    let get = f.app.admin(Method::GET, "/ledgers/501/accounts/A1", None);
    let account = tokio::time::timeout(Duration::from_secs(3), get)
        .await
        .expect("answered without waiting for the lock");
    assert_eq!(account.status, 200, "{}", account.text);
    assert_eq!(
        account.json()["totalBalance"],
        dec("12.50"),
        "the read shows what the other process acknowledged before it began"
    );
    drop(held);
}
