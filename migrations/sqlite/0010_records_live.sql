-- Memory holds live state only: a record that reached a final state is not loaded at start
-- but read back when a request names it. `live` says which records the writer keeps.
ALTER TABLE records ADD COLUMN live INTEGER NOT NULL DEFAULT 1;
UPDATE records SET live = 0
WHERE (kind = 'authentication'
       AND (json_extract(body, '$.status') = 'declined' OR json_extract(body, '$.used_by') IS NOT NULL))
   OR (kind = 'split' AND json_extract(body, '$.status') != 'authorized')
   OR (kind = 'capture' AND json_extract(body, '$.months') = 0)
   OR kind = 'reversal';
CREATE INDEX records_live ON records (ledger_id) WHERE live = 1;
