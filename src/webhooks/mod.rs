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

/// Events read per round of one subscription. Progress and the attempts' log are written once
/// a round, on the connection ledger batches commit on, so rounds are large when a
/// subscription is behind: a busy ledger then costs its writer a few commits a second.
const ROUND: i64 = 500;
/// A round ends after this long even with events left, so a slow receiver's progress is still
/// saved often.
const ROUND_TIME: Duration = Duration::from_secs(1);
/// Without a local commit to wake it, the dispatcher looks for due work this often.
const TICK: Duration = Duration::from_millis(500);
/// Due work is looked for at most this often, however often commits wake the dispatcher.
const CHECK_GAP: Duration = Duration::from_millis(100);
/// A round that did not fill up is followed by the next one no sooner than this.
const PACE: Duration = Duration::from_millis(50);
/// A subscription with nothing to deliver for this long lets its lease go.
const IDLE: Duration = Duration::from_secs(5);

pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// How much lower than the APIs delivery runs for the CPU (a Linux nice value): the lowest.
const NICENESS: i32 = 19;

/// Starts this process's dispatcher on a thread of its own at a lower CPU priority: delivery
/// is background work, and on a busy machine the APIs come first.
pub fn spawn(engine: Arc<Engine>, config: Config) {
    std::thread::Builder::new()
        .name("webhooks".into())
        .spawn(move || {
            // Per thread on Linux, and inherited by the threads this one starts (the
            // runtime's blocking pool). Where it cannot be lowered, delivery runs as it is.
            let _ = rustix::process::nice(NICENESS);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for webhook delivery");
            runtime.block_on(run(engine, config));
        })
        .expect("starting the webhook thread");
}

async fn run(engine: Arc<Engine>, mut config: Config) {
    // Half a lease must outlast the longest delivery, or another process could take the
    // subscription while a delivery is still on its way.
    config.lease = config
        .lease
        .max(config.timeout * 2 + Duration::from_secs(1));
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
    dispatcher.run().await
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
            let checked = Instant::now();
            let _ = tokio::time::timeout(TICK, woken).await;
            tokio::time::sleep(CHECK_GAP.saturating_sub(checked.elapsed())).await;
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

    /// Takes or renews the lease; on success, until when it is held.
    async fn lease(&self, id: i64) -> Result<Option<i64>, StoreError> {
        let owner = self.owner.clone();
        let until = now_ms() + self.config.lease.as_millis() as i64;
        let held = db(self.engine.store(), move |s| {
            store::lease(s, id, &owner, now_ms(), until)
        })
        .await?;
        Ok(held.then_some(until))
    }

    /// Delivers `hook`'s events from where it stands, holding its lease while events keep
    /// coming, until it has been idle a while, an attempt fails, the operator changed it, or
    /// the lease is lost. Progress and the round's attempts are saved once per round, and
    /// rounds are paced, so a busy ledger costs a few writes a second, not a few per event.
    async fn deliver_due(&self, mut hook: Webhook) -> Result<(), StoreError> {
        let Some(mut held_until) = self.lease(hook.id).await? else {
            return Ok(());
        };
        let Some(ledger) = self.engine.meta(hook.ledger_id) else {
            return Ok(());
        };
        let settings = self
            .engine
            .read(hook.ledger_id, |l, _| l.info.settings.clone())
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let store = self.engine.store().clone();
        let signal = self.engine.event_signal();
        let mut idle_since = Instant::now();
        loop {
            let round = Instant::now();
            if held_until - now_ms() < self.config.lease.as_millis() as i64 / 2 {
                match self.lease(hook.id).await? {
                    Some(until) => held_until = until,
                    None => return Ok(()),
                }
            }
            let woken = signal.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let (lid, after) = (hook.ledger_id, hook.handled_seq);
            let events = db(&store, move |s| s.events_after(lid, after, ROUND)).await?;
            if events.is_empty() {
                if idle_since.elapsed() >= IDLE {
                    break;
                }
                let _ = tokio::time::timeout(TICK, woken).await;
                continue;
            }
            idle_since = Instant::now();
            let mut more = events.len() as i64 == ROUND;
            let from = hook.handled_seq;
            let mut failed = false;
            let mut attempts = Vec::new();
            for event in events {
                if round.elapsed() >= ROUND_TIME {
                    more = true;
                    break;
                }
                if hook.wants(&event.kind) {
                    // Never deliver on a lease that could lapse during this delivery.
                    if held_until - now_ms() < self.config.lease.as_millis() as i64 / 2 {
                        match self.lease(hook.id).await? {
                            Some(until) => held_until = until,
                            None => return Ok(()),
                        }
                    }
                    let body = payload(&event, &ledger.ledger_no, &settings.time_zone);
                    let id = event.id(&ledger.ledger_no);
                    let allow_private = settings.webhooks_allow_private_addresses;
                    let (delivered, attempt) = self
                        .attempt(&mut hook, &event, &id, body, allow_private)
                        .await;
                    attempts.push(attempt);
                    if !delivered {
                        failed = true;
                        break;
                    }
                }
                hook.handled_seq = event.seq;
            }
            db(&store, move |s| store::log(s, &attempts)).await?;
            let owner = self.owner.clone();
            let saved = hook.clone();
            let saved = db(&store, move |s| store::progress(s, &saved, &owner, from)).await?;
            if failed || !saved {
                break;
            }
            // While the ledger keeps committing, delivery takes at most half of its time, so
            // the APIs keep the machine; once the ledger is quiet, delivery catches up at full
            // speed.
            let committing = tokio::time::timeout(Duration::ZERO, woken.as_mut())
                .await
                .is_ok();
            if committing {
                tokio::time::sleep(round.elapsed()).await;
            }
            if !more {
                tokio::time::sleep(PACE.saturating_sub(round.elapsed())).await;
            }
        }
        let owner = self.owner.clone();
        let id = hook.id;
        db(&store, move |s| store::release(s, id, &owner)).await
    }

    /// One delivery of `event`: whether the receiver took it, and the attempt for the log. A
    /// failure is scheduled for a retry, or, once retries have run `retry_for`, pauses the
    /// subscription.
    async fn attempt(
        &self,
        hook: &mut Webhook,
        event: &Event,
        id: &str,
        body: Vec<u8>,
        allow_private: bool,
    ) -> (bool, Delivery) {
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
        (delivered, entry)
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
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        #[serde(flatten)]
        event: crate::http::admin::events::EventView,
        ledger_no: &'a str,
    }
    let event = crate::http::admin::events::EventView::of(event.clone(), ledger_no, time_zone);
    serde_json::to_vec(&Body { event, ledger_no }).expect("an event serializes")
}
