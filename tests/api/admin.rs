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
    // In the ledger's zone (Europe/Stockholm by default), whole seconds (SPEC §1.9).
    assert_eq!(t["createdAt"], "2027-01-15T09:00:00+01:00");
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

/// Three customers with their identities; alice (limit 1000) owes 300.
async fn directory() -> crate::helpers::Fixture {
    let f = Setup::ledger("501")
        .myq()
        .customer(
            "C1",
            json!({"name": "Alice Andersson", "username": "alice", "aliases": ["a.andersson"],
                   "cards": ["CARD-1"], "personalNumber": "19900101-1234", "email": "alice@example.edu"}),
            "1000",
        )
        .customer(
            "C2",
            json!({"name": "Bob Berg", "username": "bob", "cards": ["CARD-2"]}),
            "500",
        )
        .customer("C3", json!({"name": "Carol Ek", "username": "carol"}), "0")
        .spawn()
        .await;
    let s = f.app.session(&f.myq, "alice").await;
    let p = f.app.payment(&f.myq, s, "300").await;
    let path = format!("/sessions/{s}/payments/{p}/commit");
    assert_eq!(
        f.app.myq(&f.myq, Method::POST, &path, None).await.status,
        204
    );
    f
}

/// The customer numbers of a list reply.
fn numbers(reply: &crate::helpers::Reply, key: &str) -> Vec<String> {
    reply.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[key].as_str().unwrap().to_string())
        .collect()
}

/// The operator finds customers by name or any identity, and accounts by customer, status or
/// debt, a page at a time; unknown parameters and bad pages are refused by name.
#[tokio::test]
async fn operators_find_customers_and_accounts_a_page_at_a_time() {
    let f = directory().await;
    let find = |query: &str| {
        let path = format!("/ledgers/501/customers{query}");
        let app = &f.app;
        async move { app.admin(Method::GET, &path, None).await }
    };
    let all = find("").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(numbers(&all, "customerNo"), ["C1", "C2", "C3"]);
    assert_eq!(all.json()["total"], 3);
    let page = find("?limit=2&offset=1").await;
    assert_eq!(numbers(&page, "customerNo"), ["C2", "C3"]);
    assert_eq!(
        (page.json()["total"].clone(), page.json()["limit"].clone()),
        (json!(3), json!(2))
    );
    for (query, expected) in [
        ("?q=berg", vec!["C2"]),
        ("?q=AND", vec!["C1"]),
        ("?username=A.ANDERSSON", vec!["C1"]),
        ("?username=bob", vec!["C2"]),
        ("?card=CARD-2", vec!["C2"]),
        ("?personalNumber=19900101-1234", vec!["C1"]),
        ("?email=ALICE@example.edu", vec!["C1"]),
        ("?customerNo=C3", vec!["C3"]),
        ("?q=e&username=carol", vec!["C3"]),
        ("?card=NOPE", vec![]),
    ] {
        let r = find(query).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        assert_eq!(numbers(&r, "customerNo"), expected, "{query}");
    }
    for (query, message) in [
        (
            "?nmae=x",
            "nmae: is not a parameter here; they are limit, offset, q, customerNo, username, card, personalNumber, email",
        ),
        ("?limit=0", "limit: must be an integer from 1 to 1000"),
        ("?limit=1001", "limit: must be an integer from 1 to 1000"),
        (
            "?offset=-1",
            "offset: must be an integer from 0 to 1000000000",
        ),
    ] {
        let r = find(query).await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{query}"
        );
    }

    let accounts = |query: &str| {
        let path = format!("/ledgers/501/accounts{query}");
        let app = &f.app;
        async move { app.admin(Method::GET, &path, None).await }
    };
    let all = accounts("").await;
    assert_eq!(all.json()["total"], 3, "{}", all.text);
    let owing = accounts("?inDebt=true").await;
    assert_eq!(numbers(&owing, "customerNo"), ["C1"]);
    assert_eq!(
        owing.json()["items"][0]["totalBalance"].to_string(),
        "-300.00"
    );
    assert_eq!(
        numbers(&accounts("?inDebt=false").await, "customerNo"),
        ["C2", "C3"]
    );
    assert_eq!(
        numbers(&accounts("?customerNo=C2").await, "customerNo"),
        ["C2"]
    );
    assert_eq!(accounts("?status=open").await.json()["total"], 3);
    assert_eq!(accounts("?status=closed").await.json()["total"], 0);
    assert_eq!(accounts("?status=pending-close").await.json()["total"], 0);
    assert_eq!(accounts("?customerNo=nobody").await.json()["total"], 0);
    let r = accounts("?status=shut").await;
    assert_eq!(
        (r.status, r.error_message()),
        (
            400,
            "status: must be open, pending-close or closed".to_string()
        )
    );

    let ledgers = f.app.admin(Method::GET, "/ledgers", None).await;
    assert_eq!(ledgers.status, 200);
    assert_eq!(numbers(&ledgers, "ledgerNo"), ["501"]);
}

