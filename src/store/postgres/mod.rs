//! PostgreSQL store. Several saldo processes may share one database: each writer batch holds
//! the ledger's row lock (`SELECT … FOR NO KEY UPDATE` on `ledgers`) from before its jobs are
//! applied until its changes commit, and `ledgers.version` tells a writer whether another
//! process wrote since it last looked.
//!
//! The `Store` trait is synchronous (writers own a thread each). Queries run as tasks on a
//! small runtime of the store's own, which also drives the connections, and the caller waits
//! for the task. That works the same from a writer thread, a blocking task or an async
//! handler, where a nested `block_on` would panic.

use std::collections::HashMap;
use std::future::Future;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use time::OffsetDateTime;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::{
    Batch, BillQuery, CredentialRow, RechargeQuery, Store, StoreError, StoreResult, TokenRow,
    TransactionQuery, View,
};
use crate::ledger::*;
use crate::money::Amount;
use crate::store::columns::{BILLS, EVENTS, RECHARGES, Stored, TRANSACTIONS};

mod cells;
mod load;
mod persist;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_fillfactor.sql"),
    include_str!("../../../migrations/postgres/0003_last_batch.sql"),
    include_str!("../../../migrations/postgres/0004_request_hash.sql"),
    include_str!("../../../migrations/postgres/0005_records_live.sql"),
    include_str!("../../../migrations/postgres/0006_recharge_numbers.sql"),
    include_str!("../../../migrations/postgres/0007_batch_log.sql"),
    include_str!("../../../migrations/postgres/0008_decided_applications.sql"),
    include_str!("../../../migrations/postgres/0009_open_bills.sql"),
    include_str!("../../../migrations/postgres/0010_ids_under_parent.sql"),
    include_str!("../../../migrations/postgres/0011_bill_chains.sql"),
    include_str!("../../../migrations/postgres/0012_customer_address.sql"),
    include_str!("../../../migrations/postgres/0013_credential_last_used.sql"),
    include_str!("../../../migrations/postgres/0014_events.sql"),
    include_str!("../../../migrations/postgres/0015_webhooks.sql"),
    include_str!("../../../migrations/postgres/0016_account_low_balance.sql"),
];

/// Connections a process keeps at most: one per writer mid-batch, plus readers.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// Server-side limits on every connection. A batch holds a ledger's lock for milliseconds, so
/// a lock wait longer than 10 s is a stuck peer: the batch fails instead of hanging. A
/// transaction left idle 5 s is one whose client is gone or cut off (its side of the
/// connection may look open for hours): the server ends it, and so releases the ledger's lock
/// for the other processes. Options in the URL come after these and win.
const SERVER_LIMITS: &str = "-c lock_timeout=10s -c idle_in_transaction_session_timeout=5s";

/// No database call waits longer than this for its answer (a silent connection, a server that
/// stopped answering): it fails, and its connection is closed rather than reused. Together
/// with the idle limit above, writes resume within about 10 s of a connection going silent.
const CALL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(8);

/// Migrations may build indexes over large tables: they get longer.
const MIGRATION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Key of the session-level advisory lock that serializes migrations across processes.
const MIGRATION_LOCK: i64 = 0x5341_4C44_4F00_0001;

pub struct PostgresStore {
    /// The schema versions found at open and left by its migrations.
    migrated: (usize, usize),
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
}

/// The URL's connection settings with saldo's limits added (the URL's own options win).
fn connection_config(url: &str) -> StoreResult<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Database(format!("invalid PostgreSQL URL: {e}")))?;
    let options = match config.get_options() {
        Some(given) => format!("{SERVER_LIMITS} {given}"),
        None => SERVER_LIMITS.to_string(),
    };
    config.options(&options);
    // A peer that vanished (cable cut, host gone) is noticed within about 15 s rather than
    // the kernel's two hours: keepalive probes on an idle connection, and a limit on how
    // long sent data may stay unacknowledged.
    config
        .keepalives(true)
        .keepalives_idle(std::time::Duration::from_secs(5))
        .keepalives_interval(std::time::Duration::from_secs(2))
        .keepalives_retries(3)
        .tcp_user_timeout(std::time::Duration::from_secs(15));
    if config.get_application_name().is_none() {
        config.application_name("saldo");
    }
    Ok(config)
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) if db.code() == &SqlState::UNIQUE_VIOLATION => {
                StoreError::Duplicate(db.message().to_string())
            }
            Some(db) => StoreError::Database(format!("{}: {}", db.code().code(), db.message())),
            None => StoreError::Database(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::Database(format!("connection pool: {other}")),
        }
    }
}

