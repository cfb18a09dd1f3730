-- Capture ids are unique under their split authorization, reversal ids under their capture:
-- a capture's key becomes `split/capture`, a reversal's `split/capture/reversal`. Reversals go
-- first, while capture keys still name their capture alone. Keys already holding `/` are in
-- the new form (client ids cannot hold one), so running this again changes nothing.
UPDATE records
SET key = (
    SELECT json_extract(c.body, '$.split_id') || '/' || c.key
    FROM records AS c
    WHERE c.ledger_id = records.ledger_id
      AND c.kind = 'capture'
      AND c.key = json_extract(records.body, '$.capture_id')
) || '/' || key
WHERE kind = 'reversal'
  AND instr(key, '/') = 0
  AND EXISTS (
    SELECT 1 FROM records AS c
    WHERE c.ledger_id = records.ledger_id
      AND c.kind = 'capture'
      AND c.key = json_extract(records.body, '$.capture_id')
  );
UPDATE records
SET key = json_extract(body, '$.split_id') || '/' || key
WHERE kind = 'capture' AND instr(key, '/') = 0;
