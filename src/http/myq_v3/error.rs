//! API B's error format: `{"code": <status>, "message": "…", "data": []}` for every error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::EngineError;
use crate::http::body::{BodyError, Invalid};
use crate::http::reason;
use crate::ledger::{AccountStatus, Entity, LedgerError, Quantity};

#[derive(Debug)]
pub struct V3Error {
    pub status: StatusCode,
    pub message: String,
}

impl From<crate::http::Unread> for V3Error {
    fn from(_: crate::http::Unread) -> Self {
        V3Error::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
    }
}

impl V3Error {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        V3Error {
            status,
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        V3Error::new(StatusCode::UNAUTHORIZED, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        V3Error::new(StatusCode::BAD_REQUEST, message)
    }
}

pub fn error(status: StatusCode, message: String) -> Response {
    V3Error::new(status, message).into_response()
}

impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "code": self.status.as_u16(),
            "message": self.message,
            "data": [],
        });
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"saldo\""),
            );
        }
        response
    }
}

impl From<LedgerError> for V3Error {
    fn from(e: LedgerError) -> Self {
        use LedgerError as E;
        let status = match &e {
            // MyQ X answers a disabled provider with 400 (seed 001).
            E::ProviderDisabled => StatusCode::BAD_REQUEST,
            _ => reason::class(&e).status(),
        };
        // MyQ X knows customers as users, and a recharge's amount as `params.amount`.
        let message = match &e {
            E::NotFound(Entity::Customer) => "User not found".into(),
            E::NoAccount => "The user has no credit account".into(),
            E::AccountNotOpen(AccountStatus::Closed) => {
                "The user's credit account is closed".into()
            }
            E::NotPositive(Quantity::Amount) => "params.amount: must be greater than 0".into(),
            _ => reason::said(&e).line(),
        };
        V3Error::new(status, message)
    }
}

impl From<Invalid> for V3Error {
    fn from(e: Invalid) -> Self {
        V3Error::bad_request(e.to_string())
    }
}

impl From<EngineError> for V3Error {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Storage | EngineError::Internal => V3Error::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; nothing was changed",
            ),
            EngineError::Unavailable => {
                V3Error::new(StatusCode::SERVICE_UNAVAILABLE, "Service is shutting down")
            }
            EngineError::UnknownLedger => V3Error::unauthorized("Invalid access token"),
        }
    }
}

impl From<BodyError> for V3Error {
    fn from(e: BodyError) -> Self {
        let status = match e {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Malformed(_) | BodyError::NotJson(_) | BodyError::Unreadable => {
                StatusCode::BAD_REQUEST
            }
        };
        V3Error::new(status, e.message())
    }
}
