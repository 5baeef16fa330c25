package rss

// The fixtures in testdata/ follow the shapes of the RSS 2.0 specification
// (https://www.rssboard.org/rss-specification), RSS 1.0
// (https://web.resource.org/rss/1.0/spec) and Atom (RFC 4287,
// https://www.rfc-editor.org/rfc/rfc4287); every name and text in them is
// invented.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
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

// fakeFeed serves one feed, answering conditional GETs, after the
// failures queued in fail.
type fakeFeed struct {
	mu      sync.Mutex
	body    []byte
	ctype   string
	etag    string
	lastMod string
	fail    []func(w http.ResponseWriter)
	reqs    []request
}

type request struct {
	at          time.Time
	path        string
	ifNoneMatch string
	ifModified  string
	status      int
}

func (f *fakeFeed) set(body []byte, etag string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.etag = body, etag
	f.lastMod = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(f.reqs)) * time.Minute).Format(http.TimeFormat)
}

func (f *fakeFeed) failWith(fn ...func(w http.ResponseWriter)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, fn...)
}

func (f *fakeFeed) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := request{at: time.Now(), path: r.URL.Path, ifNoneMatch: r.Header.Get("If-None-Match"), ifModified: r.Header.Get("If-Modified-Since")}
	defer func() { f.reqs = append(f.reqs, req) }()
	if len(f.fail) > 0 {
		fn := f.fail[0]
		f.fail = f.fail[1:]
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
	if (f.etag != "" && req.ifNoneMatch == f.etag) || (req.ifNoneMatch == "" && f.lastMod != "" && req.ifModified == f.lastMod) {
		req.status = http.StatusNotModified
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	if f.lastMod != "" {
		w.Header().Set("Last-Modified", f.lastMod)
	}
	ct := f.ctype
	if ct == "" {
		ct = "application/rss+xml"
	}
	w.Header().Set("Content-Type", ct)
	req.status = http.StatusOK
	w.Write(f.body)
}

func status(code int, hdr ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testSettings(base string) netsrc.Settings {
	return netsrc.Settings{
		BaseURL: base, AllowPrivate: true, Retries: 2, Timeout: 5 * time.Second,
		Backoff:   netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
		RateLimit: netsrc.RateLimit{Requests: 1000, Per: time.Second},
	}
}

// newEnv is sourcetest.Env with a registry to read the error counts from.
func newEnv(c *sourcetest.Cursors) (ingest.Env, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	env := sourcetest.Env(c)
	env.Health = ingest.NewHealth(reg)
	env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return env, reg
}

func errorCount(t *testing.T, reg *prometheus.Registry, source, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, source, kind)
}

// serve starts a server with the feed at /feed.xml.
func serve(t *testing.T, f *fakeFeed) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/feed.xml", f)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func newSource(t *testing.T, srv *httptest.Server, env ingest.Env, mod ...func(*Config)) *Source {
	t.Helper()
	cfg := Config{Name: "news", Settings: testSettings(srv.URL), Feeds: []string{"/feed.xml"}}
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

func posts(t *testing.T, items []ingest.Item) []event.Post {
	t.Helper()
	var out []event.Post
	for _, it := range items {
		if it.Err != nil {
			t.Fatalf("unexpected bad item from %s: %v", it.Origin, it.Err)
		}
		out = append(out, it.Post)
	}
	return out
}

// element returns the bytes of the element named tag that holds marker,
// cut from doc by hand.
func element(t *testing.T, doc []byte, tag, marker string) []byte {
	t.Helper()
	i := bytes.Index(doc, []byte(marker))
	if i < 0 {
		t.Fatalf("marker %q not in the fixture", marker)
	}
	start := bytes.LastIndex(doc[:i], []byte("<"+tag))
	end := bytes.Index(doc[i:], []byte("</"+tag+">"))
	if start < 0 || end < 0 {
		t.Fatalf("no <%s> around %q", tag, marker)
	}
	return doc[start : i+end+len("</"+tag+">")]
}

var idRE = regexp.MustCompile(`^127\.0\.0\.1:[0-9]+:[0-9a-f]{32}$`)

func TestRSS2(t *testing.T) {
	doc := fixture(t, "rss2.xml")
	f := &fakeFeed{}
	f.set(doc, `"v1"`)
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	ps := posts(t, items)
	if len(ps) != 3 {
		t.Fatalf("got %d posts, want 3 (the media-only item skipped): %+v", len(ps), ps)
	}
	host := strings.TrimPrefix(srv.URL, "http://")

	// Oldest first.
	c, b, a := ps[0], ps[1], ps[2]
	if c.Text != "ရန်ကုန်တွင် ဆန္ဒပြပွဲ\n\nပထမ စာပိုဒ်။\n\nSecond paragraph\nwith a link." {
		t.Errorf("text %q", c.Text)
	}
	if c.Platform != "rss" || !idRE.MatchString(c.ID) || c.ID != host+":"+keyHash("guid:news-example-1001") {
		t.Errorf("platform %q id %q", c.Platform, c.ID)
	}
	if c.Author != (event.Author{ID: host, Handle: host, Name: "ကိုအောင် (Ko Aung Example)"}) {
		t.Errorf("author %+v", c.Author)
	}
	if want := time.Date(2026, 11, 1, 1, 30, 0, 0, time.UTC); !c.CreatedAt.Equal(want) || c.CreatedAt.Location() != time.UTC {
		t.Errorf("created %v, want %v", c.CreatedAt, want)
	}
	if c.URL != "https://news.example.org/2026/11/01/protest" || c.Lang != "my" {
		t.Errorf("url %q lang %q", c.URL, c.Lang)
	}
	if want := []string{"https://news.example.org/2026/11/01/protest", "https://news.example.org/related/1"}; !slices.Equal(c.Links, want) {
		t.Errorf("links %q, want %q", c.Links, want)
	}
	if want := element(t, doc, "item", "news-example-1001"); !bytes.Equal(c.Raw, want) {
		t.Errorf("raw:\n%s\nwant:\n%s", c.Raw, want)
	}
	if c.RawSHA256 != event.SHA256Hex(c.Raw) {
		t.Error("raw_sha256 does not match")
	}

	// content:encoded is preferred to the description; a permalink guid
	// is the URL when there is no link; the author's name is in
	// parentheses.
	if b.Text != "မြို့နယ် အစည်းအဝေး\n\nFull text\n\none report\ntwo" {
		t.Errorf("text %q", b.Text)
	}
	if b.URL != "https://news.example.org/2026/11/02/meeting" || b.Author.Name != "Daw Hla Example" {
		t.Errorf("url %q author %q", b.URL, b.Author.Name)
	}
	if want := []string{b.URL, "https://docs.example.com/report.pdf"}; !slices.Equal(b.Links, want) {
		t.Errorf("links %q", b.Links)
	}
	if !b.CreatedAt.Equal(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("created %v", b.CreatedAt)
	}

	// Plain text keeps its lines; no author: the channel's title; a zone
	// abbreviation (Myanmar Time, +06:30) and no seconds.
	if a.Text != "Plain title & more\n\nFirst line of plain text\nSecond line, A & B" {
		t.Errorf("text %q", a.Text)
	}
	if a.Author.Name != "ရွှေမြို့ သတင်း (Example News)" {
		t.Errorf("name %q: want the channel's title", a.Author.Name)
	}
	if !a.CreatedAt.Equal(time.Date(2026, 11, 3, 2, 45, 0, 0, time.UTC)) {
		t.Errorf("created %v", a.CreatedAt)
	}
	if a.ID != host+":"+keyHash("link:https://news.example.org/2026/11/03/plain") {
		t.Errorf("id %q: want the link's hash", a.ID)
	}
	for _, p := range ps {
		if err := p.Validate(event.Limits{}, time.Now()); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
	}
}

func TestAtom(t *testing.T) {
	doc := fixture(t, "atom.xml")
	f := &fakeFeed{ctype: "application/atom+xml"}
	f.set(doc, "")
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	ps := posts(t, items)
	if len(ps) != 3 {
		t.Fatalf("got %d posts, want 3", len(ps))
	}
	one, two, three := ps[0], ps[1], ps[2]
	if one.Text != "Third entry\n\nPlain text line one\nline two" || one.Lang != "en" || one.Author.Name != "Reporter One" {
		t.Errorf("entry 1: text %q lang %q author %q", one.Text, one.Lang, one.Author.Name)
	}
	if !one.CreatedAt.Equal(time.Date(2026, 11, 3, 8, 0, 0, 250e6, time.UTC)) {
		t.Errorf("entry 1: created %v: want published", one.CreatedAt)
	}
	if two.Text != "Second entry\n\nEscaped HTML summary" || two.Author.Name != "Feed Desk" || two.Lang != "my" {
		t.Errorf("entry 2: text %q author %q lang %q", two.Text, two.Author.Name, two.Lang)
	}
	if two.URL != srv.URL+"/a/2" || !two.CreatedAt.Equal(time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("entry 2: url %q (relative, resolved against the feed) created %v (updated)", two.URL, two.CreatedAt)
	}
	if three.Text != "ဦးဆောင် headline\n\nXHTML body\n\nwith a link" {
		t.Errorf("entry 3: text %q", three.Text)
	}
	if three.URL != "https://state.example.com/a/3" || !slices.Equal(three.Links, []string{three.URL, "https://other.example.net/x"}) {
		t.Errorf("entry 3: url %q links %q", three.URL, three.Links)
	}
	if !three.CreatedAt.Equal(time.Date(2026, 11, 5, 2, 30, 0, 0, time.UTC)) {
		t.Errorf("entry 3: created %v", three.CreatedAt)
	}
	if want := element(t, doc, "entry", "tag:state.example.com,2026:3"); !bytes.Equal(three.Raw, want) {
		t.Errorf("raw:\n%s\nwant:\n%s", three.Raw, want)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	if three.ID != host+":"+keyHash("guid:tag:state.example.com,2026:3") {
		t.Errorf("id %q", three.ID)
	}
}

func TestRSS1(t *testing.T) {
	doc := fixture(t, "rss1.rdf")
	f := &fakeFeed{ctype: "application/rdf+xml"}
	f.set(doc, "")
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	ps := posts(t, items)
	if len(ps) != 2 {
		t.Fatalf("got %d posts, want 2", len(ps))
	}
	if ps[0].Text != "First story\n\nText of the first story." || ps[0].Author.Name != "RDF Example Weekly" || ps[0].Lang != "en" {
		t.Errorf("post 1: %q %q %q", ps[0].Text, ps[0].Author.Name, ps[0].Lang)
	}
	if ps[1].Author.Name != "Writer Two" || ps[1].URL != "https://rdf.example.org/2" || !ps[1].CreatedAt.Equal(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("post 2: %+v", ps[1])
	}
	if want := element(t, doc, "item", `rdf:about="https://rdf.example.org/2"`); !bytes.Equal(ps[1].Raw, want) {
		t.Errorf("raw:\n%s\nwant:\n%s", ps[1].Raw, want)
	}
}

func TestLegacyEncodings(t *testing.T) {
	for _, tc := range []struct{ file, title, body string }{
		{"windows1252.xml", "Café “quoted” – price €5", "Naïve résumé — ‘single’"},
		{"latin1.xml", "Café © Example ½", "Grüße aus München"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			doc := fixture(t, tc.file)
			f := &fakeFeed{ctype: "text/xml"}
			f.set(doc, "")
			srv := serve(t, f)
			env, _ := newEnv(&sourcetest.Cursors{})
			items, err := run(t, newSource(t, srv, env))
			if err != nil {
				t.Fatal(err)
			}
			ps := posts(t, items)
			if len(ps) != 1 {
				t.Fatalf("got %d posts", len(ps))
			}
			p := ps[0]
			if p.Text != tc.title+"\n\n"+tc.body || p.Author.Name != "Café Press" || p.Lang != "fr" {
				t.Errorf("text %q name %q lang %q", p.Text, p.Author.Name, p.Lang)
			}
			// Raw is the item as sent, in the feed's own encoding.
			want := element(t, doc, "item", "cafe-1")
			if !bytes.Equal(p.Raw, want) {
				t.Errorf("raw:\n%q\nwant:\n%q", p.Raw, want)
			}
			if bytes.Equal(p.Raw, []byte(strings.ToValidUTF8(string(p.Raw), "?"))) {
				t.Error("raw is UTF-8: want the original single-byte encoding")
			}
		})
	}
}

// rssItem is an item of a generated feed.
type rssItem struct {
	guid string
	day  int // of November 2026
}

func genFeed(items ...rssItem) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<rss version=\"2.0\"><channel><title>Generated</title><language>my</language>\n")
	for _, it := range items { // newest first, as feeds have it
		fmt.Fprintf(&b, "<item><title>သတင်း %s</title><guid isPermaLink=\"false\">%s</guid><link>https://gen.example.org/%s</link><pubDate>%s</pubDate><description>Body of %s</description></item>\n",
			it.guid, it.guid, it.guid, time.Date(2026, 11, it.day, 6, 0, 0, 0, time.UTC).Format(time.RFC1123Z), it.guid)
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

func ids(host string, guids ...string) []string {
	var out []string
	for _, g := range guids {
		out = append(out, host+":"+keyHash("guid:"+g))
	}
	return out
}

func TestConditionalGetAndRestart(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"b", 2}, rssItem{"a", 1}), `"v1"`)
	srv := serve(t, f)
	host := strings.TrimPrefix(srv.URL, "http://")
	cursors := &sourcetest.Cursors{}
	env, _ := newEnv(cursors)
	s := newSource(t, srv, env)
	var all []string

	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, sourcetest.IDs(items)...)
	if got := sourcetest.IDs(items); !slices.Equal(got, ids(host, "a", "b")) {
		t.Fatalf("round 1: %v", got)
	}
	var cur Cursor
	key := "rss:news:" + srv.URL + "/feed.xml"
	if err := json.Unmarshal([]byte(cursors.All()[key]), &cur); err != nil {
		t.Fatalf("cursor %q: %v", cursors.All()[key], err)
	}
	if cur.ETag != `"v1"` || cur.LastModified == "" || len(cur.Seen) != 2 {
		t.Fatalf("cursor %+v", cur)
	}

	// Unchanged: a 304, an empty round that succeeds.
	items, err = run(t, s)
	if err != nil || len(items) != 0 {
		t.Fatalf("round 2: %d items, %v", len(items), err)
	}
	reqs := f.requests()
	if last := reqs[len(reqs)-1]; last.status != 304 || last.ifNoneMatch != `"v1"` || last.ifModified != cur.LastModified {
		t.Fatalf("round 2 request %+v: want a conditional GET answered 304", last)
	}
	if h := sourcetest.Failures(env, "news"); h.Failures != 0 || h.LastSuccess.IsZero() {
		t.Fatalf("health %+v", h)
	}

	// Restarted: the saved ETag is sent again.
	s2 := newSource(t, srv, env)
	items, err = run(t, s2)
	if err != nil || len(items) != 0 {
		t.Fatalf("after restart: %d items, %v", len(items), err)
	}
	reqs = f.requests()
	if last := reqs[len(reqs)-1]; last.status != 304 || last.ifNoneMatch != `"v1"` {
		t.Fatalf("after restart request %+v", last)
	}

	// New items, and "a" dropped out of the feed: only c and d, after a
	// restart.
	f.set(genFeed(rssItem{"d", 4}, rssItem{"c", 3}, rssItem{"b", 2}), `"v2"`)
	items, err = run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, ids(host, "c", "d")) {
		t.Fatalf("round 3: %v", got)
	}
	all = append(all, sourcetest.IDs(items)...)

	// "a" comes back, beside a new one: only e.
	f.set(genFeed(rssItem{"e", 5}, rssItem{"d", 4}, rssItem{"a", 1}), `"v3"`)
	s3 := newSource(t, srv, env)
	items, err = run(t, s3)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, sourcetest.IDs(items)...)
	// The same content under a new ETag: nothing again.
	f.set(genFeed(rssItem{"e", 5}, rssItem{"d", 4}, rssItem{"a", 1}), `"v4"`)
	items, err = run(t, s3)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, sourcetest.IDs(items)...)
	sourcetest.Exactly(t, all, ids(host, "a", "b", "c", "d", "e"))
}

