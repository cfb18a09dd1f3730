//! Billing in the admin API: bill runs, payments matched by OCR reference, statements.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Admin, AdminError, Body, Errors, blocking, ledger_id, ledger_meta, render, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::credit_account::{BillContext, bill_json};
use crate::http::wire::{Money, Wire};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, Transaction, zone};
use crate::money::Amount;

/// `format=json` (the default) or `format=csv`: whether CSV was asked for.
pub(super) fn wants_csv(q: &HashMap<String, String>) -> Result<bool, Invalid> {
    match q.get("format").map(String::as_str) {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(Invalid::new("format", "must be json or csv")),
    }
}

/// A CSV body as its own content type.
pub(super) fn csv_response(body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    response
}

pub(super) fn date(text: &str, field: &str) -> Result<time::Date, Invalid> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Invalid::new(field, "must be a date YYYY-MM-DD"))
}

/// `{"billDate": "2026-11-30"}`: bills every account in debt at that date.
#[utoipa::path(post, operation_id = "adminBillRun", path = "/admin/v1/ledgers/{ledger}/bill-runs", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::BillRun,
    responses((status = 201, description = "The bills made", body = types::Bills), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn bill_run(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    key: super::once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::BillRun>,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let bill_date = date(&body.bill_date.0, "billDate")?;
    super::once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, now| {
        let made = l.bill_run(bill_date, now)?;
        let bills = made
            .iter()
            .filter_map(|b| {
                let a = l.account(b.account_id)?;
                Some(bill_json(&BillContext::of(l, a), b))
            })
            .collect::<Vec<_>>();
        Ok(types::Bills { bills })
    })
    .await
}

/// Money received with a bill's OCR reference.
#[utoipa::path(post, operation_id = "adminPaymentByReference", path = "/admin/v1/ledgers/{ledger}/payments", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = types::PaymentByReference,
    responses((status = 201, description = "The payment's posting", body = types::Transaction), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn payment_by_reference(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    key: super::once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::PaymentByReference>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let amount = body.amount.at(scale, "amount")?;
    let reference = super::required("paymentReference", body.payment_reference)?;
    let description = super::optional(body.description);
    super::once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, now| {
        let txn = l.receive_payment_by_reference(&reference, amount, description, now)?;
        Ok(render::transaction(&txn, scale, &l.info.settings.time_zone))
    })
    .await
}

/// Every posting of the account in `from..=to` with the running balance after it, the
/// balance brought forward, and the holds active now. JSON, or CSV with `format=csv`.
#[utoipa::path(get, operation_id = "adminStatement", path = "/admin/v1/ledgers/{ledger}/accounts/{account}/statement", tag = "Admin API",
    params(("ledger" = String, Path), ("account" = String, Path, description = "The accountNo"),
        ("from" = Option<String>, Query, format = Date, description = "First day; the balance before it is brought forward"),
        ("to" = Option<String>, Query, format = Date, description = "Last day"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`")),
    responses(
        (status = 200, description = "The statement", content(
            (types::Statement = "application/json"),
            (String = "text/csv", example = "date,type,description,amount,balance,reference")
        )),
        Errors),
    security(("adminBearer" = [])))]
pub(super) async fn statement(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let csv = wants_csv(&q)?;
    let from = q
        .get("from")
        .filter(|v| !v.is_empty())
        .map(|v| date(v, "from"))
        .transpose()?;
    let to = q
        .get("to")
        .filter(|v| !v.is_empty())
        .map(|v| date(v, "to"))
        .transpose()?;
    let (account_id, current, holds, tz) = state
        .engine
        .execute(id, move |l, _| {
            let a = l
                .account_by_no(&account)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let tz = &l.info.settings.time_zone;
            let holds: Vec<types::Hold> = l
                .active_holds_of(a.id)
                .iter()
                .map(|h| types::Hold {
                    kind: h.kind.as_str(),
                    amount: Money::of(h.amount, scale),
                    remaining: Money::of(h.remaining, scale),
                    created_at: zone::rfc3339(tz, h.created_at),
                    description: h.description.clone(),
                })
                .collect();
            let tz = tz.clone();
            Ok::<_, LedgerError>((a.id, render::account(l, a), holds, tz))
        })
        .await??;
    let store = state.engine.store().clone();
    let txns: Vec<Transaction> = blocking(move || store.transactions(id, account_id)).await??;
    let overflow = || AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
    let mut running = Amount::ZERO;
    let mut opening = Amount::ZERO;
    let mut lines: Vec<(types::Transaction, &Transaction, Amount)> = Vec::new();
    for t in &txns {
        running = running.checked_add(t.amount).map_err(|_| overflow())?;
        if from.is_some_and(|f| t.date < f) {
            opening = running;
        } else if to.is_none_or(|end| t.date <= end) {
            let mut line = render::transaction(t, scale, &tz);
            line.balance = Some(Money::of(running, scale));
            lines.push((line, t, running));
        }
    }
    if csv {
        let mut out = String::from("date,type,description,amount,balance,reference\n");
        for (_, t, balance) in &lines {
            let description = t.description.replace('"', "\"\"");
            out.push_str(&format!(
                "{},{},\"{description}\",{},{},{}\n",
                t.date,
                t.kind.as_str(),
                t.amount.fixed(scale),
                balance.fixed(scale),
                t.reference
            ));
        }
        return Ok(csv_response(out));
    }
    Ok(Json(types::Statement {
        account: current,
        from: from.map(|d| d.to_string()),
        to: to.map(|d| d.to_string()),
        opening_balance: Money::of(opening, scale),
        transactions: lines.into_iter().map(|(l, _, _)| l).collect(),
        holds,
    })
    .into_response())
}

#[utoipa::path(post, operation_id = "adminAdjust", path = "/admin/v1/ledgers/{ledger}/accounts/{account}/adjustments", tag = "Admin API",
    params(("ledger" = String, Path), ("account" = String, Path, description = "The accountNo")),
    request_body = types::Adjustment,
    responses((status = 201, description = "The adjustment's posting", body = types::Transaction), Errors),
    security(("adminBearer" = [])))]
pub async fn adjust(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    key: super::once::IdempotencyKey,
    Wire { body, raw, .. }: Body<types::Adjustment>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let amount = body.amount.at(scale, "amount")?;
    if amount <= Amount::ZERO {
        return Err(Invalid::new("amount", "must be greater than 0").into());
    }
    let amount = match body.direction {
        types::Direction::Credit => amount,
        types::Direction::Debit => amount
            .checked_neg()
            .map_err(|_| Invalid::new("amount", "is too large"))?,
    };
    let reason = super::required("reason", body.reason)?;
    super::once::once(&state, id, key, &raw, StatusCode::CREATED, move |l, now| {
        let txn = l.adjust(&account, amount, reason, now)?;
        Ok(render::transaction(&txn, scale, &l.info.settings.time_zone))
    })
    .await
}
