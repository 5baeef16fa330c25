-- 0005: the review queue and its decisions.
--
-- Conventions as in 0001 (times as fixed-width text, text COLLATE "C").

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
ALTER TABLE flags ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE flags ADD COLUMN claimed_from TEXT COLLATE "C"
    CHECK (claimed_from IN ('pending', 'escalated'));
ALTER TABLE flags ADD COLUMN lease_until TEXT COLLATE "C";
ALTER TABLE flags ADD CONSTRAINT flags_claim_mirror
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
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    flag_id     BIGINT NOT NULL REFERENCES flags (id),
    level       TEXT   COLLATE "C" NOT NULL CHECK (level IN ('pending', 'escalated')),
    decision    TEXT   COLLATE "C" NOT NULL CHECK (decision IN ('confirm', 'dismiss', 'escalate')),
    note        TEXT   COLLATE "C" NOT NULL DEFAULT '',
    translation TEXT   COLLATE "C" NOT NULL DEFAULT '',
    reviewer    TEXT   COLLATE "C" NOT NULL,
    decided_at  TEXT   COLLATE "C" NOT NULL,
    UNIQUE (flag_id, level),
    CHECK (level = 'pending' OR decision <> 'escalate')
);

CREATE INDEX decisions_by_reviewer ON decisions (reviewer, id);
