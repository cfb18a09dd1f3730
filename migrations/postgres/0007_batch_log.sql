-- Which batch made which version, for the last batches: a writer whose commit answer was lost
-- looks its batch up here, even when another process has committed since (the single
-- last_batch column could not tell that case).
CREATE TABLE ledger_batches (
    ledger_id BIGINT NOT NULL REFERENCES ledgers(id),
    version   BIGINT NOT NULL,
    token     BIGINT NOT NULL,
    PRIMARY KEY (ledger_id, version)
);
ALTER TABLE ledgers DROP COLUMN last_batch;
