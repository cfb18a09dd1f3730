-- A reminder or collection notice names the bill whose debt it is about (one chain per debt).
ALTER TABLE bills ADD COLUMN origin INTEGER;

-- Reminder fees and interest are posted in full, so they may take an account in debt below
-- zero available (SPEC §1.3); an account in credit is still never overdrawn. SQLite changes a
-- CHECK only by rebuilding the table.
CREATE TABLE accounts_next (
    ledger_id        INTEGER NOT NULL REFERENCES ledgers(id),
    id               INTEGER NOT NULL,
    account_no       TEXT NOT NULL,
    customer_id      INTEGER NOT NULL,
    status           TEXT NOT NULL,
    credit_limit     INTEGER NOT NULL CHECK (credit_limit >= 0),
    balance          INTEGER NOT NULL,
    reserved         INTEGER NOT NULL CHECK (reserved >= 0),
    start_date       TEXT NOT NULL,
    profile_type     TEXT,
    alias            TEXT,
    description      TEXT,
    charity_donation INTEGER NOT NULL DEFAULT 0,
    recurring_method TEXT,
    recurring_scope  TEXT,
    recurring_amount INTEGER,
    PRIMARY KEY (ledger_id, id),
    UNIQUE (ledger_id, account_no),
    CHECK (credit_limit + balance - reserved >= 0 OR balance < 0)
) WITHOUT ROWID;
INSERT INTO accounts_next (ledger_id, id, account_no, customer_id, status, credit_limit,
    balance, reserved, start_date, profile_type, alias, description, charity_donation,
    recurring_method, recurring_scope, recurring_amount)
SELECT ledger_id, id, account_no, customer_id, status, credit_limit, balance, reserved,
    start_date, profile_type, alias, description, charity_donation, recurring_method,
    recurring_scope, recurring_amount
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_next RENAME TO accounts;
