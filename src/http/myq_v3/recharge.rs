//! Recharge providers and recharge payments (SPEC §4, seed 001).

use std::collections::HashMap;

use super::{Body, V3Client, V3Error, page, path_id, types};
use crate::http::wire::Wire;
use crate::http::{AppState, read_store};
use crate::ledger::{RECHARGE_PROVIDERS, RechargePayment, RechargeState, zone};
use crate::money::Amount;
use crate::store::RechargeQuery;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;

#[utoipa::path(get, operation_id = "listRechargeProviders", path = "/api/v3/rechargeProviders", tag = "MyQ X REST API v3",
    responses((status = 200, description = "The enabled recharge providers", body = types::Providers), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn providers(
    State(state): State<AppState>,
    client: V3Client,
) -> Result<Json<types::Providers>, V3Error> {
    client.require("credit")?;
    let providers: Vec<types::ProviderEntry> = state
        .engine
        .read(client.ledger.id, |l, _| {
            RECHARGE_PROVIDERS
                .iter()
                .filter(|(r, _)| l.info.settings.recharge_provider_enabled(r) == Some(true))
                .map(|(reference, name)| types::ProviderEntry {
                    name,
                    reference,
                    description: "",
                    params: Vec::new(),
                })
                .collect()
        })
        .await?;
    // MyQ X answers the list before its count.
    let count = providers.len();
    Ok(Json(types::Providers { providers, count }))
}

/// `params.amount`: positive, exact in the ledger's currency.
fn params_amount(params: &types::PaymentParams, scale: u32) -> Result<Amount, V3Error> {
    let amount = params.amount.at(scale, "params.amount")?;
    if amount <= Amount::ZERO {
        return Err(V3Error::bad_request(
            "params.amount: must be greater than 0",
        ));
    }
    Ok(amount)
}

#[utoipa::path(post, operation_id = "createRechargePayment", path = "/api/v3/rechargeProviders/{reference}/payments", tag = "MyQ X REST API v3",
    params(("reference" = String, Path, description = "The recharge provider: external or voucher")),
    request_body = types::CreatePayment,
    responses((status = 200, description = "Created: waiting for its commit", body = types::CreatedPayment), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn create(
    State(state): State<AppState>,
    client: V3Client,
    Path(provider): Path<String>,
    Wire { body, .. }: Body<types::CreatePayment>,
) -> Result<Json<types::CreatedPayment>, V3Error> {
    client.require("credit")?;
    let scale = client.ledger.scale;
    let user_id = body.user_id.0;
    let description = body.description.and_then(|d| d.given().map(str::to_string));
    let amount = params_amount(&body.params, scale)?;
    let payment = state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.create_recharge(&provider, user_id, amount, description, now)
        })
        .await??;
    let amount = payment.amount.plain_json(scale);
    Ok(Json(types::CreatedPayment {
        id: payment.id.to_string(),
        user_id: payment.customer_id,
        amount: amount.clone(),
        description: payment.description,
        params: types::CreatedParams {
            amount,
            created_by: -2,
        },
    }))
}

#[utoipa::path(patch, operation_id = "updateRechargePayment", path = "/api/v3/rechargeProviders/{reference}/payments/{id}", tag = "MyQ X REST API v3",
    params(("reference" = String, Path), ("id" = String, Path, description = "The payment's id")),
    request_body = types::UpdatePayment,
    responses((status = 200, description = "Changed: answers 1", body = i64, content_type = "application/json"), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn update(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
    Wire { body, .. }: Body<types::UpdatePayment>,
) -> Result<Json<i64>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let description = body.description.and_then(|d| d.given().map(str::to_string));
    let amount = params_amount(&body.params, client.ledger.scale)?;
    state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.patch_recharge(&provider, id, amount, description, now)
        })
        .await??;
    Ok(Json(1))
}

