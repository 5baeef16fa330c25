package api_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/ratelimit"
	"github.com/vigilhq/vigil/api/ratelimit/redisrate"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/internal/redistest"
)

// rateFixture is a server with a budget of limit per token and a
// viewer, a monitor and an admin token in the store besides the bootstrap
// admin.
func rateFixture(t *testing.T, limit api.RateLimit, edit ...func(*api.Deps)) (*fixture, map[string]string) {
	t.Helper()
	store := newMemTokens()
	auth := map[string]string{"bootstrap": "Bearer " + adminToken}
	for _, role := range []string{event.RoleViewer, event.RoleMonitor, event.RoleAdmin} {
		_, secret, _ := store.CreateToken(context.Background(), event.NewToken{Role: role})
		auth[role] = "Bearer " + secret
	}
	f := newFixtureConfig(t, api.Config{RateLimit: limit}, append([]func(*api.Deps){func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(store, adminToken)
		d.TokenAdmin = store
	}}, edit...)...)
	return f, auth
}

// TestRateLimit: each token has its own budget; over it, 429 with
// Retry-After and a rate_limited error, counted by role; the public
// routes and unauthenticated requests spend nothing.
func TestRateLimit(t *testing.T) {
	f, auth := rateFixture(t, api.RateLimit{Requests: 3, Per: time.Hour})
	for range 3 {
		if resp, body := f.get(t, "/api/v1/flags", auth[event.RoleViewer]); resp.StatusCode != 200 {
			t.Fatalf("within the budget: %d %s", resp.StatusCode, body)
		}
	}
	resp, body := f.get(t, "/api/v1/flags", auth[event.RoleViewer])
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("over the budget: %d %s, want 429", resp.StatusCode, body)
	}
	checkError(t, body, event.ERATELIMITED, "too many requests")
	// One request comes back every 20 minutes; the first is due in 20.
	if got := resp.Header.Get("Retry-After"); got != "1200" {
		t.Errorf("Retry-After = %q, want 1200 (seconds)", got)
	}
	// Every route with a token spends from the same budget.
	if resp, _ := f.get(t, "/api/v1/accounts", auth[event.RoleViewer]); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("another route over the budget: %d, want 429", resp.StatusCode)
	}

	// Other tokens, the bootstrap admin among them, have budgets of their
	// own; a request refused for its role spends too.
	for _, caller := range []string{event.RoleMonitor, event.RoleAdmin, "bootstrap"} {
		for i := range 3 {
			if resp, body := f.get(t, "/api/v1/accounts", auth[caller]); resp.StatusCode != 200 {
				t.Fatalf("%s, request %d: %d %s", caller, i+1, resp.StatusCode, body)
			}
		}
		if resp, _ := f.get(t, "/api/v1/accounts", auth[caller]); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%s over the budget: %d, want 429", caller, resp.StatusCode)
		}
	}

	// No token, a wrong token and the public routes: never limited.
	for range 5 {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.yaml", "/"} {
			if resp, _ := f.get(t, path, auth[event.RoleViewer]); resp.StatusCode != 200 {
				t.Errorf("public %s with a spent token: %d, want 200", path, resp.StatusCode)
			}
		}
		if resp, _ := f.get(t, "/api/v1/flags", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", resp.StatusCode)
		}
		if resp, _ := f.get(t, "/api/v1/flags", "Bearer vigil_wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a wrong token: %d, want 401", resp.StatusCode)
		}
	}

	if got := testutil.ToFloat64(api.RateLimited(f.api, event.RoleViewer)); got != 2 {
		t.Errorf("vigil_api_rate_limited_total{role=viewer} = %g, want 2", got)
	}
	if got := testutil.ToFloat64(api.RateLimited(f.api, event.RoleAdmin)); got != 2 {
		t.Errorf("vigil_api_rate_limited_total{role=admin} = %g, want 2 (a stored admin token and the bootstrap admin)", got)
	}
	_, exposition := f.get(t, "/metrics", "")
	if !strings.Contains(string(exposition), `vigil_api_rate_limited_total{role="monitor"} 1`) {
		t.Errorf("/metrics lacks the monitor's 429:\n%s", exposition)
	}
	for _, line := range strings.Split(string(exposition), "\n") {
		if strings.HasPrefix(line, "vigil_api_rate_limited_total{") && (strings.Contains(line, "token:") || strings.Contains(line, "bootstrap")) {
			t.Errorf("a token identity is a label: %s", line)
		}
	}
}

