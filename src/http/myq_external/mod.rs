//! API A, the MyQ External Account API (SPEC §3), at the server root.

mod error;
pub(crate) mod types;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
pub use error::{MyqError, error};
pub use types::{ExternalErrorBody, ExternalErrorMessage};

use super::credentials::MYQ_BASIC;
use super::wire::{self, Text, Wire};
use super::{AppState, record_ledger};
use crate::engine::LedgerMeta;
use crate::ledger::{Entity, Identification, LedgerError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(open_session))
        .route(
            "/sessions/{session}",
            get(session_balance).delete(end_session),
        )
        .route("/sessions/{session}/block", post(block))
        .route("/sessions/{session}/payments", post(create_payment))
        .route(
            "/sessions/{session}/payments/{payment}",
            patch(patch_payment),
        )
        .route(
            "/sessions/{session}/payments/{payment}/commit",
            post(commit_payment),
        )
        .route(
            "/sessions/{session}/payments/{payment}/rollback",
            post(rollback_payment),
        )
}

/// A print server authenticated with a `myq-basic` credential; carries its ledger.
struct MyqClient(LedgerMeta);

impl FromRequestParts<AppState> for MyqClient {
    type Rejection = MyqError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, MyqError> {
        // The seed writes the header as `Authentication`; real clients send `Authorization`.
        let header = parts
            .headers
            .get("authorization")
            .or_else(|| parts.headers.get("authentication"))
            .and_then(|v| v.to_str().ok())
            .ok_or_else(MyqError::unauthorized)?;
        let principal = state
            .credentials
            .verify_basic(header, MYQ_BASIC)
            .await
            .ok_or_else(MyqError::unauthorized)?;
        let meta = state
            .engine
            .meta(principal.ledger_id)
            .ok_or_else(MyqError::unauthorized)?;
        record_ledger(&meta.ledger_no);
        Ok(MyqClient(meta))
    }
}

/// Ids in paths are positive integers; anything else names no session or payment.
fn id(raw: &str, what: Entity) -> Result<i64, MyqError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| LedgerError::NotFound(what).into())
}

/// A request body of API A, rejected in API A's format.
type Body<T> = super::wire::Wire<T, MyqError>;

/// API A's reference: the MyQ External Account API.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(open_session, session_balance, end_session, block, create_payment, patch_payment, commit_payment, rollback_payment),
    components(schemas(types::ExternalErrorBody)),
    tags((name = "MyQ External Account API", description = "Print and copy jobs charged to a user's account through sessions, blocks and payments (SPEC §3, seed 000)"))
)]
pub struct ApiDoc;

/// API A's errors: `{"error": {"message"}}` for every status.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// A field broke a rule (`<field>: <rule>`).
    #[response(status = 400)]
    BadRequest(types::ExternalErrorBody),
    /// No or a wrong MyQ login.
    #[response(status = 401)]
    Unauthorized(types::ExternalErrorBody),
    /// No such user, session or payment.
    #[response(status = 404)]
    NotFound(types::ExternalErrorBody),
    /// The session's or payment's state forbids it, or too little credit.
    #[response(status = 409)]
    Conflict(types::ExternalErrorBody),
}

#[utoipa::path(post, operation_id = "openSession", path = "/sessions", tag = "MyQ External Account API",
    request_body = types::SessionRequest,
    responses((status = 200, description = "A session on the user's default account", body = types::SessionId), Errors),
    security(("myqBasic" = [])))]
async fn open_session(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Wire { body, .. }: Body<types::SessionRequest>,
) -> Result<Json<types::SessionId>, MyqError> {
    let text = |t: Option<Text<255>>| t.and_then(|t| t.given().map(str::to_string));
    let who = Identification {
        username: text(body.username),
        aliases: wire::texts("aliases", body.aliases)?,
        cards: wire::texts("cards", body.cards)?,
        personal_number: text(body.personalnumber),
    };
    let id = state
        .engine
        .execute(ledger.id, move |l, now| l.open_session(&who, now))
        .await??;
    Ok(Json(types::SessionId { id }))
}

#[utoipa::path(get, operation_id = "getSessionBalance", path = "/sessions/{session}", tag = "MyQ External Account API",
    params(("session" = i64, Path)),
    responses((status = 200, description = "What the user may spend", body = types::Balance), Errors),
    security(("myqBasic" = [])))]
async fn session_balance(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
) -> Result<Json<types::Balance>, MyqError> {
    let session = id(&session, Entity::Session)?;
    let balance = state
        .engine
        .execute(ledger.id, move |l, now| l.session_balance(session, now))
        .await??;
    Ok(Json(types::Balance {
        balance: balance.plain_json(ledger.scale),
    }))
}

