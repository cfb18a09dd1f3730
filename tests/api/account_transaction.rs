//! API D, the Account Transaction API (SPEC §6): pre-authorizations, SCA, split
//! authorizations, captures, reversals, cancellations, expiry and idempotent ids.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, Reply, Setup, dec};

const L: &str = "501";
const T: &str = "ledger.account-transaction.";
const BASE: &str = "/ledger/account-transaction/v1/501";
const A1: &str = "/ledger/credit-account/v1/501/accounts/5010000001";

impl Fixture {
    /// Pre-authorizes `amount` for alice and returns the resource.
    async fn pre_auth(&self, id: &str, amount: &str, sca: &str) -> Value {
        let r = self
            .post(
                &format!("{BASE}/authentications/{id}"),
                pre_auth_body(amount, sca),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }

    async fn split(&self, id: &str, pre_auth: &str) -> Reply {
        self.post(
            &format!("{BASE}/split-authorizations/{id}"),
            json!({"splitAuthorizationId": id, "preAuthorizationId": pre_auth}),
        )
        .await
    }

    async fn capture(&self, split: &str, id: &str, total: &str) -> Reply {
        self.post(
            &format!("{BASE}/split-authorizations/{split}/captures/{id}"),
            capture_body(id, total, 0, "0"),
        )
        .await
    }
}

pub(crate) fn pre_auth_body(amount: &str, sca: &str) -> Value {
    json!({
        "@id": "", "customer": {"nationalConsumerIdentifier": {"value": "19121212-1212", "countryCode": "SE"},
                     "email": "alice@example.com", "msisdn": "+46701234567", "customerNo": "C1"},
        "sellerNo": "S-77", "sellerReferenceId": "order-9", "profileName": "standard",
        "authorizationAmount": dec(amount), "currency": "SEK", "externalReference": "ext-1",
        "assesment": {"assessmentUrl": "https://shop.example/assess", "scaStatus": sca},
    })
}

fn capture_body(id: &str, total: &str, months: u32, monthly: &str) -> Value {
    json!({"captureId": id, "sellerTransactionId": format!("tx-{id}"), "currency": "SEK",
           "monthlyBillingAmount": dec(monthly), "months": months, "totalAmount": dec(total),
           "productName": "Sofa Ektorp"})
}

/// Alice (C1, 19121212-1212, limit 1000) in ledger 501, and a ledger token.
pub(crate) async fn setup() -> Fixture {
    Setup::ledger(L)
        .customer(
            "C1",
            json!({"nationalConsumerIdentifier": {"value": "191212121212", "countryCode": "SE"}}),
            "1000",
        )
        .ledger_bearer()
        .spawn()
        .await
}

#[tokio::test]
async fn pre_authorizations_decide_on_sca() {
    let f = setup().await;
    let small = f.pre_auth("a1", "100", "None").await;
    assert_eq!(small["status"], "approved");
    assert_eq!(small["@id"], format!("{BASE}/authentications/a1"));
    assert_eq!(
        (
            small["sellerNo"].clone(),
            small["authorizationAmount"].clone()
        ),
        (json!("S-77"), dec("100.00"))
    );
    assert_eq!(small["customer"]["customerNo"], "C1");
    assert_eq!(
        small["validUntil"], "2027-01-15T09:15:00+01:00",
        "15 minutes, in Stockholm time"
    );
    assert_eq!(small["operations"][0]["rel"], "add-split-authorization");

    let large = f.pre_auth("a2", "300.01", "None").await;
    assert_eq!(
        (
            large["status"].clone(),
            large["operations"][0]["rel"].clone()
        ),
        (json!("awaiting-sca"), json!("redirect"))
    );
    assert_eq!(
        f.pre_auth("a3", "10", "Required").await["status"],
        "awaiting-sca"
    );
    assert_eq!(
        f.pre_auth("a4", "900", "Exempted").await["status"],
        "approved"
    );
    // The seed's names match without regard to case.
    assert_eq!(
        f.pre_auth("a6", "10", "required").await["status"],
        "awaiting-sca"
    );
    assert_eq!(
        f.pre_auth("a7", "900", "EXEMPTED").await["status"],
        "approved"
    );
    // The other spelling, and identification by national id alone.
    let mut body = pre_auth_body("10", "Required");
    body["assessment"] = body.as_object_mut().unwrap().remove("assesment").unwrap();
    body["customer"]["customerNo"] = json!("");
    let r = f.post(&format!("{BASE}/authentications/a5"), body).await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (201, json!("awaiting-sca"))
    );
    assert_eq!(
        f.get(&format!("{BASE}/authentications/a2")).await["status"],
        "awaiting-sca"
    );
    let r = f
        .app
        .request(
            Method::GET,
            &format!("{BASE}/authentications/nope"),
            &[("authorization", &f.bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
}

#[tokio::test]
async fn credit_checks_and_bad_input_are_refused() {
    let f = setup().await;
    let r = f
        .post(
            &format!("{BASE}/authentications/big"),
            pre_auth_body("1000.01", "Exempted"),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.problem(T, "credit-check-rejected")["Detail"]
            .as_str()
            .unwrap()
            .contains("Insufficient credit")
    );
    let mut stranger = pre_auth_body("10", "None");
    stranger["customer"]["customerNo"] = json!("nobody");
    stranger["customer"]["nationalConsumerIdentifier"]["value"] = json!("");
    let r = f
        .post(&format!("{BASE}/authentications/s1"), stranger)
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    r.problem(T, "credit-check-rejected");
    const NCI: &str = "/customer/nationalConsumerIdentifier";
    for (pointer, value, field) in [
        ("/sellerNo", json!(null), "sellerNo"),
        ("/sellerNo", json!(""), "sellerNo"),
        ("/authorizationAmount", json!(0), "authorizationAmount"),
        ("/authorizationAmount", json!("ten"), "authorizationAmount"),
        ("/currency", json!("EUR"), "currency"),
        (
            &format!("{NCI}/value"),
            json!("19121212-1213"),
            "customer.nationalConsumerIdentifier.value",
        ),
        (
            &format!("{NCI}/value"),
            json!("121212-0008"),
            "customer.nationalConsumerIdentifier.value",
        ),
        (
            &format!("{NCI}/value"),
            json!("19121212+1212"),
            "customer.nationalConsumerIdentifier.value",
        ),
        (
            &format!("{NCI}/countryCode"),
            json!("ZQ"),
            "customer.nationalConsumerIdentifier.countryCode",
        ),
        (
            "/customer",
            json!({}),
            "customer.nationalConsumerIdentifier",
        ),
        (
            "/assesment/scaStatus",
            json!("garbage"),
            "assesment.scaStatus",
        ),
        ("/assesment/scaStatus", json!(1), "assesment.scaStatus"),
        ("/customer/email", json!(5), "customer.email"),
    ] {
        let mut body = pre_auth_body("10", "None");
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let r = f.post(&format!("{BASE}/authentications/v1"), body).await;
        assert_eq!(r.status, 400, "{pointer} = {value}: {}", r.text);
        assert!(
            r.problem(T, "validation")["Problems"][0]
                .get(field)
                .is_some(),
            "{pointer} = {value}: {}",
            r.text
        );
    }
    let mut nobody = pre_auth_body("10", "None");
    nobody["customer"]["customerNo"] = json!("");
    nobody["customer"]["nationalConsumerIdentifier"]["value"] = json!("");
    let r = f.post(&format!("{BASE}/authentications/v1"), nobody).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text
            .contains("needs customerNo or nationalConsumerIdentifier"),
        "{}",
        r.text
    );
}

/// Every field seed 004 marks required is required: each one left out is a 400 naming it,
/// and nothing is created.
#[tokio::test]
async fn every_field_the_seed_requires_is_required() {
    let f = setup().await;
    let required = [
        (
            "/authentications/r1",
            pre_auth_body("10", "None"),
            vec![
                "@id",
                "customer",
                "customer.nationalConsumerIdentifier",
                "customer.nationalConsumerIdentifier.value",
                "customer.nationalConsumerIdentifier.countryCode",
                "customer.email",
                "customer.msisdn",
                "customer.customerNo",
                "sellerNo",
                "sellerReferenceId",
                "profileName",
                "authorizationAmount",
                "currency",
                "externalReference",
                "assesment",
                "assesment.assessmentUrl",
                "assesment.scaStatus",
            ],
        ),
        (
            "/split-authorizations/s1",
            json!({"splitAuthorizationId": "s1", "preAuthorizationId": "a1"}),
            vec!["splitAuthorizationId", "preAuthorizationId"],
        ),
        (
            "/split-authorizations/s1/captures/c1",
            capture_body("c1", "5", 0, "0"),
            vec![
                "captureId",
                "sellerTransactionId",
                "currency",
                "monthlyBillingAmount",
                "months",
                "totalAmount",
                "productName",
            ],
        ),
        (
            "/split-authorizations/s1/captures/c1/reversals/r1",
            json!({"reversalId": "r1", "currency": "SEK", "amount": 1, "sellerTransactionId": "t"}),
            vec!["reversalId", "currency", "amount", "sellerTransactionId"],
        ),
    ];
    f.pre_auth("a1", "100", "None").await;
    for (path, body, fields) in required {
        for field in fields {
            let mut partial = body.clone();
            let (parent, name) = match field.rsplit_once('.') {
                Some((parent, name)) => (format!("/{}", parent.replace('.', "/")), name),
                None => (String::new(), field),
            };
            partial
                .pointer_mut(&parent)
                .unwrap()
                .as_object_mut()
                .unwrap()
                .remove(name);
            let r = f.post(&format!("{BASE}{path}"), partial).await;
            assert_eq!(r.status, 400, "{path} without {field}: {}", r.text);
            let problem = r.problem(T, "validation");
            assert_eq!(
                problem["Problems"][0][field], "is required",
                "{path}: {}",
                r.text
            );
        }
    }
    let r = f
        .call(Method::GET, &format!("{BASE}/authentications/r1"), None)
        .await;
    assert_eq!(r.status, 404, "nothing was created: {}", r.text);
}

#[tokio::test]
async fn client_chosen_ids_make_posts_safe_to_retry() {
    let f = setup().await;
    let path = format!("{BASE}/authentications/r1");
    let first = f.post(&path, pre_auth_body("100", "None")).await;
    // The same body with its keys in another order is the same request.
    let mut reordered = serde_json::Map::new();
    let body = pre_auth_body("100", "None");
    for (k, v) in body.as_object().unwrap().iter().rev() {
        reordered.insert(k.clone(), v.clone());
    }
    let again = f.post(&path, Value::Object(reordered)).await;
    assert_eq!(
        (again.status, &again.text),
        (first.status, &first.text),
        "the stored answer, byte for byte"
    );
    let other = f.post(&path, pre_auth_body("101", "None")).await;
    assert_eq!(other.status, 409);
    assert!(
        other.problem(T, "conflict")["Detail"]
            .as_str()
            .unwrap()
            .contains("different request")
    );

    let s1 = f.split("s1", "r1").await;
    assert_eq!(s1.status, 201, "{}", s1.text);
    assert_eq!(f.split("s1", "r1").await.text, s1.text);
    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s1"),
            json!({"preAuthorizationId": "r1", "splitAuthorizationId": "s1", "@id": "x"}),
        )
        .await;
    assert_eq!(r.status, 409, "a different body under the same id");

    // Twenty concurrent identical captures: one debit, twenty equal answers.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, url, bearer) = (f.app.client.clone(), f.app.url.clone(), f.bearer.clone());
        let body = capture_body("c1", "40", 0, "0").to_string();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{url}{BASE}/split-authorizations/s1/captures/c1"))
                .header("authorization", bearer)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        answers.iter().all(|a| a == &answers[0] && a.0 == 201),
        "{answers:?}"
    );
    let account = f.get(A1).await;
    assert_eq!(account["totalBalance"], dec("-40.00"), "captured once");
    assert_eq!(account["reservedAmount"], dec("60.00"));

