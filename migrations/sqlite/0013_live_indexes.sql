-- Start-up reads only live rows. Without statistics SQLite preferred scanning a ledger's whole
-- history by primary key over the (ledger_id, status) indexes: partial indexes over just the
-- live rows are what its planner takes, and they stay as small as the live state.
DROP INDEX holds_active;
CREATE INDEX holds_active ON holds(ledger_id, id) WHERE status = 'active';
DROP INDEX myq_sessions_status;
CREATE INDEX myq_sessions_open ON myq_sessions(ledger_id, id) WHERE status = 'open';
DROP INDEX recharge_payments_state;
CREATE INDEX recharge_payments_created ON recharge_payments(ledger_id, id) WHERE state = 'created';
