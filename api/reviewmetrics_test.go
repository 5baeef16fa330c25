package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// The review metrics: decisions and claims counted once whichever way
// they came, the backlog gauges from the shared counts, and a store that
// fails costing the scrape those gauges only.

// reviewMetricNames are the metrics these tests read.
var reviewMetricNames = []string{
	"vigil_api_review_decisions_total", "vigil_api_review_claims_total",
	"vigil_api_review_queue_flags", "vigil_api_review_queue_oldest_age_seconds", "vigil_api_review_queue_errors_total",
}

// wantMetrics fails unless reg's metrics of the given names are exactly
// the exposition want (HELP and TYPE lines left out: they are taken from
// reg itself).
func wantMetrics(tb testing.TB, reg prometheus.Gatherer, want string, names ...string) {
	tb.Helper()
	var b strings.Builder
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range families {
		for _, n := range names {
			if mf.GetName() == n {
				b.WriteString("# HELP " + n + " " + mf.GetHelp() + "\n# TYPE " + n + " " + strings.ToLower(mf.GetType().String()) + "\n")
				for _, line := range strings.Split(strings.TrimSpace(want), "\n") {
					if line = strings.TrimSpace(line); strings.HasPrefix(line, n+" ") || strings.HasPrefix(line, n+"{") {
						b.WriteString(line + "\n")
					}
				}
			}
		}
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(b.String()), names...); err != nil {
		tb.Error(err)
	}
}

// TestReviewDecisionMetrics: every decision committed counts once by
// kind, through the JSON API and the console, single and in bulk; one the
// queue refuses does not; each flag a claim hands out counts once.
func TestReviewDecisionMetrics(t *testing.T) {
	e := consoleFixture(t)
	reg := e.f.reg
	// Before anything happens, every kind is there at 0.
	wantMetrics(t, reg, `
		vigil_api_review_decisions_total{decision="confirm"} 0
		vigil_api_review_decisions_total{decision="dismiss"} 0
		vigil_api_review_decisions_total{decision="escalate"} 0
		vigil_api_review_claims_total 0
	`, "vigil_api_review_decisions_total", "vigil_api_review_claims_total")

	monitor := "Bearer " + e.secrets[event.RoleMonitor]
	e.review.mu.Lock()
	for id := int64(1); id <= 3; id++ {
		e.review.flags = append(e.review.flags, event.Flag{ID: id, Platform: "x", PostID: "p", AuthorID: "44", Score: 1,
			Status: event.StatusPending, CreatedAt: leaseEnd.Add(-time.Hour)})
	}
	e.review.mu.Unlock()

	// JSON API: a claim of 2 (of the 6 flags the queue holds), a claim
	// of all, one confirm, one refused (another monitor's flag), one that
	// fails in the store, a bulk of dismiss, escalate and a refused one.
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/queue/claim", `{"limit":2}`, 200},
		{"POST", "/api/v1/queue/claim", `{}`, 200},
		{"POST", "/api/v1/flags/1/decision", `{"decision":"confirm"}`, 200},
		{"POST", "/api/v1/flags/409/decision", `{"decision":"confirm"}`, 409},
		{"POST", "/api/v1/flags/404/decision", `{"decision":"dismiss"}`, 404},
		{"POST", "/api/v1/decisions", `{"decisions":[{"flag_id":2,"decision":"dismiss"},{"flag_id":3,"decision":"escalate"},{"flag_id":409,"decision":"confirm"}]}`, 200},
	} {
		if resp, body := e.f.do(t, c.method, c.path, monitor, c.body); resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, resp.StatusCode, c.status, body)
		}
	}
	// A request refused before it reaches the queue counts nothing.
	if resp, _ := e.f.do(t, "POST", "/api/v1/flags/5/decision", monitor, `{"decision":"maybe"}`); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("an unknown decision: %d", resp.StatusCode)
	}
	wantMetrics(t, reg, `
		vigil_api_review_decisions_total{decision="confirm"} 1
		vigil_api_review_decisions_total{decision="dismiss"} 1
		vigil_api_review_decisions_total{decision="escalate"} 1
		vigil_api_review_claims_total 8
	`, "vigil_api_review_decisions_total", "vigil_api_review_claims_total")

	// The console: a claim (the queue hands out 6), a decision as a form,
	// one by the script, one refused by the script, a bulk with one
	// refused.
	c := e.signIn(t, event.RoleMonitor)
	for _, p := range []struct {
		path   string
		form   url.Values
		header map[string]string
		status int
	}{
		{"/queue/claim", url.Values{"limit": {"10"}}, nil, http.StatusSeeOther},
		{"/flags/10/decision", url.Values{"decision": {"confirm"}}, nil, http.StatusSeeOther},
		{"/flags/11/decision", url.Values{"decision": {"escalate"}}, map[string]string{"Accept": "application/json"}, http.StatusOK},
		{"/flags/409/decision", url.Values{"decision": {"dismiss"}}, map[string]string{"Accept": "application/json"}, http.StatusConflict},
		{"/decisions", url.Values{"flag": {"21", "22", "409"}, "decision": {"dismiss"}}, nil, http.StatusSeeOther},
	} {
		if resp, body := c.post(t, p.path, p.form, p.header); resp.StatusCode != p.status {
			t.Fatalf("POST %s: %d, want %d: %s", p.path, resp.StatusCode, p.status, body)
		}
	}
	wantMetrics(t, reg, `
		vigil_api_review_decisions_total{decision="confirm"} 2
		vigil_api_review_decisions_total{decision="dismiss"} 3
		vigil_api_review_decisions_total{decision="escalate"} 2
		vigil_api_review_claims_total 14
	`, "vigil_api_review_decisions_total", "vigil_api_review_claims_total")

	// The queue was asked 12 decisions: 7 committed, 5 refused.
	e.review.mu.Lock()
	n := len(e.review.decisions)
	e.review.mu.Unlock()
	if n != 12 {
		t.Errorf("the queue was asked %d decisions, want 12 (7 committed, 5 refused)", n)
	}

	problems, err := testutil.GatherAndLint(reg, reviewMetricNames...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// countingQueue is an event.QueueCounter that counts its reads and fails
// while err is set.
type countingQueue struct {
	mu    sync.Mutex
	c     event.QueueCounts
	err   error
	reads int
}

func (q *countingQueue) QueueCounts(context.Context) (event.QueueCounts, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.reads++
	return q.c, q.err
}

func (q *countingQueue) readCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reads
}

