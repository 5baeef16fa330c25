package facebook

// The fixtures in testdata/ follow the Graph API's documented shapes: the
// posts edge (https://developers.facebook.com/docs/graph-api/reference/page/feed/),
// its paging (https://developers.facebook.com/docs/graph-api/results), the
// error object (https://developers.facebook.com/docs/graph-api/guides/error-handling)
// and the rate-limit errors and headers
// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
// Every page, name and text in them is invented.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

const (
	tokenVar = "VIGIL_TEST_FACEBOOK_TOKEN"
	token    = "EAAtest-secret-token-0123456789"
	pageID   = "100000000000001"
)

// syncBuffer collects the source's logs, to check the token is not in
// them.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv is sourcetest.Env with the token set, the logs kept and a
// registry to read the error counts from.
func newEnv(c *sourcetest.Cursors) (ingest.Env, *prometheus.Registry, *syncBuffer) {
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	env := sourcetest.Env(c)
	env.Health = ingest.NewHealth(reg)
	env.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env.Getenv = func(name string) string {
		if name == tokenVar {
			return token
		}
		return ""
	}
	return env, reg, logs
}

func errorCount(t *testing.T, reg *prometheus.Registry, source, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, source, kind)
}

func testSettings(base string) netsrc.Settings {
	return netsrc.Settings{
		BaseURL: base, AllowPrivate: true, Retries: 2, Timeout: 5 * time.Second,
		Backoff:   netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
		RateLimit: netsrc.RateLimit{Requests: 1000, Per: time.Second},
	}
}

func newSource(t *testing.T, base string, env ingest.Env, mod ...func(*Config)) *Source {
	t.Helper()
	cfg := Config{Name: "fb", Settings: testSettings(base), Pages: []string{pageID}, TokenEnv: tokenVar}
	for _, m := range mod {
		m(&cfg)
	}
	s, err := New(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, s *Source) ([]ingest.Item, error) {
	t.Helper()
	return sourcetest.Run(t, s, 10*time.Second)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// object cuts from a fixture the post object holding marker: the data
// elements are indented by four spaces.
func object(t *testing.T, doc []byte, marker string) []byte {
	t.Helper()
	i := bytes.Index(doc, []byte(marker))
	start := bytes.LastIndex(doc[:i], []byte("\n    {"))
	end := bytes.Index(doc[i:], []byte("\n    }"))
	if i < 0 || start < 0 || end < 0 {
		t.Fatalf("no object around %q", marker)
	}
	return doc[start+len("\n    ") : i+end+len("\n    }")]
}

type request struct {
	at     time.Time
	path   string
	query  url.Values
	auth   string
	status int
}

// graph is a fake Graph API serving one page's posts, newest first, in
// pages of pageSize, with since and until inclusive and an offset as the
// after cursor; queued failures come first.
type graph struct {
	mu       sync.Mutex
	page     string
	posts    []gpost
	pageSize int
	fail     []func(w http.ResponseWriter)
	reqs     []request
	srv      *httptest.Server
	nextBase string // the host of paging.next, if not the server's own
	badNext  int    // how many next pages to answer with a malformed body
}

type gpost struct {
	id  string
	at  int64
	msg string
}

func newGraph(t *testing.T, pageSize int, posts ...gpost) *graph {
	g := &graph{page: pageID, pageSize: pageSize, posts: posts}
	g.srv = httptest.NewServer(g)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *graph) add(posts ...gpost) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.posts = append(g.posts, posts...)
}

func (g *graph) failWith(fn ...func(w http.ResponseWriter)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = append(g.fail, fn...)
}

func (g *graph) requests() []request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.reqs)
}

