-- Which batch made which version, and the keys it changed, for the last batches. A writer whose
-- commit answer was lost looks its batch up here, even when another process has committed since
-- (the single last_batch column could not tell that case); a process whose memory is behind
-- reads back only the keys changed since its version (`changes`: versioned JSON).
CREATE TABLE ledger_batches (
    ledger_id INTEGER NOT NULL REFERENCES ledgers(id),
    version   INTEGER NOT NULL,
    token     INTEGER NOT NULL,
    changes   TEXT NOT NULL,
    PRIMARY KEY (ledger_id, version)
) WITHOUT ROWID;
ALTER TABLE ledgers DROP COLUMN last_batch;
