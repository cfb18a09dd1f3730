-- saldo schema, version 1. Amounts are integers in minor units; timestamps RFC 3339 UTC.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE ledgers (
    id         INTEGER PRIMARY KEY,
    ledger_no  TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE credentials (
    id          INTEGER PRIMARY KEY,
    ledger_id   INTEGER NOT NULL REFERENCES ledgers(id),
    kind        TEXT NOT NULL,
    login       TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes      TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX credentials_login ON credentials(kind, login) WHERE revoked_at IS NULL;

CREATE TABLE customers (
    ledger_id       INTEGER NOT NULL REFERENCES ledgers(id),
    id              INTEGER NOT NULL,
    customer_no     TEXT NOT NULL,
    name            TEXT NOT NULL,
    email           TEXT,
    msisdn          TEXT,
    national_id     TEXT,
    username        TEXT,
    aliases         TEXT NOT NULL,
    cards           TEXT NOT NULL,
    personal_number TEXT,
    default_account INTEGER,
    PRIMARY KEY (ledger_id, id),
    UNIQUE (ledger_id, customer_no)
) WITHOUT ROWID;

CREATE TABLE accounts (
    ledger_id    INTEGER NOT NULL REFERENCES ledgers(id),
    id           INTEGER NOT NULL,
    account_no   TEXT NOT NULL,
    customer_id  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    credit_limit INTEGER NOT NULL CHECK (credit_limit >= 0),
    balance      INTEGER NOT NULL,
    reserved     INTEGER NOT NULL CHECK (reserved >= 0),
    start_date   TEXT NOT NULL,
    profile_type TEXT,
    alias        TEXT,
    description  TEXT,
    PRIMARY KEY (ledger_id, id),
    UNIQUE (ledger_id, account_no),
    CHECK (credit_limit + balance - reserved >= 0)
) WITHOUT ROWID;

CREATE TABLE holds (
    ledger_id   INTEGER NOT NULL REFERENCES ledgers(id),
    id          INTEGER NOT NULL,
    account_id  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    remaining   INTEGER NOT NULL CHECK (remaining >= 0),
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    description TEXT NOT NULL,
    PRIMARY KEY (ledger_id, id)
) WITHOUT ROWID;
CREATE INDEX holds_active ON holds(ledger_id, status);

CREATE TABLE transactions (
    ledger_id    INTEGER NOT NULL REFERENCES ledgers(id),
    id           INTEGER NOT NULL,
    account_id   INTEGER NOT NULL,
    type         TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    date         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    description  TEXT NOT NULL,
    reserve_date TEXT,
    billed       INTEGER,
    hold_id      INTEGER,
    reference    TEXT NOT NULL,
    PRIMARY KEY (ledger_id, id)
) WITHOUT ROWID;
CREATE INDEX transactions_account ON transactions(ledger_id, account_id, id);

CREATE TABLE myq_sessions (
    ledger_id     INTEGER NOT NULL REFERENCES ledgers(id),
    id            INTEGER NOT NULL,
    account_id    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_activity TEXT NOT NULL,
    block_hold    INTEGER,
    PRIMARY KEY (ledger_id, id)
) WITHOUT ROWID;
CREATE INDEX myq_sessions_status ON myq_sessions(ledger_id, status);

CREATE TABLE myq_payments (
    ledger_id  INTEGER NOT NULL REFERENCES ledgers(id),
    id         INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    requested  INTEGER NOT NULL,
    permitted  INTEGER NOT NULL,
    from_block INTEGER NOT NULL,
    hold_id    INTEGER,
    status     TEXT NOT NULL,
    PRIMARY KEY (ledger_id, id)
) WITHOUT ROWID;
CREATE INDEX myq_payments_session ON myq_payments(ledger_id, session_id);
