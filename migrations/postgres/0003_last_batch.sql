-- The token of the batch that last changed the ledger: after a commit whose answer was lost,
-- the writer reads it to learn whether its batch landed. Not indexed: updates stay HOT.
ALTER TABLE ledgers ADD COLUMN last_batch BIGINT NOT NULL DEFAULT 0;
