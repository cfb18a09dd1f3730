//! One description per stored entity: its table, its key, its columns with their types, and
//! how a value becomes a row and a row a value. Both stores generate their SQL and bind their
//! parameters from it, so each column is named once; each store only says how a `Cell`
//! travels through its driver.

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Date, OffsetDateTime};

use super::StoreError;
use crate::ledger::{
    Account, AccountStatus, Bill, BillType, Card, Customer, Event, Hold, HoldKind, HoldStatus,
    PaymentStatus, RechargePayment, RechargeState, RecurringSetting, Session, SessionPayment,
    SessionStatus, Transaction, TxnType,
};
use crate::money::Amount;

/// A column's type, which each store names in its own SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Int,
    Text,
    Bool,
    Date,
    Time,
}

/// One value of a row, of its column's type; `None` is SQL `NULL`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Date(Option<Date>),
    Time(Option<OffsetDateTime>),
}

impl Cell {
    #[cfg(test)]
    pub fn ty(&self) -> Type {
        match self {
            Cell::Int(_) => Type::Int,
            Cell::Text(_) => Type::Text,
            Cell::Bool(_) => Type::Bool,
            Cell::Date(_) => Type::Date,
            Cell::Time(_) => Type::Time,
        }
    }
}

/// How rows of `T` are stored: in `table`, under the ledger, keyed by the first `key` columns.
pub struct Stored<T: 'static> {
    pub table: &'static str,
    pub key: usize,
    /// Rows are only ever inserted (postings): a key that exists already is an error.
    pub append_only: bool,
    pub columns: &'static [(&'static str, Type)],
    pub to_row: fn(&T) -> Vec<Cell>,
    pub from_row: fn(&mut Cells) -> Result<T, StoreError>,
}

impl<T> Stored<T> {
    /// The column names, comma-separated, in order.
    pub fn names(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        names.join(", ")
    }

    /// `SELECT <columns> FROM <table> WHERE ledger_id = <ledger>`, to which callers append
    /// their own conditions; `ledger` is the store's placeholder for the ledger's id.
    pub fn select(&self, ledger: &str) -> String {
        format!(
            "SELECT {} FROM {} WHERE ledger_id = {ledger}",
            self.names(),
            self.table
        )
    }

    /// ` ON CONFLICT (ledger_id, <key>) DO UPDATE SET <other columns>`, the same in both
    /// stores' SQL; empty for append-only rows, whose key collision must stay an error.
    pub fn on_conflict(&self) -> String {
        if self.append_only {
            return String::new();
        }
        let names: Vec<&str> = self.columns.iter().map(|(n, _)| *n).collect();
        let updates: Vec<String> = names[self.key..]
            .iter()
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        format!(
            " ON CONFLICT (ledger_id, {}) DO UPDATE SET {}",
            names[..self.key].join(", "),
            updates.join(", ")
        )
    }

    /// The ledger's highest first key column (the last id used), 0 without rows.
    pub fn max_key(&self, ledger: &str) -> String {
        format!(
            "SELECT COALESCE(MAX({}), 0) FROM {} WHERE ledger_id = {ledger}",
            self.columns[0].0, self.table
        )
    }

    /// Reads one row's cells back into a value.
    pub fn read(&self, cells: Vec<Cell>) -> Result<T, StoreError> {
        let mut cells = Cells {
            table: self.table,
            cells: cells.into_iter(),
        };
        (self.from_row)(&mut cells)
    }
}

/// The cells of one row, taken in column order by an entity's `from_row`.
pub struct Cells {
    table: &'static str,
    cells: std::vec::IntoIter<Cell>,
}

impl Cells {
    fn corrupt(&self, what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(format!("{}: {what}", self.table))
    }

    fn next(&mut self) -> Result<Cell, StoreError> {
        self.cells
            .next()
            .ok_or_else(|| self.corrupt("a row has too few columns"))
    }

    fn present<V>(&self, value: Option<V>) -> Result<V, StoreError> {
        value.ok_or_else(|| self.corrupt("NULL in a required column"))
    }

    pub fn opt_int(&mut self) -> Result<Option<i64>, StoreError> {
        match self.next()? {
            Cell::Int(v) => Ok(v),
            other => Err(self.corrupt(format!("expected an integer, found {other:?}"))),
        }
    }

