package bluesky

// The fake Jetstream below serves the frames of testdata/ (written from the
// event shapes of https://github.com/bluesky-social/jetstream's README) as
// GET /subscribe does: it honours cursor (replay from that time_us,
// inclusive), wantedCollections (NSIDs and .* prefixes), wantedDids and
// requireHello with an options_update message.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

const (
	didA = "did:plc:testaaaaaaaaaaaaaaaaaaaa"
	didB = "did:plc:testbbbbbbbbbbbbbbbbbbbb"
	didC = "did:plc:testcccccccccccccccccccc"
	didD = "did:plc:testdddddddddddddddddddd"
	didE = "did:plc:testeeeeeeeeeeeeeeeeeeee"
	didF = "did:plc:testffffffffffffffffffff"
)

// allPosts are the posts of events.jsonl, in stream order.
var allPosts = []string{
	didA + ":3l3qo2vuowo2a",
	didB + ":3l3qo2vuowo2c",
	didC + ":3l3qo2vuowo2f",
	didD + ":3l3qo2vuowo2g",
	didE + ":3l3qo2vuowo2h", // same time_us as the one before
	didD + ":3l3qo2vuowo2i",
}

// us is the time_us of the n-th microsecond step of events.jsonl.
func us(n int) int64 { return 1725911162100000 + int64(n)*1000 }

type frame struct {
	raw  []byte
	typ  websocket.MessageType
	t    int64
	did  string
	kind string
	coll string
}

func textFrame(raw []byte) frame {
	f := frame{raw: raw, typ: websocket.MessageText}
	var ev struct {
		DID    string `json:"did"`
		TimeUS int64  `json:"time_us"`
		Kind   string `json:"kind"`
		Commit struct {
			Collection string `json:"collection"`
		} `json:"commit"`
	}
	if json.Unmarshal(raw, &ev) == nil {
		f.t, f.did, f.kind, f.coll = ev.TimeUS, ev.DID, ev.Kind, ev.Commit.Collection
	}
	return f
}

func loadFrames(t *testing.T, name string) []frame {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			out = append(out, textFrame(bytes.Clone(sc.Bytes())))
		}
	}
	return out
}

type request struct {
	at    time.Time
	path  string
	query url.Values
	ua    string
	hello []byte
}

type failure struct {
	status     int
	retryAfter string
}

// jetstream is a fake Jetstream.
type jetstream struct {
	srv  *httptest.Server
	done chan struct{}

	mu         sync.Mutex
	frames     []frame
	avail      int       // frames[:avail] are served; < 0: all
	fail       []failure // handshake answers before the next successes
	closeAfter []int     // per connection: drop it after this many frames (0: keep it)
	live       func() []frame
	noPong     bool // never read, so pings go unanswered
	accepted   int  // handshakes answered 101
	reqs       []request
}

func newJetstream(t *testing.T, frames []frame) *jetstream {
	j := &jetstream{frames: frames, avail: -1, done: make(chan struct{})}
	j.srv = httptest.NewServer(j)
	t.Cleanup(func() { close(j.done); j.srv.Close() })
	return j
}

// newJetstreamTLS is a fake Jetstream over TLS that offers HTTP/2, as a
// public instance behind a proxy may.
func newJetstreamTLS(t *testing.T, frames []frame) *jetstream {
	j := &jetstream{frames: frames, avail: -1, done: make(chan struct{})}
	j.srv = httptest.NewUnstartedServer(j)
	j.srv.EnableHTTP2 = true
	j.srv.StartTLS()
	t.Cleanup(func() { close(j.done); j.srv.Close() })
	return j
}

func (j *jetstream) requests() []request {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]request(nil), j.reqs...)
}

func (j *jetstream) set(f func(j *jetstream)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(j)
}

func wanted(f frame, colls, dids []string) bool {
	if len(dids) > 0 && f.did != "" {
		ok := false
		for _, d := range dids {
			ok = ok || d == f.did
		}
		if !ok {
			return false
		}
	}
	if f.kind != "commit" || f.coll == "" || len(colls) == 0 {
		return true // identity and account events go to every subscriber
	}
	for _, c := range colls {
		if c == f.coll || strings.HasSuffix(c, ".*") && strings.HasPrefix(f.coll, strings.TrimSuffix(c, "*")) {
			return true
		}
	}
	return false
}

