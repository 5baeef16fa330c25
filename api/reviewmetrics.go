package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/vigilhq/vigil/event"
)

// The review metrics: the backlog by status and the age of each queue's
// oldest flag (read from the store, as every replica sees it: aggregate
// them with max, not sum), and the decisions and claims this process
// committed (its own work: sum them across replicas). No flag id and no
// reviewer is ever a label.

// reviewMetrics count what the review queue did through this server.
type reviewMetrics struct {
	decisions *prometheus.CounterVec
	claims    prometheus.Counter
}

// decisionKinds are the label values of vigil_api_review_decisions_total,
// each present from the start.
var decisionKinds = []string{event.DecisionConfirm, event.DecisionDismiss, event.DecisionEscalate}

// newReviewMetrics creates the counters on reg (nil: kept unexported).
// Like promauto, it panics when reg holds them already.
func newReviewMetrics(reg prometheus.Registerer) *reviewMetrics {
	f := promauto.With(reg)
	m := &reviewMetrics{
		decisions: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "review_decisions_total",
			Help: "Review decisions committed through this process, by kind (confirm, dismiss, escalate), " +
				"from the JSON API and the console, single or in bulk; a decision the store refused is not counted.",
		}, []string{"decision"}),
		claims: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "review_claims_total",
			Help:      "Flags handed out to monitors by claims through this process (each flag of a claim counts once).",
		}),
	}
	for _, k := range decisionKinds {
		m.decisions.WithLabelValues(k)
	}
	return m
}

// decided counts one committed decision of kind d. Only the known kinds
// are label values, whatever a caller sent.
func (m *reviewMetrics) decided(d string) {
	if event.ValidDecision(d) {
		m.decisions.WithLabelValues(d).Inc()
	}
}

// countingReview is the review service as the server calls it: every
// route, of the JSON API and of the console, reaches the queue through
// it, so that each decision the store commits is counted exactly once,
// however it came.
type countingReview struct {
	event.ReviewService
	m *reviewMetrics
}

func (c countingReview) Claim(ctx context.Context, reviewer string, limit int, f event.QueueFilter, sort string) (event.Claim, error) {
	cl, err := c.ReviewService.Claim(ctx, reviewer, limit, f, sort)
	if err == nil {
		c.m.claims.Add(float64(len(cl.Flags)))
	}
	return cl, err
}

func (c countingReview) Decide(ctx context.Context, r event.DecisionRequest) (event.Flag, error) {
	fl, err := c.ReviewService.Decide(ctx, r)
	if err == nil {
		c.m.decided(r.Decision)
	}
	return fl, err
}

// DecideBulk counts each decision of the bulk that was committed: its
// result has no error. Results come in the order of the requests.
func (c countingReview) DecideBulk(ctx context.Context, rs []event.DecisionRequest) ([]event.DecisionResult, error) {
	results, err := c.ReviewService.DecideBulk(ctx, rs)
	if err != nil {
		return results, err
	}
	for i, res := range results {
		if res.Err != nil {
			continue
		}
		switch {
		case i < len(rs) && rs[i].FlagID == res.FlagID:
			c.m.decided(rs[i].Decision)
		case res.Flag != nil && res.Flag.Decision != nil:
			c.m.decided(res.Flag.Decision.Decision)
		}
	}
	return results, nil
}

// queueMetricsTimeout bounds how long a scrape waits for the backlog,
// well inside Prometheus's default scrape timeout of 10 s.
const queueMetricsTimeout = 3 * time.Second

// queueCollector exports the backlog from the server's shared counts
// (sharedCounts): a scrape reads at most one reading every countsEvery,
// the same one the consoles' live counts show, never a store read of its
// own. When the store fails or is slow, it logs a warning, counts the
// scrape in vigil_api_review_queue_errors_total and leaves the gauges out
// of that scrape, and the api's other metrics are still served.
type queueCollector struct {
	counts event.QueueCounter
	log    *slog.Logger
	now    func() time.Time
	flags  *prometheus.Desc
	oldest *prometheus.Desc
	errors prometheus.Counter
}

func newQueueCollector(counts event.QueueCounter, log *slog.Logger) *queueCollector {
	return &queueCollector{
		counts: counts,
		log:    log,
		now:    time.Now,
		flags: prometheus.NewDesc(prometheus.BuildFQName("vigil", "api", "review_queue_flags"),
			"Flags by review status as the store reads them (pending, claimed, escalated, confirmed, dismissed; "+
				"a lapsed claim counts in the queue it was claimed from), read at most every 2 s.",
			[]string{"status"}, nil),
		oldest: prometheus.NewDesc(prometheus.BuildFQName("vigil", "api", "review_queue_oldest_age_seconds"),
			"Age of the oldest flag waiting in each review queue (pending, escalated), from its creation; 0 when the queue is empty.",
			[]string{"queue"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "review_queue_errors_total",
			Help:      "Scrapes that left out the vigil_api_review_queue_* gauges because the store failed or was slow to give the backlog.",
		}),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.flags
	ch <- c.oldest
	c.errors.Describe(ch)
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queueMetricsTimeout)
	defer cancel()
	q, err := c.counts.QueueCounts(ctx)
	if err != nil {
		c.errors.Inc()
		c.log.Warn("review queue metrics: the store did not give the backlog; left out of this scrape", "err", err)
		c.errors.Collect(ch)
		return
	}
	c.errors.Collect(ch)
	for _, s := range []struct {
		status string
		n      int
	}{
		{event.StatusPending, q.Pending}, {event.StatusClaimed, q.Claimed}, {event.StatusEscalated, q.Escalated},
		{event.StatusConfirmed, q.Confirmed}, {event.StatusDismissed, q.Dismissed},
	} {
		ch <- prometheus.MustNewConstMetric(c.flags, prometheus.GaugeValue, float64(s.n), s.status)
	}
	now := c.now()
	for _, o := range []struct {
		queue  string
		oldest time.Time
	}{{event.StatusPending, q.OldestPending}, {event.StatusEscalated, q.OldestEscalated}} {
		age := 0.0
		if !o.oldest.IsZero() {
			age = max(now.Sub(o.oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age, o.queue)
	}
}
