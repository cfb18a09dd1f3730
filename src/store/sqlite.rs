//! SQLite store: WAL mode with `synchronous=FULL`, so a committed batch survives `kill -9` and
//! power loss. One connection writes (SQLite has one writer anyway), one reads.

use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Row, params};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    CredentialRow, RechargeQuery, Store, StoreError, StoreResult, TokenRow, TransactionQuery,
};
use crate::ledger::*;
use crate::money::Amount;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_recharge.sql"),
    include_str!("../../migrations/sqlite/0003_credit_account.sql"),
    include_str!("../../migrations/sqlite/0004_bills.sql"),
    include_str!("../../migrations/sqlite/0005_records.sql"),
    include_str!("../../migrations/sqlite/0006_pep.sql"),
];

pub struct SqliteStore {
    write: Mutex<Connection>,
    read: Mutex<Connection>,
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
    // SQLite's default cache is 2 MB: too small once authorizations and their records grow,
    // and every miss is a read syscall in the writer's critical path. 64 MiB per connection.
    conn.pragma_update(None, "cache_size", -65_536)?;
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

fn corrupt(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
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

fn transaction(row: &Row<'_>) -> rusqlite::Result<Transaction> {
    let kind: String = row.get(2)?;
    Ok(Transaction {
        id: row.get(0)?,
        account_id: row.get(1)?,
        kind: TxnType::parse(&kind).ok_or_else(|| corrupt("transaction type", &kind))?,
        amount: Amount::from_minor(row.get(3)?),
        date: parse_date(&row.get::<_, String>(4)?)?,
        created_at: parse_ts(&row.get::<_, String>(5)?)?,
        description: row.get(6)?,
        reserve_date: row
            .get::<_, Option<String>>(7)?
            .as_deref()
            .map(parse_date)
            .transpose()?,
        billed: row.get(8)?,
        hold_id: row.get(9)?,
        reference: row.get(10)?,
    })
}

const RECHARGE_COLUMNS: &str = "id, customer_id, account_id, provider, amount, description, state,
     created_at, updated_at, payment_no";

fn recharge(r: &Row<'_>) -> rusqlite::Result<RechargePayment> {
    let state: String = r.get(6)?;
    Ok(RechargePayment {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        account_id: r.get(2)?,
        provider: r.get(3)?,
        amount: Amount::from_minor(r.get(4)?),
        description: r.get(5)?,
        state: RechargeState::parse(&state).ok_or_else(|| corrupt("recharge state", &state))?,
        created_at: parse_ts(&r.get::<_, String>(7)?)?,
        updated_at: parse_ts(&r.get::<_, String>(8)?)?,
        payment_no: r.get(9)?,
    })
}

impl SqliteStore {
    pub fn open(path: &str) -> StoreResult<Self> {
        let mut write = connect(path)?;
        migrate(&mut write)?;
        let read = connect(path)?;
        Ok(SqliteStore {
            write: Mutex::new(write),
            read: Mutex::new(read),
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

fn migrate(conn: &mut Connection) -> StoreResult<()> {
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
    }
    Ok(())
}

impl Store for SqliteStore {
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
        // One read transaction, so the snapshot is consistent.
        let tx = conn.transaction()?;
        let mut snap = Snapshot::default();
        {
            let mut stmt = tx.prepare(
                "SELECT id, customer_no, name, email, msisdn, national_id, username, aliases,
                        cards, personal_number, default_account, pep
                 FROM customers WHERE ledger_id = ?1",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let nid: Option<String> = r.get(5)?;
                Ok(Customer {
                    id: r.get(0)?,
                    customer_no: r.get(1)?,
                    name: r.get(2)?,
                    email: r.get(3)?,
                    msisdn: r.get(4)?,
                    national_id: nid.and_then(|s| serde_json::from_str(&s).ok()),
                    username: r.get(6)?,
                    aliases: json_list(&r.get::<_, String>(7)?)?,
                    cards: json_list(&r.get::<_, String>(8)?)?,
                    personal_number: r.get(9)?,
                    default_account: r.get(10)?,
                    pep: r.get(11)?,
                })
            })?;
            snap.customers = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT id, account_no, customer_id, status, credit_limit, balance, reserved,
                        start_date, profile_type, alias, description, charity_donation,
                        recurring_method, recurring_scope, recurring_amount
                 FROM accounts WHERE ledger_id = ?1",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let status: String = r.get(3)?;
                Ok(Account {
                    id: r.get(0)?,
                    account_no: r.get(1)?,
                    customer_id: r.get(2)?,
                    status: AccountStatus::parse(&status)
                        .ok_or_else(|| corrupt("account status", &status))?,
                    credit_limit: Amount::from_minor(r.get(4)?),
                    balance: Amount::from_minor(r.get(5)?),
                    reserved: Amount::from_minor(r.get(6)?),
                    start_date: parse_date(&r.get::<_, String>(7)?)?,
                    profile_type: r.get(8)?,
                    alias: r.get(9)?,
                    description: r.get(10)?,
                    charity_donation: r.get(11)?,
                    recurring: match (
                        r.get::<_, Option<String>>(12)?,
                        r.get::<_, Option<String>>(13)?,
                    ) {
                        (Some(method), Some(scope)) => Some(RecurringSetting {
                            method,
                            scope,
                            fixed_amount: r.get::<_, Option<i64>>(14)?.map(Amount::from_minor),
                        }),
                        _ => None,
                    },
                })
            })?;
            snap.accounts = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT token, seq, account_id, pan_trunc, deleted, main_card, holder_number,
                        holder_name, holder_national_id
                 FROM cards WHERE ledger_id = ?1",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let nid: Option<String> = r.get(8)?;
                Ok(Card {
                    token: r.get(0)?,
                    seq: r.get(1)?,
                    account_id: r.get(2)?,
                    pan_trunc: r.get(3)?,
                    deleted: r.get(4)?,
                    main_card: r.get(5)?,
                    holder_number: r.get(6)?,
                    holder_name: r.get(7)?,
                    holder_national_id: nid.and_then(|s| serde_json::from_str(&s).ok()),
                })
            })?;
            snap.cards = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT bill_no, account_id, bill_type, bill_date, due_date, amount, minimum, paid,
                        open, reference, fee
                 FROM bills WHERE ledger_id = ?1",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let kind: String = r.get(2)?;
                Ok(Bill {
                    bill_no: r.get(0)?,
                    account_id: r.get(1)?,
                    bill_type: BillType::parse(&kind).ok_or_else(|| corrupt("bill type", &kind))?,
                    bill_date: parse_date(&r.get::<_, String>(3)?)?,
                    due_date: parse_date(&r.get::<_, String>(4)?)?,
                    amount: Amount::from_minor(r.get(5)?),
                    minimum: Amount::from_minor(r.get(6)?),
                    paid: Amount::from_minor(r.get(7)?),
                    open: r.get(8)?,
                    reference: r.get(9)?,
                    fee: Amount::from_minor(r.get(10)?),
                })
            })?;
            snap.bills = rows.collect::<Result<_, _>>()?;

            let mut stmt =
                tx.prepare("SELECT kind, key, body FROM records WHERE ledger_id = ?1")?;
            let rows = stmt.query_map([ledger_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            snap.records = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT id, account_id, kind, amount, remaining, status, created_at, expires_at,
                        description
                 FROM holds WHERE ledger_id = ?1 AND status = 'active'",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let kind: String = r.get(2)?;
                let status: String = r.get(5)?;
                Ok(Hold {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    kind: HoldKind::parse(&kind).ok_or_else(|| corrupt("hold kind", &kind))?,
                    amount: Amount::from_minor(r.get(3)?),
                    remaining: Amount::from_minor(r.get(4)?),
                    status: HoldStatus::parse(&status)
                        .ok_or_else(|| corrupt("hold status", &status))?,
                    created_at: parse_ts(&r.get::<_, String>(6)?)?,
                    expires_at: r
                        .get::<_, Option<String>>(7)?
                        .as_deref()
                        .map(parse_ts)
                        .transpose()?,
                    description: r.get(8)?,
                })
            })?;
            snap.holds = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT id, session_id, requested, permitted, from_block, hold_id, p.status
                 FROM myq_payments p
                 WHERE ledger_id = ?1 AND session_id IN
                     (SELECT id FROM myq_sessions WHERE ledger_id = ?1 AND status = 'open')
                 ORDER BY id",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let status: String = r.get(6)?;
                Ok(SessionPayment {
                    id: r.get(0)?,
                    session_id: r.get(1)?,
                    requested: Amount::from_minor(r.get(2)?),
                    permitted: Amount::from_minor(r.get(3)?),
                    from_block: Amount::from_minor(r.get(4)?),
                    hold_id: r.get(5)?,
                    status: PaymentStatus::parse(&status)
                        .ok_or_else(|| corrupt("payment status", &status))?,
                })
            })?;
            snap.payments = rows.collect::<Result<_, _>>()?;

            let mut stmt = tx.prepare(
                "SELECT id, account_id, created_at, last_activity, block_hold
                 FROM myq_sessions WHERE ledger_id = ?1 AND status = 'open'",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                Ok(Session {
                    id: r.get(0)?,
                    account_id: r.get(1)?,
                    status: SessionStatus::Open,
                    created_at: parse_ts(&r.get::<_, String>(2)?)?,
                    last_activity: parse_ts(&r.get::<_, String>(3)?)?,
                    block_hold: r.get(4)?,
                    payments: Vec::new(),
                })
            })?;
            snap.sessions = rows.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT id, account_id FROM myq_sessions WHERE ledger_id = ?1 AND status = 'ended'",
            )?;
            let rows = stmt.query_map([ledger_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            snap.ended_sessions = rows.collect::<Result<_, _>>()?;
            let mut by_session: std::collections::HashMap<i64, Vec<i64>> = Default::default();
            for p in &snap.payments {
                by_session.entry(p.session_id).or_default().push(p.id);
            }
            for s in &mut snap.sessions {
                s.payments = by_session.remove(&s.id).unwrap_or_default();
            }

            let max = |table: &str| -> rusqlite::Result<i64> {
                tx.query_row(
                    &format!("SELECT COALESCE(MAX(id), 0) FROM {table} WHERE ledger_id = ?1"),
                    [ledger_id],
                    |r| r.get(0),
                )
            };
            snap.max_ids = Counters {
                customer: max("customers")?,
                account: max("accounts")?,
                hold: max("holds")?,
                transaction: max("transactions")?,
                session: max("myq_sessions")?,
                payment: max("myq_payments")?,
                recharge: max("recharge_payments")?,
            };

            let mut stmt = tx.prepare(&format!(
                "SELECT {RECHARGE_COLUMNS} FROM recharge_payments
                 WHERE ledger_id = ?1 AND state = 'created'"
            ))?;
            let rows = stmt.query_map([ledger_id], recharge)?;
            snap.recharges = rows.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT id, provider, state, amount FROM recharge_payments
                 WHERE ledger_id = ?1 AND state != 'created'",
            )?;
            let rows = stmt.query_map([ledger_id], |r| {
                let state: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    SettledRecharge {
                        provider: r.get(1)?,
                        state: RechargeState::parse(&state)
                            .ok_or_else(|| corrupt("recharge state", &state))?,
                        amount: Amount::from_minor(r.get(3)?),
                    },
                ))
            })?;
            snap.settled_recharges = rows.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT customer_id, MAX(payment_no) FROM recharge_payments
                 WHERE ledger_id = ?1 GROUP BY customer_id",
            )?;
            let rows = stmt.query_map([ledger_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            snap.recharge_counts = rows.collect::<Result<_, _>>()?;

            // Assert after reading: every balance is the sum of its postings.
            let broken: Option<String> = tx
                .query_row(
                    "SELECT a.account_no FROM accounts a
                     WHERE a.ledger_id = ?1 AND a.balance != (
                         SELECT COALESCE(SUM(t.amount), 0) FROM transactions t
                         WHERE t.ledger_id = a.ledger_id AND t.account_id = a.id)
                     LIMIT 1",
                    [ledger_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(account_no) = broken {
                return Err(StoreError::Corrupt(format!(
                    "account {account_no}: balance differs from the sum of its transactions"
                )));
            }
        }
        tx.commit()?;
        Ok(snap)
    }

    fn persist(&self, ledger: &Ledger, dirty: &Dirty) -> StoreResult<()> {
        if dirty.is_empty() {
            return Ok(());
        }
        let lid = ledger.info.id;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        if dirty.info {
            tx.prepare_cached("UPDATE ledgers SET name = ?2, settings = ?3 WHERE id = ?1")?
                .execute(params![
                    lid,
                    ledger.info.name,
                    serde_json::to_string(&ledger.info.settings).expect("settings serialize")
                ])?;
        }
        for id in &dirty.customers {
            let c = ledger.customer(*id).expect("dirty customer exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO customers (ledger_id, id, customer_no, name, email, msisdn,
                     national_id, username, aliases, cards, personal_number, default_account, pep)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                lid,
                c.id,
                c.customer_no,
                c.name,
                c.email,
                c.msisdn,
                c.national_id
                    .as_ref()
                    .map(|n| serde_json::to_string(n).expect("id serializes")),
                c.username,
                serde_json::to_string(&c.aliases).expect("list serializes"),
                serde_json::to_string(&c.cards).expect("list serializes"),
                c.personal_number,
                c.default_account,
                c.pep,
            ])?;
        }
        for id in &dirty.accounts {
            let a = ledger.account(*id).expect("dirty account exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO accounts (ledger_id, id, account_no, customer_id, status,
                     credit_limit, balance, reserved, start_date, profile_type, alias, description,
                     charity_donation, recurring_method, recurring_scope, recurring_amount)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                lid,
                a.id,
                a.account_no,
                a.customer_id,
                a.status.as_str(),
                a.credit_limit.minor(),
                a.balance.minor(),
                a.reserved.minor(),
                a.start_date.to_string(),
                a.profile_type,
                a.alias,
                a.description,
                a.charity_donation,
                a.recurring.as_ref().map(|r| &r.method),
                a.recurring.as_ref().map(|r| &r.scope),
                a.recurring
                    .as_ref()
                    .and_then(|r| r.fixed_amount)
                    .map(Amount::minor),
            ])?;
        }
        for (kind, key) in &dirty.records {
            let body = ledger.record_json(kind, key).expect("dirty record exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO records (ledger_id, kind, key, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![lid, kind, key, body])?;
        }
        for no in &dirty.bills {
            let b = ledger.bill(*no).expect("dirty bill exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO bills (ledger_id, bill_no, account_id, bill_type, bill_date,
                     due_date, amount, minimum, paid, open, reference, fee)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                lid,
                b.bill_no,
                b.account_id,
                b.bill_type.as_str(),
                b.bill_date.to_string(),
                b.due_date.to_string(),
                b.amount.minor(),
                b.minimum.minor(),
                b.paid.minor(),
                b.open,
                b.reference,
                b.fee.minor(),
            ])?;
        }
        for (bill_no, txns) in &dirty.billed {
            for id in txns {
                tx.prepare_cached(
                    "UPDATE transactions SET billed = ?3 WHERE ledger_id = ?1 AND id = ?2 AND billed IS NULL",
                )?
                .execute(params![lid, id, bill_no])?;
            }
        }
        for token in &dirty.cards {
            let c = ledger.card(token).expect("dirty card exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO cards (ledger_id, token, seq, account_id, pan_trunc, deleted,
                     main_card, holder_number, holder_name, holder_national_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                lid,
                c.token,
                c.seq,
                c.account_id,
                c.pan_trunc,
                c.deleted,
                c.main_card,
                c.holder_number,
                c.holder_name,
                c.holder_national_id.as_ref().map(|n| serde_json::to_string(n).expect("id serializes")),
            ])?;
        }
        for id in &dirty.holds {
            let h = ledger.hold(*id).expect("dirty hold exists until persisted");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO holds (ledger_id, id, account_id, kind, amount, remaining,
                     status, created_at, expires_at, description)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                lid,
                h.id,
                h.account_id,
                h.kind.as_str(),
                h.amount.minor(),
                h.remaining.minor(),
                h.status.as_str(),
                ts(h.created_at),
                h.expires_at.map(ts),
                h.description,
            ])?;
        }
        for id in &dirty.sessions {
            let s = ledger.session(*id).expect("dirty session exists");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO myq_sessions (ledger_id, id, account_id, status, created_at,
                     last_activity, block_hold)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                lid,
                s.id,
                s.account_id,
                match s.status {
                    SessionStatus::Open => "open",
                    SessionStatus::Ended => "ended",
                },
                ts(s.created_at),
                ts(s.last_activity),
                s.block_hold,
            ])?;
        }
        for id in &dirty.payments {
            let p = ledger
                .payment(*id)
                .expect("dirty payment exists until persisted");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO myq_payments (ledger_id, id, session_id, requested,
                     permitted, from_block, hold_id, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                lid,
                p.id,
                p.session_id,
                p.requested.minor(),
                p.permitted.minor(),
                p.from_block.minor(),
                p.hold_id,
                p.status.as_str(),
            ])?;
        }
        for id in &dirty.recharges {
            let p = ledger
                .recharge(*id)
                .expect("dirty recharge exists until persisted");
            tx.prepare_cached(
                "INSERT OR REPLACE INTO recharge_payments (ledger_id, id, customer_id, account_id,
                     provider, amount, description, state, created_at, updated_at, payment_no)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                lid,
                p.id,
                p.customer_id,
                p.account_id,
                p.provider,
                p.amount.minor(),
                p.description,
                p.state.as_str(),
                ts(p.created_at),
                ts(p.updated_at),
                p.payment_no,
            ])?;
        }
        for t in &dirty.transactions {
            tx.prepare_cached(
                "INSERT INTO transactions (ledger_id, id, account_id, type, amount, date,
                     created_at, description, reserve_date, billed, hold_id, reference)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                lid,
                t.id,
                t.account_id,
                t.kind.as_str(),
                t.amount.minor(),
                t.date.to_string(),
                ts(t.created_at),
                t.description,
                t.reserve_date.map(|d| d.to_string()),
                t.billed,
                t.hold_id,
                t.reference,
            ])?;
        }
        tx.commit()?;
        Ok(())
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
            "SELECT id, ledger_id, kind, login, secret_hash, scopes FROM credentials
             WHERE revoked_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CredentialRow {
                id: r.get(0)?,
                ledger_id: r.get(1)?,
                kind: r.get(2)?,
                login: r.get(3)?,
                secret_hash: r.get(4)?,
                scopes: json_list(&r.get::<_, String>(5)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RECHARGE_COLUMNS} FROM recharge_payments WHERE {filter}
             ORDER BY id DESC LIMIT ?4 OFFSET ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                query.ledger_id,
                query.provider,
                customer,
                query.limit,
                query.offset
            ],
            recharge,
        )?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    fn transactions_page(&self, q: &TransactionQuery) -> StoreResult<(Vec<Transaction>, i64)> {
        let conn = self.reader();
        let filter = "ledger_id = ?1 AND account_id = ?2
             AND (?3 IS NULL OR date >= ?3) AND (?4 IS NULL OR date <= ?4)";
        let (from, to) = (q.from.map(|d| d.to_string()), q.to.map(|d| d.to_string()));
        let total: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM transactions WHERE {filter}"),
            params![q.ledger_id, q.account_id, from, to],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, account_id, type, amount, date, created_at, description, reserve_date,
                    billed, hold_id, reference
             FROM transactions WHERE {filter} ORDER BY id DESC LIMIT ?5 OFFSET ?6"
        ))?;
        let rows = stmt.query_map(
            params![q.ledger_id, q.account_id, from, to, q.limit, q.offset],
            transaction,
        )?;
        Ok((rows.collect::<Result<_, _>>()?, total))
    }

    fn bill_run_input(&self, ledger_id: i64, bill_date: time::Date) -> StoreResult<BillRunInput> {
        let mut conn = self.reader();
        let tx = conn.transaction()?;
        let date = bill_date.to_string();
        let mut input = BillRunInput {
            bill_date: Some(bill_date),
            ..BillRunInput::default()
        };
        {
            let mut stmt = tx.prepare(
                "SELECT account_id, SUM(amount) FROM transactions
                 WHERE ledger_id = ?1 AND date <= ?2 GROUP BY account_id",
            )?;
            let rows = stmt.query_map(params![ledger_id, date], |r| {
                Ok((r.get::<_, i64>(0)?, Amount::from_minor(r.get(1)?)))
            })?;
            input.balances = rows.collect::<Result<_, _>>()?;
            let mut stmt = tx.prepare(
                "SELECT account_id, id FROM transactions
                 WHERE ledger_id = ?1 AND date <= ?2 AND billed IS NULL ORDER BY id",
            )?;
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

    fn billed_transactions(&self, ledger_id: i64, bill_no: i64) -> StoreResult<Vec<Transaction>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT id, account_id, type, amount, date, created_at, description, reserve_date,
                    billed, hold_id, reference
             FROM transactions WHERE ledger_id = ?1 AND billed = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map([ledger_id, bill_no], transaction)?;
        Ok(rows.collect::<Result<_, _>>()?)
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
        let mut stmt = conn.prepare_cached(
            "SELECT id, account_id, type, amount, date, created_at, description, reserve_date,
                    billed, hold_id, reference
             FROM transactions WHERE ledger_id = ?1 AND account_id = ?2 ORDER BY id",
        )?;
        let rows = stmt.query_map([ledger_id, account_id], transaction)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
