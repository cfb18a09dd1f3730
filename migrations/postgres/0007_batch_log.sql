-- Which batch made which version, and the keys it changed, for the last batches. A writer whose
-- commit answer was lost looks its batch up here, even when another process has committed since
-- (the single last_batch column could not tell that case); a process whose memory is behind
-- reads back only the keys changed since its version (`changes`: versioned JSON).
CREATE TABLE ledger_batches (
    ledger_id BIGINT NOT NULL REFERENCES ledgers(id),
    version   BIGINT NOT NULL,
    token     BIGINT NOT NULL,
    changes   TEXT NOT NULL,
    PRIMARY KEY (ledger_id, version)
);
ALTER TABLE ledgers DROP COLUMN last_batch;
