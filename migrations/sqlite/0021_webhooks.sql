-- Webhook subscriptions and their delivery log. Times are Unix milliseconds, so one set of
-- statements serves both stores. `handled_seq` is the last event handled (delivered or not wanted);
-- a process delivers a subscription's events only while it holds the lease.
CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    ledger_id        INTEGER NOT NULL REFERENCES ledgers(id),
    url              TEXT NOT NULL,
    types            TEXT NOT NULL,
    secret           TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_ms       INTEGER NOT NULL,
    handled_seq      INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    failing_since_ms INTEGER,
    next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until_ms   INTEGER NOT NULL DEFAULT 0,
    deleted          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_ledger ON webhooks(ledger_id, id);

CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id  INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    event_type  TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    status      INTEGER,
    outcome     TEXT NOT NULL,
    error       TEXT,
    latency_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
