-- An account's own low-balance threshold (minor units); NULL follows the ledger's setting.
ALTER TABLE accounts ADD COLUMN low_balance_threshold INTEGER;
