//! Split authorizations with their captures, reversals and cancellations.

use super::{AtProblem, Body, Merchant, json, once, types, validation};
use crate::http::AppState;
use crate::http::credit_account::render::account_path;
use crate::http::wire::{Money, Operation, Text, Wire};
use crate::ledger::Entity;
use crate::ledger::{
    Capture, CaptureRequest, Ledger, LedgerError, Resource, Reversal, SplitAuthorization,
    SplitStatus, capture_key, reversal_key, zone,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

pub fn collection(ledger_no: &str) -> String {
    format!("/ledger/account-transaction/v1/{ledger_no}/split-authorizations")
}

fn split_path(ledger_no: &str, id: &str) -> String {
    format!("{}/{id}", collection(ledger_no))
}

fn render_split(l: &Ledger, s: &SplitAuthorization) -> types::SplitAuthorization {
    let scale = l.info.scale();
    let id = split_path(&l.info.ledger_no, &s.id);
    let operations = if s.status == SplitStatus::Authorized {
        vec![
            Operation::post("capture", format!("{id}/captures")),
            Operation::post("cancel", format!("{id}/cancellations")),
        ]
    } else {
        vec![]
    };
    types::SplitAuthorization {
        id,
        split_authorization_id: s.id.clone(),
        pre_authorization_id: s.authentication_id.clone(),
        seller_number: s.seller_no.clone(),
        valid_to_date: zone::rfc3339(&l.info.settings.time_zone, s.valid_to),
        authorization_amount: Money::of(s.amount, scale),
        remaining_amount: Money::of(s.remaining, scale),
        currency: s.currency.clone(),
        status: s.status.as_str(),
        operations,
    }
}

fn render_capture(l: &Ledger, c: &Capture) -> types::Capture {
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
    types::Capture {
        operations: vec![Operation::post("add-reversal", format!("{id}/reversals"))],
        id,
        capture_id: c.id.clone(),
        account: account_path(&l.info.ledger_no, &account_no),
        account_no,
        seller_transaction_id: c.seller_transaction_id.clone(),
        product_name: c.product_name.clone(),
        total_amount: Money::of(c.amount, scale),
        reversed_amount: Money::of(c.reversed, scale),
        months: c.months,
        monthly_billing_amount: Money::of(c.monthly, scale),
    }
}

/// The id in the body must be the id in the path, where the path names one.
fn same_id(field: &str, given: &Text<64>, path: Option<&str>) -> Result<String, AtProblem> {
    let id = match path {
        Some(id) if id != given.0 => return Err(validation(field, "must be the id in the path")),
        Some(id) => id,
        None => given.0.as_str(),
    };
    super::client_id(field, id)?;
    Ok(id.to_string())
}

fn currency(given: &Text<3>, expected: &str) -> Result<(), AtProblem> {
    if given.0.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(validation(
            "currency",
            format!("must be the ledger's currency {expected}"),
        ))
    }
}

#[utoipa::path(post, operation_id = "createSplitAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path, description = "Chosen by the merchant")),
    request_body = types::SplitAuthorizationRequest,
    responses((status = 201, description = "Authorized: the amount is held", body = types::SplitAuthorization), super::Errors),
    security(("ledgerBearer" = [])))]
/// `POST …/split-authorizations/{id}`, and the advertised collection form that takes the id
/// from the body.
pub async fn create(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(path): Path<Vec<(String, String)>>,
    Wire { body, raw, .. }: Body<types::SplitAuthorizationRequest>,
) -> Result<Response, AtProblem> {
    let (ledger, named) = ids(&path);
    let meta = merchant.ledger(ledger)?.clone();
    let id = same_id(
        "splitAuthorizationId",
        &body.split_authorization_id,
        named.first().copied(),
    )?;
    let pre_auth = body.pre_authorization_id.into_inner();
    let known = id.clone();
    once(
        &state,
        meta.id,
        (Resource::Split, id.clone()),
        &raw,
        move |l, now| Ok(l.split(&known, now)?.map(|s| json(render_split(l, &s)))),
        move |l, now| {
            let split = l.split_authorize(&id, &pre_auth, now)?;
            Ok(json(render_split(l, &split)))
        },
    )
    .await
}

