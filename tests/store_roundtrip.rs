//! Both stores rebuild exactly the ledger the writer had: random operation sequences are
//! persisted in random batches (as the writer does), then the ledger is restored from the
//! database and compared field by field. They run on the store `SALDO_TEST_STORE` selects
//! (SQLite by default; `scripts/test` runs them on PostgreSQL too, a fresh database per case).

use proptest::prelude::*;
use saldo::ledger::{
    Identification, Ledger, LedgerInfo, NewAccount, NewCard, NewCustomer, RecurringSetting,
    Settings,
};
use saldo::money::Amount;
use std::collections::BTreeMap;
use std::sync::Arc;

use saldo::store::{SqliteStore, Store};

#[path = "support/database.rs"]
mod database;
use database::TestDb;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone)]
enum Op {
    Open(usize),
    Block(usize, i64),
    Pay(usize, i64),
    Patch(usize, i64),
    Commit(usize),
    Rollback(usize),
    End(usize),
    Deposit(usize, i64),
    Idle(i64),
    Recharge(usize, i64),
    RechargeCommit(usize),
    RechargeRollback(usize),
    Card(usize, bool),
    Close(usize),
    Recurring(usize, i64),
    BillRun(i64),
    /// The bank's answer on every payment order due by the latest bill date.
    Orders(bool),
    Persist,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize).prop_map(Op::Open),
        (0..6usize, 0i64..3000).prop_map(|(s, a)| Op::Block(s, a)),
        (0..6usize, 0i64..3000).prop_map(|(s, a)| Op::Pay(s, a)),
        (0..12usize, 0i64..3000).prop_map(|(p, a)| Op::Patch(p, a)),
        (0..12usize).prop_map(Op::Commit),
        (0..12usize).prop_map(Op::Rollback),
        (0..6usize).prop_map(Op::End),
        (0..3usize, 1i64..2000).prop_map(|(a, x)| Op::Deposit(a, x)),
        (1i64..4000).prop_map(Op::Idle),
        (0..3usize, 1i64..3000).prop_map(|(c, x)| Op::Recharge(c, x)),
        (0..6usize).prop_map(Op::RechargeCommit),
        (0..6usize).prop_map(Op::RechargeRollback),
        (0..3usize, any::<bool>()).prop_map(|(a, main)| Op::Card(a, main)),
        (0..3usize).prop_map(Op::Close),
        (0..3usize, 1i64..5000).prop_map(|(a, x)| Op::Recurring(a, x)),
        (1i64..40).prop_map(Op::BillRun),
        any::<bool>().prop_map(Op::Orders),
        Just(Op::Persist),
    ]
}

fn setup(store: &dyn Store, start: OffsetDateTime) -> Ledger {
    let info = store
        .create_ledger(&LedgerInfo {
            id: 0,
            ledger_no: "777".into(),
            name: "roundtrip".into(),
            currency: "SEK".into(),
            // A fee, so that reminders post one, and interest, so that documents carry it.
            settings: Settings {
                reminder_fee: "5.00".parse().unwrap(),
                debt_interest_rate: "12.00".parse().unwrap(),
                penalty_interest_rate: "24.00".parse().unwrap(),
                ..Settings::default()
            },
        })
        .unwrap();
    let mut ledger = Ledger::new(info);
    for i in 0..3 {
        ledger
            .create_customer(NewCustomer {
                customer_no: format!("c{i}"),
                name: format!("C {i}"),
                email: Some(format!("c{i}@example.com")),
                msisdn: None,
                national_id: None,
                username: Some(format!("u{i}")),
                aliases: vec![format!("alias{i}")],
                cards: vec![format!("card{i}")],
                personal_number: Some(format!("pn{i}")),
                address: None,
            })
            .unwrap();
        ledger
            .create_account(
                NewAccount {
                    customer_no: format!("c{i}"),
                    account_no: None,
                    credit_limit: Amount::from_minor(5000),
                    profile_type: None,
                    alias: None,
                    description: None,
                },
                start,
            )
            .unwrap();
    }
    ledger
}

