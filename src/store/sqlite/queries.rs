//! The queries that read a ledger's postings by account or by bill. Each names its index:
//! `transactions` is keyed by `(ledger_id, id)`, and without statistics SQLite's planner
//! prefers that key over `transactions_account`, scanning the ledger's whole history for one
//! account (a 2,000-account bill run took 12 s that way). A test below checks every plan.

use crate::store::columns::TRANSACTIONS;

/// `SELECT <columns> FROM transactions INDEXED BY <index> WHERE ledger_id = ?1`.
fn select_using(index: &str) -> String {
    format!(
        "SELECT {} FROM transactions INDEXED BY {index} WHERE ledger_id = ?1",
        TRANSACTIONS.names()
    )
}

/// An account's postings, oldest first: ?2 the account.
pub fn account_transactions() -> String {
    format!(
        "{} AND account_id = ?2 ORDER BY id",
        select_using("transactions_account")
    )
}

const DATES: &str = "(?3 IS NULL OR date >= ?3) AND (?4 IS NULL OR date <= ?4)";

/// How many postings an account has between two optional dates (?3, ?4).
pub const ACCOUNT_TRANSACTIONS_COUNT: &str = "SELECT COUNT(*) FROM transactions
     INDEXED BY transactions_account
     WHERE ledger_id = ?1 AND account_id = ?2
     AND (?3 IS NULL OR date >= ?3) AND (?4 IS NULL OR date <= ?4)";

/// A page of them, newest first: ?5 the page size, ?6 the offset.
pub fn account_transactions_page() -> String {
    format!(
        "{} AND account_id = ?2 AND {DATES} ORDER BY id DESC LIMIT ?5 OFFSET ?6",
        select_using("transactions_account")
    )
}

/// The postings billed on bill ?2.
pub fn billed() -> String {
    format!(
        "{} AND billed = ?2 ORDER BY id",
        select_using("transactions_billed")
    )
}

/// Every posting not yet billed up to the bill date ?2, by account.
pub const UNBILLED: &str = "SELECT account_id, id FROM transactions
     INDEXED BY transactions_billed
     WHERE ledger_id = ?1 AND billed IS NULL AND date <= ?2 ORDER BY id";

/// The date of the account's latest interest posting up to ?3.
pub const INTEREST_SINCE: &str = "SELECT MAX(date) FROM transactions
     INDEXED BY transactions_account
     WHERE ledger_id = ?1 AND account_id = ?2 AND type = 'interest' AND date <= ?3";

/// The account's balance at the end of day ?3.
pub const INTEREST_OPENING: &str = "SELECT COALESCE(SUM(amount), 0) FROM transactions
     INDEXED BY transactions_account
     WHERE ledger_id = ?1 AND account_id = ?2 AND date <= ?3";

/// The account's postings per day after ?3 up to ?4.
pub const INTEREST_DAYS: &str = "SELECT date, SUM(amount) FROM transactions
     INDEXED BY transactions_account
     WHERE ledger_id = ?1 AND account_id = ?2 AND date > ?3 AND date <= ?4
     GROUP BY date ORDER BY date";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    /// Every query searches by its index: none scans the ledger's postings by the key.
    #[test]
    fn every_query_searches_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plans.db");
        SqliteStore::open(path.to_str().unwrap()).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (sql, index) in [
            (
                account_transactions(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
            (
                ACCOUNT_TRANSACTIONS_COUNT.into(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
            (
                account_transactions_page(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
            (billed(), "transactions_billed (ledger_id=? AND billed=?)"),
            (
                UNBILLED.into(),
                "transactions_billed (ledger_id=? AND billed=?)",
            ),
            (
                INTEREST_SINCE.into(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
            (
                INTEREST_OPENING.into(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
            (
                INTEREST_DAYS.into(),
                "transactions_account (ledger_id=? AND account_id=?)",
            ),
        ] {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().any(|step| step.contains(index)),
                "{sql}\n{plan:?}"
            );
        }
    }
}
