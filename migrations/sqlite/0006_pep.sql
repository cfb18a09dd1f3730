-- Customers who declared themselves politically exposed persons (enhanced due diligence).
ALTER TABLE customers ADD COLUMN pep INTEGER NOT NULL DEFAULT 0;
