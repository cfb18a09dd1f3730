-- A customer's last recharge number is read when the customer first recharges after a load,
-- instead of counting every customer's recharges at start-up.
CREATE INDEX recharge_payments_customer ON recharge_payments(ledger_id, customer_id, payment_no);
