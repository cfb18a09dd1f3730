-- Idempotency keeps no stored HTTP answers: each resource a merchant created under its own id
-- carries the hash of the request that created it (`request_sha256`), and the stored answers
-- (`idempotency` records) go. Their keys were `authentication:A`, `split:S`, `capture:S:C`
-- and `reversal:S:C:R`.
UPDATE records
SET body = json_set(body, '$.request_sha256', (
    SELECT json_extract(i.body, '$.body_sha256')
    FROM records AS i
    WHERE i.ledger_id = records.ledger_id
      AND i.kind = 'idempotency'
      AND CASE records.kind
          WHEN 'authentication' THEN i.key = 'authentication:' || records.key
          WHEN 'split' THEN i.key = 'split:' || records.key
          WHEN 'capture' THEN i.key = 'capture:' || json_extract(records.body, '$.split_id') || ':' || records.key
          ELSE i.key LIKE 'reversal:%' AND substr(i.key, -length(':' || json_extract(records.body, '$.capture_id') || ':' || records.key))
               = ':' || json_extract(records.body, '$.capture_id') || ':' || records.key
      END
    LIMIT 1
))
WHERE kind IN ('authentication', 'split', 'capture', 'reversal')
  AND EXISTS (SELECT 1 FROM records AS i WHERE i.ledger_id = records.ledger_id AND i.kind = 'idempotency');

DELETE FROM records WHERE kind = 'idempotency';
