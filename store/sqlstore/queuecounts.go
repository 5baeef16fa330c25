package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/event"
)

var _ event.QueueCounter = (*Store)(nil)

// QueueCounts implements event.QueueCounter: the review backlog, read in
// one read transaction so that the numbers add up to one moment (At).
//
// The counts are of statuses as read (statusAsRead): a lapsed claim counts
// in the queue it was claimed from and its reviewer no longer holds it.
// Flags a later verdict stopped flagging (unflagged_at set) are left out
// everywhere, as a claim leaves them out and as an account's view counts
// them apart: they no longer wait for anyone, and a reviewed one keeps
// its review without being part of the backlog.
//
// It reads index ranges, never the whole flags table: the rows claimed
// (few; lapsed ones are sorted back into their queues here), then the
// range of flags_by_status of each other status. But it visits the row of
// every flag counted (unflagged_at and created_at are in no index), so
// its cost grows with the backlog and with the decided history (about
// 1 µs a flag: see BenchmarkQueueCounts). A partial index on (status,
// created_at) WHERE unflagged_at IS NULL would let both queries count
// from the index alone and find each queue's oldest flag at its start;
// the benchmark measures it with VIGIL_BENCH_INDEX set.
func (s *Store) QueueCounts(ctx context.Context) (event.QueueCounts, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return event.QueueCounts{}, fmt.Errorf("queue counts: %w", err)
	}
	defer tx.Rollback()
	c, err := queueCounts(ctx, tx)
	if err != nil {
		return event.QueueCounts{}, fmt.Errorf("queue counts: %w", err)
	}
	return c, nil
}

// claimCounts counts the flags whose row says claimed, few (bounded by
// the monitors' claims that have not been taken again), by status as read
// and by the reviewer of a running claim, with the oldest of each; its two
// arguments are the read time. A claim without a lease end (set by hand,
// or before 0005) reads as claimed and never lapses, as ListFlags'
// "claimed" filter has it; it has no reviewer to count it under.
const claimCounts = `SELECT ` + statusAsRead + ` AS st,
	CASE WHEN f.lease_until > ? THEN f.claimed_by END AS holder,
	COUNT(*), MIN(f.created_at)
FROM flags f
WHERE f.status = 'claimed' AND f.unflagged_at IS NULL
GROUP BY st, holder`

// statusCounts counts every other flag by status, with the oldest of
// each (used for the two queues). It reads one range of flags_by_status
// per status, and the rows for unflagged_at and created_at.
const statusCounts = `SELECT f.status, COUNT(*), MIN(f.created_at)
FROM flags f
WHERE f.status IN ('pending', 'escalated', 'confirmed', 'dismissed') AND f.unflagged_at IS NULL
GROUP BY f.status`

func queueCounts(ctx context.Context, tx *tx) (event.QueueCounts, error) {
	c := event.QueueCounts{At: tx.now, ClaimedBy: map[string]int{}}
	now := encodeTime(tx.now)
	rows, err := tx.query(ctx, claimCounts, now, now)
	if err != nil {
		return c, fmt.Errorf("claims: %w", err)
	}
	for rows.Next() {
		var st string
		var holder sql.NullString
		var n int
		var oldest time.Time
		if err := rows.Scan(&st, &holder, &n, timeColumn{&oldest}); err != nil {
			rows.Close()
			return c, fmt.Errorf("claims: %w", err)
		}
		add(&c, st, n, oldest)
		if holder.Valid {
			c.ClaimedBy[holder.String] += n
		}
	}
	if err := closeRows(rows); err != nil {
		return c, fmt.Errorf("claims: %w", err)
	}

	rows, err = tx.query(ctx, statusCounts)
	if err != nil {
		return c, fmt.Errorf("statuses: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		var oldest time.Time
		if err := rows.Scan(&st, &n, timeColumn{&oldest}); err != nil {
			rows.Close()
			return c, fmt.Errorf("statuses: %w", err)
		}
		add(&c, st, n, oldest)
	}
	if err := closeRows(rows); err != nil {
		return c, fmt.Errorf("statuses: %w", err)
	}
	return c, nil
}

// add counts n flags of status as read st, the oldest created at oldest
// (zero when not asked for).
func add(c *event.QueueCounts, st string, n int, oldest time.Time) {
	earliest := func(t *time.Time) {
		if !oldest.IsZero() && (t.IsZero() || oldest.Before(*t)) {
			*t = oldest
		}
	}
	switch st {
	case event.StatusPending:
		c.Pending += n
		earliest(&c.OldestPending)
	case event.StatusClaimed:
		c.Claimed += n
	case event.StatusEscalated:
		c.Escalated += n
		earliest(&c.OldestEscalated)
	case event.StatusConfirmed:
		c.Confirmed += n
	case event.StatusDismissed:
		c.Dismissed += n
	}
}