#[utoipa::path(post, operation_id = "blockCredit", path = "/sessions/{session}/block", tag = "MyQ External Account API",
    params(("session" = i64, Path)),
    request_body = types::AmountRequest,
    responses((status = 204, description = "Held for the session"), Errors),
    security(("myqBasic" = [])))]
async fn block(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
    Wire { body, .. }: Body<types::AmountRequest>,
) -> Result<StatusCode, MyqError> {
    let session = id(&session, Entity::Session)?;
    let amount = body.amount.at(ledger.scale, "amount")?;
    state
        .engine
        .execute(ledger.id, move |l, now| l.block(session, amount, now))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, operation_id = "createSessionPayment", path = "/sessions/{session}/payments", tag = "MyQ External Account API",
    params(("session" = i64, Path)),
    request_body = types::AmountRequest,
    responses((status = 200, description = "A payment of what is permitted", body = types::SessionPayment), Errors),
    security(("myqBasic" = [])))]
async fn create_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
    Wire { body, .. }: Body<types::AmountRequest>,
) -> Result<Json<types::SessionPayment>, MyqError> {
    let session = id(&session, Entity::Session)?;
    let amount = body.amount.at(ledger.scale, "amount")?;
    let payment = state
        .engine
        .execute(ledger.id, move |l, now| {
            l.create_payment(session, amount, now)
        })
        .await??;
    Ok(Json(types::SessionPayment {
        id: payment.id,
        amount: payment.permitted.plain_json(ledger.scale),
    }))
}

#[utoipa::path(patch, operation_id = "patchSessionPayment", path = "/sessions/{session}/payments/{payment}", tag = "MyQ External Account API",
    params(("session" = i64, Path), ("payment" = i64, Path)),
    request_body = types::AmountRequest,
    responses((status = 200, description = "The payment with its new amount", body = types::SessionPayment), Errors),
    security(("myqBasic" = [])))]
async fn patch_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path((session, payment)): Path<(String, String)>,
    Wire { body, .. }: Body<types::AmountRequest>,
) -> Result<Json<types::SessionPayment>, MyqError> {
    let (session, payment) = (
        id(&session, Entity::Session)?,
        id(&payment, Entity::SessionPayment)?,
    );
    let amount = body.amount.at(ledger.scale, "amount")?;
    let payment = state
        .engine
        .execute(ledger.id, move |l, now| {
            l.patch_payment(session, payment, amount, now)
        })
        .await??;
    Ok(Json(types::SessionPayment {
        id: payment.id,
        amount: payment.permitted.plain_json(ledger.scale),
    }))
}

#[utoipa::path(post, operation_id = "commitSessionPayment", path = "/sessions/{session}/payments/{payment}/commit", tag = "MyQ External Account API",
    params(("session" = i64, Path), ("payment" = i64, Path)),
    responses((status = 204, description = "Charged to the account"), Errors),
    security(("myqBasic" = [])))]
async fn commit_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path((session, payment)): Path<(String, String)>,
) -> Result<StatusCode, MyqError> {
    let (session, payment) = (
        id(&session, Entity::Session)?,
        id(&payment, Entity::SessionPayment)?,
    );
    state
        .engine
        .execute(ledger.id, move |l, now| {
            l.commit_payment(session, payment, now)
        })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, operation_id = "rollbackSessionPayment", path = "/sessions/{session}/payments/{payment}/rollback", tag = "MyQ External Account API",
    params(("session" = i64, Path), ("payment" = i64, Path)),
    responses((status = 204, description = "Released, nothing charged"), Errors),
    security(("myqBasic" = [])))]
async fn rollback_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path((session, payment)): Path<(String, String)>,
) -> Result<StatusCode, MyqError> {
    let (session, payment) = (
        id(&session, Entity::Session)?,
        id(&payment, Entity::SessionPayment)?,
    );
    state
        .engine
        .execute(ledger.id, move |l, now| {
            l.rollback_payment(session, payment, now)
        })
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, operation_id = "endSession", path = "/sessions/{session}", tag = "MyQ External Account API",
    params(("session" = i64, Path)),
    responses((status = 204, description = "Ended; what it held is released"), Errors),
    security(("myqBasic" = [])))]
async fn end_session(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
) -> Result<StatusCode, MyqError> {
    let session = id(&session, Entity::Session)?;
    state
        .engine
        .execute(ledger.id, move |l, now| l.end_session(session, now))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}