    pub fn int(&mut self) -> Result<i64, StoreError> {
        let v = self.opt_int()?;
        self.present(v)
    }

    pub fn amount(&mut self) -> Result<Amount, StoreError> {
        self.int().map(Amount::from_minor)
    }

    pub fn opt_text(&mut self) -> Result<Option<String>, StoreError> {
        match self.next()? {
            Cell::Text(v) => Ok(v),
            other => Err(self.corrupt(format!("expected text, found {other:?}"))),
        }
    }

    pub fn text(&mut self) -> Result<String, StoreError> {
        let v = self.opt_text()?;
        self.present(v)
    }

    pub fn flag(&mut self) -> Result<bool, StoreError> {
        match self.next()? {
            Cell::Bool(v) => self.present(v),
            other => Err(self.corrupt(format!("expected a boolean, found {other:?}"))),
        }
    }

    pub fn opt_date(&mut self) -> Result<Option<Date>, StoreError> {
        match self.next()? {
            Cell::Date(v) => Ok(v),
            other => Err(self.corrupt(format!("expected a date, found {other:?}"))),
        }
    }

    pub fn date(&mut self) -> Result<Date, StoreError> {
        let v = self.opt_date()?;
        self.present(v)
    }

    pub fn opt_time(&mut self) -> Result<Option<OffsetDateTime>, StoreError> {
        match self.next()? {
            Cell::Time(v) => Ok(v),
            other => Err(self.corrupt(format!("expected a timestamp, found {other:?}"))),
        }
    }

    pub fn time(&mut self) -> Result<OffsetDateTime, StoreError> {
        let v = self.opt_time()?;
        self.present(v)
    }

    /// A text column holding a name `parse` knows (a status, a kind).
    pub fn named<V>(&mut self, what: &str, parse: fn(&str) -> Option<V>) -> Result<V, StoreError> {
        let s = self.text()?;
        parse(&s).ok_or_else(|| self.corrupt(format!("unknown {what} {s:?}")))
    }

    /// A text column holding JSON.
    pub fn json<V: DeserializeOwned>(&mut self) -> Result<V, StoreError> {
        let s = self.text()?;
        serde_json::from_str(&s).map_err(|e| self.corrupt(e))
    }

    pub fn opt_json<V: DeserializeOwned>(&mut self) -> Result<Option<V>, StoreError> {
        match self.opt_text()? {
            None => Ok(None),
            Some(s) => serde_json::from_str(&s)
                .map(Some)
                .map_err(|e| self.corrupt(e)),
        }
    }
}

fn int(v: i64) -> Cell {
    Cell::Int(Some(v))
}

fn text(v: &str) -> Cell {
    Cell::Text(Some(v.to_string()))
}

fn opt_text(v: &Option<String>) -> Cell {
    Cell::Text(v.clone())
}

fn json<V: Serialize>(v: &V) -> Cell {
    Cell::Text(Some(
        serde_json::to_string(v).expect("stored JSON serializes"),
    ))
}

fn opt_json<V: Serialize>(v: &Option<V>) -> Cell {
    Cell::Text(
        v.as_ref()
            .map(|v| serde_json::to_string(v).expect("stored JSON serializes")),
    )
}

use Type::{Bool, Date as DateT, Int, Text, Time};

pub static CUSTOMERS: Stored<Customer> = Stored {
    table: "customers",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("customer_no", Text),
        ("name", Text),
        ("email", Text),
        ("msisdn", Text),
        ("national_id", Text),
        ("username", Text),
        // Lists are JSON text: arrays of arrays would not travel row by row.
        ("aliases", Text),
        ("cards", Text),
        ("personal_number", Text),
        ("default_account", Int),
        ("pep", Bool),
        ("address", Text),
    ],
    to_row: |c| {
        vec![
            int(c.id),
            text(&c.customer_no),
            text(&c.name),
            opt_text(&c.email),
            opt_text(&c.msisdn),
            opt_json(&c.national_id),
            opt_text(&c.username),
            json(&c.aliases),
            json(&c.cards),
            opt_text(&c.personal_number),
            Cell::Int(c.default_account),
            Cell::Bool(Some(c.pep)),
            opt_json(&c.address),
        ]
    },
    from_row: |r| {
        Ok(Customer {
            id: r.int()?,
            customer_no: r.text()?,
            name: r.text()?,
            email: r.opt_text()?,
            msisdn: r.opt_text()?,
            national_id: r.opt_json()?,
            username: r.opt_text()?,
            aliases: r.json()?,
            cards: r.json()?,
            personal_number: r.opt_text()?,
            default_account: r.opt_int()?,
            pep: r.flag()?,
            address: r.opt_json()?,
        })
    },
};

