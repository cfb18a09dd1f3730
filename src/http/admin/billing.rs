//! Billing in the admin API: bill runs, payments matched by OCR reference, statements.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Admin, AdminError, Body, blocking, ledger_id, ledger_meta, render};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::body::{self, JsonBody};
use crate::http::credit_account::{BillContext, bill_json};
use crate::ledger::Entity;
use crate::ledger::{LedgerError, Transaction, zone};
use crate::money::Amount;

fn date(text: &str, field: &str) -> Result<time::Date, Invalid> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| Invalid::new(field, "must be a date YYYY-MM-DD"))
}

/// `{"billDate": "2026-11-30"}`: bills every account in debt at that date.
pub(super) async fn bill_run(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    let id = ledger_id(&state, &ledger)?;
    let JsonBody(body) = body?;
    let bill_date = date(&body::required_string(&body, "billDate", 10)?, "billDate")?;
    let store = state.engine.store().clone();
    let input = blocking(move || store.bill_run_input(id, bill_date)).await??;
    let bills = state
        .engine
        .execute(id, move |l, now| {
            let bills = l.bill_run(input, now)?;
            Ok::<_, LedgerError>(
                bills
                    .iter()
                    .filter_map(|b| {
                        let a = l.account(b.account_id)?;
                        Some(bill_json(&BillContext::of(l, a), b))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await??;
    Ok((StatusCode::CREATED, Json(json!({ "bills": bills }))).into_response())
}

/// Money received with a bill's OCR reference: `{"amount", "paymentReference", "description"?}`.
pub(super) async fn payment_by_reference(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    body: Body,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let JsonBody(body) = body?;
    let amount = body::amount(&body, "amount", scale)?;
    let reference = body::required_string(&body, "paymentReference", 50)?;
    let description = body::opt_string(&body, "description", 200)?;
    let txn = state
        .engine
        .execute(id, move |l, now| {
            l.receive_payment_by_reference(&reference, amount, description, now)
        })
        .await??;
    Ok((StatusCode::CREATED, Json(render::transaction(&txn, scale))).into_response())
}

/// Every posting of the account in `from..=to` with the running balance after it, the
/// balance brought forward, and the holds active now. JSON, or CSV with `format=csv`.
pub(super) async fn statement(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, account)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let (id, scale) = (meta.id, meta.scale);
    let csv = match q.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Invalid::new("format", "must be json or csv").into()),
    };
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
    let (account_id, current, holds) = state
        .engine
        .execute(id, move |l, _| {
            let a = l
                .account_by_no(&account)
                .ok_or(LedgerError::NotFound(Entity::Account))?;
            let tz = &l.info.settings.time_zone;
            let holds: Vec<Value> = l
                .active_holds_of(a.id)
                .iter()
                .map(|h| {
                    json!({
                        "kind": h.kind.as_str(),
                        "amount": h.amount.fixed_json(scale),
                        "remaining": h.remaining.fixed_json(scale),
                        "createdAt": zone::rfc3339(tz, h.created_at),
                        "description": h.description,
                    })
                })
                .collect();
            Ok::<_, LedgerError>((a.id, render::account(l, a), holds))
        })
        .await??;
    let store = state.engine.store().clone();
    let txns: Vec<Transaction> = blocking(move || store.transactions(id, account_id)).await??;
    let overflow = || AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
    let mut running = Amount::ZERO;
    let mut opening = Amount::ZERO;
    let mut lines: Vec<(Value, &Transaction, Amount)> = Vec::new();
    for t in &txns {
        running = running.checked_add(t.amount).map_err(|_| overflow())?;
        if from.is_some_and(|f| t.date < f) {
            opening = running;
        } else if to.is_none_or(|end| t.date <= end) {
            let mut line = render::transaction(t, scale);
            line["balance"] = running.fixed_json(scale);
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
        let mut response = out.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(response);
    }
    Ok(Json(json!({
        "account": current,
        "from": from.map(|d| d.to_string()),
        "to": to.map(|d| d.to_string()),
        "openingBalance": opening.fixed_json(scale),
        "transactions": lines.into_iter().map(|(l, _, _)| l).collect::<Vec<_>>(),
        "holds": holds,
    }))
    .into_response())
}
