//! The writer never dies: a store that fails to start a batch, or a load that panics, makes
//! the ledger unavailable (refused with a storage error, `/readyz` failing), and the writer
//! retries until the store answers again; then the ledger serves as before.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use saldo::engine::{Engine, EngineError, ManualClock};
use saldo::ledger::{
    BillRunInput, Dirty, Ledger, LedgerInfo, RechargePayment, Settings, Snapshot, Transaction,
};
use saldo::store::{
    Batch, CredentialRow, RechargeQuery, SqliteStore, Store, StoreError, StoreResult, TokenRow,
    TransactionQuery, View,
};
use time::OffsetDateTime;

/// Counts one injected fault down; whether there was one left.
fn take_one(faults: &AtomicUsize) -> bool {
    faults
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// A real SQLite store with faults switched on by the test.
struct Faulty {
    inner: SqliteStore,
    /// How many of the next `begin` calls fail.
    failing_begins: AtomicUsize,
    /// How many of the next commits fail without writing anything.
    failing_commits: AtomicUsize,
    /// How many of the next commits write everything and then report an error.
    lost_commit_answers: AtomicUsize,
    /// Whether a batch's `load` panics (as on an unreadable row).
    panicking_loads: AtomicBool,
    /// Forces the next batch to reload, as when another process wrote.
    force_reload: AtomicBool,
    /// Milliseconds each commit stalls, as a database that answers slowly.
    stall_ms: AtomicU64,
    /// How many commits have stalled so far.
    stalled: AtomicUsize,
}

struct FaultyBatch<'a> {
    inner: Box<dyn Batch + 'a>,
    shift: i64,
    panics: bool,
    store: &'a Faulty,
}

impl View for FaultyBatch<'_> {
    fn version(&self) -> i64 {
        self.inner.version() + self.shift
    }
    fn load(&mut self) -> StoreResult<(LedgerInfo, Snapshot)> {
        assert!(!self.panics, "an unreadable row");
        self.inner.load()
    }
    fn catch_up(
        &mut self,
        since: i64,
    ) -> StoreResult<Option<(LedgerInfo, saldo::ledger::Changes)>> {
        // A shifted version or an unreadable row stands for another process's writes the
        // log cannot explain: the writer must reload the whole ledger.
        if self.panics || self.shift != 0 {
            return Ok(None);
        }
        self.inner.catch_up(since)
    }
    fn load_changed(&mut self, changes: &saldo::ledger::Changes) -> StoreResult<Snapshot> {
        self.inner.load_changed(changes)
    }
}

impl Batch for FaultyBatch<'_> {
    fn token(&self) -> i64 {
        self.inner.token()
    }
    fn commit(self: Box<Self>, ledger: &Ledger, dirty: &Dirty) -> StoreResult<i64> {
        if take_one(&self.store.failing_commits) {
            return Err(StoreError::Database("injected: the commit failed".into()));
        }
        if take_one(&self.store.lost_commit_answers) {
            self.inner.commit(ledger, dirty)?;
            return Err(StoreError::Database("injected: the answer was lost".into()));
        }
        let stall = self.store.stall_ms.load(Ordering::SeqCst);
        if stall > 0 {
            self.store.stalled.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(stall));
        }
        self.inner.commit(ledger, dirty)
    }
}

