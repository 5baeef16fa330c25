package ingest

import (
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/vigilhq/vigil/event"
)

// Health records how each source's collection goes: every fetch that
// failed (by kind), every round that succeeded, and the failures in a row
// since the last success. It feeds the metrics an alert reads
// (vigil_ingest_errors_total, vigil_ingest_last_success_timestamp_seconds,
// vigil_ingest_consecutive_failures) and the /readyz detail. Safe for
// concurrent use; a nil *Health records nothing.
type Health struct {
	now func() time.Time

	errs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	failing     *prometheus.GaugeVec
	polls       *prometheus.CounterVec

	mu      sync.Mutex
	sources map[string]*SourceHealth
}

// SourceHealth is one source's state, as Health.Report returns it.
type SourceHealth struct {
	Source string
	// LastSuccess is when the source last completed a round (an empty
	// page is a success); zero if it never has.
	LastSuccess time.Time
	// Failures counts failed fetches since LastSuccess.
	Failures int
	// Since is when the current run of failures began.
	Since time.Time
	// LastKind and LastError describe the latest failure.
	LastKind, LastError string
}

// Fetch error kinds, the values of the kind label beside the dead-letter
// kinds of event.KindOf.
const (
	KindRateLimited = "rate_limited" // 429, or the platform's own limit error
	KindServer      = "server"       // 5xx
	KindClient      = "client"       // another 4xx
	KindAuth        = "auth"         // 401 or 403: the credentials
	KindNetwork     = "network"      // no answer, a reset, a timeout
	KindMalformed   = "malformed"    // a body that is not what the API documents
	KindBlocked     = "blocked"      // an address the source may not reach
)

// NewHealth returns a Health registering its metrics with reg (nil keeps
// them unexported).
func NewHealth(reg prometheus.Registerer) *Health {
	f := promauto.With(reg)
	return &Health{
		now:     time.Now,
		sources: map[string]*SourceHealth{},
		errs: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "errors_total",
			Help: "Errors by source and kind: fetches that failed (rate_limited, server, client, auth, network, malformed, blocked) and input sent to the dead-letter topic (its reason's kind).",
		}, []string{"source", "kind"}),
		lastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "last_success_timestamp_seconds",
			Help: "Unix time of a source's last successful round (a poll that completed, or a batch written).",
		}, []string{"source"}),
		failing: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "consecutive_failures",
			Help: "Failed fetches of a source since its last success; 0 when healthy.",
		}, []string{"source"}),
		polls: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "polls_total",
			Help: "Collection rounds by source and result (ok, error).",
		}, []string{"source", "result"}),
	}
}

func (h *Health) state(source string) *SourceHealth {
	s := h.sources[source]
	if s == nil {
		s = &SourceHealth{Source: source}
		h.sources[source] = s
		h.failing.WithLabelValues(source).Set(0)
		// Counters start at 0, so that their series exist (for rates,
		// dashboards and alerts) before the first round or error.
		h.polls.WithLabelValues(source, "ok")
		h.polls.WithLabelValues(source, "error")
		for _, kind := range fetchKinds {
			h.errs.WithLabelValues(source, kind)
		}
	}
	return s
}

// fetchKinds are the kinds of failed fetch.
var fetchKinds = []string{KindRateLimited, KindServer, KindClient, KindAuth, KindNetwork, KindMalformed, KindBlocked}

// Register makes a source known before its first round, so that a source
// that never succeeds is visible (its last success stays 0).
func (h *Health) Register(source string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state(source)
	h.lastSuccess.WithLabelValues(source)
}

// Success records a completed round of source.
func (h *Health) Success(source string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(source)
	s.LastSuccess, s.Failures, s.Since, s.LastKind, s.LastError = h.now(), 0, time.Time{}, "", ""
	h.lastSuccess.WithLabelValues(source).Set(float64(s.LastSuccess.UnixNano()) / 1e9)
	h.failing.WithLabelValues(source).Set(0)
	h.polls.WithLabelValues(source, "ok").Inc()
}

// Failure records a failed fetch of source; kind is one of the Kind
// constants (KindOf finds it in an error).
func (h *Health) Failure(source, kind string, err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(source)
	if s.Failures == 0 {
		s.Since = h.now()
	}
	s.Failures++
	s.LastKind = kind
	if err != nil {
		s.LastError = err.Error()
	}
	h.errs.WithLabelValues(source, kind).Inc()
	h.failing.WithLabelValues(source).Set(float64(s.Failures))
	h.polls.WithLabelValues(source, "error").Inc()
}

// input counts input of source that went to the dead-letter topic.
func (h *Health) input(source, kind string) {
	if h == nil {
		return
	}
	h.errs.WithLabelValues(source, kind).Inc()
}

// written records that a batch holding items of source was written.
func (h *Health) written(source string, at time.Time) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.state(source)
	if at.After(s.LastSuccess) {
		s.LastSuccess = at
		h.lastSuccess.WithLabelValues(source).Set(float64(at.UnixNano()) / 1e9)
	}
}

// Report returns every known source's state, by name.
func (h *Health) Report() []SourceHealth {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]SourceHealth, 0, len(h.sources))
	for _, s := range h.sources {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b SourceHealth) int {
		switch {
		case a.Source < b.Source:
			return -1
		case a.Source > b.Source:
			return 1
		}
		return 0
	})
	return out
}

// Degraded lists, one line each, the sources that have failed at least
// threshold times in a row: the /readyz detail. A failing collector does
// not make the process unready (restarting it would not help); it shows
// here and in the metrics, where the IngestSourceFailing alert reads it.
func (h *Health) Degraded(threshold int) []string {
	var out []string
	for _, s := range h.Report() {
		if s.Failures < threshold {
			continue
		}
		last := "never"
		if !s.LastSuccess.IsZero() {
			last = s.LastSuccess.UTC().Format(time.RFC3339)
		}
		out = append(out, fmt.Sprintf("source %s: %d failures in a row since %s (last: %s: %s); last success %s",
			s.Source, s.Failures, s.Since.UTC().Format(time.RFC3339), s.LastKind, s.LastError, last))
	}
	return out
}

// Env is what a source is built with, beside its own settings.
type Env struct {
	// Cursors keep the source's place; nil means it starts fresh each
	// time.
	Cursors Cursors
	// Health records the source's rounds; may be nil.
	Health *Health
	// Log receives the source's warnings; nil means slog.Default.
	Log *slog.Logger
	// Getenv reads the credentials a config names by variable; nil means
	// none are set.
	Getenv func(string) string
	// Once makes the source do one round and return (vigil ingest
	// --once).
	Once bool
	// Limits bound each post.
	Limits event.Limits
	// FS, when set, is where relative file paths are opened.
	FS fs.FS
}

// Logger returns e.Log or the default logger.
func (e Env) Logger() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}

// Secret reads the environment variable name; "" when name or Getenv is
// empty.
func (e Env) Secret(name string) string {
	if name == "" || e.Getenv == nil {
		return ""
	}
	return e.Getenv(name)
}
