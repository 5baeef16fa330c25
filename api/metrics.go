package api

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/vigilhq/vigil/event"
)

// routeUnmatched labels requests that matched no route (404s and 405s of
// the router), so that a scan of random paths cannot grow the label set.
const routeUnmatched = "unmatched"

type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	rateLimited   *prometheus.CounterVec
	limiterErrors prometheus.Counter
}

// newMetrics creates the api's metrics on reg (which may be nil: the
// metrics then work but are not exported). Like promauto, it panics when
// reg already holds them: one registry serves one Server.
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "requests_total",
			Help:      "HTTP requests served, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "request_duration_seconds",
			Help:      "Time to serve an HTTP request, by route pattern.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"route"}),
		// By role only: a token ID as a label would name callers and grow
		// without bound.
		rateLimited: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "rate_limited_total",
			Help:      "Requests refused with 429 because the token's request budget was spent, by the token's role.",
		}, []string{"role"}),
		limiterErrors: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "rate_limiter_errors_total",
			Help:      "Rate limiter failures (Redis down or slow); each let its request through unlimited.",
		}),
	}
}

// observe records one request. route is a registered pattern such as
// "GET /api/v1/posts/{platform}/{id}", never a path, so that no post or
// account ID becomes a label.
func (m *metrics) observe(route string, code int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}

// The takedown funnel. Its numbers are the store's, not this process's:
// they are read from event.TakedownService.TakedownStats at each scrape,
// so every replica of the api reports the same values (aggregate them
// with max, not sum). The metrics carry no account or request id.

// takedownStatsTimeout bounds the store read of one scrape, well inside
// Prometheus's default scrape timeout of 10 s, so that a slow store costs
// the scrape the funnel and not the api's other metrics.
const takedownStatsTimeout = 3 * time.Second

// takedownActionBuckets are the upper bounds of the time to action
// histogram, in seconds: from an hour (a platform that answers the same
// day) to 90 days (one that barely answers).
var takedownActionBuckets = []float64{
	(1 * time.Hour).Seconds(),
	(6 * time.Hour).Seconds(),
	(24 * time.Hour).Seconds(),
	(2 * 24 * time.Hour).Seconds(),
	(3 * 24 * time.Hour).Seconds(),
	(7 * 24 * time.Hour).Seconds(),
	(14 * 24 * time.Hour).Seconds(),
	(30 * 24 * time.Hour).Seconds(),
	(90 * 24 * time.Hour).Seconds(),
}

// takedownCollector exports the funnel. When the store cannot answer in
// time it logs a warning, counts the failure in
// vigil_api_takedown_stats_errors_total and leaves the funnel's metrics
// out of that scrape: a series that disappears, with a counter that says
// why, is better than a stale value that looks current or a failed
// scrape that hides the api's other metrics.
type takedownCollector struct {
	stats        func(context.Context) (event.TakedownStats, error)
	log          *slog.Logger
	requests     *prometheus.Desc
	timeToAction *prometheus.Desc
	reappeared   *prometheus.Desc
	errors       prometheus.Counter
}

// registerTakedownMetrics registers the funnel's collector on reg when
// there is a registry and a takedown store. Like promauto, it panics when
// reg holds the metrics already.
func registerTakedownMetrics(reg prometheus.Registerer, takedowns event.TakedownService, log *slog.Logger) {
	if reg == nil || takedowns == nil {
		return
	}
	reg.MustRegister(newTakedownCollector(takedowns.TakedownStats, log))
}

func newTakedownCollector(stats func(context.Context) (event.TakedownStats, error), log *slog.Logger) *takedownCollector {
	return &takedownCollector{
		stats: stats,
		log:   log,
		requests: prometheus.NewDesc(prometheus.BuildFQName("vigil", "takedown", "requests"),
			"Takedown requests by their current status (sent, acknowledged, actioned, rejected, no_response); every status is present.",
			[]string{"status"}, nil),
		timeToAction: prometheus.NewDesc(prometheus.BuildFQName("vigil", "takedown", "time_to_action_seconds"),
			"Time from sending a takedown request to the platform acting on it, of the requests now actioned.",
			nil, nil),
		reappeared: prometheus.NewDesc(prometheus.BuildFQName("vigil", "takedown", "reappeared_accounts"),
			"Accounts that posted again after a platform actioned a takedown request against them.",
			nil, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil",
			Subsystem: "api",
			Name:      "takedown_stats_errors_total",
			Help:      "Scrapes that left out the vigil_takedown_* metrics because the store failed or was slow to give them.",
		}),
	}
}

func (c *takedownCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.requests
	ch <- c.timeToAction
	ch <- c.reappeared
	c.errors.Describe(ch)
}

func (c *takedownCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), takedownStatsTimeout)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		c.errors.Inc()
		c.log.Warn("takedown metrics: the store did not give the funnel; left out of this scrape", "err", err)
		c.errors.Collect(ch)
		return
	}
	c.errors.Collect(ch)
	for status, n := range takedownStatsJSON(st).ByStatus {
		ch <- prometheus.MustNewConstMetric(c.requests, prometheus.GaugeValue, float64(n), status)
	}
	buckets := make(map[float64]uint64, len(takedownActionBuckets))
	for _, le := range takedownActionBuckets {
		buckets[le] = 0
	}
	var sum float64
	for _, s := range st.TimeToAction {
		sum += s
		for _, le := range takedownActionBuckets {
			if s <= le {
				buckets[le]++
			}
		}
	}
	ch <- prometheus.MustNewConstHistogram(c.timeToAction, uint64(len(st.TimeToAction)), sum, buckets)
	ch <- prometheus.MustNewConstMetric(c.reappeared, prometheus.GaugeValue, float64(st.Reappeared))
}
