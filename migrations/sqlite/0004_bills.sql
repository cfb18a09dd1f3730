-- Bills and reminders from bill runs.
CREATE TABLE bills (
    ledger_id  INTEGER NOT NULL REFERENCES ledgers(id),
    bill_no    INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    bill_type  TEXT NOT NULL,
    bill_date  TEXT NOT NULL,
    due_date   TEXT NOT NULL,
    amount     INTEGER NOT NULL,
    minimum    INTEGER NOT NULL,
    paid       INTEGER NOT NULL,
    open       INTEGER NOT NULL,
    reference  TEXT NOT NULL,
    fee        INTEGER NOT NULL,
    PRIMARY KEY (ledger_id, bill_no)
) WITHOUT ROWID;
CREATE INDEX transactions_billed ON transactions(ledger_id, billed);
