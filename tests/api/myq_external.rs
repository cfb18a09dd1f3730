//! API A, the MyQ External Account API (SPEC §3).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Setup, TestApp, amount, basic, dec};

const L: &str = "501";

/// A ledger with alice (limit 20) and bob (limit 10), and the MyQ Basic header.
async fn setup() -> (TestApp, String) {
    let f = Setup::ledger(L)
        .myq()
        .customer(
            "1",
            json!({"username": "alice", "aliases": ["a.smith", "ALI"], "cards": ["CARD-1"], "personalNumber": "PN-1"}),
            "20",
        )
        .customer(
            "2",
            json!({"username": "bob", "cards": ["CARD-2"], "personalNumber": "PN-2"}),
            "10",
        )
        .spawn()
        .await;
    (f.app, f.made.myq)
}

/// Which customer a session belongs to, read through its balance (alice 20, bob 10).
async fn who(app: &TestApp, auth: &str, body: serde_json::Value) -> Result<i64, (u16, String)> {
    let reply = app
        .myq(auth, Method::POST, "/sessions", Some(&body.to_string()))
        .await;
    if reply.status != 200 {
        return Err((reply.status, reply.error_message()));
    }
    let id = reply.json()["id"].as_i64().unwrap();
    Ok(app.balance(auth, id).await.as_i64().unwrap())
}

#[tokio::test]
async fn sessions_identify_users_by_each_path_in_order() {
    let (app, auth) = setup().await;
    let not_found = Err((404, "User not found".to_string()));
    let cases = [
        (json!({"username": "alice"}), Ok(20)),
        // Case-insensitive, and a username matches an alias too.
        (json!({"username": "ALICE"}), Ok(20)),
        (json!({"username": "A.Smith"}), Ok(20)),
        (json!({"aliases": ["nobody", "ali"]}), Ok(20)),
        (json!({"cards": ["CARD-2"]}), Ok(10)),
        (json!({"personalnumber": "PN-2"}), Ok(10)),
        // Missing, null and empty fields are skipped, not errors.
        (
            json!({"username": "", "aliases": null, "cards": [], "personalnumber": "PN-1"}),
            Ok(20),
        ),
        (json!({"username": null, "cards": ["", "CARD-2"]}), Ok(10)),
        // Username is tried before cards; an unknown one falls through to the card.
        (json!({"username": "alice", "cards": ["CARD-2"]}), Ok(20)),
        (json!({"username": "ghost", "cards": ["CARD-2"]}), Ok(10)),
        (json!({"username": "ghost"}), not_found.clone()),
        (json!({}), not_found),
    ];
    for (body, expected) in cases {
        assert_eq!(who(&app, &auth, body.clone()).await, expected, "{body}");
    }
}

#[tokio::test]
async fn session_ids_are_positive_integers_and_unique() {
    let (app, auth) = setup().await;
    let a = app.session(&auth, "alice").await;
    let b = app.session(&auth, "alice").await;
    assert!(a > 0 && b > 0 && a != b);
}

