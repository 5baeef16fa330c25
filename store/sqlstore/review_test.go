package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
)

// The review queue's tests: claims, leases, decisions and the filters and
// sorts that ListFlags shares with claims, on both dialects, with the
// in-process leases (store/leases runs their contract against Redis too;
// the concurrency test uses Redis with PostgreSQL).

func withScore(score float64) option { return func(v *event.Verdict) { v.Score = score } }
func withTags(tags ...string) option { return func(v *event.Verdict) { v.Tags = tags } }

// reviewFixture writes n flagged posts: post "r<i>" with score i%7+1 (so
// that scores repeat), category hate on even i and incitement on odd,
// tag place on every third, list watch on every fifth, created i minutes
// after t0. Flag ids follow i (1-based).
func reviewFixture(tb testing.TB, db testDB, n int) *Store {
	tb.Helper()
	s := db.open(tb)
	var vs []event.Verdict
	for i := range n {
		cat := "hate"
		if i%2 == 1 {
			cat = "incitement"
		}
		opts := []option{flagged(cat), withScore(float64(i%7 + 1))}
		if i%3 == 0 {
			opts = append(opts, withTags("place", "target_group"),
				naming([]string{"journalists"}, []string{"sagaing"}, []string{"monywa", "sagaing"}))
		}
		if i%5 == 0 {
			opts = append(opts, onLists("watch"))
		}
		platform := "x"
		if i%4 == 3 {
			platform = "mastodon"
		}
		vs = append(vs, newVerdict(platform, fmt.Sprintf("r%d", i), itoa(i%3), i, opts...))
	}
	for len(vs) > 0 {
		k := min(len(vs), 500)
		write(tb, s, vs[:k]...)
		vs = vs[k:]
	}
	return s
}

func flagIDs(fs []event.Flag) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func mustClaim(tb testing.TB, r *Review, reviewer string, limit int, f event.QueueFilter, sort string) event.Claim {
	tb.Helper()
	c, err := r.Claim(context.Background(), reviewer, limit, f, sort)
	if err != nil {
		tb.Fatalf("Claim(%s, %d, %+v, %q): %v", reviewer, limit, f, sort, err)
	}
	return c
}

func mustDecide(tb testing.TB, r *Review, req event.DecisionRequest) event.Flag {
	tb.Helper()
	fl, err := r.Decide(context.Background(), req)
	if err != nil {
		tb.Fatalf("Decide(%+v): %v", req, err)
	}
	return fl
}

func wantDecideCode(tb testing.TB, r *Review, req event.DecisionRequest, code, inMessage string) {
	tb.Helper()
	_, err := r.Decide(context.Background(), req)
	wantCode(tb, err, code)
	if !strings.Contains(event.ErrorMessage(err), inMessage) {
		tb.Fatalf("Decide(%+v): %q, want it to say %q", req, event.ErrorMessage(err), inMessage)
	}
}

func statusOf(tb testing.TB, s *Store, id int64) event.Flag {
	tb.Helper()
	for _, st := range []string{event.StatusPending, event.StatusClaimed, event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated} {
		for _, f := range allFlags(tb, s, event.FlagFilter{Status: st, Limit: MaxFlagLimit}) {
			if f.ID == id {
				if f.Status != st {
					tb.Fatalf("flag %d listed under status %s reads %s", id, st, f.Status)
				}
				return f
			}
		}
	}
	tb.Fatalf("flag %d is under no status", id)
	return event.Flag{}
}