#[utoipa::path(post, operation_id = "commitRechargePayment", path = "/api/v3/rechargeProviders/{reference}/payments/{id}/commit", tag = "MyQ X REST API v3",
    params(("reference" = String, Path), ("id" = String, Path)),
    responses((status = 200, description = "Completed: the amount is credited (once, however often committed)", body = types::AmountOnly), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn commit(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
) -> Result<Json<types::AmountOnly>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let amount = state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.commit_recharge(&provider, id, now)
        })
        .await??;
    Ok(Json(types::AmountOnly {
        amount: amount.plain_json(client.ledger.scale),
    }))
}

#[utoipa::path(post, operation_id = "rollbackRechargePayment", path = "/api/v3/rechargeProviders/{reference}/payments/{id}/rollback", tag = "MyQ X REST API v3",
    params(("reference" = String, Path), ("id" = String, Path)),
    request_body = types::Rollback,
    responses((status = 200, description = "Canceled: answers 1", body = i64, content_type = "application/json"), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn rollback(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
    Wire { body, .. }: Body<types::Rollback>,
) -> Result<Json<i64>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let reason = body.reason.and_then(|r| r.given().map(str::to_string));
    state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.rollback_recharge(&provider, id, reason, now)
        })
        .await??;
    Ok(Json(1))
}

/// A payment as MyQ X lists it; `expiry` is how long a created payment waits for its commit.
fn payment(
    p: &RechargePayment,
    scale: u32,
    time_zone: &str,
    expiry: time::Duration,
) -> types::RechargePaymentView {
    types::RechargePaymentView {
        id: p.id.to_string(),
        user_id: p.customer_id,
        amount: p.amount.plain_json(scale),
        currency: None,
        state: p.state.as_str(),
        created: zone::rfc3339(time_zone, p.created_at),
        updated: zone::rfc3339(time_zone, p.updated_at),
        expires: (p.state == RechargeState::Created)
            .then(|| zone::rfc3339(time_zone, p.created_at + expiry)),
        payment_no: p.payment_no.to_string(),
        provider: p.provider.clone(),
        description: p.description.clone(),
    }
}

#[utoipa::path(get, operation_id = "listRechargePayments", path = "/api/v3/rechargeProviders/{reference}/payments", tag = "MyQ X REST API v3",
    params(("reference" = String, Path), ("userId" = Option<i64>, Query, description = "Only this user's payments"),
        ("limit" = Option<u32>, Query, description = "At most 1000; default 100"), ("start" = Option<i64>, Query, description = "How many to skip")),
    responses((status = 200, description = "Newest first", body = types::Payments), super::Errors),
    security(("myqOAuth" = ["credit"])))]
pub async fn list(
    State(state): State<AppState>,
    client: V3Client,
    Path(provider): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::Payments>, V3Error> {
    client.require("credit")?;
    let (limit, offset) = page(&query)?;
    let customer_id = match query.get("userId").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .map_err(|_| V3Error::bad_request("userId: must be an integer"))?,
        ),
    };
    let (time_zone, expiry) = {
        let p = provider.clone();
        state
            .engine
            .read(client.ledger.id, move |l, _| {
                let settings = &l.info.settings;
                settings.recharge_provider_enabled(&p).map(|_| {
                    let expiry = time::Duration::seconds(settings.recharge_expiry_seconds as i64);
                    (settings.time_zone.clone(), expiry)
                })
            })
            .await?
            .ok_or_else(|| V3Error::new(StatusCode::NOT_FOUND, "Recharge provider not found"))?
    };
    let query = RechargeQuery {
        ledger_id: client.ledger.id,
        provider,
        customer_id,
        limit,
        offset,
    };
    let (payments, count) = read_store(&state, "listing recharge payments", move |s| {
        s.recharge_payments(&query)
    })
    .await?;
    let scale = client.ledger.scale;
    let payments = payments
        .iter()
        .map(|p| payment(p, scale, &time_zone, expiry))
        .collect();
    Ok(Json(types::Payments { payments, count }))
}