func graphErr(status int, body string, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func (g *graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	req := request{at: time.Now(), path: r.URL.Path, query: r.URL.Query(), auth: r.Header.Get("Authorization")}
	defer func() { g.reqs = append(g.reqs, req) }()
	if len(g.fail) > 0 {
		fn := g.fail[0]
		g.fail = g.fail[1:]
		rec := httptest.NewRecorder()
		fn(rec)
		req.status = rec.Code
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	if req.auth != "Bearer "+token {
		req.status = 400
		graphErr(400, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"x"}}`)(w)
		return
	}
	if r.URL.Path != "/v21.0/"+g.page+"/posts" {
		req.status = 404
		graphErr(404, `{"error":{"message":"Unknown path","type":"GraphMethodException","code":100}}`)(w)
		return
	}
	q := r.URL.Query()
	if q.Get("after") != "" && g.badNext > 0 {
		g.badNext--
		req.status = 200
		w.Write([]byte(`{"data": "not a list"}`))
		return
	}
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	until, _ := strconv.ParseInt(q.Get("until"), 10, 64)
	after, _ := strconv.Atoi(q.Get("after"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	var sel []gpost
	for _, p := range g.posts {
		if p.at >= since && (until == 0 || p.at <= until) {
			sel = append(sel, p)
		}
	}
	slices.SortStableFunc(sel, func(a, b gpost) int {
		if a.at != b.at {
			return int(b.at - a.at)
		}
		return strings.Compare(b.id, a.id)
	})
	n := min(limit, g.pageSize)
	end := min(after+n, len(sel))
	var data []string
	for _, p := range sel[min(after, len(sel)):end] {
		b, _ := json.Marshal(map[string]any{
			"id": p.id, "message": p.msg,
			"created_time":  time.Unix(p.at, 0).UTC().Format("2006-01-02T15:04:05-0700"),
			"permalink_url": "https://www.facebook.com/" + strings.Replace(p.id, "_", "/posts/", 1),
			"from":          map[string]string{"id": g.page, "name": "Example Page"},
		})
		data = append(data, string(b))
	}
	body := `{"data":[` + strings.Join(data, ",") + `]`
	if end < len(sel) {
		base := g.nextBase
		if base == "" {
			base = g.srv.URL
		}
		nq := r.URL.Query()
		nq.Set("after", strconv.Itoa(end))
		body += fmt.Sprintf(`,"paging":{"cursors":{"before":"b","after":"%d"},"next":%q}`, end, base+r.URL.Path+"?"+nq.Encode())
	}
	body += "}"
	req.status = 200
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(body))
}

var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).Unix()

func post(n int, at int64) gpost {
	return gpost{id: fmt.Sprintf("%s_%d", pageID, 900000+n), at: at, msg: fmt.Sprintf("မြန်မာ စာ %d", n)}
}

func pid(n ...int) []string {
	var out []string
	for _, i := range n {
		out = append(out, fmt.Sprintf("%s_%d", pageID, 900000+i))
	}
	return out
}

// longAgo reads the fixtures' posts whatever the date today.
func longAgo(c *Config) { c.Backfill = 20 * 365 * 24 * time.Hour }

func TestFixturePagesAndFields(t *testing.T) {
	var mu sync.Mutex
	var reqs []*http.Request
	var srv *httptest.Server
	p1, p2 := fixture(t, "posts_page1.json"), fixture(t, "posts_page2.json")
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r)
		mu.Unlock()
		body := p1
		if r.URL.Query().Get("after") != "" {
			body = p2
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(bytes.ReplaceAll(body, []byte("{{BASE}}"), []byte(srv.URL)))
	}))
	defer srv.Close()
	env, _, logs := newEnv(&sourcetest.Cursors{})
	s := newSource(t, srv.URL, env, longAgo, func(c *Config) { c.Pages = []string{"example.page"} })
	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2 (paging.next followed)", len(reqs))
	}
	q := reqs[0].URL.Query()
	if reqs[0].URL.Path != "/v21.0/example.page/posts" || q.Get("fields") != Fields || q.Get("limit") != "100" || q.Get("since") == "" {
		t.Errorf("first request %s", reqs[0].URL)
	}
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "Bearer "+token || strings.Contains(r.URL.RawQuery, "access_token") || strings.Contains(r.URL.String(), token) {
			t.Errorf("request %s: want the token in the Authorization header only", r.URL)
		}
	}
	if sourcetest.Errors(items) != nil {
		t.Fatalf("bad items: %v", sourcetest.Errors(items))
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, pid(1, 3)) {
		t.Fatalf("posts %v: want the oldest first, the one without message skipped", got)
	}
	if !strings.Contains(logs.String(), "posts without a message skipped") {
		t.Error("the skipped post is not counted in the logs")
	}
	first, third := items[0].Post, items[1].Post
	if first.Text != "ပထမဆုံး ပို့စ်   with  spacing kept" || !first.CreatedAt.Equal(time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("first %q %v", first.Text, first.CreatedAt)
	}
	if !slices.Equal(first.Links, []string{"https://media.example.net/photo/1"}) {
		t.Errorf("first links %q", first.Links)
	}
	want := event.Author{ID: pageID, Handle: "example.page", Name: "Example Page"}
	if third.Author != want || third.Platform != "facebook" || third.URL != "https://www.facebook.com/100000000000001/posts/900003" {
		t.Errorf("third %+v", third)
	}
	if third.Text != "ရန်ကုန်မြို့မှ သတင်း။\nSecond line of a synthetic post." || third.CreatedAt.Location() != time.UTC {
		t.Errorf("third text %q", third.Text)
	}
	if !slices.Equal(third.Links, []string{"https://news.example.org/story"}) {
		t.Errorf("third links %q: want the unshimmed URL", third.Links)
	}
	if raw := object(t, p1, `"id": "100000000000001_900003"`); !bytes.Equal(third.Raw, raw) {
		t.Errorf("raw:\n%s\nwant:\n%s", third.Raw, raw)
	}
	if raw := object(t, p2, `"id": "100000000000001_900001"`); !bytes.Equal(first.Raw, raw) || first.RawSHA256 != event.SHA256Hex(raw) {
		t.Errorf("raw:\n%s\nwant:\n%s", first.Raw, raw)
	}
}

func TestCursorSameSecondAndRestart(t *testing.T) {
	g := newGraph(t, 2, post(1, t0), post(2, t0+10), post(3, t0+10))
	cursors := &sourcetest.Cursors{}
	env, _, _ := newEnv(cursors)
	s := newSource(t, g.srv.URL, env, longAgo)
	var all []string

	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, pid(1, 2, 3)) {
		t.Fatalf("round 1: %v", got)
	}
	all = append(all, sourcetest.IDs(items)...)
	var c Cursor
	if err := json.Unmarshal([]byte(cursors.All()["facebook:fb:"+pageID]), &c); err != nil {
		t.Fatal(err)
	}
	if c.Since != t0+10 || !slices.Equal(c.IDs, pid(2, 3)) {
		t.Fatalf("cursor %+v", c)
	}

	// Nothing new: the same second comes back (since is inclusive) and
	// is not emitted again.
	items, err = run(t, s)
	if err != nil || len(items) != 0 {
		t.Fatalf("round 2: %v %v", sourcetest.IDs(items), err)
	}
	reqs := g.requests()
	if got := reqs[len(reqs)-1].query["since"]; !slices.Equal(got, []string{strconv.FormatInt(t0+10, 10)}) {
		t.Fatalf("since %v, want the cursor's second", got)
	}

	// A late post at the same second, and a newer one; read after a
	// restart.
	g.add(post(4, t0+10), post(5, t0+20))
	items, err = run(t, newSource(t, g.srv.URL, env, longAgo))
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, pid(4, 5)) {
		t.Fatalf("after restart: %v", got)
	}
	all = append(all, sourcetest.IDs(items)...)
	sourcetest.Exactly(t, all, pid(1, 2, 3, 4, 5))
}

func TestBacklogOverMaxPages(t *testing.T) {
	var ps []gpost
	for i := 1; i <= 7; i++ {
		ps = append(ps, post(i, t0+int64(i)*60))
	}
	g := newGraph(t, 2, ps...)
	cursors := &sourcetest.Cursors{}
	env, _, _ := newEnv(cursors)
	maxPages := func(c *Config) { c.MaxPages = 2; longAgo(c) }
	s := newSource(t, g.srv.URL, env, maxPages)
	var all []string
	for round, want := range [][]string{
		nil,             // 7 posts, 2 pages of 2 read: the newest are held back
		pid(1, 2, 3, 4), // the window up to the oldest seen, oldest first
		pid(5, 6, 7),    // then the rest (after a restart)
		nil,
	} {
		if round == 2 {
			s = newSource(t, g.srv.URL, env, maxPages)
		}
		items, err := run(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourcetest.IDs(items); !slices.Equal(got, want) {
			t.Fatalf("round %d: %v, want %v", round+1, got, want)
		}
		all = append(all, sourcetest.IDs(items)...)
	}
	if until := g.requests()[2].query.Get("until"); until != strconv.FormatInt(t0+4*60+1, 10) {
		t.Fatalf("round 2 until=%q: want the oldest post seen (+1)", until)
	}
	sourcetest.Exactly(t, all, pid(1, 2, 3, 4, 5, 6, 7))
	for _, r := range g.requests() {
		if n, _ := strconv.Atoi(r.query.Get("after")); n >= 4 {
			t.Fatalf("request %v: more than max_pages pages in a round", r.query)
		}
	}
}

func TestBUCRateLimitHonoured(t *testing.T) {
	g := newGraph(t, 100, post(1, t0), post(2, t0+1))
	// estimated_time_to_regain_access is in minutes (the API sends whole
	// minutes): 0.01 keeps the test short, about 0.6 s, rounded up to 1 s.
	g.failWith(graphErr(http.StatusForbidden, string(fixture(t, "error_80001.json")),
		"X-Business-Use-Case-Usage", `{"`+pageID+`":[{"type":"pages","call_count":100,"total_cputime":12,"total_time":14,"estimated_time_to_regain_access":0.01}]}`))
	env, reg, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, g.srv.URL, env, longAgo))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), pid(1, 2))
	reqs := g.requests()
	if len(reqs) != 2 || reqs[0].status != http.StatusForbidden {
		t.Fatalf("requests %+v", reqs)
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Fatalf("retried after %v: estimated_time_to_regain_access not honoured", gap)
	}
	if n := errorCount(t, reg, "fb", ingest.KindRateLimited); n != 1 {
		t.Fatalf("rate_limited errors %v, want 1 (a 403 with code 80001 is a rate limit, not auth)", n)
	}
	if n := errorCount(t, reg, "fb", ingest.KindAuth); n != 0 {
		t.Fatalf("auth errors %v", n)
	}
}

func TestAppUsageCodesThenSuccess(t *testing.T) {
	for _, code := range []int{4, 17, 32, 613} {
		g := newGraph(t, 100, post(1, t0))
		body := strings.Replace(string(fixture(t, "error_4.json")), `"code": 4`, fmt.Sprintf(`"code": %d`, code), 1)
		g.failWith(graphErr(http.StatusBadRequest, body, "X-App-Usage", `{"call_count":100,"total_cputime":25,"total_time":25}`))
		env, reg, _ := newEnv(&sourcetest.Cursors{})
		items, err := run(t, newSource(t, g.srv.URL, env, longAgo))
		if err != nil {
			t.Fatalf("code %d: %v", code, err)
		}
		sourcetest.Exactly(t, sourcetest.IDs(items), pid(1))
		if n := errorCount(t, reg, "fb", ingest.KindRateLimited); n != 1 {
			t.Fatalf("code %d: rate_limited errors %v, want 1", code, n)
		}
		if n := errorCount(t, reg, "fb", ingest.KindClient); n != 0 {
			t.Fatalf("code %d: counted as a client error", code)
		}
	}
}

func TestPlain429RetryAfter(t *testing.T) {
	g := newGraph(t, 100, post(1, t0))
	g.failWith(graphErr(http.StatusTooManyRequests, `{"error":{"message":"Too many requests","code":0}}`, "Retry-After", "1"))
	env, reg, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, g.srv.URL, env, longAgo))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), pid(1))
	reqs := g.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Fatalf("retried after %v: Retry-After: 1 not honoured", gap)
	}
	if n := errorCount(t, reg, "fb", ingest.KindRateLimited); n != 1 {
		t.Fatalf("rate_limited errors %v", n)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	g := newGraph(t, 100, post(1, t0))
	g.failWith(graphErr(http.StatusInternalServerError, `{"error":{"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true}}`))
	env, reg, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, g.srv.URL, env, longAgo))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), pid(1))
	if n := errorCount(t, reg, "fb", ingest.KindServer); n != 1 {
		t.Fatalf("server errors %v", n)
	}
}

func TestMalformedThenFixed(t *testing.T) {
	for _, where := range []string{"first page", "second page"} {
		g := newGraph(t, 1, post(1, t0), post(2, t0+1))
		if where == "first page" {
			g.failWith(graphErr(200, `{"data": [{"id": "x"`))
		} else {
			// The first page is served, then the second is broken: nothing
			// of the round is emitted.
			g.mu.Lock()
			g.badNext = 1
			g.mu.Unlock()
		}
		cursors := &sourcetest.Cursors{}
		env, _, _ := newEnv(cursors)
		s := newSource(t, g.srv.URL, env, longAgo)
		items, err := run(t, s)
		if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 {
			t.Fatalf("%s: %d items, err %v: want a malformed round", where, len(items), err)
		}
		if h := sourcetest.Failures(env, "fb"); h.LastKind != ingest.KindMalformed {
			t.Fatalf("%s: health %+v", where, h)
		}
		if len(cursors.All()) != 0 {
			t.Fatalf("%s: cursor moved: %v", where, cursors.All())
		}
		items, err = run(t, s)
		if err != nil {
			t.Fatal(err)
		}
		sourcetest.Exactly(t, sourcetest.IDs(items), pid(1, 2))
	}
}

func TestEmptyPage(t *testing.T) {
	g := newGraph(t, 100)
	cursors := &sourcetest.Cursors{}
	env, _, _ := newEnv(cursors)
	items, err := run(t, newSource(t, g.srv.URL, env))
	if err != nil || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if h := sourcetest.Failures(env, "fb"); h.Failures != 0 || h.LastSuccess.IsZero() {
		t.Fatalf("health %+v: an empty page is a success", h)
	}
	// The backfill: since is about a day ago.
	since, _ := strconv.ParseInt(g.requests()[0].query["since"][0], 10, 64)
	if d := time.Since(time.Unix(since, 0)); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("since %v ago, want the 24h backfill", d)
	}
}