// TestReviewClaimDecide walks a flag through the queue: claimed by one
// monitor (and not handed to another), refused to the other, decided once
// with its decisions row and audit entry, refused a second decision.
func TestReviewClaimDecide(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 12)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		ctx := context.Background()

		before := time.Now()
		a := mustClaim(t, r, "monitor-a", 3, event.QueueFilter{}, "")
		// Severity: scores 7, 6, 5 (flags 7, 6, 5; i = id-1, score i%7+1).
		if got := flagIDs(a.Flags); !slices.Equal(got, []int64{7, 6, 5}) {
			t.Fatalf("monitor-a claimed %v, want the three highest scores [7 6 5]", got)
		}
		if a.LeaseExpiresAt.Before(before.Add(time.Minute-time.Second)) || a.LeaseExpiresAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("lease expires %v, want a minute from the claim", a.LeaseExpiresAt)
		}
		for _, f := range a.Flags {
			if f.Status != event.StatusClaimed || f.ClaimedBy != "monitor-a" || !f.LeaseExpiresAt.Equal(a.LeaseExpiresAt) {
				t.Errorf("claimed flag %d: status %q by %q until %v", f.ID, f.Status, f.ClaimedBy, f.LeaseExpiresAt)
			}
		}
		b := mustClaim(t, r, "monitor-b", 3, event.QueueFilter{}, event.SortSeverity)
		// Then score 5 (flag 12, as flag 5 is taken) and 4 (flags 4 and 11).
		if got := flagIDs(b.Flags); !slices.Equal(got, []int64{12, 4, 11}) {
			t.Fatalf("monitor-b claimed %v, want [12 4 11]", got)
		}
		claimed := allFlags(t, s, event.FlagFilter{Status: event.StatusClaimed})
		if got := flagIDs(claimed); !slices.Equal(got, []int64{12, 11, 7, 6, 5, 4}) {
			t.Errorf("claimed flags %v", got)
		}
		for _, f := range allFlags(t, s, event.FlagFilter{Status: event.StatusPending}) {
			if slices.Contains(flagIDs(claimed), f.ID) {
				t.Errorf("claimed flag %d listed as pending", f.ID)
			}
		}

		// Only the holder decides.
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 7, Decision: event.DecisionConfirm, Reviewer: "monitor-b"},
			event.ECONFLICT, "claimed by another monitor")
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ECONFLICT, "claim it first")
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 999, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ENOTFOUND, "not found")

		const note, translation = "synthetic reviewer note", "synthetic translation of the post"
		fl := mustDecide(t, r, event.DecisionRequest{FlagID: 7, Decision: event.DecisionConfirm, Note: note,
			Translation: translation, Reviewer: "monitor-a"})
		if fl.Status != event.StatusConfirmed || fl.ClaimedBy != "" || !fl.LeaseExpiresAt.IsZero() || fl.Decision == nil ||
			fl.Decision.Decision != event.DecisionConfirm || fl.Decision.Note != note || fl.Decision.Translation != translation ||
			fl.Decision.Reviewer != "monitor-a" || fl.Decision.FlagID != 7 || fl.Decision.DecidedAt.IsZero() {
			t.Fatalf("decided flag: %+v, decision %+v", fl, fl.Decision)
		}
		if got := statusOf(t, s, 7); got.Decision == nil || got.Decision.Note != note {
			t.Errorf("listed decided flag: %+v", got)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 7, Decision: event.DecisionDismiss, Reviewer: "monitor-a"},
			event.ECONFLICT, "decided already")
		if owner, ok, _ := r.leases.Owner(ctx, leaseKey(7)); ok {
			t.Errorf("the decided flag's lease is still held by %s", owner)
		}

		// One decisions row; one audit entry that says what, not the text.
		var n int
		if err := s.queryRow(`SELECT COUNT(*) FROM decisions WHERE flag_id = 7`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("decisions rows for flag 7: %d, %v", n, err)
		}
		entries, err := s.Audit().List(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var found int
		for _, e := range entries {
			if e.Action != event.AuditDecision {
				continue
			}
			found++
			if e.Subject != "flag:7" || e.Actor != "monitor-a" ||
				string(e.Details) != `{"decision":"confirm","has_note":true,"has_translation":true,"level":"pending"}` {
				t.Errorf("audit entry %+v (details %s)", e, e.Details)
			}
			if strings.Contains(string(e.Details), "synthetic") {
				t.Errorf("the audit entry holds the note's text: %s", e.Details)
			}
		}
		if found != 1 {
			t.Errorf("%d decision entries, want 1", found)
		}
		if res, err := s.Audit().Verify(ctx); err != nil || !res.OK {
			t.Errorf("audit verify: %+v, %v", res, err)
		}

		// Release gives back only what the caller holds.
		rel, err := r.Release(ctx, "monitor-b", []int64{6, 4})
		if err != nil || !slices.Equal(rel, []int64{4}) {
			t.Fatalf("monitor-b released %v, %v; want [4]", rel, err)
		}
		if f := statusOf(t, s, 4); f.Status != event.StatusPending || f.ClaimedBy != "" {
			t.Errorf("released flag: %+v", f)
		}
		if f := statusOf(t, s, 6); f.Status != event.StatusClaimed || f.ClaimedBy != "monitor-a" {
			t.Errorf("flag 6, monitor-a's, after monitor-b's release: %+v", f)
		}
		if owner, _, _ := r.leases.Owner(ctx, leaseKey(6)); owner != "monitor-a" {
			t.Errorf("flag 6's lease is %q's", owner)
		}
		if rel, err := r.Release(ctx, "monitor-b", nil); err != nil || len(rel) != 0 {
			t.Errorf("empty release: %v, %v", rel, err)
		}
		// Flag 4 is claimable again, and first in the queue among what
		// is left (scores 4, then 3, ...).
		if c := mustClaim(t, r, "monitor-d", 2, event.QueueFilter{}, ""); !slices.Equal(flagIDs(c.Flags), []int64{4, 3}) {
			t.Errorf("after the release monitor-d claimed %v, want [4 3]", flagIDs(c.Flags))
		}
	})
}

