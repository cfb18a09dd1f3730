//! Recharge providers and recharge payments (SPEC §4, seed 001).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{V3Client, V3Error, page, path_id};
use crate::http::body::{self, BodyError, JsonBody};
use crate::http::{AppState, read_store};
use crate::ledger::{RECHARGE_PROVIDERS, RechargePayment, RechargeState, zone};
use crate::money::Amount;
use crate::store::RechargeQuery;

type Body = Result<JsonBody, BodyError>;

pub async fn providers(
    State(state): State<AppState>,
    client: V3Client,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let providers: Vec<Value> = state
        .engine
        .read(client.ledger.id, |l, _| {
            RECHARGE_PROVIDERS
                .iter()
                .filter(|(r, _)| l.info.settings.recharge_provider_enabled(r) == Some(true))
                .map(|(reference, name)| {
                    json!({"name": name, "reference": reference, "description": "", "params": []})
                })
                .collect()
        })
        .await?;
    // MyQ X answers the list before its count.
    Ok(Json(
        json!({ "providers": providers, "count": providers.len() }),
    ))
}

/// `params.amount` of a create or update body: required, positive, exact.
fn params_amount(body: &Value, scale: u32) -> Result<Amount, V3Error> {
    let params = match body.get("params") {
        Some(p @ Value::Object(_)) => p,
        None | Some(Value::Null) => return Err(V3Error::bad_request("params: is required")),
        Some(_) => return Err(V3Error::bad_request("params: must be an object")),
    };
    let amount = body::amount(params, "amount", scale)
        .map_err(|e| V3Error::bad_request(format!("params.{e}")))?;
    if amount <= Amount::ZERO {
        return Err(V3Error::bad_request(
            "params.amount: must be greater than 0",
        ));
    }
    Ok(amount)
}

pub async fn create(
    State(state): State<AppState>,
    client: V3Client,
    Path(provider): Path<String>,
    body: Body,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let JsonBody(body) = body?;
    let scale = client.ledger.scale;
    let user_id = match body.get("userId") {
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|id| *id > 0)
            .ok_or_else(|| V3Error::bad_request("userId: must be a positive integer"))?,
        None | Some(Value::Null) => return Err(V3Error::bad_request("userId: is required")),
        Some(_) => return Err(V3Error::bad_request("userId: must be a positive integer")),
    };
    let description = body::opt_string(&body, "description", 255)?;
    let amount = params_amount(&body, scale)?;
    let payment = state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.create_recharge(&provider, user_id, amount, description, now)
        })
        .await??;
    let amount = payment.amount.plain_json(scale);
    Ok(Json(json!({
        "id": payment.id.to_string(),
        "userId": payment.customer_id,
        "amount": amount,
        "description": payment.description,
        // MyQ X marks payments created through the API with createdBy -2 (seed 001).
        "params": {"amount": amount, "createdBy": -2},
    })))
}

pub async fn update(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let JsonBody(body) = body?;
    let description = body::opt_string(&body, "description", 255)?;
    let amount = params_amount(&body, client.ledger.scale)?;
    state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.patch_recharge(&provider, id, amount, description, now)
        })
        .await??;
    Ok(Json(json!(1)))
}

pub async fn commit(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let amount = state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.commit_recharge(&provider, id, now)
        })
        .await??;
    Ok(Json(
        json!({ "amount": amount.plain_json(client.ledger.scale) }),
    ))
}

pub async fn rollback(
    State(state): State<AppState>,
    client: V3Client,
    Path((provider, id)): Path<(String, String)>,
    body: Body,
) -> Result<Json<Value>, V3Error> {
    client.require("credit")?;
    let id = path_id(&id, "Payment")?;
    let JsonBody(body) = body?;
    let reason = body::opt_string(&body, "reason", 255)?;
    state
        .engine
        .execute(client.ledger.id, move |l, now| {
            l.rollback_recharge(&provider, id, reason, now)
        })
        .await??;
    Ok(Json(json!(1)))
}

/// A payment as MyQ X lists it; `expiry` is how long a created payment waits for its commit.
fn payment(p: &RechargePayment, scale: u32, time_zone: &str, expiry: time::Duration) -> Value {
    let expires = (p.state == RechargeState::Created)
        .then(|| zone::rfc3339(time_zone, p.created_at + expiry));
    json!({
        "id": p.id.to_string(),
        "userId": p.customer_id,
        "amount": p.amount.plain_json(scale),
        "currency": null,
        "state": p.state.as_str(),
        "created": zone::rfc3339(time_zone, p.created_at),
        "updated": zone::rfc3339(time_zone, p.updated_at),
        "expires": expires,
        "paymentNo": p.payment_no.to_string(),
        "provider": p.provider,
        "description": p.description,
    })
}

pub async fn list(
    State(state): State<AppState>,
    client: V3Client,
    Path(provider): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, V3Error> {
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
    let payments: Vec<Value> = payments
        .iter()
        .map(|p| payment(p, scale, &time_zone, expiry))
        .collect();
    Ok(Json(json!({ "payments": payments, "count": count })))
}
