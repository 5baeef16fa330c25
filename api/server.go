package api

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vigilhq/vigil/event"
)

//go:embed openapi.yaml
var openAPI []byte

// Deps are what a Server reads from and reports to.
type Deps struct {
	// Read serves the API's reads. Required.
	Read event.ReadService
	// Tokens verifies bearer tokens. Required; NewStaticTokens("")
	// accepts none.
	Tokens TokenVerifier
	// TokenAdmin keeps API tokens, for the admins' /api/v1/tokens routes;
	// nil answers them 503 (a server with the bootstrap token only).
	TokenAdmin event.TokenService
	// Accounts serves one account's view (GET
	// /api/v1/accounts/{platform}/{id}); nil answers it 503.
	Accounts event.AccountViewService
	// Cases keeps the advocates' cases (/api/v1/cases...); nil answers
	// those routes 503.
	Cases event.CaseService
	// Takedowns tracks takedown requests (/api/v1/takedowns...) and
	// feeds the vigil_takedown_* funnel metrics; nil answers those
	// routes 503 and exports no funnel.
	Takedowns event.TakedownService
	// Review is the review queue (/api/v1/queue/..., decisions); nil
	// answers those routes 503. With it the server counts the decisions
	// and claims it commits (vigil_api_review_decisions_total{decision},
	// vigil_api_review_claims_total).
	Review event.ReviewService
	// Evidence gathers evidence and records the packs made of it
	// (/api/v1/.../evidence-pack, /api/v1/packs/{id}); nil answers those
	// routes 503. Packs says how packs are written and signed.
	Evidence event.EvidenceService
	Packs    PackSettings
	// Gatherer is what /metrics exposes. Required.
	Gatherer prometheus.Gatherer
	// Registerer receives the api's own metrics; nil keeps them
	// unexported.
	Registerer prometheus.Registerer
	// Ready reports whether the role can serve (for /readyz); nil means
	// always ready.
	Ready func(ctx context.Context) error
	// Detail, when set, lists what works but not well (a collector that
	// keeps failing), one line each, for the /readyz body; it does not
	// make the process unready.
	Detail func() []string
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
	// Version is the Vigil version, shown on the sign-in page.
	Version string
	// Queue reads the review backlog for the console's live counts and
	// the vigil_api_review_queue_* gauges, at most once every 2 s for all
	// of them; nil means the console says the counts are unavailable and
	// those gauges are not exported.
	Queue event.QueueCounter
	// Normalize is the classifier's normalisation, for the console's
	// "normalised text" view of a post: the text as matched, and the
	// transformations it needed. nil means the view says it is
	// unavailable.
	Normalize func(text string) (normalized string, transforms []string)
	// RateLimiter keeps each token's request budget. nil means an
	// in-process limiter of Config.RateLimit, private to this process;
	// give every replica the same shared one (redisrate, in Redis) to
	// hold a token to one budget across replicas. It is unused when
	// Config.RateLimit turns limiting off.
	RateLimiter RateLimiter
}

// Server is the HTTP API. Build it with New, serve it with Run or mount
// Handler in a server of your own.
type Server struct {
	cfg        Config
	read       event.ReadService
	tokens     TokenVerifier
	tokenAdmin event.TokenService
	accounts   event.AccountViewService
	cases      event.CaseService
	takedowns  event.TakedownService
	evidence   event.EvidenceService
	packs      PackSettings
	version    string
	review     event.ReviewService
	queue      event.QueueCounter
	normalize  func(string) (string, []string)
	console    *console
	// streamsDone is closed when Run shuts down, to end the console's
	// live-counts streams, which would otherwise hold the shutdown.
	streamsDone chan struct{}
	closeOnce   sync.Once
	ready       func(context.Context) error
	detail      func() []string
	log         *slog.Logger
	metrics     *metrics
	packMetrics *packMetrics
	limiter     *rateLimiter // nil: no limit
	routes      []route
	handler     http.Handler
}

// route is one registered pattern. role is the least role that may call
// it, "" for a public route.
type route struct {
	pattern string
	role    string
	handler http.Handler
}

