//! API D's requests and responses, field for field as seed 004 writes them (its order, its
//! spelling `assesment`). Every field the seed marks required is required here.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::http::wire::{Decimal, Money, Operation, Text, Whole};
use crate::ledger::ScaStatus;

// Some fields are only checked: the request as sent is what saldo keeps.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreAuthorizationRequest {
    #[serde(rename = "@id")]
    pub id: Text<500>,
    pub customer: CustomerReference,
    pub seller_no: Text<50>,
    pub seller_reference_id: Text<100>,
    pub profile_name: Text<100>,
    pub authorization_amount: Decimal,
    pub currency: Text<3>,
    pub external_reference: Text<100>,
    /// The seed's spelling; `assessment` is accepted too.
    #[serde(alias = "assessment")]
    pub assesment: Assessment,
}

/// Who pays: found by `customerNo`, else by `nationalConsumerIdentifier` (an empty
/// `customerNo` or identifier value counts as not given).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerReference {
    pub national_consumer_identifier: NationalIdentifier,
    pub email: Text<254>,
    pub msisdn: Text<30>,
    pub customer_no: Text<50>,
}

pub use crate::http::national_id::NationalIdentifier;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Assessment {
    pub assessment_url: Text<2000>,
    pub sca_status: Sca,
}

/// `None`, `Required` or `Exempted`, matched without regard to case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sca(pub ScaStatus);

impl<'de> Deserialize<'de> for Sca {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ScaStatus::parse(&s)
            .map(Sca)
            .ok_or_else(|| serde::de::Error::custom("must be one of None, Required, Exempted"))
    }
}

impl Serialize for Sca {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl PartialSchema for Sca {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["None", "Required", "Exempted"]))
            .description(Some("Matched without regard to case"))
            .into()
    }
}

impl ToSchema for Sca {}

/// The pre-authorization as sent, with its state and what can be done next.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    #[serde(rename = "@id")]
    pub id: String,
    #[schema(value_type = CustomerReference)]
    pub customer: serde_json::Value,
    pub seller_no: String,
    pub seller_reference_id: String,
    pub profile_name: String,
    pub authorization_amount: Money,
    pub currency: String,
    pub external_reference: String,
    #[schema(value_type = Assessment)]
    pub assesment: serde_json::Value,
    /// `awaiting-sca`, `approved` or `declined`.
    pub status: &'static str,
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: String,
    pub operations: Vec<Operation>,
}

// Some fields are only checked: the request as sent is what saldo keeps.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectRequest {
    pub return_url: Text<2000>,
    pub redirect_options: RedirectOptions,
}

// Some fields are only checked: the request as sent is what saldo keeps.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedirectOptions {
    pub native_app_switching_url: Text<2000>,
    pub autostart_action: Text<100>,
    pub language_code: Text<10>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Redirect {
    #[serde(rename = "@id")]
    pub id: String,
    /// saldo's one-time approval page for the consumer.
    pub redirect_url: String,
}

// Some fields are only checked: the request as sent is what saldo keeps.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SplitAuthorizationRequest {
    #[serde(rename = "@id", default)]
    pub id: Option<Text<500>>,
    pub split_authorization_id: Text<64>,
    pub pre_authorization_id: Text<64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SplitAuthorization {
    #[serde(rename = "@id")]
    pub id: String,
    pub split_authorization_id: String,
    pub pre_authorization_id: String,
    pub seller_number: String,
    #[schema(value_type = String, format = DateTime)]
    pub valid_to_date: String,
    pub authorization_amount: Money,
    pub remaining_amount: Money,
    pub currency: String,
    /// `authorized`, `captured`, `cancelled` or `expired`.
    pub status: &'static str,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRequest {
    pub capture_id: Text<64>,
    pub seller_transaction_id: Text<100>,
    pub currency: Text<3>,
    /// Each instalment of a part-payment plan; 0 without one.
    pub monthly_billing_amount: Decimal,
    /// Instalments of a part-payment plan, 0 to 120; 0 without one.
    pub months: Whole<120>,
    pub total_amount: Decimal,
    pub product_name: Text<200>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    #[serde(rename = "@id")]
    pub id: String,
    pub capture_id: String,
    pub account_no: String,
    /// The account's `@id` in the Credit Account API.
    pub account: String,
    pub seller_transaction_id: String,
    pub product_name: String,
    pub total_amount: Money,
    pub reversed_amount: Money,
    pub months: u32,
    pub monthly_billing_amount: Money,
    pub operations: Vec<Operation>,
}

