-- 0003: the audit log, a hash chain of who did what to the evidence (see
-- audit.go and event/audit.go for the hash), and its head.
--
-- The same tables as migrations/sqlite/0003_audit.sql, with 0001's
-- conventions: at is TEXT in the store's fixed-width time form and details
-- TEXT holding the canonical JSON, so that both read back byte for byte as
-- they were hashed (JSONB would re-order the keys and re-space them); every
-- text column is COLLATE "C".

-- One row per entry; seq runs 1, 2, 3, ... with no gap (the store assigns
-- it under the head's row lock, not from a sequence, which would leave
-- gaps on rollback). Rows are never updated or deleted: the triggers below
-- stop that by mistake, and the chain shows it when done on purpose.
CREATE TABLE audit_log (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    at        TEXT   COLLATE "C" NOT NULL,
    actor     TEXT   COLLATE "C" NOT NULL,
    action    TEXT   COLLATE "C" NOT NULL,
    subject   TEXT   COLLATE "C" NOT NULL DEFAULT '',
    details   TEXT   COLLATE "C" NOT NULL DEFAULT '{}',
    prev_hash TEXT   COLLATE "C" NOT NULL,
    hash      TEXT   COLLATE "C" NOT NULL
);

CREATE INDEX audit_log_by_subject ON audit_log (subject, seq);

-- The head: the last entry's seq and hash (0 and 64 zeros while the log is
-- empty). Each append updates it first, which locks the row until commit:
-- appends queue there, so the chain never forks.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    COLLATE "C" NOT NULL
);

INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the audit log is append-only', TG_OP, TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