fn sorted<T: Clone, K: Ord>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.sort_by_key(|x| key(x));
    v
}

fn assert_same(a: &Ledger, b: &Ledger) {
    assert_eq!(a.info, b.info);
    assert_eq!(
        sorted(a.customers().cloned(), |c| c.id),
        sorted(b.customers().cloned(), |c| c.id)
    );
    assert_eq!(
        sorted(a.accounts().cloned(), |x| x.id),
        sorted(b.accounts().cloned(), |x| x.id)
    );
    assert_eq!(
        sorted(a.holds().cloned(), |h| h.id),
        sorted(b.holds().cloned(), |h| h.id)
    );
    assert_eq!(
        sorted(a.sessions().cloned(), |s| s.id),
        sorted(b.sessions().cloned(), |s| s.id)
    );
    assert_eq!(
        sorted(a.cards().cloned(), |c| c.token.clone()),
        sorted(b.cards().cloned(), |c| c.token.clone())
    );
    assert_eq!(
        sorted(a.bills().cloned(), |x| x.bill_no),
        sorted(b.bills().cloned(), |x| x.bill_no)
    );
    assert_eq!(
        sorted(a.recharges().cloned(), |r| r.id),
        sorted(b.recharges().cloned(), |r| r.id)
    );
    assert_eq!(
        sorted(a.payments().cloned(), |p| p.id),
        sorted(b.payments().cloned(), |p| p.id)
    );
}

/// A handle on `db`, as one process holds it.
fn open(db: &TestDb) -> Arc<dyn Store> {
    saldo::store::open_with(&db.url, 4).unwrap()
}

