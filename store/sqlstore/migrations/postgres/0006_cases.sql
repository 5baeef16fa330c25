-- 0006: cases, what an advocate takes to a platform (one campaign, one
-- network of accounts), with their accounts and flags. Every change to a
-- case is also in the audit log (action case_update, subject case:ID).
-- The same tables as migrations/sqlite/0006_cases.sql.
--
-- Conventions as in 0001 (times as fixed-width text, text COLLATE "C",
-- identity ids).

-- One row per case. created_by is a pseudonym, never a name. updated_at
-- moves with every change, to the case or to its members.
CREATE TABLE cases (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       TEXT   COLLATE "C" NOT NULL,
    description TEXT   COLLATE "C" NOT NULL DEFAULT '',
    status      TEXT   COLLATE "C" NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at  TEXT   COLLATE "C" NOT NULL,
    created_by  TEXT   COLLATE "C" NOT NULL,
    updated_at  TEXT   COLLATE "C" NOT NULL
);

-- ListCases order (most recently updated first), with and without a
-- status filter.
CREATE INDEX cases_by_updated        ON cases (updated_at, id);
CREATE INDEX cases_by_status_updated ON cases (status, updated_at, id);

-- The accounts of a case. Accounts are never deleted, so the foreign key
-- holds for good. Its check locks the account's row FOR KEY SHARE, which
-- does not wait for the verdict writers' updates of it (they never change
-- its key).
CREATE TABLE case_accounts (
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    platform   TEXT   COLLATE "C" NOT NULL,
    account_id TEXT   COLLATE "C" NOT NULL,
    added_at   TEXT   COLLATE "C" NOT NULL,
    added_by   TEXT   COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, platform, account_id),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
);

-- The cases an account is in (the account view), and the foreign key.
CREATE INDEX case_accounts_by_account ON case_accounts (platform, account_id, case_id);

-- The flags of a case. There is no foreign key to flags: a flag still
-- pending review is deleted when a later verdict stops flagging its post,
-- and that must not fail on a case holding it. Flag ids are never reused,
-- so a flag id here names that flag or nothing; platform and post_id name
-- its post, which is never deleted.
CREATE TABLE case_flags (
    case_id  BIGINT NOT NULL REFERENCES cases (id),
    flag_id  BIGINT NOT NULL,
    platform TEXT   COLLATE "C" NOT NULL,
    post_id  TEXT   COLLATE "C" NOT NULL,
    added_at TEXT   COLLATE "C" NOT NULL,
    added_by TEXT   COLLATE "C" NOT NULL,
    PRIMARY KEY (case_id, flag_id)
);

-- The cases a flag is in.
CREATE INDEX case_flags_by_flag ON case_flags (flag_id, case_id);
