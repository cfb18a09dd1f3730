//! Webhook subscriptions and their delivery log in the database, one set of statements for
//! both stores (`Store::exec`). Times are Unix milliseconds.

use std::fmt;

use crate::store::{Cell, Store, StoreResult, Type};

/// Entries of the delivery log kept per subscription; older ones are dropped.
pub const LOG_KEPT: i64 = 1000;

/// A subscription as stored. The secret signs deliveries; it is never printed.
#[derive(Clone)]
pub struct Webhook {
    pub id: i64,
    pub ledger_id: i64,
    pub url: String,
    /// Event types wanted; empty means every type.
    pub types: Vec<String>,
    pub secret: String,
    /// `active` or `paused`.
    pub status: String,
    pub created_ms: i64,
    /// The last event handled: delivered, or not of a wanted type.
    pub handled_seq: i64,
    /// Failed attempts at the event after `handled_seq`.
    pub attempts: i64,
    pub failing_since_ms: Option<i64>,
    pub next_attempt_ms: i64,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("ledger_id", &self.ledger_id)
            .field("url", &self.url)
            .field("types", &self.types)
            .field("status", &self.status)
            .field("handled_seq", &self.handled_seq)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    pub fn wants(&self, kind: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t == kind)
    }
}

/// One attempt to deliver an event.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub webhook_id: i64,
    pub seq: i64,
    pub event_type: String,
    pub attempt: i64,
    pub at_ms: i64,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<i64>,
    /// `delivered`, `retrying` or `failed` (given up; the subscription is paused).
    pub outcome: String,
    pub error: Option<String>,
    pub latency_ms: i64,
}

const COLUMNS: &[(&str, Type)] = &[
    ("id", Type::Int),
    ("ledger_id", Type::Int),
    ("url", Type::Text),
    ("types", Type::Text),
    ("secret", Type::Text),
    ("status", Type::Text),
    ("created_ms", Type::Int),
    ("handled_seq", Type::Int),
    ("attempts", Type::Int),
    ("failing_since_ms", Type::Int),
    ("next_attempt_ms", Type::Int),
];

const SELECT: &str = "SELECT id, ledger_id, url, types, secret, status, created_ms, handled_seq, \
     attempts, failing_since_ms, next_attempt_ms FROM webhooks";

fn int(v: i64) -> Cell {
    Cell::Int(Some(v))
}

fn text(v: &str) -> Cell {
    Cell::Text(Some(v.to_string()))
}

/// A row's cells read in order.
struct Row(std::vec::IntoIter<Cell>);

impl Row {
    fn int(&mut self) -> Option<i64> {
        match self.0.next() {
            Some(Cell::Int(v)) => v,
            _ => None,
        }
    }

    fn text(&mut self) -> Option<String> {
        match self.0.next() {
            Some(Cell::Text(v)) => v,
            _ => None,
        }
    }
}

fn webhook(row: Vec<Cell>) -> Webhook {
    let mut r = Row(row.into_iter());
    Webhook {
        id: r.int().unwrap_or(0),
        ledger_id: r.int().unwrap_or(0),
        url: r.text().unwrap_or_default(),
        types: serde_json::from_str(&r.text().unwrap_or_default()).unwrap_or_default(),
        secret: r.text().unwrap_or_default(),
        status: r.text().unwrap_or_default(),
        created_ms: r.int().unwrap_or(0),
        handled_seq: r.int().unwrap_or(0),
        attempts: r.int().unwrap_or(0),
        failing_since_ms: r.int(),
        next_attempt_ms: r.int().unwrap_or(0),
    }
}

