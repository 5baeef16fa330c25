// The fixtures in testdata/ follow the X API v1.1 response shapes, with
// synthetic accounts and text:
//   - user_timeline.json: GET statuses/user_timeline, a JSON array of Tweet
//     objects, newest first
//     https://developer.twitter.com/en/docs/twitter-api/v1/tweets/timelines/api-reference/get-statuses-user_timeline
//   - search_tweets.json: GET search/tweets, {"statuses": [...], "search_metadata": {...}}
//     https://developer.twitter.com/en/docs/twitter-api/v1/tweets/search/api-reference/get-search-tweets
//   - the Tweet object (full_text with tweet_mode=extended, extended_tweet in
//     compatibility mode, entities.urls, retweeted_status):
//     https://developer.twitter.com/en/docs/twitter-api/v1/data-dictionary/object-model/tweet
//     https://developer.twitter.com/en/docs/twitter-api/v1/data-dictionary/object-model/entities
//     https://developer.twitter.com/en/docs/twitter-api/v1/tweets/tweet-updates
//   - rate_limited.json, unauthorized.json: the error body, with the
//     x-rate-limit-* headers (reset in Unix seconds)
//     https://developer.twitter.com/en/docs/twitter-api/v1/rate-limits
//     https://developer.twitter.com/en/support/twitter-api/error-troubleshooting
//   - paging with since_id and max_id:
//     https://developer.twitter.com/en/docs/twitter-api/v1/tweets/timelines/guides/working-with-timelines
package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	tokenEnv  = "VIGIL_TEST_X_BEARER"
	testToken = "synthetic-bearer-0001"
	srcName   = "xtest"
)

// fakeAPI serves statuses/user_timeline and search/tweets as v1.1 does:
// newest first, since_id < id <= max_id, at most count, each tweet's bytes
// exactly as stored.
type fakeAPI struct {
	t      *testing.T
	prefix string // "/1.1/"

	mu       sync.Mutex
	timeline map[string][]json.RawMessage // by lower-case screen name
	search   map[string][]json.RawMessage // by query
	reqs     []request
	// hook, when set, may answer request n (1-based) itself.
	hook func(n int, w http.ResponseWriter, r *http.Request) bool
}

type request struct {
	at    time.Time
	path  string
	query url.Values
	auth  string
}

