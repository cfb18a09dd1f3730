-- The outbox: every change's events, written in the batch that writes the change, numbered
-- ledger-wide without gaps. The feed and webhook delivery read them in sequence order.
CREATE TABLE events (
    ledger_id   BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    resource    TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (ledger_id, seq)
);
