//! API A's requests and responses, as MyQ X's External Account API sends and reads them.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::http::wire::{Decimal, Text};

/// Who is printing: found by `username` (or an alias), else any of `aliases`, else any of
/// `cards`, else `personalnumber`. Fields may be missing, null or empty.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionRequest {
    pub username: Option<Text<255>>,
    /// At most 100; nulls and empty strings are skipped.
    pub aliases: Option<Vec<Option<Text<255>>>>,
    /// At most 100; nulls and empty strings are skipped.
    pub cards: Option<Vec<Option<Text<255>>>>,
    /// Also accepted as `personalNumber`.
    #[serde(alias = "personalNumber")]
    pub personalnumber: Option<Text<255>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionId {
    pub id: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Balance {
    /// What the user may still spend in this session.
    #[schema(value_type = f64)]
    pub balance: Value,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AmountRequest {
    /// At least 0, at most the currency's decimals.
    pub amount: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPayment {
    pub id: i64,
    /// The amount permitted: at most what was asked.
    #[schema(value_type = f64)]
    pub amount: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalErrorMessage {
    pub message: String,
}

/// API A's error, for every status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExternalErrorBody {
    pub error: ExternalErrorMessage,
}
