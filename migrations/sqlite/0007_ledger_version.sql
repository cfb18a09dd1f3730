-- Advanced by every batch that changes the ledger, so a writer can tell whether another
-- process sharing the database wrote since it last looked.
ALTER TABLE ledgers ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
