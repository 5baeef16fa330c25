-- 0005: the review queue and its decisions.
--
-- Conventions as in 0001. The PostgreSQL migration has the same columns.

-- A claim is a lease (store/leases: Redis or in process) mirrored here, so
-- that readers see who holds a flag and until when, and so that a decision
-- lands exactly once: while a monitor holds a flag, its status is
-- 'claimed', claimed_by is the monitor's pseudonym, claimed_from the
-- status it was claimed from (the queue it returns to: 'pending' or
-- 'escalated') and lease_until when the lease lapses. A lapsed claim is
-- read as claimed_from (see flagquery.go) and may be claimed again; a
-- decision or a release clears the three columns, which only a claimed flag
-- holds. (A flag set to 'claimed' without them, by hand or before 0005,
-- reads as claimed and is never handed out.)
ALTER TABLE flags ADD COLUMN claimed_by TEXT;
ALTER TABLE flags ADD COLUMN claimed_from TEXT
    CHECK (claimed_from IN ('pending', 'escalated'));
ALTER TABLE flags ADD COLUMN lease_until TEXT
    CHECK (status = 'claimed' OR (claimed_by IS NULL AND claimed_from IS NULL AND lease_until IS NULL));

-- The queue's orders over the flags that may be handed out from the first
-- level (a claim's query repeats the WHERE so that the index applies).
CREATE INDEX flags_queue_by_score ON flags (score DESC, id) WHERE status IN ('pending', 'claimed');
CREATE INDEX flags_queue_by_age   ON flags (id) WHERE status IN ('pending', 'claimed');

-- One row per decision: a pending flag takes one (level 'pending'), an
-- escalated one a second (level 'escalated'); the unique key makes a
-- second decision at one level impossible. reviewer is the monitor's
-- pseudonym, never a name. note and translation are the monitor's text,
-- as the console shows it; an evidence pack exports translations, never
-- reviewers.
CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    flag_id     INTEGER NOT NULL REFERENCES flags (id),
    level       TEXT    NOT NULL CHECK (level IN ('pending', 'escalated')),
    decision    TEXT    NOT NULL CHECK (decision IN ('confirm', 'dismiss', 'escalate')),
    note        TEXT    NOT NULL DEFAULT '',
    translation TEXT    NOT NULL DEFAULT '',
    reviewer    TEXT    NOT NULL,
    decided_at  TEXT    NOT NULL,
    UNIQUE (flag_id, level),
    CHECK (level = 'pending' OR decision <> 'escalate')
) STRICT;

CREATE INDEX decisions_by_reviewer ON decisions (reviewer, id);
