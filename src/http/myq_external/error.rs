//! API A's error format: `{"error": {"message": "…"}}` for every status ≥ 400.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::EngineError;
use crate::http::body::{BodyError, Invalid};
use crate::http::reason;
use crate::ledger::{Entity, LedgerError};

#[derive(Debug)]
pub struct MyqError {
    pub status: StatusCode,
    pub message: String,
}

impl MyqError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        MyqError {
            status,
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        MyqError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: valid Basic credentials are required",
        )
    }
}

pub fn error(status: StatusCode, message: String) -> Response {
    MyqError::new(status, message).into_response()
}

impl IntoResponse for MyqError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(serde_json::json!({"error": {"message": self.message}})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"saldo\""),
            );
        }
        response
    }
}

impl From<LedgerError> for MyqError {
    fn from(e: LedgerError) -> Self {
        use LedgerError as E;
        let status = match &e {
            E::InsufficientCredit => StatusCode::PAYMENT_REQUIRED,
            _ => reason::class(&e).status(),
        };
        // MyQ X knows customers as users.
        let message = match &e {
            E::NotFound(Entity::Customer) => "User not found".into(),
            E::NoAccount => "The user has no open account".into(),
            _ => reason::said(&e).line(),
        };
        MyqError::new(status, message)
    }
}

impl From<Invalid> for MyqError {
    fn from(e: Invalid) -> Self {
        MyqError::new(StatusCode::BAD_REQUEST, e.to_string())
    }
}

impl From<EngineError> for MyqError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Storage | EngineError::Internal => MyqError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; nothing was changed",
            ),
            EngineError::Unavailable => {
                MyqError::new(StatusCode::SERVICE_UNAVAILABLE, "Service is shutting down")
            }
            EngineError::UnknownLedger => MyqError::unauthorized(),
        }
    }
}

impl From<BodyError> for MyqError {
    fn from(e: BodyError) -> Self {
        let status = match e {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Malformed(_) | BodyError::NotJson(_) | BodyError::Unreadable => {
                StatusCode::BAD_REQUEST
            }
        };
        MyqError::new(status, e.message())
    }
}