proptest! {
    // Fewer cases on PostgreSQL: each creates and drops a database.
    #![proptest_config(ProptestConfig {
        cases: if database::selected() { 40 } else { 150 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_store_restores_the_ledger_that_was_persisted(ops in prop::collection::vec(op(), 1..80)) {
        let db = TestDb::new();
        roundtrip(&open(&db), &ops);
    }
}

/// Applies operations to a ledger as requests would, remembering the ids they made.
struct Driver {
    now: OffsetDateTime,
    sessions: Vec<i64>,
    payments: Vec<(i64, i64)>,
    recharges: Vec<i64>,
    bill_day: time::Date,
}

impl Driver {
    fn new(start: OffsetDateTime) -> Driver {
        Driver {
            now: start,
            sessions: Vec::new(),
            payments: Vec::new(),
            recharges: Vec::new(),
            bill_day: start.date(),
        }
    }

    /// Applies `op` to `l`; `Persist` is the caller's.
    fn apply(&mut self, l: &mut Ledger, store: &dyn Store, op: &Op) {
        let mut now = self.now;
        let Driver {
            sessions,
            payments,
            recharges,
            bill_day,
            ..
        } = self;
        let account_no = |a: usize| format!("777{:07}", a + 1);
        match *op {
            Op::Open(c) => {
                let who = Identification {
                    cards: vec![format!("card{c}")],
                    ..Default::default()
                };
                // A closed account takes no sessions.
                if let Ok(id) = l.open_session(&who, now) {
                    sessions.push(id);
                }
            }
            Op::Block(s, a) => {
                if let Some(&sid) = sessions.get(s) {
                    let _ = l.block(sid, Amount::from_minor(a), now);
                }
            }
            Op::Pay(s, a) => {
                if let Some(&sid) = sessions.get(s)
                    && let Ok(p) = l.create_payment(sid, Amount::from_minor(a), now)
                {
                    payments.push((sid, p.id));
                }
            }
            Op::Patch(p, a) => {
                if let Some(&(sid, pid)) = payments.get(p) {
                    let _ = l.patch_payment(sid, pid, Amount::from_minor(a), now);
                }
            }
            Op::Commit(p) => {
                if let Some(&(sid, pid)) = payments.get(p) {
                    let _ = l.commit_payment(sid, pid, now);
                }
            }
            Op::Rollback(p) => {
                if let Some(&(sid, pid)) = payments.get(p) {
                    let _ = l.rollback_payment(sid, pid, now);
                }
            }
            Op::End(s) => {
                if let Some(&sid) = sessions.get(s) {
                    l.end_session(sid, now).unwrap();
                }
            }
            Op::Deposit(a, x) => {
                let no = l
                    .accounts()
                    .find(|acc| acc.id == a as i64 + 1)
                    .unwrap()
                    .account_no
                    .clone();
                l.receive_payment(&no, Amount::from_minor(x), None, None, now)
                    .unwrap();
            }
            Op::Idle(secs) => {
                now += Duration::seconds(secs);
                l.end_idle_sessions(now);
            }
            Op::Recharge(c, x) => {
                if let Ok(p) = l.create_recharge(
                    "external",
                    c as i64 + 1,
                    Amount::from_minor(x),
                    Some(format!("r{c}")),
                    now,
                ) {
                    recharges.push(p.id);
                }
            }
            Op::RechargeCommit(r) => {
                if let Some(&id) = recharges.get(r) {
                    let _ = l.commit_recharge("external", id, now);
                }
            }
            Op::RechargeRollback(r) => {
                if let Some(&id) = recharges.get(r) {
                    let _ =
                        l.rollback_recharge("external", id, Some("changed my mind".into()), now);
                }
            }
            Op::Card(a, main) => {
                let card = NewCard {
                    token: format!("00000000-0000-4000-8000-{:012}", l.cards().count()),
                    pan_trunc: Some("1234******5678".into()),
                    deleted: false,
                    main_card: main,
                    holder_number: Some(format!("c{a}")),
                    holder_name: None,
                    holder_national_id: None,
                };
                let _ = l.add_card(&account_no(a), card);
            }
            Op::Close(a) => {
                l.request_close(&account_no(a)).unwrap();
            }
            Op::Recurring(a, x) => {
                let scope = ["fixedRecurring", "billedAmount", "totalDebt"][x as usize % 3];
                let setting = RecurringSetting {
                    method: "autogiro".into(),
                    scope: scope.into(),
                    fixed_amount: (scope == "fixedRecurring").then(|| Amount::from_minor(x)),
                };
                l.set_recurring(&account_no(a), setting).unwrap();
            }
            Op::BillRun(days) => {
                // As the writer runs it: what is committed, and what this batch posted.
                *bill_day += Duration::days(days);
                l.bill_run(*bill_day, now).unwrap();
                for a in l.accounts() {
                    let open = l.open_bills_of(a.id).len();
                    assert!(
                        open <= 1,
                        "account {} has {open} open documents",
                        a.account_no
                    );
                }
            }
            Op::Orders(executed) => {
                let due: Vec<i64> = l
                    .pending_orders(Some(*bill_day), None)
                    .iter()
                    .map(|o| o.bill_no)
                    .collect();
                for bill_no in due {
                    if executed {
                        l.execute_order(bill_no, now).unwrap();
                    } else {
                        l.fail_order(bill_no).unwrap();
                    }
                }
            }
            Op::Persist => {
                let dirty = l.take_dirty();
                store.persist(l, &dirty).unwrap();
                l.compact(&dirty);
            }
        }
        self.now = now;
    }
}

/// Every fee and interest posting is on exactly one document, and what the documents list
/// is exactly what is marked billed: no posting on two documents, none billed and left off.
fn documents_list_exactly_the_billed_postings(store: &dyn Store, l: &Ledger) {
    let mut on_documents: BTreeMap<i64, i64> = BTreeMap::new();
    let mut documents_sum = 0i64;
    for no in 1..=l.counters().bill {
        for t in store.billed_transactions(l.info.id, no).unwrap() {
            assert_eq!(t.billed, Some(no), "{t:?}");
            assert!(on_documents.insert(t.id, no).is_none(), "{t:?} twice");
            documents_sum += t.amount.minor();
        }
    }
    let mut billed_sum = 0i64;
    for a in l.accounts() {
        for t in store.transactions(l.info.id, a.id).unwrap() {
            use saldo::ledger::TxnType::{Fee, Interest};
            if matches!(t.kind, Fee | Interest) {
                assert!(t.billed.is_some(), "charged only with a document: {t:?}");
                assert_eq!(on_documents.get(&t.id), t.billed.as_ref(), "{t:?}");
            }
            if t.billed.is_some() {
                billed_sum += t.amount.minor();
            }
        }
    }
    assert_eq!(documents_sum, billed_sum);
}

/// Every reminder fee posted is billed on exactly one document, the reminder that charged
/// it, and that reminder's fee is what was posted.
fn fees_are_billed_on_their_reminders(store: &dyn Store, l: &Ledger) {
    for a in l.accounts() {
        for t in store.transactions(l.info.id, a.id).unwrap() {
            if t.kind != saldo::ledger::TxnType::Fee {
                continue;
            }
            let bill_no = t
                .billed
                .expect("a fee is billed by the run that charged it");
            let bill = l
                .find_bill(bill_no)
                .unwrap()
                .expect("its document is stored");
            assert_ne!(bill.bill_type, saldo::ledger::BillType::Bill, "{bill:?}");
            assert_eq!(bill.fee.minor(), -t.amount.minor(), "{bill:?}");
        }
    }
}

fn roundtrip(handle: &Arc<dyn Store>, ops: &[Op]) {
    let store = &**handle;
    {
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let mut l = setup(store, start);
        // What reached a final state leaves memory; later calls naming it read the store.
        l.set_archive(Arc::new(saldo::store::StoreArchive(handle.clone())));
        let mut driver = Driver::new(start);
        for op in ops {
            driver.apply(&mut l, store, op);
        }
        let now = driver.now;
        let dirty = l.take_dirty();
        store.persist(&l, &dirty).unwrap();
        l.compact(&dirty);
        let mut restored =
            Ledger::restore((*l.info).clone(), store.load(l.info.id).unwrap()).unwrap();
        assert_same(&l, &restored);
        fees_are_billed_on_their_reminders(store, &l);
        documents_list_exactly_the_billed_postings(store, &l);
        // Closed bills leave memory and are read back from the store when named.
        assert!(l.bills().all(|b| b.open), "only open bills are held");
        for no in 1..=l.counters().bill {
            let found = l
                .find_bill(no)
                .unwrap()
                .expect("every numbered bill is stored");
            assert_eq!(found.bill_no, no);
        }
        restored.set_archive(Arc::new(saldo::store::StoreArchive(handle.clone())));
        // The counters continue where they were: the same next step gives the same ids.
        let next = |ledger: &mut Ledger| {
            let who = Identification {
                username: Some("u0".into()),
                ..Default::default()
            };
            let session = ledger.open_session(&who, now);
            let recharge = ledger.create_recharge("external", 1, Amount::from_minor(1), None, now);
            let card = ledger.add_card(
                "7770000002",
                NewCard {
                    token: "99999999-0000-4000-8000-000000000000".into(),
                    pan_trunc: None,
                    deleted: false,
                    main_card: false,
                    holder_number: None,
                    holder_name: None,
                    holder_national_id: None,
                },
            );
            (session, recharge, card)
        };
        assert_eq!(next(&mut l), next(&mut restored));
    }
}

#[test]
fn wal_and_full_synchronous_are_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pragma.db");
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    assert_eq!(store.synchronous().unwrap(), 2, "synchronous=FULL");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count() as i64;
    assert_eq!(version, migrations, "every migration ran");
}

