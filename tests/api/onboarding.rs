//! The public account transaction API: identity checks, account applications, signing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Fixture, Setup};

const L: &str = "501";
const T: &str = "ledger.account-transaction.";
const PUBLIC: &str = "/ledger/public-account-transaction/v1";

async fn setup() -> Fixture {
    Setup::ledger(L).ledger_bearer().spawn().await
}

/// A valid personnummer for someone born on `yyyymmdd`.
pub(crate) fn pnr(yyyymmdd: &str, serial: &str) -> String {
    let ten = format!("{}{serial}", &yyyymmdd[2..]);
    format!(
        "{yyyymmdd}-{serial}{}",
        saldo::ledger::luhn::check_digit(&ten)
    )
}

pub(crate) fn application(nci: &str, customer_no: &str, limit: f64, pep: bool) -> Value {
    json!({
        "nationalConsumerIdentifier": {"value": nci, "countryCode": "SE"},
        "creditLimit": limit, "customerNo": customer_no,
        "emailAddress": "test@testshop.se", "cellPhone": "+46701234456", "ipAddress": "1.1.1.1",
        "legalAddress": {"name": "John Smith", "streetAddress": "Teststreet", "city": "Testcity",
                         "coAddress": "", "zipCode": "12345", "countryCode": "SE"},
        "kyc": {"questions": [
            {"code": "employment", "text": "Vad är din sysselsättning?", "answer": {"code": "self-employed", "text": "Egen företagare"}},
            {"code": "IsPep", "text": "Är du en person i politiskt utsatt ställning?", "answer": {"code": if pep { "true" } else { "false" }, "text": "Ja"}}
        ]}
    })
}