pub static ACCOUNTS: Stored<Account> = Stored {
    table: "accounts",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("account_no", Text),
        ("customer_id", Int),
        ("status", Text),
        ("credit_limit", Int),
        ("balance", Int),
        ("reserved", Int),
        ("start_date", DateT),
        ("profile_type", Text),
        ("alias", Text),
        ("description", Text),
        ("charity_donation", Bool),
        ("recurring_method", Text),
        ("recurring_scope", Text),
        ("recurring_amount", Int),
        ("low_balance_threshold", Int),
    ],
    to_row: |a| {
        let recurring = a.recurring.as_ref();
        vec![
            int(a.id),
            text(&a.account_no),
            int(a.customer_id),
            text(a.status.as_str()),
            int(a.credit_limit.minor()),
            int(a.balance.minor()),
            int(a.reserved.minor()),
            Cell::Date(Some(a.start_date)),
            opt_text(&a.profile_type),
            opt_text(&a.alias),
            opt_text(&a.description),
            Cell::Bool(Some(a.charity_donation)),
            Cell::Text(recurring.map(|r| r.method.clone())),
            Cell::Text(recurring.map(|r| r.scope.clone())),
            Cell::Int(recurring.and_then(|r| r.fixed_amount).map(Amount::minor)),
            Cell::Int(a.low_balance_threshold.map(Amount::minor)),
        ]
    },
    from_row: |r| {
        Ok(Account {
            id: r.int()?,
            account_no: r.text()?,
            customer_id: r.int()?,
            status: r.named("account status", AccountStatus::parse)?,
            credit_limit: r.amount()?,
            balance: r.amount()?,
            reserved: r.amount()?,
            start_date: r.date()?,
            profile_type: r.opt_text()?,
            alias: r.opt_text()?,
            description: r.opt_text()?,
            charity_donation: r.flag()?,
            recurring: match (r.opt_text()?, r.opt_text()?, r.opt_int()?) {
                (Some(method), Some(scope), fixed) => Some(RecurringSetting {
                    method,
                    scope,
                    fixed_amount: fixed.map(Amount::from_minor),
                }),
                _ => None,
            },
            low_balance_threshold: r.opt_int()?.map(Amount::from_minor),
        })
    },
};

pub static CARDS: Stored<Card> = Stored {
    table: "cards",
    key: 1,
    append_only: false,
    columns: &[
        ("token", Text),
        ("seq", Int),
        ("account_id", Int),
        ("pan_trunc", Text),
        ("deleted", Bool),
        ("main_card", Bool),
        ("holder_number", Text),
        ("holder_name", Text),
        ("holder_national_id", Text),
    ],
    to_row: |c| {
        vec![
            text(&c.token),
            int(c.seq),
            int(c.account_id),
            opt_text(&c.pan_trunc),
            Cell::Bool(Some(c.deleted)),
            Cell::Bool(Some(c.main_card)),
            opt_text(&c.holder_number),
            opt_text(&c.holder_name),
            opt_json(&c.holder_national_id),
        ]
    },
    from_row: |r| {
        Ok(Card {
            token: r.text()?,
            seq: r.int()?,
            account_id: r.int()?,
            pan_trunc: r.opt_text()?,
            deleted: r.flag()?,
            main_card: r.flag()?,
            holder_number: r.opt_text()?,
            holder_name: r.opt_text()?,
            holder_national_id: r.opt_json()?,
        })
    },
};