#[tokio::test]
async fn a_user_without_an_open_account_gets_409() {
    let (app, auth) = setup().await;
    app.admin_create(
        &format!("/ledgers/{L}/customers"),
        json!({"customerNo": "3", "name": "No Account", "username": "carol"}),
    )
    .await;
    let reply = app
        .myq(
            &auth,
            Method::POST,
            "/sessions",
            Some(r#"{"username":"carol"}"#),
        )
        .await;
    assert_eq!(reply.status, 409);
    assert!(reply.error_message().contains("no open account"));
}

#[tokio::test]
async fn balance_arithmetic_with_blocks_and_payments() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    assert_eq!(app.balance(&auth, s).await, json!(20));

    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(&amount("5")),
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    // Blocking does not lower what this session may spend, only what others may.
    assert_eq!(app.balance(&auth, s).await, json!(20));
    let other = app.session(&auth, "alice").await;
    assert_eq!(app.balance(&auth, other).await, json!(15));

    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments"),
            Some(&amount("2.5")),
        )
        .await;
    assert_eq!(r.status, 200);
    let pid = r.json()["id"].as_i64().unwrap();
    assert!(pid > 0);
    assert_eq!(r.json()["amount"], json!(2.5));
    assert_eq!(app.balance(&auth, s).await, json!(17.5));

    // PATCH re-evaluates against the session balance plus this payment's own hold.
    let r = app
        .myq(
            &auth,
            Method::PATCH,
            &format!("/sessions/{s}/payments/{pid}"),
            Some(&amount("30")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"id": pid, "amount": 20}));
    assert_eq!(app.balance(&auth, s).await, json!(0));
    let r = app
        .myq(
            &auth,
            Method::PATCH,
            &format!("/sessions/{s}/payments/{pid}"),
            Some(&amount("4")),
        )
        .await;
    assert_eq!(r.json(), json!({"id": pid, "amount": 4}));
    assert_eq!(app.balance(&auth, s).await, json!(16));

    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments/{pid}/commit"),
            None,
        )
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    assert_eq!(app.balance(&auth, s).await, json!(16));
    let account = app.account(L, &format!("{L}0000001")).await;
    assert_eq!(account["totalBalance"], dec("-4.00"));
    assert_eq!(
        account["reservedAmount"],
        dec("1.00"),
        "the block's unused 1.00"
    );
    assert_eq!(account["availableAmount"], dec("15.00"));

    let r = app
        .myq(&auth, Method::DELETE, &format!("/sessions/{s}"), None)
        .await;
    assert_eq!(r.status, 204);
    let account = app.account(L, &format!("{L}0000001")).await;
    assert_eq!(account["reservedAmount"], dec("0.00"));
    assert_eq!(account["availableAmount"], dec("16.00"));
}

#[tokio::test]
async fn blocks_are_cumulative_and_refused_beyond_available_credit() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "bob").await;
    for _ in 0..2 {
        let r = app
            .myq(
                &auth,
                Method::POST,
                &format!("/sessions/{s}/block"),
                Some(&amount("4")),
            )
            .await;
        assert_eq!(r.status, 204);
    }
    let other = app.session(&auth, "bob").await;
    assert_eq!(
        app.balance(&auth, other).await,
        json!(2),
        "two blocks of 4 hold 8"
    );
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{other}/block"),
            Some(&amount("2.01")),
        )
        .await;
    assert_eq!(r.status, 402);
    assert_eq!(r.error_message(), "Insufficient credit");
    assert_eq!(app.balance(&auth, other).await, json!(2), "nothing blocked");
    let account = app.account(L, &format!("{L}0000002")).await;
    assert_eq!(account["reservedAmount"], dec("8.00"));
}

#[tokio::test]
async fn payments_are_capped_at_the_session_balance_and_may_be_zero() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "bob").await;
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments"),
            Some(&amount("12")),
        )
        .await;
    assert_eq!(r.json()["amount"], json!(10));
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments"),
            Some(&amount("1")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["amount"], json!(0));
    let zero = r.json()["id"].as_i64().unwrap();
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments/{zero}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let account = app.account(L, &format!("{L}0000002")).await;
    assert_eq!(
        account["totalBalance"],
        dec("0.00"),
        "a zero payment posts nothing"
    );
}

#[tokio::test]
async fn commit_and_rollback_retries_have_no_second_effect() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let pay = |amt: &'static str| {
        let (app, auth) = (&app, &auth);
        async move {
            let r = app
                .myq(
                    auth,
                    Method::POST,
                    &format!("/sessions/{s}/payments"),
                    Some(&amount(amt)),
                )
                .await;
            r.json()["id"].as_i64().unwrap()
        }
    };
    let p1 = pay("3").await;
    for _ in 0..3 {
        let r = app
            .myq(
                &auth,
                Method::POST,
                &format!("/sessions/{s}/payments/{p1}/commit"),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["totalBalance"],
        dec("-3.00"),
        "debited once"
    );

    // A committed payment rolled back in an open session is reversed with a credit, once.
    for _ in 0..2 {
        let r = app
            .myq(
                &auth,
                Method::POST,
                &format!("/sessions/{s}/payments/{p1}/rollback"),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["totalBalance"],
        dec("0.00"),
        "credited once"
    );
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments/{p1}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 409, "commit after rollback");

    // An uncommitted payment rolled back releases its hold; twice is harmless.
    let p2 = pay("5").await;
    assert_eq!(app.balance(&auth, s).await, json!(15));
    for _ in 0..2 {
        let r = app
            .myq(
                &auth,
                Method::POST,
                &format!("/sessions/{s}/payments/{p2}/rollback"),
                None,
            )
            .await;
        assert_eq!(r.status, 204);
    }
    assert_eq!(app.balance(&auth, s).await, json!(20));
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments/{p2}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 409);
    let r = app
        .myq(
            &auth,
            Method::PATCH,
            &format!("/sessions/{s}/payments/{p2}"),
            Some(&amount("1")),
        )
        .await;
    assert_eq!(r.status, 409, "patch after rollback");

    let p3 = pay("1").await;
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{s}/payments/{p3}/commit"),
        None,
    )
    .await;
    let r = app
        .myq(
            &auth,
            Method::PATCH,
            &format!("/sessions/{s}/payments/{p3}"),
            Some(&amount("2")),
        )
        .await;
    assert_eq!(r.status, 409, "patch after commit");
    assert!(!r.error_message().is_empty());

    let statement = app
        .admin(
            Method::GET,
            &format!("/ledgers/{L}/accounts/{L}0000001/statement"),
            None,
        )
        .await
        .json();
    let types: Vec<&str> = statement["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["purchase", "reversal", "purchase"]);
}