impl PostgresStore {
    /// Connects (lazily, through the pool) and runs the migrations.
    pub fn open(url: &str, pool_size: usize) -> StoreResult<Self> {
        let config = connection_config(url)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("saldo-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Database(format!("starting the database runtime: {e}")))?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(2))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .create_timeout(Some(std::time::Duration::from_secs(10)))
            .wait_timeout(Some(std::time::Duration::from_secs(30)))
            .build()
            .map_err(|e| StoreError::Database(format!("connection pool: {e}")))?;
        let mut store = PostgresStore {
            migrated: (0, 0),
            pool,
            runtime: Some(runtime),
        };
        store.migrated =
            store.run_within(
                MIGRATION_DEADLINE,
                |pool| async move { migrate(&pool).await },
            )?;
        Ok(store)
    }

    /// Runs `work` on the store's runtime and waits for it, at most `CALL_DEADLINE`.
    fn run<T, F, Fut>(&self, work: F) -> StoreResult<T>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.run_within(CALL_DEADLINE, work)
    }

    /// Runs `work` on the store's runtime and waits for it, at most `deadline`. Past the
    /// deadline `work` is dropped, and with it any `Conn` it held: closed, not pooled. The
    /// pool's idle connections go too: they likely share the silent path to the server, and
    /// each would cost a deadline of its own to find out.
    fn run_within<T, F, Fut>(&self, deadline: std::time::Duration, work: F) -> StoreResult<T>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = StoreResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .expect("runtime lives as long as the store");
        let pool = self.pool.clone();
        let work = work(pool.clone());
        let task = runtime.spawn(async move {
            tokio::time::timeout(deadline, work).await.map_err(|_| {
                pool.retain(|_, _| false);
                StoreError::Database(format!("no answer from the database within {deadline:?}"))
            })?
        });
        futures::executor::block_on(task)
            .map_err(|e| StoreError::Database(format!("database task failed: {e}")))?
    }

    /// Runs `work` on a pooled connection. After an error the connection is closed, not
    /// pooled: it may be mid-transaction.
    fn read<T, F>(&self, work: F) -> StoreResult<T>
    where
        F: for<'c> FnOnce(&'c Object) -> futures::future::BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
        T: Send + 'static,
    {
        self.run(|pool| async move {
            let conn = Conn::get(&pool).await?;
            let done = work(&conn).await;
            if done.is_ok() {
                conn.release();
            }
            done
        })
    }
}

/// A pooled connection that goes back to the pool only through `release`. Dropped any other
/// way (after an error, or with a call that missed its deadline) it is closed: it may be
/// mid-transaction or mid-query, and closing it makes the server roll back and release the
/// ledger's lock.
struct Conn(Option<Object>);

impl Conn {
    async fn get(pool: &Pool) -> StoreResult<Conn> {
        Ok(Conn(Some(pool.get().await?)))
    }

    fn release(mut self) {
        drop(self.0.take());
    }
}

impl std::ops::Deref for Conn {
    type Target = Object;
    fn deref(&self) -> &Object {
        self.0.as_ref().expect("a connection until released")
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(Object::take(conn));
        }
    }
}

