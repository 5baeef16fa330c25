package sqlstore

import (
	"context"
	"fmt"
	"maps"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
)

// queueClock is a store clock moved by hand, so that a claim lapses
// without a real wait and each write's flags have a creation time of
// their own.
type queueClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *queueClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *queueClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func mustCounts(tb testing.TB, s *Store) event.QueueCounts {
	tb.Helper()
	c, err := s.QueueCounts(context.Background())
	if err != nil {
		tb.Fatalf("QueueCounts: %v", err)
	}
	return c
}

// wantCounts compares got with want, At included, and with what ListFlags
// finds under each status (less unflagged, which it lists and the counts
// leave out).
func wantCounts(tb testing.TB, s *Store, step string, got, want event.QueueCounts, unflagged map[string]int) {
	tb.Helper()
	if !got.At.Equal(want.At) || got.Pending != want.Pending || got.Claimed != want.Claimed ||
		got.Escalated != want.Escalated || got.Confirmed != want.Confirmed || got.Dismissed != want.Dismissed ||
		!maps.Equal(got.ClaimedBy, want.ClaimedBy) || got.ClaimedBy == nil ||
		!got.OldestPending.Equal(want.OldestPending) || !got.OldestEscalated.Equal(want.OldestEscalated) {
		tb.Errorf("%s:\n got %+v\nwant %+v", step, got, want)
	}
	listed := map[string]int{event.StatusPending: got.Pending, event.StatusClaimed: got.Claimed,
		event.StatusEscalated: got.Escalated, event.StatusConfirmed: got.Confirmed, event.StatusDismissed: got.Dismissed}
	for st, n := range listed {
		if l := len(allFlags(tb, s, event.FlagFilter{Status: st, Limit: MaxFlagLimit})) - unflagged[st]; l != n {
			tb.Errorf("%s: %d %s counted, %d listed (less %d no longer flagged)", step, n, st, l, unflagged[st])
		}
	}
}

