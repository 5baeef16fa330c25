package netsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/ingest"
)

// settings are test settings: loopback allowed, tiny backoff, a rate limit
// that never gets in the way.
func settings() Settings {
	s := Settings{
		BaseURL:      "http://127.0.0.1",
		AllowPrivate: true,
		Retries:      2,
		Backoff:      Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
		RateLimit:    RateLimit{Requests: 1000, Per: time.Second},
		Concurrency:  4,
		Timeout:      10 * time.Second,
	}
	s.Fill(Defaults())
	return s
}

func newClient(t *testing.T, s Settings) (*Client, *ingest.Health, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := ingest.NewHealth(reg)
	return NewClient("test", s, h), h, reg
}

// server is an httptest server on 127.0.0.1 that records when each
// request arrived and how many were in flight at most, and answers with
// handle (given the request's 0-based number).
type server struct {
	*httptest.Server
	mu          sync.Mutex
	times       []time.Time
	reqs        []*http.Request
	inflight    int
	maxInflight int
}

func newServer(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		n := len(s.times)
		s.times = append(s.times, time.Now())
		s.reqs = append(s.reqs, r)
		s.inflight++
		s.maxInflight = max(s.maxInflight, s.inflight)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight--
			s.mu.Unlock()
		}()
		handle(n, w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times)
}

// gap is the time between request i and i+1.
func (s *server) gap(t *testing.T, i int) time.Duration {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.times) < i+2 {
		t.Fatalf("server saw %d requests, want at least %d", len(s.times), i+2)
	}
	return s.times[i+1].Sub(s.times[i])
}

func (s *server) request(i int) *http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqs[i]
}

func report(h *ingest.Health, source string) ingest.SourceHealth {
	for _, s := range h.Report() {
		if s.Source == source {
			return s
		}
	}
	return ingest.SourceHealth{}
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func TestRateLimitResetHeadersHonoured(t *testing.T) {
	t.Parallel()
	// Each header announces a reset about 1 s (1 to 2 s for the ones with
	// a precision of a second) after the 429.
	cases := []struct {
		name   string
		header func() (string, string)
	}{
		{"Retry-After seconds", func() (string, string) { return "Retry-After", "1" }},
		{"Retry-After HTTP date", func() (string, string) {
			return "Retry-After", time.Now().Truncate(time.Second).Add(2 * time.Second).UTC().Format(http.TimeFormat)
		}},
		{"x-rate-limit-reset Unix seconds (X)", func() (string, string) {
			return "x-rate-limit-reset", strconv.FormatInt(time.Now().Truncate(time.Second).Add(2*time.Second).Unix(), 10)
		}},
		{"X-RateLimit-Reset ISO 8601 (Mastodon)", func() (string, string) {
			return "X-RateLimit-Reset", time.Now().Add(time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					k, v := tc.header()
					w.Header().Set(k, v)
					w.WriteHeader(http.StatusTooManyRequests)
					io.WriteString(w, `{"error":"slow down"}`)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			})
			c, h, _ := newClient(t, settings())
			r, err := c.Get(context.Background(), srv.URL+"/api", nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != 200 || string(r.Body) != `{"ok":true}` {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if n := srv.count(); n != 2 {
				t.Fatalf("server saw %d requests, want 2", n)
			}
			if gap := srv.gap(t, 0); gap < 800*time.Millisecond || gap > 4*time.Second {
				t.Fatalf("retry %v after the 429, want the announced ~1s (the backoff alone is 1-10ms)", gap)
			}
			if s := report(h, "test"); s.Failures != 1 || s.LastKind != ingest.KindRateLimited || !strings.Contains(s.LastError, "slow down") {
				t.Fatalf("health %+v, want one rate_limited failure", s)
			}
		})
	}
}

func TestRateLimitResetInThePastBacksOff(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	})
	s := settings()
	s.Backoff = Backoff{Min: 200 * time.Millisecond, Max: 200 * time.Millisecond}
	c, _, _ := newClient(t, s)
	if _, err := c.Get(context.Background(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if gap := srv.gap(t, 0); gap < 100*time.Millisecond {
		t.Fatalf("retried %v after a 429 whose reset is past, want the backoff (≥ 100ms)", gap)
	}
}

func TestRemainingZeroPausesNextRequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		remaining string
		headers   func() map[string]string
		pause     bool
	}{
		{"Mastodon ISO reset", "0", func() map[string]string {
			return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}
		}, true},
		{"X Unix reset", "0", func() map[string]string {
			return map[string]string{"x-rate-limit-remaining": "0", "x-rate-limit-reset": strconv.FormatInt(time.Now().Truncate(time.Second).Add(2*time.Second).Unix(), 10)}
		}, true},
		{"requests left", "5", func() map[string]string {
			return map[string]string{"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)}
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					for k, v := range tc.headers() {
						w.Header().Set(k, v)
					}
				}
				fmt.Fprintf(w, "page %d", n)
			})
			c, h, _ := newClient(t, settings())
			for i := range 2 {
				r, err := c.Get(context.Background(), srv.URL, nil)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("page %d", i); string(r.Body) != want {
					t.Fatalf("body %q, want %q", r.Body, want)
				}
			}
			gap := srv.gap(t, 0)
			if tc.pause && gap < 800*time.Millisecond {
				t.Fatalf("second request %v after a response with no request left, want it after the reset (~1s)", gap)
			}
			if !tc.pause && gap > 500*time.Millisecond {
				t.Fatalf("second request %v after a response with requests left, want no pause", gap)
			}
			if s := report(h, "test"); s.Failures != 0 {
				t.Fatalf("health %+v: a pause is not a failure", s)
			}
		})
	}
}

func TestServerErrorRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 2 {
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	s := settings()
	s.Retries = 3
	s.Backoff = Backoff{Min: 40 * time.Millisecond, Max: 80 * time.Millisecond}
	c, h, _ := newClient(t, s)
	r, err := c.Get(context.Background(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Body) != "ok" || srv.count() != 3 {
		t.Fatalf("body %q after %d requests, want ok after 3", r.Body, srv.count())
	}
	// Jitter keeps at least half the backoff: 20ms, then 40ms.
	if g := srv.gap(t, 0); g < 20*time.Millisecond {
		t.Fatalf("first retry after %v, want ≥ 20ms of backoff", g)
	}
	if g := srv.gap(t, 1); g < 40*time.Millisecond {
		t.Fatalf("second retry after %v, want ≥ 40ms (the backoff doubles)", g)
	}
	if st := report(h, "test"); st.Failures != 2 || st.LastKind != ingest.KindServer {
		t.Fatalf("health %+v, want 2 server failures", st)
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	c, h, reg := newClient(t, settings()) // Retries: 2
	_, err := c.Get(context.Background(), srv.URL+"/v1/timeline?access_token=SECRET", nil)
	e := asError(t, err)
	if e.Kind != ingest.KindServer || e.Status != 500 {
		t.Fatalf("error %+v, want kind server, status 500", e)
	}
	if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "/v1/timeline") {
		t.Fatalf("error %q: want the URL without its query", err)
	}
	if n := srv.count(); n != 3 {
		t.Fatalf("server saw %d requests, want 3 (1 + 2 retries)", n)
	}
	st := report(h, "test")
	if st.Failures != 3 || st.LastKind != ingest.KindServer || st.Since.IsZero() || !st.LastSuccess.IsZero() {
		t.Fatalf("health %+v, want 3 server failures and no success", st)
	}
	const want = `
# HELP vigil_ingest_consecutive_failures Failed fetches of a source since its last success; 0 when healthy.
# TYPE vigil_ingest_consecutive_failures gauge
vigil_ingest_consecutive_failures{source="test"} 3
# HELP vigil_ingest_errors_total Errors by source and kind: fetches that failed (rate_limited, server, client, auth, network, malformed, blocked) and input sent to the dead-letter topic (its reason's kind).
# TYPE vigil_ingest_errors_total counter
vigil_ingest_errors_total{kind="auth",source="test"} 0
vigil_ingest_errors_total{kind="blocked",source="test"} 0
vigil_ingest_errors_total{kind="client",source="test"} 0
vigil_ingest_errors_total{kind="malformed",source="test"} 0
vigil_ingest_errors_total{kind="network",source="test"} 0
vigil_ingest_errors_total{kind="rate_limited",source="test"} 0
vigil_ingest_errors_total{kind="server",source="test"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vigil_ingest_errors_total", "vigil_ingest_consecutive_failures"); err != nil {
		t.Fatal(err)
	}
	// A success resets the run of failures.
	h.Success("test")
	const after = `
# HELP vigil_ingest_consecutive_failures Failed fetches of a source since its last success; 0 when healthy.
# TYPE vigil_ingest_consecutive_failures gauge
vigil_ingest_consecutive_failures{source="test"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(after), "vigil_ingest_consecutive_failures"); err != nil {
		t.Fatal(err)
	}
}

func TestAuthAndClientErrorsNotRetried(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status int
		kind   string
	}{
		{http.StatusUnauthorized, ingest.KindAuth},
		{http.StatusForbidden, ingest.KindAuth},
		{http.StatusNotFound, ingest.KindClient},
		{http.StatusBadRequest, ingest.KindClient},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"error":"The access token is invalid"}`, tc.status)
			})
			c, h, _ := newClient(t, settings())
			_, err := c.Get(context.Background(), srv.URL, http.Header{"Authorization": {"Bearer tok"}})
			e := asError(t, err)
			if e.Kind != tc.kind || e.Status != tc.status || !strings.Contains(e.Msg, "access token is invalid") {
				t.Fatalf("error %+v, want kind %s", e, tc.kind)
			}
			if n := srv.count(); n != 1 {
				t.Fatalf("server saw %d requests, want 1: retrying won't help", n)
			}
			if got := srv.request(0).Header.Get("Authorization"); got != "Bearer tok" {
				t.Fatalf("Authorization %q not sent", got)
			}
			if st := report(h, "test"); st.Failures != 1 || st.LastKind != tc.kind {
				t.Fatalf("health %+v", st)
			}
		})
	}
}

// The body limit is MaxBody (64 MiB); the tests lower it to keep the
// race detector quick.
func TestBodyOverMaxBodyIsMalformed(t *testing.T) {
	t.Parallel()
	const limit = 4096
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		w.Write([]byte(strings.Repeat("a", size)))
	})
	c, h, _ := newClient(t, settings())
	if c.maxBody != MaxBody {
		t.Fatalf("limit %d, want MaxBody", c.maxBody)
	}
	c.maxBody = limit
	r, err := c.Get(context.Background(), srv.URL+"?size=4096", nil)
	if err != nil || len(r.Body) != limit {
		t.Fatalf("a body of exactly the limit: %v", err)
	}
	_, err = c.Get(context.Background(), srv.URL+"?size=4097", nil)
	e := asError(t, err)
	if e.Kind != ingest.KindMalformed || e.Status != 200 || !strings.Contains(e.Msg, "body over 4096 bytes") {
		t.Fatalf("error %+v, want malformed", e)
	}
	if n := srv.count(); n != 2 {
		t.Fatalf("server saw %d requests, want 2: a body too long is not retried", n)
	}
	if st := report(h, "test"); st.Failures != 1 || st.LastKind != ingest.KindMalformed {
		t.Fatalf("health %+v", st)
	}
}

func TestMalformed(t *testing.T) {
	err := Malformed("https://user:pw@social.example.org/api/v1/timelines/tag/x?access_token=SECRET&max_id=5", errors.New("unexpected end of JSON input"))
	e := asError(t, err)
	if e.Kind != ingest.KindMalformed || KindOf(err) != ingest.KindMalformed {
		t.Fatalf("kind %q", e.Kind)
	}
	if msg := err.Error(); strings.Contains(msg, "SECRET") || strings.Contains(msg, "pw") ||
		!strings.Contains(msg, "https://social.example.org/api/v1/timelines/tag/x") || !strings.Contains(msg, "unexpected end of JSON input") {
		t.Fatalf("message %q", msg)
	}
}

func TestKindOf(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{&Error{Kind: ingest.KindAuth}, ingest.KindAuth},
		{fmt.Errorf("page 2: %w", &Error{Kind: ingest.KindServer}), ingest.KindServer},
		{context.Canceled, ""},
		{errors.New("connection reset"), ingest.KindNetwork},
	}
	for _, tc := range cases {
		if got := KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestNetworkErrorRetriedAndRedacted(t *testing.T) {
	t.Parallel()
	// A port nothing listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, h, _ := newClient(t, settings())
	_, err = c.Get(context.Background(), "http://"+addr+"/feed?token=SECRET", nil)
	e := asError(t, err)
	if e.Kind != ingest.KindNetwork {
		t.Fatalf("error %+v, want network", e)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error %q leaks the query", err)
	}
	if st := report(h, "test"); st.Failures != 3 || st.LastKind != ingest.KindNetwork {
		t.Fatalf("health %+v, want 3 network failures (1 + 2 retries)", st)
	}
}

func TestPrivateAddressesBlocked(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secret internal data") })
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	s := settings()
	s.AllowPrivate = false
	c, h, _ := newClient(t, s)
	for _, u := range []string{srv.URL + "/x", "http://localhost:" + port + "/x"} {
		_, err := c.Get(context.Background(), u, nil)
		e := asError(t, err)
		if e.Kind != ingest.KindBlocked || !errors.Is(err, ErrBlocked) {
			t.Fatalf("%s: error %+v, want blocked", u, e)
		}
	}
	// The guarded client of a WebSocket dial refuses it too.
	if resp, err := c.HTTP().Get(srv.URL); err == nil || !errors.Is(err, ErrBlocked) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("HTTP().Get: %v, want ErrBlocked", err)
	}
	if n := srv.count(); n != 0 {
		t.Fatalf("server saw %d requests, want none", n)
	}
	if st := report(h, "test"); st.Failures != 2 || st.LastKind != ingest.KindBlocked {
		t.Fatalf("health %+v, want 2 blocked failures (not retried)", st)
	}
}

// TestRedirectToPrivateRefused stands the first server in for a public
// host (the dialer lets its address through, as it would a public one) and
// has it redirect to a second, private one: the redirect's connection is
// refused and the private server never sees a request.
func TestRedirectToPrivateRefused(t *testing.T) {
	t.Parallel()
	private := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metadata") })
	public := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			io.WriteString(w, "public page")
			return
		}
		http.Redirect(w, r, private.URL+"/latest/meta-data/", http.StatusFound)
	})
	s := settings()
	s.AllowPrivate = false
	c, _, _ := newClient(t, s)
	allowed := public.Listener.Addr().String()
	d := &net.Dialer{Timeout: s.Timeout, Control: func(network, address string, rc syscall.RawConn) error {
		if address == allowed {
			return nil // "public"
		}
		return refusePrivate(network, address, rc)
	}}
	c.http.Transport.(*http.Transport).DialContext = d.DialContext

	if r, err := c.Get(context.Background(), public.URL+"/ok", nil); err != nil || string(r.Body) != "public page" {
		t.Fatalf("the public host: %v", err)
	}
	_, err := c.Get(context.Background(), public.URL+"/go", nil)
	if e := asError(t, err); e.Kind != ingest.KindBlocked {
		t.Fatalf("error %+v, want blocked", e)
	}
	if n := private.count(); n != 0 {
		t.Fatalf("the private server saw %d requests, want none", n)
	}
	if n := public.count(); n != 2 {
		t.Fatalf("the public server saw %d requests, want 2 (a blocked redirect is not retried)", n)
	}
}

func TestPrivate(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1":        true,
		"127.8.9.10":       true,
		"::1":              true,
		"10.1.2.3":         true,
		"172.16.0.1":       true,
		"172.31.255.254":   true,
		"192.168.1.1":      true,
		"169.254.169.254":  true, // cloud metadata
		"fe80::1":          true,
		"fc00::1":          true,
		"fd12:3456::1":     true,
		"100.64.0.1":       true, // carrier-grade NAT
		"0.0.0.0":          true,
		"::":               true,
		"::ffff:127.0.0.1": true,
		"::ffff:10.0.0.1":  true,
		"224.0.0.1":        true, // multicast
		"ff02::1":          true,
		"198.18.0.1":       true, // benchmarking
		"1.1.1.1":          false,
		"8.8.8.8":          false,
		"172.32.0.1":       false,
		"100.128.0.1":      false,
		"2606:4700::1111":  false,
		"::ffff:1.1.1.1":   false,
	}
	for addr, want := range cases {
		ip := net.ParseIP(addr)
		if ip == nil {
			t.Fatalf("bad test address %s", addr)
		}
		if got := Private(ip); got != want {
			t.Errorf("Private(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
	s := settings()
	s.RateLimit = RateLimit{Requests: 5, Per: time.Second}
	s.Concurrency = 1
	c, _, _ := newClient(t, s)
	start := time.Now()
	for range 10 {
		if _, err := c.Get(context.Background(), srv.URL, nil); err != nil {
			t.Fatal(err)
		}
	}
	// One at once, then one every 200ms: 1.8s.
	if d := time.Since(start); d < 1600*time.Millisecond {
		t.Fatalf("10 requests at 5/s took %v, want ≥ 1.6s", d)
	}
}

func TestConcurrencyCap(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { time.Sleep(30 * time.Millisecond) })
	s := settings()
	s.Concurrency = 2
	c, _, _ := newClient(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for range 12 {
		wg.Go(func() {
			_, err := c.Get(context.Background(), srv.URL, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.maxInflight != 2 {
		t.Fatalf("server saw %d requests in flight at most, want 2", srv.maxInflight)
	}
}

func TestGetCancelled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, _, _ := newClient(t, settings())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, srv.URL, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want the context's", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v: the wait for a reset must end with the context", d)
	}
}

func TestHeadersAndUserAgent(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {})
	c, _, _ := newClient(t, settings())
	if _, err := c.Get(context.Background(), srv.URL, http.Header{"Accept": {"application/json"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), srv.URL, http.Header{"User-Agent": {"Custom/2"}}); err != nil {
		t.Fatal(err)
	}
	if r := srv.request(0); r.Header.Get("User-Agent") != DefaultUserAgent || r.Header.Get("Accept") != "application/json" {
		t.Fatalf("headers %v", r.Header)
	}
	if r := srv.request(1); r.Header.Get("User-Agent") != "Custom/2" {
		t.Fatalf("User-Agent %q, want the caller's", r.Header.Get("User-Agent"))
	}
}

func TestRateLimitedHook(t *testing.T) {
	t.Parallel()
	// A Graph API style limit: 400 with error code 4, then success.
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"code":4,"message":"Application request limit reached"}}`)
			return
		}
		io.WriteString(w, `{"data":[]}`)
	})
	c, h, _ := newClient(t, settings())
	c.RateLimited = func(r *Response) (time.Duration, bool) {
		return time.Second, strings.Contains(string(r.Body), `"code":4`)
	}
	if _, err := c.Get(context.Background(), srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	if g := srv.gap(t, 0); g < 800*time.Millisecond {
		t.Fatalf("retried after %v, want the hook's 1s", g)
	}
	if st := report(h, "test"); st.LastKind != ingest.KindRateLimited {
		t.Fatalf("health %+v", st)
	}
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"https://user:pass@api.example.org/2/tweets/search/recent?query=x&bearer=SECRET#frag": "https://api.example.org/2/tweets/search/recent",
		"https://social.example.org/api/v1/timelines/public?access_token=SECRET":              "https://social.example.org/api/v1/timelines/public",
		"http://example.com/plain":          "http://example.com/plain",
		"https://token@example.com/x":       "https://example.com/x",
		"http://[::1]:namedport/x?a=SECRET": "(unparseable URL)",
	}
	for in, want := range cases {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTransport(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/missing":
			http.NotFound(w, r)
		case n == 0:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"path":%q,"q":%q}`, r.URL.Path, r.URL.Query().Get("q"))
		}
	})
	c, _, _ := newClient(t, settings())
	hc := &http.Client{Transport: c.Transport()}

	resp, err := hc.Get(srv.URL + "/1.1/statuses?q=" + "ဗမာ")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"path":"/1.1/statuses","q":"ဗမာ"}` ||
		resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != int64(len(body)) {
		t.Fatalf("got %d %q %v", resp.StatusCode, body, resp.Header)
	}
	if n := srv.count(); n != 2 {
		t.Fatalf("server saw %d requests, want 2 (the 502 retried)", n)
	}
	if ua := srv.request(1).Header.Get("User-Agent"); ua != DefaultUserAgent {
		t.Fatalf("User-Agent %q", ua)
	}

	// A failed GET's error is the *Error.
	_, err = hc.Get(srv.URL + "/missing")
	if e := asError(t, err); e.Kind != ingest.KindClient || e.Status != 404 {
		t.Fatalf("error %+v", e)
	}

	// Other methods go through as they are: no retry, the status returned.
	before := srv.count()
	resp, err = hc.Post(srv.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || srv.count() != before+1 {
		t.Fatalf("POST: status %d after %d requests", resp.StatusCode, srv.count()-before)
	}
}

func TestResetAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		headers map[string]string
		want    time.Duration
		ok      bool
	}{
		{"none", nil, 0, false},
		{"Retry-After seconds", map[string]string{"Retry-After": "120"}, 120 * time.Second, true},
		{"Retry-After fraction", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond, true},
		{"Retry-After spaces", map[string]string{"Retry-After": " 7 "}, 7 * time.Second, true},
		{"Retry-After HTTP date", map[string]string{"Retry-After": "Sun, 01 Nov 2026 08:00:30 GMT"}, 30 * time.Second, true},
		{"Retry-After garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		{"Retry-After garbage, reset header read", map[string]string{"Retry-After": "soon", "X-Rate-Limit-Reset": strconv.FormatInt(now.Add(time.Minute).Unix(), 10)}, time.Minute, true},
		{"Retry-After before the reset header", map[string]string{"Retry-After": "5", "X-RateLimit-Reset": "2026-11-01T09:00:00Z"}, 5 * time.Second, true},
		{"x-rate-limit-reset Unix", map[string]string{"x-rate-limit-reset": strconv.FormatInt(now.Add(15*time.Minute).Unix(), 10)}, 15 * time.Minute, true},
		{"X-RateLimit-Reset Unix (GitHub style)", map[string]string{"X-RateLimit-Reset": strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)}, 90 * time.Second, true},
		{"X-RateLimit-Reset ISO ms (Mastodon)", map[string]string{"X-RateLimit-Reset": "2026-11-01T08:05:00.000Z"}, 5 * time.Minute, true},
		{"X-RateLimit-Reset ISO µs", map[string]string{"X-RateLimit-Reset": "2026-11-01T08:00:10.250000Z"}, 10250 * time.Millisecond, true},
		{"X-RateLimit-Reset ISO offset", map[string]string{"X-RateLimit-Reset": "2026-11-01T14:30:20+06:30"}, 20 * time.Second, true},
		{"X-RateLimit-Reset ISO no zone is UTC", map[string]string{"X-RateLimit-Reset": "2026-11-01T08:01:00.5"}, 60500 * time.Millisecond, true},
		{"X-RateLimit-Reset seconds from now", map[string]string{"X-RateLimit-Reset": "42"}, 42 * time.Second, true},
		{"RateLimit-Reset seconds", map[string]string{"RateLimit-Reset": "30"}, 30 * time.Second, true},
		{"reset garbage", map[string]string{"X-RateLimit-Reset": "tomorrow"}, 0, false},
	}
	for _, tc := range cases {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		got, ok := ResetAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: ResetAfter = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	// A reset already past is no wait (Get backs off instead).
	h := http.Header{"Retry-After": {"Sun, 01 Nov 2026 07:59:00 GMT"}}
	if d, ok := ResetAfter(h, now); !ok || d > 0 {
		t.Errorf("past date: %v, %v; want ≤ 0, true", d, ok)
	}
}

