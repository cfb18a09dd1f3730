-- MyQ X REST API v3: recharge payments and OAuth access tokens (stored as SHA-256 only).
CREATE TABLE recharge_payments (
    ledger_id   INTEGER NOT NULL REFERENCES ledgers(id),
    id          INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    account_id  INTEGER NOT NULL,
    provider    TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    description TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    payment_no  INTEGER NOT NULL,
    PRIMARY KEY (ledger_id, id)
) WITHOUT ROWID;
CREATE INDEX recharge_payments_list ON recharge_payments(ledger_id, provider, customer_id, id);
CREATE INDEX recharge_payments_state ON recharge_payments(ledger_id, state);

CREATE TABLE access_tokens (
    token_sha256  TEXT PRIMARY KEY,
    credential_id INTEGER NOT NULL REFERENCES credentials(id),
    ledger_id     INTEGER NOT NULL REFERENCES ledgers(id),
    scopes        TEXT NOT NULL,
    expires_at    TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_tokens_credential ON access_tokens(credential_id);
