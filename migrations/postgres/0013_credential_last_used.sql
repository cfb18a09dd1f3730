-- When a credential last proved itself, for the operator's list (written at most once a
-- second per process, so requests do not each write).
ALTER TABLE credentials ADD COLUMN IF NOT EXISTS last_used_at TIMESTAMPTZ;