// New returns a Server for cfg, or an error when cfg is invalid or a
// required dependency is missing. It registers the api's metrics on
// deps.Registerer and, like promauto, panics if they are there already:
// give each Server its own registry.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("api config: %w", err)
	}
	switch {
	case deps.Read == nil:
		return nil, errors.New("api: Deps.Read is required")
	case deps.Tokens == nil:
		return nil, errors.New("api: Deps.Tokens is required")
	case deps.Gatherer == nil:
		return nil, errors.New("api: Deps.Gatherer is required (it is what /metrics serves)")
	}
	s := &Server{
		cfg:         cfg.withDefaults(),
		read:        deps.Read,
		tokens:      deps.Tokens,
		tokenAdmin:  deps.TokenAdmin,
		accounts:    deps.Accounts,
		cases:       deps.Cases,
		takedowns:   deps.Takedowns,
		evidence:    deps.Evidence,
		packs:       deps.Packs,
		version:     deps.Version,
		review:      deps.Review,
		normalize:   deps.Normalize,
		streamsDone: make(chan struct{}),
		ready:       deps.Ready,
		detail:      deps.Detail,
		log:         deps.Logger,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if deps.Queue != nil {
		s.queue = newSharedCounts(deps.Queue, countsEvery)
	}
	c, err := newConsole()
	if err != nil {
		return nil, fmt.Errorf("api console: %w", err)
	}
	s.console = c
	s.metrics = newMetrics(deps.Registerer)
	s.packMetrics = newPackMetrics(deps.Registerer)
	registerTakedownMetrics(deps.Registerer, deps.Takedowns, s.log)
	if deps.Review != nil {
		s.review = countingReview{ReviewService: deps.Review, m: newReviewMetrics(deps.Registerer)}
	}
	if s.queue != nil && deps.Registerer != nil {
		deps.Registerer.MustRegister(newQueueCollector(s.queue, s.log))
	}
	limiter, err := newRateLimiter(s.cfg.RateLimit, deps.RateLimiter)
	if err != nil {
		return nil, fmt.Errorf("api rate limit: %w", err)
	}
	s.limiter = limiter
	metricsHandler := promhttp.HandlerFor(deps.Gatherer, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
	s.routes = []route{
		// The landing page is the console's sign-in page; it stays in the
		// OpenAPI document as what the server's root answers.
		{"GET /{$}", "", http.HandlerFunc(s.handleSignInPage)},
		{"GET /healthz", "", http.HandlerFunc(s.handleHealthz)},
		{"GET /readyz", "", http.HandlerFunc(s.handleReadyz)},
		{"GET /metrics", "", metricsHandler},
		{"GET /api/v1/openapi.yaml", "", http.HandlerFunc(s.handleOpenAPI)},
		{"GET /api/v1/keys", "", http.HandlerFunc(s.handleKeys)},
		{"GET /api/v1/accounts", RoleViewer, http.HandlerFunc(s.handleAccounts)},
		{"GET /api/v1/flags", RoleViewer, http.HandlerFunc(s.handleFlags)},
		{"GET /api/v1/posts/{platform}/{id}", RoleViewer, http.HandlerFunc(s.handlePost)},
		{"GET /api/v1/accounts/{platform}/{id}", RoleViewer, http.HandlerFunc(s.handleAccount)},
		{"GET /api/v1/accounts/{platform}/{id}/evidence-pack", RoleAdvocate, http.HandlerFunc(s.handleAccountPack)},
		{"GET /api/v1/cases/{id}/evidence-pack", RoleAdvocate, http.HandlerFunc(s.handleCasePack)},
		{"GET /api/v1/packs/{id}", RoleViewer, http.HandlerFunc(s.handlePack)},
		{"GET /api/v1/cases", RoleViewer, http.HandlerFunc(s.handleListCases)},
		{"POST /api/v1/cases", RoleAdvocate, http.HandlerFunc(s.handleCreateCase)},
		{"GET /api/v1/cases/{id}", RoleViewer, http.HandlerFunc(s.handleGetCase)},
		{"PATCH /api/v1/cases/{id}", RoleAdvocate, http.HandlerFunc(s.handleUpdateCase)},
		{"POST /api/v1/cases/{id}/accounts", RoleAdvocate, http.HandlerFunc(s.handleAddCaseAccounts)},
		{"DELETE /api/v1/cases/{id}/accounts/{platform}/{account}", RoleAdvocate, http.HandlerFunc(s.handleRemoveCaseAccount)},
		{"POST /api/v1/cases/{id}/flags", RoleAdvocate, http.HandlerFunc(s.handleAddCaseFlags)},
		{"DELETE /api/v1/cases/{id}/flags/{flag}", RoleAdvocate, http.HandlerFunc(s.handleRemoveCaseFlag)},
		{"GET /api/v1/takedowns", RoleViewer, http.HandlerFunc(s.handleListTakedowns)},
		{"POST /api/v1/takedowns", RoleAdvocate, http.HandlerFunc(s.handleCreateTakedown)},
		{"GET /api/v1/takedowns/reappeared", RoleViewer, http.HandlerFunc(s.handleReappeared)},
		{"GET /api/v1/takedowns/stats", RoleViewer, http.HandlerFunc(s.handleTakedownStats)},
		{"GET /api/v1/takedowns/{id}", RoleViewer, http.HandlerFunc(s.handleGetTakedown)},
		{"POST /api/v1/takedowns/{id}/status", RoleAdvocate, http.HandlerFunc(s.handleUpdateTakedown)},
		{"POST /api/v1/queue/claim", RoleMonitor, http.HandlerFunc(s.handleClaim)},
		{"POST /api/v1/queue/release", RoleMonitor, http.HandlerFunc(s.handleRelease)},
		{"POST /api/v1/flags/{id}/decision", RoleMonitor, http.HandlerFunc(s.handleDecide)},
		{"POST /api/v1/decisions", RoleMonitor, http.HandlerFunc(s.handleDecideBulk)},
		{"POST /api/v1/tokens", RoleAdmin, http.HandlerFunc(s.handleCreateToken)},
		{"GET /api/v1/tokens", RoleAdmin, http.HandlerFunc(s.handleListTokens)},
		{"DELETE /api/v1/tokens/{id}", RoleAdmin, http.HandlerFunc(s.handleRevokeToken)},
		// Any other path under /api/v1/ gets a JSON 404, behind the same
		// token as the rest of the API. It is not in the OpenAPI document.
		{"GET /api/v1/", RoleViewer, http.HandlerFunc(s.handleNotFound)},
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		h := rt.handler
		if rt.role != "" {
			h = s.authorize(rt.role, h)
		}
		mux.Handle(rt.pattern, routed(rt.pattern, h))
	}
	for _, rt := range s.consoleRoutes() {
		h := rt.handler
		if rt.role != "" {
			h = s.consoleAuthorize(rt.role, h)
		}
		mux.Handle(rt.pattern, routed(rt.pattern, h))
	}
	s.handler = s.serve(mux)
	return s, nil
}

// Handler returns the API's handler: every route with its security
// headers, authentication and metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves on ln until ctx ends, then shuts down gracefully: running
// requests get Config.ShutdownTimeout to finish before their connections
// are closed. It closes ln. It returns nil after a shutdown that ctx
// asked for, and the error otherwise.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:      s.handler,
		ReadTimeout:  s.cfg.ReadTimeout,
		WriteTimeout: s.cfg.WriteTimeout,
		IdleTimeout:  s.cfg.IdleTimeout,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(s.closeStreams)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("api serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if err != nil {
		_ = srv.Close()
		err = fmt.Errorf("api shutdown: %w", err)
	}
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = fmt.Errorf("api serve: %w", serveErr)
	}
	return err
}

// closeStreams ends the console's live-counts streams.
func (s *Server) closeStreams() { s.closeOnce.Do(func() { close(s.streamsDone) }) }

// Security headers. API responses are neither cached nor framed nor
// allowed to load anything; the console's pages set their own policy.
const apiCSP = "default-src 'none'; frame-ancestors 'none'"

// recorder notes the status of a response and the route that served it.
type recorder struct {
	http.ResponseWriter
	status int
	route  string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// routed tells the recorder which route is serving the request: the
// pattern as registered, so that the metrics never see a raw path.
func routed(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			rec.route = pattern
		}
		h.ServeHTTP(w, r)
	})
}

// serve wraps the router: security headers on every response, a panic
// turned into a logged 500, and the request metrics.
func (s *Server) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", apiCSP)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		rec := &recorder{ResponseWriter: w, route: routeUnmatched}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "api handler panicked", "method", r.Method, "route", rec.route,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.writeJSON(rec, r, http.StatusInternalServerError, errorBodyOf(event.EINTERNAL, "internal error"))
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.observe(rec.route, status, time.Since(start))
		}()
		next.ServeHTTP(rec, r)
	})
}
