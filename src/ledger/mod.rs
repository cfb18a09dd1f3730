//! The pure ledger core: state of one ledger and every operation on it. No I/O, no async.
//! The state lives in tables (`table.rs`) that record every key a job writes and keep its
//! prior value until the job ends: `Ledger::job` puts everything back when an operation
//! refuses or panics, and the keys written become the store's `Dirty` set.

mod account;
mod admin_answers;
mod archive;
mod authorization;
mod billing;
mod capture;
mod catch_up;
mod customer;
mod error;
mod events;
mod import;
mod interest;
mod invariants;
pub mod luhn;
mod model;
mod myq;
pub mod ocr;
mod onboarding;
mod payment_order;
pub mod personnummer;
mod recharge;
mod records;
mod settings;
mod table;
mod top_up;
mod users;
pub mod zone;

use std::collections::BTreeSet;

use time::OffsetDateTime;

pub use account::{LimitDecision, MAX_CARDS_PER_ACCOUNT, NewCard, RECURRING_SCOPES};
pub use admin_answers::AdminAnswer;
pub use archive::Archive;
pub use authorization::*;
pub use billing::{BillRunInput, InterestBasis};
pub use catch_up::Changes;
pub use error::{Entity, Expected, Identity, LedgerError, Quantity, RecurringRule};
pub use events::{EVENT_TYPES, Event};
pub use import::{ImportRow, ImportSummary, ImportUndone};
pub use model::*;
pub use myq::Identification;
pub use onboarding::Application;
pub use payment_order::{OrderStatus, PaymentOrder};
pub use records::{Resource, capture_key, reversal_key};
pub use settings::{Language, RECHARGE_PROVIDERS, SettingError, Settings};
pub use top_up::{LineProblem, TopUpLine, TopUpSummary, Who};
pub use users::UserFilter;

use table::Table;
pub use table::Tracked;

use crate::money::Amount;

/// The ledger's own header: identity, currency and settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerInfo {
    pub id: i64,
    pub ledger_no: String,
    pub name: String,
    pub currency: String,
    pub settings: Settings,
}

impl LedgerInfo {
    /// Decimals of the ledger's currency (ISO 4217 exponent).
    pub fn scale(&self) -> u32 {
        currency_scale(&self.currency)
    }
}

pub fn currency_scale(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
        _ => 2,
    }
}