/// The ledger and the ids a path names, in order.
fn ids(path: &[(String, String)]) -> (&str, Vec<&str>) {
    let value = |name: &str| {
        path.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let named = ["id", "capture", "reversal"]
        .into_iter()
        .filter_map(value)
        .collect();
    (value("ledger").unwrap_or_default(), named)
}

#[utoipa::path(get, operation_id = "getSplitAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path)),
    responses((status = 200, description = "The split authorization now", body = types::SplitAuthorization), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
) -> Result<Json<types::SplitAuthorization>, AtProblem> {
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

#[utoipa::path(post, operation_id = "createCapture", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path), ("captureId" = String, Path, description = "Unique under its split authorization")),
    request_body = types::CaptureRequest,
    responses((status = 201, description = "Captured: a purchase is posted", body = types::Capture), super::Errors),
    security(("ledgerBearer" = [])))]
/// `POST …/captures/{captureId}`, and the advertised collection form.
pub async fn capture(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(path): Path<Vec<(String, String)>>,
    Wire { body, raw, .. }: Body<types::CaptureRequest>,
) -> Result<Response, AtProblem> {
    let (ledger, named) = ids(&path);
    let meta = merchant.ledger(ledger)?.clone();
    let id = named.first().copied().unwrap_or_default().to_string();
    let capture_id = same_id("captureId", &body.capture_id, named.get(1).copied())?;
    currency(&body.currency, &meta.currency)?;
    let months = body.months.0;
    let monthly = body
        .monthly_billing_amount
        .at(meta.scale, "monthlyBillingAmount")?;
    if months > 0 && monthly.minor() <= 0 {
        return Err(validation(
            "monthlyBillingAmount",
            "must be greater than 0 when months is set",
        ));
    }
    let request = CaptureRequest {
        seller_transaction_id: body.seller_transaction_id.into_inner(),
        total: body.total_amount.at(meta.scale, "totalAmount")?,
        months,
        monthly,
        product_name: body.product_name.into_inner(),
    };
    let (split, known) = (id.clone(), capture_id.clone());
    once(
        &state,
        meta.id,
        (Resource::Capture, capture_key(&id, &capture_id)),
        &raw,
        move |l, _| {
            Ok(l.capture_of(&split, &known)?
                .map(|c| json(render_capture(l, &c))))
        },
        move |l, now| {
            let capture = l.capture(&id, &capture_id, request, now)?;
            Ok(json(render_capture(l, &capture)))
        },
    )
    .await
}

#[utoipa::path(get, operation_id = "getCapture", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path), ("captureId" = String, Path, description = "Unique under its split authorization")),
    responses((status = 200, description = "The capture", body = types::Capture), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get_capture(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id, capture_id)): Path<(String, String, String)>,
) -> Result<Json<types::Capture>, AtProblem> {
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

#[utoipa::path(post, operation_id = "createReversal", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}/reversals/{reversalId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path), ("captureId" = String, Path, description = "Unique under its split authorization"), ("reversalId" = String, Path, description = "Unique under its capture")),
    request_body = types::ReversalRequest,
    responses((status = 201, description = "Reversed: a credit is posted", body = types::Reversal), super::Errors),
    security(("ledgerBearer" = [])))]
/// `POST …/reversals/{reversalId}`, and the advertised collection form.
pub async fn reverse(
    State(state): State<AppState>,
    merchant: Merchant,
    Path(path): Path<Vec<(String, String)>>,
    Wire { body, raw, .. }: Body<types::ReversalRequest>,
) -> Result<Response, AtProblem> {
    let (ledger, named) = ids(&path);
    let meta = merchant.ledger(ledger)?.clone();
    let id = named.first().copied().unwrap_or_default().to_string();
    let capture_id = named.get(1).copied().unwrap_or_default().to_string();
    let reversal_id = same_id("reversalId", &body.reversal_id, named.get(2).copied())?;
    currency(&body.currency, &meta.currency)?;
    let amount = body.amount.at(meta.scale, "amount")?;
    let seller_transaction_id = body.seller_transaction_id.into_inner();
    let (split, capture, known) = (id.clone(), capture_id.clone(), reversal_id.clone());
    once(
        &state,
        meta.id,
        (
            Resource::Reversal,
            reversal_key(&id, &capture_id, &reversal_id),
        ),
        &raw,
        move |l, _| {
            Ok(l.reversal_of(&split, &capture, &known)
                .map(|r| json(render_reversal(l, &split, r))))
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
            Ok(json(render_reversal(l, &id, &r)))
        },
    )
    .await
}