func TestExpiredTokenIsAuthAndNeverShown(t *testing.T) {
	g := newGraph(t, 100, post(1, t0))
	g.failWith(graphErr(http.StatusBadRequest, string(fixture(t, "error_190.json"))))
	env, reg, logs := newEnv(&sourcetest.Cursors{})
	s := newSource(t, g.srv.URL, env, longAgo)
	items, err := run(t, s)
	if err == nil || netsrc.KindOf(err) != ingest.KindAuth || len(items) != 0 {
		t.Fatalf("%d items, err %v: want an auth failure", len(items), err)
	}
	h := sourcetest.Failures(env, "fb")
	if h.LastKind != ingest.KindAuth || errorCount(t, reg, "fb", ingest.KindAuth) != 1 {
		t.Fatalf("health %+v", h)
	}
	if len(g.requests()) != 1 {
		t.Fatalf("%d requests: an expired token is not retried", len(g.requests()))
	}
	for what, text := range map[string]string{"error": err.Error(), "health": h.LastError, "logs": logs.String()} {
		if strings.Contains(text, token) {
			t.Errorf("the token is in the %s: %s", what, text)
		}
	}
	if !strings.Contains(err.Error(), "Session has expired") {
		t.Errorf("error %q: want the Graph message", err)
	}
	// The token renewed (the server accepts it again): the next round
	// reads the page.
	items, err = run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), pid(1))
}

