-- Only open bills are held in memory and loaded at start; a closed bill is read when named,
-- and an account's bills are listed a page at a time from the store.
CREATE INDEX IF NOT EXISTS bills_open ON bills(ledger_id, bill_no) WHERE open = 1;
CREATE INDEX IF NOT EXISTS bills_account ON bills(ledger_id, account_id, bill_no);
