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
    admin_token: Option<&Secret>,
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
        settings: Settings {
            creditor_name: Some("Demo University Print Services".into()),
            creditor_address: vec!["Box 1".into(), "111 22 Stockholm".into()],
            creditor_contact: vec!["print@example.edu".into()],
            bank_account_no: Some("5050-1055".into()),
            ..Settings::default()
        },
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
            100_000,
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
            address: Some(crate::ledger::Address {
                street_address: Some("Storgatan 1".into()),
                co_address: None,
                zip_code: "11122".into(),
                city: "Stockholm".into(),
                country_code: "SE".into(),
            }),
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
    let admin = match admin_token {
        Some(token) => format!("export SALDO_ADMIN_TOKEN='{}'", token.expose()),
        None => "export SALDO_ADMIN_TOKEN='<the admin token this server was started with>'".into(),
    };
    let l = LEDGER_NO;
    let a1 = format!("{LEDGER_NO}0000001");
    let json = "-H 'Content-Type: application/json'";
    let pre_auth = r#"{"@id":"","customer":{"nationalConsumerIdentifier":{"value":"","countryCode":""},"email":"","msisdn":"","customerNo":"1001"},"sellerNo":"demo-shop","sellerReferenceId":"","profileName":"","authorizationAmount":350,"currency":"SEK","externalReference":"order-1","assesment":{"assessmentUrl":"","scaStatus":"Required"}}"#;
    let redirect = r#"{"returnUrl":"https://shop.example/done","redirectOptions":{"nativeAppSwitchingUrl":"","autostartAction":"","languageCode":"en"}}"#;
    let capture = r#"{"captureId":"demo-c1","sellerTransactionId":"order-1","currency":"SEK","monthlyBillingAmount":0,"months":0,"totalAmount":350,"productName":"Printer"}"#;
    let at = format!("{u}/ledger/account-transaction/v1/{l}");
    println!(
        r#"
saldo demo ledger {l} (SEK) is ready at {u}
  customers: alice (alias a.andersson, card CARD-1001, limit 1000.00)
             bob   (alias b.berg, card CARD-1002, limit 50.00)
  MyQ credential: login myq, password {pw}

Paste the commands below into a shell (bash); each fails loudly (curl -f) if saldo answers
otherwise than shown. The admin API needs the admin token:
  {admin}

The MyQ flow (API A): alice prints for 30.00 SEK.
  export AUTH='Authorization: Basic {basic}'
  curl -sf -H "$AUTH" {json} -d '{{"username":"alice"}}' {u}/sessions
  curl -sf -H "$AUTH" {u}/sessions/1
  curl -sf -H "$AUTH" {json} -d '{{"amount":50}}' {u}/sessions/1/block
  curl -sf -H "$AUTH" {json} -d '{{"amount":25}}' {u}/sessions/1/payments
  curl -sf -H "$AUTH" -X PATCH {json} -d '{{"amount":30}}' {u}/sessions/1/payments/1
  curl -sf -H "$AUTH" -X POST {u}/sessions/1/payments/1/commit
  curl -sf -H "$AUTH" -X DELETE {u}/sessions/1
  curl -sf -H "Authorization: Bearer $SALDO_ADMIN_TOKEN" {u}/admin/v1/ledgers/{l}/accounts/{a1}

The recharge flow (API B, MyQ X REST API v3): alice tops up 25.00 SEK. OAuth client {client_id}.
  TOKEN=$(curl -sf -d 'grant_type=client_credentials&client_id={client_id}&client_secret={secret}&scope=credit users' {u}/api/auth/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -sf -H "Authorization: Bearer $TOKEN" '{u}/api/v3/users/find?username=alice'
  curl -sf -H "Authorization: Bearer $TOKEN" {u}/api/v3/rechargeProviders
  curl -sf -H "Authorization: Bearer $TOKEN" {json} -d '{{"userId":1,"params":{{"amount":25}}}}' {u}/api/v3/rechargeProviders/external/payments
  curl -sf -X POST -H "Authorization: Bearer $TOKEN" {u}/api/v3/rechargeProviders/external/payments/1/commit
  curl -sf -H "Authorization: Bearer $TOKEN" '{u}/api/v3/rechargeProviders/external/payments?userId=1'
  curl -sf -H "Authorization: Bearer $TOKEN" {u}/api/v3/users/1/accounts/{a1}/balance

The Credit Account API (API C): alice owes 5.00; a bill run bills it, as a PDF.
  export LEDGER='Authorization: Bearer {ledger_token}'
  curl -sf -H "$LEDGER" {u}/ledger/credit-account/v1/{l}/accounts/{a1}
  curl -sf -H "$LEDGER" {u}/ledger/credit-account/v1/{l}/accounts/{a1}/transactions
  curl -sf -H "Authorization: Bearer $SALDO_ADMIN_TOKEN" {json} -d '{{"billDate":"2099-01-31"}}' {u}/admin/v1/ledgers/{l}/bill-runs
  curl -sf -H "$LEDGER" {u}/ledger/credit-account/v1/{l}/accounts/{a1}/bills
  curl -sf -H "$LEDGER" -o bill.pdf {u}/ledger/credit-account/v1/{l}/accounts/{a1}/bills/bill-1/document

The Account Transaction API (API D): a shop charges alice 350.00 SEK, which she approves.
  curl -sf -H "$LEDGER" {json} -d '{pre_auth}' {at}/authentications/demo-1
  SCA=$(curl -sf -H "$LEDGER" {json} -d '{redirect}' {at}/authentications/demo-1/redirect | sed -E 's/.*"redirectUrl":"([^"]+)".*/\1/')
  echo "alice approves at $SCA (open it in a browser to see the page); here by curl:"
  curl -sf -o /dev/null -d decision=approve "$SCA"
  curl -sf -H "$LEDGER" {json} -d '{{"splitAuthorizationId":"demo-s1","preAuthorizationId":"demo-1"}}' {at}/split-authorizations/demo-s1
  curl -sf -H "$LEDGER" {json} -d '{capture}' {at}/split-authorizations/demo-s1/captures/demo-c1
"#,
        pw = password.expose(),
        secret = client_secret.expose(),
        ledger_token = ledger_token.expose(),
    );
    Ok(())
}
