//! Request examples for the API reference, taken from the vendors' documents (`seeds/`), in
//! their key order. Where a seed gives a placeholder (`"string"`, `0`, `"None"`), the example
//! holds a value of that shape that saldo accepts, so that a client can send it as it is.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::path::Operation;

use super::body::Invalid;
use super::{account_transaction, admin, credit_account, myq_external, myq_v3, wire};

/// An operation's request example, and the check that its endpoint's type reads it.
pub struct Example {
    pub operation: &'static str,
    pub body: Value,
    /// Only the tests call it: they check every example against its type.
    #[cfg_attr(not(test), allow(dead_code))]
    pub reads: fn(&Value) -> Result<(), Invalid>,
}

fn reads<T: DeserializeOwned>(body: &Value) -> Result<(), Invalid> {
    wire::parse::<T>(body).map(|_| ())
}

fn example(
    operation: &'static str,
    body: Value,
    reads: fn(&Value) -> Result<(), Invalid>,
) -> Example {
    Example {
        operation,
        body,
        reads,
    }
}

/// Seed 000: the MyQ External Account API.
fn myq_external() -> Vec<Example> {
    use myq_external::types::{AmountRequest, SessionRequest};
    let amount = || json!({"amount": 2.5});
    vec![
        example(
            "openSession",
            json!({"username": "alice", "aliases": ["alice@example.edu"], "cards": ["CARD-1"], "personalnumber": "19121212-1212"}),
            reads::<SessionRequest>,
        ),
        example("blockCredit", amount(), reads::<AmountRequest>),
        example("createSessionPayment", amount(), reads::<AmountRequest>),
        example(
            "patchSessionPayment",
            json!({"amount": 2}),
            reads::<AmountRequest>,
        ),
    ]
}

/// Seed 001: MyQ X REST API v3's credit recharge, with the seed's own values.
fn myq_v3() -> Vec<Example> {
    use myq_v3::types::{CreatePayment, UpdatePayment};
    vec![
        example(
            "createRechargePayment",
            json!({"userId": 1176, "params": {"amount": 13}}),
            reads::<CreatePayment>,
        ),
        example(
            "updateRechargePayment",
            json!({"description": "Payment from Acme app", "params": {"amount": 20}}),
            reads::<UpdatePayment>,
        ),
    ]
}

/// Seed 003: the Credit Account API, with the seed's own values.
fn credit_account() -> Vec<Example> {
    use credit_account::types::{
        AccountPatch, CardPatch, CardRequest, RaiseRequest, RecurringPatch,
    };
    vec![
        example(
            "patchAccount",
            json!({"creditLimit": 2000.00, "charityDonation": true}),
            reads::<AccountPatch>,
        ),
        example(
            "applyForRaisedCreditLimit",
            json!({"creditLimit": 3000.00}),
            reads::<RaiseRequest>,
        ),
        example(
            "patchRecurringPaymentSetting",
            json!({"recurringPaymentScope": "billedAmount", "fixedRecurringAmount": 0.00}),
            reads::<RecurringPatch>,
        ),
        example(
            "addCard",
            json!({
                "token": "954c8699-b38f-47a2-b568-668b8837dad8",
                "PanTrunc": "85479*********648",
                "deleted": false,
                "mainCard": true,
                "cardHolder": {
                    "number": "123465",
                    "name": "test testsson",
                    "nationalConsumerIdentifier": {"value": "19101010-1010", "countryCode": "SE"}
                }
            }),
            reads::<CardRequest>,
        ),
        example("patchCard", json!({"deleted": true}), reads::<CardPatch>),
    ]
}

/// Seed 004: the Account Transaction API and its public part.
fn account_transaction() -> Vec<Example> {
    use account_transaction::types::{
        ApplicationRequest, BankIdRequest, CaptureRequest, PreAuthorizationRequest,
        RedirectRequest, ReversalRequest, SplitAuthorizationRequest,
    };
    let split = json!({"@id": "order-4711", "splitAuthorizationId": "order-4711", "preAuthorizationId": "checkout-4711"});
    let capture = json!({
        "captureId": "1", "sellerTransactionId": "receipt-4711-1", "currency": "SEK",
        "monthlyBillingAmount": 250.00, "months": 12, "totalAmount": 3000.00,
        "productName": "Bicycle"
    });
    let reversal = json!({
        "@id": "1", "reversalId": "1", "currency": "SEK", "amount": 500.00,
        "sellerTransactionId": "return-4711-1"
    });
    vec![
        example(
            "createPreAuthorization",
            json!({
                "@id": "checkout-4711",
                "customer": {
                    "nationalConsumerIdentifier": {"value": "19101010-1010", "countryCode": "SE"},
                    "email": "test@testshop.se",
                    "msisdn": "+46701234456",
                    "customerNo": "951753456"
                },
                "sellerNo": "1001",
                "sellerReferenceId": "order-4711",
                "profileName": "standard",
                "authorizationAmount": 3000.00,
                "currency": "SEK",
                "externalReference": "cart-4711",
                "assesment": {"assessmentUrl": "https://shop.example/assessment/4711", "scaStatus": "None"}
            }),
            reads::<PreAuthorizationRequest>,
        ),
        example(
            "redirectPreAuthorization",
            json!({
                "returnUrl": "https://shop.example/checkout/4711/done",
                "redirectOptions": {
                    "nativeAppSwitchingUrl": "shopapp://checkout/4711",
                    "autostartAction": "autostart",
                    "languageCode": "sv"
                }
            }),
            reads::<RedirectRequest>,
        ),
        example(
            "createSplitAuthorization",
            split.clone(),
            reads::<SplitAuthorizationRequest>,
        ),
        example(
            "addSplitAuthorization",
            split,
            reads::<SplitAuthorizationRequest>,
        ),
        example("createCapture", capture.clone(), reads::<CaptureRequest>),
        example("addCapture", capture, reads::<CaptureRequest>),
        example("createReversal", reversal.clone(), reads::<ReversalRequest>),
        example("addReversal", reversal, reads::<ReversalRequest>),
        example(
            "beginBankIdAuthentication",
            json!({"nationalConsumerIdentifier": {"value": "19101010-1010", "countryCode": "SE"}}),
            reads::<BankIdRequest>,
        ),
        example(
            "applyForAccount",
            application(),
            reads::<ApplicationRequest>,
        ),
    ]
}

