-- 0002: the lexicon hash of the current verdict, every verdict received,
-- and re-judgement (a later verdict from other lexicons replaces the
-- current one; see WriteVerdicts).
--
-- Conventions as in 0001. The backfills read the verdict JSON of 0001's
-- posts.verdict with SQLite's JSON functions; PostgreSQL's migration does
-- the same with its jsonb operators.

-- The current verdict's lexicon hash ("sha256:<hex>", '' when the verdict
-- had none) and classification time, beside posts.lexicon and
-- posts.pipeline.
ALTER TABLE posts ADD COLUMN lexicon_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN classified_at TEXT;

-- A flag records the lexicon hash of the verdict that last set its
-- content. unflagged_at is set when a later verdict stopped flagging the
-- post while the flag had already been reviewed (status other than
-- 'pending'): such a flag is kept, with its review, and no longer counts
-- in the account aggregates; a pending flag is deleted instead. It is
-- cleared when a later verdict flags the post again.
ALTER TABLE flags ADD COLUMN lexicon_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN unflagged_at TEXT;

-- One row per distinct verdict received for a post, whether or not it
-- became the current one: the first, every re-judgement, and verdicts that
-- lost to a later one. A redelivered verdict has the same key and adds
-- nothing. raw_sha256 is the payload the verdict judged; the JSON columns
-- hold arrays ([] when empty).
CREATE TABLE verdict_history (
    platform      TEXT    NOT NULL,
    post_id       TEXT    NOT NULL,
    lexicon       TEXT    NOT NULL DEFAULT '',
    lexicon_hash  TEXT    NOT NULL DEFAULT '',
    pipeline      TEXT    NOT NULL DEFAULT '',
    classified_at TEXT,
    raw_sha256    TEXT    NOT NULL DEFAULT '',
    flagged       INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    score         REAL    NOT NULL DEFAULT 0,
    categories    TEXT    NOT NULL DEFAULT '[]',
    tags          TEXT    NOT NULL DEFAULT '[]',
    matches       TEXT    NOT NULL DEFAULT '[]',
    lists         TEXT    NOT NULL DEFAULT '[]',
    received_at   TEXT    NOT NULL,
    FOREIGN KEY (platform, post_id) REFERENCES posts (platform, post_id)
) STRICT;

-- The key of a verdict; an unknown classification time counts as one value
-- (a plain UNIQUE would let NULLs repeat). It also serves reads by post.
CREATE UNIQUE INDEX verdict_history_key
    ON verdict_history (platform, post_id, lexicon, lexicon_hash, COALESCE(classified_at, ''));

-- Backfill. Go writes times in JSON as RFC 3339 with as many fractional
-- digits as needed and the time's own offset; the store's form is UTC with
-- nine digits. The seconds are converted to UTC without the fraction (so
-- that no rounding can carry into them) and the fraction is padded; Go's
-- zero time is NULL.
CREATE TEMP TABLE backfill (
    platform      TEXT NOT NULL,
    post_id       TEXT NOT NULL,
    lexicon_hash  TEXT NOT NULL,
    classified_at TEXT,
    PRIMARY KEY (platform, post_id)
) WITHOUT ROWID;

INSERT INTO backfill (platform, post_id, lexicon_hash, classified_at)
SELECT platform, post_id,
    COALESCE(json_extract(verdict, '$.lexicon_hash'), ''),
    CASE WHEN ts IS NULL OR ts = '0001-01-01T00:00:00Z' THEN NULL
        ELSE strftime('%Y-%m-%dT%H:%M:%S',
                substr(ts, 1, 19) || CASE WHEN ts LIKE '%Z' THEN 'Z' ELSE substr(ts, -6) END)
            || '.' || substr(CASE WHEN substr(ts, 20, 1) = '.'
                THEN substr(ts, 21, length(ts) - 20 - CASE WHEN ts LIKE '%Z' THEN 1 ELSE 6 END)
                ELSE '' END || '000000000', 1, 9) || 'Z'
    END
FROM (SELECT platform, post_id, verdict, json_extract(verdict, '$.classified_at') AS ts
    FROM posts WHERE verdict IS NOT NULL);

UPDATE posts SET
    lexicon_hash = (SELECT b.lexicon_hash FROM backfill b
        WHERE b.platform = posts.platform AND b.post_id = posts.post_id),
    classified_at = (SELECT b.classified_at FROM backfill b
        WHERE b.platform = posts.platform AND b.post_id = posts.post_id)
WHERE verdict IS NOT NULL;

UPDATE flags SET lexicon_hash = (SELECT p.lexicon_hash FROM posts p
    WHERE p.platform = flags.platform AND p.post_id = flags.post_id);

INSERT INTO verdict_history (platform, post_id, lexicon, lexicon_hash, pipeline, classified_at,
    raw_sha256, flagged, score, categories, tags, matches, lists, received_at)
SELECT platform, post_id, lexicon, lexicon_hash, pipeline, classified_at, raw_sha256, flagged,
    COALESCE(json_extract(verdict, '$.score'), 0),
    COALESCE(json_extract(verdict, '$.categories'), '[]'),
    COALESCE(json_extract(verdict, '$.tags'), '[]'),
    COALESCE(json_extract(verdict, '$.matches'), '[]'),
    COALESCE(json_extract(verdict, '$.lists'), '[]'),
    stored_at
FROM posts WHERE verdict IS NOT NULL;

DROP TABLE backfill;
