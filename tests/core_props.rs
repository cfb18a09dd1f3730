//! Property tests of the pure ledger core: thousands of random operation sequences against a
//! deliberately simple model of SPEC §3, checking SPEC §1.3's invariants after every step.

use std::collections::HashMap;

use proptest::prelude::*;
use saldo::ledger::{
    Identification, Ledger, LedgerError, LedgerInfo, NewAccount, NewCustomer, Settings,
};
use saldo::money::Amount;
use time::{Duration, OffsetDateTime};

const ACCOUNTS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Open(usize),
    Block(usize, i64),
    Pay(usize, i64),
    Patch(usize, usize, i64),
    Commit(usize, usize),
    Rollback(usize, usize),
    End(usize),
    Deposit(usize, i64),
    /// The operator's correction: a credit (positive) or a debit (negative).
    Adjust(usize, i64),
    Idle(i64),
    RechargeCreate(usize, i64),
    RechargePatch(usize, i64),
    RechargeCommit(usize),
    RechargeRollback(usize),
    /// Pre-authorize (SCA exempted) and split-authorize at once.
    Authorize(usize, i64),
    Capture(usize, i64),
    Reverse(usize, i64),
    Cancel(usize),
    /// Repeat the previous operation, as a client retrying would.
    Retry,
    /// What the writer does after a batch is durable: take the changes and compact.
    Persist,
}