impl Store for Faulty {
    fn ping(&self) -> StoreResult<()> {
        self.inner.ping()
    }
    fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        self.inner.meta_get(key)
    }
    fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        self.inner.meta_set(key, value)
    }
    fn create_ledger(&self, info: &LedgerInfo) -> StoreResult<LedgerInfo> {
        self.inner.create_ledger(info)
    }
    fn ledgers(&self) -> StoreResult<Vec<LedgerInfo>> {
        self.inner.ledgers()
    }
    fn load(&self, ledger_id: i64) -> StoreResult<Snapshot> {
        self.inner.load(ledger_id)
    }
    fn stored_version(&self, ledger_id: i64) -> StoreResult<i64> {
        self.inner.stored_version(ledger_id)
    }
    fn batch_version(&self, ledger_id: i64, token: i64) -> StoreResult<Option<i64>> {
        self.inner.batch_version(ledger_id, token)
    }
    fn unbalanced_accounts(&self, ledger_id: i64) -> StoreResult<Vec<String>> {
        self.inner.unbalanced_accounts(ledger_id)
    }
    fn archived_record(
        &self,
        ledger_id: i64,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        self.inner.archived_record(ledger_id, kind, key)
    }
    fn archived_session(&self, ledger_id: i64, id: i64) -> StoreResult<Option<i64>> {
        self.inner.archived_session(ledger_id, id)
    }
    fn archived_recharge(
        &self,
        ledger_id: i64,
        id: i64,
    ) -> StoreResult<Option<saldo::ledger::SettledRecharge>> {
        self.inner.archived_recharge(ledger_id, id)
    }
    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> StoreResult<i64> {
        self.inner.last_recharge_no(ledger_id, customer_id)
    }
    fn archived_bill(
        &self,
        ledger_id: i64,
        bill_no: i64,
    ) -> StoreResult<Option<saldo::ledger::Bill>> {
        self.inner.archived_bill(ledger_id, bill_no)
    }
    fn last_bill_date(&self, ledger_id: i64) -> StoreResult<Option<time::Date>> {
        self.inner.last_bill_date(ledger_id)
    }
    fn bills_page(
        &self,
        query: &saldo::store::BillQuery,
    ) -> StoreResult<(Vec<saldo::ledger::Bill>, i64)> {
        self.inner.bills_page(query)
    }
    fn begin(&self, ledger_id: i64) -> StoreResult<Box<dyn Batch + '_>> {
        if take_one(&self.failing_begins) {
            return Err(StoreError::Database(
                "injected: the database is away".into(),
            ));
        }

        let shift = if self.force_reload.swap(false, Ordering::SeqCst) {
            1_000
        } else {
            0
        };
        Ok(Box::new(FaultyBatch {
            inner: self.inner.begin(ledger_id)?,
            shift,
            panics: self.panicking_loads.load(Ordering::SeqCst),
            store: self,
        }))
    }
    /// Reads outside the lock fail while the database is away, like batches.
    fn view(&self, ledger_id: i64) -> StoreResult<Box<dyn View + '_>> {
        if self.failing_begins.load(Ordering::SeqCst) > 0 {
            return Err(StoreError::Database(
                "injected: the database is away".into(),
            ));
        }
        self.inner.view(ledger_id)
    }
    fn records_page(
        &self,
        ledger_id: i64,
        kind: &str,
        page: (i64, i64),
    ) -> StoreResult<(Vec<(String, String)>, i64)> {
        self.inner.records_page(ledger_id, kind, page)
    }
    fn create_credential(&self, row: &CredentialRow) -> StoreResult<i64> {
        self.inner.create_credential(row)
    }
    fn revoke_credential(&self, ledger_id: i64, id: i64) -> StoreResult<bool> {
        self.inner.revoke_credential(ledger_id, id)
    }
    fn active_credentials(&self) -> StoreResult<Vec<CredentialRow>> {
        self.inner.active_credentials()
    }
    fn migrated(&self) -> (usize, usize) {
        self.inner.migrated()
    }
    fn credentials_used(&self, used: &[(i64, time::OffsetDateTime)]) -> StoreResult<()> {
        self.inner.credentials_used(used)
    }
    fn transactions(&self, ledger_id: i64, account_id: i64) -> StoreResult<Vec<Transaction>> {
        self.inner.transactions(ledger_id, account_id)
    }
    fn recharge_payments(&self, query: &RechargeQuery) -> StoreResult<(Vec<RechargePayment>, i64)> {
        self.inner.recharge_payments(query)
    }
    fn transactions_page(&self, query: &TransactionQuery) -> StoreResult<(Vec<Transaction>, i64)> {
        self.inner.transactions_page(query)
    }
    fn bill_run_input(&self, ledger_id: i64, bill_date: time::Date) -> StoreResult<BillRunInput> {
        self.inner.bill_run_input(ledger_id, bill_date)
    }
    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: time::Date,
    ) -> StoreResult<std::collections::HashMap<i64, saldo::ledger::InterestBasis>> {
        self.inner.interest_bases(ledger_id, accounts, until)
    }
    fn billed_transactions(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Vec<Transaction>> {
        self.inner.billed_transactions(ledger_id, bill_no)
    }
    fn exec(
        &self,
        sql: &str,
        params: Vec<saldo::store::Cell>,
        columns: &'static [(&'static str, saldo::store::Type)],
    ) -> StoreResult<Vec<Vec<saldo::store::Cell>>> {
        self.inner.exec(sql, params, columns)
    }
    fn events_after(
        &self,
        ledger_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<saldo::ledger::Event>> {
        self.inner.events_after(ledger_id, after, limit)
    }
    fn save_token(&self, token: &TokenRow) -> StoreResult<()> {
        self.inner.save_token(token)
    }
    fn live_tokens(&self, now: OffsetDateTime) -> StoreResult<Vec<TokenRow>> {
        self.inner.live_tokens(now)
    }
    fn delete_tokens_of(&self, credential_id: i64) -> StoreResult<()> {
        self.inner.delete_tokens_of(credential_id)
    }
}

