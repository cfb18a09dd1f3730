//! Persistence. A `Store` loads ledgers into the core and persists each batch of changes in
//! one database transaction. It is synchronous: writers own a thread each, and async callers
//! go through `spawn_blocking`.

mod columns;
pub use columns::{Cell, Type};
mod postgres;
mod sqlite;

use crate::ledger::SettledRecharge;
pub use postgres::{DEFAULT_POOL_SIZE, PostgresStore};
pub use sqlite::SqliteStore;

use std::collections::HashMap;
use std::fmt;

use time::OffsetDateTime;

use crate::ledger::{
    Bill, BillRunInput, Changes, Dirty, Event, InterestBasis, Ledger, LedgerInfo, RechargePayment,
    Snapshot, Transaction,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A stored credential. The hash never leaves the process and is never printed.
#[derive(Clone)]
pub struct CredentialRow {
    pub id: i64,
    pub ledger_id: i64,
    pub kind: String,
    pub login: String,
    pub secret_hash: String,
    pub scopes: Vec<String>,
    /// Set by the store when it is created.
    pub created_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

impl fmt::Debug for CredentialRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialRow")
            .field("id", &self.id)
            .field("ledger_id", &self.ledger_id)
            .field("kind", &self.kind)
            .field("login", &self.login)
            .field("secret_hash", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// An OAuth access token as stored: only its SHA-256, never the token itself.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub token_sha256: String,
    pub credential_id: i64,
    pub ledger_id: i64,
    pub scopes: Vec<String>,
    pub expires_at: OffsetDateTime,
}

/// A page of an account's transactions, newest first, optionally within value dates.
#[derive(Debug, Clone)]
pub struct TransactionQuery {
    pub ledger_id: i64,
    pub account_id: i64,
    pub from: Option<time::Date>,
    pub to: Option<time::Date>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of an account's bills, newest first; only open or only closed ones if `open` says.
#[derive(Debug, Clone)]
pub struct BillQuery {
    pub ledger_id: i64,
    pub account_id: i64,
    pub open: Option<bool>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of one provider's recharge payments, newest first.
#[derive(Debug, Clone)]
pub struct RechargeQuery {
    pub ledger_id: i64,
    pub provider: String,
    pub customer_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// The rows a batch changed, as memory holds them: a dirty key is held until its batch is
/// stored, so a missing one is a bug in the core, not a state to store.
fn held<'a, K: fmt::Debug + 'a, T: 'a>(
    keys: &'a std::collections::BTreeSet<K>,
    get: impl Fn(&K) -> Option<&'a T> + 'a,
) -> impl Iterator<Item = &'a T> + 'a {
    keys.iter()
        .map(move |k| get(k).unwrap_or_else(|| panic!("dirty key {k:?} is not held")))
}

/// The JSON records a batch changed, as rows.
fn record_rows(ledger: &Ledger, dirty: &Dirty) -> Vec<columns::RecordRow> {
    dirty
        .records
        .iter()
        .map(|(kind, key)| columns::RecordRow {
            kind: kind.to_string(),
            key: key.clone(),
            body: ledger
                .record_json(kind, key)
                .unwrap_or_else(|| panic!("dirty record {kind} {key} is not held")),
            live: ledger.record_is_live(kind, key),
        })
        .collect()
}

/// Accounts whose balance is not the sum of their postings; the same text on both stores
/// (SQLite binds `$1` by position too).
const UNBALANCED_ACCOUNTS: &str = "SELECT a.account_no FROM accounts a
     WHERE a.ledger_id = $1 AND a.balance != (
         SELECT COALESCE(SUM(t.amount), 0) FROM transactions t
         WHERE t.ledger_id = a.ledger_id AND t.account_id = a.id)
     ORDER BY a.account_no LIMIT 100";

/// A ledger's info row, for `ledger_info` of either store (SQLite binds `$1` by position too).
const LEDGER_INFO: &str =
    "SELECT id, ledger_no, name, currency, settings FROM ledgers WHERE id = $1";

/// A ledger's stored version.
const STORED_VERSION: &str = "SELECT version FROM ledgers WHERE id = $1";

/// The version a batch made, from the batch log.
const BATCH_VERSION: &str =
    "SELECT version FROM ledger_batches WHERE ledger_id = $1 AND token = $2";

/// How many of a ledger's latest batches the batch log keeps: far more than all processes
/// commit while a writer asks whether its commit landed (`SETTLE_COMMIT`).
pub const BATCH_LOG_KEEP: i64 = 65_536;

/// The log is pruned when a version is a multiple of this, not at every commit.
pub(crate) const BATCH_LOG_PRUNE_EVERY: i64 = 1024;

/// A process at most this many batches behind catches up key by key; further behind, it
/// reloads the whole ledger.
pub const CATCH_UP_BATCHES: i64 = 4096;

/// A catch-up of more keys than this reloads the whole ledger instead.
pub const CATCH_UP_KEYS: usize = 50_000;

/// The logged changes of the `expected` batches since a version, merged; `None` if some are
/// missing (pruned), unreadable (written by a newer saldo), or too many to be worth it.
fn merged(logged: Vec<String>, expected: i64) -> Option<Changes> {
    if logged.len() as i64 != expected {
        return None;
    }
    let mut all = Changes::default();
    for json in logged {
        all.merge(Changes::from_json(&json)?);
        if all.len() > CATCH_UP_KEYS {
            return None;
        }
    }
    Some(all)
}

/// Whether the commit that made `version` also prunes the batch log.
fn prunes_batch_log(version: i64) -> bool {
    version % BATCH_LOG_PRUNE_EVERY == 0
}

/// A fresh token for a batch, written with its changes so a lost commit answer can be
/// settled (`Store::batch_version`).
fn batch_token() -> i64 {
    // Never 0, which marks a read view.
    rand::random::<i64>() | 1
}

pub trait Store: Send + Sync + 'static {
    /// Cheap round trip, for readiness.
    fn ping(&self) -> StoreResult<()>;
    fn meta_get(&self, key: &str) -> StoreResult<Option<String>>;
    fn meta_set(&self, key: &str, value: &str) -> StoreResult<()>;
    /// Inserts a ledger; `info.id` is ignored and the stored one returned.
    fn create_ledger(&self, info: &LedgerInfo) -> StoreResult<LedgerInfo>;
    fn ledgers(&self) -> StoreResult<Vec<LedgerInfo>>;
    /// Everything the writer needs in memory.
    fn load(&self, ledger_id: i64) -> StoreResult<Snapshot>;
    /// The ledger's version as committed now, read without taking any lock: whether memory
    /// is current.
    fn stored_version(&self, ledger_id: i64) -> StoreResult<i64>;
    /// The version the batch with `token` made, if it committed (and is among the last
    /// `BATCH_LOG_KEEP`): after a commit whose answer was lost, whether that batch landed,
    /// whichever process committed since.
    fn batch_version(&self, ledger_id: i64, token: i64) -> StoreResult<Option<i64>>;
    /// The stored JSON of a record, read without any lock (`ledger::Archive`).
    fn archived_record(&self, ledger_id: i64, kind: &str, key: &str)
    -> StoreResult<Option<String>>;
    /// The account of an ended MyQ session.
    fn archived_session(&self, ledger_id: i64, id: i64) -> StoreResult<Option<i64>>;
    /// A completed or canceled recharge payment.
    fn archived_recharge(&self, ledger_id: i64, id: i64) -> StoreResult<Option<SettledRecharge>>;
    /// The highest `payment_no` of the customer's stored recharges, 0 if none.
    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> StoreResult<i64>;
    /// The full audit's expensive half, for `saldo verify`: numbers of the accounts whose
    /// balance differs from the sum of their postings (at most 100), read in one snapshot.
    fn unbalanced_accounts(&self, ledger_id: i64) -> StoreResult<Vec<String>>;
    /// Starts one writer batch: takes the ledger's write lock, which is held (across
    /// processes) until the batch commits or is dropped, and reads the stored version.
    fn begin(&self, ledger_id: i64) -> StoreResult<Box<dyn Batch + '_>>;
    /// A read-only view of the ledger as committed now, without its lock: a GET in one
    /// process brings memory up to what other processes committed without waiting for them.
    fn view(&self, ledger_id: i64) -> StoreResult<Box<dyn View + '_>>;
    /// Writes one batch of changes atomically and durably, outside any writer's lock; for
    /// tools and tests that own the ledger.
    fn persist(&self, ledger: &Ledger, dirty: &Dirty) -> StoreResult<()> {
        self.begin(ledger.info.id)?
            .commit(ledger, dirty)
            .map(|_| ())
    }
    /// The schema versions found when the store opened and left by its migrations.
    fn migrated(&self) -> (usize, usize);
    fn create_credential(&self, row: &CredentialRow) -> StoreResult<i64>;
    fn revoke_credential(&self, ledger_id: i64, id: i64) -> StoreResult<bool>;
    fn active_credentials(&self) -> StoreResult<Vec<CredentialRow>>;
    /// Records when credentials were last used; an earlier time never replaces a later one.
    fn credentials_used(&self, used: &[(i64, OffsetDateTime)]) -> StoreResult<()>;
    fn transactions(&self, ledger_id: i64, account_id: i64) -> StoreResult<Vec<Transaction>>;
    /// A page of recharge payments and how many match in all.
    fn recharge_payments(&self, query: &RechargeQuery) -> StoreResult<(Vec<RechargePayment>, i64)>;
    /// A page of the ledger's records of `kind` as (key, body), by key, and how many there
    /// are in all.
    fn records_page(
        &self,
        ledger_id: i64,
        kind: &str,
        page: (i64, i64),
    ) -> StoreResult<(Vec<(String, String)>, i64)>;
    /// A stored bill or reminder.
    fn archived_bill(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Option<Bill>>;
    /// The latest bill date of the ledger's stored bills.
    fn last_bill_date(&self, ledger_id: i64) -> StoreResult<Option<time::Date>>;
    /// A page of an account's bills, newest first, and how many match in all.
    fn bills_page(&self, query: &BillQuery) -> StoreResult<(Vec<Bill>, i64)>;
    /// A page of transactions and how many match in all.
    fn transactions_page(&self, query: &TransactionQuery) -> StoreResult<(Vec<Transaction>, i64)>;
    /// Balances at the bill date and the unbilled transactions up to it, in one snapshot.
    fn bill_run_input(&self, ledger_id: i64, bill_date: time::Date) -> StoreResult<BillRunInput>;
    /// Each account's postings since its last interest posting, by day, up to `until`, in
    /// one snapshot; accounts without postings may be left out.
    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: time::Date,
    ) -> StoreResult<HashMap<i64, InterestBasis>>;
    /// The transactions a bill covers.
    fn billed_transactions(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Vec<Transaction>>;
    /// Runs one statement on saldo's own side tables (webhooks), written once for both stores
    /// with `$1…` placeholders; returns the rows it yields, read as `columns`.
    fn exec(
        &self,
        sql: &str,
        params: Vec<columns::Cell>,
        columns: &'static [(&'static str, columns::Type)],
    ) -> StoreResult<Vec<Vec<columns::Cell>>>;
    /// At most `limit` committed events with a sequence number above `after`, in order.
    fn events_after(&self, ledger_id: i64, after: i64, limit: i64) -> StoreResult<Vec<Event>>;
    fn save_token(&self, token: &TokenRow) -> StoreResult<()>;
    /// Tokens not expired at `now` (expired ones are deleted).
    fn live_tokens(&self, now: OffsetDateTime) -> StoreResult<Vec<TokenRow>>;
    fn delete_tokens_of(&self, credential_id: i64) -> StoreResult<()>;
}

/// The ledger's archive: point reads of what left a writer's memory, from its store.
pub struct StoreArchive(pub std::sync::Arc<dyn Store>);

impl crate::ledger::Archive for StoreArchive {
    fn record(&self, ledger_id: i64, kind: &str, key: &str) -> Result<Option<String>, String> {
        self.0
            .archived_record(ledger_id, kind, key)
            .map_err(|e| e.to_string())
    }

    fn ended_session(&self, ledger_id: i64, id: i64) -> Result<Option<i64>, String> {
        self.0
            .archived_session(ledger_id, id)
            .map_err(|e| e.to_string())
    }

    fn settled_recharge(&self, ledger_id: i64, id: i64) -> Result<Option<SettledRecharge>, String> {
        self.0
            .archived_recharge(ledger_id, id)
            .map_err(|e| e.to_string())
    }

    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> Result<i64, String> {
        self.0
            .last_recharge_no(ledger_id, customer_id)
            .map_err(|e| e.to_string())
    }

    fn bill(&self, ledger_id: i64, bill_no: i64) -> Result<Option<Bill>, String> {
        self.0
            .archived_bill(ledger_id, bill_no)
            .map_err(|e| e.to_string())
    }

    fn last_bill_date(&self, ledger_id: i64) -> Result<Option<time::Date>, String> {
        self.0.last_bill_date(ledger_id).map_err(|e| e.to_string())
    }

    fn bill_run_input(
        &self,
        ledger_id: i64,
        bill_date: time::Date,
    ) -> Result<BillRunInput, String> {
        self.0
            .bill_run_input(ledger_id, bill_date)
            .map_err(|e| e.to_string())
    }

    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: time::Date,
    ) -> Result<HashMap<i64, InterestBasis>, String> {
        self.0
            .interest_bases(ledger_id, accounts, until)
            .map_err(|e| e.to_string())
    }
}

/// A consistent view of one ledger as committed at one version: every read through it sees
/// that version and nothing later. A batch is one (under the ledger's lock); `Store::view`
/// opens one without the lock, for reads.
pub trait View {
    /// The ledger's version this view sees. Every committed batch that changed something
    /// advances it, whichever process wrote it.
    fn version(&self) -> i64;
    /// The ledger as stored (its settings and state).
    fn load(&mut self) -> StoreResult<(LedgerInfo, Snapshot)>;
    /// What the batches committed since version `since` changed, merged, and the ledger's
    /// info; `None` if the batch log cannot tell (entries pruned or from a newer saldo, or
    /// too many keys): then `load` the whole ledger.
    fn catch_up(&mut self, since: i64) -> StoreResult<Option<(LedgerInfo, Changes)>>;
    /// The live rows among `changes`' keys (see `Ledger::catch_up`).
    fn load_changed(&mut self, changes: &Changes) -> StoreResult<Snapshot>;
}

/// One writer batch in a store transaction, under the ledger's lock. Dropping it without
/// `commit` rolls everything back and releases the lock.
pub trait Batch: View {
    /// This batch's token, written with its changes (see `Store::batch_version`).
    fn token(&self) -> i64;
    /// Writes the changes, advances the version if there were any, and commits; returns the
    /// version now stored.
    fn commit(self: Box<Self>, ledger: &Ledger, dirty: &Dirty) -> StoreResult<i64>;
}

/// Opens the store a database URL names, running its migrations.
pub fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    open_with(url, DEFAULT_POOL_SIZE)
}