#[tokio::test]
async fn an_ended_session_answers_409_to_everything_but_get() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{s}/block"),
        Some(&amount("5")),
    )
    .await;
    let p = app.payment(&auth, s, "7").await;
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["availableAmount"],
        dec("13.00")
    );

    let r = app
        .myq(&auth, Method::DELETE, &format!("/sessions/{s}"), None)
        .await;
    assert_eq!((r.status, r.text.as_str()), (204, ""));
    // Ending released the block and rolled back the uncommitted payment.
    let account = app.account(L, &format!("{L}0000001")).await;
    assert_eq!(
        (
            account["availableAmount"].clone(),
            account["totalBalance"].clone()
        ),
        (dec("20.00"), dec("0.00"))
    );
    let r = app
        .myq(&auth, Method::DELETE, &format!("/sessions/{s}"), None)
        .await;
    assert_eq!(r.status, 204, "ending twice");
    assert_eq!(app.balance(&auth, s).await, json!(20), "GET still answers");

    for (method, path, body) in [
        (
            Method::POST,
            format!("/sessions/{s}/block"),
            Some(amount("1")),
        ),
        (
            Method::POST,
            format!("/sessions/{s}/payments"),
            Some(amount("1")),
        ),
        (
            Method::PATCH,
            format!("/sessions/{s}/payments/{p}"),
            Some(amount("1")),
        ),
        (
            Method::POST,
            format!("/sessions/{s}/payments/{p}/commit"),
            None,
        ),
        (
            Method::POST,
            format!("/sessions/{s}/payments/{p}/rollback"),
            None,
        ),
    ] {
        let r = app.myq(&auth, method.clone(), &path, body.as_deref()).await;
        assert_eq!(r.status, 409, "{method} {path}");
        assert_eq!(r.error_message(), "Session ended");
    }
}

#[tokio::test]
async fn committed_payments_survive_the_end_of_their_session() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let p = app.payment(&auth, s, "6").await;
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{s}/payments/{p}/commit"),
        None,
    )
    .await;
    app.myq(&auth, Method::DELETE, &format!("/sessions/{s}"), None)
        .await;
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["totalBalance"],
        dec("-6.00")
    );
}