// TestReviewLeaseLapse: a claim whose lease ran out reads as pending, is
// handed to the next monitor, and its first holder can no longer decide.
func TestReviewLeaseLapse(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 5)
		r := NewReview(s, leases.NewMemory(), 150*time.Millisecond)
		a := mustClaim(t, r, "monitor-a", 2, event.QueueFilter{}, event.SortAge)
		if got := flagIDs(a.Flags); !slices.Equal(got, []int64{1, 2}) {
			t.Fatalf("claimed %v, want the oldest [1 2]", got)
		}
		time.Sleep(300 * time.Millisecond)
		if f := statusOf(t, s, 1); f.Status != event.StatusPending || f.ClaimedBy != "" || !f.LeaseExpiresAt.IsZero() {
			t.Errorf("a lapsed claim reads %+v, want pending", f)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ECONFLICT, "lapsed")
		b := mustClaim(t, r, "monitor-b", 1, event.QueueFilter{}, event.SortAge)
		if got := flagIDs(b.Flags); !slices.Equal(got, []int64{1}) {
			t.Fatalf("monitor-b claimed %v, want [1]", got)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ECONFLICT, "claimed by another monitor")
		mustDecide(t, r, event.DecisionRequest{FlagID: 1, Decision: event.DecisionDismiss, Reviewer: "monitor-b"})
		// monitor-a claims again what lapsed on it.
		a = mustClaim(t, r, "monitor-a", 1, event.QueueFilter{}, event.SortAge)
		if got := flagIDs(a.Flags); !slices.Equal(got, []int64{2}) {
			t.Fatalf("monitor-a claimed %v again, want [2]", got)
		}
		mustDecide(t, r, event.DecisionRequest{FlagID: 2, Decision: event.DecisionConfirm, Reviewer: "monitor-a"})
	})
}

// TestReviewMirrorWithoutLease: the row alone does not let a monitor
// decide; the lease must be its too (a lease store that lost its keys).
func TestReviewMirrorWithoutLease(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 2)
		l := leases.NewMemory()
		r := NewReview(s, l, time.Minute)
		mustClaim(t, r, "monitor-a", 1, event.QueueFilter{}, "")
		if err := l.Release(context.Background(), leaseKey(2), "monitor-a"); err != nil {
			t.Fatal(err)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 2, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ECONFLICT, "lease on flag 2 is gone")
		// Someone else holding the lease.
		if ok, _ := l.Acquire(context.Background(), leaseKey(2), "monitor-b", time.Minute); !ok {
			t.Fatal("acquire")
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 2, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
			event.ECONFLICT, "claimed by another monitor")
		// The row says monitor-a's: monitor-b's lease alone does not do.
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 2, Decision: event.DecisionConfirm, Reviewer: "monitor-b"},
			event.ECONFLICT, "claimed by another monitor")
	})
}