/// Seed 004's application, as it gives it.
fn application() -> Value {
    let question = |code: &str, text: &str, answer: &str, said: &str| json!({"code": code, "text": text, "answer": {"code": answer, "text": said}});
    json!({
        "nationalConsumerIdentifier": {"value": "19101010-1010", "countryCode": "SE"},
        "creditLimit": 5000.00,
        "customerNo": "951753456",
        "emailAddress": "test@testshop.se",
        "cellPhone": "+46701234456",
        "ipAddress": "1.1.1.1",
        "legalAddress": {
            "name": "John Smith", "streetAddress": "Teststreet", "city": "Testcity",
            "coAddress": "", "zipCode": "12345", "countryCode": "SE"
        },
        "kyc": {"questions": [
            question("employment", "Vad är din sysselsättning?", "self-employed", "Egen företagare"),
            question("employment-since", "Hur länge har du haft denna sysselsättning?", "2016-09", "2016-09"),
            question("monthlyIncome", "Månadsinkomst före skatt", "10000.00", "10000"),
            question("monthlyPurchaseAmount", "Hur mycket kommer du genomsnitt att handla på ditt kort?", "3000.00", "3000"),
            question("monthlyNumberOfDeposits", "Hur många inbetalningar kommer du att göra per månad?", "1-2", "1-2"),
            question("IsPep", "Är du en person i politiskt utsatt ställning (PEP), det vill säga.....", "true", "Ja"),
        ]}
    })
}

/// The admin API (SPEC §7): no seed; examples as the README's walk-through provisions.
fn admin() -> Vec<Example> {
    use admin::types::{NewAccount, NewCredential, NewCustomer, NewLedger, Payment};
    vec![
        example(
            "adminCreateLedger",
            json!({"ledgerNo": "501", "name": "University print credit", "currency": "SEK", "settings": {"timeZone": "Europe/Stockholm", "language": "sv", "creditorAddress": ["Box 100", "111 22 Stockholm"]}}),
            reads::<NewLedger>,
        ),
        example(
            "adminCreateCustomer",
            json!({"customerNo": "C1", "name": "Alice Andersson", "email": "alice@example.edu", "username": "alice", "cards": ["CARD-1"],
                "address": {"streetAddress": "Storgatan 1", "zipCode": "11122", "city": "Stockholm", "countryCode": "SE"}}),
            reads::<NewCustomer>,
        ),
        example(
            "adminCreateAccount",
            json!({"customerNo": "C1", "creditLimit": 500.00}),
            reads::<NewAccount>,
        ),
        example(
            "adminReceivePayment",
            json!({"amount": 250.00, "paymentReference": "55001"}),
            reads::<Payment>,
        ),
        example(
            "adminCreateCredential",
            json!({"kind": "myq-oauth-client", "scopes": ["credit", "users"]}),
            reads::<NewCredential>,
        ),
    ]
}

pub fn all() -> Vec<Example> {
    [
        myq_external(),
        myq_v3(),
        credit_account(),
        account_transaction(),
        admin(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every operation of the document, by its id.
fn operations(doc: &mut Document) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
    })
}

/// Puts each example on its operation's JSON request body; returns the operations named by
/// an example that the document does not have (or whose body is not JSON).
pub fn attach(doc: &mut Document) -> Vec<&'static str> {
    let mut examples = all();
    for operation in operations(doc) {
        let Some(id) = operation.operation_id.clone() else {
            continue;
        };
        let Some(content) = operation
            .request_body
            .as_mut()
            .and_then(|b| b.content.get_mut("application/json"))
        else {
            continue;
        };
        if let Some(at) = examples.iter().position(|e| e.operation == id) {
            content.example = Some(examples.swap_remove(at).body);
        }
    }
    examples.into_iter().map(|e| e.operation).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_read_by_its_endpoints_type() {
        for e in all() {
            (e.reads)(&e.body).unwrap_or_else(|err| panic!("{}: {err}", e.operation));
        }
    }

    #[test]
    fn every_example_lands_on_an_operation_of_the_document() {
        let mut doc = super::super::openapi::document_without_examples();
        assert_eq!(attach(&mut doc), Vec::<&str>::new());
    }
}