func (j *jetstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	j.mu.Lock()
	req := request{at: time.Now(), path: r.URL.Path, query: q, ua: r.Header.Get("User-Agent")}
	idx := len(j.reqs)
	j.reqs = append(j.reqs, req)
	if len(j.fail) > 0 {
		f := j.fail[0]
		j.fail = j.fail[1:]
		j.mu.Unlock()
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, "try again later", f.status)
		return
	}
	frames := j.frames
	if j.avail >= 0 {
		frames = frames[:j.avail]
	}
	closeAfter, noPong, live := 0, j.noPong, j.live
	if j.accepted < len(j.closeAfter) {
		closeAfter = j.closeAfter[j.accepted]
	}
	j.accepted++
	j.mu.Unlock()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()

	ctx := r.Context()
	colls, dids := q["wantedCollections"], q["wantedDids"]
	if q.Get("requireHello") == "true" {
		_, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		j.mu.Lock()
		j.reqs[idx].hello = msg
		j.mu.Unlock()
		var m struct {
			Type    string `json:"type"`
			Payload struct {
				WantedCollections []string `json:"wantedCollections"`
				WantedDIDs        []string `json:"wantedDids"`
			} `json:"payload"`
		}
		if json.Unmarshal(msg, &m) != nil || m.Type != "options_update" {
			c.Close(websocket.StatusPolicyViolation, "bad options update")
			return
		}
		colls, dids = m.Payload.WantedCollections, m.Payload.WantedDIDs
	}
	if !noPong {
		ctx = c.CloseRead(ctx)
	}
	cursor, _ := strconv.ParseInt(q.Get("cursor"), 10, 64)
	sent := 0
	send := func(f frame) bool {
		if closeAfter > 0 && sent == closeAfter {
			c.CloseNow() // the server goes away mid-stream
			return false
		}
		sent++
		return c.Write(ctx, f.typ, f.raw) == nil
	}
	for _, f := range frames {
		if cursor > 0 && f.t < cursor || !wanted(f, colls, dids) {
			continue
		}
		if !send(f) {
			return
		}
	}
	if live != nil {
		for _, f := range live() {
			if !send(f) {
				return
			}
		}
	}
	select {
	case <-ctx.Done():
	case <-j.done:
	}
}

// settings are fast settings for the test server.
func settings(j *jetstream) netsrc.Settings {
	return netsrc.Settings{
		BaseURL: j.srv.URL, AllowPrivate: true, Interval: 10 * time.Millisecond,
		Timeout: 2 * time.Second, Retries: 3,
		Backoff: netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
	}
}

func newEnv(t *testing.T, c *sourcetest.Cursors, once bool) (ingest.Env, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var cursors ingest.Cursors
	if c != nil {
		cursors = c
	}
	return ingest.Env{Cursors: cursors, Health: ingest.NewHealth(reg), Once: once, Log: log,
		Getenv: func(string) string { return "" }}, reg
}

// testWriter sends the source's log to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newSource(t *testing.T, cfg Config, env ingest.Env) *Source {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "t"
	}
	if cfg.OnceIdle == 0 {
		cfg.OnceIdle = 150 * time.Millisecond
	}
	s, err := New(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// errCount is the source's vigil_ingest_errors_total of kind.
func errCount(t *testing.T, reg *prometheus.Registry, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, "t", kind)
}

func noErrors(t *testing.T, items []ingest.Item) {
	t.Helper()
	for _, it := range sourcetest.Errors(items) {
		t.Errorf("unexpected bad item %s: %v: %s", it.Origin, it.Err, it.Payload)
	}
}

func cursorOf(t *testing.T, c *sourcetest.Cursors) int64 {
	t.Helper()
	v, ok := c.All()["bluesky:t"]
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("cursor %q: %v", v, err)
	}
	return n
}