#[utoipa::path(get, operation_id = "getReversal", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}/reversals/{reversalId}", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path), ("splitAuthorizationId" = String, Path), ("captureId" = String, Path), ("reversalId" = String, Path)),
    responses((status = 200, description = "The reversal", body = types::Reversal), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn get_reversal(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id, capture_id, reversal_id)): Path<(String, String, String, String)>,
) -> Result<Json<types::Reversal>, AtProblem> {
    let meta = merchant.ledger(&ledger)?;
    let body = state
        .engine
        .read(meta.id, move |l, _| {
            l.reversal(&id, &capture_id, &reversal_id)?
                .map(|r| render_reversal(l, &id, &r))
                .ok_or(LedgerError::NotFound(Entity::Reversal))
        })
        .await??;
    Ok(Json(body))
}

fn render_reversal(l: &Ledger, split_id: &str, r: &Reversal) -> types::Reversal {
    let capture_path = format!(
        "{}/captures/{}",
        split_path(&l.info.ledger_no, split_id),
        r.capture_id
    );
    types::Reversal {
        id: format!("{capture_path}/reversals/{}", r.id),
        reversal_id: r.id.clone(),
        currency: l.info.currency.clone(),
        amount: Money::of(r.amount, l.info.scale()),
        seller_transaction_id: r.seller_transaction_id.clone(),
        capture: capture_path,
    }
}

#[utoipa::path(post, operation_id = "cancelSplitAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/cancellations", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path)),
    request_body = types::Empty,
    responses((status = 201, description = "Cancelled: the rest of the hold is released", body = types::SplitAuthorization), super::Errors),
    security(("ledgerBearer" = [])))]
/// Releases the remaining hold. There is no client id here: a repeated cancellation answers
/// the same 201 because cancelling a cancelled authorization changes nothing.
pub async fn cancel(
    State(state): State<AppState>,
    merchant: Merchant,
    Path((ledger, id)): Path<(String, String)>,
    Wire { .. }: Body<types::Empty>,
) -> Result<Response, AtProblem> {
    let meta = merchant.ledger(&ledger)?.clone();
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

/// The `add-split-authorization` operation's href: the id comes from the body.
#[utoipa::path(post, operation_id = "addSplitAuthorization", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's")),
    request_body = types::SplitAuthorizationRequest,
    responses((status = 201, description = "As POST …/split-authorizations/{splitAuthorizationId}", body = types::SplitAuthorization), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn create_in_collection(
    state: State<AppState>,
    merchant: Merchant,
    path: Path<Vec<(String, String)>>,
    body: Body<types::SplitAuthorizationRequest>,
) -> Result<Response, AtProblem> {
    create(state, merchant, path, body).await
}

/// The `capture` operation's href: the id comes from the body.
#[utoipa::path(post, operation_id = "addCapture", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path)),
    request_body = types::CaptureRequest,
    responses((status = 201, description = "As POST …/captures/{captureId}", body = types::Capture), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn capture_in_collection(
    state: State<AppState>,
    merchant: Merchant,
    path: Path<Vec<(String, String)>>,
    body: Body<types::CaptureRequest>,
) -> Result<Response, AtProblem> {
    capture(state, merchant, path, body).await
}

/// The `add-reversal` operation's href: the id comes from the body.
#[utoipa::path(post, operation_id = "addReversal", path = "/ledger/account-transaction/v1/{ledgerNo}/split-authorizations/{splitAuthorizationId}/captures/{captureId}/reversals", tag = "Account Transaction API",
    params(("ledgerNo" = String, Path, description = "The ledger's number, as the token's"), ("splitAuthorizationId" = String, Path), ("captureId" = String, Path, description = "Unique under its split authorization")),
    request_body = types::ReversalRequest,
    responses((status = 201, description = "As POST …/reversals/{reversalId}", body = types::Reversal), super::Errors),
    security(("ledgerBearer" = [])))]
pub async fn reverse_in_collection(
    state: State<AppState>,
    merchant: Merchant,
    path: Path<Vec<(String, String)>>,
    body: Body<types::ReversalRequest>,
) -> Result<Response, AtProblem> {
    reverse(state, merchant, path, body).await
}
