-- 0002: the lexicon hash of the current verdict, every verdict received,
-- and re-judgement (a later verdict from other lexicons replaces the
-- current one; see WriteVerdicts). The same schema as
-- migrations/sqlite/0002_verdict_history.sql.
--
-- Conventions as in 0001. The backfills read the verdict JSON of 0001's
-- posts.verdict with the json type's operators (json, not jsonb: it keeps
-- each value's text as written, as SQLite's json_extract returns it).

-- The current verdict's lexicon hash ("sha256:<hex>", '' when the verdict
-- had none) and classification time, beside posts.lexicon and
-- posts.pipeline.
ALTER TABLE posts ADD COLUMN lexicon_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN classified_at TEXT COLLATE "C";

-- A flag records the lexicon hash of the verdict that last set its
-- content. unflagged_at is set when a later verdict stopped flagging the
-- post while the flag had already been reviewed (status other than
-- 'pending'): such a flag is kept, with its review, and no longer counts
-- in the account aggregates; a pending flag is deleted instead. It is
-- cleared when a later verdict flags the post again.
ALTER TABLE flags ADD COLUMN lexicon_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN unflagged_at TEXT COLLATE "C";

-- One row per distinct verdict received for a post, whether or not it
-- became the current one: the first, every re-judgement, and verdicts that
-- lost to a later one. A redelivered verdict has the same key and adds
-- nothing. raw_sha256 is the payload the verdict judged; the JSON columns
-- hold arrays ([] when empty).
CREATE TABLE verdict_history (
    platform      TEXT    COLLATE "C" NOT NULL,
    post_id       TEXT    COLLATE "C" NOT NULL,
    lexicon       TEXT    COLLATE "C" NOT NULL DEFAULT '',
    lexicon_hash  TEXT    COLLATE "C" NOT NULL DEFAULT '',
    pipeline      TEXT    COLLATE "C" NOT NULL DEFAULT '',
    classified_at TEXT    COLLATE "C",
    raw_sha256    TEXT    COLLATE "C" NOT NULL DEFAULT '',
    flagged       BOOLEAN NOT NULL DEFAULT FALSE,
    score         DOUBLE PRECISION NOT NULL DEFAULT 0,
    categories    TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    tags          TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    matches       TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    lists         TEXT    COLLATE "C" NOT NULL DEFAULT '[]',
    received_at   TEXT    COLLATE "C" NOT NULL,
    FOREIGN KEY (platform, post_id) REFERENCES posts (platform, post_id)
);

-- The key of a verdict; an unknown classification time counts as one value
-- (a plain UNIQUE would let NULLs repeat). It also serves reads by post.
CREATE UNIQUE INDEX verdict_history_key
    ON verdict_history (platform, post_id, lexicon, lexicon_hash, COALESCE(classified_at, ''));

-- Backfill. Go writes times in JSON as RFC 3339 with as many fractional
-- digits as needed and the time's own offset; the store's form is UTC with
-- nine digits. The seconds are converted to UTC without the fraction (so
-- that no rounding can carry into them, and timestamptz's microseconds
-- lose nothing) and the fraction is padded; Go's zero time is NULL.
UPDATE posts SET lexicon_hash = b.lexicon_hash, classified_at = b.classified_at
FROM (
    SELECT platform, post_id,
        COALESCE(v ->> 'lexicon_hash', '') AS lexicon_hash,
        CASE WHEN ts IS NULL OR ts = '0001-01-01T00:00:00Z' THEN NULL
            ELSE to_char((substr(ts, 1, 19) || CASE WHEN ts LIKE '%Z' THEN 'Z' ELSE right(ts, 6) END)::timestamptz
                    AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                || '.' || substr(CASE WHEN substr(ts, 20, 1) = '.'
                    THEN substr(ts, 21, length(ts) - 20 - CASE WHEN ts LIKE '%Z' THEN 1 ELSE 6 END)
                    ELSE '' END || '000000000', 1, 9) || 'Z'
        END AS classified_at
    FROM (SELECT platform, post_id, verdict::json AS v, verdict::json ->> 'classified_at' AS ts
        FROM posts WHERE verdict IS NOT NULL) j
) b
WHERE posts.platform = b.platform AND posts.post_id = b.post_id;

UPDATE flags SET lexicon_hash = p.lexicon_hash
FROM posts p WHERE p.platform = flags.platform AND p.post_id = flags.post_id;

-- A JSON null or a missing array is '[]', as SQLite's json_extract (SQL
-- NULL for both) and COALESCE make it.
INSERT INTO verdict_history (platform, post_id, lexicon, lexicon_hash, pipeline, classified_at,
    raw_sha256, flagged, score, categories, tags, matches, lists, received_at)
SELECT platform, post_id, lexicon, lexicon_hash, pipeline, classified_at, raw_sha256, flagged,
    COALESCE((v ->> 'score')::double precision, 0),
    CASE WHEN json_typeof(v -> 'categories') = 'array' THEN (v -> 'categories')::text ELSE '[]' END,
    CASE WHEN json_typeof(v -> 'tags') = 'array' THEN (v -> 'tags')::text ELSE '[]' END,
    CASE WHEN json_typeof(v -> 'matches') = 'array' THEN (v -> 'matches')::text ELSE '[]' END,
    CASE WHEN json_typeof(v -> 'lists') = 'array' THEN (v -> 'lists')::text ELSE '[]' END,
    stored_at
FROM (SELECT *, verdict::json AS v FROM posts WHERE verdict IS NOT NULL) p;
