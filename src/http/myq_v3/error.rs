//! API B's error format: `{"code": <status>, "message": "…", "data": []}` for every error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::EngineError;
use crate::http::body::BodyError;
use crate::ledger::LedgerError;

#[derive(Debug)]
pub struct V3Error {
    pub status: StatusCode,
    pub message: String,
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
        match e {
            LedgerError::Invalid { .. } | LedgerError::Overflow => {
                V3Error::bad_request(e.to_string())
            }
            LedgerError::NotFound(what) => {
                V3Error::new(StatusCode::NOT_FOUND, format!("{what} not found"))
            }
            LedgerError::Conflict(message) => V3Error::new(StatusCode::CONFLICT, message),
            LedgerError::InsufficientCredit => V3Error::new(StatusCode::CONFLICT, e.to_string()),
            LedgerError::Unprocessable { message, .. } => {
                V3Error::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            // MyQ X answers a disabled provider with 400 and this exact message (seed 001).
            LedgerError::InvalidOperation(message) => V3Error::bad_request(message),
            LedgerError::Unavailable(cause) => {
                tracing::error!(%cause, "a point read from the store failed");
                V3Error::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    super::super::STORE_UNAVAILABLE,
                )
            }
        }
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
            BodyError::Malformed(_) | BodyError::Unreadable => StatusCode::BAD_REQUEST,
        };
        V3Error::new(status, e.message())
    }
}