pub static BILLS: Stored<Bill> = Stored {
    table: "bills",
    key: 1,
    append_only: false,
    columns: &[
        ("bill_no", Int),
        ("account_id", Int),
        ("bill_type", Text),
        ("bill_date", DateT),
        ("due_date", DateT),
        ("amount", Int),
        ("minimum", Int),
        ("paid", Int),
        ("open", Bool),
        ("reference", Text),
        ("fee", Int),
        ("origin", Int),
    ],
    to_row: |b| {
        vec![
            int(b.bill_no),
            int(b.account_id),
            text(b.bill_type.as_str()),
            Cell::Date(Some(b.bill_date)),
            Cell::Date(Some(b.due_date)),
            int(b.amount.minor()),
            int(b.minimum.minor()),
            int(b.paid.minor()),
            Cell::Bool(Some(b.open)),
            text(&b.reference),
            int(b.fee.minor()),
            Cell::Int(b.origin),
        ]
    },
    from_row: |r| {
        Ok(Bill {
            bill_no: r.int()?,
            account_id: r.int()?,
            bill_type: r.named("bill type", BillType::parse)?,
            bill_date: r.date()?,
            due_date: r.date()?,
            amount: r.amount()?,
            minimum: r.amount()?,
            paid: r.amount()?,
            open: r.flag()?,
            reference: r.text()?,
            fee: r.amount()?,
            origin: r.opt_int()?,
        })
    },
};

pub static HOLDS: Stored<Hold> = Stored {
    table: "holds",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("account_id", Int),
        ("kind", Text),
        ("amount", Int),
        ("remaining", Int),
        ("status", Text),
        ("created_at", Time),
        ("expires_at", Time),
        ("description", Text),
    ],
    to_row: |h| {
        vec![
            int(h.id),
            int(h.account_id),
            text(h.kind.as_str()),
            int(h.amount.minor()),
            int(h.remaining.minor()),
            text(h.status.as_str()),
            Cell::Time(Some(h.created_at)),
            Cell::Time(h.expires_at),
            text(&h.description),
        ]
    },
    from_row: |r| {
        Ok(Hold {
            id: r.int()?,
            account_id: r.int()?,
            kind: r.named("hold kind", HoldKind::parse)?,
            amount: r.amount()?,
            remaining: r.amount()?,
            status: r.named("hold status", HoldStatus::parse)?,
            created_at: r.time()?,
            expires_at: r.opt_time()?,
            description: r.text()?,
        })
    },
};

fn session_status(s: &str) -> Option<SessionStatus> {
    match s {
        "open" => Some(SessionStatus::Open),
        "ended" => Some(SessionStatus::Ended),
        _ => None,
    }
}

/// Sessions are stored without their payments' ids: the payments name their session.
pub static SESSIONS: Stored<Session> = Stored {
    table: "myq_sessions",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("account_id", Int),
        ("status", Text),
        ("created_at", Time),
        ("last_activity", Time),
        ("block_hold", Int),
    ],
    to_row: |s| {
        vec![
            int(s.id),
            int(s.account_id),
            text(match s.status {
                SessionStatus::Open => "open",
                SessionStatus::Ended => "ended",
            }),
            Cell::Time(Some(s.created_at)),
            Cell::Time(Some(s.last_activity)),
            Cell::Int(s.block_hold),
        ]
    },
    from_row: |r| {
        Ok(Session {
            id: r.int()?,
            account_id: r.int()?,
            status: r.named("session status", session_status)?,
            created_at: r.time()?,
            last_activity: r.time()?,
            block_hold: r.opt_int()?,
            payments: Vec::new(),
        })
    },
};

pub static PAYMENTS: Stored<SessionPayment> = Stored {
    table: "myq_payments",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("session_id", Int),
        ("requested", Int),
        ("permitted", Int),
        ("from_block", Int),
        ("hold_id", Int),
        ("status", Text),
    ],
    to_row: |p| {
        vec![
            int(p.id),
            int(p.session_id),
            int(p.requested.minor()),
            int(p.permitted.minor()),
            int(p.from_block.minor()),
            Cell::Int(p.hold_id),
            text(p.status.as_str()),
        ]
    },
    from_row: |r| {
        Ok(SessionPayment {
            id: r.int()?,
            session_id: r.int()?,
            requested: r.amount()?,
            permitted: r.amount()?,
            from_block: r.amount()?,
            hold_id: r.opt_int()?,
            status: r.named("payment status", PaymentStatus::parse)?,
        })
    },
};