// TestRateLimitRetryAfterRoundsUp: a wait of a fraction of a second is
// Retry-After 1, never 0.
func TestRateLimitRetryAfterRoundsUp(t *testing.T) {
	f, auth := rateFixture(t, api.RateLimit{Requests: 1, Per: 300 * time.Millisecond})
	f.get(t, "/api/v1/flags", auth[event.RoleViewer])
	resp, _ := f.get(t, "/api/v1/flags", auth[event.RoleViewer])
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("%d with Retry-After %q, want 429 with 1", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	time.Sleep(300 * time.Millisecond)
	if resp, _ := f.get(t, "/api/v1/flags", auth[event.RoleViewer]); resp.StatusCode != 200 {
		t.Fatalf("after the wait: %d, want 200", resp.StatusCode)
	}
}

// TestRateLimitDefault: the zero Config is 600 requests a minute per
// token, in process.
func TestRateLimitDefault(t *testing.T) {
	f := newFixture(t)
	auth := "Bearer " + adminToken
	start := time.Now()
	for i := range ratelimit.DefaultRequests {
		if resp, body := f.get(t, "/healthz", ""); resp.StatusCode != 200 {
			t.Fatalf("healthz: %d %s", resp.StatusCode, body)
		}
		if resp, body := f.get(t, "/api/v1/flags?limit=1", auth); resp.StatusCode != 200 {
			t.Fatalf("request %d of the default budget: %d %s", i+1, resp.StatusCode, body)
		}
	}
	// One request comes back every 100ms: as many may have come back
	// while the 600 ran, and no more.
	extra := 0
	for {
		resp, _ := f.get(t, "/api/v1/flags?limit=1", auth)
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
		extra++
		if gaveBack := int(time.Since(start)/(100*time.Millisecond)) + 1; extra > gaveBack {
			t.Fatalf("%d requests past the default budget of 600 in %s", extra, time.Since(start))
		}
	}
}

// TestRateLimitOff: a negative Requests turns limiting off; the limiter
// in Deps is then not asked.
func TestRateLimitOff(t *testing.T) {
	rec := &recordingLimiter{allow: false}
	f, auth := rateFixture(t, api.RateLimit{Requests: -1}, func(d *api.Deps) { d.RateLimiter = rec })
	for range 20 {
		if resp, body := f.get(t, "/api/v1/flags", auth[event.RoleViewer]); resp.StatusCode != 200 {
			t.Fatalf("%d %s, want 200 with limiting off", resp.StatusCode, body)
		}
	}
	if keys := rec.seen(); len(keys) != 0 {
		t.Errorf("the limiter was asked %d times with limiting off", len(keys))
	}
}

// recordingLimiter answers allow (or err) and remembers the keys asked.
type recordingLimiter struct {
	allow bool
	retry time.Duration
	err   error

	mu   sync.Mutex
	keys []string
}

func (r *recordingLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, key)
	return r.allow, r.retry, r.err
}

func (r *recordingLimiter) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

// TestRateLimitKeys: the limiter in Deps is asked once per authenticated
// request, with the principal's ID (never the token), and is not asked
// for public routes or requests without a valid token.
func TestRateLimitKeys(t *testing.T) {
	rec := &recordingLimiter{allow: true}
	f, auth := rateFixture(t, api.RateLimit{}, func(d *api.Deps) { d.RateLimiter = rec })
	f.get(t, "/api/v1/flags", auth[event.RoleViewer])
	f.get(t, "/api/v1/tokens", auth[event.RoleViewer]) // 403: spends too
	f.get(t, "/api/v1/accounts", auth["bootstrap"])
	f.get(t, "/api/v1/flags", "")
	f.get(t, "/api/v1/flags", "Bearer vigil_wrong")
	f.get(t, "/healthz", auth[event.RoleViewer])
	f.get(t, "/metrics", auth[event.RoleViewer])
	got := strings.Join(rec.seen(), " ")
	// rateFixture made the viewer's token first: its ID is 1.
	if want := "token:1 token:1 bootstrap"; got != want {
		t.Errorf("keys %q, want %q", got, want)
	}
	for _, secret := range auth {
		if strings.Contains(got, strings.TrimPrefix(secret, "Bearer ")) {
			t.Errorf("a token's secret reached the limiter: %q", got)
		}
	}

	// A deny from the limiter is the 429, with its retry rounded up.
	rec.mu.Lock()
	rec.allow, rec.retry = false, 2500*time.Millisecond
	rec.mu.Unlock()
	resp, body := f.get(t, "/api/v1/flags", auth[event.RoleViewer])
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "3" {
		t.Errorf("%d %s with Retry-After %q, want 429 with 3", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}

// TestRateLimiterFailsOpen: a limiter that fails (Redis down) lets every
// request through, logs it (not once per request) and counts it.
func TestRateLimiterFailsOpen(t *testing.T) {
	rec := &recordingLimiter{err: errors.New("redisrate: dial tcp 127.0.0.1:6379: connection refused")}
	f, auth := rateFixture(t, api.RateLimit{Requests: 1, Per: time.Hour}, func(d *api.Deps) { d.RateLimiter = rec })
	for range 10 {
		if resp, body := f.get(t, "/api/v1/flags", auth[event.RoleViewer]); resp.StatusCode != 200 {
			t.Fatalf("with the limiter failing: %d %s, want 200", resp.StatusCode, body)
		}
	}
	logs := f.logs.String()
	if n := strings.Count(logs, "api rate limiter failed"); n != 1 {
		t.Errorf("the failure was logged %d times, want once (then at most every 30s):\n%s", n, logs)
	}
	if !strings.Contains(logs, "connection refused") {
		t.Errorf("the log lacks the error:\n%s", logs)
	}
	if got := testutil.ToFloat64(api.RateLimiterErrors(f.api)); got != 10 {
		t.Errorf("vigil_api_rate_limiter_errors_total = %g, want 10", got)
	}
}

// TestRateLimitSharedAcrossReplicas: two servers, as two replicas, with
// limiters in one Redis hold a token to one budget between them.
func TestRateLimitSharedAcrossReplicas(t *testing.T) {
	prefix := redistest.Prefix(t)
	limit := api.RateLimit{Requests: 4, Per: time.Hour}
	var replicas []*fixture
	for range 2 {
		lim, err := redisrate.New(redistest.Client(t), limit, redisrate.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, newFixtureConfig(t, api.Config{RateLimit: limit}, func(d *api.Deps) { d.RateLimiter = lim }))
	}
	auth := "Bearer " + adminToken
	codes := map[int]int{}
	var retry string
	for i := range 8 {
		resp, _ := replicas[i%2].get(t, "/api/v1/flags", auth)
		codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retry = resp.Header.Get("Retry-After")
		}
	}
	if codes[200] != 4 || codes[429] != 4 {
		t.Errorf("statuses %v over two replicas, want 4 × 200 and 4 × 429 (one budget of 4)", codes)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 800 || n > 900 {
		t.Errorf("Retry-After %q, want about 900 (15 minutes)", retry)
	}
}
