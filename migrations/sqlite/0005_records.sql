-- Account Transaction API resources (authentications, split authorizations, captures,
-- reversals, applications) and the answers to client-chosen ids, as JSON documents.
-- A rowid table: these rows are large, which WITHOUT ROWID tables handle badly.
CREATE TABLE records (
    ledger_id INTEGER NOT NULL REFERENCES ledgers(id),
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    body      TEXT NOT NULL,
    UNIQUE (ledger_id, kind, key)
);
