-- 0010: a flag carries the target groups, regions and places its post
-- names (the verdict's groups, regions and places: event.Verdict), for
-- the review filters and the early-warning breakdown by region and group.
-- The same columns as migrations/sqlite/0010_flag_groups_regions.sql.
--
-- Conventions as in 0001: JSON arrays of strings as text, [] when empty,
-- like tags. The column of the groups is target_groups (GROUPS is a
-- keyword of window frames, in PostgreSQL and in SQLite).
--
-- Nothing is backfilled: a verdict stored before 0010 came from a
-- classifier without a gazetteer or target groups, so its flag has none.
-- Re-judging the stored posts with the new lexicons and gazetteer
-- (`vigil replay --apply`) fills them, since the gazetteer is part of the
-- lexicon hash. Adding a column with a constant default rewrites no row
-- (PostgreSQL 11 and later), so this is quick on a large store.
ALTER TABLE flags ADD COLUMN target_groups TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE flags ADD COLUMN regions       TEXT COLLATE "C" NOT NULL DEFAULT '[]';
ALTER TABLE flags ADD COLUMN places        TEXT COLLATE "C" NOT NULL DEFAULT '[]';

-- The regions and groups of each flag again, one row each, as
-- flag_categories holds its categories: the region and group filters of
-- the queue and the flags list read this index instead of parsing every
-- flag's JSON (a claim filtered by a rare region read a million flags'
-- arrays, about a second; through the index it reads that region's
-- flags). kind is 'region' or 'group'.
CREATE TABLE flag_labels (
    kind    TEXT   COLLATE "C" NOT NULL,
    value   TEXT   COLLATE "C" NOT NULL,
    flag_id BIGINT NOT NULL REFERENCES flags (id),
    PRIMARY KEY (kind, value, flag_id)
);
-- For deleting a flag's labels (re-judgement) and the foreign key.
CREATE INDEX flag_labels_by_flag ON flag_labels (flag_id);
