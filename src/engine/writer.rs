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

use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{Clock, EngineError};
use crate::ledger::Ledger;
use crate::store::{Batch, Store};

/// Called once the batch that contained the job is durable (or has failed).
pub(super) type Reply = Box<dyn FnOnce(Result<(), EngineError>) + Send>;
/// Applies one request to the ledger and returns how to answer it. Given `None`, the job is
/// not applied (its batch could not start) and only learns how it will be answered.
pub(super) type Job = Box<dyn FnOnce(Option<(&mut Ledger, OffsetDateTime)>) -> Reply + Send>;

/// Jobs taken into one batch at most; bounds the latency of the first job in a batch.
const MAX_BATCH: usize = 4096;

pub(super) fn run(
    mut ledger: Ledger,
    // The stored version `ledger` reflects; `None` forces a reload.
    mut version: Option<i64>,
    mut jobs: mpsc::Receiver<Job>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) {
    let mut replies: Vec<Reply> = Vec::with_capacity(256);
    while let Some(first) = jobs.blocking_recv() {
        let batch = match begin(&*store, &mut ledger, &mut version) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(ledger = %ledger.info.ledger_no, error = %e, "starting a batch failed");
                metrics::counter!("saldo_batch_failures_total").increment(1);
                // Everything queued now would meet the same database: answer it at once.
                let mut refused = vec![first];
                while let Ok(job) = jobs.try_recv() {
                    refused.push(job);
                }
                for job in refused {
                    job(None)(Err(EngineError::Storage));
                }
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

/// Takes the ledger's lock and brings `ledger` up to the stored version.
fn begin<'s>(
    store: &'s dyn Store,
    ledger: &mut Ledger,
    version: &mut Option<i64>,
) -> Result<Box<dyn Batch + 's>, crate::store::StoreError> {
    let mut batch = store.begin(ledger.info.id)?;
    if *version != Some(batch.version()) {
        let (info, snapshot) = batch.load()?;
        let stored = snapshot.version;
        *ledger = Ledger::restore(info, snapshot);
        *version = Some(stored);
        metrics::counter!("saldo_ledger_reloads_total").increment(1);
    }
    Ok(batch)
}
