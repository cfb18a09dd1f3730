//! The single writer of one ledger in this process: takes every queued job, applies them in
//! order to the in-memory ledger, persists the batch in one transaction, and only then answers
//! them all.
//!
//! Other processes may share the database. Each batch therefore runs under the ledger's lock
//! in the store, and starts by comparing the stored version with the one this writer last
//! saw: if another process wrote since, the ledger is reloaded (under the same lock) before
//! any job sees it.
//!
//! Reads need no lock: a run of read-only jobs at the head of the queue is answered from
//! memory once a plain read of the stored version shows memory is current, so GETs never wait
//! for the database's write lock (on SQLite one lock covers every ledger).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::{Clock, EngineError};
use crate::ledger::Ledger;
use crate::store::{Batch, Store, StoreError, View};

/// Called once the batch that contained the job is durable (or has failed).
pub(super) type Reply = Box<dyn FnOnce(Result<(), EngineError>) + Send>;
/// Applies one request to the ledger and returns how to answer it. Given `None`, the job is
/// not applied (its batch could not start) and only learns how it will be answered.
pub(super) type Apply = Box<dyn FnOnce(Option<(&mut Ledger, OffsetDateTime)>) -> Reply + Send>;

/// One queued request.
pub(super) struct Job {
    pub apply: Apply,
    /// Leaves the ledger as it found it (a GET): may be answered without the write lock.
    pub reads_only: bool,
}

/// Jobs taken into one batch at most; bounds the latency of the first job in a batch.
const MAX_BATCH: usize = 4096;

/// Waits between attempts to reach the ledger again after a failure: from the first to the
/// longest, doubling.
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(5);

/// How long the writer keeps asking whether a commit that reported an error landed.
const SETTLE_COMMIT: Duration = Duration::from_secs(60);

pub(super) struct Writer {
    pub ledger: Ledger,
    /// The stored version `ledger` reflects; `None` forces a reload.
    pub version: Option<i64>,
    pub jobs: mpsc::Receiver<Job>,
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Whether the last attempt to start a batch worked; `/readyz` reports it.
    pub healthy: Arc<AtomicBool>,
    /// Woken when a batch with events commits, for those following the feed.
    pub events: Arc<tokio::sync::Notify>,
}

impl Writer {
    pub(super) fn run(mut self) {
        let mut retry = FIRST_RETRY;
        // A job taken from the queue that the next batch must start with.
        let mut pending: Option<Job> = None;
        loop {
            if !self.healthy.load(Ordering::Relaxed) {
                if self.jobs.is_closed() && self.jobs.is_empty() {
                    break;
                }
                // Unavailable: try again after a while, whether or not requests arrive, so the
                // ledger comes back (and `/readyz` with it) once the store does.
                std::thread::sleep(retry);
                let store = self.store.clone();
                match begin(&*store, &mut self.ledger, &mut self.version) {
                    Ok(batch) => {
                        drop(batch);
                        tracing::info!(ledger = %self.ledger.info.ledger_no, "the ledger is available again");
                        self.healthy.store(true, Ordering::Relaxed);
                        retry = FIRST_RETRY;
                    }
                    Err(e) => {
                        retry = (retry * 2).min(LONGEST_RETRY);
                        self.refuse(pending.take(), &e);
                        continue;
                    }
                }
            }
            let Some(first) = pending.take().or_else(|| self.jobs.blocking_recv()) else {
                break;
            };
            if first.reads_only {
                let (reads, next) = self.take_reads(first);
                pending = next;
                if self.is_current() || self.caught_up_unlocked() {
                    self.answer_reads(reads);
                    continue;
                }
                // The store could not be read without the lock: read under it.
                self.write_batch(reads, false);
                continue;
            }
            self.write_batch(vec![first], true);
        }
        tracing::debug!(ledger = %self.ledger.info.ledger_no, "writer stopped");
    }

    /// `first` and the read-only jobs queued right behind it; and the job that ended the run.
    fn take_reads(&mut self, first: Job) -> (Vec<Job>, Option<Job>) {
        let mut reads = vec![first];
        while reads.len() < MAX_BATCH {
            match self.jobs.try_recv() {
                Ok(job) if job.reads_only => reads.push(job),
                Ok(job) => return (reads, Some(job)),
                Err(_) => break,
            }
        }
        (reads, None)
    }

    /// Whether memory holds what is stored now: a plain read, no lock taken.
    fn is_current(&self) -> bool {
        let Some(mine) = self.version else {
            return false;
        };
        matches!(self.store.stored_version(self.ledger.info.id), Ok(stored) if stored == mine)
    }