pub fn create(store: &dyn Store, hook: &Webhook) -> StoreResult<i64> {
    let rows = store.exec(
        "INSERT INTO webhooks (ledger_id, url, types, secret, status, created_ms, handled_seq, \
         next_attempt_ms) VALUES ($1, $2, $3, $4, 'active', $5, $6, 0) RETURNING id",
        vec![
            int(hook.ledger_id),
            text(&hook.url),
            text(&serde_json::to_string(&hook.types).expect("a list serializes")),
            text(&hook.secret),
            int(hook.created_ms),
            int(hook.handled_seq),
        ],
        &[("id", Type::Int)],
    )?;
    Ok(match rows.first().and_then(|r| r.first()) {
        Some(Cell::Int(Some(id))) => *id,
        _ => 0,
    })
}

/// The ledger's subscriptions, by id.
pub fn list(store: &dyn Store, ledger_id: i64) -> StoreResult<Vec<Webhook>> {
    let sql = format!("{SELECT} WHERE ledger_id = $1 AND deleted = 0 ORDER BY id");
    let rows = store.exec(&sql, vec![int(ledger_id)], COLUMNS)?;
    Ok(rows.into_iter().map(webhook).collect())
}

pub fn get(store: &dyn Store, ledger_id: i64, id: i64) -> StoreResult<Option<Webhook>> {
    let sql = format!("{SELECT} WHERE ledger_id = $1 AND id = $2 AND deleted = 0");
    let rows = store.exec(&sql, vec![int(ledger_id), int(id)], COLUMNS)?;
    Ok(rows.into_iter().map(webhook).next())
}

/// Active subscriptions of any ledger whose next attempt is due and whose lease is free.
pub fn due(store: &dyn Store, now_ms: i64) -> StoreResult<Vec<Webhook>> {
    let sql = format!(
        "{SELECT} WHERE status = 'active' AND deleted = 0 AND next_attempt_ms <= $1 \
         AND lease_until_ms < $1 ORDER BY id LIMIT 1000"
    );
    let rows = store.exec(&sql, vec![int(now_ms)], COLUMNS)?;
    Ok(rows.into_iter().map(webhook).collect())
}

/// Takes or renews the lease on a subscription until `until_ms`; `false` if another process
/// holds it. Only the holder delivers, so each event goes out from one process at a time.
pub fn lease(
    store: &dyn Store,
    id: i64,
    owner: &str,
    now_ms: i64,
    until_ms: i64,
) -> StoreResult<bool> {
    let rows = store.exec(
        "UPDATE webhooks SET lease_owner = $2, lease_until_ms = $4 \
         WHERE id = $1 AND deleted = 0 AND (lease_until_ms < $3 OR lease_owner = $2) RETURNING id",
        vec![int(id), text(owner), int(now_ms), int(until_ms)],
        &[("id", Type::Int)],
    )?;
    Ok(!rows.is_empty())
}

/// Lets go of the lease, so the next due check (in any process) may take it at once.
pub fn release(store: &dyn Store, id: i64, owner: &str) -> StoreResult<()> {
    store.exec(
        "UPDATE webhooks SET lease_owner = NULL, lease_until_ms = 0 WHERE id = $1 AND lease_owner = $2",
        vec![int(id), text(owner)],
        &[],
    )?;
    Ok(())
}

/// Saves how far delivery got, if `owner` still holds the lease; `false` if it lost it.
/// Also `false` if the operator changed the subscription meanwhile (paused it, or replayed
/// it: its `handled_seq` is no longer `from`), so a delivering task never undoes that.
pub fn progress(store: &dyn Store, hook: &Webhook, owner: &str, from: i64) -> StoreResult<bool> {
    let rows = store.exec(
        "UPDATE webhooks SET handled_seq = $3, attempts = $4, failing_since_ms = $5, \
         next_attempt_ms = $6, status = $7 WHERE id = $1 AND lease_owner = $2 \
         AND status = 'active' AND deleted = 0 AND handled_seq = $8 RETURNING id",
        vec![
            int(hook.id),
            text(owner),
            int(hook.handled_seq),
            int(hook.attempts),
            Cell::Int(hook.failing_since_ms),
            int(hook.next_attempt_ms),
            text(&hook.status),
            int(from),
        ],
        &[("id", Type::Int)],
    )?;
    Ok(!rows.is_empty())
}

