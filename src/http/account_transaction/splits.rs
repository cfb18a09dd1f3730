//! Split authorizations with their captures, reversals and cancellations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{AtProblem, Merchant, once, validation};
use crate::http::AppState;
use crate::http::body::{self, BodyError, JsonBody};
use crate::http::credit_account::render::account_path;
use crate::ledger::Entity;
use crate::ledger::{
    Capture, CaptureRequest, Ledger, LedgerError, Resource, Reversal, SplitAuthorization,
    SplitStatus, capture_key, reversal_key, zone,
};
use crate::money::Amount;

type Body = Result<JsonBody, BodyError>;

fn split_path(ledger_no: &str, id: &str) -> String {
    format!("/ledger/account-transaction/v1/{ledger_no}/split-authorizations/{id}")
}

fn render_split(l: &Ledger, s: &SplitAuthorization) -> Value {
    let scale = l.info.scale();
    let id = split_path(&l.info.ledger_no, &s.id);
    let operations = if s.status == SplitStatus::Authorized {
        json!([
            {"rel": "capture", "method": "POST", "href": format!("{id}/captures")},
            {"rel": "cancel", "method": "POST", "href": format!("{id}/cancellations")},
        ])
    } else {
        json!([])
    };
    json!({
        "@id": id,
        "splitAuthorizationId": s.id,
        "preAuthorizationId": s.authentication_id,
        "sellerNumber": s.seller_no,
        "validToDate": zone::rfc3339(&l.info.settings.time_zone, s.valid_to),
        "authorizationAmount": s.amount.fixed_json(scale),
        "remainingAmount": s.remaining.fixed_json(scale),
        "currency": s.currency,
        "status": s.status.as_str(),
        "operations": operations,
    })
}

fn render_capture(l: &Ledger, c: &Capture) -> Value {
    let scale = l.info.scale();
    let account_no = l
        .account(c.account_id)
        .map(|a| a.account_no.clone())
        .unwrap_or_default();
    let id = format!(
        "{}/captures/{}",
        split_path(&l.info.ledger_no, &c.split_id),
        c.id
    );
    json!({
        "@id": id,
        "captureId": c.id,
        "accountNo": account_no,
        "account": account_path(&l.info.ledger_no, &account_no),
        "sellerTransactionId": c.seller_transaction_id,
        "productName": c.product_name,
        "totalAmount": c.amount.fixed_json(scale),
        "reversedAmount": c.reversed.fixed_json(scale),
        "months": c.months,
        "monthlyBillingAmount": c.monthly.fixed_json(scale),
        "operations": [{"rel": "add-reversal", "method": "POST", "href": format!("{id}/reversals")}],
    })
}

/// The body's `field`, if present, must repeat the id in the path.
fn same_id(body: &Value, field: &str, id: &str) -> Result<(), AtProblem> {
    super::client_id(field, id)?;
    match body::opt_string(body, field, 64)? {
        Some(v) if v != id => Err(validation(field, "must be the id in the path")),
        _ => Ok(()),
    }
}

fn currency(body: &Value, expected: &str) -> Result<(), AtProblem> {
    let currency = body::required_string(body, "currency", 3)?;
    if currency.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(validation(
            "currency",
            format!("must be the ledger's currency {expected}"),
        ))
    }
}

pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    same_id(&body, "splitAuthorizationId", &id)?;
    let pre_auth = body::required_string(&body, "preAuthorizationId", 64)?;
    let known = id.clone();
    once(
        &state,
        meta.id,
        (Resource::Split, id.clone()),
        &body,
        move |l, now| Ok(l.split(&known, now)?.map(|s| render_split(l, &s))),
        move |l, now| {
            let split = l.split_authorize(&id, &pre_auth, now)?;
            Ok(render_split(l, &split))
        },
    )
    .await
}

pub async fn get(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
) -> Result<Json<Value>, AtProblem> {
    let meta = merchant.ledger(&ledger)?;
    let body = state
        .engine
        .execute(meta.id, move |l, now| {
            let split = l
                .split(&id, now)?
                .ok_or(LedgerError::NotFound(Entity::SplitAuthorization))?;
            Ok::<_, LedgerError>(render_split(l, &split))
        })
        .await??;
    Ok(Json(body))
}

