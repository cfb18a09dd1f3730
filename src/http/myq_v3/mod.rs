//! API B, the MyQ X REST API v3 (SPEC §4): OAuth2 client credentials, users, credit balance
//! and credit recharge, under `/api`.

mod error;
mod recharge;
mod token;
pub(crate) mod types;
mod users;

use std::collections::HashMap;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};

pub use error::{V3Error, error};

/// A request body of API B, rejected in API B's format.
type Body<T> = crate::http::wire::Wire<T, V3Error>;

/// API B's reference: the MyQ X REST API v3 operations saldo answers.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        token::grant,
        users::find,
        users::get,
        users::accounts,
        users::balance,
        recharge::providers,
        recharge::list,
        recharge::create,
        recharge::update,
        recharge::commit,
        recharge::rollback,
    ),
    components(schemas(types::V3ErrorBody)),
    tags((name = "MyQ X REST API v3", description = "OAuth2 client credentials, users, credit balance and credit recharge (SPEC §4, seed 001)"))
)]
pub struct ApiDoc;

/// API B's errors: `{"code", "message", "data": []}` for every status.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// A field broke a rule (`<field>: <rule>`), or a disabled provider.
    #[response(status = 400)]
    BadRequest(types::V3ErrorBody),
    /// No, a wrong or an expired access token; or bad client credentials.
    #[response(status = 401)]
    Unauthorized(types::V3ErrorBody),
    /// The token lacks the scope.
    #[response(status = 403)]
    Forbidden(types::V3ErrorBody),
    /// No such user, account, provider or payment.
    #[response(status = 404)]
    NotFound(types::V3ErrorBody),
    /// The payment's state forbids it.
    #[response(status = 409)]
    Conflict(types::V3ErrorBody),
}

use super::{AppState, record_ledger};
use crate::engine::LedgerMeta;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/token", post(token::grant))
        .route("/api/v3/users/find", get(users::find))
        .route("/api/v3/users/{id}", get(users::get))
        .route("/api/v3/users/{id}/accounts", get(users::accounts))
        .route(
            "/api/v3/users/{id}/accounts/{reference}/balance",
            get(users::balance),
        )
        .route("/api/v3/certificates/ca", get(certificate_authority))
        .route("/api/v3/rechargeProviders", get(recharge::providers))
        .route(
            "/api/v3/rechargeProviders/{reference}/payments",
            get(recharge::list).post(recharge::create),
        )
        .route(
            "/api/v3/rechargeProviders/{reference}/payments/{id}",
            patch(recharge::update),
        )
        .route(
            "/api/v3/rechargeProviders/{reference}/payments/{id}/commit",
            post(recharge::commit),
        )
        .route(
            "/api/v3/rechargeProviders/{reference}/payments/{id}/rollback",
            post(recharge::rollback),
        )
}

/// A caller holding a valid access token of some ledger.
pub struct V3Client {
    ledger: LedgerMeta,
    scopes: Vec<String>,
}

impl V3Client {
    /// 403 unless the token was granted `scope`.
    fn require(&self, scope: &str) -> Result<(), V3Error> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(V3Error::new(
                StatusCode::FORBIDDEN,
                format!("Forbidden: this call needs the '{scope}' scope"),
            ))
        }
    }
}

impl FromRequestParts<AppState> for V3Client {
    type Rejection = V3Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, V3Error> {
        // The seed writes `Authentication: Bearer …`; standard clients send `Authorization`.
        let header = parts
            .headers
            .get("authorization")
            .or_else(|| parts.headers.get("authentication"))
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                V3Error::unauthorized("Unauthorized: a Bearer access token is required")
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| {
                V3Error::unauthorized("Unauthorized: a Bearer access token is required")
            })?;
        let info = state
            .credentials
            .verify_bearer(token.trim())
            .ok_or_else(|| V3Error::unauthorized("Invalid or expired access token"))?;
        let ledger = state
            .engine
            .meta(info.ledger_id)
            .ok_or_else(|| V3Error::unauthorized("Invalid or expired access token"))?;
        record_ledger(&ledger.ledger_no);
        Ok(V3Client {
            ledger,
            scopes: info.scopes,
        })
    }
}

/// `limit` (default 100, at most 1000) and `start` (offset) of a list.
fn page(query: &HashMap<String, String>) -> Result<(i64, i64), V3Error> {
    let number = |name: &str, default: i64, max: i64| -> Result<i64, V3Error> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    V3Error::bad_request(format!("{name}: must be an integer from 0 to {max}"))
                }),
        }
    };
    Ok((number("limit", 100, 1000)?, number("start", 0, i64::MAX)?))
}

/// Ids in paths are positive integers; anything else names nothing.
fn path_id(raw: &str, what: &str) -> Result<i64, V3Error> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| V3Error::new(StatusCode::NOT_FOUND, format!("{what} not found")))
}

/// `GET /api/v3/certificates/ca` (no token: clients fetch it before they can trust saldo): the
/// PEM certificate of the CA behind saldo's TLS certificate; 404 when there is none.
async fn certificate_authority(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match &state.ca_pem {
        Some(pem) => (
            [(axum::http::header::CONTENT_TYPE, "application/x-pem-file")],
            pem.to_string(),
        )
            .into_response(),
        None => error(
            axum::http::StatusCode::NOT_FOUND,
            "No certificate authority: saldo is not serving TLS".into(),
        ),
    }
}