/// The operator changes a customer's details and identities; an identity another customer
/// holds is refused whole, so nothing of that request changes; MyQ finds the new card at once.
#[tokio::test]
async fn operators_change_customers_and_identities_stay_unique() {
    let f = directory().await;
    let patch = |body: serde_json::Value| {
        let app = &f.app;
        async move {
            app.admin(Method::PATCH, "/ledgers/501/customers/C1", Some(body))
                .await
        }
    };
    let r = patch(
        json!({"name": "Alice Berg", "cards": ["CARD-9"], "aliases": [],
                         "address": {"streetAddress": "Storgatan 1", "zipCode": "11122",
                                     "city": "Stockholm", "countryCode": "SE"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = r.json();
    assert_eq!(
        (
            c["name"].clone(),
            c["cards"].clone(),
            c["aliases"].clone(),
            c["email"].clone()
        ),
        (
            json!("Alice Berg"),
            json!(["CARD-9"]),
            json!([]),
            json!("alice@example.edu")
        )
    );
    assert_eq!(c["address"]["city"], "Stockholm");
    // MyQ: the new card finds alice, the old card and the dropped alias find nobody.
    let open = |who: serde_json::Value| {
        let (app, auth) = (&f.app, f.myq.clone());
        async move {
            app.myq(&auth, Method::POST, "/sessions", Some(&who.to_string()))
                .await
                .status
        }
    };
    assert_eq!(open(json!({"cards": ["CARD-9"]})).await, 200);
    assert_eq!(open(json!({"cards": ["CARD-1"]})).await, 404);
    assert_eq!(open(json!({"username": "a.andersson"})).await, 404);

    // Bob's card, or his username as an alias: refused, and the e-mail in the same request
    // is not changed either.
    for body in [
        json!({"email": "new@example.edu", "cards": ["CARD-9", "CARD-2"]}),
        json!({"email": "new@example.edu", "aliases": ["BOB"]}),
    ] {
        let r = patch(body.clone()).await;
        assert_eq!(r.status, 409, "{body}: {}", r.text);
    }
    let c = f
        .app
        .admin(Method::GET, "/ledgers/501/customers/C1", None)
        .await
        .json();
    assert_eq!(c["email"], "alice@example.edu");
    assert_eq!(c["cards"], json!(["CARD-9"]));
    // Her own identities again are hers to keep; null and "" clear optional fields.
    let r = patch(json!({"username": "ALICE", "email": null, "personalNumber": ""})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = r.json();
    assert_eq!(
        (
            c["username"].clone(),
            c["email"].clone(),
            c["personalNumber"].clone()
        ),
        (json!("ALICE"), json!(null), json!(null))
    );
    for (body, message) in [
        (json!({"name": ""}), "name: must not be empty"),
        (
            json!({"customerNo": "C9"}),
            "customerNo: cannot be set here; the fields are name, email, msisdn, address, username, aliases, cards, personalNumber",
        ),
        (
            json!({"address": {"zipCode": "1 2", "city": "X", "countryCode": "SE"}}),
            "address.zipCode: must not contain whitespace",
        ),
    ] {
        let r = patch(body.clone()).await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{body}"
        );
    }
    let r = f
        .app
        .admin(
            Method::PATCH,
            "/ledgers/501/customers/C9",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(r.status, 404);
}

/// The operator raises or lowers a credit limit (not bound by API C's lower-only rule), never
/// below what the account owes and holds, and chooses a customer's default account.
#[tokio::test]
async fn operators_set_credit_limits_either_way_but_never_below_what_is_owed() {
    let f = directory().await;
    let patch = |account: &str, body: serde_json::Value| {
        let (app, path) = (&f.app, format!("/ledgers/501/accounts/{account}"));
        async move { app.admin(Method::PATCH, &path, Some(body)).await }
    };
    let r = patch("5010000001", json!({"creditLimit": 5000})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["creditLimit"].to_string(), "5000.00");
    let r = patch("5010000001", json!({"creditLimit": 299.99})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let r = patch("5010000001", json!({"creditLimit": 300})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["availableAmount"].to_string(), "0.00");
    for (body, message) in [
        (
            json!({"creditLimit": -1}),
            "creditLimit: must not be negative",
        ),
        (
            json!({"default": false}),
            "default: can only be true: make another account the default instead",
        ),
    ] {
        let r = patch("5010000001", body.clone()).await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{body}"
        );
    }
    // A second account for alice becomes her default.
    let second = f
        .app
        .admin_create(
            "/ledgers/501/accounts",
            json!({"customerNo": "C1", "accountNo": "A2"}),
        )
        .await;
    assert_eq!(second["accountNo"], "A2");
    let customer = || f.app.admin(Method::GET, "/ledgers/501/customers/C1", None);
    assert_eq!(customer().await.json()["defaultAccountNo"], "5010000001");
    assert_eq!(patch("A2", json!({"default": true})).await.status, 200);
    assert_eq!(customer().await.json()["defaultAccountNo"], "A2");
    assert_eq!(patch("A9", json!({"creditLimit": 1})).await.status, 404);
}

/// The operator lists a ledger's credentials: who each is (login, client id, scopes), when
/// it was created and last used, never a secret or its hash; a revoked one is gone.
#[tokio::test]
async fn credentials_are_listed_with_their_last_use_and_never_their_secrets() {
    let f = Setup::ledger("501")
        .customer("C1", json!({"username": "alice"}), "10")
        .spawn()
        .await;
    let app = &f.app;
    let basic = app
        .admin_create(
            "/ledgers/501/credentials",
            json!({"kind": "myq-basic", "login": "printer"}),
        )
        .await;
    let oauth = app
        .admin_create(
            "/ledgers/501/credentials",
            json!({"kind": "myq-oauth-client", "scopes": ["credit"]}),
        )
        .await;
    let bearer = app
        .admin_create("/ledgers/501/credentials", json!({"kind": "ledger-bearer"}))
        .await;
    let list = || app.admin(Method::GET, "/ledgers/501/credentials", None);
    let r = list().await;
    assert_eq!(r.status, 200, "{}", r.text);
    for secret in [&basic["password"], &oauth["clientSecret"], &bearer["token"]] {
        assert!(!r.text.contains(secret.as_str().unwrap()), "{}", r.text);
    }
    assert!(
        !r.text.contains("argon2") && !r.text.contains("sha256"),
        "{}",
        r.text
    );
    let items = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(
        (
            items[0]["kind"].clone(),
            items[0]["login"].clone(),
            items[0]["lastUsedAt"].clone()
        ),
        (json!("myq-basic"), json!("printer"), json!(null))
    );
    assert_eq!(items[1]["clientId"], oauth["clientId"]);
    assert_eq!(items[1]["scopes"], json!(["credit"]));
    assert_eq!(
        (items[2]["kind"].clone(), items[2]["login"].clone()),
        (json!("ledger-bearer"), json!(null))
    );
    assert!(
        items[0]["createdAt"]
            .as_str()
            .is_some_and(|t| t.len() == 25),
        "{}",
        items[0]
    );

    // The printer proves itself: its last use is the engine's time, in the ledger's zone.
    let auth = crate::helpers::basic("printer", basic["password"].as_str().unwrap());
    app.session(&auth, "alice").await;
    let items = list().await.json()["items"].clone();
    assert_eq!(items[0]["lastUsedAt"], "2027-01-15T09:00:00+01:00");
    assert_eq!(items[1]["lastUsedAt"], json!(null));

    let path = format!("/ledgers/501/credentials/{}", basic["id"]);
    assert_eq!(app.admin(Method::DELETE, &path, None).await.status, 204);
    let items = list().await.json()["items"].clone();
    assert_eq!(items.as_array().unwrap().len(), 2);
    assert_eq!(items[0]["kind"], "myq-oauth-client");
}

/// The operator corrects a balance either way with a reason, posted as its own `adjustment`
/// transaction and shown in the statement; a debit takes no more than the available credit.
#[tokio::test]
async fn adjustments_credit_or_debit_with_a_reason_and_show_in_statements() {
    let f = directory().await; // alice: limit 1000, owes 300
    let adjust = |body: serde_json::Value| {
        let app = &f.app;
        async move {
            app.admin(
                Method::POST,
                "/ledgers/501/accounts/5010000001/adjustments",
                Some(body),
            )
            .await
        }
    };
    let r = adjust(json!({"direction": "credit", "amount": 10, "reason": "Jammed printer"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let t = r.json();
    assert_eq!(
        (
            t["type"].clone(),
            t["amount"].to_string(),
            t["description"].clone()
        ),
        (
            json!("adjustment"),
            "10.00".to_string(),
            json!("Jammed printer")
        )
    );
    let r =
        adjust(json!({"direction": "debit", "amount": 2.5, "reason": "Late fee, agreed"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["amount"].to_string(), "-2.50");
    // 1000 - 300 + 10 - 2.50 = 707.50 available: a debit of 707.51 is refused.
    let r = adjust(json!({"direction": "debit", "amount": 707.51, "reason": "Too much"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    for (body, message) in [
        (
            json!({"direction": "sideways", "amount": 1, "reason": "x"}),
            "direction: must be one of credit, debit",
        ),
        (
            json!({"direction": "credit", "amount": 1, "reason": ""}),
            "reason: is required",
        ),
        (
            json!({"direction": "credit", "amount": 0, "reason": "x"}),
            "amount: must be greater than 0",
        ),
        (
            json!({"direction": "credit", "amount": 1}),
            "reason: is required",
        ),
    ] {
        let r = adjust(body.clone()).await;
        assert_eq!(
            (r.status, r.error_message()),
            (400, message.to_string()),
            "{body}"
        );
    }
    let statement = f
        .app
        .admin(
            Method::GET,
            "/ledgers/501/accounts/5010000001/statement",
            None,
        )
        .await
        .json();
    let lines: Vec<(String, String, String)> = statement["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["type"] == "adjustment")
        .map(|t| {
            let text = |k: &str| t[k].as_str().map_or(t[k].to_string(), str::to_string);
            (text("description"), text("amount"), text("balance"))
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("Jammed printer".into(), "10.00".into(), "-290.00".into()),
            ("Late fee, agreed".into(), "-2.50".into(), "-292.50".into()),
        ]
    );
    let account = f
        .app
        .admin(Method::GET, "/ledgers/501/accounts/5010000001", None)
        .await
        .json();
    assert_eq!(account["totalBalance"].to_string(), "-292.50");
}

/// An admin POST sent again with the same `Idempotency-Key` is answered as the first time
/// and changes nothing more; the key with another request is a 409; without a key, two
/// identical payments are two payments (OCR references legitimately repeat).
#[tokio::test]
async fn admin_posts_are_carried_out_once_under_an_idempotency_key() {
    let f = directory().await; // alice owes 300
    let client = reqwest::Client::new();
    let post = |path: &str, key: Option<&str>, body: serde_json::Value| {
        let mut request = client
            .post(format!("{}/admin/v1/ledgers/501{path}", f.app.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        async move { crate::helpers::Reply::read(request.send().await.unwrap()).await }
    };
    let balance = || async {
        f.app
            .admin(Method::GET, "/ledgers/501/accounts/5010000001", None)
            .await
            .json()["totalBalance"]
            .to_string()
    };
    let pay = json!({"amount": 100, "paymentReference": "bank-tx-1"});
    let first = post(
        "/accounts/5010000001/payments",
        Some("bank-tx-1"),
        pay.clone(),
    )
    .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = post(
        "/accounts/5010000001/payments",
        Some("bank-tx-1"),
        pay.clone(),
    )
    .await;
    assert_eq!(
        (again.status, again.text.clone()),
        (201, first.text.clone())
    );
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(balance().await, "-200.00", "paid once");

    // The key with another amount, or on another endpoint: refused, nothing posted.
    let other = json!({"amount": 99, "paymentReference": "bank-tx-1"});
    let r = post("/accounts/5010000001/payments", Some("bank-tx-1"), other).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.error_message()
            .starts_with("Idempotency-Key: already used"),
        "{}",
        r.text
    );
    let adjust = json!({"direction": "credit", "amount": 100, "reason": "x"});
    let r = post(
        "/accounts/5010000001/adjustments",
        Some("bank-tx-1"),
        adjust,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(balance().await, "-200.00");

    // Without a key the same payment twice is two payments.
    for _ in 0..2 {
        assert_eq!(
            post("/accounts/5010000001/payments", None, pay.clone())
                .await
                .status,
            201
        );
    }
    assert_eq!(balance().await, "0.00");

    // A retried creation answers as the first time instead of 409.
    let customer = json!({"customerNo": "C9", "name": "Dan"});
    let made = post("/customers", Some("new-c9"), customer.clone()).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let retried = post("/customers", Some("new-c9"), customer.clone()).await;
    assert_eq!((retried.status, retried.text), (201, made.text));
    assert_eq!(post("/customers", None, customer).await.status, 409);
    let r = post(
        "/customers",
        Some(&"k".repeat(256)),
        json!({"customerNo": "C8", "name": "E"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_message()),
        (
            400,
            "Idempotency-Key: must be 1 to 255 visible ASCII characters".to_string()
        )
    );
}

/// A whole top-up file: a dry run checks every line and changes nothing; a file with wrong
/// lines is refused with each line's number, column and rule, and nothing applied; a right
/// file is applied whole, one payment per line.
#[tokio::test]
async fn top_ups_check_every_line_and_apply_all_or_nothing() {
    let f = directory().await; // alice owes 300; bob and carol owe nothing
    let top_up = |body: serde_json::Value| {
        let app = &f.app;
        async move {
            app.admin(Method::POST, "/ledgers/501/top-ups", Some(body))
                .await
        }
    };
    let balances = || async {
        let mut all = Vec::new();
        for no in ["5010000001", "5010000002", "5010000003"] {
            let path = format!("/ledgers/501/accounts/{no}");
            all.push(
                f.app.admin(Method::GET, &path, None).await.json()["totalBalance"].to_string(),
            );
        }
        all
    };
    let before = balances().await;
    let good = json!([
        {"line": 2, "username": "alice", "amount": 100},
        {"line": 3, "username": "A.ANDERSSON", "amount": 50.5},
        {"line": 4, "username": "bob", "amount": 20},
    ]);
    let r = top_up(json!({"description": "Spring credit", "dryRun": true, "lines": good})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"dryRun": true, "lines": 3, "accounts": 2, "total": crate::helpers::dec("170.50")})
    );
    assert_eq!(balances().await, before, "a dry run changes nothing");

    let bad = json!([
        {"line": 2, "username": "alice", "amount": 10},
        {"line": 3, "username": "nobody", "amount": 10},
        {"line": 5, "username": "bob", "amount": 0},
        {"line": 6, "username": "carol", "amount": 1.234},
    ]);
    let r = top_up(json!({"description": "Spring credit", "lines": bad})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["error"]["message"],
        "3 of 4 lines break a rule; nothing was applied"
    );
    assert_eq!(
        r.json()["problems"],
        json!([
            {"line": 3, "column": "username", "rule": "is no customer's username or alias in this ledger"},
            {"line": 5, "column": "amount", "rule": "must be greater than 0"},
            {"line": 6, "column": "amount", "rule": "must have at most 2 decimals"},
        ])
    );
    let bad = json!([
        {"line": 2, "username": "alice", "amount": 10},
        {"line": 3, "username": "nobody", "amount": 10},
        {"line": 5, "username": "bob", "amount": 0},
    ]);
    let r = top_up(json!({"description": "Spring credit", "lines": bad})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["problems"],
        json!([
            {"line": 3, "column": "username", "rule": "is no customer's username or alias in this ledger"},
            {"line": 5, "column": "amount", "rule": "must be greater than 0"},
        ])
    );
    assert_eq!(balances().await, before, "a refused file changes nothing");

    let r = top_up(json!({"description": "Spring credit", "lines": good})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(balances().await, ["-149.50", "20.00", "0.00"]);
    let statement = f
        .app
        .admin(
            Method::GET,
            "/ledgers/501/accounts/5010000002/statement",
            None,
        )
        .await
        .json();
    assert_eq!(statement["transactions"][0]["description"], "Spring credit");

    // Many lines go through one commit.
    let many: Vec<serde_json::Value> = (0..5_000)
        .map(|_| json!({"username": "carol", "amount": 0.01}))
        .collect();
    let r = top_up(json!({"description": "Pennies", "lines": many})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["total"].to_string(), "50.00");
    assert_eq!(balances().await[2], "50.00");
}

/// Importing customers is an upsert by customer number: the first run creates customers and
/// accounts, the same file again changes nothing, a changed row updates its customer, and a
/// file with any wrong row changes nothing and names every wrong row.
#[tokio::test]
async fn customer_imports_upsert_by_number_and_apply_all_or_nothing() {
    let f = directory().await; // C1 alice (limit 1000, owes 300), C2 bob, C3 carol
    let import = |body: serde_json::Value| {
        let app = &f.app;
        async move {
            app.admin(Method::POST, "/ledgers/501/imports/customers", Some(body))
                .await
        }
    };
    let rows = json!([
        {"line": 2, "customerNo": "S1", "name": "Sam", "username": "sam", "cards": ["K-S1"], "creditLimit": 50},
        {"line": 3, "customerNo": "S2", "name": "Tove", "username": "tove", "creditLimit": 25},
        {"line": 4, "customerNo": "C2", "name": "Bob Berg", "username": "bob", "cards": ["CARD-2"], "creditLimit": 500},
    ]);
    let r = import(json!({"dryRun": true, "rows": rows})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"dryRun": true, "created": 2, "updated": 0, "unchanged": 1})
    );
    let customers = || async {
        f.app
            .admin(Method::GET, "/ledgers/501/customers", None)
            .await
            .json()["total"]
            .clone()
    };
    assert_eq!(customers().await, 3, "a dry run changes nothing");
    let r = import(json!({"rows": rows})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({"dryRun": false, "created": 2, "updated": 0, "unchanged": 1})
    );
    assert_eq!(customers().await, 5);
    // The same file again: nothing to do, and no second account for anyone.
    let r = import(json!({"rows": rows})).await;
    assert_eq!(
        r.json(),
        json!({"dryRun": false, "created": 0, "updated": 0, "unchanged": 3})
    );
    let accounts = f
        .app
        .admin(Method::GET, "/ledgers/501/accounts", None)
        .await
        .json();
    assert_eq!(accounts["total"], 5);
    // A changed limit and name update their customer.
    let changed = json!([{"customerNo": "S1", "name": "Samuel", "username": "sam", "cards": ["K-S1"], "creditLimit": 75}]);
    let r = import(json!({"rows": changed})).await;
    assert_eq!(r.json()["updated"], 1, "{}", r.text);
    let s1 = f
        .app
        .admin(Method::GET, "/ledgers/501/customers/S1", None)
        .await
        .json();
    assert_eq!(s1["name"], "Samuel");
    let account = f
        .app
        .admin(
            Method::GET,
            &format!(
                "/ledgers/501/accounts/{}",
                s1["defaultAccountNo"].as_str().unwrap()
            ),
            None,
        )
        .await
        .json();
    assert_eq!(account["creditLimit"].to_string(), "75.00");

    // Wrong rows: bob's card for a newcomer, alice's limit below what she owes, a bad amount.
    let wrong = json!([
        {"line": 2, "customerNo": "S3", "name": "Uno", "cards": ["CARD-2"]},
        {"line": 3, "customerNo": "S4", "name": "Vera", "creditLimit": 10},
        {"line": 4, "customerNo": "C1", "name": "Alice", "creditLimit": 100},
        {"line": 5, "customerNo": "S5", "name": "Wim", "creditLimit": 1.001},
    ]);
    let r = import(json!({"rows": wrong})).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(
        r.json()["problems"],
        json!([
            {"line": 2, "column": "cards", "rule": "cards: CARD-2 is already used in this ledger"},
            {"line": 4, "column": "creditLimit", "rule": r.json()["problems"][1]["rule"].clone()},
            {"line": 5, "column": "creditLimit", "rule": "must have at most 2 decimals"},
        ])
    );
    assert_eq!(
        customers().await,
        5,
        "nothing of the wrong file was applied, not even S4"
    );
}
