-- Webhook subscriptions and their delivery log. Times are Unix milliseconds, so one set of
-- statements serves both stores. `handled_seq` is the last event handled (delivered or not wanted);
-- a process delivers a subscription's events only while it holds the lease.
CREATE TABLE webhooks (
    id               BIGSERIAL PRIMARY KEY,
    ledger_id        BIGINT NOT NULL,
    url              TEXT NOT NULL,
    types            TEXT NOT NULL,
    secret           TEXT NOT NULL,
    status           TEXT NOT NULL,
    created_ms       BIGINT NOT NULL,
    handled_seq      BIGINT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    failing_since_ms BIGINT,
    next_attempt_ms  BIGINT NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until_ms   BIGINT NOT NULL DEFAULT 0,
    deleted          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhooks_ledger ON webhooks(ledger_id, id);

CREATE TABLE webhook_deliveries (
    id          BIGSERIAL PRIMARY KEY,
    webhook_id  BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    event_type  TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL,
    status      BIGINT,
    outcome     TEXT NOT NULL,
    error       TEXT,
    latency_ms  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, id);