// TestReviewEscalation: an escalated flag leaves the first queue, is
// claimed from the escalated one, takes confirm or dismiss, and then no
// more.
func TestReviewEscalation(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 3)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r, "monitor-a", 1, event.QueueFilter{}, "") // flag 3, score 3
		fl := mustDecide(t, r, event.DecisionRequest{FlagID: 3, Decision: event.DecisionEscalate, Note: "needs a second look", Reviewer: "monitor-a"})
		if fl.Status != event.StatusEscalated || fl.Decision.Decision != event.DecisionEscalate {
			t.Fatalf("escalated: %+v", fl)
		}
		if c := mustClaim(t, r, "monitor-b", 10, event.QueueFilter{}, ""); slices.Contains(flagIDs(c.Flags), 3) {
			t.Fatalf("the pending queue handed out escalated flag 3: %v", flagIDs(c.Flags))
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 3, Decision: event.DecisionConfirm, Reviewer: "admin-1"},
			event.ECONFLICT, "escalated queue")
		c := mustClaim(t, r, "admin-1", 10, event.QueueFilter{Status: event.StatusEscalated}, "")
		if !slices.Equal(flagIDs(c.Flags), []int64{3}) {
			t.Fatalf("escalated queue: %v, want [3]", flagIDs(c.Flags))
		}
		// Claimed from the escalated queue, it shows its escalation.
		if f := statusOf(t, s, 3); f.Status != event.StatusClaimed || f.Decision == nil || f.Decision.Decision != event.DecisionEscalate {
			t.Errorf("claimed escalated flag: %+v", f)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 3, Decision: event.DecisionEscalate, Reviewer: "admin-1"},
			event.ECONFLICT, "confirm or dismiss")
		// A release puts it back in the escalated queue, not pending.
		if rel, err := r.Release(context.Background(), "admin-1", []int64{3}); err != nil || len(rel) != 1 {
			t.Fatalf("release: %v, %v", rel, err)
		}
		if f := statusOf(t, s, 3); f.Status != event.StatusEscalated {
			t.Errorf("released escalated flag reads %s", f.Status)
		}
		mustClaim(t, r, "admin-1", 10, event.QueueFilter{Status: event.StatusEscalated}, "")
		fl = mustDecide(t, r, event.DecisionRequest{FlagID: 3, Decision: event.DecisionDismiss, Reviewer: "admin-1"})
		if fl.Status != event.StatusDismissed || fl.Decision.Reviewer != "admin-1" || fl.Decision.Decision != event.DecisionDismiss {
			t.Fatalf("second-level decision: %+v %+v", fl, fl.Decision)
		}
		wantDecideCode(t, r, event.DecisionRequest{FlagID: 3, Decision: event.DecisionConfirm, Reviewer: "admin-1"},
			event.ECONFLICT, "decided already")
		if c := mustClaim(t, r, "admin-1", 10, event.QueueFilter{Status: event.StatusEscalated}, ""); len(c.Flags) != 0 {
			t.Errorf("escalated queue after the decision: %v", flagIDs(c.Flags))
		}
		var levels []string
		rows, err := s.read.Query(s.d.rebind(`SELECT level || ':' || decision FROM decisions WHERE flag_id = 3 ORDER BY id`))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			rows.Scan(&l)
			levels = append(levels, l)
		}
		rows.Close()
		if !slices.Equal(levels, []string{"pending:escalate", "escalated:dismiss"}) {
			t.Errorf("decisions of flag 3: %v", levels)
		}
	})
}