pub static RECHARGES: Stored<RechargePayment> = Stored {
    table: "recharge_payments",
    key: 1,
    append_only: false,
    columns: &[
        ("id", Int),
        ("customer_id", Int),
        ("account_id", Int),
        ("provider", Text),
        ("amount", Int),
        ("description", Text),
        ("state", Text),
        ("created_at", Time),
        ("updated_at", Time),
        ("payment_no", Int),
    ],
    to_row: |p| {
        vec![
            int(p.id),
            int(p.customer_id),
            int(p.account_id),
            text(&p.provider),
            int(p.amount.minor()),
            text(&p.description),
            text(p.state.as_str()),
            Cell::Time(Some(p.created_at)),
            Cell::Time(Some(p.updated_at)),
            int(p.payment_no),
        ]
    },
    from_row: |r| {
        Ok(RechargePayment {
            id: r.int()?,
            customer_id: r.int()?,
            account_id: r.int()?,
            provider: r.text()?,
            amount: r.amount()?,
            description: r.text()?,
            state: r.named("recharge state", RechargeState::parse)?,
            created_at: r.time()?,
            updated_at: r.time()?,
            payment_no: r.int()?,
        })
    },
};

pub static TRANSACTIONS: Stored<Transaction> = Stored {
    table: "transactions",
    key: 1,
    append_only: true,
    columns: &[
        ("id", Int),
        ("account_id", Int),
        ("type", Text),
        ("amount", Int),
        ("date", DateT),
        ("created_at", Time),
        ("description", Text),
        ("reserve_date", DateT),
        ("billed", Int),
        ("hold_id", Int),
        ("reference", Text),
    ],
    to_row: |t| {
        vec![
            int(t.id),
            int(t.account_id),
            text(t.kind.as_str()),
            int(t.amount.minor()),
            Cell::Date(Some(t.date)),
            Cell::Time(Some(t.created_at)),
            text(&t.description),
            Cell::Date(t.reserve_date),
            Cell::Int(t.billed),
            Cell::Int(t.hold_id),
            text(&t.reference),
        ]
    },
    from_row: |r| {
        Ok(Transaction {
            id: r.int()?,
            account_id: r.int()?,
            kind: r.named("transaction type", TxnType::parse)?,
            amount: r.amount()?,
            date: r.date()?,
            created_at: r.time()?,
            description: r.text()?,
            reserve_date: r.opt_date()?,
            billed: r.opt_int()?,
            hold_id: r.opt_int()?,
            reference: r.text()?,
        })
    },
};

/// An event of the outbox; its data is the JSON text of the resource's state.
pub static EVENTS: Stored<Event> = Stored {
    table: "events",
    key: 0,
    append_only: true,
    columns: &[
        ("seq", Int),
        ("type", Text),
        ("at", Time),
        ("resource", Text),
        ("resource_id", Text),
        ("data", Text),
    ],
    to_row: |e| {
        vec![
            int(e.seq),
            text(&e.kind),
            Cell::Time(Some(e.at)),
            text(&e.resource),
            text(&e.resource_id),
            text(&e.data),
        ]
    },
    from_row: |r| {
        Ok(Event {
            seq: r.int()?,
            kind: r.text()?,
            at: r.time()?,
            resource: r.text()?,
            resource_id: r.text()?,
            data: r.text()?,
        })
    },
};

/// A JSON record (an authorization, an application, …) as stored; `live` marks what start-up
/// loads.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub kind: String,
    pub key: String,
    pub body: String,
    pub live: bool,
}

