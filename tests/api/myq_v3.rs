//! API B, the MyQ X REST API v3 (SPEC §4): OAuth, users, balance, recharge.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, Setup, dec};

const L: &str = "501";
const PAYMENTS: &str = "/api/v3/rechargeProviders/external/payments";

async fn setup() -> Fixture {
    Setup::ledger(L)
        .myq()
        .customer(
            "1",
            json!({"username": "alice", "aliases": ["a.smith"], "cards": ["CARD-1"], "personalNumber": "PN-1",
                   "email": "Alice@Example.com", "msisdn": "+46701234567"}),
            "20",
        )
        .customer(
            "2",
            json!({"username": "bob", "cards": ["CARD-2"], "email": "bob@example.com"}),
            "10",
        )
        .oauth(&["credit", "users"])
        .spawn()
        .await
}

async fn create(f: &Fixture, user: i64, amount: &str) -> String {
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            PAYMENTS,
            Some(json!({"userId": user, "params": {"amount": dec(amount)}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["id"]
        .as_str()
        .expect("the id is a string")
        .to_string()
}

async fn available(f: &Fixture, user: i64, account: &str) -> Value {
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("/api/v3/users/{user}/accounts/{account}/balance"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["amount"].clone()
}

#[tokio::test]
async fn tokens_are_granted_for_json_and_form_bodies_and_basic_client_auth() {
    let f = setup().await;
    let json_body = json!({"grant_type": "client_credentials", "client_id": f.client.0, "client_secret": f.client.1, "scope": "credit"});
    let r = f
        .app
        .request(
            Method::POST,
            "/api/auth/token",
            &[],
            Some(&json_body.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = r.json();
    assert_eq!(
        (
            t["token_type"].clone(),
            t["expires_in"].clone(),
            t["scope"].clone()
        ),
        (json!("Bearer"), json!(1800), json!("credit"))
    );
    assert!(t["access_token"].as_str().unwrap().len() >= 32);
    assert_eq!(r.headers["cache-control"], "no-store");

    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=users+credit",
        f.client.0, f.client.1
    );
    let res = f
        .app
        .client
        .post(format!("{}/api/auth/token", f.app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["scope"], "users credit");

    // No scope asked: every scope the client holds.
    let res = f
        .app
        .client
        .post(format!("{}/api/auth/token", f.app.url))
        .basic_auth(&f.client.0, Some(&f.client.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["scope"], "credit users");
}

/// An unknown client id is verified against a decoy, as a known one with a wrong secret is,
/// so timing does not reveal which client ids exist.
#[tokio::test]
async fn an_unknown_client_costs_a_verification_like_a_wrong_secret() {
    let f = setup().await;
    for client in [f.client.0.as_str(), "nobody"] {
        let before = f.app.credentials.verifications();
        let body = json!({"grant_type": "client_credentials", "client_id": client, "client_secret": "wrong"});
        let r = f
            .app
            .request(
                Method::POST,
                "/api/auth/token",
                &[],
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(r.status, 401, "{client}");
        assert_eq!(f.app.credentials.verifications(), before + 1, "{client}");
    }
}

#[tokio::test]
async fn bad_grants_are_refused_in_the_v3_format() {
    let f = setup().await;
    let cases = [
        (
            json!({"grant_type": "client_credentials", "client_id": f.client.0, "client_secret": "wrong"}),
            401,
        ),
        (
            json!({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": f.client.1}),
            401,
        ),
        (json!({"grant_type": "client_credentials"}), 401),
        (
            json!({"grant_type": "password", "client_id": f.client.0, "client_secret": f.client.1}),
            400,
        ),
        (
            json!({"client_id": f.client.0, "client_secret": f.client.1}),
            400,
        ),
        (
            json!({"grant_type": "client_credentials", "client_id": f.client.0, "client_secret": f.client.1, "scope": "admin"}),
            400,
        ),
    ];
    for (body, status) in cases {
        let r = f
            .app
            .request(
                Method::POST,
                "/api/auth/token",
                &[],
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(!r.v3_error().is_empty());
    }
    let r = f
        .app
        .request(Method::POST, "/api/auth/token", &[], Some("{not json"))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.v3_error().starts_with("Malformed JSON"));
}

#[tokio::test]
async fn tokens_are_required_checked_for_scope_and_expire() {
    let f = setup().await;
    let r = f
        .app
        .request(Method::GET, "/api/v3/rechargeProviders", &[], None)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], r#"Bearer realm="saldo""#);
    r.v3_error();
    let r = f
        .app
        .authorized(
            "Bearer not-a-token",
            Method::GET,
            "/api/v3/rechargeProviders",
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    // The seed's `Authentication` header works as well.
    let r = f
        .app
        .request(
            Method::GET,
            "/api/v3/rechargeProviders",
            &[("authentication", &f.bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    let users_only = f.app.bearer(&f.client, "users").await;
    let r = f
        .app
        .authorized(&users_only, Method::GET, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(r.status, 403);
    assert!(r.v3_error().contains("credit"));
    let r = f
        .app
        .authorized(
            &users_only,
            Method::GET,
            &format!("/api/v3/users/{}", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let credit_only = f.app.bearer(&f.client, "credit").await;
    let r = f
        .app
        .authorized(
            &credit_only,
            Method::GET,
            "/api/v3/users/find?username=alice",
            None,
        )
        .await;
    assert_eq!(r.status, 403);
    let r = f
        .app
        .authorized(
            &credit_only,
            Method::POST,
            PAYMENTS,
            Some(json!({"userId": f.user("alice"), "params": {"amount": 1}})),
        )
        .await;
    assert_eq!(r.status, 200);

    f.app.clock.advance(time::Duration::seconds(1799));
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(r.status, 200, "still valid just before 1800 s");
    f.app.clock.advance(time::Duration::seconds(1));
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(r.status, 401, "expired after 1800 s");
    assert!(r.v3_error().contains("expired"));
}

#[tokio::test]
async fn revoking_a_client_ends_its_tokens() {
    let f = setup().await;
    let c = f
        .app
        .admin_create(
            &format!("/ledgers/{L}/credentials"),
            json!({"kind": "myq-oauth-client", "scopes": ["credit"]}),
        )
        .await;
    let bearer = f
        .app
        .bearer(
            &(
                c["clientId"].as_str().unwrap().into(),
                c["clientSecret"].as_str().unwrap().into(),
            ),
            "credit",
        )
        .await;
    assert_eq!(
        f.app
            .authorized(&bearer, Method::GET, "/api/v3/rechargeProviders", None)
            .await
            .status,
        200
    );
    let r = f
        .app
        .admin(
            Method::DELETE,
            &format!("/ledgers/{L}/credentials/{}", c["id"]),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        f.app
            .authorized(&bearer, Method::GET, "/api/v3/rechargeProviders", None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn users_are_found_by_each_filter() {
    let f = setup().await;
    let ids = |r: &crate::helpers::Reply| -> Vec<i64> {
        r.json()["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect()
    };
    for (query, expected) in [
        ("username=alice", vec![f.user("alice")]),
        ("username=A.SMITH", vec![f.user("alice")]),
        ("card=CARD-2", vec![f.user("bob")]),
        ("code=PN-1", vec![f.user("alice")]),
        ("email=alice@example.COM", vec![f.user("alice")]),
        ("username=alice&card=CARD-1", vec![f.user("alice")]),
        ("username=alice&card=CARD-2", vec![]),
        ("username=ghost", vec![]),
        ("email=nobody@example.com", vec![]),
    ] {
        let r = f
            .app
            .authorized(
                &f.bearer,
                Method::GET,
                &format!("/api/v3/users/find?{query}"),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(ids(&r), expected, "{query}");
        assert_eq!(r.json()["count"], expected.len(), "{query}");
    }
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/users/find", None)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.v3_error().contains("filter"));
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/users/find?username=", None)
        .await;
    assert_eq!(r.status, 400, "an empty filter is no filter");
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            "/api/v3/users/find?username=alice&limit=5000",
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.v3_error().starts_with("limit"));
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            "/api/v3/users/find?email=alice@example.com&start=1",
            None,
        )
        .await;
    assert_eq!(
        (ids(&r), r.json()["count"].clone()),
        (vec![], json!(1)),
        "count is the total, the page is empty"
    );

    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("/api/v3/users/{}", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"id": f.user("alice"), "username": "alice", "fullname": "Customer 1", "email": "Alice@Example.com",
               "code": "PN-1", "aliases": ["a.smith"], "phone": "+46701234567", "lang": null})
    );
    for path in ["/api/v3/users/99999", "/api/v3/users/abc"] {
        let r = f.app.authorized(&f.bearer, Method::GET, path, None).await;
        assert_eq!(
            (r.status, r.v3_error()),
            (404, "User not found".to_string()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn accounts_and_balances_follow_the_ledger() {
    let f = setup().await;
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("/api/v3/users/{}/accounts", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let account = format!("{L}0000001");
    let providers = json!([
        {"name": "External Payment Providers", "reference": "external"},
        {"name": "Voucher", "reference": "voucher"}]);
    // The default account is MyQ X's `internalaccount`, with the credit as `limits.price`.
    assert_eq!(
        r.json(),
        json!({"credit": {"enabled": true}, "accounts": [{
            "name": account, "reference": "internalaccount", "type": "credit",
            "limits": {"price": 20}, "rechargeProviders": providers}]})
    );
    assert_eq!(available(&f, f.user("alice"), &account).await, json!(20));
    assert_eq!(
        available(&f, f.user("alice"), "internalaccount").await,
        json!(20)
    );
    let second = f
        .app
        .admin_create(
            &format!("/ledgers/{L}/accounts"),
            json!({"customerNo": "1", "creditLimit": 5, "accountAlias": "Copies"}),
        )
        .await;
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("/api/v3/users/{}/accounts", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(
        r.json()["accounts"][1],
        json!({"name": "Copies", "reference": second["accountNo"], "type": "credit",
               "limits": {"price": 5}, "rechargeProviders": providers}),
        "another account is listed by its number"
    );
    // A block through API A lowers what API B reports at once.
    let s = f.app.session(&f.myq, "alice").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(r#"{"amount": 7.5}"#),
        )
        .await;
    assert_eq!(available(&f, f.user("alice"), &account).await, json!(12.5));
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!(
                "/api/v3/users/{}/accounts/{L}0000002/balance",
                f.user("alice")
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "bob's account is not alice's");
    r.v3_error();
}

#[tokio::test]
async fn providers_are_listed_and_can_be_disabled() {
    let f = setup().await;
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(
        r.json(),
        json!({"providers": [
            {"name": "External Payment Providers", "reference": "external", "description": "", "params": []},
            {"name": "Voucher", "reference": "voucher", "description": "", "params": []}], "count": 2})
    );
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}/recharge-providers/external"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}/recharge-providers/voucher"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(
        r.json()["settings"]["rechargeProviders"],
        json!({"external": false, "voucher": true}),
        "one change keeps the other"
    );
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}/recharge-providers/paypal"),
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}/recharge-providers/voucher"),
            Some(json!({"enabled": "yes"})),
        )
        .await;
    assert_eq!(r.status, 400);

    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(r.json()["count"], 1);
    assert_eq!(r.json()["providers"][0]["reference"], "voucher");
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            PAYMENTS,
            Some(json!({"userId": f.user("alice"), "params": {"amount": 10}})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.v3_error(),
        "Invalid operation: The operation cannot be performed in the current state. Payment provider is disabled."
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            "/api/v3/rechargeProviders/paypal/payments",
            Some(json!({"userId": f.user("alice"), "params": {"amount": 10}})),
        )
        .await;
    assert_eq!(r.status, 404);
    r.v3_error();
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            "/api/v3/rechargeProviders/voucher/payments",
            Some(json!({"userId": f.user("alice"), "params": {"amount": 10}})),
        )
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn the_recharge_lifecycle_credits_once_and_answers_conflicts() {
    let f = setup().await;
    let account = format!("{L}0000001");
    let s = f.app.session(&f.myq, "alice").await;
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            PAYMENTS,
            Some(json!({"userId": f.user("alice"), "params": {"amount": 10}})),
        )
        .await;
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.json(),
        json!({"id": id, "userId": f.user("alice"), "amount": 10, "description": "", "params": {"amount": 10, "createdBy": -2}})
    );
    assert_eq!(
        available(&f, f.user("alice"), &account).await,
        json!(20),
        "created has no effect"
    );

    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::PATCH,
            &format!("{PAYMENTS}/{id}"),
            Some(json!({"description": "Kiosk", "params": {"amount": 12.5}})),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, "1"));
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{id}/commit"),
            None,
        )
        .await;
    assert_eq!((r.status, r.json()), (200, json!({"amount": 12.5})));
    assert_eq!(available(&f, f.user("alice"), &account).await, json!(32.5));
    assert_eq!(
        f.app.balance(&f.myq, s).await,
        json!(32.5),
        "the open MyQ session sees it at once"
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{id}/commit"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"amount": 12.5})),
        "a retried commit"
    );
    assert_eq!(
        available(&f, f.user("alice"), &account).await,
        json!(32.5),
        "credited once"
    );
    let acct = f.app.account(L, &account).await;
    assert_eq!(acct["totalBalance"], dec("12.50"));

    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::PATCH,
            &format!("{PAYMENTS}/{id}"),
            Some(json!({"params": {"amount": 1}})),
        )
        .await;
    assert_eq!(r.status, 409, "patch after commit");
    r.v3_error();
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{id}/rollback"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 409, "rollback after commit");
    assert!(r.v3_error().contains("refund"));

    let second = create(&f, f.user("alice"), "5").await;
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{second}/rollback"),
            Some(json!({"reason": "Cancelled by user"})),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (200, "1"));
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{second}/rollback"),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (200, "1"),
        "rolling back twice"
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{second}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 409, "commit after rollback");
    r.v3_error();
    assert_eq!(available(&f, f.user("alice"), &account).await, json!(32.5));

    // A payment of another provider, or an unknown one, is not found.
    for path in [
        format!("/api/v3/rechargeProviders/voucher/payments/{id}/commit"),
        format!("{PAYMENTS}/99999/commit"),
        format!("{PAYMENTS}/x/commit"),
    ] {
        let r = f.app.authorized(&f.bearer, Method::POST, &path, None).await;
        assert_eq!(
            (r.status, r.v3_error()),
            (404, "Payment not found".to_string()),
            "{path}"
        );
    }

    let statement = f
        .app
        .admin(
            Method::GET,
            &format!("/ledgers/{L}/accounts/{account}/statement"),
            None,
        )
        .await
        .json();
    let kinds: Vec<&str> = statement["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["recharge"]);
}

#[tokio::test]
async fn payments_are_listed_newest_first_with_numbers_and_local_times() {
    let f = setup().await;
    let first = create(&f, f.user("alice"), "10").await;
    f.app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{first}/commit"),
            None,
        )
        .await;
    f.app.clock.advance(time::Duration::minutes(5));
    let second = create(&f, f.user("alice"), "15").await;
    f.app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{second}/rollback"),
            Some(json!({"reason": "Cancelled by user"})),
        )
        .await;
    create(&f, f.user("bob"), "3").await;
    let third = create(&f, f.user("alice"), "15").await;

    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId={}", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let list = r.json();
    assert_eq!(list["count"], 3);
    let p = &list["payments"];
    let ids: Vec<&str> = p
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [third.as_str(), second.as_str(), first.as_str()]);
    let numbers: Vec<&str> = p
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["paymentNo"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["3", "2", "1"]);
    // 1_800_000_000 is 2027-01-15T08:00:00Z: winter in Stockholm, +01:00.
    assert_eq!(
        p[2],
        json!({"id": first, "userId": f.user("alice"), "amount": 10, "currency": null, "state": "completed",
               "created": "2027-01-15T09:00:00+01:00", "updated": "2027-01-15T09:00:00+01:00",
               "expires": null, "paymentNo": "1", "provider": "external", "description": ""})
    );
    assert_eq!(
        (p[1]["state"].clone(), p[1]["description"].clone()),
        (json!("canceled"), json!("Cancelled by user"))
    );
    assert_eq!(p[1]["updated"], "2027-01-15T09:05:00+01:00");
    assert_eq!(
        p[1]["expires"],
        json!(null),
        "a canceled payment no longer expires"
    );
    assert_eq!(p[0]["state"], "created");
    assert_eq!(
        p[0]["expires"], "2027-01-16T09:05:00+01:00",
        "a created payment shows when it expires: the ledger's rechargeExpiry, 24 h"
    );

    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId={}", f.user("bob")),
            None,
        )
        .await;
    assert_eq!(
        r.json()["payments"][0]["paymentNo"],
        "1",
        "numbers count per user"
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId={}&limit=1&start=1", f.user("alice")),
            None,
        )
        .await;
    assert_eq!(
        (
            r.json()["payments"][0]["id"].clone(),
            r.json()["count"].clone()
        ),
        (json!(second), json!(3))
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            "/api/v3/rechargeProviders/voucher/payments",
            None,
        )
        .await;
    assert_eq!(r.json(), json!({"payments": [], "count": 0}));
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId=abc"),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn concurrent_commits_of_one_payment_credit_once_and_agree() {
    let f = setup().await;
    let id = create(&f, f.user("bob"), "4").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, url, bearer) = (f.app.client.clone(), f.app.url.clone(), f.bearer.clone());
        let path = format!("{url}{PAYMENTS}/{id}/commit");
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(path)
                .header("authorization", bearer)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), (200, r#"{"amount":4}"#.to_string()));
    }
    assert_eq!(
        f.app.account(L, &format!("{L}0000002")).await["totalBalance"],
        dec("4.00")
    );
}

#[tokio::test]
async fn created_payments_expire_after_the_ledger_setting() {
    let mut f = setup().await;
    let old = create(&f, f.user("alice"), "9").await;
    f.app.clock.advance(time::Duration::hours(23));
    // Tokens last 30 minutes; a day later the client asks for a new one.
    f.made.bearer = f.app.bearer(&f.client, "credit users").await;
    let young = create(&f, f.user("alice"), "8").await;
    f.app.clock.advance(time::Duration::hours(1));
    f.made.bearer = f.app.bearer(&f.client, "credit users").await;
    assert_eq!(
        f.app.engine.sweep().await.unwrap().recharges,
        1,
        "only the 24 h old one"
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{old}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 409);
    let list = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId={}", f.user("alice")),
            None,
        )
        .await
        .json();
    assert_eq!(
        (
            list["payments"][1]["state"].clone(),
            list["payments"][1]["description"].clone()
        ),
        (json!("canceled"), json!("Expired"))
    );
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            &format!("{PAYMENTS}/{young}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 200);

    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}"),
            Some(json!({"settings": {"rechargeExpirySeconds": 60}})),
        )
        .await;
    assert_eq!(r.status, 200);
    create(&f, f.user("alice"), "1").await;
    f.app.clock.advance(time::Duration::seconds(60));
    assert_eq!(f.app.engine.sweep().await.unwrap().recharges, 1);
}

#[tokio::test]
async fn bad_recharge_input_is_400_and_creates_nothing() {
    let f = setup().await;
    let u = f.user("alice");
    for (body, message) in [
        (
            json!({"userId": u, "params": {"amount": 0}}),
            "params.amount: must be greater than 0",
        ),
        (
            json!({"userId": u, "params": {"amount": -5}}),
            "params.amount: must not be negative",
        ),
        (
            json!({"userId": u, "params": {"amount": "5"}}),
            "params.amount: must be a number",
        ),
        (
            json!({"userId": u, "params": {"amount": dec("1.005")}}),
            "params.amount: must have at most 2 decimals",
        ),
        (
            json!({"userId": u, "params": {}}),
            "params.amount: is required",
        ),
        (json!({"userId": u}), "params: is required"),
        (
            json!({"userId": u, "params": 5}),
            "params: must be an object",
        ),
        (json!({"params": {"amount": 5}}), "userId: is required"),
        (
            json!({"userId": "alice", "params": {"amount": 5}}),
            "userId: must be a positive integer",
        ),
        (
            json!({"userId": u, "description": 5, "params": {"amount": 5}}),
            "description: must be a string",
        ),
    ] {
        let r = f
            .app
            .authorized(&f.bearer, Method::POST, PAYMENTS, Some(body.clone()))
            .await;
        assert_eq!(
            (r.status, r.v3_error()),
            (400, message.to_string()),
            "{body}"
        );
    }
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::POST,
            PAYMENTS,
            Some(json!({"userId": 424242, "params": {"amount": 5}})),
        )
        .await;
    assert_eq!(
        (r.status, r.v3_error()),
        (404, "User not found".to_string())
    );
    let id = create(&f, u, "5").await;
    let r = f
        .app
        .authorized(
            &f.bearer,
            Method::PATCH,
            &format!("{PAYMENTS}/{id}"),
            Some(json!({"params": {"amount": 0}})),
        )
        .await;
    assert_eq!(r.status, 400);
    let list = f
        .app
        .authorized(
            &f.bearer,
            Method::GET,
            &format!("{PAYMENTS}?userId={u}"),
            None,
        )
        .await
        .json();
    assert_eq!(list["count"], 1, "only the one good payment");
    assert_eq!(
        list["payments"][0]["amount"], 5,
        "the bad patch changed nothing"
    );
}

#[tokio::test]
async fn every_api_error_uses_the_v3_format() {
    let f = setup().await;
    let r = f
        .app
        .authorized(&f.bearer, Method::GET, "/api/v3/nothing", None)
        .await;
    assert_eq!(r.status, 404);
    assert!(r.v3_error().contains("/api/v3/nothing"));
    let r = f.app.request(Method::GET, "/api/whatever", &[], None).await;
    assert_eq!(r.status, 404);
    r.v3_error();
    let r = f
        .app
        .authorized(&f.bearer, Method::DELETE, "/api/v3/rechargeProviders", None)
        .await;
    assert_eq!(r.status, 405);
    r.v3_error();
    let r = f
        .app
        .request(
            Method::POST,
            PAYMENTS,
            &[("authorization", &f.bearer)],
            Some("{\"userId\": "),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.v3_error().starts_with("Malformed JSON"));
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(100 * 1024));
    let r = f
        .app
        .request(
            Method::POST,
            PAYMENTS,
            &[("authorization", &f.bearer)],
            Some(&big),
        )
        .await;
    assert_eq!(r.status, 413);
    r.v3_error();
}

#[tokio::test]
async fn oauth_clients_are_validated_by_the_admin_api() {
    let f = setup().await;
    for (body, field) in [
        (json!({"kind": "myq-oauth-client"}), "scopes"),
        (
            json!({"kind": "myq-oauth-client", "scopes": ["admin"]}),
            "scopes",
        ),
        (
            json!({"kind": "myq-oauth-client", "scopes": "credit"}),
            "scopes",
        ),
    ] {
        let r = f
            .app
            .admin(
                Method::POST,
                &format!("/ledgers/{L}/credentials"),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.error_message().starts_with(field), "{}", r.text);
    }
}