func TestLastModifiedOnly(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"a", 1}), "")
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	s := newSource(t, srv, env)
	if _, err := run(t, s); err != nil {
		t.Fatal(err)
	}
	items, err := run(t, s)
	if err != nil || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	reqs := f.requests()
	if last := reqs[len(reqs)-1]; last.status != 304 || last.ifNoneMatch != "" || last.ifModified == "" {
		t.Fatalf("request %+v: want If-Modified-Since alone, answered 304", last)
	}
}

func TestMaxItemsOverRounds(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"e", 5}, rssItem{"d", 4}, rssItem{"c", 3}, rssItem{"b", 2}, rssItem{"a", 1}), `"v1"`)
	srv := serve(t, f)
	host := strings.TrimPrefix(srv.URL, "http://")
	env, _ := newEnv(&sourcetest.Cursors{})
	withMax := func(c *Config) { c.MaxItems = 2 }
	s := newSource(t, srv, env, withMax)
	var all []string
	for i, want := range [][]string{ids(host, "a", "b"), ids(host, "c", "d")} {
		items, err := run(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourcetest.IDs(items); !slices.Equal(got, want) {
			t.Fatalf("round %d: %v, want %v", i+1, got, want)
		}
		all = append(all, sourcetest.IDs(items)...)
	}
	// A restart in the middle of the backlog resumes it; the ETag was
	// not kept while items were left, so the feed is read again.
	s = newSource(t, srv, env, withMax)
	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, ids(host, "e")) {
		t.Fatalf("round 3: %v", got)
	}
	all = append(all, sourcetest.IDs(items)...)
	items, err = run(t, s)
	if err != nil || len(items) != 0 {
		t.Fatalf("round 4: %d items, %v", len(items), err)
	}
	reqs := f.requests()
	if reqs[1].ifNoneMatch != "" || reqs[len(reqs)-1].status != 304 {
		t.Fatalf("requests %+v: want no ETag sent while items are left, a 304 at the end", reqs)
	}
	sourcetest.Exactly(t, all, ids(host, "a", "b", "c", "d", "e"))
}