    /// Brings memory up to what other processes committed, through a read-only view: reads
    /// never wait for the ledger's lock. `false` if that failed; `up_to_date` has then let go
    /// of the version if it had touched memory, so the next batch reloads it.
    fn caught_up_unlocked(&mut self) -> bool {
        let store = self.store.clone();
        let (ledger, version) = (&mut self.ledger, &mut self.version);
        let done = catch_unwind(AssertUnwindSafe(|| {
            let mut view = store.view(ledger.info.id)?;
            up_to_date(&mut *view, ledger, version)
        }));
        match done {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(ledger = %self.ledger.info.ledger_no, error = %e, "catching up for a read failed");
                false
            }
            Err(_) => false,
        }
    }

    /// Runs one job against the ledger; what it returns answers it once its fate is known.
    fn apply(&mut self, job: Job) -> Reply {
        (job.apply)(Some((&mut self.ledger, self.clock.now())))
    }

    /// Answers read-only jobs from memory (an internal error for all if one panicked).
    fn answer_reads(&mut self, jobs: Vec<Job>) {
        let mut replies = Vec::with_capacity(jobs.len());
        let applied = catch_unwind(AssertUnwindSafe(|| {
            for job in jobs {
                replies.push(self.apply(job));
            }
        }));
        let outcome = applied.map_err(|_| EngineError::Internal);
        for reply in replies {
            reply(outcome);
        }
    }

    /// One batch under the ledger's lock: `initial`, then (if `drain`) whatever else is
    /// queued, applied in order, committed once, then answered.
    fn write_batch(&mut self, initial: Vec<Job>, drain: bool) {
        let store = self.store.clone();
        let batch = match begin(&*store, &mut self.ledger, &mut self.version) {
            Ok(batch) => batch,
            Err(e) => {
                self.healthy.store(false, Ordering::Relaxed);
                self.refuse(initial, &e);
                return;
            }
        };
        let mut replies: Vec<Reply> = Vec::with_capacity(initial.len().max(64));
        let applied = catch_unwind(AssertUnwindSafe(|| {
            for job in initial {
                replies.push(self.apply(job));
            }
            while drain && replies.len() < MAX_BATCH {
                match self.jobs.try_recv() {
                    Ok(job) => replies.push(self.apply(job)),
                    Err(_) => break,
                }
            }
        }));
        let outcome = match applied {
            Ok(()) => self.commit(batch, replies.len()),
            Err(_) => {
                drop(batch);
                tracing::error!(ledger = %self.ledger.info.ledger_no, "a job panicked; the batch is discarded");
                Err(EngineError::Internal)
            }
        };
        if outcome.is_err() {
            // Memory may hold changes the database never took: the next batch starts again
            // from what is stored.
            self.version = None;
        }
        for reply in replies {
            reply(outcome);
        }
    }

    fn commit(&mut self, batch: Box<dyn Batch + '_>, jobs: usize) -> Result<(), EngineError> {
        let dirty = self.ledger.take_dirty();
        let started = std::time::Instant::now();
        let token = batch.token();
        let committed = batch.commit(&self.ledger, &dirty).or_else(|e| {
            // The commit's answer may be lost while the commit itself landed (a connection
            // cut at the wrong moment): ask the store before calling it failed. A batch that
            // changed nothing wrote nothing, so there is nothing to ask.
            if dirty.is_empty() {
                return Err(e);
            }
            let version = self.landed(token).ok_or(e)?;
            tracing::warn!(ledger = %self.ledger.info.ledger_no, "the commit reported an error but landed");
            Ok(version)
        });
        metrics::histogram!("saldo_batch_persist_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("saldo_batch_size").record(jobs as f64);
        match committed {
            Ok(stored) => {
                self.version = Some(stored);
                crate::http::metrics::postings(&self.ledger.info.currency, &dirty.transactions);
                if !dirty.events.is_empty() {
                    self.events.notify_waiters();
                }
                self.ledger.compact(&dirty);
                Ok(())
            }
            Err(e) => {
                metrics::counter!("saldo_batch_failures_total").increment(1);
                tracing::error!(ledger = %self.ledger.info.ledger_no, error = %e, "persisting a batch failed");
                Err(EngineError::Storage)
            }
        }
    }

    /// The version the batch with `token` made, if it committed; asks again while the store
    /// does not answer, for up to `SETTLE_COMMIT`.
    fn landed(&self, token: i64) -> Option<i64> {
        let started = std::time::Instant::now();
        let mut wait = FIRST_RETRY;
        loop {
            match self.store.batch_version(self.ledger.info.id, token) {
                Ok(landed) => return landed,
                Err(e) if started.elapsed() >= SETTLE_COMMIT => {
                    tracing::error!(ledger = %self.ledger.info.ledger_no, error = %e, "whether a failed commit landed is unknown");
                    return None;
                }
                Err(_) => {
                    std::thread::sleep(wait);
                    wait = (wait * 2).min(LONGEST_RETRY);
                }
            }
        }
    }

    /// Answers the jobs already `taken` and everything queued behind them with a storage
    /// error, unapplied: they would meet the same failing store.
    fn refuse(&mut self, taken: impl IntoIterator<Item = Job>, e: &StoreError) {
        tracing::error!(ledger = %self.ledger.info.ledger_no, error = %e, "the ledger is unavailable: starting a batch failed");
        metrics::counter!("saldo_batch_failures_total").increment(1);
        let queued = std::iter::from_fn(|| self.jobs.try_recv().ok());
        let refused: Vec<Job> = taken.into_iter().chain(queued).collect();
        for job in refused {
            (job.apply)(None)(Err(EngineError::Storage));
        }
    }
}