/// The writer's own checkpoint waits for 16,384 WAL pages; well below that, the checkpoint
/// thread still copies committed pages into the database file within moments.
#[test]
fn committed_pages_reach_the_database_file_without_the_writer_checkpointing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("checkpoint.db");
    let store = SqliteStore::open(path.to_str().unwrap()).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = std::fs::metadata(&path).unwrap().len();
    for i in 0..2_000 {
        store
            .create_ledger(&LedgerInfo {
                id: 0,
                ledger_no: format!("{i:04}"),
                name: "x".repeat(200),
                currency: "SEK".into(),
                settings: Settings::default(),
            })
            .unwrap();
    }
    let wal = std::fs::metadata(dir.path().join("checkpoint.db-wal"))
        .unwrap()
        .len();
    assert!(
        wal < 16_384 * 4_096,
        "below the writer's threshold: {wal} bytes"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::fs::metadata(&path).unwrap().len() <= before + 400_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file did not grow: {before} bytes"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Two handles on one database, as two processes hold them: a batch keeps the ledger's lock
/// until it commits, and the next batch sees the version it left.
fn a_batch_excludes_other_handles_until_it_commits(first: Arc<dyn Store>, second: Arc<dyn Store>) {
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut ledger = setup(&*first, start);
    let batch = first.begin(ledger.info.id).unwrap();
    let before = batch.version();
    let id = ledger.info.id;
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let batch = second.begin(id).unwrap();
        tx.send(batch.version()).unwrap();
        let (info, snapshot) = {
            let mut batch = batch;
            batch.load().unwrap()
        };
        (info, snapshot.customers.len())
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(400))
            .is_err(),
        "the second batch waits for the first"
    );
    let dirty = ledger.take_dirty();
    let after = batch.commit(&ledger, &dirty).unwrap();
    assert_eq!(
        after,
        before + 1,
        "a batch with changes advances the version"
    );
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(),
        after
    );
    let (info, customers) = waiter.join().unwrap();
    assert_eq!(info, *ledger.info);
    assert_eq!(customers, 3, "the second batch reads what the first wrote");
    // A batch without changes leaves the version alone.
    let idle = first.begin(id).unwrap();
    assert_eq!(idle.commit(&ledger, &Default::default()).unwrap(), after);
}

