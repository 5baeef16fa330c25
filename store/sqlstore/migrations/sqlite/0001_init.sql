-- 0001: posts as captured, flags, and per-account aggregates.
--
-- Conventions (shared with the PostgreSQL migrations, which use their own types):
--   * Times are TEXT in one fixed-width RFC 3339 form, UTC with nanoseconds
--     (2026-11-01T08:00:00.000000000Z), so that text order is time order.
--     NULL means unknown.
--   * JSON columns are TEXT holding a JSON document (JSONB in PostgreSQL).
--   * Booleans are INTEGER 0 or 1 (BOOLEAN in PostgreSQL).

-- One row per post, exactly as captured, with the verdict on it. raw is the
-- platform payload byte for byte and raw_sha256 its lowercase hex SHA-256.
CREATE TABLE posts (
    platform    TEXT    NOT NULL,
    post_id     TEXT    NOT NULL,
    author_id   TEXT    NOT NULL,
    handle      TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL,
    created_at  TEXT,
    url         TEXT    NOT NULL DEFAULT '',
    lang        TEXT    NOT NULL DEFAULT '',
    captured_at TEXT,
    source      TEXT    NOT NULL DEFAULT '',
    raw         BLOB    NOT NULL,
    raw_sha256  TEXT    NOT NULL,
    lexicon     TEXT    NOT NULL DEFAULT '',
    pipeline    TEXT    NOT NULL DEFAULT '',
    flagged     INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    -- The verdict without its post (the columns above hold the post).
    verdict     TEXT,
    stored_at   TEXT    NOT NULL,
    PRIMARY KEY (platform, post_id)
) STRICT;

-- One row per flagged post: the unit a monitor reviews. AUTOINCREMENT keeps
-- ids increasing and never reused, which the ListFlags cursor relies on.
CREATE TABLE flags (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    platform        TEXT    NOT NULL,
    post_id         TEXT    NOT NULL,
    author_id       TEXT    NOT NULL,
    handle          TEXT    NOT NULL DEFAULT '',
    score           REAL    NOT NULL DEFAULT 0,
    categories      TEXT    NOT NULL DEFAULT '[]',
    tags            TEXT    NOT NULL DEFAULT '[]',
    matches         TEXT    NOT NULL DEFAULT '[]',
    lists           TEXT    NOT NULL DEFAULT '[]',
    lexicon         TEXT    NOT NULL DEFAULT '',
    pipeline        TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'claimed', 'confirmed', 'dismissed', 'escalated')),
    created_at      TEXT    NOT NULL,
    post_created_at TEXT,
    UNIQUE (platform, post_id),
    FOREIGN KEY (platform, post_id) REFERENCES posts (platform, post_id)
) STRICT;

-- Listing is newest first (ORDER BY id DESC); these serve the filters.
CREATE INDEX flags_by_status   ON flags (status, id);
CREATE INDEX flags_by_author   ON flags (author_id, id);
CREATE INDEX flags_by_platform ON flags (platform, id);

-- The categories of each flag, one row each, so that filtering on
-- "hate" is an exact match that never catches "hate_speech".
CREATE TABLE flag_categories (
    category TEXT    NOT NULL,
    flag_id  INTEGER NOT NULL REFERENCES flags (id),
    PRIMARY KEY (category, flag_id)
) STRICT, WITHOUT ROWID;

-- Authors as the store aggregates them. A post is seen at the platform's
-- time, else at its capture time. handle and name are those of the latest
-- post that carried one (handle_seen and name_seen are that post's time, so
-- that posts arriving out of order do not bring back an old handle);
-- first_seen and last_seen span the account's stored posts.
CREATE TABLE accounts (
    platform    TEXT    NOT NULL,
    account_id  TEXT    NOT NULL,
    handle      TEXT    NOT NULL DEFAULT '',
    handle_seen TEXT,
    name        TEXT    NOT NULL DEFAULT '',
    name_seen   TEXT,
    post_count  INTEGER NOT NULL DEFAULT 0,
    flag_count  INTEGER NOT NULL DEFAULT 0,
    first_seen  TEXT    NOT NULL,
    last_seen   TEXT    NOT NULL,
    PRIMARY KEY (platform, account_id)
) STRICT;

-- ListAccounts order for flagged accounts, with and without a platform
-- filter. The indexes hold flag_count alone (ties are sorted by last_seen
-- when read) and only accounts with flags, so that they change with each
-- flag rather than with each post.
CREATE INDEX accounts_by_flags
    ON accounts (flag_count DESC) WHERE flag_count > 0;
CREATE INDEX accounts_by_platform_flags
    ON accounts (platform, flag_count DESC) WHERE flag_count > 0;

-- The children of accounts are written before their parent row within a
-- batch, hence the deferred foreign keys (checked at commit).

-- Every handle an account has used, with when it was first and last seen.
CREATE TABLE account_handles (
    platform   TEXT NOT NULL,
    account_id TEXT NOT NULL,
    handle     TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    PRIMARY KEY (platform, account_id, handle),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

-- An account's flags counted by category.
CREATE TABLE account_categories (
    platform   TEXT    NOT NULL,
    account_id TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    flag_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, account_id, category),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

-- The account lists an account was found on.
CREATE TABLE account_lists (
    platform   TEXT NOT NULL,
    account_id TEXT NOT NULL,
    list       TEXT NOT NULL,
    PRIMARY KEY (platform, account_id, list),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;