func TestRateLimitedRetryAfter(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"b", 2}, rssItem{"a", 1}), `"v1"`)
	f.failWith(status(http.StatusTooManyRequests, "Retry-After", "1"))
	srv := serve(t, f)
	host := strings.TrimPrefix(srv.URL, "http://")
	env, reg := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), ids(host, "a", "b"))
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].status != 429 {
		t.Fatalf("requests %+v", reqs)
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Fatalf("retried after %v: Retry-After: 1 not honoured", gap)
	}
	if n := errorCount(t, reg, "news", ingest.KindRateLimited); n != 1 {
		t.Fatalf("rate_limited errors %v, want 1", n)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"a", 1}), "")
	f.failWith(status(http.StatusServiceUnavailable), status(http.StatusBadGateway))
	srv := serve(t, f)
	host := strings.TrimPrefix(srv.URL, "http://")
	env, reg := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), ids(host, "a"))
	if n := errorCount(t, reg, "news", ingest.KindServer); n != 2 {
		t.Fatalf("server errors %v, want 2", n)
	}
}

func TestMalformedThenFixed(t *testing.T) {
	for _, bad := range []string{
		`<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut short`,
		`<!DOCTYPE html><html><body>Not a feed</body></html>`,
		`<html><body><p>An HTML page</p></body></html>`,
	} {
		f := &fakeFeed{}
		f.set([]byte(bad), `"bad"`)
		srv := serve(t, f)
		host := strings.TrimPrefix(srv.URL, "http://")
		cursors := &sourcetest.Cursors{}
		env, _ := newEnv(cursors)
		s := newSource(t, srv, env)
		items, err := run(t, s)
		if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 {
			t.Fatalf("%q: %d items, err %v: want a malformed round", bad, len(items), err)
		}
		if h := sourcetest.Failures(env, "news"); h.LastKind != ingest.KindMalformed || h.Failures != 1 {
			t.Fatalf("health %+v", h)
		}
		if len(cursors.All()) != 0 {
			t.Fatalf("cursor saved after a malformed body: %v", cursors.All())
		}
		f.set(genFeed(rssItem{"b", 2}, rssItem{"a", 1}), `"good"`)
		items, err = run(t, s)
		if err != nil {
			t.Fatal(err)
		}
		sourcetest.Exactly(t, sourcetest.IDs(items), ids(host, "a", "b"))
		if reqs := f.requests(); reqs[1].ifNoneMatch != "" {
			t.Fatalf("the malformed answer's ETag was kept: %+v", reqs[1])
		}
	}
}

