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