func newFake(t *testing.T, prefix string) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{t: t, prefix: prefix, timeline: map[string][]json.RawMessage{}, search: map[string][]json.RawMessage{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAPI) addTimeline(screen string, tweets ...json.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timeline[strings.ToLower(screen)] = append(f.timeline[strings.ToLower(screen)], tweets...)
}

func (f *fakeAPI) addSearch(q string, tweets ...json.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.search[q] = append(f.search[q], tweets...)
}

func (f *fakeAPI) setHook(h func(n int, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hook = h
}

func (f *fakeAPI) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, request{at: time.Now(), path: r.URL.Path, query: r.URL.Query(), auth: r.Header.Get("Authorization")})
	n, hook := len(f.reqs), f.hook
	f.mu.Unlock()
	if hook != nil && hook(n, w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(fixture(f.t, "unauthorized.json"))
		return
	}
	q := r.URL.Query()
	since, _ := strconv.ParseInt(q.Get("since_id"), 10, 64)
	maxID, _ := strconv.ParseInt(q.Get("max_id"), 10, 64)
	count, _ := strconv.Atoi(q.Get("count"))
	if count <= 0 {
		count = 20
	}
	f.mu.Lock()
	var all []json.RawMessage
	search := false
	switch r.URL.Path {
	case f.prefix + "statuses/user_timeline.json":
		var ok bool
		if all, ok = f.timeline[strings.ToLower(q.Get("screen_name"))]; !ok {
			f.mu.Unlock()
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`)
			return
		}
	case f.prefix + "search/tweets.json":
		all, search = f.search[q.Get("q")], true
	default:
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`)
		return
	}
	var page []json.RawMessage
	for _, raw := range all {
		id := idOf(f.t, raw)
		if id < 0 || id > since && (maxID == 0 || id <= maxID) { // id < 0: unreadable, served as is
			page = append(page, raw)
		}
	}
	f.mu.Unlock()
	slices.SortFunc(page, func(a, b json.RawMessage) int { return -cmpInt(idOf(f.t, a), idOf(f.t, b)) })
	page = page[:min(len(page), count)]
	parts := make([]string, len(page))
	for i, raw := range page {
		parts[i] = string(raw)
	}
	body := "[" + strings.Join(parts, ",") + "]"
	if search {
		body = fmt.Sprintf(`{"statuses":%s,"search_metadata":{"completed_in":0.01,"count":%d,"query":%q,"since_id":%d,"since_id_str":"%d"}}`,
			body, count, url.QueryEscape(q.Get("q")), since, since)
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("x-rate-limit-limit", "1500")
	w.Header().Set("x-rate-limit-remaining", "1499")
	w.Header().Set("x-rate-limit-reset", strconv.FormatInt(time.Now().Add(15*time.Minute).Unix(), 10))
	fmt.Fprint(w, body)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func idOf(t *testing.T, raw json.RawMessage) int64 {
	var v struct {
		ID string `json:"id_str"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Errorf("fixture tweet: %v", err)
	}
	id, err := strconv.ParseInt(v.ID, 10, 64)
	if err != nil {
		return -1
	}
	return id
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureTweets returns the tweet objects of a fixture, as in the file.
func fixtureTweets(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	b := fixture(t, name)
	if name == "search_tweets.json" {
		return elements(t, b, "statuses")
	}
	return elements(t, b, "")
}

// elements cuts the elements of the array at key (the top level when
// key is "") out of body by their offsets, independently of the source's
// own splitting.
func elements(t *testing.T, body []byte, key string) []json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	tok := func() json.Token {
		tk, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	if key != "" {
		if tok() != json.Delim('{') || tok() != key {
			t.Fatalf("want %q first in the object", key)
		}
	}
	if tok() != json.Delim('[') {
		t.Fatal("want an array")
	}
	var out []json.RawMessage
	for dec.More() {
		start := dec.InputOffset()
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		raw := bytes.TrimLeft(body[start:dec.InputOffset()], ", \t\r\n")
		if !bytes.Equal(raw, v) {
			t.Fatalf("offsets: %q vs %q", raw, v)
		}
		out = append(out, raw)
	}
	return out
}

var synthBase = time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)

// synth is a minimal v1.1 tweet (tweet_mode=extended) by screen.
func synth(id int64, screen string) json.RawMessage {
	created := synthBase.Add(time.Duration(id%1_000_000) * time.Second).Format(time.RubyDate)
	return json.RawMessage(fmt.Sprintf(`{"created_at":%q,"id":%d,"id_str":"%d","full_text":"Synthetic post %d by @%s","truncated":false,"display_text_range":[0,40],`+
		`"entities":{"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]},"user":{"id":1700000000000009999,"id_str":"1700000000000009999","name":"Synthetic %s","screen_name":%q},"lang":"en"}`,
		created, id, id, id, screen, screen, screen))
}

func synthRange(from, to int64, screen string) []json.RawMessage {
	var out []json.RawMessage
	for id := from; id <= to; id++ {
		out = append(out, synth(id, screen))
	}
	return out
}

func idStrings(from, to int64) []string {
	var out []string
	for id := from; id <= to; id++ {
		out = append(out, strconv.FormatInt(id, 10))
	}
	return out
}

func config(srv *httptest.Server, accounts, queries []string) Config {
	return Config{
		Name: srcName,
		Settings: netsrc.Settings{
			BaseURL:      srv.URL + "/1.1/",
			Interval:     10 * time.Millisecond,
			RateLimit:    netsrc.RateLimit{Requests: 1000, Per: time.Second},
			Retries:      2,
			Backoff:      netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
			AllowPrivate: true,
		},
		Accounts:       accounts,
		Queries:        queries,
		BearerTokenEnv: tokenEnv,
	}
}

// testEnv is a one-round env with cursors, the token in tokenEnv, and a
// health record whose metrics can be read back.
func testEnv(c *sourcetest.Cursors) (ingest.Env, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	env := sourcetest.Env(c)
	env.Health = ingest.NewHealth(reg)
	env.Getenv = func(k string) string {
		if k == tokenEnv {
			return testToken
		}
		return ""
	}
	if c == nil {
		env.Cursors = nil
	}
	return env, reg
}

func errorsTotal(t *testing.T, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, srcName, kind)
}

func newSource(t *testing.T, cfg Config, env ingest.Env) *Source {
	t.Helper()
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

func mustRun(t *testing.T, s *Source) []ingest.Item {
	t.Helper()
	items, err := run(t, s)
	if err != nil {
		t.Fatalf("round: %v", err)
	}
	if bad := sourcetest.Errors(items); len(bad) > 0 {
		t.Fatalf("unexpected dead letters: %v", bad[0].Err)
	}
	return items
}

func posts(items []ingest.Item) map[string]event.Post {
	out := map[string]event.Post{}
	for _, it := range items {
		if it.Err == nil {
			out[it.Post.ID] = it.Post
		}
	}
	return out
}

func TestDefaults(t *testing.T) {
	d := Defaults()
	if d.BaseURL != "https://api.twitter.com/1.1/" || d.Interval != 2*time.Minute || d.Concurrency != 1 ||
		d.RateLimit != (netsrc.RateLimit{Requests: 450, Per: 15 * time.Minute}) {
		t.Fatalf("defaults: %+v", d)
	}
	env, _ := testEnv(nil)
	s := newSource(t, Config{Name: "x", Accounts: []string{"@Example_Watch"}, BearerTokenEnv: tokenEnv}, env)
	if s.cfg.BackfillPages != 1 || s.cfg.MaxPages != 10 || s.cfg.BaseURL != apiBase {
		t.Fatalf("filled config: %+v", s.cfg)
	}
	if len(s.targets) != 1 || s.targets[0].value != "Example_Watch" || s.targets[0].key != "twitter:x:account:example_watch" {
		t.Fatalf("targets: %+v", s.targets)
	}
}

func TestNewErrors(t *testing.T) {
	env, _ := testEnv(nil)
	noToken := env
	noToken.Getenv = func(string) string { return "" }
	base := Config{Name: srcName, Accounts: []string{"example_watch"}, BearerTokenEnv: tokenEnv}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		env  ingest.Env
		want string
	}{
		{"no name", func(c *Config) { c.Name = "" }, env, "name is required"},
		{"no targets", func(c *Config) { c.Accounts = nil }, env, "at least one of accounts or queries"},
		{"no token env", func(c *Config) { c.BearerTokenEnv = "" }, env, "bearer_token_env is required"},
		{"token unset", func(*Config) {}, noToken, "environment variable " + tokenEnv + " (bearer_token_env) is not set"},
		{"bad screen name", func(c *Config) { c.Accounts = []string{"not a name"} }, env, `account "not a name"`},
		{"duplicate account", func(c *Config) { c.Accounts = []string{"example_watch", "@Example_Watch"} }, env, "listed twice"},
		{"empty query", func(c *Config) { c.Queries = []string{" "} }, env, "empty query"},
		{"long query", func(c *Config) { c.Queries = []string{strings.Repeat("q", 501)} }, env, "500 characters"},
		{"negative backfill", func(c *Config) { c.BackfillPages = -1 }, env, "backfill_pages -1"},
		{"negative max pages", func(c *Config) { c.MaxPages = -2 }, env, "max_pages -2"},
		{"bad base url", func(c *Config) { c.BaseURL = "ftp://example.org/" }, env, "base_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			_, err := New(cfg, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error shows the token: %v", err)
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	base, _ := url.Parse("http://127.0.0.1:1234/compat/1.1/")
	for _, tc := range []struct{ in, want string }{
		{"https://api.twitter.com/1.1/statuses/user_timeline.json?screen_name=a&count=200", "http://127.0.0.1:1234/compat/1.1/statuses/user_timeline.json?screen_name=a&count=200"},
		{"https://api.twitter.com/1.1/search/tweets.json?q=%23examplecity", "http://127.0.0.1:1234/compat/1.1/search/tweets.json?q=%23examplecity"},
		{"https://example.org/1.1/statuses/user_timeline.json", ""},
		{"https://api.twitter.com/2/tweets", ""},
		{"http://api.twitter.com/1.1/search/tweets.json", ""},
	} {
		in, _ := url.Parse(tc.in)
		got, err := rewrite(in, base)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: rewritten to %s, want refused", tc.in, got)
		case tc.want != "" && (err != nil || got.String() != tc.want):
			t.Errorf("%s: got %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}

// TestBaseURLPathPrefix runs go-twitter against a server whose API root
// has a path prefix of its own (given without its trailing slash).
func TestBaseURLPathPrefix(t *testing.T) {
	f, srv := newFake(t, "/compat/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	f.addSearch("#examplecity", fixtureTweets(t, "search_tweets.json")...)
	cfg := config(srv, []string{"example_watch"}, []string{"#examplecity"})
	cfg.BaseURL = srv.URL + "/compat/1.1"
	env, _ := testEnv(&sourcetest.Cursors{})
	items := mustRun(t, newSource(t, cfg, env))
	if got := len(sourcetest.IDs(items)); got != 6 {
		t.Fatalf("got %d posts, want 6", got)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].path != "/compat/1.1/statuses/user_timeline.json" || reqs[1].path != "/compat/1.1/search/tweets.json" {
		t.Fatalf("requests: %+v", reqs)
	}
}

func TestTokenAndParameters(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	f.addSearch("#examplecity", fixtureTweets(t, "search_tweets.json")...)
	env, _ := testEnv(&sourcetest.Cursors{})
	mustRun(t, newSource(t, config(srv, []string{"@example_watch"}, []string{"#examplecity"}), env))
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.auth != "Bearer "+testToken {
			t.Errorf("%s: Authorization %q", r.path, r.auth)
		}
		if r.query.Has("since_id") || r.query.Has("max_id") {
			t.Errorf("%s: first page with %v", r.path, r.query)
		}
	}
	want := url.Values{"screen_name": {"example_watch"}, "count": {"200"}, "tweet_mode": {"extended"}, "include_rts": {"true"}}
	if got := reqs[0].query; got.Encode() != want.Encode() {
		t.Errorf("user_timeline query %v, want %v", got, want)
	}
	want = url.Values{"q": {"#examplecity"}, "count": {"100"}, "result_type": {"recent"}, "tweet_mode": {"extended"}}
	if got := reqs[1].query; got.Encode() != want.Encode() {
		t.Errorf("search query %v, want %v", got, want)
	}
}

func TestPostFields(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	items := mustRun(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	// 103 has no text (a media-only tweet): skipped, not a dead letter.
	wantIDs := []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105"}
	if got := sourcetest.IDs(items); !slices.Equal(got, wantIDs) {
		t.Fatalf("ids %v, want %v (oldest first)", got, wantIDs)
	}
	ps := posts(items)
	author := event.Author{ID: "1700000000000000001", Handle: "example_watch", Name: "Example Watch"}
	for _, tc := range []struct {
		id, text, lang, created string
		links                   []string
	}{
		{"1850000000000000101", "Café meeting notes posted: https://t.co/Qw12Er34Ty #community", "en", "2024-10-02T08:15:30Z",
			[]string{"https://example.com/report?id=9"}},
		{"1850000000000000102", "မင်္ဂလာပါ။ Neighbourhood meeting moved to Saturday morning at the east hall; agenda, map and the full list of stalls for the autumn fair are on the notice page https://t.co/Xy98Zw76Vu", "my", "2024-10-02T08:20:00Z",
			[]string{"https://example.org/notice/7"}},
		{"1850000000000000104", "Tea & talk at the library tonight <3 all welcome", "", "2024-10-02T08:45:10Z", nil},
		{"1850000000000000105", "RT @sample_journo: Field notes from the riverside market: vendors describe the new evening rules and what they mean for the night trade, with a short audio clip from the stall holders' meeting https://t.co/Ab12Cd34Ef", "en", "2024-10-02T09:00:00Z",
			[]string{"https://news.example.org/story/42"}},
	} {
		p := ps[tc.id]
		if p.Platform != "x" || p.Author != author || p.Text != tc.text || p.Lang != tc.lang ||
			p.CreatedAt.Format(time.RFC3339) != tc.created || p.CreatedAt.Location() != time.UTC ||
			p.URL != "https://x.com/example_watch/status/"+tc.id || !slices.Equal(p.Links, tc.links) {
			t.Errorf("post %s:\n got %+v\nwant text %q lang %q created %s links %v", tc.id, p, tc.text, tc.lang, tc.created, tc.links)
		}
		if p.RawSHA256 != event.SHA256Hex(p.Raw) || !p.CapturedAt.IsZero() || p.Source != "" {
			t.Errorf("post %s: raw hash or capture fields wrong", tc.id)
		}
		if err := p.Validate(event.Limits{}, time.Now()); err != nil {
			t.Errorf("post %s: %v", tc.id, err)
		}
	}
	if got := cursors.All()["twitter:xtest:account:example_watch"]; got != "1850000000000000105" {
		t.Fatalf("cursor %q", got)
	}
}

// TestRawBytes checks that each post's Raw is exactly the bytes of its
// tweet object in the server's response: escapes (\u00e9, \/) and all.
func TestRawBytes(t *testing.T) {
	timeline, search := fixture(t, "user_timeline.json"), fixture(t, "search_tweets.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/search/tweets.json") {
			w.Write(search)
			return
		}
		w.Write(timeline)
	}))
	defer srv.Close()
	env, _ := testEnv(&sourcetest.Cursors{})
	items := mustRun(t, newSource(t, config(srv, []string{"example_watch"}, []string{"#examplecity"}), env))
	want := map[string][]byte{}
	for _, raw := range append(elements(t, timeline, ""), elements(t, search, "statuses")...) {
		want[strconv.FormatInt(idOf(t, raw), 10)] = raw
	}
	ps := posts(items)
	if len(ps) != 6 {
		t.Fatalf("%d posts, want 6", len(ps))
	}
	for id, p := range ps {
		if !bytes.Equal(p.Raw, want[id]) {
			t.Errorf("post %s: raw\n%s\nwant\n%s", id, p.Raw, want[id])
		}
	}
	if raw := ps["1850000000000000101"].Raw; !bytes.Contains(raw, []byte(`Caf\u00e9`)) || !bytes.Contains(raw, []byte(`https:\/\/t.co\/Qw12Er34Ty`)) {
		t.Fatalf("raw re-encoded: %s", raw)
	}
}

// TestPaging reads a first round of three pages going back with max_id,
// then a later round from the since_id cursor, two pages and the empty
// one that ends it.
func TestPaging(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	const first = int64(1850000000000001000)
	f.addTimeline("example_watch", synthRange(first, first+449, "example_watch")...)
	cursors := &sourcetest.Cursors{}
	cfg := config(srv, []string{"example_watch"}, nil)
	cfg.BackfillPages = 3
	env, _ := testEnv(cursors)
	s := newSource(t, cfg, env)
	items := mustRun(t, s)
	got := sourcetest.IDs(items)
	if !slices.Equal(got, idStrings(first, first+449)) {
		t.Fatalf("round 1: %d posts, from %v", len(got), got[:min(3, len(got))])
	}
	reqs := f.requests()
	wantMax := []string{"", strconv.FormatInt(first+249, 10), strconv.FormatInt(first+49, 10)}
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.query.Get("max_id") != wantMax[i] || r.query.Has("since_id") {
			t.Errorf("request %d: %v, want max_id %q", i, r.query, wantMax[i])
		}
	}
	if c := cursors.All()["twitter:xtest:account:example_watch"]; c != strconv.FormatInt(first+449, 10) {
		t.Fatalf("cursor %s", c)
	}

	f.addTimeline("example_watch", synthRange(first+450, first+699, "example_watch")...)
	items2 := mustRun(t, s)
	got2 := sourcetest.IDs(items2)
	if !slices.Equal(got2, idStrings(first+450, first+699)) {
		t.Fatalf("round 2: %d posts", len(got2))
	}
	reqs = f.requests()[3:]
	since := strconv.FormatInt(first+449, 10)
	wantMax = []string{"", strconv.FormatInt(first+499, 10)}
	if len(reqs) != 2 {
		// page 2 holds 50 tweets whose lowest is first+450 = since+1:
		// nothing can lie below it, so no third request.
		t.Fatalf("round 2: %d requests, want 2: %+v", len(reqs), reqs)
	}
	for i, r := range reqs {
		if r.query.Get("since_id") != since || r.query.Get("max_id") != wantMax[i] {
			t.Errorf("round 2 request %d: %v", i, r.query)
		}
	}
	sourcetest.Exactly(t, append(got, got2...), idStrings(first, first+699))
}

// TestBackfillDefault: the first round reads one page, the newest.
func TestBackfillDefault(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	const first = int64(1850000000000001000)
	f.addTimeline("example_watch", synthRange(first, first+299, "example_watch")...)
	env, _ := testEnv(&sourcetest.Cursors{})
	items := mustRun(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	if got := sourcetest.IDs(items); !slices.Equal(got, idStrings(first+100, first+299)) {
		t.Fatalf("%d posts", len(got))
	}
	if n := len(f.requests()); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

// TestPageLimit: a later round with more new tweets than max_pages reads
// the newest and moves on, without looping.
func TestPageLimit(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	const first = int64(1850000000000001000)
	f.addTimeline("example_watch", synth(first, "example_watch"))
	cfg := config(srv, []string{"example_watch"}, nil)
	cfg.MaxPages = 2
	env, _ := testEnv(&sourcetest.Cursors{})
	s := newSource(t, cfg, env)
	mustRun(t, s)
	f.addTimeline("example_watch", synthRange(first+1, first+500, "example_watch")...)
	items := mustRun(t, s)
	if got := sourcetest.IDs(items); !slices.Equal(got, idStrings(first+101, first+500)) {
		t.Fatalf("%d posts", len(got))
	}
	if n := len(f.requests()); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}
}

func TestSearchPaging(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	const first = int64(1850000000000002000)
	f.addSearch("#examplecity", synthRange(first, first+149, "river_notes")...)
	cursors := &sourcetest.Cursors{}
	cfg := config(srv, nil, []string{"#examplecity"})
	cfg.BackfillPages = 5
	env, _ := testEnv(cursors)
	items := mustRun(t, newSource(t, cfg, env))
	sourcetest.Exactly(t, sourcetest.IDs(items), idStrings(first, first+149))
	reqs := f.requests()
	if len(reqs) != 3 || reqs[1].query.Get("max_id") != strconv.FormatInt(first+49, 10) || reqs[2].query.Get("max_id") != strconv.FormatInt(first-1, 10) {
		t.Fatalf("requests: %+v", reqs)
	}
	if c := cursors.All()["twitter:xtest:query:#examplecity"]; c != strconv.FormatInt(first+149, 10) {
		t.Fatalf("cursor %q", c)
	}
}

// TestResume: a new Source with the same cursors reads only what is newer,
// comparing ids as integers ("999" < "1000").
func TestResume(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", synthRange(990, 1005, "example_watch")...)
	cursors := &sourcetest.Cursors{}
	cursors.Set(context.Background(), "twitter:xtest:account:example_watch", "999")
	cfg := config(srv, []string{"example_watch"}, nil)
	var all []string

	env, _ := testEnv(cursors)
	items := mustRun(t, newSource(t, cfg, env))
	all = append(all, sourcetest.IDs(items)...)
	if got := sourcetest.IDs(items); !slices.Equal(got, idStrings(1000, 1005)) {
		t.Fatalf("run 1: %v", got)
	}
	if r := f.requests()[0]; r.query.Get("since_id") != "999" {
		t.Fatalf("since_id %q", r.query.Get("since_id"))
	}

	f.addTimeline("example_watch", synthRange(1006, 1008, "example_watch")...)
	env, _ = testEnv(cursors)
	items = mustRun(t, newSource(t, cfg, env)) // a restart
	all = append(all, sourcetest.IDs(items)...)
	if got := sourcetest.IDs(items); !slices.Equal(got, idStrings(1006, 1008)) {
		t.Fatalf("run 2: %v", got)
	}
	if reqs := f.requests(); len(reqs) != 2 || reqs[1].query.Get("since_id") != "1005" {
		t.Fatalf("run 2 requests: %+v", reqs)
	}

	env, _ = testEnv(cursors)
	items = mustRun(t, newSource(t, cfg, env))
	all = append(all, sourcetest.IDs(items)...)
	if len(items) != 0 {
		t.Fatalf("run 3: %d items", len(items))
	}
	sourcetest.Exactly(t, all, idStrings(1000, 1008))
	if c := cursors.All()["twitter:xtest:account:example_watch"]; c != "1008" {
		t.Fatalf("cursor %q", c)
	}
}

// TestCursorAfterAck: the cursor is saved once the last post of the
// round is acknowledged, not before.
func TestCursorAfterAck(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	out := make(chan ingest.Item, 10)
	if err := newSource(t, config(srv, []string{"example_watch"}, nil), env).Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	var items []ingest.Item
	for it := range out {
		items = append(items, it)
	}
	if len(items) != 4 {
		t.Fatalf("%d items", len(items))
	}
	for _, it := range items[:3] {
		if it.Ack != nil {
			it.Ack()
		}
	}
	if c := cursors.All(); len(c) != 0 {
		t.Fatalf("cursor saved before the last post was acknowledged: %v", c)
	}
	items[3].Ack()
	if c := cursors.All()["twitter:xtest:account:example_watch"]; c != "1850000000000000105" {
		t.Fatalf("cursor %q", c)
	}
}

// TestMemoryCursor: without a cursor store, the next round of the same
// source still starts after what it emitted.
func TestMemoryCursor(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	env, _ := testEnv(nil)
	s := newSource(t, config(srv, []string{"example_watch"}, nil), env)
	got := sourcetest.IDs(mustRun(t, s))
	got = append(got, sourcetest.IDs(mustRun(t, s))...)
	sourcetest.Exactly(t, got, []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105"})
	if r := f.requests()[1]; r.query.Get("since_id") != "1850000000000000105" {
		t.Fatalf("since_id %q", r.query.Get("since_id"))
	}
}

// TestRateLimited: a 429 whose x-rate-limit-reset is about a second away
// is waited out, then the round completes with nothing lost.
func TestRateLimited(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	var resetAt time.Time
	f.setHook(func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 1 {
			return false
		}
		reset := time.Now().Add(1500 * time.Millisecond).Unix() // 0.5 to 1.5 s away
		resetAt = time.Unix(reset, 0)
		w.Header().Set("x-rate-limit-limit", "1500")
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(reset, 10))
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write(fixture(t, "rate_limited.json"))
		return true
	})
	cursors := &sourcetest.Cursors{}
	env, reg := testEnv(cursors)
	items := mustRun(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105"})
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if reqs[1].at.Before(resetAt.Add(-20 * time.Millisecond)) {
		t.Fatalf("retried %v after the 429, %v before the reset", reqs[1].at.Sub(reqs[0].at), resetAt.Sub(reqs[1].at))
	}
	if n := errorsTotal(t, reg, ingest.KindRateLimited); n != 1 {
		t.Fatalf("rate_limited errors %v, want 1", n)
	}
	if h := sourcetest.Failures(env, srcName); h.Failures != 0 || h.LastSuccess.IsZero() {
		t.Fatalf("health after the round: %+v", h)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	f.setHook(func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 1 {
			return false
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"errors":[{"code":130,"message":"Over capacity"}]}`)
		return true
	})
	env, reg := testEnv(&sourcetest.Cursors{})
	items := mustRun(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105"})
	if n := errorsTotal(t, reg, ingest.KindServer); n != 1 || len(f.requests()) != 2 {
		t.Fatalf("server errors %v, requests %d", n, len(f.requests()))
	}
}

// TestMalformed: a body that is not the documented shape fails the round
// (health: malformed, counted once) and moves no cursor; once the server
// is fixed the next round gets everything, once.
func TestMalformed(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"truncated", `[{"created_at":"Wed Oct 02 09:00:00 +0000 2024","id":18500`},
		{"object for an array", `{"statuses":[]}`},
		{"null", `null`},
		{"empty", ``},
		{"html", `<html><body>Over capacity</body></html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t, "/1.1/")
			f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
			f.setHook(func(n int, w http.ResponseWriter, r *http.Request) bool {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tc.body)
				return true
			})
			cursors := &sourcetest.Cursors{}
			env, reg := testEnv(cursors)
			s := newSource(t, config(srv, []string{"example_watch"}, nil), env)
			items, err := run(t, s)
			if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 {
				t.Fatalf("round: %d items, err %v", len(items), err)
			}
			if h := sourcetest.Failures(env, srcName); h.Failures != 1 || h.LastKind != ingest.KindMalformed {
				t.Fatalf("health %+v", h)
			}
			if n := errorsTotal(t, reg, ingest.KindMalformed); n != 1 {
				t.Fatalf("malformed counted %v times", n)
			}
			if len(cursors.All()) != 0 {
				t.Fatalf("cursor moved: %v", cursors.All())
			}
			f.setHook(nil)
			items = mustRun(t, s)
			sourcetest.Exactly(t, sourcetest.IDs(items), []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105"})
		})
	}
}

// TestMalformedSecondPage: a page that fails after another succeeded
// emits nothing of the round; the next round gets all, once.
func TestMalformedSecondPage(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	const first = int64(1850000000000001000)
	f.addTimeline("example_watch", synthRange(first, first+299, "example_watch")...)
	f.setHook(func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n != 2 {
			return false
		}
		fmt.Fprint(w, `[{"id_str":`)
		return true
	})
	cursors := &sourcetest.Cursors{}
	cfg := config(srv, []string{"example_watch"}, nil)
	cfg.BackfillPages = 2
	env, _ := testEnv(cursors)
	s := newSource(t, cfg, env)
	items, err := run(t, s)
	if netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 || len(cursors.All()) != 0 {
		t.Fatalf("round 1: %d items, err %v, cursors %v", len(items), err, cursors.All())
	}
	got := sourcetest.IDs(mustRun(t, s))
	sourcetest.Exactly(t, got, idStrings(first, first+299))
}

// TestTargetsIndependent: one account failing (malformed, not found) does
// not keep the others from being read; each failure counts once.
func TestTargetsIndependent(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	f.addSearch("#examplecity", fixtureTweets(t, "search_tweets.json")...)
	f.setHook(func(n int, w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Query().Get("screen_name") {
		case "broken_one", "broken_two":
			fmt.Fprint(w, `{"oops":true}`)
			return true
		}
		return false
	})
	cursors := &sourcetest.Cursors{}
	env, reg := testEnv(cursors)
	cfg := config(srv, []string{"broken_one", "example_watch", "missing_account", "broken_two"}, []string{"#examplecity"})
	items, err := run(t, newSource(t, cfg, env))
	if got := len(sourcetest.IDs(items)); got != 6 {
		t.Fatalf("%d posts, want 6", got)
	}
	if err == nil || !strings.Contains(err.Error(), `"broken_one"`) || !strings.Contains(err.Error(), `"broken_two"`) ||
		!strings.Contains(err.Error(), `"missing_account"`) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("round error: %v", err)
	}
	if m, c := errorsTotal(t, reg, ingest.KindMalformed), errorsTotal(t, reg, ingest.KindClient); m != 2 || c != 1 {
		t.Fatalf("malformed %v, client %v; want 2 and 1", m, c)
	}
	if h := sourcetest.Failures(env, srcName); h.Failures != 3 {
		t.Fatalf("health %+v", h)
	}
	if c := cursors.All(); len(c) != 2 {
		t.Fatalf("cursors %v", c)
	}
}

func TestEmptyPage(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch") // an account with no tweets yet
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	cfg := config(srv, []string{"example_watch"}, []string{"#examplecity"})
	s := newSource(t, cfg, env)
	items := mustRun(t, s)
	if len(items) != 0 || len(f.requests()) != 2 || len(cursors.All()) != 0 {
		t.Fatalf("%d items, %d requests, cursors %v", len(items), len(f.requests()), cursors.All())
	}
	if h := sourcetest.Failures(env, srcName); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Fatalf("health %+v", h)
	}
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	f.addSearch("#examplecity", fixtureTweets(t, "search_tweets.json")...)
	got := sourcetest.IDs(mustRun(t, s))
	sourcetest.Exactly(t, got, []string{"1850000000000000101", "1850000000000000102", "1850000000000000104", "1850000000000000105",
		"1850000000000000201", "1850000000000000202"})
}

// TestUnauthorized: a 401 fails the round at once (no retries), naming the
// variable the token comes from but never the token.
func TestUnauthorized(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", fixtureTweets(t, "user_timeline.json")...)
	env, reg := testEnv(&sourcetest.Cursors{})
	env.Getenv = func(k string) string {
		if k == tokenEnv {
			return "wrong-synthetic-token"
		}
		return ""
	}
	items, err := run(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	if len(items) != 0 || err == nil || netsrc.KindOf(err) != ingest.KindAuth {
		t.Fatalf("%d items, err %v", len(items), err)
	}
	for _, want := range []string{"HTTP 401", tokenEnv, "Invalid or expired token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "wrong-synthetic-token") {
		t.Fatalf("error shows the token: %v", err)
	}
	if r := f.requests(); len(r) != 1 || r[0].auth != "Bearer wrong-synthetic-token" {
		t.Fatalf("requests %+v", r)
	}
	if h := sourcetest.Failures(env, srcName); h.LastKind != ingest.KindAuth || errorsTotal(t, reg, ingest.KindAuth) != 1 {
		t.Fatalf("health %+v", h)
	}
}

// TestBadTweets: tweets that cannot become posts go to the dead letters
// with their raw bytes; the others are emitted, and the cursor passes
// them all.
func TestBadTweets(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	badDate := json.RawMessage(strings.Replace(string(synth(1003, "example_watch")), `"created_at":"`, `"created_at":"yesterday `, 1))
	noID := json.RawMessage(`{"id_str":"abc","full_text":"no id","user":{"id_str":"1","screen_name":"example_watch"}}`)
	wrongType := json.RawMessage(`{"id_str":"1004","id":"not a number","full_text":"x"}`)
	f.addTimeline("example_watch", synth(1001, "example_watch"), badDate, noID, wrongType, synth(1005, "example_watch"))
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	items, err := run(t, newSource(t, config(srv, []string{"example_watch"}, nil), env))
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, []string{"1001", "1005"}) {
		t.Fatalf("posts %v", got)
	}
	bad := sourcetest.Errors(items)
	if len(bad) != 3 {
		t.Fatalf("%d dead letters, want 3", len(bad))
	}
	payloads := map[string]string{}
	for _, it := range bad {
		payloads[string(it.Payload)] = it.Origin
	}
	for raw, origin := range map[string]string{
		string(badDate):   "twitter:xtest:account:example_watch:1003",
		string(noID):      "twitter:xtest:account:example_watch",
		string(wrongType): "twitter:xtest:account:example_watch",
	} {
		if got, ok := payloads[raw]; !ok || got != origin {
			t.Errorf("dead letter %s: origin %q (found %v), want %q", raw, got, ok, origin)
		}
	}
	if kinds := []string{event.KindOf(bad[0].Err), event.KindOf(bad[1].Err), event.KindOf(bad[2].Err)}; !slices.Contains(kinds, event.KindMalformed) || !slices.Contains(kinds, event.KindInvalid) {
		t.Errorf("dead letter kinds %v", kinds)
	}
	if c := cursors.All()["twitter:xtest:account:example_watch"]; c != "1005" {
		t.Fatalf("cursor %q", c)
	}
}

// TestRunLoop: without Once the source polls until cancelled, then
// returns nil.
func TestRunLoop(t *testing.T) {
	f, srv := newFake(t, "/1.1/")
	f.addTimeline("example_watch", synthRange(1, 3, "example_watch")...)
	env, _ := testEnv(&sourcetest.Cursors{})
	env.Once = false
	s := newSource(t, config(srv, []string{"example_watch"}, nil), env)
	go func() {
		for len(f.requests()) < 2 {
			time.Sleep(5 * time.Millisecond)
		}
		f.addTimeline("example_watch", synthRange(4, 5, "example_watch")...)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	items, err := sourcetest.Collect(ctx, s, 5)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), idStrings(1, 5))
}