func TestEmptyFeed(t *testing.T) {
	f := &fakeFeed{}
	f.set([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>`), `"e"`)
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	items, err := run(t, newSource(t, srv, env))
	if err != nil || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if h := sourcetest.Failures(env, "news"); h.Failures != 0 || h.LastSuccess.IsZero() {
		t.Fatalf("health %+v: an empty feed is a success", h)
	}
}

func TestInvalidItemGoesToDeadLetterOnce(t *testing.T) {
	doc := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>From the future</title><guid>future-1</guid><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
<item><title>Fine</title><guid>fine-1</guid><pubDate>Sun, 01 Nov 2026 00:00:00 GMT</pubDate></item>
</channel></rss>`)
	f := &fakeFeed{}
	f.set(doc, `"v1"`)
	srv := serve(t, f)
	host := strings.TrimPrefix(srv.URL, "http://")
	env, _ := newEnv(&sourcetest.Cursors{})
	s := newSource(t, srv, env)
	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	bad := sourcetest.Errors(items)
	if len(bad) != 1 || !bytes.Equal(bad[0].Payload, element(t, doc, "item", "future-1")) || bad[0].Origin != "rss:news:"+srv.URL+"/feed.xml" {
		t.Fatalf("bad items %+v", bad)
	}
	var ve *event.ValidationError
	if !errors.As(bad[0].Err, &ve) || ve.Field != "created_at" {
		t.Fatalf("error %v", bad[0].Err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), ids(host, "fine-1"))
	f.set(doc, `"v2"`) // read again: not sent twice
	items, err = run(t, newSource(t, srv, env))
	if err != nil || len(items) != 0 {
		t.Fatalf("%d items, %v", len(items), err)
	}
}

func TestSeveralFeedsAndBaseURL(t *testing.T) {
	fa, fb := &fakeFeed{}, &fakeFeed{}
	fa.set(genFeed(rssItem{"a1", 1}), "")
	fb.set(fixture(t, "atom.xml"), "")
	mux := http.NewServeMux()
	mux.Handle("/news/a.xml", fa)
	mux.Handle("/b.xml", fb)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	env, _ := newEnv(&sourcetest.Cursors{})
	s, err := New(Config{Name: "multi", Settings: testSettings(srv.URL + "/news/"), Feeds: []string{"a.xml", srv.URL + "/b.xml"}}, env)
	if err != nil {
		t.Fatal(err)
	}
	items, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sourcetest.IDs(items)); n != 4 {
		t.Fatalf("%d posts, want 1 + 3", n)
	}
	if len(fa.requests()) != 1 || len(fb.requests()) != 1 {
		t.Fatal("each feed fetched once")
	}
}

