//! API C, the Credit Account API (SPEC §5), and its agreement with APIs A and B.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, Setup, dec};

const L: &str = "501";
const T: &str = "ledger/credit-account/v1/problems/";
const A1: &str = "/ledger/credit-account/v1/501/accounts/5010000001";

/// Ledger 501 with alice (limit 100, account 5010000001) and bob (limit 50).
async fn setup() -> Fixture {
    Setup::ledger(L)
        .myq()
        .customer("C1", json!({"username": "alice"}), "100")
        .customer("C2", json!({"username": "bob"}), "50")
        .ledger_bearer()
        .spawn()
        .await
}

#[tokio::test]
async fn bearer_tokens_are_bound_to_their_ledger() {
    let f = setup().await;
    let r = f.app.request(Method::GET, A1, &[], None).await;
    assert_eq!(r.status, 401);
    let other_ledger = Setup::ledger("502").ledger_bearer();
    let other = f.app.provision(other_ledger).await.bearer;
    for bearer in ["Bearer nonsense", other.as_str()] {
        let r = f
            .app
            .request(Method::GET, A1, &[("authorization", bearer)], None)
            .await;
        assert_eq!(r.status, 401, "{bearer}");
        r.problem(T, "unauthorized");
    }
    assert_eq!(f.call(Method::GET, A1, None).await.status, 200);
}

#[tokio::test]
async fn an_account_has_every_field_of_the_seed() {
    let f = setup().await;
    let r = f.call(Method::GET, A1, None).await;
    assert_eq!(r.status, 200);
    let a = r.json();
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "@id",
            "accountNo",
            "startDate",
            "description",
            "accountProfileType",
            "accountAlias",
            "customerNo",
            "status",
            "creditLimit",
            "totalBalance",
            "reservedAmount",
            "availableAmount",
            "openBill",
            "charityDonation",
            "interestRate",
            "bankPayment",
            "activePaymentOrders",
            "recurringPaymentConsent",
            "cards",
            "transactions",
            "reservations",
            "currency",
            "bills",
            "customer",
            "operations"
        ]
    );
    assert!(
        r.text
            .contains(r#""creditLimit":100.00,"totalBalance":0.00"#),
        "{}",
        r.text
    );
    assert_eq!(
        (
            a["@id"].as_str().unwrap(),
            a["status"].as_str().unwrap(),
            a["currency"].as_str().unwrap()
        ),
        (A1, "open", "sek")
    );
    assert_eq!(a["customerNo"], "C1");
    assert_eq!(a["cards"], format!("{A1}/cards"));
    let reference = a["bankPayment"]["paymentReference"].as_str().unwrap();
    assert!(saldo::ledger::ocr::is_valid(reference), "{reference}");
    let rels: Vec<&str> = a["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rel"].as_str().unwrap())
        .collect();
    assert_eq!(
        rels,
        [
            "add-card-info",
            "request-close-account",
            "apply-for-raised-credit-limit",
            "partial-update"
        ]
    );
    let r = f
        .call(
            Method::GET,
            "/ledger/credit-account/v1/501/accounts/nope",
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
}

