//! API D, the PayEx-style Account Transaction API (SPEC §6), under
//! `/ledger/account-transaction/v1/{ledgerNo}`, and the consumer's SCA page.

pub(crate) mod authentications;
mod public;
mod sca;
pub(crate) mod splits;
pub mod types;

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
use crate::http::body::{BodyError, Invalid};
use crate::http::reason::{self, Said};
use crate::ledger::{Ledger, LedgerError, Resource};
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
        // The operations advertise the collections; a POST there takes the id from the body.
        .route(&format!("{base}/split-authorizations"), post(splits::create_in_collection))
        .route(
            &format!("{base}/split-authorizations/{{id}}/captures"),
            post(splits::capture_in_collection),
        )
        .route(
            &format!("{base}/split-authorizations/{{id}}/captures/{{capture}}/reversals"),
            post(splits::reverse_in_collection),
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
            post(splits::reverse).get(splits::get_reversal),
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
        .route(
            "/ledger/public-account-transaction/v1/authentications/onboard-upgrade-account",
            post(public::onboard_upgrade_account),
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
            "/ledger/credit-account-onboardings/v1/{ledger}/offers/{profile}/applications/{id}",
            get(public::get_in_offer),
        )
        .route(
            "/ledger/credit-account-onboardings/v1/{ledger}/offers/{profile}",
            get(public::get_onboarding_offer),
        )
        .route("/ledger/public-account-transaction/offers/{profile}", get(public::get_offer))
        .route(
            "/ledger/credit-account-onboardings/v1/{ledger}/offers/{profile}/applications/{id}/sign-agreement",
            post(public::sign),
        )
}

/// API D's reference: every operation of the Account Transaction API.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        authentications::create,
        authentications::get,
        authentications::redirect,
        splits::create_in_collection,
        splits::create,
        splits::get,
        splits::capture_in_collection,
        splits::capture,
        splits::get_capture,
        splits::reverse_in_collection,
        splits::reverse,
        splits::get_reversal,
        splits::cancel,
        public::entry,
        public::begin_bankid,
        public::identity_status,
        public::list,
        public::apply,
        public::get,
        public::get_in_offer,
        public::get_offer,
        public::get_onboarding_offer,
        public::sign,
    ),
    components(schemas(super::problem::ProblemBody)),
    tags(
        (name = "Account Transaction API", description = "Merchant pre-authorizations with SCA, split authorizations, captures with part payment, reversals and cancellations (SPEC §6, seed 004)"),
        (name = "Public Account Transaction API", description = "Identity checks and account applications (SPEC §6, seed 004)"),
    )
)]
pub struct ApiDoc;

/// API D's errors: each a problem whose `Type` is `ledger.account-transaction.<code>`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// `validation`: `Problems` names each field and the rule it broke.
    #[response(status = 400, content_type = "application/problem+json")]
    Validation(super::problem::ProblemBody),
    /// `unauthorized`: no or a wrong bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(super::problem::ProblemBody),
    /// `not-found`: the resource or its parent does not exist.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(super::problem::ProblemBody),
    /// `conflict`: the id exists with another body, or the state forbids the operation.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(super::problem::ProblemBody),
    /// `credit-check-rejected`, `invalid-authentication-state` or
    /// `authentication-is-no-longer-valid`.
    #[response(status = 422, content_type = "application/problem+json")]
    Unprocessable(super::problem::ProblemBody),
    /// `method-not-allowed`: the path takes other methods, as its `Allow` header lists (a
    /// client following an operation's href with GET gets this).
    #[response(status = 405, content_type = "application/problem+json")]
    MethodNotAllowed(super::problem::ProblemBody),
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
        use LedgerError as E;
        let class = reason::class(&e);
        let (status, code) = match &e {
            // API D names the rule in the problem's type (seed 004).
            E::InsufficientCredit | E::NoAccount | E::AccountNotOpen(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "credit-check-rejected")
            }
            E::AuthenticationState { .. } | E::AuthenticationUsed(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-authentication-state",
            ),
            E::AuthenticationExpired => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "authentication-is-no-longer-valid",
            ),
            _ => (class.status(), class.code()),
        };
        let said = match &e {
            E::AccountNotOpen(_) => Said::Message("The account is not open".into()),
            _ => reason::said(&e),
        };
        AtProblem(Problem::from_said(FLAVOR, status, code, said))
    }
}

impl AtProblem {
    /// 500 for a read of the store that failed; the cause is logged by the caller.
    fn internal() -> AtProblem {
        AtProblem(Problem::from_engine(FLAVOR, EngineError::Internal))
    }
}