// Some fields are only checked: the request as sent is what saldo keeps.
#[allow(dead_code)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReversalRequest {
    #[serde(rename = "@id", default)]
    pub id: Option<Text<500>>,
    pub reversal_id: Text<64>,
    pub currency: Text<3>,
    pub amount: Decimal,
    pub seller_transaction_id: Text<100>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reversal {
    #[serde(rename = "@id")]
    pub id: String,
    pub reversal_id: String,
    pub currency: String,
    pub amount: Money,
    pub seller_transaction_id: String,
    /// The capture's `@id`.
    pub capture: String,
}

/// A cancellation carries nothing: `{}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Empty {}

/// `POST …/authentications/begin-bankid-se-authentication`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankIdRequest {
    pub national_consumer_identifier: NationalIdentifier,
}

/// `POST /ledger/public-account-transaction/v1/account-applications`, per seed 004's
/// property table. Text fields the table requires must not be empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationRequest {
    pub national_consumer_identifier: NationalIdentifier,
    /// Greater than 0, at most the ledger's `maxCreditLimit` when signed.
    pub credit_limit: Decimal,
    pub customer_no: Text<15>,
    /// Matches `[^@]+@[^\.]+\..+`.
    pub email_address: Text<254>,
    pub cell_phone: Text<15>,
    /// Matches `[a-z0-9.:/]*`.
    pub ip_address: Option<Text<43>>,
    pub legal_address: LegalAddress,
    pub kyc: Kyc,
}

// The request as sent is what the application keeps; the customer gets the address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegalAddress {
    pub name: Text<72>,
    pub street_address: Option<Text<35>>,
    pub city: Text<30>,
    pub co_address: Option<Text<35>>,
    /// Without whitespace.
    pub zip_code: Text<15>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Text<2>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Kyc {
    /// At least one.
    pub questions: Vec<KycQuestion>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KycQuestion {
    /// `IsPep` with the answer code `true` marks a politically exposed person.
    pub code: Text<100>,
    pub text: Text<500>,
    pub answer: KycAnswer,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct KycAnswer {
    pub code: Text<100>,
    pub text: Text<500>,
}

/// A link as the public part of seed 004 writes it: `rel`, `href`, `method`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOperation {
    pub rel: &'static str,
    pub href: String,
    pub method: &'static str,
}

impl PublicOperation {
    pub fn post(rel: &'static str, href: String) -> PublicOperation {
        PublicOperation {
            rel,
            href,
            method: "POST",
        }
    }
}

/// The public API's entry point, as seed 004 orders it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicEntry {
    /// The ledger's account offer.
    pub account_offer: String,
    pub operations: Vec<PublicOperation>,
    #[serde(rename = "@id")]
    pub id: String,
}

/// An identity check begun: the consumer answers it at `redirectUrl`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheck {
    #[serde(rename = "@id")]
    pub id: String,
    pub order_ref: String,
    /// `pending`, `complete` or `failed`.
    pub status: &'static str,
    pub redirect_url: String,
}

/// An identity check's state; the identity once it is complete.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCheckStatus {
    #[serde(rename = "@id")]
    pub id: String,
    pub order_ref: String,
    /// `pending`, `complete` or `failed`.
    pub status: &'static str,
    /// Whom the check is about.
    #[schema(value_type = NationalIdentifier)]
    pub national_consumer_identifier: crate::ledger::NationalId,
}

/// An account application as seed 004's "Applications Resource" shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    #[schema(value_type = NationalIdentifier)]
    pub national_consumer_identifier: crate::ledger::NationalId,
    /// `awaiting-sign`, `approved` or `rejected`.
    pub status: String,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub customer_no: String,
    pub credit_limit: Money,
    pub email_address: String,
    pub cell_phone: String,
    /// As sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// As sent.
    #[schema(value_type = LegalAddress)]
    pub legal_address: serde_json::Value,
    /// As sent.
    #[schema(value_type = Kyc)]
    pub kyc: serde_json::Value,
    /// The account opened when it was approved.
    pub account: Option<String>,
    #[serde(rename = "@id")]
    pub id: String,
    #[serde(rename = "parentHREF")]
    pub parent_href: String,
    pub operations: Vec<PublicOperation>,
}

/// The ledger's account offer: what an application applies to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Offer {
    #[serde(rename = "@id")]
    pub id: String,
    /// The `{profile}` of the offer's URLs.
    pub profile: String,
    pub currency: String,
    /// The highest credit limit an application is approved for.
    pub max_credit_limit: Money,
    pub operations: Vec<PublicOperation>,
}