#[test]
fn batches_exclude_each_other_across_handles() {
    let db = TestDb::new();
    a_batch_excludes_other_handles_until_it_commits(open(&db), open(&db));
}

/// A writer whose commit answer was lost finds its batch in the log even after another
/// process has committed since; a batch that never committed is not there.
#[test]
fn a_committed_batch_is_found_after_other_handles_commit() {
    let db = TestDb::new();
    let (first, second) = (open(&db), open(&db));
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut ledger = setup(&*first, start);
    let id = ledger.info.id;
    let batch = first.begin(id).unwrap();
    let mine = batch.token();
    let dirty = ledger.take_dirty();
    let made = batch.commit(&ledger, &dirty).unwrap();
    // Another process commits twice after it.
    let mut later = Vec::new();
    for i in 0..2 {
        let mut batch = second.begin(id).unwrap();
        let (info, snapshot) = batch.load().unwrap();
        let mut theirs = Ledger::restore(info, snapshot).unwrap();
        let account_no = ledger.accounts().next().unwrap().account_no.clone();
        theirs
            .receive_payment(
                &account_no,
                Amount::from_minor(100 + i),
                Some(format!("later-{i}")),
                None,
                start,
            )
            .unwrap();
        let token = batch.token();
        let dirty = theirs.take_dirty();
        later.push((token, batch.commit(&theirs, &dirty).unwrap()));
    }
    assert_eq!(first.batch_version(id, mine).unwrap(), Some(made));
    assert_eq!(later[1].1, made + 2);
    for (token, version) in later {
        assert_eq!(first.batch_version(id, token).unwrap(), Some(version));
    }
    // A batch that was rolled back (dropped without commit) never made a version.
    let abandoned = first.begin(id).unwrap();
    let token = abandoned.token();
    drop(abandoned);
    assert_eq!(second.batch_version(id, token).unwrap(), None);
}

