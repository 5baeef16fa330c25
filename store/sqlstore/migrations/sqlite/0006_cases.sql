-- 0006: cases, what an advocate takes to a platform (one campaign, one
-- network of accounts), with their accounts and flags. Every change to a
-- case is also in the audit log (action case_update, subject case:ID).
--
-- Conventions as in 0001. The PostgreSQL migration has the same columns.

-- One row per case. created_by is a pseudonym, never a name. updated_at
-- moves with every change, to the case or to its members.
CREATE TABLE cases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

-- ListCases order (most recently updated first), with and without a
-- status filter.
CREATE INDEX cases_by_updated        ON cases (updated_at, id);
CREATE INDEX cases_by_status_updated ON cases (status, updated_at, id);

-- The accounts of a case. Accounts are never deleted, so the foreign key
-- holds for good.
CREATE TABLE case_accounts (
    case_id    INTEGER NOT NULL REFERENCES cases (id),
    platform   TEXT    NOT NULL,
    account_id TEXT    NOT NULL,
    added_at   TEXT    NOT NULL,
    added_by   TEXT    NOT NULL,
    PRIMARY KEY (case_id, platform, account_id),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
) STRICT;

-- The cases an account is in (the account view), and the foreign key.
CREATE INDEX case_accounts_by_account ON case_accounts (platform, account_id, case_id);

-- The flags of a case. There is no foreign key to flags: a flag still
-- pending review is deleted when a later verdict stops flagging its post,
-- and that must not fail on a case holding it. Flag ids are never reused,
-- so a flag id here names that flag or nothing; platform and post_id name
-- its post, which is never deleted.
CREATE TABLE case_flags (
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    flag_id  INTEGER NOT NULL,
    platform TEXT    NOT NULL,
    post_id  TEXT    NOT NULL,
    added_at TEXT    NOT NULL,
    added_by TEXT    NOT NULL,
    PRIMARY KEY (case_id, flag_id)
) STRICT;

-- The cases a flag is in.
CREATE INDEX case_flags_by_flag ON case_flags (flag_id, case_id);
