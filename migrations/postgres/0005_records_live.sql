-- Memory holds live state only: a record that reached a final state is not loaded at start
-- but read back when a request names it. `live` says which records the writer keeps.
ALTER TABLE records ADD COLUMN live BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE records SET live = FALSE
WHERE (kind = 'authentication'
       AND (body::jsonb ->> 'status' = 'declined' OR body::jsonb ->> 'used_by' IS NOT NULL))
   OR (kind = 'split' AND body::jsonb ->> 'status' <> 'authorized')
   OR (kind = 'capture' AND (body::jsonb ->> 'months')::bigint = 0)
   OR kind = 'reversal';
CREATE INDEX records_live ON records (ledger_id) WHERE live;
