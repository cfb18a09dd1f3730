//! Cards of an account: add, list, get, and mark deleted.

use std::collections::HashMap;

use super::{Body, CaProblem, LedgerToken, Page, render, types, validation};
use crate::http::AppState;
use crate::http::page::List;
use crate::http::wire::{Text, Wire};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, NewCard};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

fn given<const N: usize>(text: Option<Text<N>>) -> Option<String> {
    text.and_then(|t| t.given().map(str::to_string))
}

#[utoipa::path(post, operation_id = "addCard", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/cards", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path)),
    request_body = types::CardRequest,
    responses((status = 201, description = "The card", body = types::Card), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn add(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Wire { body, .. }: Body<types::CardRequest>,
) -> Result<Response, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let card_token = match given(body.token) {
        Some(t) => uuid::Uuid::parse_str(&t)
            .map_err(|_| validation("token", "must be a UUID"))?
            .to_string(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let today = state.engine.now().date();
    let (holder_number, holder_name, holder_national_id) = match body.card_holder {
        None => (None, None, None),
        Some(holder) => {
            let national_id = match &holder.national_consumer_identifier {
                None => None,
                Some(nci) => Some(nci.parse(today, "cardHolder.nationalConsumerIdentifier")?),
            };
            (given(holder.number), given(holder.name), national_id)
        }
    };
    let new = NewCard {
        token: card_token,
        pan_trunc: given(body.pan_trunc),
        deleted: body.deleted.unwrap_or(false),
        main_card: body.main_card.unwrap_or(false),
        holder_number,
        holder_name,
        holder_national_id,
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

#[utoipa::path(get, operation_id = "listCards", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/cards", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "A page of the account's cards", body = List<types::Card>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::Card>>, CaProblem> {
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
            let items: Vec<types::Card> = cards
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

#[utoipa::path(get, operation_id = "getCard", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/cards/{token}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("token" = String, Path, description = "Any case")),
    responses((status = 200, description = "The card", body = types::Card), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, card)): Path<(String, String, String)>,
) -> Result<Json<types::Card>, CaProblem> {
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

#[utoipa::path(patch, operation_id = "patchCard", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/cards/{token}", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("token" = String, Path, description = "Any case")),
    request_body = types::CardPatch,
    responses((status = 200, description = "The card after the change", body = types::Card), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn patch(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account, card)): Path<(String, String, String)>,
    Wire { body, .. }: Body<types::CardPatch>,
) -> Result<Json<types::Card>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let deleted = body.deleted;
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
