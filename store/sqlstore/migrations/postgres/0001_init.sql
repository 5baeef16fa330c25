-- 0001: posts as captured, flags, and per-account aggregates. The same
-- schema as migrations/sqlite/0001_init.sql, in PostgreSQL's types, so
-- that the store's queries, written once, mean the same on both.
--
-- Conventions:
--   * Times are TEXT in one fixed-width RFC 3339 form, UTC with nanoseconds
--     (2026-11-01T08:00:00.000000000Z), as in SQLite, rather than
--     TIMESTAMPTZ: timestamptz keeps microseconds, and the store compares
--     and keys verdicts by their exact classification time (a verdict
--     redelivered must match itself to the nanosecond). The text is a
--     valid timestamptz literal for ad-hoc queries (classified_at::timestamptz).
--     NULL means unknown.
--   * Every text column is COLLATE "C": text compares and sorts byte by
--     byte, as SQLite's BINARY does, whatever the database's locale. That
--     makes the fixed-width times sort in time order and gives both
--     dialects the same order for handles, lists and paging ties.
--   * JSON columns are TEXT holding a JSON document, not JSONB: the
--     document comes back byte for byte as written, and JSONB would refuse
--     a \u0000 escape in a post's strings. No query looks inside one; the
--     backfill of 0002 casts to json.
--   * Booleans are BOOLEAN (SQLite: INTEGER 0 or 1; the driver maps Go's
--     bool to both).
--   * raw is BYTEA (SQLite: BLOB), the payload byte for byte.
--   * Counts and ids are BIGINT. flags.id is an identity column: a sequence
--     never hands out a value twice, even when a transaction rolls back,
--     so ids increase and are never reused, which the ListFlags cursor
--     relies on.

-- One row per post, exactly as captured, with the verdict on it. raw is the
-- platform payload byte for byte and raw_sha256 its lowercase hex SHA-256.
CREATE TABLE posts (
    platform    TEXT    COLLATE "C" NOT NULL,
    post_id     TEXT    COLLATE "C" NOT NULL,
    author_id   TEXT    COLLATE "C" NOT NULL,
    handle      TEXT    COLLATE "C" NOT NULL DEFAULT '',
    name        TEXT    COLLATE "C" NOT NULL DEFAULT '',
    text        TEXT    COLLATE "C" NOT NULL,
    created_at  TEXT    COLLATE "C",
    url         TEXT    COLLATE "C" NOT NULL DEFAULT '',
    lang        TEXT    COLLATE "C" NOT NULL DEFAULT '',
    captured_at TEXT    COLLATE "C",
    source      TEXT    COLLATE "C" NOT NULL DEFAULT '',
    raw         BYTEA   NOT NULL,
    raw_sha256  TEXT    COLLATE "C" NOT NULL,
    lexicon     TEXT    COLLATE "C" NOT NULL DEFAULT '',
    pipeline    TEXT    COLLATE "C" NOT NULL DEFAULT '',
    flagged     BOOLEAN NOT NULL DEFAULT FALSE,
    -- The verdict without its post (the columns above hold the post).
    verdict     TEXT    COLLATE "C",
    stored_at   TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (platform, post_id)
);

-- One row per flagged post: the unit a monitor reviews.
CREATE TABLE flags (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform        TEXT    COLLATE "C" NOT NULL,
    post_id         TEXT    COLLATE "C" NOT NULL,
    author_id       TEXT    COLLATE "C" NOT NULL,
    handle          TEXT    COLLATE "C" NOT NULL DEFAULT '',
    score           DOUBLE PRECISION NOT NULL DEFAULT 0,
    categories      TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    tags            TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    matches         TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    lists           TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    lexicon         TEXT    COLLATE "C" NOT NULL DEFAULT '',
    pipeline        TEXT    COLLATE "C" NOT NULL DEFAULT '',
    status          TEXT    COLLATE "C" NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'claimed', 'confirmed', 'dismissed', 'escalated')),
    created_at      TEXT    COLLATE "C" NOT NULL,
    post_created_at TEXT    COLLATE "C",
    UNIQUE (platform, post_id),
    FOREIGN KEY (platform, post_id) REFERENCES posts (platform, post_id)
);

-- Listing is newest first (ORDER BY id DESC); these serve the filters.
CREATE INDEX flags_by_status   ON flags (status, id);
CREATE INDEX flags_by_author   ON flags (author_id, id);
CREATE INDEX flags_by_platform ON flags (platform, id);

-- The categories of each flag, one row each, so that filtering on
-- "hate" is an exact match that never catches "hate_speech".
CREATE TABLE flag_categories (
    category TEXT   COLLATE "C" NOT NULL,
    flag_id  BIGINT NOT NULL REFERENCES flags (id),
    PRIMARY KEY (category, flag_id)
);
-- For deleting a flag's categories (re-judgement) and the foreign key.
CREATE INDEX flag_categories_by_flag ON flag_categories (flag_id);

-- Authors as the store aggregates them. A post is seen at the platform's
-- time, else at its capture time. handle and name are those of the latest
-- post that carried one (handle_seen and name_seen are that post's time, so
-- that posts arriving out of order do not bring back an old handle);
-- first_seen and last_seen span the account's stored posts.
CREATE TABLE accounts (
    platform    TEXT   COLLATE "C" NOT NULL,
    account_id  TEXT   COLLATE "C" NOT NULL,
    handle      TEXT   COLLATE "C" NOT NULL DEFAULT '',
    handle_seen TEXT   COLLATE "C",
    name        TEXT   COLLATE "C" NOT NULL DEFAULT '',
    name_seen   TEXT   COLLATE "C",
    post_count  BIGINT NOT NULL DEFAULT 0,
    flag_count  BIGINT NOT NULL DEFAULT 0,
    first_seen  TEXT   COLLATE "C" NOT NULL,
    last_seen   TEXT   COLLATE "C" NOT NULL,
    PRIMARY KEY (platform, account_id)
);

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
    platform   TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    handle     TEXT COLLATE "C" NOT NULL,
    first_seen TEXT COLLATE "C" NOT NULL,
    last_seen  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (platform, account_id, handle),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- An account's flags counted by category.
CREATE TABLE account_categories (
    platform   TEXT   COLLATE "C" NOT NULL,
    account_id TEXT   COLLATE "C" NOT NULL,
    category   TEXT   COLLATE "C" NOT NULL,
    flag_count BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, account_id, category),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
);

-- The account lists an account was found on.
CREATE TABLE account_lists (
    platform   TEXT COLLATE "C" NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    list       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (platform, account_id, list),
    FOREIGN KEY (platform, account_id) REFERENCES accounts (platform, account_id)
        DEFERRABLE INITIALLY DEFERRED
);