// TestReviewQueueFilters: a claim hands out only flags matching its filter,
// in its sort's order.
func TestReviewQueueFilters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 40)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		every := allFlags(t, s, event.FlagFilter{Limit: MaxFlagLimit})
		for i, tc := range []struct {
			name string
			f    event.QueueFilter
			keep func(event.Flag) bool
		}{
			{"category", event.QueueFilter{Category: "incitement"}, func(f event.Flag) bool { return slices.Contains(f.Categories, "incitement") }},
			{"platform", event.QueueFilter{Platform: "mastodon"}, func(f event.Flag) bool { return f.Platform == "mastodon" }},
			{"list", event.QueueFilter{List: "watch"}, func(f event.Flag) bool {
				return slices.ContainsFunc(f.Lists, func(l event.ListHit) bool { return l.List == "watch" })
			}},
			{"region", event.QueueFilter{Region: "sagaing"}, func(f event.Flag) bool { return slices.Contains(f.Regions, "sagaing") }},
			{"region matches whole ids", event.QueueFilter{Region: "saga"}, func(event.Flag) bool { return false }},
			{"region is not a tag", event.QueueFilter{Region: "place"}, func(event.Flag) bool { return false }},
			{"group", event.QueueFilter{Group: "journalists"}, func(f event.Flag) bool { return slices.Contains(f.Groups, "journalists") }},
			{"min score", event.QueueFilter{MinScore: 6}, func(f event.Flag) bool { return f.Score >= 6 }},
			{"since and until", event.QueueFilter{Since: t0.Add(16 * time.Minute), Until: t0.Add(26 * time.Minute)},
				func(f event.Flag) bool {
					return !f.CreatedAt.Before(t0.Add(16*time.Minute)) && f.CreatedAt.Before(t0.Add(26*time.Minute))
				}},
			{"everything at once", event.QueueFilter{Category: "hate", Platform: "x", Region: "sagaing", MinScore: 2},
				func(f event.Flag) bool {
					return slices.Contains(f.Categories, "hate") && f.Platform == "x" && slices.Contains(f.Regions, "sagaing") && f.Score >= 2
				}},
		} {
			var want []int64
			for _, f := range every {
				if tc.keep(f) && f.Status == event.StatusPending {
					want = append(want, f.ID)
				}
			}
			slices.Sort(want)
			c := mustClaim(t, r, fmt.Sprintf("monitor-%d", i), 100, tc.f, event.SortAge)
			if got := flagIDs(c.Flags); !slices.Equal(got, want) {
				t.Errorf("%s: claimed %v, want %v", tc.name, got, want)
			}
			// Give them back for the next filter.
			if _, err := r.Release(context.Background(), fmt.Sprintf("monitor-%d", i), flagIDs(c.Flags)); err != nil {
				t.Fatal(err)
			}
		}

		// Sorts, over the whole queue, two flags at a time.
		for _, tc := range []struct {
			sort string
			less func(a, b event.Flag) bool
		}{
			{event.SortSeverity, func(a, b event.Flag) bool { return a.Score > b.Score || a.Score == b.Score && a.ID < b.ID }},
			{event.SortScore, func(a, b event.Flag) bool { return a.Score < b.Score || a.Score == b.Score && a.ID > b.ID }},
			{event.SortAge, func(a, b event.Flag) bool { return a.ID < b.ID }},
			{event.SortNewest, func(a, b event.Flag) bool { return a.ID > b.ID }},
		} {
			want := slices.Clone(every)
			slices.SortFunc(want, func(a, b event.Flag) int {
				if tc.less(a, b) {
					return -1
				}
				return 1
			})
			var got []int64
			for {
				c := mustClaim(t, r, "sorter-"+tc.sort, 7, event.QueueFilter{}, tc.sort)
				if len(c.Flags) == 0 {
					break
				}
				got = append(got, flagIDs(c.Flags)...)
			}
			if !slices.Equal(got, flagIDs(want)) {
				t.Errorf("sort %s: claimed %v, want %v", tc.sort, got, flagIDs(want))
			}
			if _, err := r.Release(context.Background(), "sorter-"+tc.sort, got); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestListFlagsFiltersAndSorts: the filters and sorts ListFlags shares
// with the queue, paged with the cursor in every sort.
func TestListFlagsFiltersAndSorts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 40)
		every := allFlags(t, s, event.FlagFilter{Limit: MaxFlagLimit})
		if len(every) != 40 {
			t.Fatalf("%d flags", len(every))
		}
		page := func(f event.FlagFilter) []int64 {
			var got []int64
			for range 100 {
				fs, next, err := s.ListFlags(context.Background(), f)
				if err != nil {
					t.Fatalf("ListFlags(%+v): %v", f, err)
				}
				got = append(got, flagIDs(fs)...)
				if next == 0 {
					return got
				}
				f.After = next
			}
			t.Fatal("paging does not end")
			return nil
		}
		for _, tc := range []struct {
			name string
			f    event.FlagFilter
			keep func(event.Flag) bool
			less func(a, b event.Flag) bool
		}{
			{"list, newest", event.FlagFilter{List: "watch"}, func(f event.Flag) bool {
				return slices.ContainsFunc(f.Lists, func(l event.ListHit) bool { return l.List == "watch" })
			}, nil},
			{"region", event.FlagFilter{Region: "sagaing"}, func(f event.Flag) bool { return slices.Contains(f.Regions, "sagaing") }, nil},
			{"group, age", event.FlagFilter{Group: "journalists", Sort: event.SortAge},
				func(f event.Flag) bool { return slices.Contains(f.Groups, "journalists") },
				func(a, b event.Flag) bool { return a.ID < b.ID }},
			{"min score, severity", event.FlagFilter{MinScore: 3.5, Sort: event.SortSeverity},
				func(f event.Flag) bool { return f.Score >= 3.5 },
				func(a, b event.Flag) bool { return a.Score > b.Score || a.Score == b.Score && a.ID < b.ID }},
			{"since, score", event.FlagFilter{Since: t0.Add(30 * time.Minute), Sort: event.SortScore},
				func(f event.Flag) bool { return !f.CreatedAt.Before(t0.Add(30 * time.Minute)) },
				func(a, b event.Flag) bool { return a.Score < b.Score || a.Score == b.Score && a.ID > b.ID }},
			{"until, age", event.FlagFilter{Until: t0.Add(30 * time.Minute), Sort: event.SortAge},
				func(f event.Flag) bool { return f.CreatedAt.Before(t0.Add(30 * time.Minute)) },
				func(a, b event.Flag) bool { return a.ID < b.ID }},
			{"category, severity", event.FlagFilter{Category: "hate", Sort: event.SortSeverity},
				func(f event.Flag) bool { return slices.Contains(f.Categories, "hate") },
				func(a, b event.Flag) bool { return a.Score > b.Score || a.Score == b.Score && a.ID < b.ID }},
			{"category, newest", event.FlagFilter{Category: "incitement", Sort: event.SortNewest},
				func(f event.Flag) bool { return slices.Contains(f.Categories, "incitement") }, nil},
		} {
			var want []event.Flag
			for _, f := range every {
				if tc.keep(f) {
					want = append(want, f)
				}
			}
			if tc.less != nil {
				slices.SortFunc(want, func(a, b event.Flag) int {
					if tc.less(a, b) {
						return -1
					}
					return 1
				})
			}
			if len(want) == 0 {
				t.Fatalf("%s: the fixture has no matching flag", tc.name)
			}
			for _, limit := range []int{3, 500} {
				f := tc.f
				f.Limit = limit
				if got := page(f); !slices.Equal(got, flagIDs(want)) {
					t.Errorf("%s, pages of %d: %v, want %v", tc.name, limit, got, flagIDs(want))
				}
			}
		}

		// A sorted page's cursor whose flag is gone is a conflict.
		_, _, err := s.ListFlags(context.Background(), event.FlagFilter{Sort: event.SortSeverity, After: 9999})
		wantCode(t, err, event.ECONFLICT)
		for _, bad := range []event.FlagFilter{
			{Sort: "random"}, {MinScore: -1}, {Since: t0, Until: t0}, {Status: "lost"},
		} {
			_, _, err := s.ListFlags(context.Background(), bad)
			wantCode(t, err, event.EINVALID)
		}
	})
}

