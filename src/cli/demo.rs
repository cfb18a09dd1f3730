//! `saldo serve --demo`: a ledger to try saldo with, and the curl commands to do it.

use std::sync::Arc;

use base64::Engine as _;

use crate::engine::Engine;
use crate::http::Credentials;
use crate::http::credentials::MYQ_BASIC;
use crate::ledger::{LedgerInfo, NewAccount, NewCustomer, Settings};
use crate::money::Amount;
use crate::secret::Secret;

const LEDGER_NO: &str = "501";

pub async fn seed(
    engine: &Arc<Engine>,
    credentials: &Arc<Credentials>,
    base_url: &str,
    _admin_token: Option<&Secret>,
) -> anyhow::Result<()> {
    if !engine.ledger_ids().is_empty() {
        println!("--demo: the database already holds ledgers; nothing seeded.");
        return Ok(());
    }
    let info = LedgerInfo {
        id: 0,
        ledger_no: LEDGER_NO.into(),
        name: "Demo University Print Services".into(),
        currency: "SEK".into(),
        settings: Settings::default(),
    };
    let stored = {
        let engine = engine.clone();
        tokio::task::spawn_blocking(move || engine.create_ledger(&info)).await??
    };
    let customers = [
        (
            "1001",
            "Alice Andersson",
            "alice",
            "a.andersson",
            "CARD-1001",
            "19900101-1234",
            10_000,
        ),
        (
            "1002",
            "Bob Berg",
            "bob",
            "b.berg",
            "CARD-1002",
            "19851231-5678",
            5_000,
        ),
    ];
    for (no, name, username, alias, card, pn, limit) in customers {
        let new = NewCustomer {
            customer_no: no.into(),
            name: name.into(),
            email: Some(format!("{username}@example.edu")),
            msisdn: None,
            national_id: None,
            username: Some(username.into()),
            aliases: vec![alias.into()],
            cards: vec![card.into()],
            personal_number: Some(pn.into()),
            address: None,
        };
        let account = NewAccount {
            customer_no: no.into(),
            account_no: None,
            credit_limit: Amount::from_minor(limit),
            profile_type: None,
            alias: None,
            description: Some("Print credit".into()),
        };
        engine
            .execute(stored.id, move |l, now| {
                l.create_customer(new)?;
                l.create_account(account, now)
            })
            .await??;
    }
    let (_, password) = {
        let credentials = credentials.clone();
        let id = stored.id;
        tokio::task::spawn_blocking(move || credentials.create_basic(id, MYQ_BASIC, "myq"))
            .await??
    };
    let (_, client_id, client_secret) = {
        let credentials = credentials.clone();
        let id = stored.id;
        let scopes = vec!["credit".to_string(), "users".to_string()];
        tokio::task::spawn_blocking(move || credentials.create_oauth_client(id, scopes)).await??
    };
    let (_, ledger_token) = {
        let credentials = credentials.clone();
        let id = stored.id;
        tokio::task::spawn_blocking(move || credentials.create_ledger_bearer(id)).await??
    };
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("myq:{}", password.expose()));
    let u = base_url;
    println!(
        r#"
saldo demo ledger {LEDGER_NO} (SEK) is ready at {u}
  customers: alice (alias a.andersson, card CARD-1001, limit 100.00)
             bob   (alias b.berg, card CARD-1002, limit 50.00)
  MyQ credential: login myq, password {pw}

The MyQ flow (API A):
  export AUTH='Authorization: Basic {basic}'
  curl -s -H "$AUTH" -H 'Content-Type: application/json' -d '{{"username":"alice"}}' {u}/sessions
  curl -s -H "$AUTH" {u}/sessions/1
  curl -s -i -H "$AUTH" -H 'Content-Type: application/json' -d '{{"amount":5}}' {u}/sessions/1/block
  curl -s -H "$AUTH" -H 'Content-Type: application/json' -d '{{"amount":2.5}}' {u}/sessions/1/payments
  curl -s -H "$AUTH" -X PATCH -H 'Content-Type: application/json' -d '{{"amount":3}}' {u}/sessions/1/payments/1
  curl -s -i -H "$AUTH" -X POST {u}/sessions/1/payments/1/commit
  curl -s -i -H "$AUTH" -X DELETE {u}/sessions/1
  curl -s -H "Authorization: Bearer $SALDO_ADMIN_TOKEN" {u}/admin/v1/ledgers/{LEDGER_NO}/accounts/{LEDGER_NO}0000001

The recharge flow (API B, MyQ X REST API v3): OAuth client {client_id} (scopes credit, users)
  export TOKEN=$(curl -s -d 'grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=credit users' {u}/api/auth/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -H "Authorization: Bearer $TOKEN" '{u}/api/v3/users/find?username=alice'
  curl -s -H "Authorization: Bearer $TOKEN" {u}/api/v3/rechargeProviders
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{{"userId":1,"params":{{"amount":25}}}}' {u}/api/v3/rechargeProviders/external/payments
  curl -s -X POST -H "Authorization: Bearer $TOKEN" {u}/api/v3/rechargeProviders/external/payments/1/commit
  curl -s -H "Authorization: Bearer $TOKEN" '{u}/api/v3/rechargeProviders/external/payments?userId=1'
  curl -s -H "Authorization: Bearer $TOKEN" {u}/api/v3/users/1/accounts/{LEDGER_NO}0000001/balance

The Credit Account API (API C) with ledger token {ledger_token}
  export LEDGER='Authorization: Bearer {ledger_token}'
  curl -s -H "$LEDGER" {u}/ledger/credit-account/v1/{LEDGER_NO}/accounts/{LEDGER_NO}0000001
  curl -s -H "$LEDGER" {u}/ledger/credit-account/v1/{LEDGER_NO}/accounts/{LEDGER_NO}0000001/transactions
  curl -s -H "$LEDGER" {u}/ledger/credit-account/v1/{LEDGER_NO}/accounts/{LEDGER_NO}0000001/reservations
  curl -s -H "Authorization: Bearer $SALDO_ADMIN_TOKEN" -H 'Content-Type: application/json' -d '{{"billDate":"2099-01-31"}}' {u}/admin/v1/ledgers/{LEDGER_NO}/bill-runs
  curl -s -H "$LEDGER" {u}/ledger/credit-account/v1/{LEDGER_NO}/accounts/{LEDGER_NO}0000001/bills
  curl -s -H "$LEDGER" -o bill.pdf {u}/ledger/credit-account/v1/{LEDGER_NO}/accounts/{LEDGER_NO}0000001/bills/bill-1/document
"#,
        pw = password.expose(),
        secret = client_secret.expose(),
        ledger_token = ledger_token.expose(),
    );
    Ok(())
}
