//! Autogiro payment orders in the admin API: the orders due on a date, for a bank-file tool
//! (JSON or CSV), and the bank's answer for each: executed or failed.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::{Admin, AdminError, Errors, ledger_meta, types};
use crate::http::AppState;
use crate::http::wire::Money;
use crate::ledger::{Ledger, PaymentOrder};

fn view(l: &Ledger, o: &PaymentOrder, scale: u32) -> types::PaymentOrderView {
    types::PaymentOrderView {
        bill_no: o.bill_no,
        account_no: l
            .account(o.account_id)
            .map(|a| a.account_no.clone())
            .unwrap_or_default(),
        amount: Money::of(o.amount, scale),
        execution_date: o.execution_date.to_string(),
        status: o.status.as_str(),
        payment_reference: l
            .find_bill(o.bill_no)
            .ok()
            .flatten()
            .map(|b| b.reference.clone())
            .unwrap_or_default(),
    }
}

/// Pending orders to execute on or before `due` (default: all pending), JSON or CSV.
#[utoipa::path(get, operation_id = "adminPaymentOrders", path = "/admin/v1/ledgers/{ledger}/payment-orders", tag = "Admin API",
    params(("ledger" = String, Path),
        ("due" = Option<String>, Query, format = Date, description = "Orders to execute on or before this day"),
        ("format" = Option<String>, Query, description = "`json` (the default) or `csv`")),
    responses(
        (status = 200, description = "Pending orders by execution date", content(
            (types::PaymentOrders = "application/json"),
            (String = "text/csv", example = "bill_no,account_no,amount,execution_date,payment_reference")
        )),
        Errors),
    security(("adminBearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let csv = super::billing::wants_csv(&q)?;
    let due = q
        .get("due")
        .filter(|v| !v.is_empty())
        .map(|v| super::billing::date(v, "due"))
        .transpose()?;
    let scale = meta.scale;
    let orders = state
        .engine
        .read(meta.id, move |l, _| {
            l.pending_orders(due, None)
                .into_iter()
                .map(|o| view(l, o, scale))
                .collect::<Vec<_>>()
        })
        .await?;
    if !csv {
        return Ok(Json(types::PaymentOrders { orders }).into_response());
    }
    let mut out = String::from("bill_no,account_no,amount,execution_date,payment_reference\n");
    for o in &orders {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            o.bill_no, o.account_no, o.amount, o.execution_date, o.payment_reference
        ));
    }
    Ok(super::billing::csv_response(out))
}

/// The bank's answer for one order.
async fn settle(
    state: AppState,
    ledger: String,
    bill_no: String,
    executed: bool,
    key: super::once::IdempotencyKey,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let bill_no: i64 = bill_no
        .parse()
        .map_err(|_| AdminError::not_found("Payment order"))?;
    let scale = meta.scale;
    let no_body = serde_json::Value::Null;
    super::once::once(
        &state,
        meta.id,
        key,
        &no_body,
        axum::http::StatusCode::OK,
        move |l, now| {
            let order = if executed {
                l.execute_order(bill_no, now)?
            } else {
                l.fail_order(bill_no)?
            };
            Ok(view(l, &order, scale))
        },
    )
    .await
}

/// The bank drew the order: its amount is posted as a payment of the bill.
#[utoipa::path(post, operation_id = "adminPaymentOrderExecuted", path = "/admin/v1/ledgers/{ledger}/payment-orders/{billNo}/executed", tag = "Admin API",
    params(("ledger" = String, Path), ("billNo" = i64, Path, description = "The bill the order pays")),
    responses((status = 200, description = "The order, executed", body = types::PaymentOrderView), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn executed(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, bill_no)): Path<(String, String)>,
    key: super::once::IdempotencyKey,
) -> Result<Response, AdminError> {
    settle(state, ledger, bill_no, true, key).await
}

/// The bank could not draw the order; the bill stays open.
#[utoipa::path(post, operation_id = "adminPaymentOrderFailed", path = "/admin/v1/ledgers/{ledger}/payment-orders/{billNo}/failed", tag = "Admin API",
    params(("ledger" = String, Path), ("billNo" = i64, Path, description = "The bill the order pays")),
    responses((status = 200, description = "The order, failed", body = types::PaymentOrderView), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn failed(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, bill_no)): Path<(String, String)>,
    key: super::once::IdempotencyKey,
) -> Result<Response, AdminError> {
    settle(state, ledger, bill_no, false, key).await
}
