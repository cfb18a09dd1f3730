-- When a credential last proved itself, for the operator's list (written at most once a
-- second per process, so requests do not each write).
ALTER TABLE credentials ADD COLUMN last_used_at TEXT;
