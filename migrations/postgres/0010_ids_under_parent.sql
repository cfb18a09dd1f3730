-- Capture ids are unique under their split authorization, reversal ids under their capture:
-- a capture's key becomes `split/capture`, a reversal's `split/capture/reversal`. Reversals go
-- first, while capture keys still name their capture alone. Keys already holding `/` are in
-- the new form (client ids cannot hold one), so running this again changes nothing.
UPDATE records AS r
SET key = (c.body::jsonb ->> 'split_id') || '/' || c.key || '/' || r.key
FROM records AS c
WHERE r.kind = 'reversal'
  AND strpos(r.key, '/') = 0
  AND c.ledger_id = r.ledger_id
  AND c.kind = 'capture'
  AND c.key = (r.body::jsonb ->> 'capture_id');
UPDATE records
SET key = (body::jsonb ->> 'split_id') || '/' || key
WHERE kind = 'capture' AND strpos(key, '/') = 0;