func TestTokenFromEnv(t *testing.T) {
	env, _, _ := newEnv(&sourcetest.Cursors{})
	_, err := New(Config{Name: "fb", Pages: []string{pageID}}, env)
	if err == nil || !strings.Contains(err.Error(), "token_env is required") {
		t.Fatalf("no token_env: %v", err)
	}
	_, err = New(Config{Name: "fb", Pages: []string{pageID}, TokenEnv: "VIGIL_UNSET_TOKEN"}, env)
	if err == nil || !strings.Contains(err.Error(), "VIGIL_UNSET_TOKEN") || !strings.Contains(err.Error(), "not set") {
		t.Fatalf("unset variable: %v", err)
	}
	// The token is whatever the named variable holds, and the server
	// refuses any other (TestFixturePagesAndFields checks the header).
	g := newGraph(t, 100, post(1, t0))
	other := env
	other.Getenv = func(name string) string {
		if name == "VIGIL_OTHER" {
			return "wrong-token"
		}
		return ""
	}
	s, err := New(Config{Name: "fb", Settings: testSettings(g.srv.URL), Pages: []string{pageID}, TokenEnv: "VIGIL_OTHER"}, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, s); netsrc.KindOf(err) != ingest.KindAuth {
		t.Fatalf("wrong token: %v", err)
	}
	if r := g.requests()[0]; r.auth != "Bearer wrong-token" {
		t.Fatalf("Authorization %q", r.auth)
	}
}

