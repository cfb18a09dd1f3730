//! Webhook subscriptions of a ledger: made with their signing secret shown once, listed,
//! paused and resumed, replayed from a sequence number, deleted; and each one's delivery log.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Admin, AdminError, Body, Errors, blocking, ledger_meta, types};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::http::wire::{self, Text, Wire};
use crate::ledger::EVENT_TYPES;
use crate::webhooks::{store, target};

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: an http or https URL.
    pub url: Text<2000>,
    /// The event types wanted; every type when absent or empty.
    pub types: Option<Vec<Option<Text<64>>>>,
    /// Deliver events after this sequence number; by default only events from now on.
    pub after: Option<i64>,
}

/// A subscription as the operator sees it; the secret only in the answer that made it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub types: Vec<String>,
    /// `active` or `paused` (by the operator, or after retrying an event for the retry period).
    pub status: String,
    /// The last event handled: delivered, or not of a wanted type.
    pub handled_seq: i64,
    /// Failed attempts at the next event.
    pub failed_attempts: i64,
    pub created_at: String,
    /// Shown once: signs every delivery (`Saldo-Signature`, see docs/webhooks.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `status`: `active` or `paused`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookPatch {
    pub status: Text<16>,
}

/// Deliver again every wanted event after `after`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Replay {
    pub after: i64,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub attempt: i64,
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i64>,
    /// `delivered`, `retrying`, or `failed` (given up: the subscription was paused).
    pub outcome: String,
    pub error: Option<String>,
    pub latency_ms: i64,
}

fn at(tz: &str, ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    crate::ledger::zone::rfc3339(tz, t)
}

fn view(hook: store::Webhook, tz: &str) -> WebhookView {
    WebhookView {
        id: hook.id,
        created_at: at(tz, hook.created_ms),
        url: hook.url,
        types: hook.types,
        status: hook.status,
        handled_seq: hook.handled_seq,
        failed_attempts: hook.attempts,
        secret: None,
    }
}

async fn settings(state: &AppState, ledger_id: i64) -> Result<crate::ledger::Settings, AdminError> {
    Ok(state
        .engine
        .read(ledger_id, |l, _| l.info.settings.clone())
        .await?)
}

async fn found(state: &AppState, ledger_id: i64, id: i64) -> Result<store::Webhook, AdminError> {
    let store_ = state.engine.store().clone();
    blocking(move || store::get(&*store_, ledger_id, id))
        .await??
        .ok_or_else(|| AdminError::not_found("Webhook"))
}

#[utoipa::path(post, operation_id = "adminCreateWebhook", path = "/admin/v1/ledgers/{ledger}/webhooks", tag = "Admin API",
    params(("ledger" = String, Path)),
    request_body = NewWebhook,
    responses((status = 201, description = "The subscription, with its signing secret shown this once", body = WebhookView), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn create(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Wire { body, .. }: Body<NewWebhook>,
) -> Result<Response, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let url = super::required("url", body.url)?;
    let types = wire::texts("types", body.types)?;
    if let Some((i, bad)) = types
        .iter()
        .enumerate()
        .find(|(_, t)| !EVENT_TYPES.contains(&t.as_str()))
    {
        let known = EVENT_TYPES.join(", ");
        return Err(Invalid::new(
            format!("types[{i}]"),
            format!("{bad} is not an event type; they are {known}"),
        )
        .into());
    }
    target::check_form(&url).map_err(|rule| Invalid::new("url", rule))?;
    let last = state
        .engine
        .read(meta.id, |l, _| l.counters().event)
        .await?;
    let after = match body.after {
        Some(after) if !(0..=last).contains(&after) => {
            return Err(Invalid::new("after", format!("must be from 0 to {last}")).into());
        }
        Some(after) => after,
        None => last,
    };
    let settings = settings(&state, meta.id).await?;
    target::check_reachable(&url, settings.webhooks_allow_private_addresses)
        .await
        .map_err(|rule| Invalid::new("url", rule))?;
    let secret = format!("whsec_{}", crate::secret::Secret::generate().expose());
    let mut hook = store::Webhook {
        id: 0,
        ledger_id: meta.id,
        url,
        types,
        secret: secret.clone(),
        status: "active".into(),
        created_ms: crate::webhooks::now_ms(),
        handled_seq: after,
        attempts: 0,
        failing_since_ms: None,
        next_attempt_ms: 0,
    };
    let store_ = state.engine.store().clone();
    let saved = hook.clone();
    hook.id = blocking(move || store::create(&*store_, &saved)).await??;
    let shown = WebhookView {
        secret: Some(secret),
        ..view(hook, &settings.time_zone)
    };
    Ok((StatusCode::CREATED, Json(shown)).into_response())
}