/// Polls until `engine` reports every ledger available; fails after `within`.
async fn until_available(engine: &Engine, within: Duration) {
    let started = Instant::now();
    while !engine.unavailable_ledgers().is_empty() {
        assert!(
            started.elapsed() < within,
            "still unavailable after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An engine over a `Faulty` store in `dir`, with ledger 777; returns the ledger's id too.
fn faulty_engine(dir: &std::path::Path) -> (Arc<Faulty>, Arc<Engine>, i64) {
    let store = Arc::new(Faulty {
        inner: SqliteStore::open(dir.join("f.db").to_str().unwrap()).unwrap(),
        failing_begins: AtomicUsize::new(0),
        failing_commits: AtomicUsize::new(0),
        lost_commit_answers: AtomicUsize::new(0),
        panicking_loads: AtomicBool::new(false),
        force_reload: AtomicBool::new(false),
        stall_ms: AtomicU64::new(0),
        stalled: AtomicUsize::new(0),
    });
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let engine = Engine::start(store.clone(), clock).unwrap();
    let info = engine
        .create_ledger(&LedgerInfo {
            id: 0,
            ledger_no: "777".into(),
            name: "faults".into(),
            currency: "SEK".into(),
            settings: Settings::default(),
        })
        .unwrap();
    (store, engine, info.id)
}

/// Renames the ledger through its writer; the new name is stored with the batch.
async fn rename(engine: &Engine, id: i64, name: &'static str) -> Result<(), EngineError> {
    engine
        .execute(id, move |l, _| {
            l.info.get_mut().name = name.into();
            Ok::<_, std::convert::Infallible>(())
        })
        .await
        .map(|renamed| renamed.unwrap_or_else(|never| match never {}))
}

async fn name(engine: &Engine, id: i64) -> String {
    engine.read(id, |l, _| l.info.name.clone()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_store_makes_the_ledger_unavailable_until_it_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let (store, engine, id) = faulty_engine(dir.path());
    rename(&engine, id, "one").await.unwrap();
    assert!(engine.unavailable_ledgers().is_empty());

    // The database goes away for three attempts: refused, reported, then recovered alone.
    store.failing_begins.store(3, Ordering::SeqCst);
    assert_eq!(rename(&engine, id, "two").await, Err(EngineError::Storage));
    assert_eq!(engine.unavailable_ledgers(), vec!["777".to_string()]);
    until_available(&engine, Duration::from_secs(10)).await;
    rename(&engine, id, "three").await.unwrap();

    // A reload that panics (an unreadable row) leaves the writer alive.
    store.panicking_loads.store(true, Ordering::SeqCst);
    store.force_reload.store(true, Ordering::SeqCst);
    assert_eq!(rename(&engine, id, "four").await, Err(EngineError::Storage));
    assert_eq!(engine.unavailable_ledgers(), vec!["777".to_string()]);
    store.panicking_loads.store(false, Ordering::SeqCst);
    until_available(&engine, Duration::from_secs(10)).await;
    assert_eq!(
        name(&engine, id).await,
        "three",
        "what was refused left nothing behind"
    );
    engine.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_left_waiting_past_its_deadline_is_refused_and_never_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (store, engine, id) = faulty_engine(dir.path());
    engine.set_queue_deadline(Duration::from_millis(200));
    // The database answers slowly: the first request's commit holds the writer for a second,
    // and the second waits in the queue past its deadline.
    store.stall_ms.store(1_000, Ordering::SeqCst);
    let first = tokio::spawn({
        let engine = engine.clone();
        async move { rename(&engine, id, "in time").await }
    });
    let started = Instant::now();
    while store.stalled.load(Ordering::SeqCst) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the first request never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let late = rename(&engine, id, "too late").await;
    assert_eq!(first.await.unwrap(), Ok(()));
    assert_eq!(late, Err(EngineError::Unavailable));
    store.stall_ms.store(0, Ordering::SeqCst);
    assert_eq!(
        name(&engine, id).await,
        "in time",
        "the refused request left nothing behind"
    );
    engine.shutdown();
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    /// The next `begin` fails (and the retries after it until `n` are used up).
    Begin(usize),
    /// The next commit fails without writing.
    Commit,
    /// The next commit lands, but its answer is lost.
    LostAnswer,
    /// The next batch must reload, and the reload panics once.
    PanickingReload,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        4 => Just(Fault::None),
        1 => (1usize..3).prop_map(Fault::Begin),
        1 => Just(Fault::Commit),
        1 => Just(Fault::LostAnswer),
        1 => Just(Fault::PanickingReload),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random changes under random faults: every acknowledged change is there, in memory and
    /// after a restart on the same file, and every refused one left nothing.
    #[test]
    fn acknowledged_changes_survive_and_refused_ones_leave_nothing(
        faults in prop::collection::vec(fault(), 1..16)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (store, engine, id) = faulty_engine(dir.path());
        let mut acknowledged = Settings::default().bill_due_days;
        for (i, fault) in faults.iter().enumerate() {
            match fault {
                Fault::None => {}
                Fault::Begin(n) => store.failing_begins.store(*n, Ordering::SeqCst),
                Fault::Commit => store.failing_commits.store(1, Ordering::SeqCst),
                Fault::LostAnswer => store.lost_commit_answers.store(1, Ordering::SeqCst),
                Fault::PanickingReload => {
                    store.force_reload.store(true, Ordering::SeqCst);
                    store.panicking_loads.store(true, Ordering::SeqCst);
                }
            }
            let days = 40 + i as u32;
            let done = runtime.block_on(engine.execute(id, move |l, _| {
                l.update_settings(&serde_json::json!({"billDueDays": days})).map(drop)
            }));
            store.panicking_loads.store(false, Ordering::SeqCst);
            match done {
                Ok(Ok(())) => acknowledged = days,
                Ok(Err(e)) => panic!("a valid patch was refused: {e:?}"),
                Err(EngineError::Storage | EngineError::Internal) => {
                    prop_assert!(
                        !matches!(fault, Fault::LostAnswer),
                        "a commit that landed was answered as failed"
                    );
                }
                Err(e) => panic!("unexpected {e:?}"),
            }
            runtime.block_on(until_available(&engine, Duration::from_secs(10)));
            let seen = runtime
                .block_on(engine.read(id, |l, _| l.info.settings.bill_due_days))
                .unwrap();
            prop_assert_eq!(seen, acknowledged, "after fault {:?}", fault);
        }
        engine.shutdown();
        // A new process on the same file sees exactly what was acknowledged.
        let reopened = SqliteStore::open(dir.path().join("f.db").to_str().unwrap()).unwrap();
        let stored = reopened
            .ledgers()
            .unwrap()
            .into_iter()
            .find(|l| l.id == id)
            .unwrap();
        prop_assert_eq!(stored.settings.bill_due_days, acknowledged);
    }
}