#[tokio::test]
async fn unknown_sessions_and_payments_are_404() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let other = app.session(&auth, "bob").await;
    let p = app.payment(&auth, other, "1").await;
    for (method, path) in [
        (Method::GET, "/sessions/999999".to_string()),
        (Method::GET, "/sessions/abc".to_string()),
        (Method::GET, "/sessions/-1".to_string()),
        (Method::DELETE, "/sessions/999999".to_string()),
        (
            Method::POST,
            format!("/sessions/{s}/payments/999999/commit"),
        ),
        // A payment of another session is not this session's.
        (Method::POST, format!("/sessions/{s}/payments/{p}/commit")),
        (Method::POST, format!("/sessions/{s}/payments/{p}/rollback")),
    ] {
        let r = app.myq(&auth, method.clone(), &path, None).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text);
        assert!(r.error_message().ends_with("not found"));
    }
    // Another ledger's session is unknown here.
    let other = Setup::ledger("502")
        .myq()
        .customer("9", json!({"username": "zed"}), "5");
    let auth2 = app.provision(other).await.myq;
    let r = app
        .myq(&auth2, Method::GET, &format!("/sessions/{s}"), None)
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn bad_amounts_are_400_and_change_nothing() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let p = app.payment(&auth, s, "1").await;
    let before = app.account(L, &format!("{L}0000001")).await;
    let bodies = [
        (r#"{"amount": -5}"#, "amount: must not be negative"),
        (r#"{"amount": "5"}"#, "amount: must be a number"),
        (
            r#"{"amount": 1.234}"#,
            "amount: must have at most 2 decimals",
        ),
        (r#"{}"#, "amount: is required"),
        (r#"{"amount": null}"#, "amount: is required"),
        (
            r#"{"amount": 1e300}"#,
            "amount: must be at most 1000000000000",
        ),
        (r#"{"amount": "NaN"}"#, "amount: must be a number"),
        (r#"{"amount": true}"#, "amount: must be a number"),
    ];
    for path in [
        format!("/sessions/{s}/block"),
        format!("/sessions/{s}/payments"),
        format!("/sessions/{s}/payments/{p}"),
    ] {
        let method = if path.ends_with(&format!("/{p}")) {
            Method::PATCH
        } else {
            Method::POST
        };
        for (body, message) in bodies {
            let r = app.myq(&auth, method.clone(), &path, Some(body)).await;
            assert_eq!(r.status, 400, "{path} {body}");
            assert_eq!(r.error_message(), message, "{path} {body}");
        }
        for body in [r#"{"amount": "#, "not json", "[1,2]", r#"{"amount": 5"#] {
            let r = app.myq(&auth, method.clone(), &path, Some(body)).await;
            assert_eq!(r.status, 400, "{path} {body}");
            assert!(
                r.error_message().starts_with("Malformed JSON"),
                "{}",
                r.text
            );
        }
        let huge = format!(r#"{{"amount": 1, "pad": "{}"}}"#, "x".repeat(200 * 1024));
        let r = app.myq(&auth, method.clone(), &path, Some(&huge)).await;
        assert_eq!(r.status, 413, "{path} 200 kB body");
        assert!(r.error_message().contains("too large"));
    }
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await,
        before,
        "nothing changed"
    );
    assert_eq!(app.balance(&auth, s).await, json!(19));
}

/// A JSON body sent as a form or as text is not what the client meant: refused, nothing done;
/// `charset` and `+json` types, or no `Content-Type` at all, are read as JSON.
#[tokio::test]
async fn a_body_sent_as_another_media_type_opens_nothing() {
    let (app, auth) = setup().await;
    let body = r#"{"username": "alice"}"#;
    for media in [
        "text/plain",
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ] {
        let r = send(&app, &auth, Some(media), body).await;
        assert_eq!(r.status, 400, "{media}: {}", r.text);
        assert_eq!(
            r.error_message(),
            format!("Content-Type: must be application/json, not {media}")
        );
    }
    let mut opened = Vec::new();
    for media in [
        Some("application/json; charset=utf-8"),
        Some("application/merge-patch+json"),
        None,
    ] {
        let r = send(&app, &auth, media, body).await;
        assert_eq!(r.status, 200, "{media:?}: {}", r.text);
        opened.push(r.json()["id"].as_i64().unwrap());
    }
    assert_eq!(opened, [1, 2, 3], "the refused ones opened no session");
}

/// POST /sessions with `body` declared as `media` (or undeclared).
async fn send(app: &TestApp, auth: &str, media: Option<&str>, body: &str) -> crate::helpers::Reply {
    let mut req = app
        .client
        .post(format!("{}/sessions", app.url))
        .header("authorization", auth)
        .body(body.to_string());
    if let Some(media) = media {
        req = req.header("content-type", media);
    }
    crate::helpers::Reply::read(req.send().await.unwrap()).await
}

#[tokio::test]
async fn forty_concurrent_blocks_of_five_on_twenty_succeed_exactly_four_times() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (client, url, auth) = (app.client.clone(), app.url.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{url}/sessions/{s}/block"))
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(r#"{"amount":5}"#)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 204).count(), 4);
    assert_eq!(statuses.iter().filter(|&&s| s == 402).count(), 36);
    let account = app.account(L, &format!("{L}0000001")).await;
    assert_eq!(account["reservedAmount"], dec("20.00"));
    assert_eq!(account["availableAmount"], dec("0.00"));
}

#[tokio::test]
async fn concurrent_commits_of_one_payment_debit_once() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    let p = app.payment(&auth, s, "3").await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, auth) = (app.client.clone(), app.url.clone(), auth.clone());
        tasks.push(tokio::spawn(async move {
            client
                .post(format!("{url}/sessions/{s}/payments/{p}/commit"))
                .header("authorization", auth)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 204);
    }
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["totalBalance"],
        dec("-3.00")
    );
}

#[tokio::test]
async fn authentication_is_required_in_either_header() {
    let (app, auth) = setup().await;
    let r = app
        .request(
            Method::POST,
            "/sessions",
            &[],
            Some(r#"{"username":"alice"}"#),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.headers["www-authenticate"], r#"Basic realm="saldo""#);
    assert!(r.error_message().contains("Unauthorized"));
    let wrong = basic("myq501", "wrong-password");
    let r = app
        .myq(
            &wrong,
            Method::POST,
            "/sessions",
            Some(r#"{"username":"alice"}"#),
        )
        .await;
    assert_eq!(r.status, 401);
    let r = app
        .myq("Basic !!!not-base64", Method::GET, "/sessions/1", None)
        .await;
    assert_eq!(r.status, 401);
    // The seed's own header name works too.
    let r = app
        .request(
            Method::POST,
            "/sessions",
            &[("authentication", &auth)],
            Some(r#"{"username":"alice"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// A login that does not exist costs one Argon2 verification, as a wrong password for one
/// that does: the answer's timing cannot tell an attacker which logins exist.
#[tokio::test]
async fn an_unknown_login_costs_a_verification_like_a_wrong_password() {
    let (app, _) = setup().await;
    let body = Some(r#"{"username":"alice"}"#);
    for (login, password) in [("myq501", "wrong-password"), ("nobody", "wrong-password")] {
        let before = app.credentials.verifications();
        let r = app
            .myq(&basic(login, password), Method::POST, "/sessions", body)
            .await;
        assert_eq!(r.status, 401, "{login}");
        assert_eq!(app.credentials.verifications(), before + 1, "{login}");
    }
}

#[tokio::test]
async fn a_revoked_credential_stops_working_at_once() {
    let app = Setup::ledger(L)
        .customer("1", json!({"username": "alice"}), "20")
        .spawn()
        .await
        .app;
    let cred = app
        .admin_create(
            &format!("/ledgers/{L}/credentials"),
            json!({"kind": "myq-basic", "login": "pr1"}),
        )
        .await;
    let auth = basic("pr1", cred["password"].as_str().unwrap());
    app.session(&auth, "alice").await; // verified and cached
    let r = app
        .admin(
            Method::DELETE,
            &format!("/ledgers/{L}/credentials/{}", cred["id"]),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    let r = app
        .myq(
            &auth,
            Method::POST,
            "/sessions",
            Some(r#"{"username":"alice"}"#),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_format() {
    let (app, auth) = setup().await;
    let r = app.myq(&auth, Method::GET, "/nothing/here", None).await;
    assert_eq!(r.status, 404);
    assert!(r.error_message().contains("/nothing/here"));
    let r = app.myq(&auth, Method::PUT, "/sessions/1", None).await;
    assert_eq!(r.status, 405);
    assert!(!r.error_message().is_empty());
    assert!(r.headers.contains_key("allow"));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let (app, auth) = setup().await;
    let r = app.myq(&auth, Method::GET, "/sessions/1", None).await;
    assert!(!r.headers["x-request-id"].is_empty());
    let r = app
        .request(
            Method::GET,
            "/healthz",
            &[("x-request-id", "trace-me")],
            None,
        )
        .await;
    assert_eq!(r.headers["x-request-id"], "trace-me");
}

#[tokio::test]
async fn idle_sessions_are_ended_by_the_sweeper() {
    let (app, auth) = setup().await;
    let r = app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}"),
            Some(json!({"settings": {"sessionIdleTimeoutSeconds": 60}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let idle = app.session(&auth, "alice").await;
    let busy = app.session(&auth, "alice").await;
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{idle}/block"),
        Some(&amount("5")),
    )
    .await;
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{busy}/block"),
        Some(&amount("5")),
    )
    .await;
    app.clock.advance(time::Duration::seconds(40));
    app.myq(
        &auth,
        Method::POST,
        &format!("/sessions/{busy}/block"),
        Some(&amount("1")),
    )
    .await;
    app.clock.advance(time::Duration::seconds(21));
    assert_eq!(
        app.engine.sweep().await.unwrap().sessions,
        1,
        "only the idle one"
    );
    let r = app
        .myq(
            &auth,
            Method::POST,
            &format!("/sessions/{idle}/block"),
            Some(&amount("1")),
        )
        .await;
    assert_eq!(
        (r.status, r.error_message()),
        (409, "Session ended".to_string())
    );
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["reservedAmount"],
        dec("6.00"),
        "the idle block was released"
    );
    app.clock.advance(time::Duration::seconds(60));
    assert_eq!(app.engine.sweep().await.unwrap().sessions, 1);
    assert_eq!(
        app.account(L, &format!("{L}0000001")).await["reservedAmount"],
        dec("0.00")
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_writer_batches() {
    let (app, auth) = setup().await;
    let s = app.session(&auth, "alice").await;
    app.myq(&auth, Method::GET, &format!("/sessions/{s}"), None)
        .await;
    // A print job committed: a purchase posting of 1.50 SEK.
    let p = app.payment(&auth, s, "1.5").await;
    let commit = format!("/sessions/{s}/payments/{p}/commit");
    assert_eq!(
        app.myq(&auth, Method::POST, &commit, None).await.status,
        204
    );
    app.myq(&auth, Method::GET, "/sessions/999999", None).await;
    // Junk paths and invented methods add no series of their own.
    app.request(Method::GET, "/wp-login-5618.php", &[], None)
        .await;
    let invented = Method::from_bytes(b"BREW").unwrap();
    app.request(invented, "/sessions", &[], None).await;
    let r = app.request(Method::GET, "/metrics", &[], None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let counted = |status: &str| {
        r.text.lines().any(|l| {
            l.starts_with("saldo_http_requests_total")
                && l.contains("route=\"/sessions/{session}\"")
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(counted("200"), "{}", r.text);
    assert!(counted("404"), "the 404 is counted too");
    assert!(
        r.text
            .contains("saldo_http_request_duration_seconds_bucket"),
        "latency histogram"
    );
    // Batch sizes are counted in jobs (1, 2, 4 … 4096), not in latency buckets.
    let bucket = |le: &str| format!("saldo_batch_size_bucket{{le=\"{le}\"}}");
    assert!(r.text.contains(&bucket("2")), "{}", r.text);
    assert!(r.text.contains(&bucket("4096")), "{}", r.text);
    assert!(!r.text.contains(&bucket("0.0005")), "{}", r.text);
    assert!(!r.text.contains("wp-login"), "{}", r.text);
    assert!(!r.text.contains("BREW"), "{}", r.text);
    assert!(r.text.contains("route=\"unmatched\""), "{}", r.text);
    assert!(r.text.contains("method=\"other\""), "{}", r.text);
    // Every series says what it is, and the unlabelled counters exist from the start.
    for name in [
        "saldo_http_requests_total",
        "saldo_http_request_duration_seconds",
        "saldo_batch_size",
        "saldo_batch_persist_seconds",
        "saldo_batch_failures_total",
        "saldo_ledger_catch_ups_total",
        "saldo_ledger_reloads_total",
        "saldo_password_verifications_total",
    ] {
        assert!(
            r.text.contains(&format!("# HELP {name} ")),
            "{name}:\n{}",
            r.text
        );
        assert!(
            r.text.contains(&format!("# TYPE {name} ")),
            "{name}:\n{}",
            r.text
        );
    }
    assert!(
        r.text.contains("\nsaldo_ledger_reloads_total "),
        "{}",
        r.text
    );
    // Business counters: postings by currency and type, and their amounts in minor units.
    let value = |series: &str| -> u64 {
        let line = r
            .text
            .lines()
            .find(|l| l.starts_with(series))
            .unwrap_or_else(|| panic!("{series} in:\n{}", r.text));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert!(value("saldo_postings_total{currency=\"SEK\",type=\"purchase\"}") >= 1);
    assert!(value("saldo_posted_minor_units_total{currency=\"SEK\",type=\"purchase\"}") >= 150);
    assert!(
        r.text.contains("saldo_batch_persist_seconds"),
        "persist times"
    );
}
