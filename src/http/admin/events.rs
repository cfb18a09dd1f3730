//! The event feed: a ledger's events after a sequence number, a page at a time, optionally
//! waiting for the next one (long poll). A consumer that keeps the last `seq` it processed
//! resumes exactly there.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::AdminError;
use super::{Admin, blocking, ledger_meta};
use crate::http::AppState;
use crate::http::body::Invalid;
use crate::ledger::Event;

/// Longest a request may wait for the next event.
pub const MAX_WAIT_SECONDS: u64 = 60;
/// Another process's events wake no one here: look again this often while waiting.
const RECHECK: Duration = Duration::from_millis(500);

/// One change of the ledger.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// Ledger-wide, gap-free, strictly increasing: keep the last one processed.
    pub seq: i64,
    /// Stable: the same event always has the same id.
    pub id: String,
    /// `myq.payment.committed`, `account.balance-changed`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// When the change committed, in the ledger's time zone.
    pub time: String,
    /// What the event is about: `account`, `customer`, `payment`, `bill`, …
    pub resource: String,
    /// That resource's number or id in the APIs.
    pub resource_id: String,
    /// The resource's state after the change.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl EventView {
    pub fn of(event: Event, ledger_no: &str, time_zone: &str) -> Self {
        EventView {
            id: event.id(ledger_no),
            seq: event.seq,
            kind: event.kind,
            time: crate::ledger::zone::rfc3339(time_zone, event.at),
            resource: event.resource,
            resource_id: event.resource_id,
            // Written by saldo as JSON; should a row ever not be, it shows as text.
            data: serde_json::from_str(&event.data)
                .unwrap_or(serde_json::Value::String(event.data)),
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// Pass as `after` for the next page: the last item's `seq`, or `after` itself.
    pub next: i64,
    /// The ledger's latest event when this page was read: `last - next` is how far behind
    /// the reader is.
    pub last: i64,
}

struct FeedQuery {
    after: i64,
    limit: i64,
    wait: Duration,
}

fn read_query(query: &HashMap<String, String>) -> Result<FeedQuery, Invalid> {
    const KNOWN: [&str; 3] = ["after", "limit", "wait"];
    if let Some(unknown) = query.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Invalid::new(
            unknown.as_str(),
            "is not a parameter here; they are after, limit, wait",
        ));
    }
    let number = |name: &str, default: i64, max: i64| match query.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .ok_or_else(|| Invalid::new(name, format!("must be an integer from 0 to {max}"))),
    };
    let limit = number("limit", 100, 1000)?;
    if limit == 0 {
        return Err(Invalid::new("limit", "must be an integer from 1 to 1000"));
    }
    Ok(FeedQuery {
        after: number("after", 0, i64::MAX)?,
        limit,
        wait: Duration::from_secs(number("wait", 0, MAX_WAIT_SECONDS as i64)? as u64),
    })
}

/// The ledger's events after `after`, oldest first; with `wait`, an empty answer only once
/// that many seconds passed without a new event.
#[utoipa::path(get, operation_id = "adminListEvents", path = "/admin/v1/ledgers/{ledger}/events", tag = "Admin API",
    params(("ledger" = String, Path),
        ("after" = Option<i64>, Query, description = "Only events with a greater `seq` (default 0: from the start)"),
        ("limit" = Option<i64>, Query, description = "At most this many, 1 to 1000 (default 100)"),
        ("wait" = Option<u64>, Query, description = "Seconds to wait for an event when there is none yet, 0 to 60 (default 0)")),
    responses((status = 200, description = "Events in sequence order", body = EventPage), super::Errors),
    security(("adminBearer" = [])))]
pub(super) async fn list(
    State(state): State<AppState>,
    _: Admin,
    Path(ledger): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<EventPage>, AdminError> {
    let meta = ledger_meta(&state, &ledger)?;
    let q = read_query(&query)?;
    let deadline = tokio::time::Instant::now() + q.wait;
    let signal = state.engine.event_signal();
    let events = loop {
        // Registered before reading, so an event committed in between still wakes us.
        let woken = signal.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let store = state.engine.store().clone();
        let id = meta.id;
        let found = blocking(move || store.events_after(id, q.after, q.limit)).await??;
        if !found.is_empty() || tokio::time::Instant::now() >= deadline {
            break found;
        }
        let _ = tokio::time::timeout_at(deadline.min(tokio::time::Instant::now() + RECHECK), woken)
            .await;
    };
    let (tz, last) = state
        .engine
        .read(meta.id, |l, _| {
            (l.info.settings.time_zone.clone(), l.counters().event)
        })
        .await?;
    let next = events.last().map_or(q.after, |e| e.seq);
    let items = events
        .into_iter()
        .map(|e| EventView::of(e, &meta.ledger_no, &tz))
        .collect();
    Ok(Json(EventPage { items, next, last }))
}