/// The operator's change: a status, and where delivery goes on from (a replay); the failure
/// count starts again.
pub fn set(
    store: &dyn Store,
    ledger_id: i64,
    id: i64,
    status: &str,
    handled_seq: Option<i64>,
) -> StoreResult<bool> {
    let rows = store.exec(
        "UPDATE webhooks SET status = $3, handled_seq = COALESCE($4, handled_seq), attempts = 0, \
         failing_since_ms = NULL, next_attempt_ms = 0 \
         WHERE ledger_id = $1 AND id = $2 AND deleted = 0 RETURNING id",
        vec![
            int(ledger_id),
            int(id),
            text(status),
            Cell::Int(handled_seq),
        ],
        &[("id", Type::Int)],
    )?;
    Ok(!rows.is_empty())
}

pub fn delete(store: &dyn Store, ledger_id: i64, id: i64) -> StoreResult<bool> {
    let rows = store.exec(
        "UPDATE webhooks SET deleted = 1, status = 'deleted' \
         WHERE ledger_id = $1 AND id = $2 AND deleted = 0 RETURNING id",
        vec![int(ledger_id), int(id)],
        &[("id", Type::Int)],
    )?;
    Ok(!rows.is_empty())
}

/// Logs attempts, in one statement, and drops what is older than the last `LOG_KEPT` of
/// their subscription.
pub fn log(store: &dyn Store, attempts: &[Delivery]) -> StoreResult<()> {
    let Some(first) = attempts.first() else {
        return Ok(());
    };
    let mut rows = Vec::new();
    let mut params = Vec::new();
    for d in attempts {
        let n = params.len();
        rows.push(format!(
            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6,
            n + 7,
            n + 8,
            n + 9
        ));
        params.extend([
            int(d.webhook_id),
            int(d.seq),
            text(&d.event_type),
            int(d.attempt),
            int(d.at_ms),
            Cell::Int(d.status),
            text(&d.outcome),
            Cell::Text(d.error.clone()),
            int(d.latency_ms),
        ]);
    }
    let inserted = store.exec(
        &format!(
            "INSERT INTO webhook_deliveries (webhook_id, seq, event_type, attempt, at_ms, status, \
             outcome, error, latency_ms) VALUES {} RETURNING id",
            rows.join(", ")
        ),
        params,
        &[("id", Type::Int)],
    )?;
    let newest = inserted
        .iter()
        .filter_map(|r| match r.first() {
            Some(Cell::Int(Some(id))) => Some(*id),
            _ => None,
        })
        .max();
    if let Some(newest) = newest {
        store.exec(
            "DELETE FROM webhook_deliveries WHERE webhook_id = $1 AND id <= $2",
            vec![int(first.webhook_id), int(newest - LOG_KEPT)],
            &[],
        )?;
    }
    Ok(())
}

/// The latest `limit` attempts of a subscription, newest first.
pub fn deliveries(store: &dyn Store, webhook_id: i64, limit: i64) -> StoreResult<Vec<Delivery>> {
    const LOG: &[(&str, Type)] = &[
        ("seq", Type::Int),
        ("event_type", Type::Text),
        ("attempt", Type::Int),
        ("at_ms", Type::Int),
        ("status", Type::Int),
        ("outcome", Type::Text),
        ("error", Type::Text),
        ("latency_ms", Type::Int),
    ];
    let rows = store.exec(
        "SELECT seq, event_type, attempt, at_ms, status, outcome, error, latency_ms \
         FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        vec![int(webhook_id), int(limit)],
        LOG,
    )?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut r = Row(row.into_iter());
            Delivery {
                webhook_id,
                seq: r.int().unwrap_or(0),
                event_type: r.text().unwrap_or_default(),
                attempt: r.int().unwrap_or(0),
                at_ms: r.int().unwrap_or(0),
                status: r.int(),
                outcome: r.text().unwrap_or_default(),
                error: r.text(),
                latency_ms: r.int().unwrap_or(0),
            }
        })
        .collect())
}
