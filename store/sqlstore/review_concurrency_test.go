package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/internal/redistest"
	"github.com/vigilhq/vigil/store/leases"
)

// TestReviewConcurrent is the queue under load: twenty monitors claim and
// decide over 10,000 flags at once, on SQLite with the in-process leases
// (the embedded mode) and on PostgreSQL with Redis (several replicas).
// Half the monitors decide a batch in bulk, half one flag at a time. Some
// "crash": they claim a batch and walk away from it; with a short lease TTL
// the others then claim and decide those flags. The test checks that no
// flag is ever handed to two monitors at once, that every flag is decided
// exactly once (decisions rows, statuses, audit entries) and that every
// abandoned flag was recovered, decided after its lease ended.
func TestReviewConcurrent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		db     testDB
		leases func(t *testing.T) event.Leases
		ttl    time.Duration
		batch  int
	}{
		// SQLite writes through one connection: with twenty monitors
		// (and the race detector) a batch of decisions waits its turn
		// long, so its leases are longer. PostgreSQL's are short enough
		// that crashed claims come back many times within the run, and
		// long enough that a loaded machine (CI, the race detector) does
		// not let most leases lapse before their decisions.
		{"sqlite/memory", sqliteDB, func(*testing.T) event.Leases { return leases.NewMemory() }, 3 * time.Second, 10},
		{"postgres/redis", postgresDB, func(t *testing.T) event.Leases {
			return leases.NewRedis(redistest.Client(t), redistest.Prefix(t))
		}, time.Second, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// One at a time: the machine has two cores, and each case
			// is meant to load the store on its own.
			runConcurrentReview(t, tc.db, tc.leases(t), tc.ttl, tc.batch)
		})
	}
}

// handout is one flag handed to a monitor by a claim.
type handout struct {
	monitor string
	until   time.Time // the claim's lease_expires_at
	got     time.Time // when the claim returned
}

