//! The admin API (SPEC §7).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, Setup, TestApp};

#[tokio::test]
async fn the_admin_token_is_required() {
    let app = TestApp::spawn().await;
    let r = app
        .request(Method::POST, "/admin/v1/ledgers", &[], Some("{}"))
        .await;
    assert_eq!(r.status, 401);
    assert!(r.error_message().contains("admin"));
    let r = app
        .request(
            Method::GET,
            "/admin/v1/ledgers/1",
            &[("authorization", "Bearer wrong")],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .request(
            Method::GET,
            "/admin/v1/ledgers/1",
            &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn ledgers_are_created_read_and_their_settings_patched() {
    let app = TestApp::spawn().await;
    let ledger = app
        .admin_create(
            "/ledgers",
            json!({"ledgerNo": "501", "name": "Uni", "currency": "sek"}),
        )
        .await;
    assert_eq!(ledger["currency"], "SEK");
    assert_eq!(ledger["settings"]["sessionIdleTimeoutSeconds"], 3600);
    let r = app
        .admin(
            Method::POST,
            "/ledgers",
            Some(json!({"ledgerNo": "501", "name": "Again", "currency": "SEK"})),
        )
        .await;
    assert_eq!(r.status, 409);

    let r = app
        .admin(
            Method::PATCH,
            "/ledgers/501",
            Some(json!({"settings": {"sessionIdleTimeoutSeconds": 120}})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["settings"]["sessionIdleTimeoutSeconds"], 120);
    let got = app.admin(Method::GET, "/ledgers/501", None).await.json();
    assert_eq!(got["settings"]["sessionIdleTimeoutSeconds"], 120);
    assert_eq!(got["name"], "Uni");

    for (body, field) in [
        (
            json!({"settings": {"noSuchSetting": 1}}),
            "settings.noSuchSetting",
        ),
        (
            json!({"settings": {"sessionIdleTimeoutSeconds": 0}}),
            "settings.sessionIdleTimeoutSeconds",
        ),
        (
            json!({"settings": {"sessionIdleTimeoutSeconds": "soon"}}),
            "settings",
        ),
        (json!({"currency": "EUR"}), "currency"),
    ] {
        let r = app
            .admin(Method::PATCH, "/ledgers/501", Some(body.clone()))
            .await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.error_message().starts_with(field), "{body}: {}", r.text);
    }
    assert_eq!(
        app.admin(Method::GET, "/ledgers/501", None).await.json()["settings"]["sessionIdleTimeoutSeconds"],
        120
    );
}

#[tokio::test]
async fn ledger_input_is_validated_by_field() {
    let app = TestApp::spawn().await;
    for (body, message) in [
        (
            json!({"name": "x", "currency": "SEK"}),
            "ledgerNo: is required",
        ),
        (
            json!({"ledgerNo": "50a", "name": "x", "currency": "SEK"}),
            "ledgerNo: must be a string of digits",
        ),
        (
            json!({"ledgerNo": "1", "currency": "SEK"}),
            "name: is required",
        ),
        (
            json!({"ledgerNo": "1", "name": "x", "currency": "S1"}),
            "currency: must be an ISO 4217 code of three letters",
        ),
        (
            json!({"ledgerNo": 1, "name": "x", "currency": "SEK"}),
            "ledgerNo: must be a string",
        ),
    ] {
        let r = app
            .admin(Method::POST, "/ledgers", Some(body.clone()))
            .await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn customers_accounts_and_incoming_payments() {
    let app = Setup::ledger("501").spawn().await.app;
    let c = app
        .admin_create(
            "/ledgers/501/customers",
            json!({"customerNo": "C1", "name": "Alice", "username": "alice", "aliases": ["al"], "cards": ["K1"],
                   "nationalConsumerIdentifier": {"value": "191212121212", "countryCode": "SE"}}),
        )
        .await;
    assert!(c["id"].as_i64().unwrap() > 0);
    assert_eq!(
        c["nationalConsumerIdentifier"],
        json!({"value": "19121212-1212", "countryCode": "SE"}),
        "kept in canonical form"
    );
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/customers",
            Some(json!({"customerNo": "C9", "name": "Bad", "nationalConsumerIdentifier": {"value": "199001011234", "countryCode": "SE"}})),
        )
        .await;
    assert_eq!(
        (r.status, r.error_message()),
        (
            400,
            "nationalConsumerIdentifier.value: Not a valid SE nationalConsumerIdentifier"
                .to_string()
        )
    );
    // Usernames and aliases share one case-insensitive namespace; cards are unique too.
    for body in [
        json!({"customerNo": "C1", "name": "Dup"}),
        json!({"customerNo": "C2", "name": "B", "username": "AL"}),
        json!({"customerNo": "C3", "name": "B", "aliases": ["Alice"]}),
        json!({"customerNo": "C4", "name": "B", "cards": ["K1"]}),
    ] {
        let r = app
            .admin(Method::POST, "/ledgers/501/customers", Some(body.clone()))
            .await;
        assert_eq!(r.status, 409, "{body}");
    }
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/accounts",
            Some(json!({"customerNo": "nobody", "creditLimit": 5})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/accounts",
            Some(json!({"customerNo": "C1", "creditLimit": -5})),
        )
        .await;
    assert_eq!(
        (r.status, r.error_message()),
        (400, "creditLimit: must not be negative".to_string())
    );

    let a = app
        .admin_create(
            "/ledgers/501/accounts",
            json!({"customerNo": "C1", "creditLimit": 100.00, "accountNo": "A-1"}),
        )
        .await;
    assert_eq!(a["accountNo"], "A-1");
    assert_eq!(a["status"], "open");
    assert_eq!(a["creditLimit"].to_string(), "100.00");
    assert_eq!(a["availableAmount"].to_string(), "100.00");
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/accounts",
            Some(json!({"customerNo": "C1", "accountNo": "A-1"})),
        )
        .await;
    assert_eq!(r.status, 409);

    let t = app
        .admin_create(
            "/ledgers/501/accounts/A-1/payments",
            json!({"amount": 25.5, "paymentReference": "OCR1"}),
        )
        .await;
    assert_eq!(t["type"], "payment");
    assert_eq!(t["amount"].to_string(), "25.50");
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/accounts/A-1/payments",
            Some(json!({"amount": 0})),
        )
        .await;
    assert_eq!(
        (r.status, r.error_message()),
        (400, "amount: must be greater than 0".to_string())
    );
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/accounts/nope/payments",
            Some(json!({"amount": 1})),
        )
        .await;
    assert_eq!(r.status, 404);

    let a = app.account("501", "A-1").await;
    assert_eq!(a["totalBalance"].to_string(), "25.50");
    assert_eq!(a["availableAmount"].to_string(), "125.50");
    let statement = app
        .admin(Method::GET, "/ledgers/501/accounts/A-1/statement", None)
        .await
        .json();
    assert_eq!(statement["transactions"][0]["balance"].to_string(), "25.50");
}

#[tokio::test]
async fn credentials_are_shown_once_and_unknown_kinds_are_refused() {
    let app = Setup::ledger("501").spawn().await.app;
    let c = app
        .admin_create(
            "/ledgers/501/credentials",
            json!({"kind": "myq-basic", "login": "printer"}),
        )
        .await;
    assert_eq!(c["kind"], "myq-basic");
    assert!(c["password"].as_str().unwrap().len() >= 32);
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/credentials",
            Some(json!({"kind": "myq-basic", "login": "printer"})),
        )
        .await;
    assert_eq!(r.status, 409, "logins are unique");
    let r = app
        .admin(
            Method::POST,
            "/ledgers/501/credentials",
            Some(json!({"kind": "magic"})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = app
        .admin(Method::DELETE, "/ledgers/501/credentials/999", None)
        .await;
    assert_eq!(r.status, 404);
}

/// Admin bodies are typed: a field the endpoint does not know, a kind it does not offer or a
/// field of another kind is refused by name, and nothing changes.
#[tokio::test]
async fn admin_bodies_refuse_what_they_do_not_know() {
    let app = Setup::ledger("501").spawn().await.app;
    let before = app.admin(Method::GET, "/ledgers/501", None).await.json();
    for (method, path, body, message) in [
        (
            Method::POST,
            "/ledgers",
            json!({"ledgerNo": "7", "name": "x", "currency": "SEK", "setings": {}}),
            "setings: cannot be set here; the fields are ledgerNo, name, currency, settings",
        ),
        (
            Method::PATCH,
            "/ledgers/501",
            json!({"name": ""}),
            "name: must not be empty",
        ),
        (
            Method::POST,
            "/ledgers/501/credentials",
            json!({"kind": "root"}),
            "kind: must be one of myq-basic, myq-oauth-client, ledger-bearer",
        ),
        (
            Method::POST,
            "/ledgers/501/credentials",
            json!({"kind": "ledger-bearer", "login": "printer"}),
            "login: is only for kind myq-basic",
        ),
        (
            Method::POST,
            "/ledgers/501/credentials",
            json!({"kind": "myq-basic", "scopes": ["credit"], "login": "p"}),
            "scopes: is only for kind myq-oauth-client",
        ),
        (
            Method::PATCH,
            "/ledgers/501/recharge-providers/voucher",
            json!({"enabled": "yes"}),
            "enabled: must be true or false",
        ),
        (
            Method::POST,
            "/ledgers/501/customers",
            json!({"customerNo": "C1", "name": "A", "aliases": ["a", 7]}),
            "aliases[1]: must be a string",
        ),
        (
            Method::POST,
            "/ledgers/501/bill-runs",
            json!({"billDate": "30/11/2026"}),
            "billDate: must be a date YYYY-MM-DD",
        ),
        (
            Method::POST,
            "/ledgers/501/customers",
            json!({"customerNo": "C1", "name": "A", "address":
                {"zipCode": "111 22", "city": "Stockholm", "countryCode": "SE"}}),
            "address.zipCode: must not contain whitespace",
        ),
        (
            Method::POST,
            "/ledgers/501/customers",
            json!({"customerNo": "C1", "name": "A", "address":
                {"zipCode": "11122", "city": "Stockholm", "countryCode": "ZQ"}}),
            "address.countryCode: must be an ISO 3166-1 alpha-2 code",
        ),
        (
            Method::POST,
            "/ledgers/501/customers",
            json!({"customerNo": "C1", "name": "A", "address":
                {"zipCode": "11122", "countryCode": "SE"}}),
            "address.city: is required",
        ),
        (
            Method::PATCH,
            "/ledgers/501",
            json!({"settings": {"language": "de"}}),
            "settings.language: must be sv or en",
        ),
        (
            Method::PATCH,
            "/ledgers/501",
            json!({"settings": {"creditorAddress": ["1", "2", "3", "4", "5"]}}),
            "settings.creditorAddress: must have at most 4 lines",
        ),
    ] {
        let r = app.admin(method, path, Some(body.clone())).await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{path} {body}"
        );
    }
    assert_eq!(
        app.admin(Method::GET, "/ledgers/501", None).await.json(),
        before
    );
    assert_eq!(app.admin(Method::GET, "/ledgers/7", None).await.status, 404);
    assert_eq!(
        app.admin(Method::GET, "/ledgers/501/customers/C1", None)
            .await
            .status,
        404
    );
}