func TestOneFeedFailingDoesNotStopTheOthers(t *testing.T) {
	good := &fakeFeed{}
	good.set(genFeed(rssItem{"g", 1}), "")
	mux := http.NewServeMux()
	mux.Handle("/good.xml", good)
	srv := httptest.NewServer(mux) // /gone.xml: 404
	defer srv.Close()
	env, reg := newEnv(&sourcetest.Cursors{})
	s, err := New(Config{Name: "two", Settings: testSettings(srv.URL), Feeds: []string{"/gone.xml?key=secret", "/good.xml"}}, env)
	if err != nil {
		t.Fatal(err)
	}
	items, err := run(t, s)
	if err == nil || netsrc.KindOf(err) != ingest.KindClient || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v: want the client error, without the query", err)
	}
	host := strings.TrimPrefix(srv.URL, "http://")
	sourcetest.Exactly(t, sourcetest.IDs(items), ids(host, "g"))
	if n := errorCount(t, reg, "two", ingest.KindClient); n != 1 {
		t.Fatalf("client errors %v", n)
	}
}

func TestConfig(t *testing.T) {
	env := sourcetest.Env(nil)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Feeds: []string{"https://a.example/f"}}, "name is required"},
		{Config{Name: "n"}, "feeds is required"},
		{Config{Name: "n", Feeds: []string{"/relative.xml"}}, "not an absolute URL"},
		{Config{Name: "n", Feeds: []string{"ftp://a.example/f"}}, "want an http(s) URL"},
		{Config{Name: "n", Feeds: []string{"https://a.example/f", "https://a.example/f"}}, "listed twice"},
		{Config{Name: "n", Feeds: []string{"https://a.example/f"}, MaxItems: -1}, "max_items"},
		{Config{Name: "n", Settings: netsrc.Settings{BaseURL: "ws://a.example/"}, Feeds: []string{"f"}}, "http(s)"},
	} {
		if _, err := New(tc.cfg, env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
	s, err := New(Config{Name: "n", Feeds: []string{"https://a.example/f"}}, env)
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if s.cfg.Interval != 10*time.Minute || s.cfg.RateLimit != (netsrc.RateLimit{Requests: 60, Per: time.Minute}) || s.cfg.Concurrency != 2 || s.cfg.MaxItems != 200 || d.BaseURL != "" {
		t.Fatalf("defaults %+v", s.cfg)
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	for in, want := range map[string]time.Time{
		"Sun, 01 Nov 2026 08:00:00 +0630":        utc(2026, 11, 1, 1, 30, 0),
		"Sun, 01 Nov 2026 08:00:00 GMT":          utc(2026, 11, 1, 8, 0, 0),
		"Sun, 1 Nov 2026 08:00:00 EST":           utc(2026, 11, 1, 13, 0, 0),
		"Sun, 1 Nov 2026 08:00 -0700":            utc(2026, 11, 1, 15, 0, 0),
		"Sunday, 1 November 2026 08:00:00 +0000": utc(2026, 11, 1, 8, 0, 0),
		"01 Nov 2026 08:00:00 +0000":             utc(2026, 11, 1, 8, 0, 0),
		"Sun, 01 Nov 26 08:00:00 +0000":          utc(2026, 11, 1, 8, 0, 0),
		"Sun, 01 Nov 2026 08:00:00 -0700 (PDT)":  utc(2026, 11, 1, 15, 0, 0),
		"Sun,  01 Nov 2026  08:00:00 +06:30":     utc(2026, 11, 1, 1, 30, 0),
		"2026-11-01T08:00:00Z":                   utc(2026, 11, 1, 8, 0, 0),
		"2026-11-01T08:00:00+06:30":              utc(2026, 11, 1, 1, 30, 0),
		"2026-11-01 08:00:00":                    utc(2026, 11, 1, 8, 0, 0),
		"2026-11-01":                             utc(2026, 11, 1, 0, 0, 0),
		"":                                       {},
		"yesterday":                              {},
		"Thu, 01 Jan 1970 00:00:00 GMT":          {},
	} {
		if got := parseDate(in); !got.Equal(want) {
			t.Errorf("parseDate(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHTMLText(t *testing.T) {
	base, _ := url.Parse("https://site.example/a/b")
	text, links := htmlText(`<h1>Head</h1>
<p>One   two<br>three</p><ul><li>x</li><li>y <a href="../c">z</a></li></ul>
<style>p{}</style><p><a href="mailto:x@example.org">mail</a> <a href="javascript:alert(1)">js</a> &amp; &lt;done&gt;&nbsp;</p><pre>  keep
  lines</pre>`, base)
	want := "Head\n\nOne two\nthree\n\nx\ny z\n\nmail js & <done>\n\n  keep\n  lines"
	if text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if !slices.Equal(links, []string{"https://site.example/c"}) {
		t.Errorf("links %q", links)
	}
}

func TestUTF16AndInvalidUTF8(t *testing.T) {
	// A UTF-16 feed with its byte order mark.
	src := "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>မြန်မာ</title><item><title>ခေါင်းစဉ်</title><guid>u16</guid></item></channel></rss>"
	var u16 []byte
	u16 = append(u16, 0xFF, 0xFE)
	for _, r := range src {
		if r > 0xFFFF {
			t.Fatal("test text outside the BMP")
		}
		u16 = append(u16, byte(r), byte(r>>8))
	}
	f, err := parseFeed(u16, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 1 || f.Title != "မြန်မာ" || f.Items[0].Title != "ခေါင်းစဉ်" {
		t.Fatalf("%+v", f)
	}
	if i := bytes.Index(u16, []byte{'<', 0, 'i', 0, 't', 0}); !bytes.Equal(f.Items[0].Raw, u16[i:len(u16)-len("</channel></rss>")*2]) {
		t.Errorf("raw %q", f.Items[0].Raw)
	}
	// A UTF-8 feed with a stray byte: read, with U+FFFD, raw untouched.
	bad := []byte("<rss><channel><item><title>bad \xff byte</title></item></channel></rss>")
	f, err = parseFeed(bad, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Items[0].Title != "bad \uFFFD byte" || !bytes.Equal(f.Items[0].Raw, bad[len("<rss><channel>"):len(bad)-len("</channel></rss>")]) {
		t.Errorf("%q %q", f.Items[0].Title, f.Items[0].Raw)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	f := &fakeFeed{}
	f.set(genFeed(rssItem{"a", 1}), "")
	srv := serve(t, f)
	env, _ := newEnv(&sourcetest.Cursors{})
	env.Once = false
	s := newSource(t, srv, env)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	items, err := sourcetest.Collect(ctx, s, 1)
	if err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
}
