//! The single writer of one ledger: takes every queued job, applies them in order to the
//! in-memory ledger, persists the batch in one transaction, and only then answers them all.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{Clock, EngineError};
use crate::ledger::Ledger;
use crate::store::Store;

/// Called once the batch that contained the job is durable (or has failed).
pub(super) type Reply = Box<dyn FnOnce(Result<(), EngineError>) + Send>;
/// Applies one request to the ledger and returns how to answer it.
pub(super) type Job = Box<dyn FnOnce(&mut Ledger, OffsetDateTime) -> Reply + Send>;

/// Jobs taken into one batch at most; bounds the latency of the first job in a batch.
const MAX_BATCH: usize = 4096;

pub(super) fn run(
    mut ledger: Ledger,
    mut jobs: mpsc::Receiver<Job>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) {
    let mut replies: Vec<Reply> = Vec::with_capacity(256);
    while let Some(first) = jobs.blocking_recv() {
        let applied = catch_unwind(AssertUnwindSafe(|| {
            replies.push(first(&mut ledger, clock.now()));
            while replies.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => replies.push(job(&mut ledger, clock.now())),
                    Err(_) => break,
                }
            }
        }));
        let mut dirty = None;
        let outcome = match applied {
            Ok(()) => {
                let batch = dirty.insert(ledger.take_dirty());
                let started = std::time::Instant::now();
                let persisted = store.persist(&ledger, batch);
                metrics::histogram!("saldo_batch_persist_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::histogram!("saldo_batch_size").record(replies.len() as f64);
                persisted.map_err(|e| {
                    metrics::counter!("saldo_batch_failures_total").increment(1);
                    tracing::error!(ledger = %ledger.info.ledger_no, error = %e, "persisting a batch failed");
                    EngineError::Storage
                })
            }
            Err(_) => {
                tracing::error!(ledger = %ledger.info.ledger_no, "a job panicked; the batch is discarded");
                Err(EngineError::Internal)
            }
        };
        if let (Ok(()), Some(batch)) = (outcome, &dirty) {
            ledger.compact(batch);
        } else {
            // Memory may hold changes the database refused: start again from what is on disk.
            ledger = reload(&ledger, &*store);
        }
        for reply in replies.drain(..) {
            reply(outcome);
        }
    }
    tracing::debug!(ledger = %ledger.info.ledger_no, "writer stopped");
}

fn reload(ledger: &Ledger, store: &dyn Store) -> Ledger {
    let info = store
        .ledgers()
        .ok()
        .and_then(|all| all.into_iter().find(|l| l.id == ledger.info.id))
        .unwrap_or_else(|| ledger.info.clone());
    loop {
        match store.load(info.id) {
            Ok(snapshot) => return Ledger::restore(info, snapshot),
            Err(e) => {
                tracing::error!(ledger = %info.ledger_no, error = %e, "reloading the ledger failed; retrying");
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
        }
    }
}
