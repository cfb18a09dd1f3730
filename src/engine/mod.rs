//! The engine: one writer thread per ledger, group commit, the clock and the sweeper.

mod clock;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

pub use clock::{Clock, ManualClock, SystemClock};

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::ledger::{JobOutcome, Ledger, LedgerInfo};
use crate::store::{Store, StoreError};
use writer::{Apply, Job, Reply};

/// Requests queued for one ledger before callers wait for room.
const QUEUE_DEPTH: usize = 65_536;

/// A request its writer has not taken by then is answered "unavailable" and never applied:
/// its caller has long given up, and a 5xx must mean "not applied".
const QUEUE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the ledger could not persist the change")]
    Storage,
    #[error("internal error")]
    Internal,
    #[error("the server is shutting down")]
    Unavailable,
    #[error("no such ledger")]
    UnknownLedger,
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: usize,
    pub recharges: usize,
    pub authorizations: usize,
}

struct Writer {
    jobs: mpsc::Sender<Job>,
    thread: JoinHandle<()>,
    ledger_no: String,
    healthy: Arc<AtomicBool>,
}

pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    writers: RwLock<HashMap<i64, Writer>>,
    ledger_ids: RwLock<HashMap<String, i64>>,
    meta: RwLock<HashMap<i64, LedgerMeta>>,
    /// Serializes starting writers, so two requests never start two for one ledger.
    discovering: Mutex<()>,
    /// `QUEUE_DEADLINE` in milliseconds, unless a test shortened it.
    queue_deadline_ms: AtomicU64,
    /// Woken whenever a batch with events commits in this process.
    events: Arc<tokio::sync::Notify>,
}

/// What request handlers need of a ledger without asking its writer; never changes.
#[derive(Debug, Clone)]
pub struct LedgerMeta {
    pub id: i64,
    pub ledger_no: String,
    pub currency: String,
    /// Decimals of the currency.
    pub scale: u32,
}

impl Engine {
    /// Loads every ledger from the store and starts its writer.
    pub fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Result<Arc<Engine>, StoreError> {
        let engine = Arc::new(Engine {
            store,
            clock,
            writers: RwLock::default(),
            ledger_ids: RwLock::default(),
            meta: RwLock::default(),
            discovering: Mutex::default(),
            queue_deadline_ms: AtomicU64::new(QUEUE_DEADLINE.as_millis() as u64),
            events: Arc::default(),
        });
        engine.discover_ledgers()?;
        Ok(engine)
    }

