//! API A, the MyQ External Account API (SPEC §3), at the server root.

mod error;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

pub use error::{MyqError, error};

use super::body::{self, BodyError, JsonBody};
use super::credentials::MYQ_BASIC;
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

type Body = Result<JsonBody, BodyError>;

async fn open_session(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    body: Body,
) -> Result<Json<Value>, MyqError> {
    let JsonBody(body) = body?;
    let who = Identification {
        username: body::opt_string(&body, "username", 255)?,
        aliases: body::string_list(&body, "aliases", 100, 255)?,
        cards: body::string_list(&body, "cards", 100, 255)?,
        personal_number: body::opt_string(&body, "personalnumber", 255)?.or(body::opt_string(
            &body,
            "personalNumber",
            255,
        )?),
    };
    let id = state
        .engine
        .execute(ledger.id, move |l, now| l.open_session(&who, now))
        .await??;
    Ok(Json(json!({ "id": id })))
}

async fn session_balance(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
) -> Result<Json<Value>, MyqError> {
    let session = id(&session, Entity::Session)?;
    let balance = state
        .engine
        .execute(ledger.id, move |l, now| l.session_balance(session, now))
        .await??;
    Ok(Json(json!({ "balance": balance.plain_json(ledger.scale) })))
}

async fn block(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
    body: Body,
) -> Result<StatusCode, MyqError> {
    let session = id(&session, Entity::Session)?;
    let amount = body::amount(&body?.0, "amount", ledger.scale)?;
    state
        .engine
        .execute(ledger.id, move |l, now| l.block(session, amount, now))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path(session): Path<String>,
    body: Body,
) -> Result<Json<Value>, MyqError> {
    let session = id(&session, Entity::Session)?;
    let amount = body::amount(&body?.0, "amount", ledger.scale)?;
    let payment = state
        .engine
        .execute(ledger.id, move |l, now| {
            l.create_payment(session, amount, now)
        })
        .await??;
    Ok(Json(
        json!({ "id": payment.id, "amount": payment.permitted.plain_json(ledger.scale) }),
    ))
}

async fn patch_payment(
    State(state): State<AppState>,
    MyqClient(ledger): MyqClient,
    Path((session, payment)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, MyqError> {
    let (session, payment) = (
        id(&session, Entity::Session)?,
        id(&payment, Entity::SessionPayment)?,
    );
    let amount = body::amount(&body?.0, "amount", ledger.scale)?;
    let payment = state
        .engine
        .execute(ledger.id, move |l, now| {
            l.patch_payment(session, payment, amount, now)
        })
        .await??;
    Ok(Json(
        json!({ "id": payment.id, "amount": payment.permitted.plain_json(ledger.scale) }),
    ))
}

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