/// Brings `ledger` up to the version `view` sees: the keys changed since `version` if the
/// batch log tells them, else the whole ledger.
fn up_to_date(
    view: &mut dyn View,
    ledger: &mut Ledger,
    version: &mut Option<i64>,
) -> Result<(), StoreError> {
    if *version == Some(view.version()) {
        return Ok(());
    }
    // Until memory is brought up to date, it reflects no stored version.
    let known = version.take();
    let stored = view.version();
    // Far behind, reading the log costs more than reading the ledger.
    let near = known.filter(|since| stored - since <= crate::store::CATCH_UP_BATCHES);
    if let Some(since) = near
        && let Some((info, changes)) = view.catch_up(since)?
    {
        let rows = view.load_changed(&changes)?;
        ledger
            .catch_up(info, &changes, rows)
            .map_err(StoreError::Corrupt)?;
        metrics::counter!("saldo_ledger_catch_ups_total").increment(1);
    } else {
        let (info, snapshot) = view.load()?;
        let archive = ledger.archive();
        *ledger = Ledger::restore(info, snapshot).map_err(StoreError::Corrupt)?;
        if let Some(archive) = archive {
            ledger.set_archive(archive);
        }
        metrics::counter!("saldo_ledger_reloads_total").increment(1);
    }
    *version = Some(stored);
    Ok(())
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
        up_to_date(&mut *batch, ledger, version)?;
        Ok(batch)
    }))
    .unwrap_or_else(|_| {
        *version = None;
        Err(StoreError::Corrupt("loading the ledger panicked".into()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Changes, LedgerInfo, Settings, Snapshot};
    use crate::store::{CATCH_UP_BATCHES, StoreResult};

    /// A view at `version` that counts how it was read.
    struct Counted {
        version: i64,
        whole: usize,
        by_keys: usize,
    }

    fn info() -> LedgerInfo {
        LedgerInfo {
            id: 1,
            ledger_no: "1".into(),
            name: "n".into(),
            currency: "SEK".into(),
            settings: Settings::default(),
        }
    }

    impl View for Counted {
        fn version(&self) -> i64 {
            self.version
        }
        fn load(&mut self) -> StoreResult<(LedgerInfo, Snapshot)> {
            self.whole += 1;
            Ok((info(), Snapshot::default()))
        }
        fn catch_up(&mut self, _: i64) -> StoreResult<Option<(LedgerInfo, Changes)>> {
            Ok(Some((info(), Changes::default())))
        }
        fn load_changed(&mut self, _: &Changes) -> StoreResult<Snapshot> {
            self.by_keys += 1;
            Ok(Snapshot::default())
        }
    }

    /// (whole reloads, catch-ups by keys) to bring a ledger at `known` up to `stored`.
    fn reads(known: Option<i64>, stored: i64) -> (usize, usize) {
        let mut view = Counted {
            version: stored,
            whole: 0,
            by_keys: 0,
        };
        let mut ledger = Ledger::new(info());
        let mut version = known;
        up_to_date(&mut view, &mut ledger, &mut version).unwrap();
        assert_eq!(version, Some(stored));
        (view.whole, view.by_keys)
    }

    #[test]
    fn a_ledger_far_behind_is_reloaded_whole_and_one_near_catches_up_by_keys() {
        assert_eq!(reads(Some(7), 7), (0, 0), "up to date: nothing read");
        assert_eq!(reads(Some(0), CATCH_UP_BATCHES), (0, 1));
        assert_eq!(reads(Some(0), CATCH_UP_BATCHES + 1), (1, 0));
        assert_eq!(reads(None, 3), (1, 0), "no known version: whole");
    }
}