impl From<crate::http::Unread> for AtProblem {
    fn from(_: crate::http::Unread) -> Self {
        AtProblem::internal()
    }
}

/// 404 for something API D names that is not a ledger's entity.
fn not_found(what: &str) -> AtProblem {
    AtProblem(Problem::not_found(FLAVOR, format!("{what} not found")))
}

impl From<Invalid> for AtProblem {
    fn from(e: Invalid) -> Self {
        AtProblem(Problem::from(FLAVOR, e))
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

/// A request body of API D, rejected as API D's problem.
type Body<T> = crate::http::wire::Wire<T, AtProblem>;

/// A typed response as the JSON `once` keeps and compares.
fn json<T: serde::Serialize>(value: T) -> Value {
    serde_json::to_value(value).expect("responses serialize")
}

/// A merchant holding the ledger's bearer token.
pub struct Merchant(pub LedgerMeta);

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

/// JSON with object keys sorted and numbers written by value (`20`, `20.0` and `20.00` are
/// one number), so that two bodies meaning the same request hash the same.
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
        Value::Number(n) => canonical_number(&n.to_string()),
        other => other.to_string(),
    }
}

/// A decimal without trailing fractional zeros and without a negative zero. Exponent forms
/// are left as written: no amount field accepts them.
fn canonical_number(n: &str) -> String {
    if n.contains(['e', 'E']) || !n.contains('.') {
        return if n == "-0" { "0".into() } else { n.into() };
    }
    match n.trim_end_matches('0').trim_end_matches('.') {
        "-0" => "0".into(),
        t => t.into(),
    }
}

/// Creates a resource under a client-chosen id exactly once. The request's canonical hash is
/// kept on the resource itself, in the same batch as the effect, for as long as the resource
/// exists. A retry with the same body gets 201 and the resource as it is now (what a GET
/// shows); another body under the id is a 409. Refusals leave nothing: a retry re-evaluates.
///
/// `existing` renders the resource if it exists under the request's parent; `create` makes it.
async fn once<E, F>(
    state: &AppState,
    ledger_id: i64,
    (resource, id): (Resource, String),
    body: &Value,
    existing: E,
    create: F,
) -> Result<Response, AtProblem>
where
    E: FnOnce(&mut Ledger, OffsetDateTime) -> Result<Option<Value>, LedgerError> + Send + 'static,
    F: FnOnce(&mut Ledger, OffsetDateTime) -> Result<Value, LedgerError> + Send + 'static,
{
    let hash = secret::sha256_hex(canonical(body).as_bytes());
    let answer = state
        .engine
        .execute(ledger_id, move |l, now| {
            l.fault_in(resource, &id)?;
            if let Some(current) = existing(l, now)? {
                return match l.request_hash(resource, &id) {
                    Some(Some(stored)) if stored != hash => Err(AtProblem(Problem::conflict(
                        FLAVOR,
                        format!(
                            "{} {} already exists with a different request body",
                            reason::noun(resource.into()),
                            id
                        ),
                    ))),
                    _ => Ok(current),
                };
            }
            let created = create(l, now)?;
            l.set_request_hash(resource, &id, hash);
            Ok::<_, AtProblem>(created)
        })
        .await??;
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// A client-chosen id from the path: it becomes part of its children's keys, so it may not
/// hold the `/` that separates them (a `%2F` in the path would put one there).
fn client_id(field: &str, id: &str) -> Result<(), AtProblem> {
    if id.is_empty() || id.chars().count() > 64 || id.contains('/') {
        return Err(validation(field, "must be 1 to 64 characters without '/'"));
    }
    Ok(())
}

fn validation(field: &str, rule: impl Into<String>) -> AtProblem {
    AtProblem(Problem::validation(FLAVOR, field, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(text: &str) -> String {
        canonical(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn requests_meaning_the_same_hash_the_same() {
        assert_eq!(
            hashed(r#"{"a":20,"b":[1.50]}"#),
            hashed(r#"{"b":[1.5],"a":20.00}"#)
        );
        assert_eq!(hashed("-0.00"), hashed("0"));
        assert_eq!(hashed("100.0"), hashed("100"));
        assert_ne!(hashed("100"), hashed("1000"));
        assert_ne!(hashed("20.01"), hashed("20.1"));
        assert_ne!(hashed(r#"{"a":"20"}"#), hashed(r#"{"a":20}"#));
    }
}
