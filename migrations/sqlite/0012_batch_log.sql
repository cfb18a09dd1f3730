-- Which batch made which version, for the last batches: a writer whose commit answer was lost
-- looks its batch up here, even when another process has committed since (the single
-- last_batch column could not tell that case).
CREATE TABLE ledger_batches (
    ledger_id INTEGER NOT NULL REFERENCES ledgers(id),
    version   INTEGER NOT NULL,
    token     INTEGER NOT NULL,
    PRIMARY KEY (ledger_id, version)
) WITHOUT ROWID;
ALTER TABLE ledgers DROP COLUMN last_batch;
