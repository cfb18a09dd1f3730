-- A reminder or collection notice names the bill whose debt it is about (one chain per debt).
ALTER TABLE bills ADD COLUMN IF NOT EXISTS origin BIGINT;

-- Reminder fees and interest are posted in full, so they may take an account in debt below
-- zero available (SPEC §1.3); an account in credit is still never overdrawn.
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_check;
ALTER TABLE accounts DROP CONSTRAINT IF EXISTS accounts_available;
ALTER TABLE accounts ADD CONSTRAINT accounts_available
    CHECK (credit_limit + balance - reserved >= 0 OR balance < 0);
