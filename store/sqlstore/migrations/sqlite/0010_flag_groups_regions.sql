-- 0010: a flag carries the target groups, regions and places its post
-- names (the verdict's groups, regions and places: event.Verdict), for
-- the review filters and the early-warning breakdown by region and group.
--
-- Conventions as in 0001: JSON arrays of strings, [] when empty, like
-- tags. The column of the groups is target_groups (GROUPS is an SQL
-- keyword in SQLite's window frames and in PostgreSQL).
--
-- Nothing is backfilled: a verdict stored before 0010 came from a
-- classifier without a gazetteer or target groups, so its flag has none.
-- Re-judging the stored posts with the new lexicons and gazetteer
-- (`vigil replay --apply`) fills them, since the gazetteer is part of the
-- lexicon hash. Adding a column with a constant default rewrites no row,
-- in SQLite and in PostgreSQL, so this is quick on a large store.
ALTER TABLE flags ADD COLUMN target_groups TEXT NOT NULL DEFAULT '[]';
ALTER TABLE flags ADD COLUMN regions       TEXT NOT NULL DEFAULT '[]';
ALTER TABLE flags ADD COLUMN places        TEXT NOT NULL DEFAULT '[]';

-- The regions and groups of each flag again, one row each, as
-- flag_categories holds its categories: the region and group filters read
-- this index instead of parsing every flag's JSON. kind is 'region' or
-- 'group'.
CREATE TABLE flag_labels (
    kind    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    flag_id INTEGER NOT NULL REFERENCES flags (id),
    PRIMARY KEY (kind, value, flag_id)
) STRICT, WITHOUT ROWID;
-- For deleting a flag's labels (re-judgement).
CREATE INDEX flag_labels_by_flag ON flag_labels (flag_id);