    /// How long a request may wait in its ledger's queue before it is refused unapplied.
    pub fn set_queue_deadline(&self, deadline: std::time::Duration) {
        let ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX);
        self.queue_deadline_ms.store(ms, Ordering::Relaxed);
    }

    /// Notified each time a batch that wrote events commits here (other processes' events
    /// are found by reading the store again).
    pub fn event_signal(&self) -> Arc<tokio::sync::Notify> {
        self.events.clone()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Starts a writer for every stored ledger this process does not serve yet: all of them
    /// at start, and later those another process sharing the database created.
    fn discover_ledgers(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.discovering.lock().unwrap_or_else(|p| p.into_inner());
        for info in self.store.ledgers()? {
            if self.known_meta(info.id).is_some() {
                continue;
            }
            let restored = self.store.load(info.id).and_then(|snapshot| {
                let version = snapshot.version;
                let ledger =
                    Ledger::restore(info.clone(), snapshot).map_err(StoreError::Corrupt)?;
                Ok((ledger, version))
            });
            match restored {
                Ok((ledger, version)) => self.spawn_writer(ledger, Some(version), true),
                Err(e) => {
                    // The other ledgers serve; this one's writer keeps trying to load it.
                    tracing::error!(ledger = %info.ledger_no, error = %e, "loading the ledger failed; it is unavailable until it loads");
                    self.spawn_writer(Ledger::new(info), None, false);
                }
            }
        }
        Ok(())
    }

    /// The ledgers whose writer cannot reach or read them right now, by number.
    pub fn unavailable_ledgers(&self) -> Vec<String> {
        let writers = self.writers.read().unwrap_or_else(|p| p.into_inner());
        let mut down: Vec<String> = writers
            .values()
            .filter(|w| !w.healthy.load(Ordering::Relaxed))
            .map(|w| w.ledger_no.clone())
            .collect();
        down.sort();
        down
    }

    fn spawn_writer(&self, mut ledger: Ledger, version: Option<i64>, healthy: bool) {
        ledger.set_archive(Arc::new(crate::store::StoreArchive(self.store.clone())));
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let (id, no) = (ledger.info.id, ledger.info.ledger_no.clone());
        let meta = LedgerMeta {
            id,
            ledger_no: no.clone(),
            currency: ledger.info.currency.clone(),
            scale: ledger.info.scale(),
        };
        let store = self.store.clone();
        let clock = self.clock.clone();
        let healthy = Arc::new(AtomicBool::new(healthy));
        let flag = healthy.clone();
        let events = self.events.clone();
        let thread = std::thread::Builder::new()
            .name(format!("writer-{no}"))
            .spawn(move || {
                writer::Writer {
                    ledger,
                    version,
                    jobs: rx,
                    store,
                    clock,
                    healthy: flag,
                    events,
                }
                .run()
            })
            .expect("spawning a writer thread");
        let writer = Writer {
            jobs: tx,
            thread,
            ledger_no: no.clone(),
            healthy,
        };
        self.writers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, writer);
        self.ledger_ids
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(no, id);
        self.meta
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, meta);
    }

    /// The ledger's meta; a ledger another process created is picked up on first use.
    pub fn meta(&self, ledger_id: i64) -> Option<LedgerMeta> {
        self.known_or_rediscovered(|e| e.known_meta(ledger_id))
    }

    fn known_meta(&self, ledger_id: i64) -> Option<LedgerMeta> {
        self.meta
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&ledger_id)
            .cloned()
    }

    /// Stores a new ledger and starts its writer.
    pub fn create_ledger(&self, info: &LedgerInfo) -> Result<LedgerInfo, StoreError> {
        let stored = self.store.create_ledger(info)?;
        let _one_at_a_time = self.discovering.lock().unwrap_or_else(|p| p.into_inner());
        if self.known_meta(stored.id).is_none() {
            self.spawn_writer(Ledger::new(stored.clone()), Some(0), true);
        }
        Ok(stored)
    }

    /// The ledger's id; a ledger another process created is picked up on first use.
    pub fn ledger_id(&self, ledger_no: &str) -> Option<i64> {
        self.known_or_rediscovered(|e| {
            e.ledger_ids
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(ledger_no)
                .copied()
        })
    }

    /// `find`, and if this process does not know it, `find` again after looking for ledgers
    /// other processes created.
    fn known_or_rediscovered<T>(&self, find: impl Fn(&Engine) -> Option<T>) -> Option<T> {
        find(self).or_else(|| {
            self.rediscover();
            find(self)
        })
    }

    /// Looks for ledgers other processes created; failures only mean "not found yet".
    fn rediscover(&self) {
        if let Err(e) = self.discover_ledgers() {
            tracing::warn!(error = %e, "looking for new ledgers failed");
        }
    }

    pub fn ledger_ids(&self) -> Vec<i64> {
        self.writers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Runs `op` on the ledger's writer and answers once the batch holding it is on disk.
    /// If `op` refuses (returns `Err`) or panics, whatever it changed is put back: a job
    /// applies completely or not at all.
    pub async fn execute<T, F>(&self, ledger_id: i64, op: F) -> Result<T, EngineError>
    where
        T: JobOutcome + Send + 'static,
        F: FnOnce(&mut Ledger, OffsetDateTime) -> T + Send + 'static,
    {
        self.queue(ledger_id, false, op).await
    }

    /// Runs `op`, which only looks, on the ledger's writer: it sees everything committed
    /// before it (in any process) and never waits for the database's write lock.
    pub async fn read<T, F>(&self, ledger_id: i64, op: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Ledger, OffsetDateTime) -> T + Send + 'static,
    {
        self.queue(ledger_id, true, move |l: &mut Ledger, now| {
            Ok::<_, ()>(op(l, now))
        })
        .await
        .map(|read: Result<T, ()>| {
            read.unwrap_or_else(|()| unreachable!("reads are never refused"))
        })
    }

    async fn queue<T, F>(&self, ledger_id: i64, reads_only: bool, op: F) -> Result<T, EngineError>
    where
        T: JobOutcome + Send + 'static,
        F: FnOnce(&mut Ledger, OffsetDateTime) -> T + Send + 'static,
    {
        let sender = self
            .known_or_rediscovered(|e| {
                e.writers
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&ledger_id)
                    .map(|w| w.jobs.clone())
            })
            .ok_or(EngineError::UnknownLedger)?;
        let (tx, rx) = oneshot::channel();
        let wait = std::time::Duration::from_millis(self.queue_deadline_ms.load(Ordering::Relaxed));
        let deadline = std::time::Instant::now() + wait;
        let apply: Apply = Box::new(move |target| {
            let late = target.is_some() && std::time::Instant::now() > deadline;
            // A panicking job is put back by `Ledger::job` and answered as an internal error;
            // the other jobs of its batch go on.
            let out = target.filter(|_| !late).map(|(ledger, now)| {
                catch_unwind(AssertUnwindSafe(|| ledger.job_at(now, |l| op(l, now))))
                    .map_err(|_| EngineError::Internal)
            });
            let reply: Reply = Box::new(move |persisted| {
                let answer = if late {
                    Err(EngineError::Unavailable)
                } else {
                    persisted.and_then(|()| out.ok_or(EngineError::Storage)?)
                };
                let _ = tx.send(answer);
            });
            reply
        });
        sender
            .send(Job { apply, reads_only })
            .await
            .map_err(|_| EngineError::Unavailable)?;
        rx.await.map_err(|_| EngineError::Unavailable)?
    }

    /// Ends idle MyQ sessions and expires old recharge payments in every ledger.
    pub async fn sweep(&self) -> Result<Swept, EngineError> {
        let mut swept = Swept::default();
        for id in self.ledger_ids() {
            let done = self
                .execute(id, |l, now| {
                    Ok::<_, std::convert::Infallible>((
                        l.end_idle_sessions(now).len(),
                        l.expire_recharges(now).len(),
                        l.expire_authorizations(now),
                    ))
                })
                .await
                .map(|swept| swept.unwrap_or_else(|never| match never {}));
            // An unavailable ledger must not stop the others being swept.
            let (sessions, recharges, authorizations) = match done {
                Ok(done) => done,
                Err(EngineError::Storage) => continue,
                Err(e) => return Err(e),
            };
            swept.sessions += sessions;
            swept.recharges += recharges;
            swept.authorizations += authorizations;
        }
        Ok(swept)
    }

    /// Runs the sweeper every `every` until the engine shuts down.
    pub fn spawn_sweeper(self: &Arc<Self>, every: std::time::Duration) {
        let engine = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(engine) = engine.upgrade() else {
                    return;
                };
                match engine.sweep().await {
                    Ok(Swept {
                        sessions: 0,
                        recharges: 0,
                        authorizations: 0,
                    }) => {}
                    Ok(s) => tracing::info!(
                        sessions = s.sessions,
                        recharges = s.recharges,
                        authorizations = s.authorizations,
                        "ended idle MyQ sessions and expired recharge payments"
                    ),
                    Err(EngineError::Unavailable) => return,
                    Err(e) => tracing::warn!(error = %e, "sweep failed"),
                }
            }
        });
    }

    /// Stops taking jobs, lets every writer finish its queue, and waits for them.
    pub fn shutdown(&self) {
        let writers: Vec<Writer> = self
            .writers
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, w)| w)
            .collect();
        for w in writers {
            drop(w.jobs);
            let _ = w.thread.join();
        }
    }
}