// TestQueueCounts follows one small queue through claims, decisions,
// escalation, lapsed claims and re-judgement, and checks the counts after
// each step against what they must be and against ListFlags.
func TestQueueCounts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		clock := &queueClock{t: t0.Add(24 * time.Hour)}
		s.now = clock.now

		empty := mustCounts(t, s)
		wantCounts(t, s, "empty store", empty, event.QueueCounts{At: clock.now(), ClaimedBy: map[string]int{}}, nil)

		// Flags 1 to 8, each created (classified) at an hour of its own,
		// out of id order, so that the oldest is never merely the first.
		hours := []int{0, 3, 1, 2, 6, 5, 4, 8, 7}
		created := func(i int) time.Time { return t0.Add(time.Duration(24+hours[i]) * time.Hour) }
		classified := func(at time.Time) option { return func(v *event.Verdict) { v.ClassifiedAt = at } }
		for i := 1; i <= 8; i++ {
			write(t, s, newVerdict("x", fmt.Sprintf("q%d", i), itoa(i%3), i, flagged("hate"), classified(created(i))))
			if _, id := currentVerdict(t, s, fmt.Sprintf("q%d", i)); id != int64(i) {
				t.Fatalf("post q%d has flag %d", i, id)
			}
		}
		at := t0.Add(48 * time.Hour)
		clock.set(at)
		wantCounts(t, s, "eight pending", mustCounts(t, s), event.QueueCounts{At: at, Pending: 8,
			ClaimedBy: map[string]int{}, OldestPending: created(2)}, nil)

		r := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r, "monitor-c", 3, event.QueueFilter{}, event.SortAge) // 1, 2, 3
		for id, d := range map[int64]string{1: event.DecisionConfirm, 2: event.DecisionDismiss, 3: event.DecisionEscalate} {
			mustDecide(t, r, event.DecisionRequest{FlagID: id, Decision: d, Reviewer: "monitor-c"})
		}
		mustClaim(t, r, "monitor-a", 2, event.QueueFilter{}, event.SortAge)                            // 4, 5
		mustClaim(t, r, "monitor-b", 1, event.QueueFilter{}, event.SortAge)                            // 6
		mustClaim(t, r, "admin-x", 1, event.QueueFilter{Status: event.StatusEscalated}, event.SortAge) // 3
		wantCounts(t, s, "claimed", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 2, Claimed: 4, Confirmed: 1, Dismissed: 1,
			ClaimedBy:     map[string]int{"monitor-a": 2, "monitor-b": 1, "admin-x": 1},
			OldestPending: created(8)}, nil)

		// The leases lapse: each flag is back in the queue it came from,
		// escalated included, and no one holds anything.
		at = at.Add(2 * time.Minute)
		clock.set(at)
		wantCounts(t, s, "claims lapsed", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 5, Escalated: 1, Confirmed: 1, Dismissed: 1, ClaimedBy: map[string]int{},
			OldestPending: created(6), OldestEscalated: created(3)}, nil)

		// Claimed again (fresh leases: the in-process ones run on the
		// real clock): the oldest pending flag is now the next one.
		r2 := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r2, "monitor-b", 1, event.QueueFilter{}, event.SortAge) // 4
		wantCounts(t, s, "claimed again", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 4, Claimed: 1, Escalated: 1, Confirmed: 1, Dismissed: 1,
			ClaimedBy:     map[string]int{"monitor-b": 1},
			OldestPending: created(6), OldestEscalated: created(3)}, nil)

		// Re-judged: the escalated flag 3, the claimed flag 4 and the
		// confirmed flag 1 are kept, no longer flagged; the pending flag 8
		// is deleted. None of them counts.
		for _, i := range []int{1, 3, 4, 8} {
			write(t, s, newVerdict("x", fmt.Sprintf("q%d", i), itoa(i%3), i, judged("lex@2", "", 0), classified(at)))
		}
		if _, id := currentVerdict(t, s, "q8"); id != 0 {
			t.Fatalf("pending flag 8 kept as %d after its post was no longer flagged", id)
		}
		wantCounts(t, s, "re-judged", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 3, Dismissed: 1, ClaimedBy: map[string]int{}, OldestPending: created(6)},
			map[string]int{event.StatusClaimed: 1, event.StatusEscalated: 1, event.StatusConfirmed: 1})

		// Released, flag 4 reads pending but stays out: it waits for no one.
		if got, err := r2.Release(ctx, "monitor-b", []int64{4}); err != nil || len(got) != 1 {
			t.Fatalf("Release: %v, %v", got, err)
		}
		unflagged := map[string]int{event.StatusPending: 1, event.StatusEscalated: 1, event.StatusConfirmed: 1}
		wantCounts(t, s, "released unflagged", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 3, Dismissed: 1, ClaimedBy: map[string]int{}, OldestPending: created(6)}, unflagged)

		// A claim set by hand, without reviewer or lease end, reads
		// claimed for good and is counted under no one.
		s.exec(t, `UPDATE flags SET status = 'claimed', claimed_by = NULL, claimed_from = NULL, lease_until = NULL
WHERE id = 6`)
		wantCounts(t, s, "claimed by hand", mustCounts(t, s), event.QueueCounts{At: at,
			Pending: 2, Claimed: 1, Dismissed: 1, ClaimedBy: map[string]int{}, OldestPending: created(5)}, unflagged)
	})
}

// TestQueueCountsOneSnapshot: counts read while decisions land always add
// up: every flag is in exactly one status, whatever moment the read sees.
func TestQueueCountsOneSnapshot(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		const n = 60
		s := reviewFixture(t, db, n)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				c, err := r.Claim(ctx, "monitor-a", 5, event.QueueFilter{}, event.SortAge)
				if err != nil || len(c.Flags) == 0 {
					done <- err
					return
				}
				for i, f := range c.Flags {
					d := []string{event.DecisionConfirm, event.DecisionDismiss, event.DecisionEscalate}[(int(f.ID)+i)%3]
					if _, err := r.Decide(ctx, event.DecisionRequest{FlagID: f.ID, Decision: d, Reviewer: "monitor-a"}); err != nil {
						done <- err
						return
					}
				}
			}
		}()
		reads := 0
		for finished := false; !finished; reads++ {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("review: %v", err)
				}
				finished = true
			default:
			}
			c := mustCounts(t, s)
			if sum := c.Pending + c.Claimed + c.Escalated + c.Confirmed + c.Dismissed; sum != n || c.Claimed != c.ClaimedBy["monitor-a"] {
				t.Fatalf("read %d: %+v adds up to %d of %d flags", reads, c, sum, n)
			}
		}
		if c := mustCounts(t, s); c.Pending != 0 || c.Claimed != 0 || c.Escalated+c.Confirmed+c.Dismissed != n {
			t.Errorf("after the queue ran dry: %+v", c)
		}
	})
}

