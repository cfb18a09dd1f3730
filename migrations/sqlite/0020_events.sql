-- The outbox: every change's events, written in the batch that writes the change, numbered
-- ledger-wide without gaps. The feed and webhook delivery read them in sequence order.
CREATE TABLE events (
    ledger_id   INTEGER NOT NULL REFERENCES ledgers(id),
    seq         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    at          TEXT NOT NULL,
    resource    TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (ledger_id, seq)
) WITHOUT ROWID;
