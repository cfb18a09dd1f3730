//! The admin API's errors: API A's body (`{"error": {"message": "…"}}`), in the admin's own
//! words (customers are customers here, not MyQ users).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::engine::EngineError;
use crate::http::body::{BodyError, Invalid};
use crate::http::myq_external::MyqError;
use crate::http::reason;
use crate::ledger::{LedgerError, SettingError};
use crate::store::StoreError;

#[derive(Debug)]
pub struct AdminError(MyqError);

impl AdminError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        AdminError(MyqError::new(status, message))
    }

    /// 404 for something the admin API names that is not a ledger's entity.
    pub fn not_found(what: &str) -> Self {
        AdminError::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<LedgerError> for AdminError {
    fn from(e: LedgerError) -> Self {
        AdminError::new(reason::class(&e).status(), reason::said(&e).line())
    }
}

impl From<Invalid> for AdminError {
    fn from(e: Invalid) -> Self {
        AdminError::new(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<SettingError> for AdminError {
    fn from(e: SettingError) -> Self {
        let field = match e.setting {
            Some(setting) => format!("settings.{setting}"),
            None => "settings".into(),
        };
        Invalid::new(field, e.rule).into()
    }
}

impl From<BodyError> for AdminError {
    fn from(e: BodyError) -> Self {
        AdminError(e.into())
    }
}

impl From<EngineError> for AdminError {
    fn from(e: EngineError) -> Self {
        match e {
            // The ledger went away between its look-up and the operation.
            EngineError::UnknownLedger => AdminError::not_found("Ledger"),
            other => AdminError(other.into()),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(_) => AdminError::new(StatusCode::CONFLICT, "already exists"),
            StoreError::Corrupt(_) | StoreError::Database(_) => {
                tracing::error!(error = %e, "admin store operation failed");
                AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            }
        }
    }
}