pub async fn capture(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id, capture_id)): Path<(String, String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    same_id(&body, "captureId", &capture_id)?;
    currency(&body, &meta.currency)?;
    let months = match body.get("months") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|m| *m <= 120)
            .ok_or_else(|| validation("months", "must be a whole number from 0 to 120"))?
            as u32,
        Some(_) => return Err(validation("months", "must be a whole number from 0 to 120")),
    };
    let monthly = match body.get("monthlyBillingAmount") {
        None | Some(Value::Null) => Amount::ZERO,
        Some(_) => body::amount(&body, "monthlyBillingAmount", meta.scale)?,
    };
    if months > 0 && monthly.minor() <= 0 {
        return Err(validation(
            "monthlyBillingAmount",
            "must be greater than 0 when months is set",
        ));
    }
    let request = CaptureRequest {
        seller_transaction_id: body::required_string(&body, "sellerTransactionId", 100)?,
        total: body::amount(&body, "totalAmount", meta.scale)?,
        months,
        monthly,
        product_name: body::required_string(&body, "productName", 200)?,
    };
    let (split, known) = (id.clone(), capture_id.clone());
    once(
        &state,
        meta.id,
        (Resource::Capture, capture_key(&id, &capture_id)),
        &body,
        move |l, _| Ok(l.capture_of(&split, &known)?.map(|c| render_capture(l, &c))),
        move |l, now| {
            let capture = l.capture(&id, &capture_id, request, now)?;
            Ok(render_capture(l, &capture))
        },
    )
    .await
}

pub async fn get_capture(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id, capture_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, AtProblem> {
    let meta = merchant.ledger(&ledger)?;
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            l.capture_of(&id, &capture_id)?
                .map(|c| render_capture(l, &c))
                .ok_or(LedgerError::NotFound(Entity::Capture))
        })
        .await??;
    Ok(Json(body))
}

pub async fn reverse(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id, capture_id, reversal_id)): Path<(String, String, String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    let JsonBody(body) = body?;
    same_id(&body, "reversalId", &reversal_id)?;
    currency(&body, &meta.currency)?;
    let amount = body::amount(&body, "amount", meta.scale)?;
    let seller_transaction_id = body::required_string(&body, "sellerTransactionId", 100)?;
    let (split, capture, known) = (id.clone(), capture_id.clone(), reversal_id.clone());
    once(
        &state,
        meta.id,
        (
            Resource::Reversal,
            reversal_key(&id, &capture_id, &reversal_id),
        ),
        &body,
        move |l, _| {
            Ok(l.reversal_of(&split, &capture, &known)
                .map(|r| render_reversal(l, &split, r)))
        },
        move |l, now| {
            let r = l.reverse(
                &id,
                &capture_id,
                &reversal_id,
                amount,
                seller_transaction_id,
                now,
            )?;
            Ok(render_reversal(l, &id, &r))
        },
    )
    .await
}

fn render_reversal(l: &Ledger, split_id: &str, r: &Reversal) -> Value {
    let capture_path = format!(
        "{}/captures/{}",
        split_path(&l.info.ledger_no, split_id),
        r.capture_id
    );
    json!({
        "@id": format!("{capture_path}/reversals/{}", r.id),
        "reversalId": r.id,
        "currency": l.info.currency,
        "amount": r.amount.fixed_json(l.info.scale()),
        "sellerTransactionId": r.seller_transaction_id,
        "capture": capture_path,
    })
}

/// Releases the remaining hold. There is no client id here: a repeated cancellation answers
/// the same 201 because cancelling a cancelled authorization changes nothing.
pub async fn cancel(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
    body?;
    let body = state
        .engine
        .execute(meta.id, move |l, now| {
            let split = l.cancel_split(&id, now)?;
            Ok::<_, LedgerError>(render_split(l, &split))
        })
        .await??;
    Ok(axum::response::IntoResponse::into_response((
        StatusCode::CREATED,
        Json(body),
    )))
}
