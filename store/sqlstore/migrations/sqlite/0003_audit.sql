-- 0003: the audit log, a hash chain of who did what to the evidence (see
-- audit.go and event/audit.go for the hash), and its head.
--
-- Conventions as in 0001. The PostgreSQL migration has the same columns.

-- One row per entry; seq runs 1, 2, 3, ... with no gap. at is the store's
-- time form (to the microsecond); details is a JSON object in canonical
-- form; prev_hash is the previous entry's hash (64 zeros for seq 1) and
-- hash the entry's own, both lowercase hex SHA-256. Rows are never updated
-- or deleted: the triggers below stop that by mistake, and the chain shows
-- it when done on purpose.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL DEFAULT '',
    details   TEXT    NOT NULL DEFAULT '{}',
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
) STRICT;

CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

-- The head: the last entry's seq and hash (0 and 64 zeros while the log is
-- empty), updated in the transaction of each append. Verify checks that
-- the chain ends there, so that deleting the last entries shows.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
) STRICT;

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head is never deleted');
END;
