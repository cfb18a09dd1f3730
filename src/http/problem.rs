//! PayEx problem responses (`application/problem+json`, SPEC §5 and §6), for APIs C and D.
//! Every problem gets a fresh `Instance` id that is logged with its cause, so support can find
//! the log line from what the client shows them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::{EngineError, LedgerMeta};
use crate::http::body::{BodyError, Invalid};
use crate::http::reason::Said;

/// Which API's `Type` naming a problem uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `ledger/credit-account/v1/problems/<code>`
    CreditAccount,
    /// `ledger.account-transaction.<code>`
    AccountTransaction,
}

impl Flavor {
    fn type_of(self, code: &str) -> String {
        match self {
            Flavor::CreditAccount => format!("ledger/credit-account/v1/problems/{code}"),
            Flavor::AccountTransaction => format!("ledger.account-transaction.{code}"),
        }
    }
}

#[derive(Debug)]
pub struct Problem {
    pub flavor: Flavor,
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// `{"field": "what is wrong"}` entries.
    pub problems: Vec<(String, String)>,
}

const VALIDATION_DETAIL: &str = "A validation error occurred. Please fix the problems mentioned in the 'problems' property below.";

impl Problem {
    pub fn new(
        flavor: Flavor,
        status: StatusCode,
        code: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            flavor,
            status,
            code,
            detail: detail.into(),
            problems: Vec::new(),
        }
    }

    pub fn validation(flavor: Flavor, field: impl Into<String>, rule: impl Into<String>) -> Self {
        let mut p = Problem::new(
            flavor,
            StatusCode::BAD_REQUEST,
            "validation",
            VALIDATION_DETAIL,
        );
        p.problems.push((field.into(), rule.into()));
        p
    }

    pub fn unauthorized(flavor: Flavor, detail: impl Into<String>) -> Self {
        Problem::new(flavor, StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn not_found(flavor: Flavor, detail: impl Into<String>) -> Self {
        Problem::new(flavor, StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn conflict(flavor: Flavor, detail: impl Into<String>) -> Self {
        Problem::new(flavor, StatusCode::CONFLICT, "conflict", detail)
    }

    fn title(&self) -> &'static str {
        match self.code {
            "validation" => "A validation error occurred",
            "unauthorized" => "Unauthorized",
            "forbidden" => "Forbidden",
            "not-found" => "Not found",
            "conflict" | "claimant-mismatch" => "Conflict",
            "fatal" => "An internal error occurred",
            "not-implemented" => "Not implemented",
            "method-not-allowed" => "Method not allowed",
            "payload-too-large" => "Payload too large",
            _ => "The request could not be processed",
        }
    }

    /// A problem saying `said`: a field's rule as a validation problem, a message as `code`.
    pub fn from_said(flavor: Flavor, status: StatusCode, code: &'static str, said: Said) -> Self {
        match said {
            Said::Field(invalid) => Problem::from(flavor, invalid),
            Said::Message(message) => Problem::new(flavor, status, code, message),
        }
    }

    pub fn from(flavor: Flavor, invalid: Invalid) -> Self {
        Problem::validation(flavor, invalid.field, invalid.rule)
    }

    pub fn from_engine(flavor: Flavor, e: EngineError) -> Self {
        match e {
            EngineError::Storage | EngineError::Internal => Problem::new(
                flavor,
                StatusCode::INTERNAL_SERVER_ERROR,
                "fatal",
                "Internal error; nothing was changed",
            ),
            EngineError::Unavailable => Problem::new(
                flavor,
                StatusCode::SERVICE_UNAVAILABLE,
                "fatal",
                "Service is shutting down",
            ),
            EngineError::UnknownLedger => Problem::unauthorized(flavor, "Token invalid"),
        }
    }

    pub fn from_body(flavor: Flavor, e: BodyError) -> Self {
        match e {
            BodyError::TooLarge => Problem::new(
                flavor,
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                e.message(),
            ),
            BodyError::Malformed(_) | BodyError::NotJson(_) | BodyError::Unreadable => {
                let mut p = Problem::validation(flavor, "body", e.message());
                p.detail = e.message();
                p
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let instance = uuid::Uuid::new_v4().to_string();
        if self.status.is_server_error() {
            tracing::error!(instance = %instance, status = self.status.as_u16(), code = self.code, detail = %self.detail, "problem");
        } else {
            tracing::info!(instance = %instance, status = self.status.as_u16(), code = self.code, detail = %self.detail, problems = ?self.problems, "problem");
        }
        let problems = self
            .problems
            .iter()
            .map(|(field, rule)| BTreeMap::from([(field.clone(), rule.clone())]))
            .collect();
        let body = ProblemBody {
            kind: self.flavor.type_of(self.code),
            title: self.title(),
            status: self.status.as_u16(),
            instance,
            detail: self.detail.clone(),
            problems,
        };
        let body = serde_json::to_string(&body).expect("problems serialize");
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"saldo\""),
            );
        }
        response
    }
}

/// A problem as APIs C and D send it (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// `ledger/credit-account/v1/problems/<code>` (API C) or
    /// `ledger.account-transaction.<code>` (API D).
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Title")]
    pub title: &'static str,
    #[serde(rename = "Status")]
    pub status: u16,
    /// Logged with the cause: quote it to support.
    #[serde(rename = "Instance")]
    pub instance: String,
    #[serde(rename = "Detail")]
    pub detail: String,
    /// One `{"<field path>": "<rule it broke>"}` per problem of a validation error.
    #[serde(rename = "Problems")]
    pub problems: Vec<BTreeMap<String, String>>,
}

/// A problem for an error that left the router without a body (404 route, 405, 413…).
pub fn for_status(flavor: Flavor, status: StatusCode, message: String) -> Response {
    let code = match status.as_u16() {
        400 => "validation",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        409 => "conflict",
        413 => "payload-too-large",
        422 => "unprocessable",
        501 => "not-implemented",
        s if s >= 500 => "fatal",
        _ => "validation",
    };
    Problem::new(flavor, status, code, message).into_response()
}

/// The ledger whose `ledger-bearer` token the request carries (APIs C and D).
pub fn bearer_ledger(
    parts: &axum::http::request::Parts,
    state: &super::AppState,
    flavor: Flavor,
) -> Result<LedgerMeta, Problem> {
    let unauthorized = |detail: &str| Problem::unauthorized(flavor, detail);
    let token = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| unauthorized("Token invalid: a Bearer token is required"))?;
    let principal = state
        .credentials
        .verify_ledger_bearer(token.trim())
        .ok_or_else(|| unauthorized("Token invalid"))?;
    let meta = state
        .engine
        .meta(principal.ledger_id)
        .ok_or_else(|| unauthorized("Token invalid"))?;
    super::record_ledger(&meta.ledger_no);
    Ok(meta)
}

/// The token's ledger must be the one the URL names.
pub fn same_ledger<'a>(
    meta: &'a LedgerMeta,
    ledger_no: &str,
    flavor: Flavor,
) -> Result<&'a LedgerMeta, Problem> {
    if meta.ledger_no == ledger_no {
        Ok(meta)
    } else {
        Err(Problem::unauthorized(
            flavor,
            format!("The token is not valid for ledger {ledger_no}"),
        ))
    }
}