// BenchmarkQueueCounts measures QueueCounts on a large queue, on
// PostgreSQL and SQLite: VIGIL_BENCH_FLAGS pending flags (default
// 100,000) seeded through WriteVerdicts as the review benchmark seeds
// them, with 100 flags claimed by each of 20 monitors (half of those
// claims lapsed) and 1,000 escalated; then, when VIGIL_BENCH_DECIDED is
// set, that many of the pending flags confirmed or dismissed (by hand, as
// history piles up). It takes a minute or more per dialect:
//
//	cd store && GOWORK=off go test -run '^$' -bench QueueCounts -timeout 60m ./sqlstore/
//
// It measures the schema as migrated (sub-benchmark "schema"); with
// VIGIL_BENCH_INDEX set it then adds by hand the index that QueueCounts'
// comment proposes and measures again ("proposed-index"). All data is
// synthetic.
func BenchmarkQueueCounts(b *testing.B) {
	flags := benchEnvInt(b, "VIGIL_BENCH_FLAGS", 100_000)
	decided := benchEnvIntZero(b, "VIGIL_BENCH_DECIDED", 0)
	for _, db := range testDBs {
		b.Run(db.name, func(b *testing.B) {
			// The default pools, as the api runs with.
			cfg := db.config(b)
			cfg.ReadConns, cfg.WriteConns = 0, 0
			s := openConfig(b, cfg)
			start := time.Now()
			seedReviewBench(b, s, flags, 50_000)
			seeded := time.Since(start)
			// Claims: 20 monitors × 100 flags, the first ten monitors'
			// lapsed; 1,000 flags escalated; then the decided history.
			until := encodeTime(time.Now().Add(time.Hour))
			lapsed := encodeTime(time.Now().Add(-time.Hour))
			for m := range 20 {
				lease := until
				if m < 10 {
					lease = lapsed
				}
				s.exec(b, `UPDATE flags SET status = 'claimed', claimed_by = ?, claimed_from = 'pending', lease_until = ?
WHERE id > ? AND id <= ?`, fmt.Sprintf("monitor-%d", m), lease, m*100, (m+1)*100)
			}
			s.exec(b, `UPDATE flags SET status = 'escalated' WHERE id > 2000 AND id <= 3000`)
			if decided > 0 {
				s.exec(b, `UPDATE flags SET status = CASE WHEN id % 2 = 0 THEN 'confirmed' ELSE 'dismissed' END
WHERE id > 3000 AND id <= ?`, 3000+decided)
			}
			benchAnalyze(b, s)
			c := mustCounts(b, s)
			b.Logf("%s: seeded %d flags in %s; counts %+v", db.name, flags, seeded.Round(time.Second), c)
			if got := c.Pending + c.Claimed + c.Escalated + c.Confirmed + c.Dismissed; got != flags || c.Claimed != 1000 {
				b.Fatalf("counts %+v add up to %d of %d flags", c, got, flags)
			}
			run := func(b *testing.B) {
				if os.Getenv("VIGIL_BENCH_EXPLAIN") != "" {
					explainQueueCounts(b, s)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := s.QueueCounts(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.Run("schema", run)
			if os.Getenv("VIGIL_BENCH_INDEX") != "" {
				// The index QueueCounts' comment proposes, made by hand.
				s.exec(b, `CREATE INDEX flags_counted ON flags (status, created_at) WHERE unflagged_at IS NULL`)
				benchAnalyze(b, s)
				b.Run("proposed-index", run)
			}
		})
	}
}

// explainQueueCounts logs the plans of QueueCounts' two queries.
func explainQueueCounts(b *testing.B, s *Store) {
	explain := "EXPLAIN (ANALYZE, BUFFERS) "
	if s.d == &sqliteDialect {
		explain = "EXPLAIN QUERY PLAN "
	}
	now := encodeTime(time.Now())
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{claimCounts, []any{now, now}},
		{statusCounts, nil},
	} {
		rows, err := s.read.Query(explain+s.d.rebind(q.sql), q.args...)
		if err != nil {
			b.Fatal(err)
		}
		cols, _ := rows.Columns()
		var plan string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
			plan += fmt.Sprintln(vals...)
		}
		rows.Close()
		b.Logf("%s:\n%s", s.d.name, plan)
	}
}
