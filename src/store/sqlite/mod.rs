//! SQLite store: WAL mode with `synchronous=FULL`, so a committed batch survives `kill -9` and
//! power loss. One connection writes (SQLite has one writer anyway), one reads.

use std::collections::HashMap;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    Batch, BillQuery, CredentialRow, RechargeQuery, Store, StoreError, StoreResult, TokenRow,
    TransactionQuery, View,
};
use crate::ledger::*;
use crate::money::Amount;
use crate::store::columns::{BILLS, EVENTS, RECHARGES, TRANSACTIONS};
use queries::*;

mod cells;
mod checkpoint;
mod load;
mod persist;
mod queries;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_recharge.sql"),
    include_str!("../../../migrations/sqlite/0003_credit_account.sql"),
    include_str!("../../../migrations/sqlite/0004_bills.sql"),
    include_str!("../../../migrations/sqlite/0005_records.sql"),
    include_str!("../../../migrations/sqlite/0006_pep.sql"),
    include_str!("../../../migrations/sqlite/0007_ledger_version.sql"),
    include_str!("../../../migrations/sqlite/0008_last_batch.sql"),
    include_str!("../../../migrations/sqlite/0009_request_hash.sql"),
    include_str!("../../../migrations/sqlite/0010_records_live.sql"),
    include_str!("../../../migrations/sqlite/0011_recharge_numbers.sql"),
    include_str!("../../../migrations/sqlite/0012_batch_log.sql"),
    include_str!("../../../migrations/sqlite/0013_live_indexes.sql"),
    include_str!("../../../migrations/sqlite/0014_decided_applications.sql"),
    include_str!("../../../migrations/sqlite/0015_open_bills.sql"),
    include_str!("../../../migrations/sqlite/0016_ids_under_parent.sql"),
    include_str!("../../../migrations/sqlite/0017_bill_chains.sql"),
    include_str!("../../../migrations/sqlite/0018_customer_address.sql"),
    include_str!("../../../migrations/sqlite/0019_credential_last_used.sql"),
    include_str!("../../../migrations/sqlite/0020_events.sql"),
    include_str!("../../../migrations/sqlite/0021_webhooks.sql"),
    include_str!("../../../migrations/sqlite/0022_account_low_balance.sql"),
];

pub struct SqliteStore {
    /// The schema versions found at open and left by its migrations.
    migrated: (usize, usize),
    write: Mutex<Connection>,
    read: Mutex<Connection>,
    _checkpoints: checkpoint::Checkpointer,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, msg) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
            && msg.as_deref().is_some_and(|m| m.contains("UNIQUE"))
        {
            return StoreError::Duplicate(msg.clone().unwrap_or_default());
        }
        StoreError::Database(e.to_string())
    }
}

fn connect(path: &str) -> StoreResult<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The page cache trades read syscalls against a walk of the whole cache at every commit
    // (SQLite truncates it to the database's size): measured with `saldo bench authorize`, 8 MiB
    // beat both 2 MiB (misses) and 64 MiB (the walk took 6 % of the writer).
    conn.pragma_update(None, "cache_size", -8_192)?;
    Ok(conn)
}

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("UTC timestamps format")
}

