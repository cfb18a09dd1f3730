//! The single writer of one ledger in this process: takes every queued job, applies them in
//! order to the in-memory ledger, persists the batch in one transaction, and only then answers
//! them all.
//!
//! Other processes may share the database. Each batch therefore runs under the ledger's lock
//! in the store, and starts by comparing the stored version with the one this writer last
//! saw: if another process wrote since, the ledger is reloaded (under the same lock) before
//! any job sees it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{Clock, EngineError};
use crate::ledger::Ledger;
use crate::store::{Batch, Store, StoreError};

/// Called once the batch that contained the job is durable (or has failed).
pub(super) type Reply = Box<dyn FnOnce(Result<(), EngineError>) + Send>;
/// Applies one request to the ledger and returns how to answer it. Given `None`, the job is
/// not applied (its batch could not start) and only learns how it will be answered.
pub(super) type Job = Box<dyn FnOnce(Option<(&mut Ledger, OffsetDateTime)>) -> Reply + Send>;

/// Jobs taken into one batch at most; bounds the latency of the first job in a batch.
const MAX_BATCH: usize = 4096;

/// Waits between attempts to reach the ledger again after a failure: from the first to the
/// longest, doubling.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(5);

pub(super) fn run(
    mut ledger: Ledger,
    // The stored version `ledger` reflects; `None` forces a reload.
    mut version: Option<i64>,
    mut jobs: mpsc::Receiver<Job>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    // Whether the last attempt to start a batch worked; `/readyz` reports it.
    healthy: Arc<AtomicBool>,
) {
    let mut replies: Vec<Reply> = Vec::with_capacity(256);
    let mut retry = FIRST_RETRY;
    loop {
        if !healthy.load(Ordering::Relaxed) {
            // Unavailable: try again after a while, whether or not requests arrive, so the
            // ledger comes back (and `/readyz` with it) once the store does.
            if jobs.is_closed() && jobs.is_empty() {
                break;
            }
            std::thread::sleep(retry);
            match begin(&*store, &mut ledger, &mut version) {
                Ok(batch) => {
                    drop(batch);
                    tracing::info!(ledger = %ledger.info.ledger_no, "the ledger is available again");
                    healthy.store(true, Ordering::Relaxed);
                    retry = FIRST_RETRY;
                }
                Err(e) => {
                    retry = (retry * 2).min(LONGEST_RETRY);
                    refuse_queued(&mut jobs, None, &ledger, &e);
                    continue;
                }
            }
        }
        let Some(first) = jobs.blocking_recv() else {
            break;
        };
        let batch = match begin(&*store, &mut ledger, &mut version) {
            Ok(batch) => batch,
            Err(e) => {
                healthy.store(false, Ordering::Relaxed);
                refuse_queued(&mut jobs, Some(first), &ledger, &e);
                continue;
            }
        };
        let applied = catch_unwind(AssertUnwindSafe(|| {
            replies.push(first(Some((&mut ledger, clock.now()))));
            while replies.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => replies.push(job(Some((&mut ledger, clock.now())))),
                    Err(_) => break,
                }
            }
        }));
        let outcome = match applied {
            Ok(()) => {
                let dirty = ledger.take_dirty();
                let started = std::time::Instant::now();
                let committed = batch.commit(&ledger, &dirty);
                metrics::histogram!("saldo_batch_persist_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::histogram!("saldo_batch_size").record(replies.len() as f64);
                match committed {
                    Ok(stored) => {
                        version = Some(stored);
                        ledger.compact(&dirty);
                        Ok(())
                    }
                    Err(e) => {
                        metrics::counter!("saldo_batch_failures_total").increment(1);
                        tracing::error!(ledger = %ledger.info.ledger_no, error = %e, "persisting a batch failed");
                        Err(EngineError::Storage)
                    }
                }
            }
            Err(_) => {
                drop(batch);
                tracing::error!(ledger = %ledger.info.ledger_no, "a job panicked; the batch is discarded");
                Err(EngineError::Internal)
            }
        };
        if outcome.is_err() {
            // Memory may hold changes the database never took: the next batch starts again
            // from what is stored.
            version = None;
        }
        for reply in replies.drain(..) {
            reply(outcome);
        }
    }
    tracing::debug!(ledger = %ledger.info.ledger_no, "writer stopped");
}

/// Answers `first` and everything queued behind it with a storage error: they would meet the
/// same failing store.
fn refuse_queued(
    jobs: &mut mpsc::Receiver<Job>,
    first: Option<Job>,
    ledger: &Ledger,
    e: &StoreError,
) {
    tracing::error!(ledger = %ledger.info.ledger_no, error = %e, "the ledger is unavailable: starting a batch failed");
    metrics::counter!("saldo_batch_failures_total").increment(1);
    let mut refused: Vec<Job> = first.into_iter().collect();
    while let Ok(job) = jobs.try_recv() {
        refused.push(job);
    }
    for job in refused {
        job(None)(Err(EngineError::Storage));
    }
}

/// Takes the ledger's lock and brings `ledger` up to the stored version. Whatever goes wrong,
/// a store error, an unreadable row or a panic while loading, is an error: the writer lives.
fn begin<'s>(
    store: &'s dyn Store,
    ledger: &mut Ledger,
    version: &mut Option<i64>,
) -> Result<Box<dyn Batch + 's>, StoreError> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut batch = store.begin(ledger.info.id)?;
        if *version != Some(batch.version()) {
            // Until the reload succeeds, memory reflects no stored version.
            *version = None;
            let (info, snapshot) = batch.load()?;
            let stored = snapshot.version;
            *ledger = Ledger::restore(info, snapshot).map_err(StoreError::Corrupt)?;
            *version = Some(stored);
            metrics::counter!("saldo_ledger_reloads_total").increment(1);
        }
        Ok(batch)
    }))
    .unwrap_or_else(|_| {
        *version = None;
        Err(StoreError::Corrupt("loading the ledger panicked".into()))
    })
}
