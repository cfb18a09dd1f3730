-- A customer's postal address (JSON), printed on bills and reminders.
ALTER TABLE customers ADD COLUMN IF NOT EXISTS address TEXT;
