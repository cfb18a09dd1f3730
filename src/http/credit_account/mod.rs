//! API C, the PayEx-style Credit Account API (SPEC §5), under
//! `/ledger/credit-account/v1/{ledgerNo}`.

mod accounts;
mod activity;
mod bills;
pub mod types;
pub use bills::{BillContext, bill as bill_json};
mod cards;
mod document;
pub mod render;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::AppState;
use super::page::Page;
use super::problem::{Flavor, Problem};
use crate::engine::{EngineError, LedgerMeta};
use crate::http::body::{BodyError, Invalid};
use crate::http::reason;
use crate::ledger::LedgerError;

const FLAVOR: Flavor = Flavor::CreditAccount;

pub fn router() -> Router<AppState> {
    let base = "/ledger/credit-account/v1/{ledger}/accounts";
    Router::new()
        .route(base, get(accounts::list))
        .route(&format!("{base}/{{account}}"), get(accounts::get).patch(accounts::patch))
        .route(&format!("{base}/{{account}}/request-close-account"), post(accounts::request_close))
        .route(
            "/ledger/credit-account-onboardings/v1/{ledger}/accounts/{account}/apply-for-raised-credit-limit",
            post(accounts::apply_for_raised_limit),
        )
        .route(
            &format!("{base}/{{account}}/recurring-payment-setting"),
            get(accounts::recurring).patch(accounts::patch_recurring),
        )
        // Seed 003 writes this URL with a trailing slash.
        .route(
            &format!("{base}/{{account}}/recurring-payment-setting/"),
            get(accounts::recurring).patch(accounts::patch_recurring),
        )
        .route("/ledger/customers/v1/{ledger}/customer/{customer}", get(accounts::customer))
        .route(
            &format!("{base}/{{account}}/active-payment-orders"),
            get(accounts::active_payment_orders),
        )
        .route(&format!("{base}/{{account}}/cards"), get(cards::list).post(cards::add))
        .route(&format!("{base}/{{account}}/cards/{{token}}"), get(cards::get).patch(cards::patch))
        .route(&format!("{base}/{{account}}/transactions"), get(activity::transactions))
        .route(&format!("{base}/{{account}}/reservations"), get(activity::reservations))
        .route(&format!("{base}/{{account}}/bills"), get(bills::list))
        .route(&format!("{base}/{{account}}/bills/{{bill}}"), get(bills::get))
        .route(&format!("{base}/{{account}}/bills/{{bill}}/document"), get(bills::document))
}

/// A request body of API C, rejected as API C's problem.
type Body<T> = crate::http::wire::Wire<T, CaProblem>;

/// API C's reference: the Credit Account API operations on the typed wire layer.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        accounts::list,
        accounts::get,
        accounts::patch,
        accounts::request_close,
        accounts::apply_for_raised_limit,
        accounts::recurring,
        accounts::patch_recurring,
        accounts::customer,
        accounts::active_payment_orders,
        activity::transactions,
        activity::reservations,
        bills::list,
        bills::get,
        bills::document,
        cards::list,
        cards::add,
        cards::get,
        cards::patch,
    ),
    tags((name = "Credit Account API", description = "Accounts, credit limits, closing, cards and recurring payments (SPEC §5, seed 003)"))
)]
pub struct ApiDoc;

/// API C's errors: each a problem whose `Type` is `ledger/credit-account/v1/problems/<code>`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// `validation`: `Problems` names each field and the rule it broke.
    #[response(status = 400, content_type = "application/problem+json")]
    Validation(super::problem::ProblemBody),
    /// `unauthorized`: no or a wrong bearer token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(super::problem::ProblemBody),
    /// `not-found`.
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(super::problem::ProblemBody),
    /// `conflict`: the account's state forbids it.
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(super::problem::ProblemBody),
}

/// API C's error: a problem with `ledger/credit-account/v1/problems/<code>` types.
#[derive(Debug)]
pub struct CaProblem(pub Problem);

impl From<crate::http::Unread> for CaProblem {
    fn from(_: crate::http::Unread) -> Self {
        CaProblem(Problem::from_engine(
            FLAVOR,
            crate::engine::EngineError::Internal,
        ))
    }
}

impl IntoResponse for CaProblem {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<LedgerError> for CaProblem {
    fn from(e: LedgerError) -> Self {
        let class = reason::class(&e);
        CaProblem(Problem::from_said(
            FLAVOR,
            class.status(),
            class.code(),
            reason::said(&e),
        ))
    }
}

impl From<Invalid> for CaProblem {
    fn from(e: Invalid) -> Self {
        CaProblem(Problem::from(FLAVOR, e))
    }
}

impl From<EngineError> for CaProblem {
    fn from(e: EngineError) -> Self {
        CaProblem(Problem::from_engine(FLAVOR, e))
    }
}

impl From<BodyError> for CaProblem {
    fn from(e: BodyError) -> Self {
        CaProblem(Problem::from_body(FLAVOR, e))
    }
}

fn validation(field: &str, rule: impl Into<String>) -> CaProblem {
    CaProblem(Problem::validation(FLAVOR, field, rule))
}

/// A caller holding the ledger's bearer token.
pub struct LedgerToken(LedgerMeta);

impl FromRequestParts<AppState> for LedgerToken {
    type Rejection = CaProblem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, CaProblem> {
        Ok(LedgerToken(
            super::problem::bearer_ledger(parts, state, FLAVOR).map_err(CaProblem)?,
        ))
    }
}

impl LedgerToken {
    /// The token's ledger, which must be the one the URL names.
    fn ledger(&self, ledger_no: &str) -> Result<&LedgerMeta, CaProblem> {
        super::problem::same_ledger(&self.0, ledger_no, FLAVOR).map_err(CaProblem)
    }
}