#[tokio::test]
async fn the_entry_point_offers_onboarding_and_bankid() {
    let f = setup().await;
    let r = f
        .call(Method::GET, &format!("{PUBLIC}/authentications"), None)
        .await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(
        body["accountOffer"],
        "/ledger/public-account-transaction/offers/standard"
    );
    let rels: Vec<&str> = body["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["rel"].as_str().unwrap())
        .collect();
    assert_eq!(
        rels,
        ["onboard-upgrade-account", "begin-bankid-se-authentication"]
    );
    let r = f
        .app
        .request(Method::GET, &format!("{PUBLIC}/authentications"), &[], None)
        .await;
    assert_eq!(r.status, 401);
    r.problem(T, "unauthorized");
}

#[tokio::test]
async fn identity_checks_go_through_the_provider() {
    let f = setup().await;
    let begin = format!("{PUBLIC}/authentications/begin-bankid-se-authentication");
    let r = f.call(Method::POST, &begin, Some(json!({"nationalConsumerIdentifier": {"value": "19121212-1213", "countryCode": "SE"}}))).await;
    assert_eq!(r.status, 400);
    r.problem(T, "validation");
    let r = f.call(Method::POST, &begin, Some(json!({"nationalConsumerIdentifier": {"value": "19121212-1212", "countryCode": "SE"}}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let order = r.json()["orderRef"].as_str().unwrap().to_string();
    let page = r.json()["redirectUrl"].as_str().unwrap().to_string();
    assert_eq!(identity_status(&f, &order).await, "pending");
    let r = f.app.request(Method::GET, &page, &[], None).await;
    assert!(r.text.contains("Confirm your identity"));
    // A POST without a valid decision is a 400 page, as on the SCA page, and decides nothing.
    for form in [vec![], vec![("decision", "maybe")]] {
        let res = f
            .app
            .client
            .post(format!("{}{page}", f.app.url))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{form:?}");
        assert!(res.text().await.unwrap().contains("Choose an answer"));
        assert_eq!(identity_status(&f, &order).await, "pending", "{form:?}");
    }
    let res = f
        .app
        .client
        .post(format!("{}{page}", f.app.url))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(identity_status(&f, &order).await, "complete");

    let r = f.call(Method::POST, &begin, Some(json!({"nationalConsumerIdentifier": {"value": "19121212-1212", "countryCode": "SE"}}))).await;
    let declined = r.json()["orderRef"].as_str().unwrap().to_string();
    let page = r.json()["redirectUrl"].as_str().unwrap().to_string();
    f.app
        .client
        .post(format!("{}{page}", f.app.url))
        .form(&[("decision", "decline")])
        .send()
        .await
        .unwrap();
    assert_eq!(identity_status(&f, &declined).await, "failed");
    let r = f
        .call(
            Method::GET,
            &format!("{PUBLIC}/authentications/00000000-0000-4000-8000-000000000000"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    // Another ledger's token cannot see the order.
    let other_ledger = Setup::ledger("502").ledger_bearer();
    let other = f.app.provision(other_ledger).await.bearer;
    let r = f
        .app
        .request(
            Method::GET,
            &format!("{PUBLIC}/authentications/{order}"),
            &[("authorization", &other)],
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn applications_are_validated_by_the_seeds_property_table() {
    let f = setup().await;
    let apps = format!("{PUBLIC}/account-applications");
    let good = application(&pnr("19800101", "123"), "951753456", 5000.0, false);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/customerNo", json!(null), "customerNo"),
        ("/customerNo", json!("1234567890123456"), "customerNo"),
        ("/emailAddress", json!("test@testshop"), "emailAddress"),
        ("/emailAddress", json!("@testshop.se"), "emailAddress"),
        ("/ipAddress", json!("1.1.1.1 OR 1=1"), "ipAddress"),
        ("/cellPhone", json!("+4670123445678901"), "cellPhone"),
        ("/creditLimit", json!(0), "creditLimit"),
        (
            "/legalAddress/zipCode",
            json!("123 45"),
            "legalAddress.zipCode",
        ),
        ("/legalAddress/name", json!(null), "legalAddress.name"),
        // Two letters, but no assigned ISO 3166-1 code.
        (
            "/legalAddress/countryCode",
            json!("ZQ"),
            "legalAddress.countryCode",
        ),
        (
            "/legalAddress/city",
            json!("x".repeat(31)),
            "legalAddress.city",
        ),
        (
            "/nationalConsumerIdentifier/value",
            json!("19800101-1230"),
            "nationalConsumerIdentifier.value",
        ),
        ("/kyc/questions", json!([]), "kyc.questions"),
        (
            "/kyc/questions/0/answer",
            json!(null),
            "kyc.questions[0].answer",
        ),
        ("/kyc/questions/1/text", json!(""), "kyc.questions[1].text"),
    ];
    for (pointer, value, field) in cases {
        let mut body = good.clone();
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let r = f.call(Method::POST, &apps, Some(body)).await;
        assert_eq!(r.status, 400, "{pointer} = {value}: {}", r.text);
        let problems = r.problem(T, "validation")["Problems"].clone();
        assert!(problems[0].get(field).is_some(), "{pointer}: {problems}");
    }
    let r = f.call(Method::POST, &apps, Some(good)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let created = r.json();
    assert_eq!(
        (created["status"].clone(), created["account"].clone()),
        (json!("awaiting-sign"), Value::Null)
    );
    let id = created["@id"].as_str().unwrap();
    assert!(
        id.starts_with("/ledger/credit-account-onboardings/v1/501/offers/standard/applications/"),
        "{id}"
    );
    assert_eq!(
        created["operations"][0]["href"],
        format!("{id}/sign-agreement")
    );
    assert_eq!(
        created["legalAddress"]["city"], "Testcity",
        "the application as sent"
    );

    let list = f.call(Method::GET, &apps, None).await.json();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "refused applications are not kept"
    );
    let app_id = id.rsplit('/').next().unwrap();
    assert_eq!(
        f.call(Method::GET, &format!("{apps}/{app_id}"), None)
            .await
            .json()["@id"],
        id
    );
    assert_eq!(
        f.call(Method::GET, &format!("{apps}/nope"), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn signing_runs_the_credit_policy_and_opens_an_account() {
    let f = setup().await;
    let adult = pnr("19800101", "123");
    let (approved, href) = apply_and_sign(&f, application(&adult, "951753456", 5000.0, true)).await;
    assert_eq!(approved["status"], "approved");
    let account = approved["account"].as_str().unwrap().to_string();
    let ca = f.call(Method::GET, &account, None).await.json();
    assert_eq!(
        (
            ca["creditLimit"].to_string(),
            ca["customerNo"].clone(),
            ca["status"].clone()
        ),
        ("5000.00".to_string(), json!("951753456"), json!("open"))
    );
    // Signing again changes nothing.
    let again = f.call(Method::POST, &href, None).await.json();
    assert_eq!(again["account"], account);
    // A PEP answer is kept on the customer, not a reason to refuse.
    let customer = f
        .app
        .admin(Method::GET, "/ledgers/501/customers/951753456", None)
        .await
        .json();
    assert_eq!(
        (customer["pep"].clone(), customer["name"].clone()),
        (json!(true), json!("John Smith"))
    );
    assert_eq!(customer["nationalConsumerIdentifier"]["value"], adult);
    // The legal address is where the customer's bills go; an empty c/o line is no line.
    assert_eq!(
        customer["address"],
        json!({"streetAddress": "Teststreet", "coAddress": null, "zipCode": "12345",
               "city": "Testcity", "countryCode": "SE"})
    );

    // The same person applying again reuses the customer and gets a second account.
    let (second, _) = apply_and_sign(&f, application(&adult, "951753456", 1000.0, false)).await;
    assert_eq!(second["status"], "approved");
    assert_ne!(second["account"], account);

    let (minor, _) = apply_and_sign(
        &f,
        application(&pnr("20150101", "123"), "1111", 1000.0, false),
    )
    .await;
    assert_eq!(
        (minor["status"].clone(), minor["reason"].clone()),
        (
            json!("rejected"),
            json!("The applicant must be 18 or older")
        )
    );
    assert_eq!(minor["account"], Value::Null);
    let (greedy, _) = apply_and_sign(
        &f,
        application(&pnr("19700101", "123"), "2222", 10000.01, false),
    )
    .await;
    assert_eq!(greedy["status"], "rejected");
    assert!(greedy["reason"].as_str().unwrap().contains("10000.00"));
    let r = f
        .call(
            Method::POST,
            "/ledger/credit-account-onboardings/v1/501/offers/other/applications/x/sign-agreement",
            None,
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn identity_status(f: &Fixture, order: &str) -> Value {
    let path = format!("{PUBLIC}/authentications/{order}");
    f.call(Method::GET, &path, None).await.json()["status"].clone()
}

/// Applies, signs, and returns the signed application and its sign-agreement link.
async fn apply_and_sign(f: &Fixture, body: Value) -> (Value, String) {
    let created = f
        .call(
            Method::POST,
            &format!("{PUBLIC}/account-applications"),
            Some(body),
        )
        .await
        .json();
    let href = created["operations"][0]["href"]
        .as_str()
        .unwrap()
        .to_string();
    let r = f.call(Method::POST, &href, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (r.json(), href)
}

#[tokio::test]
async fn an_applicant_in_collection_is_rejected() {
    let f = setup().await;
    let person = pnr("19700101", "123");
    let (first, _) = apply_and_sign(&f, application(&person, "777", 1000.0, false)).await;
    assert_eq!(first["status"], "approved");
    // A purchase through API D, never paid, runs through every reminder to collection.
    let base = "/ledger/account-transaction/v1/501";
    let pre = crate::helpers::pre_authorization("777", json!(500), "Exempted");
    assert_eq!(
        f.call(
            Method::POST,
            &format!("{base}/authentications/p1"),
            Some(pre)
        )
        .await
        .status,
        201
    );
    let split = json!({"splitAuthorizationId": "s1", "preAuthorizationId": "p1"});
    assert_eq!(
        f.call(
            Method::POST,
            &format!("{base}/split-authorizations/s1"),
            Some(split)
        )
        .await
        .status,
        201
    );
    let capture = json!({"captureId": "c1", "sellerTransactionId": "t", "currency": "SEK", "monthlyBillingAmount": 0,
                         "months": 0, "totalAmount": 500, "productName": "Bike"});
    assert_eq!(
        f.call(
            Method::POST,
            &format!("{base}/split-authorizations/s1/captures/c1"),
            Some(capture)
        )
        .await
        .status,
        201
    );
    for date in ["2027-01-31", "2027-03-31", "2027-04-30", "2027-05-31"] {
        let r = f
            .app
            .admin(
                Method::POST,
                "/ledgers/501/bill-runs",
                Some(json!({"billDate": date})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (second, _) = apply_and_sign(&f, application(&person, "777", 500.0, false)).await;
    assert_eq!(
        (second["status"].clone(), second["reason"].clone()),
        (
            json!("rejected"),
            json!("The applicant has an account in collection")
        )
    );
}

/// A decided application never changes again: it leaves memory once its batch commits, and
/// is read back from the store when named: by a GET, by the paged list, by signing again.
#[tokio::test]
async fn a_decided_application_leaves_memory_and_is_still_served_from_the_store() {
    let f = setup().await;
    let adult = pnr("19800101", "123");
    let waiting: Value = f
        .call(
            Method::POST,
            &format!("{PUBLIC}/account-applications"),
            Some(application(&adult, "951753456", 5000.0, false)),
        )
        .await
        .json();
    let (decided, href) = apply_and_sign(&f, application(&adult, "951753456", 3000.0, false)).await;
    assert_eq!(decided["status"], "approved");
    let key = |app: &Value| {
        app["@id"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string()
    };
    let (waiting_id, decided_id) = (key(&waiting), key(&decided));

    let id = f.app.engine.ledger_id(L).unwrap();
    let held = |key: String| {
        f.app.engine.read(id, move |l, _| {
            Ok::<_, std::convert::Infallible>(
                l.holds_record(saldo::ledger::Resource::Application, &key),
            )
        })
    };
    assert!(
        held(waiting_id.clone()).await.unwrap().unwrap(),
        "awaiting signature: in memory"
    );
    assert!(
        !held(decided_id.clone()).await.unwrap().unwrap(),
        "decided: only in the store"
    );

    let get = f
        .call(
            Method::GET,
            &format!("{PUBLIC}/account-applications/{decided_id}"),
            None,
        )
        .await;
    assert_eq!(
        (get.status, get.json()["status"].clone()),
        (200, json!("approved"))
    );
    let again = f.call(Method::POST, &href, None).await;
    assert_eq!(
        (again.status, again.json()["account"].clone()),
        (200, decided["account"].clone()),
        "signing again changes nothing"
    );
    assert!(
        !held(decided_id.clone()).await.unwrap().unwrap(),
        "and it left again"
    );

    // The list pages through the store: both, by id, one per page here.
    let list = |skip: u32| format!("{PUBLIC}/account-applications?$top=1&$skip={skip}");
    let first = f.call(Method::GET, &list(0), None).await.json();
    let second = f.call(Method::GET, &list(1), None).await.json();
    let mut ids = vec![key(&first["items"][0]), key(&second["items"][0])];
    assert!(first["view"]["next"].is_string() && second["view"]["next"].is_null());
    ids.sort();
    let mut expected = vec![waiting_id, decided_id];
    expected.sort();
    assert_eq!(ids, expected);
    let refused = f
        .call(
            Method::GET,
            &format!("{PUBLIC}/account-applications?$top=0"),
            None,
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    // As far as `$skip` goes: past the end, an empty page without a next one.
    let far = format!("{PUBLIC}/account-applications?$skip={}", i64::MAX);
    let beyond = f.call(Method::GET, &far, None).await;
    assert_eq!(beyond.status, 200, "{}", beyond.text);
    assert_eq!(
        (
            beyond.json()["items"].clone(),
            beyond.json()["view"]["next"].clone()
        ),
        (json!([]), Value::Null)
    );
}
