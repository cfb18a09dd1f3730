-- A decided application never changes again: it leaves memory and is not loaded at start.
UPDATE records SET live = 0
WHERE kind = 'application' AND json_extract(body, '$.status') <> 'awaiting-sign';