#[tokio::test]
async fn accounts_are_listed_with_filters_and_pages() {
    let f = setup().await;
    let base = "/ledger/credit-account/v1/501/accounts";
    let all = f.get(base).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(all["view"].get("next").is_none(), "one page");
    let page = f.get(&format!("{base}?$top=1")).await;
    assert_eq!(page["items"][0]["accountNo"], "5010000001");
    assert_eq!(page["view"]["@id"], format!("{base}?$top=1&$skip=0"));
    assert_eq!(page["view"]["next"], format!("{base}?$top=1&$skip=1"));
    let last = f.get(&format!("{base}?$top=1&$skip=1")).await;
    assert_eq!(last["items"][0]["accountNo"], "5010000002");
    assert!(last["view"].get("next").is_none());
    let beyond = f.get(&format!("{base}?$skip={}", i64::MAX)).await;
    assert_eq!(beyond["items"], json!([]));
    assert!(beyond["view"].get("next").is_none(), "past the end");
    let bob = f.get(&format!("{base}?customerNo=C2")).await;
    assert_eq!(
        (
            bob["items"].as_array().unwrap().len(),
            bob["items"][0]["customerNo"].clone()
        ),
        (1, json!("C2"))
    );
    assert_eq!(bob["@id"], format!("{base}?customerNo=C2"));
    let none = f
        .get(&format!("{base}?accountNo=5010000001&customerNo=C2"))
        .await;
    assert_eq!(none["items"], json!([]));
    for q in ["$top=0", "$top=1001", "$skip=-1", "$top=x"] {
        let r = f.call(Method::GET, &format!("{base}?{q}"), None).await;
        assert_eq!(r.status, 400, "{q}");
        let field = q.split('=').next().unwrap();
        assert!(
            r.problem(T, "validation")["Problems"][0]
                .get(field)
                .is_some(),
            "{q}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn patch_lowers_limits_toggles_charity_and_refuses_the_rest() {
    let f = setup().await;
    let s = f.app.session(&f.myq, "alice").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(r#"{"amount": 30}"#),
        )
        .await;
    let p = f.app.payment(&f.myq, s, "20").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    // Owed 20, reserved 10: the limit may go down to 30 and no further.
    let r = f
        .call(Method::PATCH, A1, Some(json!({"creditLimit": 29.99})))
        .await;
    assert_eq!(r.status, 409);
    assert!(
        r.problem(T, "conflict")["Detail"]
            .as_str()
            .unwrap()
            .contains("owed and reserved")
    );
    let r = f
        .call(Method::PATCH, A1, Some(json!({"creditLimit": 150})))
        .await;
    assert_eq!(r.status, 409);
    assert!(
        r.problem(T, "conflict")["Detail"]
            .as_str()
            .unwrap()
            .contains("apply-for-raised-credit-limit")
    );
    let r = f
        .call(
            Method::PATCH,
            A1,
            Some(json!({"creditLimit": 30, "charityDonation": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json()["creditLimit"].clone(),
            r.json()["charityDonation"].clone()
        ),
        (dec("30.00"), json!(true))
    );
    assert_eq!(r.json()["availableAmount"], dec("0.00"));
    for (body, field) in [
        (json!({"status": "closed"}), "status"),
        (json!({"creditLimit": "low"}), "creditLimit"),
        (json!({"creditLimit": -1}), "creditLimit"),
        (json!({"charityDonation": "yes"}), "charityDonation"),
    ] {
        let r = f.call(Method::PATCH, A1, Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.problem(T, "validation")["Problems"][0]
                .get(field)
                .is_some(),
            "{body}: {}",
            r.text
        );
    }
    let r = f
        .app
        .request(
            Method::PATCH,
            A1,
            &[("authorization", &f.bearer)],
            Some("{oops"),
        )
        .await;
    assert_eq!(r.status, 400);
    r.problem(T, "validation");
    assert_eq!(
        f.get(A1).await["creditLimit"],
        dec("30.00"),
        "refused patches changed nothing"
    );
}

#[tokio::test]
async fn closing_waits_for_the_account_to_settle() {
    let f = setup().await;
    let s = f.app.session(&f.myq, "alice").await;
    let p = f.app.payment(&f.myq, s, "12.50").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(r#"{"amount": 5}"#),
        )
        .await;

    let r = f
        .call(Method::POST, &format!("{A1}/request-close-account"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "pending-close");
    let rels: Vec<Value> = r.json()["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rel"].clone())
        .collect();
    assert_eq!(
        rels,
        [json!("partial-update")],
        "a closing account offers no new cards or raises"
    );
    // No new holds, sessions or raises; money in is still welcome.
    let r = f
        .app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/block"),
            Some(r#"{"amount": 1}"#),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = f
        .app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments"),
            Some(r#"{"amount": 1}"#),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = f
        .app
        .myq(
            &f.myq,
            Method::POST,
            "/sessions",
            Some(r#"{"username": "alice"}"#),
        )
        .await;
    assert_eq!(r.status, 409);
    let r = f.call(Method::POST, "/ledger/credit-account-onboardings/v1/501/accounts/5010000001/apply-for-raised-credit-limit", Some(json!({"creditLimit": 200}))).await;
    assert_eq!(r.status, 409);
    // Paying the debt is not enough while a hold is active; ending the session settles it.
    f.app
        .admin_create(
            &format!("/ledgers/{L}/accounts/5010000001/payments"),
            json!({"amount": 12.5}),
        )
        .await;
    assert_eq!(f.get(A1).await["status"], "pending-close");
    f.app
        .myq(&f.myq, Method::DELETE, &format!("/sessions/{s}"), None)
        .await;
    assert_eq!(f.get(A1).await["status"], "closed");

    // A settled account closes at once.
    let r = f
        .call(
            Method::POST,
            "/ledger/credit-account/v1/501/accounts/5010000002/request-close-account",
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "closed");
}

#[tokio::test]
async fn raised_limits_are_decided_by_the_ledger_policy() {
    let f = setup().await;
    let apply = "/ledger/credit-account-onboardings/v1/501/accounts/5010000001/apply-for-raised-credit-limit";
    let r = f
        .call(Method::POST, apply, Some(json!({"creditLimit": 5000})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json()["status"].clone(), r.json()["creditLimit"].clone()),
        (json!("approved"), dec("5000.00"))
    );
    assert_eq!(f.get(A1).await["creditLimit"], dec("5000.00"));
    let r = f
        .call(Method::POST, apply, Some(json!({"creditLimit": 10000.01})))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["status"], "rejected");
    assert!(r.json()["reason"].as_str().unwrap().contains("10000.00"));
    assert_eq!(f.get(A1).await["creditLimit"], dec("5000.00"));
    let r = f
        .app
        .admin(
            Method::PATCH,
            &format!("/ledgers/{L}"),
            Some(json!({"settings": {"maxCreditLimit": 20000}})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = f
        .call(Method::POST, apply, Some(json!({"creditLimit": 10000.01})))
        .await;
    assert_eq!(r.json()["status"], "approved");
    let r = f.call(Method::POST, apply, Some(json!({}))).await;
    assert_eq!(r.status, 400);
    r.problem(T, "validation");
}

fn card(token: &str, main: bool, nci: &str) -> Value {
    json!({"token": token, "PanTrunc": "85479*********648", "deleted": false, "mainCard": main,
           "cardHolder": {"number": "123465", "name": "test testsson",
                          "nationalConsumerIdentifier": {"value": nci, "countryCode": "SE"}}})
}

#[tokio::test]
async fn cards_are_added_listed_and_deleted_with_one_main_card() {
    let f = setup().await;
    let cards = format!("{A1}/cards");
    let t1 = "954c8699-b38f-47a2-b568-668b8837dad8";
    let r = f
        .call(Method::POST, &cards, Some(card(t1, true, "19101010-1010")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = r.json();
    assert_eq!(c["@id"], format!("{cards}/{t1}"));
    assert_eq!(
        (c["panTrunc"].clone(), c["mainCard"].clone()),
        (json!("85479*********648"), json!(true))
    );
    assert_eq!(
        c["cardHolder"]["nationalConsumerIdentifier"],
        json!({"value": "19101010-1010", "countryCode": "SE"})
    );

    let t2 = "274c8699-b38f-47a2-b568-668b8837da07";
    let r = f
        .call(Method::POST, &cards, Some(card(t2, true, "1212121212")))
        .await;
    assert_eq!(r.status, 409, "a second main card");
    r.problem(T, "conflict");
    let mut second = card(t2, false, "121212-1212");
    second["panTrunc"] = json!("78979*********321");
    second.as_object_mut().unwrap().remove("PanTrunc");
    let r = f.call(Method::POST, &cards, Some(second)).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["panTrunc"], "78979*********321");
    assert_eq!(
        r.json()["cardHolder"]["nationalConsumerIdentifier"]["value"],
        "20121212-1212",
        "stored canonical"
    );
    let r = f
        .call(Method::POST, &cards, Some(card(t2, false, "19101010-1010")))
        .await;
    assert_eq!(r.status, 409, "same token again");

    let list = f.get(&format!("{cards}?$top=1")).await;
    assert_eq!(list["items"][0]["token"], t1);
    assert_eq!(list["view"]["next"], format!("{cards}?$top=1&$skip=1"));
    assert_eq!(f.get(&format!("{cards}/{t2}")).await["mainCard"], false);

    let r = f
        .call(
            Method::PATCH,
            &format!("{cards}/{t1}"),
            Some(json!({"deleted": true})),
        )
        .await;
    assert_eq!((r.status, r.json()["deleted"].clone()), (200, json!(true)));
    let t3 = "11111111-2222-4333-8444-555555555555";
    let r = f
        .call(Method::POST, &cards, Some(card(t3, true, "701063-2391")))
        .await;
    assert_eq!(
        r.status, 201,
        "the main card was deleted, so a new one may be main: {}",
        r.text
    );
    let r = f
        .call(
            Method::PATCH,
            &format!("{cards}/{t1}"),
            Some(json!({"deleted": false})),
        )
        .await;
    assert_eq!(r.status, 409, "undeleting would make two main cards");

    let r = f
        .call(
            Method::PATCH,
            &format!("{cards}/{t2}"),
            Some(json!({"mainCard": true})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get("mainCard")
            .is_some()
    );
    let r = f
        .call(
            Method::GET,
            &format!("{cards}/00000000-0000-4000-8000-000000000000"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
    // A token names its card whatever the case of its hex digits.
    let upper = f.get(&format!("{cards}/{}", t2.to_uppercase())).await;
    assert_eq!(upper["token"], json!(t2));
}

#[tokio::test]
async fn card_holders_need_valid_swedish_identity_numbers() {
    let f = setup().await;
    let cards = format!("{A1}/cards");
    for nci in ["19101010-1011", "19990230-1234", "abc", "19101010"] {
        let r = f
            .call(
                Method::POST,
                &cards,
                Some(card("954c8699-b38f-47a2-b568-668b8837dad8", false, nci)),
            )
            .await;
        assert_eq!(r.status, 400, "{nci}");
        let body = r.problem(T, "validation");
        assert_eq!(
            body["Problems"],
            json!([{"cardHolder.nationalConsumerIdentifier.value": "Not a valid SE nationalConsumerIdentifier"}]),
            "{nci}"
        );
    }
    let r = f
        .call(Method::POST, &cards, Some(json!({"token": "not-a-uuid"})))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get("token")
            .is_some()
    );
    let mut foreign = card("954c8699-b38f-47a2-b568-668b8837dad8", false, "x");
    foreign["cardHolder"]["nationalConsumerIdentifier"] =
        json!({"value": "010190-123A", "countryCode": "FI"});
    assert_eq!(
        f.call(Method::POST, &cards, Some(foreign)).await.status,
        201,
        "other countries are not checked here"
    );
    assert_eq!(
        f.get(&cards).await["items"].as_array().unwrap().len(),
        1,
        "only the good card"
    );
}

#[tokio::test]
async fn recurring_payment_settings_follow_their_rules() {
    let f = setup().await;
    let path = format!("{A1}/recurring-payment-setting");
    let r = f.get(&path).await;
    assert_eq!(
        (r["recurringPaymentScope"].clone(), r["parentHREF"].clone()),
        (Value::Null, json!(A1))
    );
    let r = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"recurringPaymentScope": "fixedRecurring"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get("fixedRecurringAmount")
            .is_some()
    );
    let r = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"recurringPaymentScope": "fixedRecurring", "fixedRecurringAmount": 1500})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.json()["recurringPaymentMethod"].clone(),
            r.json()["fixedRecurringAmount"].clone()
        ),
        (json!("autogiro"), dec("1500.00"))
    );
    let r = f
        .call(
            Method::PATCH,
            &path,
            Some(json!({"recurringPaymentScope": "billedAmount", "fixedRecurringAmount": 0.00})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(f.get(&path).await["fixedRecurringAmount"], Value::Null);
    // Seed 003 writes the URL with a trailing slash; both forms work.
    let slashed = f.get(&format!("{path}/")).await;
    assert_eq!(slashed["recurringPaymentScope"], "billedAmount");
    for (body, field) in [
        (
            json!({"recurringPaymentScope": "sometimes"}),
            "recurringPaymentScope",
        ),
        (
            json!({"recurringPaymentMethod": "swish"}),
            "recurringPaymentMethod",
        ),
        (json!({"nextDate": "2027-01-01"}), "nextDate"),
    ] {
        let r = f.call(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}");
        assert!(
            r.problem(T, "validation")["Problems"][0]
                .get(field)
                .is_some(),
            "{body}"
        );
    }
    assert_eq!(f.get(&path).await["recurringPaymentScope"], "billedAmount");
}

#[tokio::test]
async fn activity_through_apis_a_and_b_shows_here_consistently() {
    let f = setup().await;
    let client = f.app.oauth_client(L, &["credit", "users"]).await;
    // A: a printed job committed, another session still holding a block.
    let s = f.app.session(&f.myq, "alice").await;
    let p = f.app.payment(&f.myq, s, "7.25").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s}/payments/{p}/commit"),
            None,
        )
        .await;
    f.app.clock.advance(time::Duration::days(2));
    let s2 = f.app.session(&f.myq, "alice").await;
    f.app
        .myq(
            &f.myq,
            Method::POST,
            &format!("/sessions/{s2}/block"),
            Some(r#"{"amount": 4}"#),
        )
        .await;
    // B: a recharge (with a token granted now: tokens last 30 minutes).
    let v3 = f.app.bearer(&client, "credit users").await;
    let user = f
        .app
        .authorized(&v3, Method::GET, "/api/v3/users/find?username=alice", None)
        .await
        .json()["users"][0]["id"]
        .clone();
    let r = f
        .app
        .authorized(
            &v3,
            Method::POST,
            "/api/v3/rechargeProviders/external/payments",
            Some(json!({"userId": user, "params": {"amount": 20}})),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    f.app
        .authorized(
            &v3,
            Method::POST,
            &format!("/api/v3/rechargeProviders/external/payments/{id}/commit"),
            None,
        )
        .await;
    // Admin: money received.
    f.app.clock.advance(time::Duration::days(1));
    f.app
        .admin_create(
            &format!("/ledgers/{L}/accounts/5010000001/payments"),
            json!({"amount": 3}),
        )
        .await;

    let txns = f.get(&format!("{A1}/transactions")).await;
    let items = txns["items"].as_array().unwrap();
    let summary: Vec<(String, String, bool)> = items
        .iter()
        .map(|t| {
            (
                t["type"].as_str().unwrap().into(),
                t["amount"].to_string(),
                t["billed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("payment".into(), "3.00".into(), false),
            ("credit".into(), "20.00".into(), false),
            ("purchase".into(), "7.25".into(), false)
        ]
    );
    // 1_800_000_000 is 2027-01-15 (Stockholm); the purchase's hold was reserved that day.
    assert_eq!(
        (items[2]["date"].clone(), items[2]["reserveDate"].clone()),
        (json!("2027-01-15"), json!("2027-01-15"))
    );
    assert_eq!(items[0]["reserveDate"], Value::Null);

    let reservations = f.get(&format!("{A1}/reservations")).await;
    assert_eq!(
        reservations["items"],
        json!([{"amount": dec("4.00"), "description": format!("MyQ session {s2} block"), "date": "2027-01-17"}])
    );

    let a = f.get(A1).await;
    // 100 limit − 7.25 + 20 + 3 = balance 15.75; 4 reserved; available 111.75.
    assert_eq!(
        (
            a["totalBalance"].clone(),
            a["reservedAmount"].clone(),
            a["availableAmount"].clone()
        ),
        (dec("15.75"), dec("4.00"), dec("111.75"))
    );
    assert_eq!(
        f.app.balance(&f.myq, s2).await,
        json!(115.75),
        "A sees the same: available plus its block"
    );
    let v3 = f.app.bearer(&client, "credit").await;
    let b = f
        .app
        .authorized(
            &v3,
            Method::GET,
            &format!("/api/v3/users/{user}/accounts/5010000001/balance"),
            None,
        )
        .await
        .json();
    assert_eq!(b["amount"], json!(111.75), "B sees the same available");

    // Pages and date filters.
    let page = f.get(&format!("{A1}/transactions?$top=2")).await;
    assert_eq!(
        page["view"]["next"],
        format!("{A1}/transactions?$top=2&$skip=2")
    );
    let since = f
        .get(&format!("{A1}/transactions?fromDate=2027-01-16"))
        .await;
    assert_eq!(since["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        since["@id"],
        format!("{A1}/transactions?fromDate=2027-01-16")
    );
    let until = f.get(&format!("{A1}/transactions?toDate=2027-01-15")).await;
    assert_eq!(until["items"][0]["type"], "purchase");
    let r = f
        .call(
            Method::GET,
            &format!("{A1}/transactions?fromDate=yesterday"),
            None,
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get("fromDate")
            .is_some()
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let f = setup().await;
    let r = f
        .call(Method::GET, "/ledger/credit-account/v1/501/nothing", None)
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
    let r = f.call(Method::DELETE, A1, None).await;
    assert_eq!(r.status, 405);
    r.problem(T, "method-not-allowed");
    let huge = json!({"panTrunc": "x".repeat(2_000_000)});
    let r = f
        .call(Method::POST, &format!("{A1}/cards"), Some(huge))
        .await;
    assert_eq!(r.status, 413);
    r.problem(T, "payload-too-large");
}

/// Every card stays in memory, deleted ones too, so an account holds a bounded number.
#[tokio::test]
async fn an_account_takes_at_most_its_limit_of_cards() {
    let f = setup().await;
    let cards = format!("{A1}/cards");
    let token = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    for n in 0..saldo::ledger::MAX_CARDS_PER_ACCOUNT {
        let mut body = card(&token(n), false, "19101010-1010");
        // Deleted cards count like the others.
        body["deleted"] = json!(n % 2 == 0);
        let r = f.call(Method::POST, &cards, Some(body)).await;
        assert_eq!(r.status, 201, "card {n}: {}", r.text);
    }
    let over = token(saldo::ledger::MAX_CARDS_PER_ACCOUNT);
    let r = f
        .call(
            Method::POST,
            &cards,
            Some(card(&over, false, "19101010-1010")),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    r.problem(T, "conflict");
    assert!(r.text.contains("100 cards already"), "{}", r.text);
    let listed = f.get(&format!("{cards}?$top=1000")).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        saldo::ledger::MAX_CARDS_PER_ACCOUNT,
        "the refused one is not there"
    );
}

/// Seed 003's own to-do: the accounts of a person, found by personnummer.
#[tokio::test]
async fn accounts_are_found_by_national_consumer_identifier() {
    let f = Setup::ledger(L)
        .customer(
            "C1",
            json!({"nationalConsumerIdentifier": {"value": "191212121212", "countryCode": "SE"}}),
            "100",
        )
        .customer("C2", json!({}), "50")
        .ledger_bearer()
        .spawn()
        .await;
    let list = |query: &str| format!("/ledger/credit-account/v1/{L}/accounts?{query}");
    // Any of the personnummer's written forms finds the same person (a + marks 100 years).
    for written in ["19121212-1212", "191212121212", "121212%2B1212"] {
        let found = f
            .get(&list(&format!("nationalConsumerIdentifier={written}")))
            .await;
        let numbers: Vec<&Value> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["customerNo"])
            .collect();
        assert_eq!(numbers, [&json!("C1")], "{written}: {found}");
    }
    let nobody = f
        .get(&list("nationalConsumerIdentifier=19101010-1010"))
        .await;
    assert_eq!(nobody["items"], json!([]));
    for (query, field) in [
        (
            "nationalConsumerIdentifier=19121212-1213",
            "nationalConsumerIdentifier",
        ),
        (
            "nationalConsumerIdentifier=X1&countryCode=ZQ",
            "countryCode",
        ),
    ] {
        let r = f.call(Method::GET, &list(query), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        let problem = r.problem("ledger/credit-account/v1/problems/", "validation");
        assert!(
            problem["Problems"][0].get(field).is_some(),
            "{query}: {}",
            r.text
        );
    }
    // The customer the account links to answers.
    let account = &f.get(&list("customerNo=C1")).await["items"][0];
    let customer = f.get(account["customer"].as_str().unwrap()).await;
    assert_eq!(
        (customer["customerNo"].clone(), customer["@id"].clone()),
        (json!("C1"), account["customer"].clone())
    );
}
