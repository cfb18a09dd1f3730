-- A decided application never changes again: it leaves memory and is not loaded at start.
UPDATE records SET live = false
WHERE kind = 'application' AND body::jsonb ->> 'status' <> 'awaiting-sign';