pub static RECORDS: Stored<RecordRow> = Stored {
    table: "records",
    key: 2,
    append_only: false,
    columns: &[
        ("kind", Text),
        ("key", Text),
        ("body", Text),
        ("live", Bool),
    ],
    to_row: |r| {
        vec![
            text(&r.kind),
            text(&r.key),
            text(&r.body),
            Cell::Bool(Some(r.live)),
        ]
    },
    from_row: |r| {
        Ok(RecordRow {
            kind: r.text()?,
            key: r.text()?,
            body: r.text()?,
            live: r.flag()?,
        })
    },
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Address;
    use time::macros::{date, datetime};

    /// Each description's row matches its columns in number and type, and reads back equal.
    fn round_trip<T: PartialEq + std::fmt::Debug>(stored: &Stored<T>, value: T) {
        let row = (stored.to_row)(&value);
        let types: Vec<Type> = row.iter().map(Cell::ty).collect();
        let declared: Vec<Type> = stored.columns.iter().map(|(_, t)| *t).collect();
        assert_eq!(types, declared, "{}", stored.table);
        assert_eq!(stored.read(row).unwrap(), value, "{}", stored.table);
    }

    #[test]
    fn every_description_reads_back_what_it_writes() {
        let at = datetime!(2026-11-21 10:00 UTC);
        round_trip(
            &CUSTOMERS,
            Customer {
                id: 1,
                customer_no: "c1".into(),
                name: "Ann".into(),
                email: Some("a@example.com".into()),
                msisdn: None,
                national_id: None,
                username: Some("ann".into()),
                aliases: vec!["a".into()],
                cards: vec![],
                personal_number: None,
                default_account: Some(3),
                pep: true,
                address: Some(Address {
                    street_address: Some("Storgatan 1".into()),
                    co_address: None,
                    zip_code: "11122".into(),
                    city: "Stockholm".into(),
                    country_code: "SE".into(),
                }),
            },
        );
        round_trip(
            &ACCOUNTS,
            Account {
                id: 3,
                account_no: "a3".into(),
                customer_id: 1,
                status: AccountStatus::Open,
                credit_limit: Amount::from_minor(500),
                balance: Amount::from_minor(-20),
                reserved: Amount::ZERO,
                start_date: date!(2026 - 11 - 21),
                profile_type: None,
                alias: Some("x".into()),
                description: None,
                charity_donation: false,
                recurring: Some(RecurringSetting {
                    method: "autogiro".into(),
                    scope: "fixedAmount".into(),
                    fixed_amount: Some(Amount::from_minor(100)),
                }),
                low_balance_threshold: Some(Amount::from_minor(2500)),
            },
        );
        round_trip(
            &HOLDS,
            Hold {
                id: 9,
                account_id: 3,
                kind: HoldKind::Authorization,
                amount: Amount::from_minor(10),
                remaining: Amount::from_minor(5),
                status: HoldStatus::Active,
                created_at: at,
                expires_at: None,
                description: "d".into(),
            },
        );
        round_trip(
            &TRANSACTIONS,
            Transaction {
                id: 4,
                account_id: 3,
                kind: TxnType::Fee,
                amount: Amount::from_minor(-60),
                date: date!(2026 - 11 - 21),
                created_at: at,
                description: "fee".into(),
                reserve_date: None,
                billed: Some(2),
                hold_id: None,
                reference: "r".into(),
            },
        );
        round_trip(
            &EVENTS,
            Event {
                seq: 7,
                kind: "account.created".into(),
                at,
                resource: "account".into(),
                resource_id: "A1".into(),
                data: r#"{"accountNo":"A1","balance":2.50}"#.into(),
            },
        );
        round_trip(
            &SESSIONS,
            Session {
                id: 2,
                account_id: 3,
                status: SessionStatus::Ended,
                created_at: at,
                last_activity: at,
                block_hold: None,
                payments: vec![],
            },
        );
        round_trip(
            &RECORDS,
            RecordRow {
                kind: "split".into(),
                key: "s".into(),
                body: "{}".into(),
                live: true,
            },
        );
    }

    #[test]
    fn a_null_in_a_required_column_is_named_not_defaulted() {
        let mut row = (BILLS.to_row)(&Bill {
            bill_no: 1,
            account_id: 1,
            bill_type: BillType::Bill,
            bill_date: date!(2026 - 11 - 21),
            due_date: date!(2026 - 12 - 21),
            amount: Amount::from_minor(1),
            minimum: Amount::from_minor(1),
            paid: Amount::ZERO,
            open: true,
            reference: "1".into(),
            fee: Amount::ZERO,
            origin: None,
        });
        row[9] = Cell::Text(None);
        let err = BILLS.read(row).unwrap_err().to_string();
        assert!(err.contains("bills") && err.contains("NULL"), "{err}");
    }
}