/// Like `open`, with the most connections a PostgreSQL store may keep (SQLite ignores it).
pub fn open_with(url: &str, pool_size: usize) -> StoreResult<std::sync::Arc<dyn Store>> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        return Ok(std::sync::Arc::new(SqliteStore::open(path)?));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(PostgresStore::open(url, pool_size)?));
    }
    Err(StoreError::Database(format!(
        "unsupported database URL scheme (expected sqlite://PATH or postgres://…): {}",
        url.split("://").next().unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    use super::{CATCH_UP_KEYS, Changes, merged};

    fn logged(ids: &[i64]) -> String {
        let changes = Changes {
            customers: ids.iter().copied().collect(),
            ..Changes::default()
        };
        changes.to_json()
    }

    #[test]
    fn the_log_is_merged_only_when_it_tells_everything() {
        let both = merged(vec![logged(&[1, 2]), logged(&[2, 3])], 2).expect("two batches");
        assert_eq!(both.customers.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
        assert!(
            merged(vec![logged(&[1])], 2).is_none(),
            "a batch was pruned"
        );
        let newer = r#"{"v":2,"changes":{}}"#.to_string();
        assert!(merged(vec![newer], 1).is_none(), "a newer saldo's format");
        let many: Vec<i64> = (0..=CATCH_UP_KEYS as i64).collect();
        assert!(merged(vec![logged(&many)], 1).is_none(), "too many keys");
    }
}
