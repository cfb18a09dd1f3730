-- Every batch rewrites its ledger's row (the version) and the account rows it touched. Room
-- left on each page lets PostgreSQL keep those updates on the page (HOT: no index entries,
-- pruned without vacuum). No index covers the columns these updates change.
ALTER TABLE ledgers SET (fillfactor = 50);
ALTER TABLE accounts SET (fillfactor = 80);
