package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// adminToken is the bootstrap token of the test servers.
const adminToken = "test-admin-token-5f0c"

// yangon is UTC+06:30: the store hands out times in it so that the tests
// see the API turn them into UTC.
var yangon = time.FixedZone("Asia/Yangon", 6*3600+30*60)

// memStore is an in-memory event.ReadService. It remembers the last
// filters it was given so that tests can check what the API passed on.
type memStore struct {
	mu       sync.Mutex
	accounts []event.Account
	flags    []event.Flag // newest (highest ID) first
	posts    map[string]*event.StoredPost
	err      error         // returned by every method when set
	block    chan struct{} // when set, ListAccounts waits for it to close
	panics   bool          // when set, ListAccounts panics

	lastAccounts event.AccountFilter
	lastFlags    event.FlagFilter
	calls        int
}

var _ event.ReadService = (*memStore)(nil)

func (m *memStore) ListAccounts(ctx context.Context, f event.AccountFilter) ([]event.Account, error) {
	m.mu.Lock()
	m.lastAccounts = f
	block, panics := m.block, m.panics
	m.calls++
	m.mu.Unlock()
	if panics {
		panic("memStore: told to panic")
	}
	if block != nil {
		<-block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	var out []event.Account
	for _, a := range m.accounts {
		if (f.Flagged && a.FlagCount == 0) || (f.Platform != "" && a.Platform != f.Platform) {
			continue
		}
		out = append(out, a)
	}
	if c := f.After; c != nil {
		// The fake keeps its own order: the page after the cursor's
		// account in it.
		for i, a := range out {
			if a.Platform == c.Platform && a.ID == c.ID {
				out = out[i+1:]
				break
			}
		}
	}
	out = out[min(f.Offset, len(out)):]
	return out[:min(f.Limit, len(out))], nil
}

func (m *memStore) ListFlags(_ context.Context, f event.FlagFilter) ([]event.Flag, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastFlags = f
	m.calls++
	if m.err != nil {
		return nil, 0, m.err
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	var out []event.Flag
	for _, fl := range m.flags {
		switch {
		case f.After != 0 && fl.ID >= f.After,
			f.Platform != "" && fl.Platform != f.Platform,
			f.Category != "" && !slices.Contains(fl.Categories, f.Category),
			f.Status != "" && fl.Status != f.Status,
			f.AuthorID != "" && fl.AuthorID != f.AuthorID:
			continue
		}
		out = append(out, fl)
	}
	if len(out) <= f.Limit {
		return out, 0, nil
	}
	out = out[:f.Limit]
	return out, out[len(out)-1].ID, nil
}

func (m *memStore) FindPost(_ context.Context, platform, id string) (*event.StoredPost, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return nil, m.err
	}
	p, ok := m.posts[platform+"/"+id]
	if !ok {
		return nil, event.Errorf(event.ENOTFOUND, "post %s/%s not found", platform, id)
	}
	return p, nil
}

func (m *memStore) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

func (m *memStore) setErr(err error) { m.edit(func(m *memStore) { m.err = err }) }

// edit changes the store under its lock, as handlers may be reading it.
func (m *memStore) edit(change func(*memStore)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	change(m)
}

func (m *memStore) filters() (event.AccountFilter, event.FlagFilter, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lastAccounts, m.lastFlags, m.calls
}

// The text of the sample post. The tests check that it never reaches a log.
const sampleText = "ဒီကုလားတွေကို မောင်းထုတ်ကြ"

// rawX is the payload of the sample post as captured.
var rawX = []byte(`{"platform":"x","id":"1790","author":{"id":"44","handle":"someone"},"text":"` + sampleText + `","created_at":"2026-11-01T14:30:00+06:30"}`)

// rawBinary is a payload that is not UTF-8 (a captured image, say).
var rawBinary = []byte{0x89, 'P', 'N', 'G', 0xff, 0xfe, 0x00}

func newMemStore() *memStore {
	seen := time.Date(2026, 11, 1, 14, 30, 0, 0, yangon)
	post := event.Post{
		Platform:   "x",
		ID:         "1790",
		Author:     event.Author{ID: "44", Handle: "someone"},
		Text:       sampleText,
		CreatedAt:  seen,
		CapturedAt: seen.Add(time.Minute),
		Source:     "x-demo",
		Raw:        rawX,
		RawSHA256:  event.SHA256Hex(rawX),
	}
	binary := event.Post{
		Platform: "telegram", ID: "9", Author: event.Author{ID: "77"}, Text: "caption",
		CapturedAt: seen, Raw: rawBinary, RawSHA256: event.SHA256Hex(rawBinary),
	}
	m := &memStore{
		accounts: []event.Account{
			{
				Platform: "x", ID: "44", Handle: "someone", Handles: []string{"someone_old", "someone"},
				PostCount: 12, FlagCount: 3, Categories: map[string]int{"dehumanisation": 3},
				Lists: []string{"military-proxies"}, FirstSeen: seen, LastSeen: seen.Add(time.Hour),
			},
			// No flags and a nil map: the API must still say "categories":{}.
			{Platform: "mastodon", ID: "7", PostCount: 1, FirstSeen: seen, LastSeen: seen},
		},
		posts: map[string]*event.StoredPost{
			"x/1790": {
				Post: post,
				Verdict: &event.Verdict{
					Post: post, Flagged: true, Score: 3, Categories: []string{"dehumanisation"},
					Matches: []event.Match{{TermID: "t1", Category: "dehumanisation", Start: 6, End: 18}},
					Lexicon: "example@2026-11-26", Pipeline: "test", ClassifiedAt: seen.Add(2 * time.Minute),
				},
				FlagID:   5,
				StoredAt: seen.Add(3 * time.Minute),
			},
			"telegram/9": {Post: binary, StoredAt: seen},
		},
	}
	for id := int64(5); id >= 1; id-- {
		f := event.Flag{
			ID: id, Platform: "x", PostID: "p" + strconv.FormatInt(id, 10), AuthorID: "44",
			Score: 3, Categories: []string{"dehumanisation"},
			Matches: []event.Match{{TermID: "t1", Category: "dehumanisation", Start: 0, End: 6}},
			Lexicon: "example@2026-11-26", Pipeline: "test", Status: event.StatusPending,
			CreatedAt: seen.Add(time.Duration(id) * time.Minute),
		}
		if id == 1 {
			// A flag that only an account list raised: no categories
			// and no matches, which must come out as [] and not null.
			f.Categories, f.Matches = nil, nil
			f.Lists = []event.ListHit{{List: "military-proxies"}}
			f.Status = event.StatusConfirmed
			f.AuthorID = "45"
		}
		m.flags = append(m.flags, f)
	}
	return m
}

func sha256Base64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is a Server on an httptest server with its store, registry and
// logs. Every response its request helpers receive is checked against
// openapi.yaml (openapi_validate_test.go).
type fixture struct {
	srv   *httptest.Server
	api   *api.Server
	store *memStore
	reg   *prometheus.Registry
	logs  *syncBuffer
	doc   *openAPIDoc
	// undocumented are statuses that a test provokes on purpose where
	// the document rightly does not list them (a store error that no
	// store returns for that read); see allowUndocumented.
	undocumented map[int]bool
}

// newFixture starts a test server of the zero Config; edit changes its
// Deps before New.
func newFixture(tb testing.TB, edit ...func(*api.Deps)) *fixture {
	tb.Helper()
	return newFixtureConfig(tb, api.Config{}, edit...)
}

// newFixtureConfig starts a test server of cfg; edit changes its Deps
// before New.
func newFixtureConfig(tb testing.TB, cfg api.Config, edit ...func(*api.Deps)) *fixture {
	tb.Helper()
	f := &fixture{store: newMemStore(), reg: prometheus.NewRegistry(), logs: &syncBuffer{}, doc: loadOpenAPI(tb)}
	deps := api.Deps{
		Read:       f.store,
		Tokens:     api.NewStaticTokens(adminToken),
		Gatherer:   f.reg,
		Registerer: f.reg,
		Logger:     slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:    "v0.0.0-test",
	}
	for _, e := range edit {
		e(&deps)
	}
	s, err := api.New(cfg, deps)
	if err != nil {
		tb.Fatalf("api.New: %v", err)
	}
	f.api = s
	f.srv = httptest.NewServer(s.Handler())
	tb.Cleanup(f.srv.Close)
	return f
}

// get requests path with the given Authorization header value ("" for
// none) and returns the response with its body read.
func (f *fixture) get(tb testing.TB, path, authorization string) (*http.Response, []byte) {
	tb.Helper()
	return f.do(tb, http.MethodGet, path, authorization, "")
}

// do sends a request with the given Authorization header value ("" for
// none) and JSON body ("" for none), returns the response with its body
// read, and fails the test when the response is not what openapi.yaml
// documents for the route.
func (f *fixture) do(tb testing.TB, method, path, authorization, body string) (*http.Response, []byte) {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	f.checkDocumented(tb, resp, b)
	return resp, b
}

// checkDocumented fails the test when resp is not what openapi.yaml
// documents for its request's route.
func (f *fixture) checkDocumented(tb testing.TB, resp *http.Response, body []byte) {
	tb.Helper()
	req := resp.Request
	err := f.doc.checkResponse(req.Method, req.URL.Path, resp.StatusCode, resp.Header, body)
	if err != nil && f.undocumented[resp.StatusCode] {
		// The status is allowed; the body must still be the API's error.
		err = f.doc.checkErrorBody(fmt.Sprintf("%s %s (%d, allowed undocumented)", req.Method, req.URL.Path, resp.StatusCode),
			resp.Header, body)
	}
	if err != nil {
		tb.Errorf("%s %s: %v", req.Method, req.URL.RequestURI(), err)
	}
}

// allowUndocumented lets the fixture's responses have these statuses
// even where the document does not list them for the route, for a test
// that provokes them on purpose (a store error that no store returns
// for that route). Their bodies are still checked as JSON errors.
func (f *fixture) allowUndocumented(statuses ...int) {
	if f.undocumented == nil {
		f.undocumented = map[int]bool{}
	}
	for _, s := range statuses {
		f.undocumented[s] = true
	}
}

// getJSON requests path as the admin, checks the status and the content
// type, and decodes the body into v.
func (f *fixture) getJSON(tb testing.TB, path string, wantStatus int, v any) []byte {
	tb.Helper()
	resp, body := f.get(tb, path, "Bearer "+adminToken)
	if resp.StatusCode != wantStatus {
		tb.Fatalf("GET %s: status %d, want %d; body %s", path, resp.StatusCode, wantStatus, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			tb.Fatalf("GET %s: decode %s: %v", path, body, err)
		}
	}
	return body
}

// apiError is the JSON of an error response.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// checkError checks that body is a JSON error with the given code and a
// message that contains wantInMessage.
func checkError(tb testing.TB, body []byte, code, wantInMessage string) {
	tb.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		tb.Fatalf("error body %s: %v", body, err)
	}
	if e.Error.Code != code || !strings.Contains(e.Error.Message, wantInMessage) {
		tb.Fatalf("error %+v, want code %q and a message containing %q", e.Error, code, wantInMessage)
	}
}