/// What changed since the store last persisted, by key; entities are read back from the state
/// at persist time, so several changes to one row within a batch are written once. Made by
/// the ledger's tables, never by hand.
#[derive(Debug, Default)]
pub struct Dirty {
    pub info: bool,
    pub customers: BTreeSet<i64>,
    pub accounts: BTreeSet<i64>,
    pub holds: BTreeSet<i64>,
    pub sessions: BTreeSet<i64>,
    pub payments: BTreeSet<i64>,
    pub recharges: BTreeSet<i64>,
    pub cards: BTreeSet<String>,
    pub bills: BTreeSet<i64>,
    /// Transactions to mark billed, by bill number.
    pub billed: Vec<(i64, Vec<i64>)>,
    /// JSON records (authorizations and their kin) by kind and key.
    pub records: BTreeSet<(&'static str, String)>,
    pub transactions: Vec<Transaction>,
    /// The batch's events, in sequence order (the outbox).
    pub events: Vec<Event>,
}

impl Dirty {
    pub fn is_empty(&self) -> bool {
        !self.info
            && self.customers.is_empty()
            && self.accounts.is_empty()
            && self.holds.is_empty()
            && self.sessions.is_empty()
            && self.payments.is_empty()
            && self.recharges.is_empty()
            && self.cards.is_empty()
            && self.bills.is_empty()
            && self.billed.is_empty()
            && self.records.is_empty()
            && self.transactions.is_empty()
            && self.events.is_empty()
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Counters {
    pub customer: i64,
    pub account: i64,
    pub hold: i64,
    pub transaction: i64,
    pub session: i64,
    pub payment: i64,
    pub recharge: i64,
    /// Bill numbers and card creation order, taken from the loaded rows on restore.
    pub bill: i64,
    pub card: i64,
    /// The last event's sequence number.
    pub event: i64,
}

/// Everything a store loads to rebuild a ledger.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub customers: Vec<Customer>,
    pub accounts: Vec<Account>,
    /// Active holds.
    pub holds: Vec<Hold>,
    /// Open sessions, with their payments' ids.
    pub sessions: Vec<Session>,
    /// Recharge payments still `created`.
    pub recharges: Vec<RechargePayment>,
    pub cards: Vec<Card>,
    pub bills: Vec<Bill>,
    /// JSON records as (kind, key, body).
    pub records: Vec<(String, String, String)>,
    pub payments: Vec<SessionPayment>,
    /// The highest id in use of each kind.
    pub max_ids: Counters,
    /// The stored version this snapshot reflects; see `store::Batch::version`.
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub customer_no: String,
    pub name: String,
    pub email: Option<String>,
    pub msisdn: Option<String>,
    pub national_id: Option<NationalId>,
    pub username: Option<String>,
    pub aliases: Vec<String>,
    pub cards: Vec<String>,
    pub personal_number: Option<String>,
    pub address: Option<Address>,
}

/// What the operator changes of a customer; `None` leaves a field as it is, `Some(None)`
/// clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct CustomerChange {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub msisdn: Option<Option<String>>,
    pub address: Option<Option<Address>>,
    pub username: Option<Option<String>>,
    pub aliases: Option<Vec<String>>,
    pub cards: Option<Vec<String>>,
    pub personal_number: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct NewAccount {
    pub customer_no: String,
    pub account_no: Option<String>,
    pub credit_limit: Amount,
    pub profile_type: Option<String>,
    pub alias: Option<String>,
    pub description: Option<String>,
}

/// What a transaction posts; `hold` is the id and creation time of the hold it captures.
struct Posting {
    account_id: i64,
    kind: TxnType,
    amount: Amount,
    description: String,
    reference: String,
    hold: Option<(i64, OffsetDateTime)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ledger {
    pub info: Tracked<LedgerInfo>,
    customers: Table<i64, Customer>,
    customer_by_no: Table<String, i64>,
    /// Lower-cased usernames and aliases share one namespace, so identification is unambiguous.
    by_handle: Table<String, i64>,
    by_card: Table<String, i64>,
    by_personal_number: Table<String, i64>,
    accounts: Table<i64, Account>,
    account_by_no: Table<String, i64>,
    holds: Table<i64, Hold>,
    /// Open sessions, and ended ones until their end is persisted; then the store has them.
    sessions: Table<i64, Session>,
    /// Recharge payments still `created`, and settled ones until persisted.
    recharges: Table<i64, RechargePayment>,
    /// Customers' last recharge `paymentNo`, read from the store on a customer's first recharge
    /// since the ledger was loaded; at most one entry per customer.
    recharge_counts: Table<i64, i64>,
    /// Cards by token.
    cards: Table<String, Card>,
    /// Open bills and reminders by bill number, and those closed in this batch until it is
    /// stored; closed ones are read from the store when named.
    bills: Table<i64, Bill>,
    authentications: Table<String, Authentication>,
    /// Hashes of SCA links used lately, until their authentication's validity ends, so a
    /// second visit says "already used" after the authentication left memory. Not stored.
    used_links: Table<String, OffsetDateTime>,
    splits: Table<String, SplitAuthorization>,
    captures: Table<String, Capture>,
    reversals: Table<String, Reversal>,
    applications: Table<String, Application>,
    /// Autogiro payment orders by bill number: pending ones, and settled ones until stored.
    payment_orders: Table<String, PaymentOrder>,
    admin_answers: Table<String, AdminAnswer>,
    payments: Table<i64, SessionPayment>,
    last_id: Counters,
    /// Postings made since the store last took them.
    transactions: Vec<Transaction>,
    /// Transactions to mark billed, by bill number, since the store last took them.
    billed: Vec<(i64, Vec<i64>)>,
    /// Events since the store last took them.
    events: Vec<Event>,
    /// When the current job runs, for its events.
    job_time: OffsetDateTime,
    /// What the current job found, to put back if it is refused.
    mark: JobMark,
    cold: archive::Cold,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct JobMark {
    last_id: Counters,
    transactions: usize,
    billed: usize,
    events: usize,
}

/// Whether a job's result refuses it: a refused job leaves the ledger as it found it.
pub trait JobOutcome {
    fn refused(&self) -> bool;
}

impl<T, E> JobOutcome for Result<T, E> {
    fn refused(&self) -> bool {
        self.is_err()
    }
}

/// Calls `$m` on every table, so that no table can be left out of a job's end.
macro_rules! each_table {
    ($l:expr, $m:ident) => {{
        let l = $l;
        l.info.$m();
        l.customers.$m();
        l.customer_by_no.$m();
        l.by_handle.$m();
        l.by_card.$m();
        l.by_personal_number.$m();
        l.accounts.$m();
        l.account_by_no.$m();
        l.holds.$m();
        l.sessions.$m();
        l.recharges.$m();
        l.recharge_counts.$m();
        l.cards.$m();
        l.bills.$m();
        l.authentications.$m();
        l.used_links.$m();
        l.splits.$m();
        l.captures.$m();
        l.reversals.$m();
        l.applications.$m();
        l.payment_orders.$m();
        l.admin_answers.$m();
        l.payments.$m();
    }};
}

impl Ledger {
    pub fn new(info: LedgerInfo) -> Self {
        Ledger {
            info: Tracked::new(info),
            customers: Table::default(),
            customer_by_no: Table::default(),
            by_handle: Table::default(),
            by_card: Table::default(),
            by_personal_number: Table::default(),
            accounts: Table::default(),
            account_by_no: Table::default(),
            holds: Table::default(),
            sessions: Table::default(),
            recharges: Table::default(),
            recharge_counts: Table::default(),
            cards: Table::default(),
            bills: Table::default(),
            authentications: Table::default(),
            used_links: Table::default(),
            splits: Table::default(),
            captures: Table::default(),
            reversals: Table::default(),
            applications: Table::default(),
            payment_orders: Table::default(),
            admin_answers: Table::default(),
            payments: Table::default(),
            last_id: Counters::default(),
            transactions: Vec::new(),
            billed: Vec::new(),
            events: Vec::new(),
            job_time: OffsetDateTime::UNIX_EPOCH,
            mark: JobMark::default(),
            cold: archive::Cold::default(),
        }
    }

    /// Runs one job: if it is refused (or panics), the ledger is put back as it was before
    /// it, and the other jobs of the batch are unaffected.
    pub fn job<T: JobOutcome>(&mut self, op: impl FnOnce(&mut Ledger) -> T) -> T {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(self)));
        match out {
            Ok(out) if !out.refused() => {
                self.keep_job();
                out
            }
            Ok(out) => {
                self.undo_job();
                out
            }
            Err(panic) => {
                self.undo_job();
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// `job` at `now`, the time its events carry.
    pub fn job_at<T: JobOutcome>(
        &mut self,
        now: OffsetDateTime,
        op: impl FnOnce(&mut Ledger) -> T,
    ) -> T {
        self.job_time = now;
        self.job(op)
    }

    fn keep_job(&mut self) {
        self.record_events(self.mark.transactions);
        each_table!(&mut *self, keep_job);
        self.mark = JobMark {
            last_id: self.last_id,
            transactions: self.transactions.len(),
            billed: self.billed.len(),
            events: self.events.len(),
        };
    }

    fn undo_job(&mut self) {
        each_table!(&mut *self, undo_job);
        self.last_id = self.mark.last_id;
        self.transactions.truncate(self.mark.transactions);
        self.billed.truncate(self.mark.billed);
        self.events.truncate(self.mark.events);
    }

    /// Puts stored rows into memory, untracked (they owe the store nothing), with the indexes
    /// they need; `Err` names a record that could not be read.
    fn load_rows(&mut self, rows: Snapshot) -> Result<(), String> {
        for customer in rows.customers {
            self.index_customer(&customer);
            self.customers.load(customer.id, customer);
        }
        for account in rows.accounts {
            self.account_by_no
                .load(account.account_no.clone(), account.id);
            self.accounts.load(account.id, account);
        }
        for hold in rows.holds {
            self.holds.load(hold.id, hold);
        }
        for session in rows.sessions {
            self.sessions.load(session.id, session);
        }
        for payment in rows.payments {
            self.payments.load(payment.id, payment);
        }
        for recharge in rows.recharges {
            self.recharges.load(recharge.id, recharge);
        }
        for card in rows.cards {
            self.cards.load(card.token.clone(), card);
        }
        for bill in rows.bills {
            self.bills.load(bill.bill_no, bill);
        }
        for (kind, key, json) in &rows.records {
            self.restore_record(kind, key, json)?;
        }
        Ok(())
    }

    /// Rebuilds a ledger from what a store loaded, checking the invariants on the way in. An
    /// unreadable record or a broken invariant is an error naming the ledger, never a panic:
    /// the writer must survive it.
    pub fn restore(info: LedgerInfo, snapshot: Snapshot) -> Result<Self, String> {
        let mut ledger = Ledger::new(info);
        let max_ids = snapshot.max_ids;
        if let Err(e) = ledger.load_rows(snapshot) {
            return Err(format!(
                "ledger {} has an unreadable record: {e}",
                ledger.info.ledger_no
            ));
        }
        ledger.last_id = Counters {
            card: ledger.cards.values().map(|c| c.seq).max().unwrap_or(0),
            ..max_ids
        };
        if let Err(broken) = ledger.check_invariants() {
            return Err(format!(
                "ledger {} loaded in a corrupt state: {broken}",
                ledger.info.ledger_no
            ));
        }
        ledger.forget_derived_marks();
        ledger.keep_job();
        Ok(ledger)
    }

    /// Indexes and compacted summaries are rebuilt from the rows; nothing of theirs is stored,
    /// so what was written to them owes the store nothing.
    fn forget_derived_marks(&mut self) {
        self.customer_by_no.take_dirty();
        self.by_handle.take_dirty();
        self.by_card.take_dirty();
        self.by_personal_number.take_dirty();
        self.account_by_no.take_dirty();
        self.used_links.take_dirty();
        self.recharge_counts.take_dirty();
    }

    /// Everything changed since the last call, for the store; call between jobs.
    pub fn take_dirty(&mut self) -> Dirty {
        // Changes made outside a job (tests, start-up) still get their events, in this batch.
        self.keep_job();
        let mut records = BTreeSet::new();
        let mut add = |kind: &'static str, keys: BTreeSet<String>| {
            records.extend(keys.into_iter().map(|k| (kind, k)));
        };
        add("authentication", self.authentications.take_dirty());
        add("split", self.splits.take_dirty());
        add("capture", self.captures.take_dirty());
        add("reversal", self.reversals.take_dirty());
        add("application", self.applications.take_dirty());
        add("payment-order", self.payment_orders.take_dirty());
        add("admin-answer", self.admin_answers.take_dirty());
        self.forget_derived_marks();
        let dirty = Dirty {
            info: self.info.take_dirty(),
            customers: self.customers.take_dirty(),
            accounts: self.accounts.take_dirty(),
            holds: self.holds.take_dirty(),
            sessions: self.sessions.take_dirty(),
            payments: self.payments.take_dirty(),
            recharges: self.recharges.take_dirty(),
            cards: self.cards.take_dirty(),
            bills: self.bills.take_dirty(),
            billed: std::mem::take(&mut self.billed),
            records,
            transactions: std::mem::take(&mut self.transactions),
            events: std::mem::take(&mut self.events),
        };
        self.keep_job();
        dirty
    }

    /// Forgets what the persisted batch `dirty` resolved, and what was read back from the
    /// store for it: memory keeps only what later operations can still change. Touches only
    /// the batch's own keys, so its cost does not grow with the ledger's history.
    pub fn compact(&mut self, dirty: &Dirty) {
        for id in &dirty.holds {
            if self
                .holds
                .get(id)
                .is_some_and(|h| h.status != HoldStatus::Active)
            {
                self.holds.forget(id);
            }
        }
        for id in &dirty.sessions {
            if self
                .sessions
                .get(id)
                .is_some_and(|s| s.status == SessionStatus::Ended)
            {
                let session = self.sessions.forget(id).expect("checked above");
                for payment in &session.payments {
                    self.payments.forget(payment);
                }
            }
        }
        for id in &dirty.recharges {
            if self
                .recharges
                .get(id)
                .is_some_and(|r| r.state != RechargeState::Created)
            {
                self.recharges.forget(id);
            }
        }
        for no in &dirty.bills {
            if self.bills.get(no).is_some_and(|b| !b.open) {
                self.bills.forget(no);
            }
        }
        self.cold.absent.clear();
        let faulted = std::mem::take(&mut self.cold.faulted);
        let written = dirty
            .records
            .iter()
            .filter_map(|(kind, key)| Some((Resource::from_stored(kind)?, key.clone())));
        for (kind, key) in faulted.into_iter().chain(written) {
            if self.record_is_live(kind.stored_kind(), &key) {
                continue;
            }
            self.forget_record(kind.stored_kind(), &key);
        }
    }

    pub fn customer(&self, id: i64) -> Option<&Customer> {
        self.customers.get(&id)
    }

    pub fn customer_by_no(&self, customer_no: &str) -> Option<&Customer> {
        self.customer_by_no
            .get(customer_no)
            .and_then(|id| self.customers.get(id))
    }

    pub fn account(&self, id: i64) -> Option<&Account> {
        self.accounts.get(&id)
    }

    pub fn account_by_no(&self, account_no: &str) -> Option<&Account> {
        self.account_by_no
            .get(account_no)
            .and_then(|id| self.accounts.get(id))
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    pub fn hold(&self, id: i64) -> Option<&Hold> {
        self.holds.get(&id)
    }

    pub fn holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds.values()
    }

    pub fn customers(&self) -> impl Iterator<Item = &Customer> {
        self.customers.values()
    }

    pub fn payments(&self) -> impl Iterator<Item = &SessionPayment> {
        self.payments.values()
    }

    pub fn session(&self, id: i64) -> Option<&Session> {
        self.sessions.get(&id)
    }

    pub fn payment(&self, id: i64) -> Option<&SessionPayment> {
        self.payments.get(&id)
    }

    /// Open sessions (and ended ones not yet compacted).
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    fn next_id(counter: &mut i64) -> i64 {
        *counter += 1;
        *counter
    }

    pub fn update_settings(&mut self, patch: &serde_json::Value) -> Result<Settings, SettingError> {
        let next = self.info.settings.patched(patch, self.info.scale())?;
        self.info.get_mut().settings = next.clone();
        Ok(next)
    }

    /// Posts a transaction dated today and moves the balance.
    fn post(&mut self, posting: Posting, now: OffsetDateTime) -> Result<Transaction, LedgerError> {
        let today = zone::date(&self.info.settings.time_zone, now);
        self.post_on(posting, today, now)
    }

    /// Posts a transaction with value date `date` and moves the balance; the only way a
    /// balance ever changes.
    fn post_on(
        &mut self,
        posting: Posting,
        date: time::Date,
        now: OffsetDateTime,
    ) -> Result<Transaction, LedgerError> {
        let Posting {
            account_id,
            kind,
            amount,
            description,
            reference,
            hold,
        } = posting;
        let account = self
            .accounts
            .get_mut(&account_id)
            .expect("posting to a known account");
        let balance = account.balance.checked_add(amount)?;
        account.balance = balance;
        let txn = Transaction {
            id: Self::next_id(&mut self.last_id.transaction),
            account_id,
            kind,
            amount,
            date,
            created_at: now,
            description,
            reserve_date: hold.map(|(_, created)| created.date()),
            billed: None,
            hold_id: hold.map(|(id, _)| id),
            reference,
        };
        self.transactions.push(txn.clone());
        if matches!(kind, TxnType::Payment | TxnType::Recharge) && amount > Amount::ZERO {
            let bill_reference = txn
                .reference
                .strip_prefix("incoming:")
                .filter(|r| !r.is_empty());
            self.apply_payment_to_bills(account_id, amount, bill_reference);
        }
        self.close_if_settled(account_id);
        Ok(txn)
    }

    /// Changes a hold's remaining amount by `delta` and the account's `reserved` with it.
    /// Refuses (before changing anything) what would leave `available` negative.
    fn adjust_hold(&mut self, hold_id: i64, delta: Amount) -> Result<(), LedgerError> {
        let hold = self.holds.get(&hold_id).expect("adjusting a known hold");
        let remaining = hold.remaining.checked_add(delta)?;
        assert!(
            remaining >= Amount::ZERO,
            "hold {hold_id} remaining would go negative"
        );
        let account = self.accounts.get(&hold.account_id).expect("hold's account");
        let reserved = account.reserved.checked_add(delta)?;
        let after = Account {
            reserved,
            ..account.clone()
        };
        if delta > Amount::ZERO && after.available() < Amount::ZERO {
            return Err(LedgerError::InsufficientCredit);
        }
        let account_id = hold.account_id;
        self.holds.get_mut(&hold_id).expect("known hold").remaining = remaining;
        self.accounts
            .get_mut(&account_id)
            .expect("known account")
            .reserved = reserved;
        Ok(())
    }

    fn new_hold(
        &mut self,
        account_id: i64,
        kind: HoldKind,
        description: String,
        now: OffsetDateTime,
    ) -> i64 {
        let id = Self::next_id(&mut self.last_id.hold);
        self.holds.insert(
            id,
            Hold {
                id,
                account_id,
                kind,
                amount: Amount::ZERO,
                remaining: Amount::ZERO,
                status: HoldStatus::Active,
                created_at: now,
                expires_at: None,
                description,
            },
        );
        id
    }

    /// Ends a hold with `status`, returning its remainder to the account's available credit.
    fn resolve_hold(&mut self, hold_id: i64, status: HoldStatus) -> Result<(), LedgerError> {
        let remaining = self.holds[&hold_id].remaining;
        self.adjust_hold(hold_id, remaining.checked_neg()?)?;
        let hold = self.holds.get_mut(&hold_id).expect("known hold");
        debug_assert_eq!(
            hold.status,
            HoldStatus::Active,
            "a hold resolves at most once"
        );
        hold.status = status;
        let account_id = hold.account_id;
        self.close_if_settled(account_id);
        Ok(())
    }
}