// scrape gets /metrics and returns its body.
func scrape(tb testing.TB, f *fixture) string {
	tb.Helper()
	resp, body := f.get(tb, "/metrics", "")
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	return string(body)
}

// TestReviewQueueMetrics: the backlog by status and each queue's oldest
// age, from one store read for two scrapes in quick succession; 0 for an
// empty queue.
func TestReviewQueueMetrics(t *testing.T) {
	now := time.Now()
	q := &countingQueue{c: event.QueueCounts{At: now, Pending: 1200, Claimed: 25, Escalated: 3, Confirmed: 410, Dismissed: 97,
		ClaimedBy: map[string]int{"reviewer-0a1b2c3d": 25}, OldestPending: now.Add(-90 * time.Minute)}}
	f := newFixture(t, func(d *api.Deps) { d.Queue = q })
	body := scrape(t, f)
	body2 := scrape(t, f)
	if n := q.readCount(); n != 1 {
		t.Errorf("two scrapes in quick succession read the store %d times, want 1", n)
	}
	for _, b := range []string{body, body2} {
		for _, want := range []string{
			`vigil_api_review_queue_flags{status="pending"} 1200`,
			`vigil_api_review_queue_flags{status="claimed"} 25`,
			`vigil_api_review_queue_flags{status="escalated"} 3`,
			`vigil_api_review_queue_flags{status="confirmed"} 410`,
			`vigil_api_review_queue_flags{status="dismissed"} 97`,
			`vigil_api_review_queue_oldest_age_seconds{queue="escalated"} 0`,
			`vigil_api_review_queue_errors_total 0`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		// No reviewer's pseudonym is a label.
		if strings.Contains(b, "reviewer-0a1b2c3d") {
			t.Error("/metrics names a reviewer")
		}
	}
	families, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var age float64 = -1
	for _, mf := range families {
		if mf.GetName() != "vigil_api_review_queue_oldest_age_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == "pending" {
				age = m.GetGauge().GetValue()
			}
		}
	}
	if age < 90*60 || age > 90*60+60 {
		t.Errorf("oldest pending age %v s, want 5,400 s (90 minutes) and a little", age)
	}
	// A server without a review queue exports none of these.
	bare := newFixture(t)
	for _, name := range reviewMetricNames {
		if n, err := testutil.GatherAndCount(bare.reg, name); err != nil || n != 0 {
			t.Errorf("a server without a queue exports %d series of %s (%v)", n, name, err)
		}
	}
	// With a review service but no counts: the counters, not the gauges.
	g := newFixture(t, func(d *api.Deps) { d.Review = &memReview{} })
	if n, _ := testutil.GatherAndCount(g.reg, "vigil_api_review_decisions_total"); n != 3 {
		t.Errorf("decision kinds exported: %d, want 3", n)
	}
	if n, _ := testutil.GatherAndCount(g.reg, "vigil_api_review_queue_flags"); n != 0 {
		t.Errorf("queue gauges without counts: %d series", n)
	}
}

// TestReviewQueueMetricsStoreDown: a store that fails costs the scrape
// the queue's gauges, counted, and nothing else; once the store is back
// (after the shared reading's 2 s) they return.
func TestReviewQueueMetricsStoreDown(t *testing.T) {
	q := &countingQueue{err: errors.New("store down: connection refused")}
	f := newFixture(t, func(d *api.Deps) {
		d.Queue = q
		d.Review = &memReview{}
	})
	body := scrape(t, f)
	if strings.Contains(body, "vigil_api_review_queue_flags") || strings.Contains(body, "vigil_api_review_queue_oldest_age_seconds") {
		t.Error("the queue gauges are served although the store failed")
	}
	for _, want := range []string{`vigil_api_review_queue_errors_total 1`, `vigil_api_review_decisions_total{decision="confirm"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(f.logs.String(), "review queue metrics") {
		t.Error("the failure is not logged")
	}
	q.mu.Lock()
	q.err, q.c = nil, event.QueueCounts{Pending: 7}
	q.mu.Unlock()
	// The failed reading is shared for 2 s, like a value.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(body, `vigil_api_review_queue_flags{status="pending"} 7`) {
		if time.Now().After(deadline) {
			t.Fatalf("the gauges did not come back after the store did:\n%s", body)
		}
		time.Sleep(250 * time.Millisecond)
		body = scrape(t, f)
	}
	if n := q.readCount(); n != 2 {
		t.Errorf("%d store reads, want 2 (one failed, one after the shared reading expired)", n)
	}
	if !strings.Contains(body, `vigil_api_review_queue_oldest_age_seconds{queue="pending"} 0`) {
		t.Error("an empty queue's oldest age is not 0")
	}
}