    // Reversals too: the same body again is the same answer, another body a conflict.
    let path = format!("{BASE}/split-authorizations/s1/captures/c1/reversals/rv1");
    let body =
        json!({"reversalId": "rv1", "currency": "SEK", "amount": 10, "sellerTransactionId": "ret"});
    let first = f.post(&path, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = f.post(&path, body).await;
    assert_eq!((again.status, again.text), (first.status, first.text));
    let other = f.post(&path, json!({"reversalId": "rv1", "currency": "SEK", "amount": 11, "sellerTransactionId": "ret"})).await;
    assert_eq!(other.status, 409);
    other.problem(T, "conflict");
    assert_eq!(
        f.get(A1).await["totalBalance"],
        dec("-30.00"),
        "reversed once"
    );
}

#[tokio::test]
async fn a_retry_gets_the_resource_as_it_is_now_and_numbers_compare_by_value() {
    let f = setup().await;
    f.pre_auth("n1", "100", "None").await;
    // `100.00` is the same number as `100`: the same request, not a conflict.
    let again = f
        .post(
            &format!("{BASE}/authentications/n1"),
            pre_auth_body("100.00", "None"),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.text);
    let split = f.split("n1s", "n1").await;
    assert_eq!(split.status, 201, "{}", split.text);
    assert_eq!(split.json()["status"], "authorized", "{}", split.text);
    assert_eq!(f.capture("n1s", "n1c", "100").await.status, 201);

    // A retried pre-authorization shows it as it is now: used, so no operation is left.
    let pre_auth = f
        .post(
            &format!("{BASE}/authentications/n1"),
            pre_auth_body("100", "None"),
        )
        .await;
    assert_eq!(pre_auth.status, 201, "{}", pre_auth.text);
    assert_eq!(
        pre_auth.json(),
        f.get(&format!("{BASE}/authentications/n1")).await
    );
    assert_eq!(
        pre_auth.json()["operations"],
        json!([]),
        "{}",
        pre_auth.text
    );

    // The split was captured since: a retry shows that, as a GET does, with the first status.
    let retried = f.split("n1s", "n1").await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let now = f.get(&format!("{BASE}/split-authorizations/n1s")).await;
    assert_eq!(retried.json(), now);
    assert_ne!(
        retried.text, split.text,
        "the current state, not the first answer"
    );
    assert_eq!(
        f.get(A1).await["totalBalance"],
        dec("-100.00"),
        "the retries changed nothing"
    );

    // A capture id names a capture only under its own split authorization.
    f.pre_auth("n2", "10", "None").await;
    assert_eq!(f.split("n2s", "n2").await.status, 201);
    let elsewhere = f.capture("n2s", "n1c", "10").await;
    assert_eq!(
        elsewhere.status, 201,
        "another split's own n1c: {}",
        elsewhere.text
    );
    assert_eq!(elsewhere.json()["totalAmount"], dec("10.00"));
    let first = f
        .get(&format!("{BASE}/split-authorizations/n1s/captures/n1c"))
        .await;
    assert_eq!(
        first["totalAmount"],
        dec("100.00"),
        "n1s's n1c is untouched"
    );
}

#[tokio::test]
async fn ids_are_unique_under_their_parent_and_unknown_parents_are_404() {
    let f = setup().await;
    for n in ["1", "2"] {
        f.pre_auth(&format!("p{n}"), "100", "None").await;
        assert_eq!(
            f.split(&format!("s{n}"), &format!("p{n}")).await.status,
            201
        );
        let c = f.capture(&format!("s{n}"), "c1", "50").await;
        assert_eq!(c.status, 201, "capture c1 under s{n}: {}", c.text);
        let r = f
            .post(
                &format!("{BASE}/split-authorizations/s{n}/captures/c1/reversals/r1"),
                json!({"reversalId": "r1", "currency": "SEK", "amount": dec("5"), "sellerTransactionId": "t"}),
            )
            .await;
        assert_eq!(r.status, 201, "reversal r1 under s{n}/c1: {}", r.text);
    }
    assert_eq!(
        f.get(A1).await["totalBalance"],
        dec("-90.00"),
        "two captures, two reversals"
    );

    let unknown_split = f.capture("nope", "c1", "1").await;
    assert_eq!(unknown_split.status, 404, "{}", unknown_split.text);
    unknown_split.problem(T, "not-found");
    let unknown_capture = f
        .post(
            &format!("{BASE}/split-authorizations/s1/captures/c9/reversals/r1"),
            json!({"reversalId": "r1", "currency": "SEK", "amount": dec("1"), "sellerTransactionId": "t"}),
        )
        .await;
    assert_eq!(unknown_capture.status, 404, "{}", unknown_capture.text);
    let reversal = f
        .get(&format!("{BASE}/split-authorizations/s2/captures/c1"))
        .await;
    assert_eq!(reversal["reversedAmount"], dec("5.00"));

    let slash = f
        .post(
            &format!("{BASE}/split-authorizations/s1/captures/a%2Fb"),
            capture_body("a/b", "1", 0, "0"),
        )
        .await;
    assert_eq!(slash.status, 400, "{}", slash.text);
    assert!(slash.text.contains("captureId"), "{}", slash.text);
}

async fn redirect(f: &Fixture, id: &str, return_url: &str) -> String {
    let r = f
        .post(
            &format!("{BASE}/authentications/{id}/redirect"),
            json!({"returnUrl": return_url, "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.json()["redirectUrl"].as_str().unwrap().to_string();
    url.strip_prefix(&f.app.url)
        .expect("a link to this server")
        .to_string()
}

/// The link to the SCA page carries a one-time token: it is built from the configured
/// public URL, never from the request's `Host` header, which the caller chooses.
#[tokio::test]
async fn the_sca_link_ignores_a_forged_host_header() {
    let f = setup().await;
    f.pre_auth("h1", "500", "Required").await;
    let body = json!({"returnUrl": "https://shop.example/back", "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}});
    let r = f
        .app
        .request(
            Method::POST,
            &format!("{BASE}/authentications/h1/redirect"),
            &[
                ("authorization", &f.bearer),
                ("content-type", "application/json"),
                ("host", "evil.example"),
                ("x-forwarded-proto", "https"),
            ],
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let url = r.json()["redirectUrl"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/ledger/", f.app.url)), "{url}");
}

#[tokio::test]
async fn the_sca_page_approves_or_declines_once() {
    let f = setup().await;
    f.pre_auth("big", "450", "None").await;
    let page = redirect(&f, "big", "https://shop.example/done?order=9").await;
    let r = f.app.request(Method::GET, &page, &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'nonce-"),
        "{csp}"
    );
    assert!(
        csp.contains("form-action 'self' https://shop.example"),
        "{csp}"
    );
    for text in ["450.00 SEK", "S-77", "Approve", "Decline", "lang=\"en\""] {
        assert!(r.text.contains(text), "{text} missing:\n{}", r.text);
    }
    assert!(!r.text.contains("<script"), "no scripts");
    assert!(!r.text.contains("http"), "no external assets");

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .post(format!("{}{page}", f.app.url))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "https://shop.example/done?order=9&status=approved&authenticationId=big"
    );
    assert_eq!(
        f.get(&format!("{BASE}/authentications/big")).await["status"],
        "approved"
    );
    let again = no_redirects
        .post(format!("{}{page}", f.app.url))
        .form(&[("decision", "decline")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 410);
    assert!(again.text().await.unwrap().contains("already been used"));
    assert_eq!(
        f.get(&format!("{BASE}/authentications/big")).await["status"],
        "approved",
        "the second answer changed nothing"
    );
    let r = f
        .post(
            &format!("{BASE}/authentications/big/redirect"),
            json!({"returnUrl": "https://shop.example/", "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}}),
        )
        .await;
    assert_eq!(r.status, 422, "no redirect once approved");
    r.problem(T, "invalid-authentication-state");

    f.pre_auth("no", "500", "None").await;
    let page = redirect(&f, "no", "https://shop.example/done").await;
    let res = no_redirects
        .post(format!("{}{page}", f.app.url))
        .form(&[("decision", "decline")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["location"],
        "https://shop.example/done?status=declined&authenticationId=no"
    );
    let r = f.split("sno", "no").await;
    assert_eq!(r.status, 422);
    r.problem(T, "invalid-authentication-state");

    f.pre_auth("late", "500", "None").await;
    let page = redirect(&f, "late", "https://shop.example/done").await;
    f.app.clock.advance(time::Duration::minutes(16));
    let r = f.app.request(Method::GET, &page, &[], None).await;
    assert_eq!(r.status, 410);
    assert!(r.text.contains("run out"));
    let r = f
        .app
        .request(
            Method::GET,
            "/ledger/public-account-transaction/v1/sca/501.nonsense",
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(r.text.contains("not valid"));
    let r = f
        .post(
            &format!("{BASE}/authentications/big/redirect"),
            json!({"returnUrl": "not a url", "redirectOptions": {"nativeAppSwitchingUrl": "", "autostartAction": "", "languageCode": "en"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get("returnUrl")
            .is_some(),
        "{}",
        r.text
    );
    let r = f
        .post(
            &format!("{BASE}/authentications/big/redirect"),
            json!({"returnUrl": "https://shop.example/", "redirectOptions": {"languageCode": "en"}}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let field = "redirectOptions.nativeAppSwitchingUrl";
    assert!(
        r.problem(T, "validation")["Problems"][0]
            .get(field)
            .is_some(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn splits_hold_credit_until_captured_reversed_or_cancelled() {
    let f = setup().await;
    f.pre_auth("p1", "100", "None").await;
    let s = f.split("s1", "p1").await;
    assert_eq!(s.status, 201);
    let split = s.json();
    assert_eq!(
        (
            split["status"].clone(),
            split["remainingAmount"].clone(),
            split["sellerNumber"].clone()
        ),
        (json!("authorized"), dec("100.00"), json!("S-77"))
    );
    assert_eq!(split["validToDate"], "2027-02-14T09:00:00+01:00", "30 days");
    let rels: Vec<Value> = split["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rel"].clone())
        .collect();
    assert_eq!(rels, [json!("capture"), json!("cancel")]);
    let reservations = f.get(&format!("{A1}/reservations")).await;
    assert_eq!(
        reservations["items"][0]["amount"],
        dec("100.00"),
        "visible in API C"
    );
    let r = f.split("s2", "p1").await;
    assert_eq!(r.status, 422, "a pre-authorization is used once");
    r.problem(T, "invalid-authentication-state");

    let c = f.capture("s1", "c1", "40").await;
    assert_eq!(c.status, 201, "{}", c.text);
    assert_eq!(
        (c.json()["accountNo"].clone(), c.json()["account"].clone()),
        (json!("5010000001"), json!(A1))
    );
    assert_eq!(c.json()["operations"][0]["rel"], "add-reversal");
    let purchase = &f.get(&format!("{A1}/transactions")).await["items"][0];
    assert_eq!(
        (
            purchase["type"].clone(),
            purchase["description"].clone(),
            purchase["amount"].clone()
        ),
        (json!("purchase"), json!("Sofa Ektorp"), dec("40.00"))
    );
    assert_eq!(purchase["reserveDate"], "2027-01-15");
    let r = f.capture("s1", "c2", "60.01").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem(T, "conflict")["Detail"],
        "Insufficient authorized amount"
    );

    let r = f.post(&format!("{BASE}/split-authorizations/s1/captures/c1/reversals/r1"), json!({"reversalId": "r1", "currency": "SEK", "amount": 15, "sellerTransactionId": "ret-1"})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["amount"], dec("15.00"));
    let r = f.post(&format!("{BASE}/split-authorizations/s1/captures/c1/reversals/r2"), json!({"reversalId": "r2", "currency": "SEK", "amount": 25.01, "sellerTransactionId": "ret-2"})).await;
    assert_eq!(r.status, 409, "only 25.00 is left to reverse");
    assert_eq!(
        f.get(&format!("{BASE}/split-authorizations/s1/captures/c1"))
            .await["reversedAmount"],
        dec("15.00")
    );

    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s1/cancellations"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (201, json!("cancelled"))
    );
    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s1/cancellations"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (201, json!("cancelled")),
        "cancelling twice is harmless"
    );
    let r = f.capture("s1", "c3", "1").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem(T, "conflict")["Detail"],
        "Authorization is cancelled"
    );
    let account = f.get(A1).await;
    // 40 captured, 15 reversed: owes 25; the 60 left was released.
    assert_eq!(
        (
            account["totalBalance"].clone(),
            account["reservedAmount"].clone()
        ),
        (dec("-25.00"), dec("0.00"))
    );

    f.pre_auth("p2", "50", "None").await;
    f.split("s2", "p2").await;
    assert_eq!(f.capture("s2", "c4", "50").await.status, 201);
    assert_eq!(
        f.get(&format!("{BASE}/split-authorizations/s2")).await["status"],
        "captured"
    );
    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s2/cancellations"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem(T, "conflict")["Detail"],
        "Authorization already captured"
    );
}

#[tokio::test]
async fn authorizations_expire_by_the_sweeper_and_on_access() {
    let f = setup().await;
    f.pre_auth("p1", "100", "None").await;
    f.split("s1", "p1").await;
    f.pre_auth("p2", "200", "None").await;
    f.split("s2", "p2").await;
    f.pre_auth("p3", "10", "None").await;
    f.app.clock.advance(time::Duration::minutes(16));
    let r = f.split("s3", "p3").await;
    assert_eq!(r.status, 422, "the pre-authorization ran out");
    r.problem(T, "authentication-is-no-longer-valid");

    f.app.clock.advance(time::Duration::days(30));
    // Lazily: a read finds s1 expired before any sweep.
    let s1 = f.get(&format!("{BASE}/split-authorizations/s1")).await;
    assert_eq!(
        (s1["status"].clone(), s1["operations"].clone()),
        (json!("expired"), json!([]))
    );
    assert_eq!(
        f.app.engine.sweep().await.unwrap().authorizations,
        1,
        "the sweeper takes s2"
    );
    assert_eq!(
        f.get(A1).await["reservedAmount"],
        dec("0.00"),
        "both holds released"
    );
    let r = f.capture("s2", "c1", "1").await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.problem(T, "conflict")["Detail"],
        "Authorization has expired"
    );
}

#[tokio::test]
async fn part_payment_instalments_raise_the_minimum_to_pay() {
    let f = setup().await;
    f.pre_auth("p1", "900", "Exempted").await;
    f.split("s1", "p1").await;
    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s1/captures/c1"),
            capture_body("c1", "900", 6, "150"),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["months"], 6);
    let r = f
        .app
        .admin(
            Method::POST,
            &format!("/ledgers/{L}/bill-runs"),
            Some(json!({"billDate": "2027-02-28"})),
        )
        .await;
    let bill = &r.json()["bills"][0];
    // 3 % of 900 is 27 and the floor is 100, but this month's instalment is 150.
    assert_eq!(
        bill["activePaymentDetails"]["minimumAmountToBePayed"],
        dec("150.00")
    );
    let r = f
        .post(
            &format!("{BASE}/split-authorizations/s1/captures/c2"),
            capture_body("c2", "1", 3, "0"),
        )
        .await;
    assert_eq!(r.status, 400, "a plan needs an instalment");
}

#[tokio::test]
async fn tokens_and_routes_answer_with_problems() {
    let f = setup().await;
    let r = f
        .app
        .request(
            Method::POST,
            &format!("{BASE}/authentications/x"),
            &[],
            Some("{}"),
        )
        .await;
    assert_eq!(r.status, 401);
    r.problem(T, "unauthorized");
    let other_ledger = Setup::ledger("502").ledger_bearer();
    let other = f.app.provision(other_ledger).await.bearer;
    let r = f
        .app
        .request(
            Method::GET,
            &format!("{BASE}/authentications/x"),
            &[("authorization", &other)],
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    let r = f
        .app
        .request(
            Method::GET,
            &format!("{BASE}/nothing"),
            &[("authorization", &f.bearer)],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    r.problem(T, "not-found");
    let r = f
        .app
        .request(
            Method::POST,
            &format!("{BASE}/authentications/x"),
            &[("authorization", &f.bearer)],
            Some("{oops"),
        )
        .await;
    assert_eq!(r.status, 400);
    r.problem(T, "validation");
}

/// `months` is a whole number from 0 to 120 however it is written: a fraction, a negative, a
/// number beyond any integer type, or a string is refused by name and captures nothing;
/// `6.0` is the whole number 6, as JSON Schema counts it.
#[tokio::test]
async fn months_out_of_range_are_refused_whatever_their_size() {
    let f = setup().await;
    // Under the SCA threshold: approved at once.
    f.pre_auth("a1", "120", "None").await;
    assert_eq!(f.split("s1", "a1").await.status, 201);
    let path = format!("{BASE}/split-authorizations/s1/captures/c1");
    for months in [
        json!(121),
        json!(-1),
        json!(1.5),
        json!(4294967296u64),
        serde_json::from_str::<Value>("1e400").unwrap(),
        json!("6"),
    ] {
        let mut body = capture_body("c1", "120", 0, "20");
        body["months"] = months.clone();
        let r = f.post(&path, body).await;
        assert_eq!(r.status, 400, "{months}: {}", r.text);
        assert_eq!(
            r.problem(T, "validation")["Problems"][0]["months"],
            "must be a whole number from 0 to 120",
            "{months}"
        );
    }
    assert_eq!(f.call(Method::GET, &path, None).await.status, 404);
    let mut body = capture_body("c1", "120", 0, "20");
    body["months"] = serde_json::from_str("6.0").unwrap();
    let r = f.post(&path, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["months"], 6, "{}", r.text);
}

#[tokio::test]
async fn a_body_sent_as_text_is_a_validation_problem_and_creates_nothing() {
    let f = setup().await;
    let res = f
        .app
        .client
        .post(format!("{}{BASE}/authentications/t1", f.app.url))
        .header("authorization", &f.bearer)
        .header("content-type", "text/plain")
        .body(pre_auth_body("100", "None").to_string())
        .send()
        .await
        .unwrap();
    let r = Reply::read(res).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let problem = r.problem(T, "validation");
    assert_eq!(
        problem["Detail"],
        "Content-Type: must be application/json, not text/plain"
    );
    let r = f
        .call(Method::GET, &format!("{BASE}/authentications/t1"), None)
        .await;
    assert_eq!(r.status, 404, "nothing was created: {}", r.text);
}
