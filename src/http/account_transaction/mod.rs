//! API D, the PayEx-style Account Transaction API (SPEC §6), under
//! `/ledger/account-transaction/v1/{ledgerNo}`, and the consumer's SCA page.

mod authentications;
mod public;
mod sca;
mod splits;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use time::OffsetDateTime;

use super::AppState;
use super::problem::{Flavor, Problem};
use crate::engine::{EngineError, LedgerMeta};
use crate::http::body::BodyError;
use crate::ledger::{IdempotencyRecord, Ledger, LedgerError};
use crate::secret;

const FLAVOR: Flavor = Flavor::AccountTransaction;

pub fn router() -> Router<AppState> {
    let base = "/ledger/account-transaction/v1/{ledger}";
    Router::new()
        .route(
            &format!("{base}/authentications/{{id}}"),
            post(authentications::create).get(authentications::get),
        )
        .route(
            &format!("{base}/authentications/{{id}}/redirect"),
            post(authentications::redirect),
        )
        .route(
            &format!("{base}/split-authorizations/{{id}}"),
            post(splits::create).get(splits::get),
        )
        .route(
            &format!("{base}/split-authorizations/{{id}}/captures/{{capture}}"),
            post(splits::capture).get(splits::get_capture),
        )
        .route(
            &format!(
                "{base}/split-authorizations/{{id}}/captures/{{capture}}/reversals/{{reversal}}"
            ),
            post(splits::reverse),
        )
        .route(
            &format!("{base}/split-authorizations/{{id}}/cancellations"),
            post(splits::cancel),
        )
        .route(
            "/ledger/public-account-transaction/v1/sca/{token}",
            get(sca::page).post(sca::decide),
        )
        .route("/ledger/public-account-transaction/v1/authentications", get(public::entry))
        .route(
            "/ledger/public-account-transaction/v1/authentications/begin-bankid-se-authentication",
            post(public::begin_bankid),
        )
        .route("/ledger/public-account-transaction/v1/authentications/{order}", get(public::identity_status))
        .route(
            "/ledger/public-account-transaction/v1/identity/{order}",
            get(public::identity_page).post(public::identity_answer),
        )
        .route(
            "/ledger/public-account-transaction/v1/account-applications",
            get(public::list).post(public::apply),
        )
        .route("/ledger/public-account-transaction/v1/account-applications/{id}", get(public::get))
        .route(
            "/ledger/credit-account-onboardings/v1/{ledger}/offers/{profile}/applications/{id}/sign-agreement",
            post(public::sign),
        )
}

/// API D's error: a problem with `ledger.account-transaction.<code>` types.
#[derive(Debug)]
pub struct AtProblem(pub Problem);

impl IntoResponse for AtProblem {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<LedgerError> for AtProblem {
    fn from(e: LedgerError) -> Self {
        AtProblem(Problem::from_ledger(FLAVOR, e))
    }
}

impl From<EngineError> for AtProblem {
    fn from(e: EngineError) -> Self {
        AtProblem(Problem::from_engine(FLAVOR, e))
    }
}

impl From<BodyError> for AtProblem {
    fn from(e: BodyError) -> Self {
        AtProblem(Problem::from_body(FLAVOR, e))
    }
}

/// A merchant holding the ledger's bearer token.
pub struct Merchant(LedgerMeta);

impl FromRequestParts<AppState> for Merchant {
    type Rejection = AtProblem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AtProblem> {
        Ok(Merchant(
            super::problem::bearer_ledger(parts, state, FLAVOR).map_err(AtProblem)?,
        ))
    }
}

impl Merchant {
    /// The token's ledger, which must be the one the URL names.
    fn ledger(&self, ledger_no: &str) -> Result<&LedgerMeta, AtProblem> {
        super::problem::same_ledger(&self.0, ledger_no, FLAVOR).map_err(AtProblem)
    }
}

/// JSON with object keys sorted, so that key order does not make two bodies differ.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&map[*k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// Runs a POST under a client-chosen id exactly once. The id, the body's hash and the answer
/// are stored in the same batch as the effect. A retry with the same body gets the same status
/// and body; another body under the id is a 409. Refusals are not stored: a retry re-evaluates.
async fn once<F>(
    state: &AppState,
    ledger_id: i64,
    key: String,
    body: &Value,
    op: F,
) -> Result<Response, AtProblem>
where
    F: FnOnce(&mut Ledger, OffsetDateTime) -> Result<(StatusCode, Value), LedgerError>
        + Send
        + 'static,
{
    let hash = secret::sha256_hex(canonical(body).as_bytes());
    let (status, text) = state
        .engine
        .execute(ledger_id, move |l, now| {
            if let Some(record) = l.idempotency(&key) {
                return if record.body_sha256 == hash {
                    Ok((record.status, record.response.clone()))
                } else {
                    Err(LedgerError::conflict(format!(
                        "{key} was already used with a different request body"
                    )))
                };
            }
            let (status, response) = op(l, now)?;
            let record = IdempotencyRecord {
                body_sha256: hash,
                status: status.as_u16(),
                response: response.to_string(),
            };
            let answer = (record.status, record.response.clone());
            l.remember(key, record);
            Ok(answer)
        })
        .await??;
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
    let mut response = (status, text).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

fn validation(field: &str, rule: impl Into<String>) -> AtProblem {
    AtProblem(Problem::validation(FLAVOR, field, rule))
}
