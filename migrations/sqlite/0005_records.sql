-- Account Transaction API resources (authentications, split authorizations, captures,
-- reversals) and the answers to client-chosen ids, as JSON documents.
CREATE TABLE records (
    ledger_id INTEGER NOT NULL REFERENCES ledgers(id),
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (ledger_id, kind, key)
) WITHOUT ROWID;