func runConcurrentReview(t *testing.T, db testDB, l event.Leases, ttl time.Duration, batch int) {
	const (
		flags    = 10000
		monitors = 20
	)
	start := time.Now()
	s := db.open(t)
	vs := make([]event.Verdict, 0, 500)
	for i := range flags {
		vs = append(vs, newVerdict("x", fmt.Sprintf("c%d", i), itoa(i%97), i%1440, flagged("hate"), withScore(float64(i%13))))
		if len(vs) == cap(vs) {
			write(t, s, vs...)
			vs = vs[:0]
		}
	}
	t.Logf("seeded %d flags in %v", flags, time.Since(start))
	start = time.Now()

	r := NewReview(s, l, ttl)
	// About a minute on this machine when nothing else runs; the bound is
	// for a loaded one (a CI runner, the race detector, a benchmark).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	var (
		mu        sync.Mutex
		handouts  = map[int64][]handout{}
		abandoned = map[int64]time.Time{} // flag: when its abandoned lease ends
		decidedBy = map[int64]string{}
		decidedAt = map[int64]time.Time{}
		problems  []string
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	var decided, lapsed, crashes atomic.Int64
	sorts := []string{event.SortSeverity, event.SortAge, event.SortNewest, event.SortScore}

	var wg sync.WaitGroup
	for m := range monitors {
		monitor := fmt.Sprintf("monitor-%d", m)
		rng := rand.New(rand.NewPCG(uint64(m), 7))
		wg.Go(func() {
			for ctx.Err() == nil && decided.Load() < flags {
				c, err := r.Claim(ctx, monitor, batch, event.QueueFilter{}, sorts[m%len(sorts)])
				if err != nil {
					if ctx.Err() == nil {
						problem("%s: claim: %v", monitor, err)
					}
					return
				}
				now := time.Now()
				mu.Lock()
				for _, f := range c.Flags {
					if f.LeaseExpiresAt.Before(c.LeaseExpiresAt) {
						problems = append(problems, fmt.Sprintf("flag %d leased until %v, before the claim's %v", f.ID, f.LeaseExpiresAt, c.LeaseExpiresAt))
					}
					handouts[f.ID] = append(handouts[f.ID], handout{monitor: monitor, until: f.LeaseExpiresAt, got: now})
				}
				mu.Unlock()
				if len(c.Flags) == 0 {
					time.Sleep(20 * time.Millisecond) // abandoned flags still leased
					continue
				}
				// Every fifth monitor crashes on one claim in four: it
				// walks away without deciding or releasing.
				if m%5 == 0 && rng.IntN(4) == 0 {
					crashes.Add(1)
					mu.Lock()
					for _, f := range c.Flags {
						abandoned[f.ID] = f.LeaseExpiresAt
					}
					mu.Unlock()
					continue
				}
				reqs := make([]event.DecisionRequest, len(c.Flags))
				for i, f := range c.Flags {
					d := []string{event.DecisionConfirm, event.DecisionDismiss, event.DecisionEscalate}[rng.IntN(3)]
					reqs[i] = event.DecisionRequest{FlagID: f.ID, Decision: d, Reviewer: monitor}
					if i == 0 {
						reqs[i].Note, reqs[i].Translation = "synthetic note", "synthetic translation"
					}
				}
				// Half the monitors decide a batch at once, half one by one.
				var results []event.DecisionResult
				if m%2 == 0 {
					results, err = r.DecideBulk(ctx, reqs)
					if err != nil {
						if ctx.Err() == nil {
							problem("%s: decide bulk: %v", monitor, err)
						}
						return
					}
				} else {
					for _, req := range reqs {
						fl, err := r.Decide(ctx, req)
						res := event.DecisionResult{FlagID: req.FlagID, Err: err}
						if err == nil {
							res.Flag = &fl
						}
						results = append(results, res)
					}
				}
				for i, res := range results {
					req := reqs[i]
					switch err := res.Err; {
					case err == nil:
						if res.Flag.Status != event.DecisionStatus(req.Decision) {
							problem("flag %d decided %s reads %s", req.FlagID, req.Decision, res.Flag.Status)
						}
						now := time.Now()
						mu.Lock()
						if prev, ok := decidedBy[req.FlagID]; ok {
							problems = append(problems, fmt.Sprintf("flag %d decided by %s and by %s", req.FlagID, prev, monitor))
						}
						decidedBy[req.FlagID], decidedAt[req.FlagID] = monitor, now
						mu.Unlock()
						decided.Add(1)
					case event.ErrorCode(err) == event.ECONFLICT:
						// This monitor was too slow: its lease lapsed
						// and the flag went back to the queue.
						lapsed.Add(1)
					case ctx.Err() != nil:
					default:
						problem("%s: decide flag %d: %v", monitor, req.FlagID, err)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// No flag was handed to a monitor while another's lease on it ran.
	// A claim reads a lease's end before taking it, so a handout's span
	// (from the claim's return to that end) lies within the lease: the
	// spans of one flag never overlap. The monitor that decided a flag
	// was handed it.
	var recovered int
	for id, hs := range handouts {
		slices.SortFunc(hs, func(a, b handout) int { return a.got.Compare(b.got) })
		var last handout
		for _, h := range hs {
			if !h.until.After(h.got) {
				continue // the claim returned after its lease ended
			}
			if h.got.Before(last.until) {
				problem("flag %d handed to %s at %v while %s held it until %v", id, h.monitor, h.got, last.monitor, last.until)
			}
			last = h
		}
		if d, ok := decidedBy[id]; ok && !slices.ContainsFunc(hs, func(h handout) bool { return h.monitor == d }) {
			problem("flag %d decided by %s, who was never handed it", id, d)
		}
		if until, ok := abandoned[id]; ok && decidedBy[id] != "" {
			if decidedAt[id].Before(until) {
				problem("abandoned flag %d decided at %v, before its lease ended at %v", id, decidedAt[id], until)
			}
			recovered++
		}
	}
	t.Logf("%d decisions by %d monitors in %v (%.0f/s); %d crashed claims, %d flags recovered, %d decisions refused for a lapsed lease",
		decided.Load(), monitors, elapsed, float64(decided.Load())/elapsed.Seconds(), crashes.Load(), recovered, lapsed.Load())
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("and %d more problems", len(problems)-20))
	}
	for _, p := range problems {
		t.Error(p)
	}
	if err := ctx.Err(); err != nil {
		t.Fatalf("the monitors did not finish in time: %d of %d flags decided", decided.Load(), flags)
	}
	if crashes.Load() == 0 || len(abandoned) == 0 || recovered != len(abandoned) {
		t.Errorf("%d crashed claims abandoned %d flags, %d recovered: want some, all recovered", crashes.Load(), len(abandoned), recovered)
	}
	if len(decidedBy) != flags {
		t.Errorf("%d flags decided, want %d", len(decidedBy), flags)
	}

	// The store agrees: one decision per flag, every flag decided, one
	// audit entry per decision, and the chain intact.
	var rowsN, distinct, undecided, entries int
	if err := s.queryRow(`SELECT COUNT(*), COUNT(DISTINCT flag_id) FROM decisions`).Scan(&rowsN, &distinct); err != nil {
		t.Fatal(err)
	}
	if rowsN != flags || distinct != flags {
		t.Errorf("decisions: %d rows over %d flags, want %d and %d", rowsN, distinct, flags, flags)
	}
	if err := s.queryRow(`SELECT COUNT(*) FROM flags WHERE status NOT IN ('confirmed', 'dismissed', 'escalated')
	OR claimed_by IS NOT NULL`).Scan(&undecided); err != nil {
		t.Fatal(err)
	}
	if undecided != 0 {
		t.Errorf("%d flags not decided, or with a claim left", undecided)
	}
	var mismatched int
	if err := s.queryRow(`SELECT COUNT(*) FROM flags f JOIN decisions d ON d.flag_id = f.id
	WHERE f.status <> CASE d.decision WHEN 'confirm' THEN 'confirmed' WHEN 'dismiss' THEN 'dismissed' ELSE 'escalated' END`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d flags whose status is not their decision", mismatched)
	}
	if err := s.queryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'decision'`).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != flags {
		t.Errorf("%d decision entries in the audit log, want %d", entries, flags)
	}
	if res, err := s.Audit().Verify(context.Background()); err != nil || !res.OK {
		t.Errorf("audit verify: %+v, %v", res, err)
	}
}