fn op() -> impl Strategy<Value = Op> {
    let amount = 0i64..4_000;
    prop_oneof![
        2 => (0..ACCOUNTS).prop_map(Op::Open),
        3 => (0..8usize, amount.clone()).prop_map(|(s, a)| Op::Block(s, a)),
        4 => (0..8usize, amount.clone()).prop_map(|(s, a)| Op::Pay(s, a)),
        2 => (0..8usize, 0..8usize, amount.clone()).prop_map(|(s, p, a)| Op::Patch(s, p, a)),
        3 => (0..8usize, 0..8usize).prop_map(|(s, p)| Op::Commit(s, p)),
        2 => (0..8usize, 0..8usize).prop_map(|(s, p)| Op::Rollback(s, p)),
        2 => (0..8usize).prop_map(Op::End),
        1 => (0..ACCOUNTS, 1i64..3_000).prop_map(|(a, x)| Op::Deposit(a, x)),
        1 => (0..ACCOUNTS, 1i64..3_000, any::<bool>())
            .prop_map(|(a, x, credit)| Op::Adjust(a, if credit { x } else { -x })),
        1 => (1i64..5_000).prop_map(Op::Idle),
        2 => (0..ACCOUNTS, 1i64..3_000).prop_map(|(a, x)| Op::RechargeCreate(a, x)),
        1 => (0..6usize, 1i64..3_000).prop_map(|(r, x)| Op::RechargePatch(r, x)),
        2 => (0..6usize).prop_map(Op::RechargeCommit),
        1 => (0..6usize).prop_map(Op::RechargeRollback),
        2 => (0..ACCOUNTS, 1i64..3_000).prop_map(|(a, x)| Op::Authorize(a, x)),
        2 => (0..6usize, 1i64..2_000).prop_map(|(s, x)| Op::Capture(s, x)),
        1 => (0..6usize, 1i64..1_000).prop_map(|(c, x)| Op::Reverse(c, x)),
        1 => (0..6usize).prop_map(Op::Cancel),
        2 => Just(Op::Retry),
        2 => Just(Op::Persist),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum MStatus {
    Uncommitted,
    Committed,
    RolledBack,
    Reversed,
}

#[derive(Debug, Clone)]
struct MPayment {
    session: usize,
    permitted: i64,
    from_block: i64,
    status: MStatus,
}

#[derive(Debug, Clone)]
struct MSession {
    id: i64,
    account: usize,
    open: bool,
    block: i64,
    payments: Vec<usize>,
    last_activity: i64,
}

/// The reference model: plain integers, no holds, no indexes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum MRecharge {
    Created,
    Completed,
    Canceled,
}

/// Recharges expire this long after creation in the harness ledger.
const RECHARGE_TTL: i64 = 7200;

#[derive(Debug, Default)]
struct Model {
    limit: [i64; ACCOUNTS],
    posted: [i64; ACCOUNTS],
    sessions: Vec<MSession>,
    payments: Vec<(i64, MPayment)>,
    now: i64,
    /// (ledger id, account, amount, state, created at)
    recharges: Vec<(i64, usize, i64, MRecharge, i64)>,
    /// Split authorizations: (account, remaining, status 'a'uthorized/'c'aptured/'x' cancelled)
    splits: Vec<(usize, i64, char)>,
    /// Captures: (split, amount, reversed)
    captures: Vec<(usize, i64, i64)>,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    Amount(i64),
    NotFound,
    Conflict,
    Insufficient,
    Swept(usize, usize),
    Rejected,
}

impl Model {
    fn reserved(&self, account: usize) -> i64 {
        let blocks: i64 = self
            .sessions
            .iter()
            .filter(|s| s.account == account && s.open)
            .map(|s| s.block)
            .sum();
        let held: i64 = self
            .payments
            .iter()
            .filter(|(_, p)| {
                p.status == MStatus::Uncommitted && self.sessions[p.session].account == account
            })
            .map(|(_, p)| p.permitted)
            .sum();
        let authorized: i64 = self
            .splits
            .iter()
            .filter(|(a, _, status)| *a == account && *status == 'a')
            .map(|(_, remaining, _)| remaining)
            .sum();
        blocks + held + authorized
    }

    fn available(&self, account: usize) -> i64 {
        self.limit[account] + self.posted[account] - self.reserved(account)
    }

    fn session_balance(&self, s: usize) -> i64 {
        let session = &self.sessions[s];
        self.available(session.account) + if session.open { session.block } else { 0 }
    }

    fn payment_index(&self, s: usize, p: usize) -> Option<usize> {
        self.sessions.get(s)?.payments.get(p).copied()
    }

    fn end(&mut self, s: usize) {
        let session = &mut self.sessions[s];
        if !session.open {
            return;
        }
        session.open = false;
        session.block = 0;
        for &p in &session.payments.clone() {
            if self.payments[p].1.status == MStatus::Uncommitted {
                self.payments[p].1.status = MStatus::RolledBack;
            }
        }
    }

    /// Payment `p` of session `s` if both exist and the session is open.
    fn open_payment(&mut self, s: usize, p: usize) -> Result<usize, Outcome> {
        let session = self.sessions.get(s).ok_or(Outcome::NotFound)?;
        if !session.open {
            return Err(Outcome::Conflict);
        }
        let idx = self.payment_index(s, p).ok_or(Outcome::NotFound)?;
        self.sessions[s].last_activity = self.now;
        Ok(idx)
    }

    fn session_id(&self, s: usize) -> i64 {
        // Unknown model sessions map to an id the ledger never issued.
        self.sessions
            .get(s)
            .map(|s| s.id)
            .unwrap_or(1_000_000 + s as i64)
    }

    fn payment_id(&self, s: usize, p: usize) -> i64 {
        self.payment_index(s, p)
            .map(|i| self.payments[i].0)
            .unwrap_or(1_000_000 + p as i64)
    }

    fn undraw(&mut self, idx: usize) {
        let (s, from_block) = (
            self.payments[idx].1.session,
            self.payments[idx].1.from_block,
        );
        self.sessions[s].block += from_block;
        self.payments[idx].1.from_block = 0;
        self.payments[idx].1.permitted = 0;
    }

    fn draw(&mut self, s: usize, idx: usize, amount: i64) -> i64 {
        let permitted = amount.min(self.session_balance(s));
        let from_block = permitted.min(self.sessions[s].block);
        self.sessions[s].block -= from_block;
        let p = &mut self.payments[idx].1;
        p.permitted = permitted;
        p.from_block = from_block;
        permitted
    }
}

/// What a store would hold of what left memory: enough to answer the point reads.
#[derive(Default)]
struct MemArchive {
    sessions: std::sync::Mutex<HashMap<i64, i64>>,
    recharges: std::sync::Mutex<HashMap<i64, saldo::ledger::SettledRecharge>>,
    /// Each customer's highest stored recharge number.
    recharge_nos: std::sync::Mutex<HashMap<i64, i64>>,
    records: std::sync::Mutex<HashMap<(String, String), String>>,
    bills: std::sync::Mutex<HashMap<i64, saldo::ledger::Bill>>,
}

impl MemArchive {
    /// Files what a persisted batch wrote, as a store would.
    fn keep(&self, ledger: &Ledger, dirty: &saldo::ledger::Dirty) {
        for id in &dirty.sessions {
            let s = ledger.session(*id).unwrap();
            if s.status == saldo::ledger::SessionStatus::Ended {
                self.sessions.lock().unwrap().insert(*id, s.account_id);
            }
        }
        for id in &dirty.recharges {
            let r = ledger.recharge(*id).unwrap();
            let mut nos = self.recharge_nos.lock().unwrap();
            let last = nos.entry(r.customer_id).or_default();
            *last = (*last).max(r.payment_no);
            drop(nos);
            if r.state != saldo::ledger::RechargeState::Created {
                let settled = saldo::ledger::SettledRecharge {
                    provider: r.provider.clone(),
                    state: r.state,
                    amount: r.amount,
                };
                self.recharges.lock().unwrap().insert(*id, settled);
            }
        }
        for no in &dirty.bills {
            let bill = ledger.bill(*no).unwrap().clone();
            self.bills.lock().unwrap().insert(*no, bill);
        }
        for (kind, key) in &dirty.records {
            let json = ledger.record_json(kind, key).unwrap();
            self.records
                .lock()
                .unwrap()
                .insert((kind.to_string(), key.clone()), json);
        }
    }
}

impl saldo::ledger::Archive for MemArchive {
    fn record(&self, _: i64, kind: &str, key: &str) -> Result<Option<String>, String> {
        let records = self.records.lock().unwrap();
        Ok(records.get(&(kind.to_string(), key.to_string())).cloned())
    }
    fn ended_session(&self, _: i64, id: i64) -> Result<Option<i64>, String> {
        Ok(self.sessions.lock().unwrap().get(&id).copied())
    }
    fn settled_recharge(
        &self,
        _: i64,
        id: i64,
    ) -> Result<Option<saldo::ledger::SettledRecharge>, String> {
        Ok(self.recharges.lock().unwrap().get(&id).cloned())
    }
    fn last_recharge_no(&self, _: i64, customer_id: i64) -> Result<i64, String> {
        Ok(self
            .recharge_nos
            .lock()
            .unwrap()
            .get(&customer_id)
            .copied()
            .unwrap_or(0))
    }
    fn bill(&self, _: i64, bill_no: i64) -> Result<Option<saldo::ledger::Bill>, String> {
        Ok(self.bills.lock().unwrap().get(&bill_no).cloned())
    }
    fn last_bill_date(&self, _: i64) -> Result<Option<time::Date>, String> {
        Ok(self
            .bills
            .lock()
            .unwrap()
            .values()
            .map(|b| b.bill_date)
            .max())
    }
    /// No bill runs here: the store's part of their input is empty.
    fn bill_run_input(
        &self,
        _: i64,
        bill_date: time::Date,
    ) -> Result<saldo::ledger::BillRunInput, String> {
        Ok(saldo::ledger::BillRunInput::new(bill_date))
    }
    fn interest_bases(
        &self,
        _: i64,
        _: &[i64],
        _: time::Date,
    ) -> Result<std::collections::HashMap<i64, saldo::ledger::InterestBasis>, String> {
        Ok(std::collections::HashMap::new())
    }
}

struct Harness {
    archive: std::sync::Arc<MemArchive>,
    ledger: Ledger,
    captures_made: usize,
    reversals_made: usize,
    /// Every transaction posted, collected from the batches taken so far.
    posted: Vec<saldo::ledger::Transaction>,
    /// Every event persisted so far, in order.
    events: Vec<saldo::ledger::Event>,
    model: Model,
    start: OffsetDateTime,
    account_nos: Vec<String>,
    customers: Vec<String>,
}

fn outcome<T>(r: Result<T, LedgerError>, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match r {
        Ok(v) => ok(v),
        Err(LedgerError::NotFound(_)) => Outcome::NotFound,
        Err(
            LedgerError::SessionEnded
            | LedgerError::PaymentSettled(_)
            | LedgerError::RechargeSettled(_)
            | LedgerError::RechargeCompleted
            | LedgerError::SplitNotAuthorized(_)
            | LedgerError::ExceedsAuthorized
            | LedgerError::ExceedsReversible { .. }
            | LedgerError::AccountNotOpen(_)
            | LedgerError::DuplicateId(..),
        ) => Outcome::Conflict,
        Err(LedgerError::InsufficientCredit) => Outcome::Insufficient,
        Err(
            LedgerError::AuthenticationState { .. }
            | LedgerError::AuthenticationExpired
            | LedgerError::AuthenticationUsed(_)
            | LedgerError::NoAccount,
        ) => Outcome::Rejected,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

impl Harness {
    fn new(limits: [i64; ACCOUNTS]) -> Self {
        let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let mut ledger = Ledger::new(LedgerInfo {
            id: 1,
            ledger_no: "501".into(),
            name: "props".into(),
            currency: "SEK".into(),
            settings: Settings {
                session_idle_timeout_seconds: 3600,
                recharge_expiry_seconds: RECHARGE_TTL as u64,
                ..Settings::default()
            },
        });
        let mut account_nos = Vec::new();
        let mut customers = Vec::new();
        for (i, limit) in limits.iter().enumerate() {
            ledger
                .create_customer(NewCustomer {
                    customer_no: format!("c{i}"),
                    name: format!("Customer {i}"),
                    email: None,
                    msisdn: None,
                    national_id: None,
                    username: Some(format!("user{i}")),
                    aliases: vec![],
                    cards: vec![],
                    personal_number: None,
                    address: None,
                })
                .unwrap();
            let account = ledger
                .create_account(
                    NewAccount {
                        customer_no: format!("c{i}"),
                        account_no: None,
                        credit_limit: Amount::from_minor(*limit),
                        profile_type: None,
                        alias: None,
                        description: None,
                    },
                    start,
                )
                .unwrap();
            account_nos.push(account.account_no);
            customers.push(format!("USER{i}"));
        }
        let archive = std::sync::Arc::new(MemArchive::default());
        ledger.set_archive(archive.clone());
        Harness {
            archive,
            ledger,
            captures_made: 0,
            reversals_made: 0,
            posted: Vec::new(),
            events: Vec::new(),
            model: Model {
                limit: limits,
                ..Model::default()
            },
            start,
            account_nos,
            customers,
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.start + Duration::seconds(self.model.now)
    }

    fn apply(&mut self, op: &Op) {
        let now = self.now();
        let m = &mut self.model;
        let (real, expected) = match *op {
            Op::Open(a) => {
                let who = Identification {
                    username: Some(self.customers[a].clone()),
                    ..Default::default()
                };
                let real = self.ledger.open_session(&who, now);
                let expected = if let Ok(id) = &real {
                    m.sessions.push(MSession {
                        id: *id,
                        account: a,
                        open: true,
                        block: 0,
                        payments: vec![],
                        last_activity: m.now,
                    });
                    Outcome::Ok
                } else {
                    Outcome::Conflict
                };
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Block(s, amount) => {
                let sid = m.session_id(s);
                let expected = match m.sessions.get(s) {
                    None => Outcome::NotFound,
                    Some(x) if !x.open => Outcome::Conflict,
                    Some(_) if amount > m.available(m.sessions[s].account) => {
                        m.sessions[s].last_activity = m.now;
                        Outcome::Insufficient
                    }
                    Some(_) => {
                        m.sessions[s].block += amount;
                        m.sessions[s].last_activity = m.now;
                        Outcome::Ok
                    }
                };
                (
                    outcome(
                        self.ledger.block(sid, Amount::from_minor(amount), now),
                        |_| Outcome::Ok,
                    ),
                    expected,
                )
            }
            Op::Pay(s, amount) => {
                let sid = m.session_id(s);
                let expected = match m.sessions.get(s) {
                    None => Outcome::NotFound,
                    Some(x) if !x.open => Outcome::Conflict,
                    Some(_) => {
                        m.sessions[s].last_activity = m.now;
                        let idx = m.payments.len();
                        m.payments.push((
                            0,
                            MPayment {
                                session: s,
                                permitted: 0,
                                from_block: 0,
                                status: MStatus::Uncommitted,
                            },
                        ));
                        m.sessions[s].payments.push(idx);
                        Outcome::Amount(m.draw(s, idx, amount))
                    }
                };
                let real = self
                    .ledger
                    .create_payment(sid, Amount::from_minor(amount), now);
                if let Ok(p) = &real {
                    self.model.payments.last_mut().unwrap().0 = p.id;
                }
                (
                    outcome(real, |p| Outcome::Amount(p.permitted.minor())),
                    expected,
                )
            }
            Op::Patch(s, p, amount) => {
                let (sid, pid) = (m.session_id(s), m.payment_id(s, p));
                let expected = match m.open_payment(s, p) {
                    Err(o) => o,
                    Ok(idx) if m.payments[idx].1.status != MStatus::Uncommitted => {
                        Outcome::Conflict
                    }
                    Ok(idx) => {
                        m.undraw(idx);
                        Outcome::Amount(m.draw(s, idx, amount))
                    }
                };
                let real = self
                    .ledger
                    .patch_payment(sid, pid, Amount::from_minor(amount), now);
                (
                    outcome(real, |p| Outcome::Amount(p.permitted.minor())),
                    expected,
                )
            }
            Op::Commit(s, p) => {
                let (sid, pid) = (m.session_id(s), m.payment_id(s, p));
                let expected = match m.open_payment(s, p) {
                    Err(o) => o,
                    Ok(idx) => match m.payments[idx].1.status {
                        MStatus::Committed => Outcome::Ok,
                        MStatus::RolledBack | MStatus::Reversed => Outcome::Conflict,
                        MStatus::Uncommitted => {
                            let payment = &mut m.payments[idx].1;
                            payment.status = MStatus::Committed;
                            payment.from_block = 0;
                            m.posted[m.sessions[s].account] -= payment.permitted;
                            Outcome::Ok
                        }
                    },
                };
                (
                    outcome(self.ledger.commit_payment(sid, pid, now), |_| Outcome::Ok),
                    expected,
                )
            }
            Op::Rollback(s, p) => {
                let (sid, pid) = (m.session_id(s), m.payment_id(s, p));
                let expected = match m.open_payment(s, p) {
                    Err(o) => o,
                    Ok(idx) => {
                        match m.payments[idx].1.status {
                            MStatus::RolledBack | MStatus::Reversed => {}
                            MStatus::Uncommitted => {
                                let permitted = m.payments[idx].1.permitted;
                                m.undraw(idx);
                                m.payments[idx].1.permitted = permitted;
                                m.payments[idx].1.status = MStatus::RolledBack;
                            }
                            MStatus::Committed => {
                                m.posted[m.sessions[s].account] += m.payments[idx].1.permitted;
                                m.payments[idx].1.status = MStatus::Reversed;
                            }
                        }
                        Outcome::Ok
                    }
                };
                (
                    outcome(self.ledger.rollback_payment(sid, pid, now), |_| Outcome::Ok),
                    expected,
                )
            }
            Op::End(s) => {
                let sid = m.session_id(s);
                let expected = if s < m.sessions.len() {
                    m.end(s);
                    Outcome::Ok
                } else {
                    Outcome::NotFound
                };
                (
                    outcome(self.ledger.end_session(sid, now), |_| Outcome::Ok),
                    expected,
                )
            }
            Op::Deposit(a, amount) => {
                m.posted[a] += amount;
                let no = self.account_nos[a].clone();
                let real =
                    self.ledger
                        .receive_payment(&no, Amount::from_minor(amount), None, None, now);
                (outcome(real, |_| Outcome::Ok), Outcome::Ok)
            }
            Op::Adjust(a, amount) => {
                let expected = if amount < 0 && -amount > m.available(a) {
                    Outcome::Insufficient
                } else {
                    m.posted[a] += amount;
                    Outcome::Ok
                };
                let no = self.account_nos[a].clone();
                let real =
                    self.ledger
                        .adjust(&no, Amount::from_minor(amount), "correction".into(), now);
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Idle(seconds) => {
                m.now += seconds;
                let idle: Vec<usize> = (0..m.sessions.len())
                    .filter(|&s| m.sessions[s].open && m.now - m.sessions[s].last_activity >= 3600)
                    .collect();
                for &s in &idle {
                    m.end(s);
                }
                let mut expired = 0;
                for r in m.recharges.iter_mut() {
                    if r.3 == MRecharge::Created && m.now - r.4 >= RECHARGE_TTL {
                        r.3 = MRecharge::Canceled;
                        expired += 1;
                    }
                }
                let now = self.now();
                let ended = self.ledger.end_idle_sessions(now).len();
                let real_expired = self.ledger.expire_recharges(now).len();
                (
                    Outcome::Swept(ended, real_expired),
                    Outcome::Swept(idle.len(), expired),
                )
            }
            Op::RechargeCreate(a, amount) => {
                let real = self.ledger.create_recharge(
                    "external",
                    a as i64 + 1,
                    Amount::from_minor(amount),
                    None,
                    now,
                );
                if let Ok(p) = &real {
                    m.recharges
                        .push((p.id, a, amount, MRecharge::Created, m.now));
                }
                (outcome(real, |_| Outcome::Ok), Outcome::Ok)
            }
            Op::RechargePatch(r, amount) => {
                let id = m.recharges.get(r).map(|x| x.0).unwrap_or(1_000_000);
                let expected = match m.recharges.get_mut(r) {
                    None => Outcome::NotFound,
                    Some(x) if x.3 == MRecharge::Created => {
                        x.2 = amount;
                        Outcome::Ok
                    }
                    Some(_) => Outcome::Conflict,
                };
                let real = self.ledger.patch_recharge(
                    "external",
                    id,
                    Amount::from_minor(amount),
                    None,
                    now,
                );
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::RechargeCommit(r) => {
                let id = m.recharges.get(r).map(|x| x.0).unwrap_or(1_000_000);
                let expected = match m.recharges.get_mut(r) {
                    None => Outcome::NotFound,
                    Some(x) => match x.3 {
                        MRecharge::Created => {
                            x.3 = MRecharge::Completed;
                            m.posted[x.1] += x.2;
                            Outcome::Amount(x.2)
                        }
                        MRecharge::Completed => Outcome::Amount(x.2),
                        MRecharge::Canceled => Outcome::Conflict,
                    },
                };
                let real = self.ledger.commit_recharge("external", id, now);
                (outcome(real, |a| Outcome::Amount(a.minor())), expected)
            }
            Op::RechargeRollback(r) => {
                let id = m.recharges.get(r).map(|x| x.0).unwrap_or(1_000_000);
                let expected = match m.recharges.get_mut(r) {
                    None => Outcome::NotFound,
                    Some(x) => match x.3 {
                        MRecharge::Created | MRecharge::Canceled => {
                            x.3 = MRecharge::Canceled;
                            Outcome::Ok
                        }
                        MRecharge::Completed => Outcome::Conflict,
                    },
                };
                let real = self.ledger.rollback_recharge("external", id, None, now);
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Persist => {
                let dirty = self.ledger.take_dirty();
                self.archive.keep(&self.ledger, &dirty);
                self.ledger.compact(&dirty);
                self.posted.extend(dirty.transactions);
                self.events.extend(dirty.events);
                (Outcome::Ok, Outcome::Ok)
            }
            Op::Authorize(a, amount) => {
                let n = m.splits.len();
                let expected = if m.available(a) >= amount {
                    m.splits.push((a, amount, 'a'));
                    Outcome::Ok
                } else {
                    Outcome::Insufficient
                };
                let request = saldo::ledger::PreAuthRequest {
                    id: format!("p{n}"),
                    customer_no: Some(format!("c{a}")),
                    national_id: None,
                    seller_no: "S".into(),
                    amount: Amount::from_minor(amount),
                    currency: "SEK".into(),
                    sca_status: saldo::ledger::ScaStatus::Exempted,
                    request: serde_json::json!({}),
                };
                let real = self.ledger.pre_authorize(request, now).and_then(|_| {
                    self.ledger
                        .split_authorize(&format!("s{n}"), &format!("p{n}"), now)
                });
                // A refused pre-authorization stores nothing, so its id stays free.
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Capture(s, amount) => {
                let expected = match m.splits.get_mut(s) {
                    None => Outcome::NotFound,
                    Some((_, _, status)) if *status != 'a' => Outcome::Conflict,
                    Some((_, remaining, _)) if amount > *remaining => Outcome::Conflict,
                    Some((a, remaining, status)) => {
                        *remaining -= amount;
                        if *remaining == 0 {
                            *status = 'c';
                        }
                        m.posted[*a] -= amount;
                        Outcome::Ok
                    }
                };
                let id = format!("k{}", self.captures_made);
                let req = saldo::ledger::CaptureRequest {
                    seller_transaction_id: "t".into(),
                    total: Amount::from_minor(amount),
                    months: 0,
                    monthly: Amount::ZERO,
                    product_name: "thing".into(),
                };
                let real = self.ledger.capture(&format!("s{s}"), &id, req, now);
                if real.is_ok() {
                    self.captures_made += 1;
                    self.model.captures.push((s, amount, 0));
                }
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Reverse(c, amount) => {
                let expected = match m.captures.get_mut(c) {
                    None => Outcome::NotFound,
                    Some((_, captured, reversed)) if amount > *captured - *reversed => {
                        Outcome::Conflict
                    }
                    Some((s, _, reversed)) => {
                        *reversed += amount;
                        m.posted[m.splits[*s].0] += amount;
                        Outcome::Ok
                    }
                };
                let split = m.captures.get(c).map(|x| x.0).unwrap_or(99);
                let id = format!("r{}", self.reversals_made);
                let real = self.ledger.reverse(
                    &format!("s{split}"),
                    &format!("k{c}"),
                    &id,
                    Amount::from_minor(amount),
                    "t".into(),
                    now,
                );
                if real.is_ok() {
                    self.reversals_made += 1;
                }
                (outcome(real, |_| Outcome::Ok), expected)
            }
            Op::Cancel(s) => {
                let expected = match m.splits.get_mut(s) {
                    None => Outcome::NotFound,
                    Some((_, _, 'c')) => Outcome::Conflict,
                    Some((_, _, status)) => {
                        *status = 'x';
                        Outcome::Ok
                    }
                };
                (
                    outcome(self.ledger.cancel_split(&format!("s{s}"), now), |_| {
                        Outcome::Ok
                    }),
                    expected,
                )
            }
            Op::Retry => unreachable!("expanded by the caller"),
        };
        assert_eq!(real, expected, "outcome of {op:?}");
        self.check();
    }

    fn check(&self) {
        self.ledger.check_invariants().expect("ledger invariants");
        // No bill runs here, so no charge: nothing may be overdrawn at all.
        assert_eq!(self.ledger.overdrawn_accounts(), Vec::<&str>::new());
        for (i, no) in self.account_nos.iter().enumerate() {
            let a = self.ledger.account_by_no(no).unwrap();
            assert_eq!(
                a.balance.minor(),
                self.model.posted[i],
                "balance of account {i}"
            );
            assert_eq!(
                a.reserved.minor(),
                self.model.reserved(i),
                "reserved of account {i}"
            );
            assert_eq!(
                a.available().minor(),
                self.model.available(i),
                "available of account {i}"
            );
            assert!(a.available() >= Amount::ZERO, "account {i} overdrawn");
        }
    }
}

/// Runs ops, with `Retry` repeating the previous op.
fn run(limits: [i64; ACCOUNTS], ops: &[Op]) -> Harness {
    let mut h = Harness::new(limits);
    let mut last: Option<&Op> = None;
    for op in ops {
        let op = match op {
            Op::Retry => match last {
                Some(prev) => prev,
                None => continue,
            },
            other => other,
        };
        h.apply(op);
        last = Some(op);
    }
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_keep_the_invariants_and_match_the_model(
        limits in prop::array::uniform3(0i64..10_000),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        run(limits, &ops);
    }

    #[test]
    fn the_event_feed_replayed_from_the_start_rebuilds_every_account(
        limits in prop::array::uniform3(0i64..10_000),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut h = run(limits, &ops);
        let mut events = std::mem::take(&mut h.events);
        events.extend(h.ledger.take_dirty().events);
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        prop_assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "gap-free from 1");
        for e in &events {
            prop_assert!(saldo::ledger::EVENT_TYPES.contains(&e.kind.as_str()), "{}", e.kind);
        }
        // A consumer that knows only the feed: each account's last state it was told.
        let mut replayed: HashMap<String, (String, String)> = HashMap::new();
        for e in events.iter().filter(|e| e.resource == "account") {
            let data: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            let figures = (data["balance"].to_string(), data["reserved"].to_string());
            replayed.insert(e.resource_id.clone(), figures);
        }
        for no in &h.account_nos {
            let a = h.ledger.account_by_no(no).unwrap();
            let held = (a.balance.fixed(2), a.reserved.fixed(2));
            prop_assert_eq!(replayed.get(no), Some(&held), "account {}", no);
        }
    }

    #[test]
    fn postings_sum_to_the_balance(
        limits in prop::array::uniform3(0i64..10_000),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut h = run(limits, &ops);
        let mut posted = std::mem::take(&mut h.posted);
        posted.extend(h.ledger.take_dirty().transactions);
        let mut sums: HashMap<i64, i64> = HashMap::new();
        for t in &posted {
            *sums.entry(t.account_id).or_default() += t.amount.minor();
        }
        for no in &h.account_nos {
            let a = h.ledger.account_by_no(no).unwrap();
            prop_assert_eq!(sums.get(&a.id).copied().unwrap_or(0), a.balance.minor());
        }
    }
}

#[test]
fn a_payment_draws_on_the_block_first_and_returns_it_on_rollback() {
    let h = run(
        [1000, 0, 0],
        &[
            Op::Open(0),
            Op::Block(0, 600),
            Op::Pay(0, 500),
            Op::Rollback(0, 0),
            Op::Pay(0, 2000),
        ],
    );
    // After rollback the 500 went back to the block; the second payment may use all 1000.
    let p = h.ledger.payment(h.model.payments[1].0).unwrap();
    assert_eq!(p.permitted.minor(), 1000);
    assert_eq!(p.from_block.minor(), 600);
}