// TestReviewStatusFilterAfterLapse: ListFlags' status filter reads lapsed
// claims as pending, in both directions.
func TestReviewStatusFilterAfterLapse(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 4)
		r := NewReview(s, leases.NewMemory(), 150*time.Millisecond)
		mustClaim(t, r, "monitor-a", 2, event.QueueFilter{}, event.SortAge)
		count := func(status string) int {
			return len(allFlags(t, s, event.FlagFilter{Status: status}))
		}
		if c, p := count(event.StatusClaimed), count(event.StatusPending); c != 2 || p != 2 {
			t.Fatalf("claimed %d, pending %d; want 2 and 2", c, p)
		}
		time.Sleep(300 * time.Millisecond)
		if c, p := count(event.StatusClaimed), count(event.StatusPending); c != 0 || p != 4 {
			t.Fatalf("after the lapse: claimed %d, pending %d; want 0 and 4", c, p)
		}
	})
}

// TestReviewValidation: what the queue refuses before touching anything.
func TestReviewValidation(t *testing.T) {
	t.Parallel()
	s := reviewFixture(t, sqliteDB, 3)
	r := NewReview(s, leases.NewMemory(), time.Minute)
	ctx := context.Background()
	for _, tc := range []struct {
		reviewer string
		limit    int
		f        event.QueueFilter
		sort     string
	}{
		{"", 1, event.QueueFilter{}, ""},
		{"Aung San", 1, event.QueueFilter{}, ""},
		{"monitor-a", -1, event.QueueFilter{}, ""},
		{"monitor-a", 1, event.QueueFilter{Status: event.StatusConfirmed}, ""},
		{"monitor-a", 1, event.QueueFilter{MinScore: -2}, ""},
		{"monitor-a", 1, event.QueueFilter{}, "shuffle"},
		{"monitor-a", 1, event.QueueFilter{Since: t0.Add(time.Hour), Until: t0}, ""},
	} {
		_, err := r.Claim(ctx, tc.reviewer, tc.limit, tc.f, tc.sort)
		wantCode(t, err, event.EINVALID)
	}
	if c := mustClaim(t, r, "monitor-a", 1000, event.QueueFilter{}, ""); len(c.Flags) != 3 {
		t.Errorf("a limit over the most is capped, not refused: %d flags", len(c.Flags))
	}
	for _, req := range []event.DecisionRequest{
		{FlagID: 0, Decision: event.DecisionConfirm, Reviewer: "monitor-a"},
		{FlagID: 1, Decision: "approve", Reviewer: "monitor-a"},
		{FlagID: 1, Decision: event.DecisionConfirm},
		{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "Daw Example"},
		{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a", Note: strings.Repeat("n", event.MaxDecisionNoteBytes+1)},
		{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a", Translation: "\xff"},
		{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a", Note: "a\x00b"},
	} {
		_, err := r.Decide(ctx, req)
		wantCode(t, err, event.EINVALID)
	}
	if _, err := r.DecideBulk(ctx, make([]event.DecisionRequest, event.MaxBulkDecisions+1)); event.ErrorCode(err) != event.EINVALID {
		t.Errorf("an oversized bulk: %v", err)
	}
	for _, bad := range [][]int64{{0}, {-3}} {
		_, err := r.Release(ctx, "monitor-a", bad)
		wantCode(t, err, event.EINVALID)
	}
	var n int
	if err := s.queryRow(`SELECT COUNT(*) FROM decisions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("decisions after refusals: %d, %v", n, err)
	}
}

// TestReviewDecideBulk: each decision of a bulk stands or falls alone.
func TestReviewDecideBulk(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 6)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r, "monitor-a", 3, event.QueueFilter{}, event.SortAge) // 1, 2, 3
		mustClaim(t, r, "monitor-b", 1, event.QueueFilter{}, event.SortAge) // 4
		res, err := r.DecideBulk(context.Background(), []event.DecisionRequest{
			{FlagID: 1, Decision: event.DecisionConfirm, Reviewer: "monitor-a", Translation: "synthetic"},
			{FlagID: 4, Decision: event.DecisionConfirm, Reviewer: "monitor-a"}, // monitor-b's
			{FlagID: 2, Decision: "maybe", Reviewer: "monitor-a"},
			{FlagID: 3, Decision: event.DecisionDismiss, Reviewer: "monitor-a"},
			{FlagID: 1, Decision: event.DecisionDismiss, Reviewer: "monitor-a"}, // decided just before
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			id     int64
			code   string
			status string
		}{{1, "", event.StatusConfirmed}, {4, event.ECONFLICT, ""}, {2, event.EINVALID, ""}, {3, "", event.StatusDismissed}, {1, event.ECONFLICT, ""}}
		if len(res) != len(want) {
			t.Fatalf("%d results", len(res))
		}
		for i, w := range want {
			got := res[i]
			if got.FlagID != w.id || event.ErrorCode(got.Err) != w.code || (w.status != "") != (got.Flag != nil) ||
				got.Flag != nil && got.Flag.Status != w.status {
				t.Errorf("result %d: %+v (err %v), want %+v", i, got, got.Err, w)
			}
		}
		if f := statusOf(t, s, 2); f.Status != event.StatusClaimed {
			t.Errorf("flag 2, refused in the bulk, reads %s", f.Status)
		}
	})
}

// TestReviewRejudgedWhileClaimed: a claimed flag whose post a later
// verdict no longer flags is kept (a monitor holds it) and may be decided,
// but once released it is never handed out again.
func TestReviewRejudgedWhileClaimed(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 2)
		r := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r, "monitor-a", 2, event.QueueFilter{}, event.SortAge)
		for _, id := range []string{"r0", "r1"} {
			v := newVerdict("x", id, "0", 0)
			if id == "r1" {
				v = newVerdict("x", id, "1", 1)
			}
			v.Lexicon = "example@2026-12-01"
			v.ClassifiedAt = v.ClassifiedAt.Add(time.Hour)
			write(t, s, v)
		}
		if _, n := counts(t, s); n != 2 {
			t.Fatalf("%d flags after the re-judgement, want both claimed flags kept", n)
		}
		mustDecide(t, r, event.DecisionRequest{FlagID: 1, Decision: event.DecisionDismiss, Reviewer: "monitor-a"})
		if _, err := r.Release(context.Background(), "monitor-a", []int64{2}); err != nil {
			t.Fatal(err)
		}
		if c := mustClaim(t, r, "monitor-b", 10, event.QueueFilter{}, ""); len(c.Flags) != 0 {
			t.Errorf("an unflagged flag was handed out: %v", flagIDs(c.Flags))
		}
	})
}

// TestLapsedClaimInAccountAndCase: the account view and a case read a
// lapsed claim as the status it came from, as ListFlags does.
func TestLapsedClaimInAccountAndCase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := reviewFixture(t, db, 3)
		ctx := context.Background()
		c, err := s.CreateCase(ctx, event.NewCase{Title: "network", CreatedBy: "advocate-a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddFlags(ctx, c.ID, []int64{1}, "advocate-a"); err != nil {
			t.Fatal(err)
		}
		// The store's clock, moved by hand past the lease's end: a real
		// wait would race a loaded machine between the two reads.
		var mu sync.Mutex
		clock := time.Now()
		s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		r := NewReview(s, leases.NewMemory(), time.Minute)
		mustClaim(t, r, "monitor-a", 1, event.QueueFilter{}, event.SortAge)
		read := func() (caseStatus string, byStatus map[string]int) {
			d, err := s.GetCase(ctx, c.ID)
			if err != nil || len(d.Flags) != 1 {
				t.Fatalf("GetCase: %+v, %v", d, err)
			}
			f := statusOf(t, s, 1)
			v, err := s.FindAccount(ctx, f.Platform, f.AuthorID)
			if err != nil {
				t.Fatal(err)
			}
			return d.Flags[0].Status, v.FlagsByStatus
		}
		if st, by := read(); st != event.StatusClaimed || by[event.StatusClaimed] != 1 {
			t.Fatalf("while claimed: case shows %q, account %v", st, by)
		}
		mu.Lock()
		clock = clock.Add(2 * time.Minute)
		mu.Unlock()
		if st, by := read(); st != event.StatusPending || by[event.StatusClaimed] != 0 || by[event.StatusPending] == 0 {
			t.Errorf("after the lease lapsed: case shows %q, account %v; want pending", st, by)
		}
	})
}