/// A process that stops mid-batch with its connection still open (cut off, frozen, or its
/// side of the TCP connection gone) must not hold its ledger's lock for ever: PostgreSQL ends
/// the idle transaction. PostgreSQL only, whatever `SALDO_TEST_STORE` says; saldo asks for
/// 5 s, and this test's URL shortens it to 1 s (options in the URL win).
#[test]
fn postgres_ends_an_abandoned_batch_and_frees_its_ledger() {
    let db = database::TestDatabase::create();
    let url = format!("{}%20-c%20idle_in_transaction_session_timeout%3D1s", db.url);
    let first = saldo::store::open_with(&url, 4).unwrap();
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let ledger = setup(&*first, start);
    // The lock is taken and then abandoned with its connection open, as a frozen peer would.
    std::mem::forget(first.begin(ledger.info.id).unwrap());
    let second = saldo::store::open_with(&url, 4).unwrap();
    let started = std::time::Instant::now();
    second.begin(ledger.info.id).expect("the lock comes free");
    let waited = started.elapsed();
    assert!(
        waited >= std::time::Duration::from_millis(500),
        "the first batch held the lock: {waited:?}"
    );
    assert!(
        waited < std::time::Duration::from_secs(10),
        "freed by the idle limit: {waited:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if database::selected() { 30 } else { 100 },
        ..ProptestConfig::default()
    })]

    /// Two processes take turns writing one ledger, each through its own handle, batch by
    /// batch; each catches up from the batch log at its turn. Whoever caught up must equal the
    /// ledger restored whole from the store.
    #[test]
    fn a_process_catches_up_key_by_key_to_what_another_committed(
        ops in prop::collection::vec(op(), 1..80)
    ) {
        let db = TestDb::new();
        alternate([open(&db), open(&db)], &ops);
    }
}

fn alternate(handles: [Arc<dyn Store>; 2], ops: &[Op]) {
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let mut first = setup(&*handles[0], start);
    let id = first.info.id;
    let batch = handles[0].begin(id).unwrap();
    let dirty = first.take_dirty();
    let mut versions = [Some(batch.commit(&first, &dirty).unwrap()), None];
    first.compact(&dirty);
    let mut batch = handles[1].begin(id).unwrap();
    let (info, snapshot) = batch.load().unwrap();
    versions[1] = Some(snapshot.version);
    drop(batch);
    let mut ledgers = [first, Ledger::restore(info, snapshot).unwrap()];
    for (ledger, handle) in ledgers.iter_mut().zip(&handles) {
        ledger.set_archive(Arc::new(saldo::store::StoreArchive(handle.clone())));
    }
    let mut driver = Driver::new(start);
    // Bill runs read the store outside a batch: not part of this test.
    let batches = ops
        .split(|op| matches!(op, Op::Persist))
        .map(|b| b.iter().filter(|op| !matches!(op, Op::BillRun(_))));
    let (mut caught_up, mut behind) = (0, 0);
    for (turn, ops) in batches.enumerate() {
        let me = turn % 2;
        let (ledger, handle) = (&mut ledgers[me], &handles[me]);
        let mut batch = handle.begin(id).unwrap();
        if versions[me] != Some(batch.version()) {
            let since = versions[me].expect("known");
            let (info, changes) = batch.catch_up(since).unwrap().expect("the log has it");
            let rows = batch.load_changed(&changes).unwrap();
            ledger.catch_up(info, &changes, rows).unwrap();
            let (info, snapshot) = batch.load().unwrap();
            let whole = Ledger::restore(info, snapshot).unwrap();
            assert_same(ledger, &whole);
            assert!(*ledger == whole, "caught up equals restored whole");
            caught_up += 1;
        }
        for op in ops {
            driver.apply(ledger, &**handle, op);
        }
        let dirty = ledger.take_dirty();
        let before = batch.version();
        versions[me] = Some(batch.commit(ledger, &dirty).unwrap());
        ledger.compact(&dirty);
        // The other process is behind now, unless it is already (it catches up once).
        if versions[me] != Some(before) && versions[1 - me] == Some(before) {
            behind += 1;
        }
    }
    // Every batch that changed something put the other process behind; it caught up at its
    // next turn, unless the run ended first.
    let still_behind = usize::from(versions[0] != versions[1]);
    assert_eq!(
        caught_up + still_behind,
        behind,
        "each time it was behind, it caught up"
    );
}
