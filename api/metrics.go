package api

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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