func TestNextOnAnotherHostNotFollowed(t *testing.T) {
	var hits int
	var mu sync.Mutex
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		w.Write([]byte(`{"data":[]}`))
	}))
	defer other.Close()
	g := newGraph(t, 1, post(1, t0), post(2, t0+1))
	g.nextBase = other.URL
	env, _, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, g.srv.URL, env, longAgo))
	if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 0 {
		t.Fatal("paging.next on another host was followed (with the token)")
	}
}

func TestBadPostsToDeadLetters(t *testing.T) {
	g := newGraph(t, 100, post(1, t0), gpost{id: pageID + "_900002", at: t0 + 1, msg: strings.Repeat("x", 100)}, post(3, t0+2))
	env, _, _ := newEnv(&sourcetest.Cursors{})
	env.Limits = event.Limits{MaxTextBytes: 50}
	s := newSource(t, g.srv.URL, env, longAgo)
	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	bad := sourcetest.Errors(items)
	var ve *event.ValidationError
	if len(bad) != 1 || !errors.As(bad[0].Err, &ve) || ve.Kind != event.KindTooLarge || !bytes.Contains(bad[0].Payload, []byte(`"id":"`+pageID+`_900002"`)) || bad[0].Origin != "facebook:fb:"+pageID {
		t.Fatalf("bad items %+v", bad)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), pid(1, 3))
	// Not sent again.
	items, err = run(t, newSource(t, g.srv.URL, env, longAgo))
	if err != nil || len(items) != 0 {
		t.Fatalf("again: %d items, %v", len(items), err)
	}
}

func TestUnreadableTimeSentOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[{"id":"` + pageID + `_1","message":"m","created_time":"yesterday"}]}`))
	}))
	defer srv.Close()
	env, _, _ := newEnv(&sourcetest.Cursors{})
	s := newSource(t, srv.URL, env)
	items, err := run(t, s)
	if err != nil || len(sourcetest.Errors(items)) != 1 {
		t.Fatalf("%+v %v", items, err)
	}
	items, err = run(t, s)
	if err != nil || len(items) != 0 {
		t.Fatalf("again: %+v %v", items, err)
	}
}

func TestFutureTimeDoesNotBlockTheCursor(t *testing.T) {
	far := time.Now().Add(72 * time.Hour).Unix()
	g := newGraph(t, 100, post(1, t0), post(2, far))
	env, _, _ := newEnv(&sourcetest.Cursors{})
	s := newSource(t, g.srv.URL, env, longAgo)
	items, err := run(t, s)
	if err != nil || len(sourcetest.Errors(items)) != 1 {
		t.Fatalf("%+v %v", items, err)
	}
	g.add(post(3, t0+5))
	items, err = run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, pid(3)) || len(sourcetest.Errors(items)) != 0 {
		t.Fatalf("after a post dated in the future: %v, %v", got, sourcetest.Errors(items))
	}
}

func TestUsageWaitAndCodes(t *testing.T) {
	h := http.Header{}
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":3},{"type":"pages","estimated_time_to_regain_access":5}]}`)
	if d := UsageWait(h); d != 5*time.Minute {
		t.Errorf("BUC wait %v", d)
	}
	h = http.Header{}
	h.Set("X-Page-Usage", `{"call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":2}`)
	if d := UsageWait(h); d != 2*time.Minute {
		t.Errorf("page wait %v", d)
	}
	h = http.Header{}
	h.Set("X-App-Usage", `{"call_count":100}`)
	if d := UsageWait(h); d != 0 {
		t.Errorf("app usage wait %v", d)
	}
	for code, want := range map[int]bool{4: true, 17: true, 32: true, 613: true, 80001: true, 80006: true, 190: false, 100: false, 1: false} {
		if rateLimitCode(code) != want {
			t.Errorf("rateLimitCode(%d) = %v", code, !want)
		}
	}
}

func TestConfig(t *testing.T) {
	env, _, _ := newEnv(&sourcetest.Cursors{})
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Pages: []string{"p"}, TokenEnv: tokenVar}, "name is required"},
		{Config{Name: "n", TokenEnv: tokenVar}, "pages is required"},
		{Config{Name: "n", Pages: []string{"a/b"}, TokenEnv: tokenVar}, "page id or username"},
		{Config{Name: "n", Pages: []string{"p", "p"}, TokenEnv: tokenVar}, "listed twice"},
		{Config{Name: "n", Pages: []string{"p"}, TokenEnv: tokenVar, APIVersion: "21"}, "api_version"},
		{Config{Name: "n", Pages: []string{"p"}, TokenEnv: tokenVar, MaxPages: -1}, "max_pages"},
		{Config{Name: "n", Pages: []string{"p"}, TokenEnv: tokenVar, Backfill: -time.Hour}, "backfill"},
	} {
		if _, err := New(tc.cfg, env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
	s, err := New(Config{Name: "n", Pages: []string{"p"}, TokenEnv: tokenVar}, env)
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if c.BaseURL != "https://graph.facebook.com" || c.Interval != 5*time.Minute || c.RateLimit != (netsrc.RateLimit{Requests: 200, Per: time.Hour}) ||
		c.Concurrency != 1 || c.APIVersion != "v21.0" || c.MaxPages != 5 || c.Backfill != 24*time.Hour {
		t.Fatalf("defaults %+v", c)
	}
}
