//! API B's requests and responses, in MyQ X's key order (seed 001 and what MyQ X clients read).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::wire::{Decimal, PositiveId, Text};

/// `POST /api/auth/token`, as JSON or `application/x-www-form-urlencoded`. The client may
/// instead authenticate with HTTP Basic (RFC 6749 §2.3.1).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// Only `client_credentials`.
    pub grant_type: Option<Text<64>>,
    #[serde(default, deserialize_with = "string_or_number")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<String>,
    #[schema(value_type = Option<String>, format = Password)]
    pub client_secret: Option<Text<512>>,
    /// Space-separated: `credit`, `users`. Default: every scope the client holds.
    pub scope: Option<Text<200>>,
}

/// A numeric client id is a string that happens to be digits.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().count() <= 200 => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(serde::de::Error::custom(
            "must be a string of at most 200 characters",
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Token {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds the token is valid: 1800.
    pub expires_in: i64,
    /// The scopes granted, space-separated.
    pub scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub fullname: String,
    pub email: Option<String>,
    /// The user's personal number (MyQ X's `code`).
    pub code: Option<String>,
    pub aliases: Vec<String>,
    pub phone: Option<String>,
    /// Always null: saldo keeps no language.
    #[schema(value_type = Option<String>)]
    pub lang: Option<()>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Users {
    pub users: Vec<User>,
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Provider {
    pub name: &'static str,
    pub reference: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Limits {
    /// The credit available to spend.
    #[schema(value_type = f64)]
    pub price: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserAccount {
    pub name: String,
    /// `internalaccount` for the user's default account (what MyQ X clients look for), else
    /// the account number.
    pub reference: String,
    /// Always `credit`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub limits: Limits,
    #[serde(rename = "rechargeProviders")]
    pub recharge_providers: Vec<Provider>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enabled {
    pub enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accounts {
    pub credit: Enabled,
    pub accounts: Vec<UserAccount>,
}

/// An amount as MyQ X writes it: a plain number (`12.5`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AmountOnly {
    #[schema(value_type = f64)]
    pub amount: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderEntry {
    pub name: &'static str,
    pub reference: &'static str,
    pub description: &'static str,
    pub params: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Providers {
    pub providers: Vec<ProviderEntry>,
    pub count: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentParams {
    /// Greater than 0, at most the currency's decimals.
    pub amount: Decimal,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePayment {
    /// The user (MyQ X's id, saldo's customer id).
    pub user_id: PositiveId,
    pub description: Option<Text<255>>,
    pub params: PaymentParams,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdatePayment {
    pub description: Option<Text<255>>,
    pub params: PaymentParams,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct Rollback {
    /// Kept as the payment's description.
    pub reason: Option<Text<255>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedParams {
    #[schema(value_type = f64)]
    pub amount: Value,
    /// MyQ X marks payments created through the API with -2 (seed 001).
    pub created_by: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedPayment {
    pub id: String,
    pub user_id: i64,
    #[schema(value_type = f64)]
    pub amount: Value,
    pub description: String,
    pub params: CreatedParams,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RechargePaymentView {
    pub id: String,
    pub user_id: i64,
    #[schema(value_type = f64)]
    pub amount: Value,
    /// Always null: the ledger's currency.
    #[schema(value_type = Option<String>)]
    pub currency: Option<()>,
    /// `created`, `completed` or `canceled`.
    pub state: &'static str,
    #[schema(format = DateTime)]
    pub created: String,
    #[schema(format = DateTime)]
    pub updated: String,
    /// When a created payment is canceled if not committed; null once settled.
    #[schema(format = DateTime)]
    pub expires: Option<String>,
    /// Counts the user's payments: 1, 2, 3…
    pub payment_no: String,
    pub provider: String,
    pub description: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payments {
    pub payments: Vec<RechargePaymentView>,
    pub count: i64,
}

/// API B's error, for every status.
#[derive(Debug, Serialize, ToSchema)]
pub struct V3ErrorBody {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong; for a field, `<field>: <rule>`.
    pub message: String,
    /// Always empty.
    pub data: Vec<Value>,
}
