//! Cards of an account: add, list, get, and mark deleted.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{CaProblem, LedgerToken, Page, render, validation};
use crate::http::AppState;
use crate::http::body::{self, BodyError, JsonBody};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, NationalId, NewCard};

type Body = Result<JsonBody, BodyError>;

fn flag(body: &Value, field: &str) -> Result<bool, CaProblem> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(validation(field, "must be true or false")),
    }
}

/// The card holder's national identifier, validated (SE: personnummer) and canonical.
fn national_id(holder: &Value, today: time::Date) -> Result<Option<NationalId>, CaProblem> {
    const FIELD: &str = "cardHolder.nationalConsumerIdentifier";
    let Some(nci) = holder
        .get("nationalConsumerIdentifier")
        .filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    let value = body::required_string(nci, "value", 64)
        .map_err(|_| validation(&format!("{FIELD}.value"), "is required"))?;
    let country = body::required_string(nci, "countryCode", 2).map_err(|_| {
        validation(
            &format!("{FIELD}.countryCode"),
            "must be an ISO 3166-1 alpha-2 code",
        )
    })?;
    Ok(Some(crate::http::national_id::parse(
        &value, &country, today, FIELD,
    )?))
}

pub async fn add(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    body: Body,
) -> Result<Response, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    let card_token = match body::opt_string(&body, "token", 36)? {
        Some(t) => uuid::Uuid::parse_str(&t)
            .map_err(|_| validation("token", "must be a UUID"))?
            .to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    // The seed's request writes `PanTrunc`; its property table writes `panTrunc`.
    let pan_trunc = match body::opt_string(&body, "panTrunc", 32)? {
        Some(p) => Some(p),
        None => body::opt_string(&body, "PanTrunc", 32)?,
    };
    let holder = body.get("cardHolder").cloned().unwrap_or(Value::Null);
    if !(holder.is_null() || holder.is_object()) {
        return Err(validation("cardHolder", "must be an object"));
    }
    let today = state.engine.now().date();
    let new = NewCard {
        token: card_token,
        pan_trunc,
        deleted: flag(&body, "deleted")?,
        main_card: flag(&body, "mainCard")?,
        holder_number: body::opt_string(&holder, "number", 50)
            .map_err(|e| e.within("cardHolder"))?,
        holder_name: body::opt_string(&holder, "name", 100).map_err(|e| e.within("cardHolder"))?,
        holder_national_id: national_id(&holder, today)?,
    };
    let no = meta.ledger_no.clone();
    let card = state
        .engine
        .execute(meta.id, move |l, _| {
            let card = l.add_card(&account, new)?;
            Ok::<_, LedgerError>(render::card(&no, &account, &card))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(card)).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let (no, top, skip) = (
        meta.ledger_no.clone(),
        page.top as usize,
        page.skip as usize,
    );
    let account_no = account.clone();
    let (items, total) = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&account_no)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let cards = l.cards_of(a.id);
            let items: Vec<Value> = cards
                .iter()
                .skip(skip)
                .take(top)
                .map(|c| render::card(&no, &account_no, c))
                .collect();
            Ok::<_, LedgerError>((items, cards.len() as i64))
        })
        .await??;
    let path = format!("{}/cards", render::account_path(&meta.ledger_no, &account));
    Ok(Json(page.list(&path, &[], items, total)))
}

pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, card)): Path<(String, String, String)>,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let no = meta.ledger_no.clone();
    // Tokens are stored as lower-case UUIDs; a client may write them in upper case.
    let card = card.to_ascii_lowercase();
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&account)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let c = l
                .card(&card)
                .filter(|c| c.account_id == a.id)
                .ok_or(LedgerError::NotFound(Entity::Card))?;
            Ok::<_, LedgerError>(render::card(&no, &account, c))
        })
        .await??;
    Ok(Json(body))
}

pub async fn patch(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, card)): Path<(String, String, String)>,
    body: Body,
) -> Result<Json<Value>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    for key in body.as_object().into_iter().flat_map(|o| o.keys()) {
        if key != "deleted" {
            return Err(validation(key, "cannot be changed; only deleted can"));
        }
    }
    let deleted = match body.get("deleted") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => return Err(validation("deleted", "is required")),
        Some(_) => return Err(validation("deleted", "must be true or false")),
    };
    let no = meta.ledger_no.clone();
    let card = card.to_ascii_lowercase();
    let body = state
        .engine
        .execute(meta.id, move |l, _| {
            let c = l.set_card_deleted(&account, &card, deleted)?;
            Ok::<_, LedgerError>(render::card(&no, &account, &c))
        })
        .await??;
    Ok(Json(body))
}