impl PostgresStore {
    /// A ledger's transactions whose `column` equals `value`, oldest first.
    fn transactions_by(
        &self,
        ledger_id: i64,
        column: &'static str,
        value: i64,
    ) -> StoreResult<Vec<Transaction>> {
        self.read(move |c| {
            Box::pin(async move {
                let found = c
                    .query(
                        &format!(
                            "{} AND {column} = $2 ORDER BY id",
                            TRANSACTIONS.select("$1")
                        ),
                        &[&ledger_id, &value],
                    )
                    .await?;
                cells::read(&TRANSACTIONS, found)
            })
        })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside async code; let it wind down alone.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Applies the migrations the database lacks; returns the versions before and after.
async fn migrate(pool: &Pool) -> StoreResult<(usize, usize)> {
    let conn = Conn::get(pool).await?;
    // Processes starting together must not both apply a migration.
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let applied = async {
        conn.batch_execute(
            "CREATE TABLE IF NOT EXISTS saldo_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .await?;
        let version: i32 = conn
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM saldo_migrations",
                &[],
            )
            .await?
            .get(0);
        let version = version as usize;
        if version > MIGRATIONS.len() {
            return Err(StoreError::Corrupt(format!(
                "database schema version {version} is newer than this saldo ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let next = i as i32 + 1;
            conn.batch_execute("BEGIN").await?;
            let step = async {
                conn.batch_execute(sql).await?;
                conn.execute(
                    "INSERT INTO saldo_migrations (version) VALUES ($1)",
                    &[&next],
                )
                .await?;
                conn.batch_execute("COMMIT").await
            };
            if let Err(e) = step.await {
                let _ = conn.batch_execute("ROLLBACK").await;
                return Err(e.into());
            }
            tracing::info!(version = next, "applied schema migration");
        }
        Ok((version, MIGRATIONS.len()))
    }
    .await;
    conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    conn.release();
    applied
}

fn ledger_info(row: &tokio_postgres::Row) -> StoreResult<LedgerInfo> {
    let settings: String = row.try_get(4)?;
    Ok(LedgerInfo {
        id: row.try_get(0)?,
        ledger_no: row.try_get(1)?,
        name: row.try_get(2)?,
        currency: row.try_get(3)?,
        settings: serde_json::from_str(&settings)
            .map_err(|e| StoreError::Corrupt(format!("ledger settings: {e}")))?,
    })
}

/// A page of `table`'s rows matching `filter` over `params`, newest first, and how many match
/// in all.
async fn page<T>(
    c: &deadpool_postgres::ClientWrapper,
    stored: &Stored<T>,
    filter: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    (limit, offset): (i64, i64),
) -> StoreResult<(Vec<T>, i64)> {
    let table = stored.table;
    let total: i64 = c
        .query_one(
            &format!("SELECT COUNT(*) FROM {table} WHERE {filter}"),
            params,
        )
        .await?
        .try_get(0)?;
    let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.to_vec();
    all.push(&limit);
    all.push(&offset);
    let found = c
        .query(
            &format!(
                "SELECT {} FROM {table} WHERE {filter}
                 ORDER BY {} DESC LIMIT ${} OFFSET ${}",
                stored.names(),
                stored.columns[0].0,
                params.len() + 1,
                params.len() + 2
            ),
            &all,
        )
        .await?;
    Ok((cells::read(stored, found)?, total))
}

fn rows<T>(
    rows: Vec<tokio_postgres::Row>,
    f: impl Fn(&tokio_postgres::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    rows.iter().map(f).collect()
}

impl Store for PostgresStore {
    fn migrated(&self) -> (usize, usize) {
        self.migrated
    }

    fn ping(&self) -> StoreResult<()> {
        self.read(|c| {
            Box::pin(async move {
                c.simple_query("SELECT 1")
                    .await
                    .map(drop)
                    .map_err(Into::into)
            })
        })
    }

    fn meta_get(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_string();
        self.read(move |c| {
            Box::pin(async move {
                let row = c
                    .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
                    .await?;
                Ok(row.map(|r| r.get(0)))
            })
        })
    }

    fn meta_set(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.read(move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO meta (key, value) VALUES ($1, $2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    &[&key, &value],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn create_ledger(&self, info: &LedgerInfo) -> StoreResult<LedgerInfo> {
        let info = info.clone();
        self.read(move |c| {
            Box::pin(async move {
                let settings = serde_json::to_string(&info.settings).expect("settings serialize");
                let row = c
                    .query_one(
                        "INSERT INTO ledgers (ledger_no, name, currency, settings)
                         VALUES ($1, $2, $3, $4) RETURNING id",
                        &[&info.ledger_no, &info.name, &info.currency, &settings],
                    )
                    .await?;
                Ok(LedgerInfo {
                    id: row.get(0),
                    ..info
                })
            })
        })
    }

    fn ledgers(&self) -> StoreResult<Vec<LedgerInfo>> {
        self.read(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT id, ledger_no, name, currency, settings FROM ledgers ORDER BY id",
                        &[],
                    )
                    .await?;
                rows(found, ledger_info)
            })
        })
    }

    fn load(&self, ledger_id: i64) -> StoreResult<Snapshot> {
        self.read(move |c| {
            Box::pin(async move {
                // One snapshot for every query, like the writer's view.
                c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?;
                let snapshot = load::snapshot(c, ledger_id).await;
                c.batch_execute("COMMIT").await?;
                snapshot
            })
        })
    }

    fn begin(&self, ledger_id: i64) -> StoreResult<Box<dyn Batch + '_>> {
        self.started(
            ledger_id,
            "BEGIN",
            "SELECT version FROM ledgers WHERE id = $1 FOR NO KEY UPDATE",
            super::batch_token(),
        )
        .map(|batch| Box::new(batch) as Box<dyn Batch + '_>)
    }

    fn view(&self, ledger_id: i64) -> StoreResult<Box<dyn View + '_>> {
        self.started(
            ledger_id,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            "SELECT version FROM ledgers WHERE id = $1",
            0,
        )
        .map(|view| Box::new(view) as Box<dyn View + '_>)
    }

    fn create_credential(&self, row: &CredentialRow) -> StoreResult<i64> {
        let row = row.clone();
        self.read(move |c| {
            Box::pin(async move {
                let id = c
                    .query_one(
                        "INSERT INTO credentials (ledger_id, kind, login, secret_hash, scopes)
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                        &[
                            &row.ledger_id,
                            &row.kind,
                            &row.login,
                            &row.secret_hash,
                            &row.scopes,
                        ],
                    )
                    .await?;
                Ok(id.get(0))
            })
        })
    }

    fn revoke_credential(&self, ledger_id: i64, id: i64) -> StoreResult<bool> {
        self.read(move |c| {
            Box::pin(async move {
                let n = c
                    .execute(
                        "UPDATE credentials SET revoked_at = now()
                         WHERE ledger_id = $1 AND id = $2 AND revoked_at IS NULL",
                        &[&ledger_id, &id],
                    )
                    .await?;
                Ok(n == 1)
            })
        })
    }

    fn active_credentials(&self) -> StoreResult<Vec<CredentialRow>> {
        self.read(|c| {
            Box::pin(async move {
                let found = c
                    .query(
                        "SELECT id, ledger_id, kind, login, secret_hash, scopes, created_at,
                                last_used_at
                         FROM credentials WHERE revoked_at IS NULL",
                        &[],
                    )
                    .await?;
                rows(found, |r| {
                    Ok(CredentialRow {
                        id: r.try_get(0)?,
                        ledger_id: r.try_get(1)?,
                        kind: r.try_get(2)?,
                        login: r.try_get(3)?,
                        secret_hash: r.try_get(4)?,
                        scopes: r.try_get(5)?,
                        created_at: r.try_get(6)?,
                        last_used_at: r.try_get(7)?,
                    })
                })
            })
        })
    }

    fn credentials_used(&self, used: &[(i64, OffsetDateTime)]) -> StoreResult<()> {
        let (ids, times): (Vec<i64>, Vec<OffsetDateTime>) = used.iter().copied().unzip();
        self.read(move |c| {
            Box::pin(async move {
                c.execute(
                    "UPDATE credentials c SET last_used_at = u.at
                     FROM unnest($1::bigint[], $2::timestamptz[]) AS u(id, at)
                     WHERE c.id = u.id AND (c.last_used_at IS NULL OR c.last_used_at < u.at)",
                    &[&ids, &times],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn transactions(&self, ledger_id: i64, account_id: i64) -> StoreResult<Vec<Transaction>> {
        self.transactions_by(ledger_id, "account_id", account_id)
    }

    fn recharge_payments(&self, query: &RechargeQuery) -> StoreResult<(Vec<RechargePayment>, i64)> {
        let q = query.clone();
        self.read(move |c| {
            Box::pin(async move {
                page(
                    c,
                    &RECHARGES,
                    "ledger_id = $1 AND provider = $2
                     AND ($3::bigint IS NULL OR customer_id = $3)",
                    &[&q.ledger_id, &q.provider, &q.customer_id],
                    (q.limit, q.offset),
                )
                .await
            })
        })
    }

    fn records_page(
        &self,
        ledger_id: i64,
        kind: &str,
        page_window: (i64, i64),
    ) -> StoreResult<(Vec<(String, String)>, i64)> {
        let kind = kind.to_string();
        self.read(move |c| {
            Box::pin(async move {
                let (count, page) = tokio::try_join!(
                    c.prepare_cached(
                        "SELECT COUNT(*) FROM records WHERE ledger_id = $1 AND kind = $2"
                    ),
                    c.prepare_cached(
                        "SELECT key, body FROM records WHERE ledger_id = $1 AND kind = $2
                         ORDER BY key LIMIT $3 OFFSET $4",
                    )
                )?;
                let (limit, offset) = page_window;
                let counted: [&(dyn ToSql + Sync); 2] = [&ledger_id, &kind];
                let paged: [&(dyn ToSql + Sync); 4] = [&ledger_id, &kind, &limit, &offset];
                let (total, found) =
                    tokio::try_join!(c.query_one(&count, &counted), c.query(&page, &paged))?;
                let total: i64 = total.try_get(0)?;
                Ok((rows(found, |r| Ok((r.try_get(0)?, r.try_get(1)?)))?, total))
            })
        })
    }

    fn transactions_page(&self, query: &TransactionQuery) -> StoreResult<(Vec<Transaction>, i64)> {
        let q = query.clone();
        self.read(move |c| {
            Box::pin(async move {
                page(
                    c,
                    &TRANSACTIONS,
                    "ledger_id = $1 AND account_id = $2
                     AND ($3::date IS NULL OR date >= $3) AND ($4::date IS NULL OR date <= $4)",
                    &[&q.ledger_id, &q.account_id, &q.from, &q.to],
                    (q.limit, q.offset),
                )
                .await
            })
        })
    }

    fn bill_run_input(&self, ledger_id: i64, bill_date: time::Date) -> StoreResult<BillRunInput> {
        self.read(move |c| {
            Box::pin(async move {
                c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?;
                let mut input = BillRunInput::new(bill_date);
                let balances = c
                    .query(
                        "SELECT account_id, SUM(amount)::bigint FROM transactions
                         WHERE ledger_id = $1 AND date <= $2 GROUP BY account_id",
                        &[&ledger_id, &bill_date],
                    )
                    .await?;
                input.balances = rows(balances, |r| {
                    Ok((r.try_get::<_, i64>(0)?, Amount::from_minor(r.try_get(1)?)))
                })?
                .into_iter()
                .collect();
                let unbilled = c
                    .query(
                        "SELECT account_id, id FROM transactions
                         WHERE ledger_id = $1 AND date <= $2 AND billed IS NULL ORDER BY id",
                        &[&ledger_id, &bill_date],
                    )
                    .await?;
                for r in unbilled {
                    let (account, id): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    input.unbilled.entry(account).or_default().push(id);
                }
                c.batch_execute("COMMIT").await?;
                Ok(input)
            })
        })
    }

    fn billed_transactions(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Vec<Transaction>> {
        self.transactions_by(ledger_id, "billed", bill_no)
    }

    fn exec(
        &self,
        sql: &str,
        params: Vec<crate::store::columns::Cell>,
        columns: &'static [(&'static str, crate::store::columns::Type)],
    ) -> StoreResult<Vec<Vec<crate::store::columns::Cell>>> {
        let sql = sql.to_string();
        let params: Vec<_> = params.into_iter().map(cells::param).collect();
        self.read(move |c| {
            Box::pin(async move {
                let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
                    .collect();
                let statement = c.prepare_cached(&sql).await?;
                let found = c.query(&statement, &refs).await?;
                cells::rows(columns, found)
            })
        })
    }

    fn events_after(&self, ledger_id: i64, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
        self.read(move |c| {
            Box::pin(async move {
                let sql = format!("{} AND seq > $2 ORDER BY seq LIMIT $3", EVENTS.select("$1"));
                let found = c.query(&sql, &[&ledger_id, &after, &limit]).await?;
                cells::read(&EVENTS, found)
            })
        })
    }

    fn stored_version(&self, ledger_id: i64) -> StoreResult<i64> {
        self.read(move |c| {
            Box::pin(async move {
                let statement = c.prepare_cached(super::STORED_VERSION).await?;
                let row = c.query_one(&statement, &[&ledger_id]).await?;
                Ok(row.try_get(0)?)
            })
        })
    }

    fn batch_version(&self, ledger_id: i64, token: i64) -> StoreResult<Option<i64>> {
        self.read(move |c| {
            Box::pin(async move {
                let statement = c.prepare_cached(super::BATCH_VERSION).await?;
                let row = c.query_opt(&statement, &[&ledger_id, &token]).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            })
        })
    }

    fn archived_record(
        &self,
        ledger_id: i64,
        kind: &str,
        key: &str,
    ) -> StoreResult<Option<String>> {
        let (kind, key) = (kind.to_string(), key.to_string());
        self.read(move |c| {
            Box::pin(async move {
                let statement = c
                    .prepare_cached(
                        "SELECT body FROM records WHERE ledger_id = $1 AND kind = $2 AND key = $3",
                    )
                    .await?;
                let row = c.query_opt(&statement, &[&ledger_id, &kind, &key]).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            })
        })
    }

    fn archived_session(&self, ledger_id: i64, id: i64) -> StoreResult<Option<i64>> {
        self.read(move |c| {
            Box::pin(async move {
                let statement = c
                    .prepare_cached(
                        "SELECT account_id FROM myq_sessions
                         WHERE ledger_id = $1 AND id = $2 AND status = 'ended'",
                    )
                    .await?;
                let row = c.query_opt(&statement, &[&ledger_id, &id]).await?;
                Ok(row.map(|r| r.try_get(0)).transpose()?)
            })
        })
    }

    fn last_recharge_no(&self, ledger_id: i64, customer_id: i64) -> StoreResult<i64> {
        self.read(move |c| {
            Box::pin(async move {
                let statement = c
                    .prepare_cached(
                        "SELECT COALESCE(MAX(payment_no), 0) FROM recharge_payments
                         WHERE ledger_id = $1 AND customer_id = $2",
                    )
                    .await?;
                let row = c.query_one(&statement, &[&ledger_id, &customer_id]).await?;
                Ok(row.try_get(0)?)
            })
        })
    }

    fn archived_recharge(&self, ledger_id: i64, id: i64) -> StoreResult<Option<SettledRecharge>> {
        self.read(move |c| {
            Box::pin(async move {
                let statement = c
                    .prepare_cached(
                        "SELECT provider, state, amount FROM recharge_payments
                         WHERE ledger_id = $1 AND id = $2 AND state <> 'created'",
                    )
                    .await?;
                let Some(row) = c.query_opt(&statement, &[&ledger_id, &id]).await? else {
                    return Ok(None);
                };
                let state: String = row.try_get(1)?;
                Ok(Some(SettledRecharge {
                    provider: row.try_get(0)?,
                    state: RechargeState::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("recharge state {state}")))?,
                    amount: crate::money::Amount::from_minor(row.try_get(2)?),
                }))
            })
        })
    }

    fn archived_bill(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Option<Bill>> {
        self.read(move |c| {
            Box::pin(async move {
                let sql = format!("{} AND bill_no = $2", BILLS.select("$1"));
                let found = c.query(&sql, &[&ledger_id, &bill_no]).await?;
                Ok(cells::read(&BILLS, found)?.into_iter().next())
            })
        })
    }

    fn interest_bases(
        &self,
        ledger_id: i64,
        accounts: &[i64],
        until: time::Date,
    ) -> StoreResult<HashMap<i64, InterestBasis>> {
        let accounts = accounts.to_vec();
        self.read(move |c| {
            Box::pin(async move {
                // One statement, so one snapshot and one round trip for all the accounts.
                let found = c
                    .query(INTEREST_BASES, &[&ledger_id, &accounts, &until])
                    .await?;
                let mut bases: HashMap<i64, InterestBasis> = HashMap::new();
                for row in found {
                    let basis = bases.entry(row.try_get(0)?).or_default();
                    basis.since = row.try_get(1)?;
                    let amount = Amount::from_minor(row.try_get(3)?);
                    match row.try_get::<_, Option<time::Date>>(2)? {
                        Some(day) => basis.days.push((day, amount)),
                        None => basis.opening = amount,
                    }
                }
                Ok(bases)
            })
        })
    }

    fn last_bill_date(&self, ledger_id: i64) -> StoreResult<Option<time::Date>> {
        self.read(move |c| {
            Box::pin(async move {
                let row = c
                    .query_one(
                        "SELECT MAX(bill_date) FROM bills WHERE ledger_id = $1",
                        &[&ledger_id],
                    )
                    .await?;
                Ok(row.try_get(0)?)
            })
        })
    }

    fn bills_page(&self, query: &BillQuery) -> StoreResult<(Vec<Bill>, i64)> {
        let q = query.clone();
        self.read(move |c| {
            Box::pin(async move {
                page(
                    c,
                    &BILLS,
                    "ledger_id = $1 AND account_id = $2 AND ($3::bool IS NULL OR open = $3)",
                    &[&q.ledger_id, &q.account_id, &q.open],
                    (q.limit, q.offset),
                )
                .await
            })
        })
    }

    fn unbalanced_accounts(&self, ledger_id: i64) -> StoreResult<Vec<String>> {
        self.read(move |c| {
            Box::pin(async move {
                let found = c.query(super::UNBALANCED_ACCOUNTS, &[&ledger_id]).await?;
                rows(found, |r| Ok(r.try_get(0)?))
            })
        })
    }

    fn save_token(&self, token: &TokenRow) -> StoreResult<()> {
        let t = token.clone();
        self.read(move |c| {
            Box::pin(async move {
                c.execute(
                    "INSERT INTO access_tokens (token_sha256, credential_id, ledger_id, scopes,
                         expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[
                        &t.token_sha256,
                        &t.credential_id,
                        &t.ledger_id,
                        &t.scopes,
                        &t.expires_at,
                    ],
                )
                .await?;
                Ok(())
            })
        })
    }

    fn live_tokens(&self, now: OffsetDateTime) -> StoreResult<Vec<TokenRow>> {
        self.read(move |c| {
            Box::pin(async move {
                c.execute("DELETE FROM access_tokens WHERE expires_at <= $1", &[&now])
                    .await?;
                let found = c
                    .query(
                        "SELECT token_sha256, credential_id, ledger_id, scopes, expires_at
                         FROM access_tokens",
                        &[],
                    )
                    .await?;
                rows(found, |r| {
                    Ok(TokenRow {
                        token_sha256: r.try_get(0)?,
                        credential_id: r.try_get(1)?,
                        ledger_id: r.try_get(2)?,
                        scopes: r.try_get(3)?,
                        expires_at: r.try_get(4)?,
                    })
                })
            })
        })
    }

    fn delete_tokens_of(&self, credential_id: i64) -> StoreResult<()> {
        self.read(move |c| {
            Box::pin(async move {
                c.execute(
                    "DELETE FROM access_tokens WHERE credential_id = $1",
                    &[&credential_id],
                )
                .await?;
                Ok(())
            })
        })
    }
}

/// A writer batch: a transaction holding the ledger row's lock on one pooled connection.
/// Dropped uncommitted, its `Conn` is closed, so the server rolls back and frees the lock.
struct PgBatch<'a> {
    store: &'a PostgresStore,
    /// `None` once committed.
    conn: Option<Conn>,
    ledger_id: i64,
    version: i64,
    token: i64,
    /// A read view: never commits, and goes back to the pool when dropped.
    read_only: bool,
}

impl PostgresStore {
    /// A transaction begun with `begin` and the ledger's version read by `version_sql` (the
    /// lock, for a batch), both in one round trip; token 0 makes it a read view.
    fn started(
        &self,
        ledger_id: i64,
        begin: &'static str,
        version_sql: &'static str,
        token: i64,
    ) -> StoreResult<PgBatch<'_>> {
        let (conn, version) = self.run(move |pool| async move {
            let conn = Conn::get(&pool).await?;
            let read = conn.prepare_cached(version_sql).await?;
            let started = futures::future::try_join(
                conn.batch_execute(begin),
                conn.query_one(&read, &[&ledger_id]),
            )
            .await;
            // On an error `conn` is dropped, so closed: it may be mid-transaction.
            let ((), row) = started?;
            Ok((conn, row.get::<_, i64>(0)))
        })?;
        Ok(PgBatch {
            store: self,
            conn: Some(conn),
            ledger_id,
            version,
            token,
            read_only: token == 0,
        })
    }
}

impl PgBatch<'_> {
    /// Runs `work` on the batch's connection, inside its transaction, and keeps the
    /// connection for the batch's next step.
    fn within<T, F, Fut>(&mut self, work: F) -> StoreResult<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = (Conn, StoreResult<T>)> + Send + 'static,
        T: Send + 'static,
    {
        let conn = self.conn.take().expect("an open batch has its connection");
        let work = work(conn);
        let (conn, result) = self.store.run(move |_| async move { Ok(work.await) })?;
        self.conn = Some(conn);
        result
    }
}

/// A read view ends its transaction and goes back to the pool; a batch dropped without commit
/// closes its connection (it may hold the ledger's lock mid-transaction).
impl Drop for PgBatch<'_> {
    fn drop(&mut self) {
        if !self.read_only {
            return;
        }
        if let Some(conn) = self.conn.take() {
            let _ = self.store.run(move |_| async move {
                conn.batch_execute("ROLLBACK").await?;
                conn.release();
                Ok(())
            });
        }
    }
}

impl View for PgBatch<'_> {
    fn version(&self) -> i64 {
        self.version
    }

    fn load(&mut self) -> StoreResult<(LedgerInfo, Snapshot)> {
        let id = self.ledger_id;
        self.within(move |conn| async move {
            let loaded = async {
                let info = ledger_info(&conn.query_one(super::LEDGER_INFO, &[&id]).await?)?;
                Ok::<_, StoreError>((info, load::snapshot(&conn, id).await?))
            }
            .await;
            (conn, loaded)
        })
    }

    fn catch_up(&mut self, since: i64) -> StoreResult<Option<(LedgerInfo, Changes)>> {
        let id = self.ledger_id;
        let (info, logged) = self.within(move |conn| async move {
            let found = async {
                let (log, info) = tokio::try_join!(
                    conn.prepare_cached(
                        "SELECT changes FROM ledger_batches WHERE ledger_id = $1 AND version > $2
                         ORDER BY version",
                    ),
                    conn.prepare_cached(super::LEDGER_INFO)
                )?;
                let (since_params, id_params): (
                    [&(dyn ToSql + Sync); 2],
                    [&(dyn ToSql + Sync); 1],
                ) = ([&id, &since], [&id]);
                let (logged, info) = tokio::try_join!(
                    conn.query(&log, &since_params),
                    conn.query_one(&info, &id_params)
                )?;
                let logged: Vec<String> = rows(logged, |r| Ok(r.try_get(0)?))?;
                Ok::<_, StoreError>((ledger_info(&info)?, logged))
            }
            .await;
            (conn, found)
        })?;
        Ok(super::merged(logged, self.version - since).map(|changes| (info, changes)))
    }

    fn load_changed(&mut self, changes: &Changes) -> StoreResult<Snapshot> {
        let (id, changes) = (self.ledger_id, changes.clone());
        self.within(move |conn| async move {
            let loaded = load::rows_of(&conn, id, load::Scope::Changed(&changes)).await;
            (conn, loaded)
        })
    }
}

impl Batch for PgBatch<'_> {
    fn token(&self) -> i64 {
        self.token
    }

    fn commit(mut self: Box<Self>, ledger: &Ledger, dirty: &Dirty) -> StoreResult<i64> {
        let conn = self.conn.take().expect("an open batch has its connection");
        let statements = persist::statements(ledger, dirty);
        let changes = Changes::of(dirty, ledger.counters()).to_json();
        let (id, version, token) = (self.ledger_id, self.version, self.token);
        self.store.run(move |_| async move {
            let committed = async {
                let version = if statements.is_empty() {
                    version
                } else {
                    persist::execute(&conn, id, token, &changes, &statements).await?
                };
                conn.batch_execute("COMMIT").await?;
                Ok::<_, StoreError>(version)
            }
            .await;
            if committed.is_ok() {
                conn.release();
            }
            committed
        })
    }
}

/// Each account's last interest date up to $3 (`since`), then a row with no day holding its
/// balance at `since`, then its postings per day after `since` up to $3, in day order.
const INTEREST_BASES: &str = "
    WITH since AS (
        SELECT a.account_id,
               (SELECT MAX(t.date) FROM transactions t
                 WHERE t.ledger_id = $1 AND t.account_id = a.account_id
                   AND t.type = 'interest' AND t.date <= $3) AS since
        FROM unnest($2::bigint[]) AS a(account_id))
    SELECT s.account_id, s.since, NULL::date AS day,
           (SELECT COALESCE(SUM(t.amount), 0)::bigint FROM transactions t
             WHERE t.ledger_id = $1 AND t.account_id = s.account_id
               AND t.date <= COALESCE(s.since, '-infinity'::date)) AS amount
    FROM since s
    UNION ALL
    SELECT s.account_id, s.since, t.date, SUM(t.amount)::bigint
    FROM since s
    JOIN transactions t ON t.ledger_id = $1 AND t.account_id = s.account_id
     AND t.date > COALESCE(s.since, '-infinity'::date) AND t.date <= $3
    GROUP BY s.account_id, s.since, t.date
    ORDER BY 1, 3 NULLS FIRST";

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::connection_config;

    #[test]
    fn connections_carry_saldos_limits_and_the_urls_own_options_win() {
        let plain = connection_config("postgres://u@h/db").unwrap();
        assert_eq!(
            plain.get_options(),
            Some("-c lock_timeout=10s -c idle_in_transaction_session_timeout=5s")
        );
        assert!(plain.get_keepalives());
        assert_eq!(plain.get_keepalives_idle(), Duration::from_secs(5));
        assert_eq!(plain.get_tcp_user_timeout(), Some(&Duration::from_secs(15)));
        assert_eq!(plain.get_application_name(), Some("saldo"));
        let own = connection_config("postgres://u@h/db?options=-c%20lock_timeout%3D1s").unwrap();
        assert!(own.get_options().unwrap().ends_with("-c lock_timeout=1s"));
    }
}
