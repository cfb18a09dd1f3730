-- Credit Account API: account options and cards.
ALTER TABLE accounts ADD COLUMN charity_donation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN recurring_method TEXT;
ALTER TABLE accounts ADD COLUMN recurring_scope TEXT;
ALTER TABLE accounts ADD COLUMN recurring_amount INTEGER;

CREATE TABLE cards (
    ledger_id          INTEGER NOT NULL REFERENCES ledgers(id),
    token              TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    account_id         INTEGER NOT NULL,
    pan_trunc          TEXT,
    deleted            INTEGER NOT NULL,
    main_card          INTEGER NOT NULL,
    holder_number      TEXT,
    holder_name        TEXT,
    holder_national_id TEXT,
    PRIMARY KEY (ledger_id, token)
) WITHOUT ROWID;
