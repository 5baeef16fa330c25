package mastodon

// A fake Mastodon instance for the tests, paging as the documentation
// says (https://docs.joinmastodon.org/methods/timelines/,
// https://docs.joinmastodon.org/methods/accounts/): limit (default 20, max
// 40), max_id, since_id and min_id ("returns results immediately newer
// than this ID"), newest first, and a Link header
// `<...max_id=OLDEST>; rel="next", <...min_id=NEWEST>; rel="prev"` on a
// page that is not empty. The fixtures are in testdata/ (see its README).

import (
	"encoding/json"
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

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

type seenRequest struct {
	at    time.Time
	path  string
	query url.Values
	auth  string
}

type fakeInstance struct {
	srv *httptest.Server

	mu        sync.Mutex
	timelines map[string][]json.RawMessage // by path
	accounts  map[string][]byte            // acct → Account JSON
	reqs      []seenRequest
	// fail, when set, may answer request n (0-based, all paths) itself.
	fail func(n int, w http.ResponseWriter, r *http.Request) bool
	// linkBase replaces the server's own URL in Link headers.
	linkBase string
	// header is added to every answer the server gives itself.
	header http.Header
}

func newInstance(t *testing.T) *fakeInstance {
	f := &fakeInstance{timelines: map[string][]json.RawMessage{}, accounts: map[string][]byte{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInstance) add(path string, raws ...json.RawMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timelines[path] = append(f.timelines[path], raws...)
}

func (f *fakeInstance) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

func (f *fakeInstance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := len(f.reqs)
	f.reqs = append(f.reqs, seenRequest{at: time.Now(), path: r.URL.Path, query: r.URL.Query(), auth: r.Header.Get("Authorization")})
	fail, linkBase := f.fail, f.linkBase
	tl, isTimeline := f.timelines[r.URL.Path]
	tl = slices.Clone(tl)
	acc, isAccount := f.accounts[r.URL.Query().Get("acct")]
	for k, v := range f.header {
		w.Header()[k] = v
	}
	f.mu.Unlock()
	if fail != nil && fail(n, w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.URL.Path == "/api/v1/accounts/lookup" && isAccount:
		w.Write(acc)
	case isTimeline:
		if linkBase == "" {
			linkBase = f.srv.URL
		}
		servePage(w, r, tl, linkBase)
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"Record not found"}`))
	}
}

func servePage(w http.ResponseWriter, r *http.Request, all []json.RawMessage, linkBase string) {
	q := r.URL.Query()
	limit := 20
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		limit = min(l, 40)
	}
	num := func(k string) uint64 { v, _ := strconv.ParseUint(q.Get(k), 10, 64); return v }
	maxID, sinceID, minID := num("max_id"), num("since_id"), num("min_id")
	slices.SortFunc(all, func(a, b json.RawMessage) int { // newest first
		x, y := rawID(a), rawID(b)
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	var sel []json.RawMessage
	for _, raw := range all {
		id := rawID(raw)
		if (maxID == 0 || id < maxID) && id > sinceID && id > minID {
			sel = append(sel, raw)
		}
	}
	if minID > 0 { // the oldest ones newer than min_id
		sel = sel[max(0, len(sel)-limit):]
	} else {
		sel = sel[:min(limit, len(sel))]
	}
	if len(sel) > 0 {
		link := func(k string, id uint64) string {
			lq := url.Values{"limit": {strconv.Itoa(limit)}, k: {strconv.FormatUint(id, 10)}}
			for _, keep := range []string{"local", "remote", "exclude_reblogs"} {
				if v := q.Get(keep); v != "" {
					lq.Set(keep, v)
				}
			}
			return "<" + linkBase + r.URL.Path + "?" + lq.Encode() + ">"
		}
		w.Header().Set("Link", link("max_id", rawID(sel[len(sel)-1]))+`; rel="next", `+link("min_id", rawID(sel[0]))+`; rel="prev"`)
	}
	parts := make([]string, len(sel))
	for i, raw := range sel {
		parts[i] = string(raw)
	}
	w.Write([]byte("[\n  " + strings.Join(parts, ",\n  ") + "\n]"))
}

func rawID(raw json.RawMessage) uint64 {
	var head struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &head)
	id, _ := strconv.ParseUint(head.ID, 10, 64)
	return id
}

// fixture returns the statuses of a testdata file, oldest first, each as
// its bytes in the file.
func fixture(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		t.Fatal(err)
	}
	slices.Reverse(raws)
	return raws
}

// Status IDs of timeline.json, oldest first (sid[1] … sid[9]), and the
// post IDs they become ("" for the media-only status 6, which is passed
// over). Status 3 is remote and status 5 a boost of a remote status: their
// post IDs come from the origin's uri.
var sid = []string{"",
	"117545828352000000", "117545867673600000", "117545906995200000",
	"117545946316800000", "117545985638400000", "117546024960000000",
	"117546064281600000", "117546103603200000", "117546142924800000",
}

var postIDs = []string{"",
	"example.social:117545828352000000", "example.social:117545867673600000", "other.example:109000000000000007",
	"example.social:117545946316800000", "news.example:109000000000000042", "",
	"example.social:117546064281600000", "example.social:117546103603200000", "example.social:117546142924800000",
}

// want returns the post IDs of timeline statuses from..to, oldest first.
func want(from, to int) []string {
	var out []string
	for k := from; k <= to; k++ {
		if postIDs[k] != "" {
			out = append(out, postIDs[k])
		}
	}
	return out
}

const tagPath = "/api/v1/timelines/tag/vigil"

type testEnv struct {
	ingest.Env
	cursors *sourcetest.Cursors
	reg     *prometheus.Registry
}

func newEnv(cursors *sourcetest.Cursors, secrets map[string]string) testEnv {
	if cursors == nil {
		cursors = &sourcetest.Cursors{}
	}
	reg := prometheus.NewRegistry()
	return testEnv{
		Env: ingest.Env{Cursors: cursors, Health: ingest.NewHealth(reg), Once: true, Log: slog.New(slog.DiscardHandler),
			Getenv: func(k string) string { return secrets[k] }},
		cursors: cursors, reg: reg,
	}
}

// settings are fast settings for the fake instance.
func settings(f *fakeInstance) netsrc.Settings {
	return netsrc.Settings{
		BaseURL: f.srv.URL, AllowPrivate: true, Retries: 2,
		Interval: time.Millisecond, Timeout: 5 * time.Second,
		Backoff:   netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
		RateLimit: netsrc.RateLimit{Requests: 1000, Per: time.Second},
	}
}

func newSource(t *testing.T, cfg Config, env testEnv) *Source {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "watch"
	}
	s, err := New(cfg, env.Env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs one round and returns the post IDs, the bad items and the
// round's error.
func run(t *testing.T, s *Source) ([]string, []ingest.Item, error) {
	t.Helper()
	items, err := sourcetest.Run(t, s, 10*time.Second)
	return sourcetest.IDs(items), sourcetest.Errors(items), err
}

// errCount reads vigil_ingest_errors_total{source, kind}.
func errCount(t *testing.T, reg *prometheus.Registry, source, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, source, kind)
}

// isoIn is an X-RateLimit-Reset value d from now, as Mastodon writes it.
func isoIn(d time.Duration) string {
	return time.Now().Add(d).UTC().Format("2006-01-02T15:04:05.000Z")
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