#[utoipa::path(get, operation_id = "adminListWebhooks", path = "/admin/v1/ledgers/{ledger}/webhooks", tag = "Admin API",
    params(("ledger" = String, Path)),
    responses((status = 200, description = "The ledger's subscriptions by id, without their secrets", body = types::List<WebhookView>), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
) -> Result<Json<types::List<WebhookView>>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let tz = settings(&state, meta.id).await?.time_zone;
    let store_ = state.engine.store().clone();
    let hooks = blocking(move || store::list(&*store_, meta.id)).await??;
    let items: Vec<WebhookView> = hooks.into_iter().map(|h| view(h, &tz)).collect();
    let total = items.len();
    Ok(Json(types::List {
        items,
        total,
        limit: total,
        offset: 0,
    }))
}

fn webhook_id(text: &str) -> Result<i64, AdminError> {
    text.parse().map_err(|_| AdminError::not_found("Webhook"))
}

#[utoipa::path(patch, operation_id = "adminSetWebhook", path = "/admin/v1/ledgers/{ledger}/webhooks/{id}", tag = "Admin API",
    params(("ledger" = String, Path), ("id" = i64, Path)),
    request_body = WebhookPatch,
    responses((status = 200, description = "The subscription as changed; resuming retries its next event at once", body = WebhookView), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn patch(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, id)): Path<(String, String)>,
    Wire { body, .. }: Body<WebhookPatch>,
) -> Result<Json<WebhookView>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let id = webhook_id(&id)?;
    let status = super::required("status", body.status)?;
    if !["active", "paused"].contains(&status.as_str()) {
        return Err(Invalid::new("status", "must be active or paused").into());
    }
    change(&state, meta.id, id, status, None).await
}

#[utoipa::path(post, operation_id = "adminReplayWebhook", path = "/admin/v1/ledgers/{ledger}/webhooks/{id}/replay", tag = "Admin API",
    params(("ledger" = String, Path), ("id" = i64, Path)),
    request_body = Replay,
    responses((status = 200, description = "The subscription, active, delivering again from after `after`", body = WebhookView), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn replay(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, id)): Path<(String, String)>,
    Wire { body, .. }: Body<Replay>,
) -> Result<Json<WebhookView>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let id = webhook_id(&id)?;
    let last = state
        .engine
        .read(meta.id, |l, _| l.counters().event)
        .await?;
    if !(0..=last).contains(&body.after) {
        return Err(Invalid::new("after", format!("must be from 0 to {last}")).into());
    }
    change(&state, meta.id, id, "active".into(), Some(body.after)).await
}

async fn change(
    state: &AppState,
    ledger_id: i64,
    id: i64,
    status: String,
    after: Option<i64>,
) -> Result<Json<WebhookView>, AdminError> {
    let store_ = state.engine.store().clone();
    let changed = blocking(move || store::set(&*store_, ledger_id, id, &status, after)).await??;
    if !changed {
        return Err(AdminError::not_found("Webhook"));
    }
    let tz = settings(state, ledger_id).await?.time_zone;
    Ok(Json(view(found(state, ledger_id, id).await?, &tz)))
}

#[utoipa::path(delete, operation_id = "adminDeleteWebhook", path = "/admin/v1/ledgers/{ledger}/webhooks/{id}", tag = "Admin API",
    params(("ledger" = String, Path), ("id" = i64, Path)),
    responses((status = 204, description = "Deleted: nothing more is delivered"), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn delete(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, id)): Path<(String, String)>,
) -> Result<StatusCode, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let id = webhook_id(&id)?;
    let store_ = state.engine.store().clone();
    if blocking(move || store::delete(&*store_, meta.id, id)).await?? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found("Webhook"))
    }
}

#[utoipa::path(get, operation_id = "adminWebhookDeliveries", path = "/admin/v1/ledgers/{ledger}/webhooks/{id}/deliveries", tag = "Admin API",
    params(("ledger" = String, Path), ("id" = i64, Path),
        ("limit" = Option<i64>, Query, description = "At most this many, newest first, 1 to 1000 (default 100)")),
    responses((status = 200, description = "The latest delivery attempts, newest first", body = types::List<DeliveryView>), Errors),
    security(("adminBearer" = [])))]
pub(super) async fn deliveries(
    State(state): State<AppState>,
    _: Admin,
    Path((ledger, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<types::List<DeliveryView>>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let id = webhook_id(&id)?;
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "limit") {
        return Err(Invalid::new(unknown.as_str(), "is not a parameter here; it is limit").into());
    }
    let limit = match query.get("limit") {
        None => 100,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| Invalid::new("limit", "must be an integer from 1 to 1000"))?,
    };
    found(&state, meta.id, id).await?;
    let tz = settings(&state, meta.id).await?.time_zone;
    let store_ = state.engine.store().clone();
    let log = blocking(move || store::deliveries(&*store_, id, limit)).await??;
    let items: Vec<DeliveryView> = log
        .into_iter()
        .map(|d| DeliveryView {
            at: at(&tz, d.at_ms),
            seq: d.seq,
            kind: d.event_type,
            attempt: d.attempt,
            status: d.status,
            outcome: d.outcome,
            error: d.error,
            latency_ms: d.latency_ms,
        })
        .collect();
    let total = items.len();
    Ok(Json(types::List {
        items,
        total,
        limit: limit as usize,
        offset: 0,
    }))
}
