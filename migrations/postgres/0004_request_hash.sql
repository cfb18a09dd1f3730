-- Idempotency keeps no stored HTTP answers: each resource a merchant created under its own id
-- carries the hash of the request that created it (`request_sha256`), and the stored answers
-- (`idempotency` records) go. Their keys were `authentication:A`, `split:S`, `capture:S:C`
-- and `reversal:S:C:R`.
UPDATE records AS r
SET body = jsonb_set(r.body::jsonb, '{request_sha256}', to_jsonb(i.body::jsonb ->> 'body_sha256'))::text
FROM records AS i
WHERE i.ledger_id = r.ledger_id
  AND i.kind = 'idempotency'
  AND r.kind IN ('authentication', 'split', 'capture', 'reversal')
  AND CASE r.kind
      WHEN 'authentication' THEN i.key = 'authentication:' || r.key
      WHEN 'split' THEN i.key = 'split:' || r.key
      WHEN 'capture' THEN i.key = 'capture:' || (r.body::jsonb ->> 'split_id') || ':' || r.key
      ELSE i.key LIKE 'reversal:%' AND right(i.key, length(':' || (r.body::jsonb ->> 'capture_id') || ':' || r.key))
           = ':' || (r.body::jsonb ->> 'capture_id') || ':' || r.key
  END;

DELETE FROM records WHERE kind = 'idempotency';
