//! WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
//! commit that crosses its threshold, on the ledger's writer, where it cost about a fifteenth
//! of the writer's time under load. A passive checkpoint from another connection copies the
//! same pages without blocking writers or readers; the writer's own automatic checkpoint stays
//! as a backstop at a higher threshold, should this thread fall behind.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use crate::store::StoreResult;

/// How often the WAL is copied back into the database.
const EVERY: Duration = Duration::from_millis(200);

/// The writer connection's own checkpoint threshold, in pages (4 KiB each): reached only if
/// the checkpoint thread falls behind.
pub(super) const WRITER_AUTOCHECKPOINT: i64 = 16_384;

pub(super) struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(super) fn start(conn: Connection) -> StoreResult<Checkpointer> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&conn, &flag))
            .map_err(|e| crate::store::StoreError::Database(e.to_string()))?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

fn run(conn: &Connection, stop: &(Mutex<bool>, Condvar)) {
    let (lock, wake) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|p| p.into_inner());
    while !*stopped {
        stopped = wake
            .wait_timeout(stopped, EVERY)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        // A busy round (a reader holds old frames) copies what it can; the next one the rest.
        let done = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        if let Err(e) = done {
            tracing::warn!(error = %e, "a WAL checkpoint failed; trying again");
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
