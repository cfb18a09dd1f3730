//! Webhook delivery: each subscription's events POSTed to its URL, signed, in sequence order,
//! at least once. Delivery runs on its own tasks, reading committed events from the store, so
//! a slow or dead receiver never holds up a ledger's writer. A subscription is delivered by
//! the process holding its lease (several processes may share a database); a process that
//! dies lets its lease run out, and another takes the subscription up where it was saved.

pub mod sign;
pub mod store;
pub mod target;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use time::OffsetDateTime;

use crate::engine::Engine;
use crate::ledger::Event;
use crate::store::{Store, StoreError};
use store::{Delivery, Webhook};

/// How delivery behaves; `Default` is production's.
#[derive(Debug, Clone)]
pub struct Config {
    /// A failing event is retried this long, then the subscription is paused.
    pub retry_for: Duration,
    /// Wait before the first retry; doubled for each further failure, with jitter.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a lease lasts unless renewed; a dead process's subscriptions wait this long.
    pub lease: Duration,
    /// Longest wait for a receiver's answer.
    pub timeout: Duration,
    /// Subscriptions delivered at once by this process.
    pub concurrency: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            retry_for: Duration::from_secs(24 * 3600),
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3600),
            lease: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            concurrency: 64,
        }
    }
}

/// Events read per round of one subscription.
const ROUND: i64 = 100;
/// Without a local commit to wake it, the dispatcher looks for due work this often.
const TICK: Duration = Duration::from_millis(500);

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Starts this process's dispatcher.
pub fn spawn(engine: Arc<Engine>, config: Config) -> tokio::task::JoinHandle<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .build()
        .expect("an HTTP client");
    let dispatcher = Arc::new(Dispatcher {
        engine,
        client,
        config,
        owner: uuid::Uuid::new_v4().to_string(),
        busy: Mutex::default(),
    });
    tokio::spawn(dispatcher.run())
}

struct Dispatcher {
    engine: Arc<Engine>,
    client: reqwest::Client,
    config: Config,
    /// This process's lease-holder name.
    owner: String,
    /// Subscriptions being delivered by a task of this process.
    busy: Mutex<HashSet<i64>>,
}

/// A store call off the async threads.
async fn db<T: Send + 'static>(
    store: &Arc<dyn Store>,
    f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&*store))
        .await
        .unwrap_or_else(|_| Err(StoreError::Database("a webhook task panicked".into())))
}

impl Dispatcher {
    async fn run(self: Arc<Self>) {
        let signal = self.engine.event_signal();
        loop {
            let woken = signal.notified();
            let store = self.engine.store().clone();
            match db(&store, |s| store::due(s, now_ms())).await {
                Ok(due) => self.start(due),
                Err(e) => tracing::warn!(error = %e, "looking for due webhooks failed"),
            }
            let _ = tokio::time::timeout(TICK, woken).await;
        }
    }

    fn start(self: &Arc<Self>, due: Vec<Webhook>) {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        for hook in due {
            if busy.len() >= self.config.concurrency {
                break;
            }
            if !busy.insert(hook.id) {
                continue;
            }
            let me = self.clone();
            tokio::spawn(async move {
                let id = hook.id;
                if let Err(e) = me.deliver_due(hook).await {
                    tracing::warn!(webhook = id, error = %e, "webhook delivery stopped");
                }
                me.busy
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
            });
        }
    }

    async fn lease(&self, id: i64) -> Result<bool, StoreError> {
        let owner = self.owner.clone();
        let until = now_ms() + self.config.lease.as_millis() as i64;
        db(self.engine.store(), move |s| {
            store::lease(s, id, &owner, now_ms(), until)
        })
        .await
    }