fn parse_ts(s: &str) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn parse_date(s: &str) -> rusqlite::Result<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn json_list(s: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn ledger_info(row: &Row<'_>) -> rusqlite::Result<LedgerInfo> {
    let settings: String = row.get(4)?;
    Ok(LedgerInfo {
        id: row.get(0)?,
        ledger_no: row.get(1)?,
        name: row.get(2)?,
        currency: row.get(3)?,
        settings: serde_json::from_str(&settings).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

impl SqliteStore {
    pub fn open(path: &str) -> StoreResult<Self> {
        let mut write = connect(path)?;
        let migrated = migrate(&mut write)?;
        let read = connect(path)?;
        // The read connection's cache is thrown away whenever the writer commits (SQLite's WAL
        // mode), and throwing away a big one walks all of it: keep it small.
        read.pragma_update(None, "cache_size", -2_048)?;
        write.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_AUTOCHECKPOINT,
        )?;
        let checkpoints = connect(path)?;
        checkpoints.pragma_update(None, "cache_size", -2_048)?;
        Ok(SqliteStore {
            migrated,
            write: Mutex::new(write),
            read: Mutex::new(read),
            _checkpoints: checkpoint::Checkpointer::start(checkpoints)?,
        })
    }

    /// The writer connection's `PRAGMA synchronous` (2 = FULL), so tests can hold us to it.
    pub fn synchronous(&self) -> StoreResult<i64> {
        Ok(self
            .writer()
            .pragma_query_value(None, "synchronous", |r| r.get(0))?)
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.write.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A writer batch: an IMMEDIATE transaction on the write connection, rolled back on drop. A
/// read view is the same over a read transaction on the read connection, never committed.
struct SqliteBatch<'a> {
    conn: std::sync::MutexGuard<'a, Connection>,
    ledger_id: i64,
    version: i64,
    token: i64,
    open: bool,
}

impl View for SqliteBatch<'_> {
    fn version(&self) -> i64 {
        self.version
    }

    fn load(&mut self) -> StoreResult<(LedgerInfo, Snapshot)> {
        let info = self
            .conn
            .query_row(super::LEDGER_INFO, [self.ledger_id], ledger_info)?;
        Ok((info, load::snapshot(&self.conn, self.ledger_id)?))
    }

    fn catch_up(&mut self, since: i64) -> StoreResult<Option<(LedgerInfo, Changes)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT changes FROM ledger_batches WHERE ledger_id = ?1 AND version > ?2
             ORDER BY version",
        )?;
        let logged = stmt
            .query_map([self.ledger_id, since], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        let Some(changes) = super::merged(logged, self.version - since) else {
            return Ok(None);
        };
        let info = self
            .conn
            .query_row(super::LEDGER_INFO, [self.ledger_id], ledger_info)?;
        Ok(Some((info, changes)))
    }

    fn load_changed(&mut self, changes: &Changes) -> StoreResult<Snapshot> {
        load::rows(&self.conn, self.ledger_id, load::Scope::Changed(changes))
    }
}

impl Batch for SqliteBatch<'_> {
    fn token(&self) -> i64 {
        self.token
    }

    fn commit(mut self: Box<Self>, ledger: &Ledger, dirty: &Dirty) -> StoreResult<i64> {
        if !dirty.is_empty() {
            persist::rows(&self.conn, ledger, dirty)?;
            self.version = self.conn.query_row(
                "UPDATE ledgers SET version = version + 1 WHERE id = ?1 RETURNING version",
                [self.ledger_id],
                |r| r.get(0),
            )?;
            let changes = Changes::of(dirty, ledger.counters()).to_json();
            self.conn
                .prepare_cached(
                    "INSERT INTO ledger_batches (ledger_id, version, token, changes)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![self.ledger_id, self.version, self.token, changes])?;
            if super::prunes_batch_log(self.version) {
                self.conn.execute(
                    "DELETE FROM ledger_batches WHERE ledger_id = ?1 AND version <= ?2",
                    [self.ledger_id, self.version - super::BATCH_LOG_KEEP],
                )?;
            }
        }
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(self.version)
    }
}

impl<'a> SqliteBatch<'a> {
    /// The transaction `conn` has begun, at the ledger's version as it sees it.
    fn started(
        conn: std::sync::MutexGuard<'a, Connection>,
        ledger_id: i64,
        token: i64,
    ) -> StoreResult<Self> {
        let mut txn = SqliteBatch {
            conn,
            ledger_id,
            version: 0,
            token,
            open: true,
        };
        txn.version = txn.conn.query_row(
            "SELECT version FROM ledgers WHERE id = ?1",
            [ledger_id],
            |r| r.get(0),
        )?;
        Ok(txn)
    }
}

impl Drop for SqliteBatch<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

/// Applies the migrations the database lacks; returns the versions before and after.
fn migrate(conn: &mut Connection) -> StoreResult<(usize, usize)> {
    let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "database schema version {version} is newer than this saldo ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok((version, MIGRATIONS.len()))
}

impl Store for SqliteStore {
    fn migrated(&self) -> (usize, usize) {
        self.migrated
    }

    fn ping(&self) -> StoreResult<()> {
        self.reader().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(self
            .reader()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        self.writer().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    fn create_ledger(&self, info: &LedgerInfo) -> StoreResult<LedgerInfo> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO ledgers (ledger_no, name, currency, settings, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                info.ledger_no,
                info.name,
                info.currency,
                serde_json::to_string(&info.settings).expect("settings serialize"),
                ts(OffsetDateTime::now_utc()),
            ],
        )?;
        Ok(LedgerInfo {
            id: conn.last_insert_rowid(),
            ..info.clone()
        })
    }

    fn ledgers(&self) -> StoreResult<Vec<LedgerInfo>> {
        let conn = self.reader();
        let mut stmt = conn
            .prepare("SELECT id, ledger_no, name, currency, settings FROM ledgers ORDER BY id")?;
        let rows = stmt.query_map([], ledger_info)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn load(&self, ledger_id: i64) -> StoreResult<Snapshot> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let snapshot = load::snapshot(&tx, ledger_id)?;
        tx.commit()?;
        Ok(snapshot)
    }

    fn begin(&self, ledger_id: i64) -> StoreResult<Box<dyn Batch + '_>> {
        let conn = self.writer();
        // IMMEDIATE takes SQLite's write lock now, so another process sharing the file waits
        // here (busy_timeout) instead of failing at commit.
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Box::new(SqliteBatch::started(
            conn,
            ledger_id,
            super::batch_token(),
        )?))
    }

    fn view(&self, ledger_id: i64) -> StoreResult<Box<dyn View + '_>> {
        let conn = self.reader();
        // A deferred transaction: its snapshot is taken at the first read, the version's.
        conn.prepare_cached("BEGIN")?.execute([])?;
        Ok(Box::new(SqliteBatch::started(conn, ledger_id, 0)?))
    }

    fn create_credential(&self, row: &CredentialRow) -> StoreResult<i64> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO credentials (ledger_id, kind, login, secret_hash, scopes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                row.ledger_id,
                row.kind,
                row.login,
                row.secret_hash,
                serde_json::to_string(&row.scopes).expect("list serializes"),
                ts(OffsetDateTime::now_utc()),
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn revoke_credential(&self, ledger_id: i64, id: i64) -> StoreResult<bool> {
        let n = self.writer().execute(
            "UPDATE credentials SET revoked_at = ?3
             WHERE ledger_id = ?1 AND id = ?2 AND revoked_at IS NULL",
            params![ledger_id, id, ts(OffsetDateTime::now_utc())],
        )?;
        Ok(n == 1)
    }

    fn active_credentials(&self) -> StoreResult<Vec<CredentialRow>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT id, ledger_id, kind, login, secret_hash, scopes, created_at, last_used_at
             FROM credentials WHERE revoked_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CredentialRow {
                id: r.get(0)?,
                ledger_id: r.get(1)?,
                kind: r.get(2)?,
                login: r.get(3)?,
                secret_hash: r.get(4)?,
                scopes: json_list(&r.get::<_, String>(5)?)?,
                created_at: Some(parse_ts(&r.get::<_, String>(6)?)?),
                last_used_at: r
                    .get::<_, Option<String>>(7)?
                    .map(|t| parse_ts(&t))
                    .transpose()?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn credentials_used(&self, used: &[(i64, OffsetDateTime)]) -> StoreResult<()> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            // RFC 3339 in UTC sorts as time does, so the later use wins across processes.
            let mut stmt = tx.prepare_cached(
                "UPDATE credentials SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
            )?;
            for (id, at) in used {
                stmt.execute(params![id, ts(*at)])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn recharge_payments(&self, query: &RechargeQuery) -> StoreResult<(Vec<RechargePayment>, i64)> {
        let conn = self.reader();
        let customer = query.customer_id.unwrap_or(-1);
        let filter = "ledger_id = ?1 AND provider = ?2 AND (?3 = -1 OR customer_id = ?3)";
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM recharge_payments WHERE {filter}"),
            params![query.ledger_id, query.provider, customer],
            |r| r.get(0),
        )?;
        let sql = format!(
            "{} AND provider = ?2 AND (?3 = -1 OR customer_id = ?3)
             ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            RECHARGES.select("?1")
        );
        let page = cells::query(
            &conn,
            &RECHARGES,
            &sql,
            params![
                query.ledger_id,
                query.provider,
                customer,
                query.limit,
                query.offset
            ],
        )?;
        Ok((page, total))
    }

    fn records_page(
        &self,
        ledger_id: i64,
        kind: &str,
        (limit, offset): (i64, i64),
    ) -> StoreResult<(Vec<(String, String)>, i64)> {
        let conn = self.reader();
        let total: i64 = conn.query_row(
            "SELECT COUNT(*) FROM records WHERE ledger_id = ?1 AND kind = ?2",
            params![ledger_id, kind],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(
            "SELECT key, body FROM records WHERE ledger_id = ?1 AND kind = ?2
             ORDER BY key LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(params![ledger_id, kind, limit, offset], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    fn transactions_page(&self, q: &TransactionQuery) -> StoreResult<(Vec<Transaction>, i64)> {
        let conn = self.reader();
        let (from, to) = (q.from.map(|d| d.to_string()), q.to.map(|d| d.to_string()));
        let total: i64 = conn.query_row(
            ACCOUNT_TRANSACTIONS_COUNT,
            params![q.ledger_id, q.account_id, from, to],
            |r| r.get(0),
        )?;
        let page = cells::query(
            &conn,
            &TRANSACTIONS,
            &account_transactions_page(),
            params![q.ledger_id, q.account_id, from, to, q.limit, q.offset],
        )?;
        Ok((page, total))
    }

    fn bill_run_input(&self, ledger_id: i64, bill_date: time::Date) -> StoreResult<BillRunInput> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let date = bill_date.to_string();
        let mut input = BillRunInput::new(bill_date);
        {
            let mut stmt = tx.prepare(
                "SELECT account_id, SUM(amount) FROM transactions
                 WHERE ledger_id = ?1 AND date <= ?2 GROUP BY account_id",
            )?;
            let rows = stmt.query_map(params![ledger_id, date], |r| {
                Ok((r.get::<_, i64>(0)?, Amount::from_minor(r.get(1)?)))
            })?;
            input.balances = rows.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(UNBILLED)?;
            let rows = stmt.query_map(params![ledger_id, date], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (account, id) = row?;
                input.unbilled.entry(account).or_default().push(id);
            }
        }
        tx.commit()?;
        Ok(input)
    }

    fn stored_version(&self, ledger_id: i64) -> StoreResult<i64> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(super::STORED_VERSION)?;
        Ok(stmt.query_row([ledger_id], |r| r.get(0))?)
    }

    fn batch_version(&self, ledger_id: i64, token: i64) -> StoreResult<Option<i64>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(super::BATCH_VERSION)?;
        Ok(stmt
            .query_row([ledger_id, token], |r| r.get(0))
            .optional()?)
    }

    fn archived_record(
        &self,
        ledger_id: i64,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT body FROM records WHERE ledger_id = ?1 AND kind = ?2 AND key = ?3",
        )?;
        Ok(stmt
            .query_row(rusqlite::params![ledger_id, kind, key], |r| r.get(0))
            .optional()?)
    }

    fn archived_session(&self, ledger_id: i64, id: i64) -> StoreResult<Option<i64>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT account_id FROM myq_sessions
             WHERE ledger_id = ?1 AND id = ?2 AND status = 'ended'",
        )?;
        Ok(stmt.query_row([ledger_id, id], |r| r.get(0)).optional()?)
    }

    fn archived_recharge(&self, ledger_id: i64, id: i64) -> StoreResult<Option<SettledRecharge>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT provider, state, amount FROM recharge_payments
             WHERE ledger_id = ?1 AND id = ?2 AND state != 'created'",
        )?;
        let found: Option<(String, String, i64)> = stmt
            .query_row([ledger_id, id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        found
            .map(|(provider, state, amount)| {
                Ok(SettledRecharge {
                    provider,
                    state: RechargeState::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("recharge state {state}")))?,
                    amount: crate::money::Amount::from_minor(amount),
                })
            })
            .transpose()
    }

    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> StoreResult<i64> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT COALESCE(MAX(payment_no), 0) FROM recharge_payments
             WHERE ledger_id = ?1 AND customer_id = ?2",
        )?;
        Ok(stmt.query_row([ledger_id, customer_id], |r| r.get(0))?)
    }

    fn archived_bill(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Option<Bill>> {
        let sql = format!("{} AND bill_no = ?2", BILLS.select("?1"));
        let found = cells::query(&self.reader(), &BILLS, &sql, params![ledger_id, bill_no])?;
        Ok(found.into_iter().next())
    }

    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: time::Date,
    ) -> StoreResult<HashMap<i64, InterestBasis>> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let until = until.to_string();
        let mut bases = HashMap::with_capacity(accounts.len());
        for &account_id in accounts {
            bases.insert(
                account_id,
                interest_basis(&tx, ledger_id, account_id, &until)?,
            );
        }
        tx.commit()?;
        Ok(bases)
    }

    fn last_bill_date(&self, ledger_id: i64) -> StoreResult<Option<time::Date>> {
        let date: Option<String> = self.reader().query_row(
            "SELECT MAX(bill_date) FROM bills WHERE ledger_id = ?1",
            [ledger_id],
            |r| r.get(0),
        )?;
        Ok(date.as_deref().map(parse_date).transpose()?)
    }

    fn bills_page(&self, q: &BillQuery) -> StoreResult<(Vec<Bill>, i64)> {
        let conn = self.reader();
        let filter = "account_id = ?2 AND (?3 IS NULL OR open = ?3)";
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM bills WHERE ledger_id = ?1 AND {filter}"),
            params![q.ledger_id, q.account_id, q.open],
            |r| r.get(0),
        )?;
        let sql = format!(
            "{} AND {filter} ORDER BY bill_no DESC LIMIT ?4 OFFSET ?5",
            BILLS.select("?1")
        );
        let params = params![q.ledger_id, q.account_id, q.open, q.limit, q.offset];
        Ok((cells::query(&conn, &BILLS, &sql, params)?, total))
    }

    fn unbalanced_accounts(&self, ledger_id: i64) -> StoreResult<Vec<String>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(super::UNBALANCED_ACCOUNTS)?;
        let rows = stmt.query_map([ledger_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn billed_transactions(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Vec<Transaction>> {
        let conn = self.reader();
        cells::query(&conn, &TRANSACTIONS, &billed(), params![ledger_id, bill_no])
    }

    fn exec(
        &self,
        sql: &str,
        params: Vec<crate::store::columns::Cell>,
        columns: &'static [(&'static str, crate::store::columns::Type)],
    ) -> StoreResult<Vec<Vec<crate::store::columns::Cell>>> {
        // A plain read need not wait for the writer connection, which ledger batches hold.
        if sql.trim_start().starts_with("SELECT") {
            return cells::exec(&self.reader(), sql, params, columns);
        }
        cells::exec(&self.writer(), sql, params, columns)
    }

    fn events_after(&self, ledger_id: i64, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
        let conn = self.reader();
        let sql = format!("{} AND seq > ?2 ORDER BY seq LIMIT ?3", EVENTS.select("?1"));
        cells::query(&conn, &EVENTS, &sql, params![ledger_id, after, limit])
    }

    fn save_token(&self, token: &TokenRow) -> StoreResult<()> {
        self.writer().execute(
            "INSERT INTO access_tokens (token_sha256, credential_id, ledger_id, scopes, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                token.token_sha256,
                token.credential_id,
                token.ledger_id,
                serde_json::to_string(&token.scopes).expect("list serializes"),
                ts(token.expires_at),
            ],
        )?;
        Ok(())
    }

    fn live_tokens(&self, now: OffsetDateTime) -> StoreResult<Vec<TokenRow>> {
        let conn = self.writer();
        // Expired tokens are worthless: drop them on the way.
        conn.execute(
            "DELETE FROM access_tokens WHERE expires_at <= ?1",
            [ts(now)],
        )?;
        let mut stmt = conn.prepare(
            "SELECT token_sha256, credential_id, ledger_id, scopes, expires_at FROM access_tokens",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TokenRow {
                token_sha256: r.get(0)?,
                credential_id: r.get(1)?,
                ledger_id: r.get(2)?,
                scopes: json_list(&r.get::<_, String>(3)?)?,
                expires_at: parse_ts(&r.get::<_, String>(4)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delete_tokens_of(&self, credential_id: i64) -> StoreResult<()> {
        self.writer().execute(
            "DELETE FROM access_tokens WHERE credential_id = ?1",
            [credential_id],
        )?;
        Ok(())
    }

    fn transactions(&self, ledger_id: i64, account_id: i64) -> StoreResult<Vec<Transaction>> {
        let conn = self.reader();
        cells::query(
            &conn,
            &TRANSACTIONS,
            &account_transactions(),
            params![ledger_id, account_id],
        )
    }
}

/// One account's interest basis, read inside the caller's snapshot; each query searches the
/// account's postings only (see `queries`).
fn interest_basis(
    tx: &rusqlite::Transaction<'_>,
    ledger_id: i64,
    account_id: i64,
    until: &str,
) -> StoreResult<InterestBasis> {
    let since: Option<String> = tx
        .prepare_cached(INTEREST_SINCE)?
        .query_row(params![ledger_id, account_id, until], |r| r.get(0))?;
    // Every date is later than the empty string.
    let floor = since.clone().unwrap_or_default();
    let opening: i64 = tx
        .prepare_cached(INTEREST_OPENING)?
        .query_row(params![ledger_id, account_id, floor], |r| r.get(0))?;
    let mut days = Vec::new();
    let mut stmt = tx.prepare_cached(INTEREST_DAYS)?;
    let mut rows = stmt.query(params![ledger_id, account_id, floor, until])?;
    while let Some(row) = rows.next()? {
        let date: String = row.get(0)?;
        days.push((parse_date(&date)?, Amount::from_minor(row.get(1)?)));
    }
    Ok(InterestBasis {
        since: since.as_deref().map(parse_date).transpose()?,
        opening: Amount::from_minor(opening),
        days,
    })
}
