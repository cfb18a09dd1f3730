//! What happened on an account: posted transactions and active reservations.

use std::collections::HashMap;

use super::{CaProblem, LedgerToken, Page, render, types, validation};
use crate::http::page::List;
use crate::http::wire::Money;
use crate::http::{AppState, read_store};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, Transaction, TxnType, zone};
use crate::money::Amount;
use crate::store::TransactionQuery;
use axum::Json;
use axum::extract::{Path, Query, State};

/// API C knows three types (seed 003): money in is `payment` or `credit`, money out is
/// `purchase` (fees, interest and debit adjustments too, told apart by their description).
fn wire_type(t: &Transaction) -> &'static str {
    match t.kind {
        TxnType::Payment => "payment",
        TxnType::Purchase | TxnType::Fee | TxnType::Interest => "purchase",
        TxnType::Credit | TxnType::Recharge | TxnType::Reversal => "credit",
        TxnType::Adjustment if t.amount.is_negative() => "purchase",
        TxnType::Adjustment => "credit",
    }
}

fn transaction(t: &Transaction, scale: u32) -> types::Transaction {
    types::Transaction {
        kind: wire_type(t),
        description: t.description.clone(),
        // The seed shows purchases as positive amounts: the type carries the direction.
        amount: Money::of(Amount::from_minor(t.amount.minor().abs()), scale),
        billed: t.billed.is_some(),
        date: t.date.to_string(),
        reserve_date: t.reserve_date.map(|d| d.to_string()),
    }
}

fn date_param(
    query: &HashMap<String, String>,
    name: &str,
) -> Result<Option<time::Date>, CaProblem> {
    match query.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
            .map(Some)
            .map_err(|_| validation(name, "must be a date YYYY-MM-DD")),
    }
}

#[utoipa::path(get, operation_id = "listTransactions", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/transactions", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path),
        ("fromDate" = Option<String>, Query, format = Date), ("toDate" = Option<String>, Query, format = Date),
        ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "Newest first", body = List<types::Transaction>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn transactions(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::Transaction>>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let (from, to) = (
        date_param(&query, "fromDate")?,
        date_param(&query, "toDate")?,
    );
    let lookup = account.clone();
    let account_id = state
        .engine
        .read(meta.id, move |l, _| {
            l.account_by_no(&lookup)
                .map(|a| a.id)
                .ok_or(LedgerError::NotFound(Entity::Account))
        })
        .await??;
    let q = TransactionQuery {
        ledger_id: meta.id,
        account_id,
        from,
        to,
        limit: page.top,
        offset: page.skip,
    };
    let (rows, total) = read_store(&state, "listing transactions", move |s| {
        s.transactions_page(&q)
    })
    .await?;
    let mut filters = Vec::new();
    if let Some(d) = from {
        filters.push(("fromDate", d.to_string()));
    }
    if let Some(d) = to {
        filters.push(("toDate", d.to_string()));
    }
    let items = rows.iter().map(|t| transaction(t, meta.scale)).collect();
    let path = format!(
        "{}/transactions",
        render::account_path(&meta.ledger_no, &account)
    );
    Ok(Json(page.list(&path, &filters, items, total)))
}

#[utoipa::path(get, operation_id = "listReservations", path = "/ledger/credit-account/v1/{ledgerNo}/accounts/{accountNo}/reservations", tag = "Credit Account API",
    params(("ledgerNo" = String, Path), ("accountNo" = String, Path), ("$top" = Option<u32>, Query), ("$skip" = Option<i64>, Query)),
    responses((status = 200, description = "The active holds", body = List<types::Reservation>), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn reservations(
    State(state): State<AppState>,
    token: LedgerToken,
    Path((ledger, account)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<List<types::Reservation>>, CaProblem> {
    let meta = token.ledger(&ledger)?.clone();
    let page = Page::from_query(&query)?;
    let (top, skip, scale) = (page.top as usize, page.skip as usize, meta.scale);
    let lookup = account.clone();
    let (items, total) = state
        .engine
        .read(meta.id, move |l, _| {
            let a = l
                .account_by_no(&lookup)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let holds = l.active_holds_of(a.id);
            let tz = &l.info.settings.time_zone;
            let items: Vec<types::Reservation> = holds
                .iter()
                .skip(skip)
                .take(top)
                .map(|h| types::Reservation {
                    amount: Money::of(h.remaining, scale),
                    description: h.description.clone(),
                    date: zone::date(tz, h.created_at).to_string(),
                })
                .collect();
            Ok::<_, LedgerError>((items, holds.len() as i64))
        })
        .await??;
    let path = format!(
        "{}/reservations",
        render::account_path(&meta.ledger_no, &account)
    );
    Ok(Json(page.list(&path, &[], items, total)))
}