func TestJitter(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for n, lim := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		lim *= time.Millisecond
		for range 50 {
			d := Jitter(b, n)
			if d < lim/2 || d > lim {
				t.Fatalf("Jitter(%d) = %v, want within [%v, %v]", n, d, lim/2, lim)
			}
		}
	}
}

func TestSettingsFillAndValidate(t *testing.T) {
	var s Settings
	s.Fill(Defaults())
	if s.Interval != time.Minute || s.Retries != 4 || s.UserAgent != DefaultUserAgent || s.Concurrency != 1 {
		t.Fatalf("filled %+v", s)
	}
	if err := s.Validate("mastodon", "m"); err == nil || !strings.Contains(err.Error(), "base_url is required") {
		t.Fatalf("no base_url: %v", err)
	}
	for _, bad := range []string{"ftp://example.org", "https://", "example.org/api"} {
		s.BaseURL = bad
		if err := s.Validate("mastodon", "m"); err == nil {
			t.Errorf("base_url %q accepted", bad)
		}
	}
	s.BaseURL = "https://social.example.org"
	if err := s.Validate("mastodon", "m"); err != nil {
		t.Fatal(err)
	}
	s.Backoff = Backoff{Min: time.Minute, Max: time.Second}
	if err := s.Validate("mastodon", "m"); err == nil || !strings.Contains(err.Error(), "backoff.min") {
		t.Fatalf("min over max: %v", err)
	}
}