    /// Delivers `hook`'s events from where it stands until it is caught up, an attempt fails,
    /// or the lease is lost.
    async fn deliver_due(&self, mut hook: Webhook) -> Result<(), StoreError> {
        if !self.lease(hook.id).await? {
            return Ok(());
        }
        let Some(ledger) = self.engine.meta(hook.ledger_id) else {
            return Ok(());
        };
        let settings = self
            .engine
            .read(hook.ledger_id, |l, _| l.info.settings.clone())
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let store = self.engine.store().clone();
        let done = loop {
            let (lid, after) = (hook.ledger_id, hook.handled_seq);
            let events = db(&store, move |s| s.events_after(lid, after, ROUND)).await?;
            if events.is_empty() {
                break true;
            }
            let mut failed = false;
            for event in events {
                if hook.wants(&event.kind) {
                    if !self.lease(hook.id).await? {
                        return Ok(());
                    }
                    let body = payload(&event, &ledger.ledger_no, &settings.time_zone);
                    let id = event.id(&ledger.ledger_no);
                    let allow_private = settings.webhooks_allow_private_addresses;
                    if !self
                        .attempt(&mut hook, &event, &id, body, allow_private)
                        .await?
                    {
                        failed = true;
                        break;
                    }
                }
                hook.handled_seq = event.seq;
            }
            let owner = self.owner.clone();
            let saved = hook.clone();
            if !db(&store, move |s| store::progress(s, &saved, &owner)).await? {
                return Ok(());
            }
            if failed {
                break false;
            }
        };
        let _ = done;
        let owner = self.owner.clone();
        let id = hook.id;
        db(&store, move |s| store::release(s, id, &owner)).await
    }

    /// One delivery of `event`; `true` if the receiver took it. A failure is logged and
    /// scheduled for a retry, or, once retries have run `retry_for`, pauses the subscription.
    async fn attempt(
        &self,
        hook: &mut Webhook,
        event: &Event,
        id: &str,
        body: Vec<u8>,
        allow_private: bool,
    ) -> Result<bool, StoreError> {
        let attempt = hook.attempts + 1;
        let started = Instant::now();
        let at_ms = now_ms();
        let answer = self
            .post(hook, event, id, body, attempt, allow_private)
            .await;
        let latency_ms = started.elapsed().as_millis() as i64;
        let (status, error) = match &answer {
            Ok(status) if (200..300).contains(status) => (Some(*status), None),
            Ok(status) => (
                Some(*status),
                Some(format!("the receiver answered {status}")),
            ),
            Err(e) => (None, Some(e.clone())),
        };
        let delivered = error.is_none();
        let mut outcome = "delivered";
        if delivered {
            hook.attempts = 0;
            hook.failing_since_ms = None;
        } else {
            hook.attempts = attempt;
            let since = *hook.failing_since_ms.get_or_insert(at_ms);
            if at_ms - since >= self.config.retry_for.as_millis() as i64 {
                hook.status = "paused".into();
                outcome = "failed";
            } else {
                hook.next_attempt_ms = at_ms + self.backoff(attempt).as_millis() as i64;
                outcome = "retrying";
            }
        }
        let entry = Delivery {
            webhook_id: hook.id,
            seq: event.seq,
            event_type: event.kind.clone(),
            attempt,
            at_ms,
            status: status.map(i64::from),
            outcome: outcome.into(),
            error,
            latency_ms,
        };
        db(self.engine.store(), move |s| store::log(s, &entry)).await?;
        Ok(delivered)
    }

    /// Exponential from `first_backoff`, capped, with jitter (half to all of it) so that
    /// receivers coming back are not hit by every retry at once.
    fn backoff(&self, attempt: i64) -> Duration {
        let exp = self
            .config
            .first_backoff
            .saturating_mul(1u32 << attempt.clamp(1, 30).saturating_sub(1) as u32);
        let capped = exp.min(self.config.max_backoff);
        capped.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    async fn post(
        &self,
        hook: &Webhook,
        event: &Event,
        id: &str,
        body: Vec<u8>,
        attempt: i64,
        allow_private: bool,
    ) -> Result<u16, String> {
        target::check_reachable(&hook.url, allow_private).await?;
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign::header(&hook.secret, timestamp, &body);
        let response = self
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("saldo-signature", signature)
            .header("saldo-event-id", id)
            .header("saldo-event-type", &event.kind)
            .header("saldo-delivery-attempt", attempt.to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// What went wrong on the way, without the URL (which may carry credentials).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        "the request failed".into()
    }
}

/// The body of a delivery: the event as the feed shows it, with its ledger.
pub fn payload(event: &Event, ledger_no: &str, time_zone: &str) -> Vec<u8> {
    let view = crate::http::admin::events::EventView::of(event.clone(), ledger_no, time_zone);
    let mut json = serde_json::to_value(view).expect("an event serializes");
    json["ledgerNo"] = ledger_no.into();
    serde_json::to_vec(&json).expect("JSON serializes")
}