func TestPostsMapped(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	s := newSource(t, Config{Settings: settings(j), Handles: map[string]string{didA: "alice.example.com"}}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	// Identity, account, update and delete events, the like and the post
	// without text are skipped.
	sourcetest.Exactly(t, sourcetest.IDs(items), allPosts)

	raw := loadFrames(t, "events.jsonl")
	p := items[0].Post
	want := event.Post{
		Platform:  "bluesky",
		ID:        didA + ":3l3qo2vuowo2a",
		Author:    event.Author{ID: didA, Handle: "alice.example.com"},
		Text:      "Flood relief volunteers meet at the community hall tonight. Details: relief.example.org/meet",
		CreatedAt: time.Date(2024, 9, 9, 19, 46, 2, 102e6, time.UTC),
		URL:       "https://bsky.app/profile/" + didA + "/post/3l3qo2vuowo2a",
		Lang:      "en",
		Links:     []string{"https://relief.example.org/meet", "https://news.example.com/flood-story"},
		Raw:       raw[0].raw,
		RawSHA256: event.SHA256Hex(raw[0].raw),
	}
	if got, _ := json.Marshal(p); !bytes.Equal(got, mustJSON(t, want)) {
		t.Errorf("post\n got %s\nwant %s", got, mustJSON(t, want))
	}
	if !bytes.Equal(p.Raw, raw[0].raw) {
		t.Error("Raw is not the frame's bytes")
	}
	if !p.CreatedAt.Equal(want.CreatedAt) || p.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at %v", p.CreatedAt)
	}

	// The Burmese post: a created_at with an offset, a link card under
	// recordWithMedia, no handle known.
	b := items[1].Post
	if b.Text != "ရန်ကုန်တွင် ရေကြီးမှု သတင်း" || b.Lang != "my" || b.Author.Handle != "" ||
		!b.CreatedAt.Equal(time.Date(2024, 9, 9, 13, 16, 3, 0, time.UTC)) ||
		len(b.Links) != 1 || b.Links[0] != "https://news.example.org/yangon" || !bytes.Equal(b.Raw, raw[3].raw) {
		t.Errorf("Burmese post: %+v", b)
	}
	if c := items[2].Post; c.Lang != "" || len(c.Links) != 0 {
		t.Errorf("post without langs or links: lang %q links %v", c.Lang, c.Links)
	}
	for _, it := range items {
		if err := it.Post.Validate(event.Limits{}, time.Now()); err != nil {
			t.Errorf("%s: %v", it.Post.ID, err)
		}
		if !strings.HasPrefix(it.Origin, "bluesky:t:time_us=") {
			t.Errorf("origin %q", it.Origin)
		}
	}
	// Everything was acknowledged: the cursor is the last event read, the
	// account event after the last post.
	if c := cursorOf(t, env.Cursors.(*sourcetest.Cursors)); c != us(12) {
		t.Errorf("cursor %d, want %d", c, us(12))
	}
	if h := sourcetest.Failures(env, "t"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Errorf("health %+v", h)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQueryParamsAndFilters(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	set := settings(j)
	set.UserAgent = "vigil-test/1"
	s := newSource(t, Config{Settings: set,
		Collections: []string{"app.bsky.feed.post", "app.bsky.graph.*"},
		DIDs:        []string{didA, didC},
	}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{didA + ":3l3qo2vuowo2a", didC + ":3l3qo2vuowo2f"})

	reqs := j.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	q := r.query
	if r.path != "/subscribe" || r.ua != "vigil-test/1" ||
		strings.Join(q["wantedCollections"], ",") != "app.bsky.feed.post,app.bsky.graph.*" ||
		strings.Join(q["wantedDids"], ",") != didA+","+didC ||
		q.Has("cursor") || q.Has("compress") || q.Has("requireHello") {
		t.Errorf("request %s %v (User-Agent %q)", r.path, q, r.ua)
	}

	// The default: posts only, every account.
	env2, _ := newEnv(t, &sourcetest.Cursors{}, true)
	s2 := newSource(t, Config{Settings: settings(j)}, env2)
	if _, err := sourcetest.Run(t, s2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	q = j.requests()[1].query
	if strings.Join(q["wantedCollections"], ",") != "app.bsky.feed.post" || q.Has("wantedDids") {
		t.Errorf("default query %v", q)
	}
}

func TestManyDIDsGoInAnOptionsUpdate(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	dids := []string{didB}
	for i := range 150 {
		dids = append(dids, "did:plc:other"+strconv.Itoa(100000+i))
	}
	s := newSource(t, Config{Settings: settings(j), DIDs: dids}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{didB + ":3l3qo2vuowo2c"})
	r := j.requests()[0]
	if r.query.Get("requireHello") != "true" || r.query.Has("wantedDids") {
		t.Errorf("query %v", r.query)
	}
	var hello struct {
		Type    string `json:"type"`
		Payload struct {
			WantedCollections []string `json:"wantedCollections"`
			WantedDIDs        []string `json:"wantedDids"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(r.hello, &hello); err != nil {
		t.Fatalf("hello %s: %v", r.hello, err)
	}
	if hello.Type != "options_update" || len(hello.Payload.WantedDIDs) != 151 ||
		strings.Join(hello.Payload.WantedCollections, ",") != "app.bsky.feed.post" {
		t.Errorf("hello %s", r.hello)
	}
}

func TestKeywordPreFilter(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	cur := &sourcetest.Cursors{}
	env, _ := newEnv(t, cur, true)
	s := newSource(t, Config{Settings: settings(j), Keywords: []string{"flood", " ရေကြီး "}}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{
		didA + ":3l3qo2vuowo2a", // "Flood relief…"
		didB + ":3l3qo2vuowo2c", // Burmese "ရေကြီးမှု"
		didE + ":3l3qo2vuowo2h", // "Flood waters…"
		didD + ":3l3qo2vuowo2i", // "…the FLOOD barrier…"
	})
	// The posts filtered out still move the cursor.
	if c := cursorOf(t, cur); c != us(12) {
		t.Errorf("cursor %d, want %d", c, us(12))
	}
}

func TestMalformedFramesAreBadItems(t *testing.T) {
	frames := loadFrames(t, "malformed.jsonl")
	long := `{"did":"` + didF + `","time_us":1725911162206000,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo3f","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:48:06.000Z","text":"` +
		strings.Repeat("long ", 1000) + `"}}}`
	after := textFrame([]byte(`{"did":"` + didF + `","time_us":1725911162207000,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo3g","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:48:07.000Z","text":"After the long one"}}}`))
	frames = append(frames,
		frame{raw: []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00}, typ: websocket.MessageBinary},
		textFrame([]byte(long)), after)
	j := newJetstream(t, frames)
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	s := newSource(t, Config{Settings: settings(j), MaxFrameBytes: 2048}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{didF + ":3l3qo2vuowo3e", didF + ":3l3qo2vuowo3g"})
	bad := sourcetest.Errors(items)
	want := []struct {
		payload []byte
		origin  string
		kind    string
	}{
		{frames[0].raw, "bluesky:t:after_time_us=0", event.KindMalformed},
		{frames[1].raw, "bluesky:t:after_time_us=0", event.KindMalformed},
		// frames[2] is a heartbeat: skipped
		{frames[3].raw, "bluesky:t:time_us=1725911162201000", event.KindInvalid},
		{frames[4].raw, "bluesky:t:time_us=1725911162202000", event.KindInvalid},
		{frames[5].raw, "bluesky:t:time_us=1725911162203000", event.KindMalformed},
		{frames[6].raw, "bluesky:t:time_us=1725911162204000", event.KindMalformed},
		{frames[8].raw, "bluesky:t:after_time_us=1725911162205000", event.KindMalformed},
		{[]byte(long)[:2048], "bluesky:t:after_time_us=1725911162205000", event.KindTooLarge},
	}
	if len(bad) != len(want) {
		for _, b := range bad {
			t.Logf("bad item %s: %v", b.Origin, b.Err)
		}
		t.Fatalf("%d bad items, want %d", len(bad), len(want))
	}
	for i, w := range want {
		b := bad[i]
		if !bytes.Equal(b.Payload, w.payload) || b.Origin != w.origin || event.KindOf(b.Err) != w.kind {
			t.Errorf("bad item %d: origin %q kind %q (%v), payload %.60q; want %q %q %.60q",
				i, b.Origin, event.KindOf(b.Err), b.Err, b.Payload, w.origin, w.kind, w.payload)
		}
	}
	if len(j.requests()) != 1 {
		t.Errorf("bad frames made the source reconnect: %d requests", len(j.requests()))
	}
}

func TestCursorSavedOnlyAfterAck(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	cur := &sourcetest.Cursors{}
	env, _ := newEnv(t, cur, false)
	s := newSource(t, Config{Settings: settings(j)}, env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	var items []ingest.Item
	for len(items) < len(allPosts) {
		select {
		case it := <-out:
			items = append(items, it)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d items", len(items))
		}
	}
	eventually := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for cursorOf(t, cur) != want {
			if time.Now().After(deadline) {
				t.Fatalf("cursor %d, want %d", cursorOf(t, cur), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// Many save intervals pass: nothing acknowledged, nothing saved.
	time.Sleep(60 * time.Millisecond)
	if c := cursorOf(t, cur); c != 0 {
		t.Fatalf("cursor %d saved before any acknowledgement", c)
	}
	items[0].Ack()
	eventually(us(1))
	// Not beyond the first post while the second awaits its ack, even
	// though the identity event after it was read.
	time.Sleep(60 * time.Millisecond)
	if c := cursorOf(t, cur); c != us(1) {
		t.Fatalf("cursor %d, want %d", c, us(1))
	}
	for _, it := range items[1:5] {
		it.Ack()
	}
	eventually(us(10))
	items[5].Ack()
	eventually(us(12)) // nothing pending: the trailing account event too
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h := sourcetest.Failures(env, "t"); h.LastSuccess.IsZero() {
		t.Errorf("no success recorded: %+v", h)
	}
}

func TestResumeAfterRestart(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	j.set(func(j *jetstream) { j.avail = 5 }) // up to the account event at us(5)
	cur := &sourcetest.Cursors{}
	var got []string
	run := func() {
		t.Helper()
		env, _ := newEnv(t, cur, true)
		items, err := sourcetest.Run(t, newSource(t, Config{Settings: settings(j)}, env), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		noErrors(t, items)
		got = append(got, sourcetest.IDs(items)...)
	}
	run()
	if len(got) != 2 || cursorOf(t, cur) != us(5) {
		t.Fatalf("first run: %v, cursor %d", got, cursorOf(t, cur))
	}
	j.set(func(j *jetstream) { j.avail = -1 })
	run()
	run() // nothing new
	sourcetest.Exactly(t, got, allPosts)
	reqs := j.requests()
	if len(reqs) != 3 || reqs[0].query.Has("cursor") ||
		reqs[1].query.Get("cursor") != strconv.FormatInt(us(5)+1, 10) ||
		reqs[2].query.Get("cursor") != strconv.FormatInt(us(12)+1, 10) {
		for _, r := range reqs {
			t.Logf("cursor %q", r.query.Get("cursor"))
		}
		t.Fatal("the runs did not resume from the saved cursor + 1µs")
	}
}

func TestReconnectResumesWithoutLossOrRepeat(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	// The first connection drops after the 9th frame: the post of D at
	// us(10), whose twin (E, same time_us) is not sent yet.
	j.set(func(j *jetstream) { j.closeAfter = []int{9} })
	env, reg := newEnv(t, &sourcetest.Cursors{}, false)
	s := newSource(t, Config{Settings: settings(j)}, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	items, err := sourcetest.Collect(ctx, s, len(allPosts))
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), allPosts)
	reqs := j.requests()
	if len(reqs) != 2 || reqs[1].query.Get("cursor") != strconv.FormatInt(us(10), 10) {
		t.Fatalf("%d connections, the second at cursor %q; want 2, %d", len(reqs), reqs[len(reqs)-1].query.Get("cursor"), us(10))
	}
	if n := errCount(t, reg, ingest.KindNetwork); n != 1 {
		t.Errorf("%v network failures recorded, want 1", n)
	}
}

func TestHandshake429Then503(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	j.set(func(j *jetstream) {
		j.fail = []failure{{http.StatusTooManyRequests, "0.3"}, {http.StatusServiceUnavailable, ""}}
	})
	env, reg := newEnv(t, &sourcetest.Cursors{}, true)
	s := newSource(t, Config{Settings: settings(j)}, env)
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), allPosts)
	reqs := j.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d handshakes, want 3", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 280*time.Millisecond {
		t.Errorf("retried %v after a 429 with Retry-After: 0.3", gap)
	}
	if errCount(t, reg, ingest.KindRateLimited) != 1 || errCount(t, reg, ingest.KindServer) != 1 {
		t.Errorf("failures recorded: rate_limited %v, server %v", errCount(t, reg, ingest.KindRateLimited), errCount(t, reg, ingest.KindServer))
	}
	if h := sourcetest.Failures(env, "t"); h.Failures != 0 || h.LastSuccess.IsZero() {
		t.Errorf("health after recovery %+v", h)
	}
}

func TestOnceGivesUpAfterRetries(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	j.set(func(j *jetstream) {
		for range 10 {
			j.fail = append(j.fail, failure{status: http.StatusBadGateway})
		}
	})
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	set := settings(j)
	set.Retries = 2
	items, err := sourcetest.Run(t, newSource(t, Config{Settings: set}, env), 10*time.Second)
	var e *netsrc.Error
	if !errors.As(err, &e) || e.Kind != ingest.KindServer || e.Status != http.StatusBadGateway || len(items) != 0 {
		t.Fatalf("err %v, %d items", err, len(items))
	}
	if n := len(j.requests()); n != 3 {
		t.Errorf("%d handshakes, want 3", n)
	}
	if h := sourcetest.Failures(env, "t"); h.Failures != 3 || h.LastKind != ingest.KindServer || h.LastSuccess.IsZero() == false {
		t.Errorf("health %+v", h)
	}
}

func TestOnceStopsWhenCaughtUp(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	j.set(func(j *jetstream) {
		j.live = func() []frame {
			return []frame{textFrame([]byte(`{"did":"` + didD + `","time_us":` + strconv.FormatInt(time.Now().UnixMicro(), 10) +
				`,"kind":"commit","commit":{"rev":"3l3qo2vutsw2b","operation":"create","collection":"app.bsky.feed.post","rkey":"3l3qo2vuowo2z","record":{"$type":"app.bsky.feed.post","createdAt":"2024-09-09T19:50:00.000Z","text":"Live now"}}}`))}
		}
	})
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	// The connection stays open and silent after the live event: only
	// reaching the round's start time ends the run before once_idle.
	s := newSource(t, Config{Settings: settings(j), OnceIdle: time.Minute}, env)
	start := time.Now()
	items, err := sourcetest.Run(t, s, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("once mode took %v", d)
	}
	sourcetest.Exactly(t, sourcetest.IDs(items), append(append([]string(nil), allPosts...), didD+":3l3qo2vuowo2z"))
}

func TestUnansweredPingReconnects(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	j.set(func(j *jetstream) { j.noPong = true })
	env, reg := newEnv(t, &sourcetest.Cursors{}, false)
	set := settings(j)
	set.Timeout = 100 * time.Millisecond
	s := newSource(t, Config{Settings: set, PingInterval: 20 * time.Millisecond}, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	var ids []string
	for len(j.requests()) < 2 {
		select {
		case it := <-out:
			ids = append(ids, it.Post.ID)
			it.Ack()
		case <-ctx.Done():
			t.Fatal("no reconnect after unanswered pings")
		case <-time.After(5 * time.Millisecond):
		}
	}
	// The second connection resumes after the last event read: nothing
	// more to send.
	deadline := time.After(300 * time.Millisecond)
collect:
	for {
		select {
		case it := <-out:
			ids = append(ids, it.Post.ID)
			it.Ack()
		case <-deadline:
			break collect
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, ids, allPosts)
	if errCount(t, reg, ingest.KindNetwork) < 1 {
		t.Error("no network failure recorded")
	}
}

func TestPrivateAddressRefused(t *testing.T) {
	j := newJetstream(t, loadFrames(t, "events.jsonl"))
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	set := settings(j)
	set.AllowPrivate = false
	_, err := sourcetest.Run(t, newSource(t, Config{Settings: set}, env), 10*time.Second)
	if netsrc.KindOf(err) != ingest.KindBlocked {
		t.Fatalf("err %v, want blocked", err)
	}
	if len(j.requests()) != 0 {
		t.Error("the server was reached")
	}
	if h := sourcetest.Failures(env, "t"); h.LastKind != ingest.KindBlocked || h.Failures != 1 {
		t.Errorf("health %+v", h)
	}
}

func TestNew(t *testing.T) {
	env, _ := newEnv(t, nil, true)
	s, err := New(Config{Name: "n"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.subscribeURL(0); got != "wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post" {
		t.Errorf("default URL %s", got)
	}
	if s.cfg.Interval != 5*time.Second || s.cfg.Concurrency != 1 || s.cfg.OnceIdle != 5*time.Second {
		t.Errorf("defaults %+v", s.cfg)
	}
	for base, want := range map[string]string{
		"http://js.example.org":            "ws://js.example.org/subscribe?cursor=7&wantedCollections=app.bsky.feed.post",
		"https://js.example.org/":          "wss://js.example.org/subscribe?cursor=7&wantedCollections=app.bsky.feed.post",
		"wss://js.example.org/subscribe":   "wss://js.example.org/subscribe?cursor=7&wantedCollections=app.bsky.feed.post",
		"ws://js.example.org/jetstream/":   "ws://js.example.org/jetstream/subscribe?cursor=7&wantedCollections=app.bsky.feed.post",
		"https://js.example.org/subscribe": "wss://js.example.org/subscribe?cursor=7&wantedCollections=app.bsky.feed.post",
	} {
		s, err := New(Config{Name: "n", Settings: netsrc.Settings{BaseURL: base}}, env)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.subscribeURL(7); got != want {
			t.Errorf("%s: %s, want %s", base, got, want)
		}
	}
	for name, cfg := range map[string]Config{
		"name is required":          {},
		"want an http(s) or ws(s)":  {Name: "n", Settings: netsrc.Settings{BaseURL: "ftp://js.example.org"}},
		`collection "not an nsid"`:  {Name: "n", Collections: []string{"not an nsid"}},
		`collection "app.bsky.fo*"`: {Name: "n", Collections: []string{"app.bsky.fo*"}},
		`did "alice.example.com"`:   {Name: "n", DIDs: []string{"alice.example.com"}},
		"empty keyword":             {Name: "n", Keywords: []string{"flood", "  "}},
		`key "alice" is not a DID`:  {Name: "n", Handles: map[string]string{"alice": "alice.example.com"}},
		"over Jetstream's limit of 100": {Name: "n", Collections: func() []string {
			var c []string
			for i := range 101 {
				c = append(c, "org.example.c"+strconv.Itoa(i))
			}
			return c
		}()},
	} {
		_, err := New(cfg, env)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%+v: error %v, want one saying %q", cfg, err, name)
		}
	}
}

func TestWSSWithHTTP2Server(t *testing.T) {
	j := newJetstreamTLS(t, loadFrames(t, "events.jsonl"))
	env, _ := newEnv(t, &sourcetest.Cursors{}, true)
	s := newSource(t, Config{Settings: settings(j)}, env) // https:// → wss://
	// Trust the test server's certificate, nothing else changed.
	s.client.HTTP().Transport.(*http.Transport).TLSClientConfig = j.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	items, err := sourcetest.Run(t, s, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	noErrors(t, items)
	sourcetest.Exactly(t, sourcetest.IDs(items), allPosts)
}

func TestQuietWatchListStaysHealthy(t *testing.T) {
	j := newJetstream(t, nil) // no event for these accounts
	env, _ := newEnv(t, &sourcetest.Cursors{}, false)
	s := newSource(t, Config{Settings: settings(j), DIDs: []string{didF}, PingInterval: 10 * time.Millisecond}, env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, make(chan ingest.Item)) }()
	for sourcetest.Failures(env, "t").LastSuccess.IsZero() {
		if ctx.Err() != nil {
			t.Fatal("answered pings recorded no success")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// The whole firehose is never quiet: there, silence is no success.
	env2, _ := newEnv(t, &sourcetest.Cursors{}, false)
	s2 := newSource(t, Config{Settings: settings(j), PingInterval: 10 * time.Millisecond}, env2)
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- s2.Run(ctx2, make(chan ingest.Item)) }()
	for len(j.requests()) < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // ten pings
	cancel2()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h := sourcetest.Failures(env2, "t"); !h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Errorf("health of a silent firehose %+v", h)
	}
}
