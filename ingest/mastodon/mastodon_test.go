package mastodon

// Collection tests against a fake instance (server_test.go) serving the
// fixtures of testdata/, written from
// https://docs.joinmastodon.org/entities/Status/,
// https://docs.joinmastodon.org/methods/timelines/,
// https://docs.joinmastodon.org/methods/accounts/ and
// https://docs.joinmastodon.org/api/rate-limits/.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

func TestPagingWithMinIDCursor(t *testing.T) {
	f := newInstance(t)
	tl := fixture(t, "timeline.json")
	f.add(tagPath, tl[:3]...) // statuses 1-3
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"#Vigil"}, Limit: 3}, env)

	// First round, no cursor: the newest page only.
	got1, bad, err := run(t, s)
	if err != nil || len(bad) > 0 {
		t.Fatalf("round 1: %v, bad %v", err, bad)
	}
	if !slices.Equal(got1, want(1, 3)) {
		t.Fatalf("round 1: %v, want %v oldest first", got1, want(1, 3))
	}
	key := "mastodon:watch:tag:vigil"
	if c := env.cursors.All()[key]; c != sid[3] {
		t.Fatalf("cursor %q = %q, want %s", key, c, sid[3])
	}
	if q := f.requests()[0].query; q.Get("min_id") != "" || q.Get("limit") != "3" {
		t.Fatalf("first request %v: want limit=3 and no min_id", q)
	}

	// Six newer statuses: min_id=<cursor>, then rel="prev" until an empty page.
	f.add(tagPath, tl[3:]...)
	before := len(f.requests())
	got2, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got2, want(4, 9)) {
		t.Fatalf("round 2: %v, want %v oldest first", got2, want(4, 9))
	}
	reqs := f.requests()[before:]
	var minIDs []string
	for _, r := range reqs {
		minIDs = append(minIDs, r.query.Get("min_id"))
	}
	if wantIDs := []string{sid[3], sid[6], sid[9]}; !slices.Equal(minIDs, wantIDs) {
		t.Fatalf("round 2 asked min_id %v, want %v (the cursor, then each rel=prev link)", minIDs, wantIDs)
	}
	if c := env.cursors.All()[key]; c != sid[9] {
		t.Fatalf("cursor = %q, want %s", c, sid[9])
	}

	// Nothing new: one request, nothing emitted.
	before = len(f.requests())
	got3, _, err := run(t, s)
	if err != nil || len(got3) != 0 || len(f.requests())-before != 1 {
		t.Fatalf("round 3: %v %v after %d requests", got3, err, len(f.requests())-before)
	}
	sourcetest.Exactly(t, slices.Concat(got1, got2, got3), want(1, 9))
}

func TestBackfillFollowsNext(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 3, BackfillPages: 2}, env)
	got, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want(4, 9)) {
		t.Fatalf("got %v, want %v oldest first", got, want(4, 9))
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[1].query.Get("max_id") != sid[7] {
		t.Fatalf("requests %v: want the newest page, then rel=next (max_id=%s)", reqs, sid[7])
	}
	if c := env.cursors.All()["mastodon:watch:tag:vigil"]; c != sid[9] {
		t.Fatalf("cursor %q, want the newest %s", c, sid[9])
	}
}

func TestMaxPagesLeavesTheRestForTheNextRound(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	env := newEnv(nil, nil)
	env.cursors.Set(context.Background(), "mastodon:watch:tag:vigil", sid[1])
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 2, MaxPages: 2}, env)
	var all []string
	for i, w := range [][]string{want(2, 5), want(6, 9), nil} {
		got, _, err := run(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, w) {
			t.Fatalf("round %d: %v, want %v", i+1, got, w)
		}
		all = append(all, got...)
	}
	sourcetest.Exactly(t, all, want(2, 9))
}

func TestResumeAfterRestart(t *testing.T) {
	f := newInstance(t)
	tl := fixture(t, "timeline.json")
	f.add(tagPath, tl[:5]...)
	cursors := &sourcetest.Cursors{}
	cfg := Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 40}
	a := newSource(t, cfg, newEnv(cursors, nil))
	got1, _, err := run(t, a)
	if err != nil || !slices.Equal(got1, want(1, 5)) {
		t.Fatalf("first process: %v %v", got1, err)
	}

	f.add(tagPath, tl[5:]...)
	before := len(f.requests())
	b := newSource(t, cfg, newEnv(cursors, nil)) // a restart: same cursors
	got2, _, err := run(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.requests()[before].query; q.Get("min_id") != sid[5] {
		t.Fatalf("the restarted source asked %v, want min_id=%s", q, sid[5])
	}
	if !slices.Equal(got2, want(6, 9)) {
		t.Fatalf("after the restart: %v, want only the newer %v", got2, want(6, 9))
	}
	sourcetest.Exactly(t, append(got1, got2...), want(1, 9))
}

func TestCursorSavedOnlyOnceAcked(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")[:3]...)
	cursors := &sourcetest.Cursors{}
	cfg := Config{Settings: settings(f), Hashtags: []string{"vigil"}}
	a := newSource(t, cfg, newEnv(cursors, nil))
	out := make(chan ingest.Item, 10)
	if err := a.Run(context.Background(), out); err != nil { // items sent, never acknowledged
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d items sent, want 3", len(out))
	}
	if c, ok := cursors.All()["mastodon:watch:tag:vigil"]; ok {
		t.Fatalf("cursor saved as %q before the items were durable", c)
	}
	// A restart reads them again.
	got, _, err := run(t, newSource(t, cfg, newEnv(cursors, nil)))
	if err != nil || !slices.Equal(got, want(1, 3)) {
		t.Fatalf("after a restart: %v %v, want %v again", got, err, want(1, 3))
	}
}

func TestRateLimited429HonoursReset(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n > 0 {
			return false
		}
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", isoIn(time.Second))
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"error":"Too many requests"}`))
		return true
	}
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}}, env)
	got, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, got, want(1, 9))
	reqs := f.requests()
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Fatalf("retried %v after the 429, want about 1s (X-RateLimit-Reset)", gap)
	}
	if n := errCount(t, env.reg, "watch", ingest.KindRateLimited); n != 1 {
		t.Fatalf("rate_limited errors recorded: %v, want 1", n)
	}
	if h := sourcetest.Failures(env.Env, "watch"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Fatalf("health after the round: %+v", h)
	}
}

func TestRemainingZeroPausesUntilReset(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 { // a good answer that spends the last request of the window
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", isoIn(time.Second))
		}
		return false
	}
	env := newEnv(nil, nil)
	env.cursors.Set(context.Background(), "mastodon:watch:tag:vigil", sid[2])
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 4}, env)
	got, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, got, want(3, 9))
	reqs := f.requests()
	if len(reqs) < 2 {
		t.Fatalf("%d requests, want the page's rel=prev followed", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond {
		t.Fatalf("next request %v after X-RateLimit-Remaining: 0, want a pause until the reset (~1s)", gap)
	}
	if n := errCount(t, env.reg, "watch", ingest.KindRateLimited); n != 0 {
		t.Fatalf("a pause is not a failure, yet %v were recorded", n)
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("<html>upstream down</html>"))
			return true
		}
		return false
	}
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}}, env)
	got, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, got, want(1, 9))
	if n := errCount(t, env.reg, "watch", ingest.KindServer); n != 1 {
		t.Fatalf("server errors recorded: %v, want 1", n)
	}
	if h := sourcetest.Failures(env.Env, "watch"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Fatalf("health: %+v", h)
	}
}

func TestMalformedBody(t *testing.T) {
	f := newInstance(t)
	tl := fixture(t, "timeline.json")
	f.add(tagPath, tl[:4]...)
	broken := func(bad func(n int) bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
			if bad == nil || !bad(n) {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"id": "117545828352000000", "content": `)) // cut short
			return true
		}
	}
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 2}, env)
	var all []string

	// A first round on a broken body fails, emits nothing and saves no cursor.
	broken(func(int) bool { return true })
	got, _, err := run(t, s)
	if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || len(got) != 0 {
		t.Fatalf("round on a broken body: %v (kind %q), %v", err, netsrc.KindOf(err), got)
	}
	if h := sourcetest.Failures(env.Env, "watch"); h.LastKind != ingest.KindMalformed || h.Failures != 1 {
		t.Fatalf("health: %+v, want one malformed failure", h)
	}
	if _, ok := env.cursors.All()["mastodon:watch:tag:vigil"]; ok {
		t.Fatal("a cursor was saved")
	}

	// Fixed: the newest page (statuses 3-4).
	broken(nil)
	got, _, err = run(t, s)
	if err != nil || !slices.Equal(got, want(3, 4)) {
		t.Fatalf("after the fix: %v %v", got, err)
	}
	all = append(all, got...)

	// Newer statuses; the second page breaks: the first is kept, the
	// cursor stops at its newest.
	f.add(tagPath, tl[4:]...)
	start := len(f.requests())
	broken(func(n int) bool { return n == start+1 })
	got, _, err = run(t, s)
	if err == nil || netsrc.KindOf(err) != ingest.KindMalformed || !slices.Equal(got, want(5, 6)) {
		t.Fatalf("broken second page: %v %v, want %v and a malformed error", got, err, want(5, 6))
	}
	all = append(all, got...)
	if c := env.cursors.All()["mastodon:watch:tag:vigil"]; c != sid[6] {
		t.Fatalf("cursor %s, want %s (the last page emitted)", c, sid[6])
	}
	broken(nil)
	got, _, err = run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, got...)
	sourcetest.Exactly(t, all, want(3, 9))
}

func TestEmptyPage(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath) // exists, no statuses
	env := newEnv(nil, nil)
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}}, env)
	got, bad, err := run(t, s)
	if err != nil || len(got)+len(bad) != 0 {
		t.Fatalf("empty timeline: %v %v %v", got, bad, err)
	}
	if _, ok := env.cursors.All()["mastodon:watch:tag:vigil"]; ok {
		t.Fatal("a cursor was saved for an empty timeline")
	}
	if h := sourcetest.Failures(env.Env, "watch"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Fatalf("an empty page is a success: %+v", h)
	}

	// With a cursor at the newest status: an empty page, the cursor kept.
	f.add(tagPath, fixture(t, "timeline.json")...)
	env.cursors.Set(context.Background(), "mastodon:watch:tag:vigil", sid[9])
	s = newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}}, env)
	got, _, err = run(t, s)
	if err != nil || len(got) != 0 || env.cursors.All()["mastodon:watch:tag:vigil"] != sid[9] {
		t.Fatalf("up to date: %v %v, cursor %q", got, err, env.cursors.All()["mastodon:watch:tag:vigil"])
	}
}

func TestTokenFromNamedEnvironmentVariable(t *testing.T) {
	const secret = "tok-s3cret-123"
	f := newInstance(t)
	f.accounts["alice"] = mustRead(t, "testdata/account.json")
	alice := "/api/v1/accounts/110000000000000001/statuses"
	f.add(alice, fixture(t, "timeline.json")[:4]...)
	f.add(tagPath, fixture(t, "timeline.json")...)
	cfg := Config{Settings: settings(f), Hashtags: []string{"vigil"}, Accounts: []string{"alice"}, Limit: 3,
		BackfillPages: 2, TokenEnv: "VIGIL_TEST_MASTODON_TOKEN"}

	s := newSource(t, cfg, newEnv(nil, map[string]string{"VIGIL_TEST_MASTODON_TOKEN": secret}))
	if _, _, err := run(t, s); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) < 4 {
		t.Fatalf("only %d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.auth != "Bearer "+secret {
			t.Fatalf("request %s %v sent Authorization %q, want the token as Bearer", r.path, r.query, r.auth)
		}
	}

	// Without token_env: no Authorization at all.
	f2 := newInstance(t)
	f2.add(tagPath, fixture(t, "timeline.json")...)
	cfg2 := Config{Settings: settings(f2), Hashtags: []string{"vigil"}}
	if _, _, err := run(t, newSource(t, cfg2, newEnv(nil, map[string]string{"VIGIL_TEST_MASTODON_TOKEN": secret}))); err != nil {
		t.Fatal(err)
	}
	for _, r := range f2.requests() {
		if r.auth != "" {
			t.Fatalf("Authorization %q sent without token_env", r.auth)
		}
	}

	// Named but unset: a clear error that names the variable.
	cfg2.TokenEnv = "VIGIL_TEST_MASTODON_TOKEN"
	_, err := New(Config{Name: "watch", Settings: cfg2.Settings, Hashtags: cfg2.Hashtags, TokenEnv: cfg2.TokenEnv}, newEnv(nil, nil).Env)
	if err == nil || !strings.Contains(err.Error(), "VIGIL_TEST_MASTODON_TOKEN") || !strings.Contains(err.Error(), "not set") {
		t.Fatalf("unset token variable: %v", err)
	}

	// A refused token: an auth failure whose message does not carry it.
	f3 := newInstance(t)
	f3.add(tagPath, fixture(t, "timeline.json")...)
	f3.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"The access token is invalid"}`))
		return true
	}
	cfg3 := cfg2
	cfg3.Settings = settings(f3)
	env3 := newEnv(nil, map[string]string{"VIGIL_TEST_MASTODON_TOKEN": secret})
	_, _, err = run(t, newSource(t, cfg3, env3))
	if err == nil || netsrc.KindOf(err) != ingest.KindAuth || strings.Contains(err.Error(), secret) {
		t.Fatalf("refused token: %v (kind %q)", err, netsrc.KindOf(err))
	}
	if h := sourcetest.Failures(env3.Env, "watch"); strings.Contains(h.LastError, secret) {
		t.Fatalf("the token reached the health record: %q", h.LastError)
	}
}

func TestAccountLookup(t *testing.T) {
	f := newInstance(t)
	f.accounts["alice"] = mustRead(t, "testdata/account.json")
	tl := fixture(t, "timeline.json")
	alicePath := "/api/v1/accounts/110000000000000001/statuses"
	f.add(alicePath, tl[0], tl[3]) // statuses 1 and 4 are alice's
	f.add(tagPath, tl[4:]...)      // statuses 5-9
	env := newEnv(nil, nil)
	cfg := Config{Settings: settings(f), Accounts: []string{"@Alice", "ghost@other.example"}, Hashtags: []string{"vigil"},
		IncludeReblogs: new(false)}
	s := newSource(t, cfg, env)

	got, _, err := run(t, s)
	// The unknown account fails the round without stopping the others.
	if err == nil || !strings.Contains(err.Error(), "account:ghost@other.example") || netsrc.KindOf(err) != ingest.KindClient {
		t.Fatalf("unknown account: %v (kind %q)", err, netsrc.KindOf(err))
	}
	// Status 5 (a boost) is left out: include_reblogs false.
	wantFirst := []string{postIDs[1], postIDs[4], postIDs[7], postIDs[8], postIDs[9]}
	sourcetest.Exactly(t, got, wantFirst)
	if c := env.cursors.All()["mastodon:watch:account:alice"]; c != sid[4] {
		t.Fatalf("account cursor %q, want %s", c, sid[4])
	}
	lookups := func() (alice, ghost int) {
		for _, r := range f.requests() {
			if r.path == "/api/v1/accounts/lookup" {
				switch r.query.Get("acct") {
				case "alice":
					alice++
				case "ghost@other.example":
					ghost++
				}
			}
			if r.path == alicePath && r.query.Get("exclude_reblogs") != "true" {
				t.Errorf("account statuses asked without exclude_reblogs=true: %v", r.query)
			}
		}
		return
	}
	if a, g := lookups(); a != 1 || g != 1 {
		t.Fatalf("lookups alice %d ghost %d, want 1 each", a, g)
	}

	f.add(alicePath, tl[7]) // status 8, alice's
	got2, _, _ := run(t, s)
	if !slices.Equal(got2, []string{postIDs[8]}) {
		t.Fatalf("round 2: %v", got2)
	}
	if a, g := lookups(); a != 1 || g != 2 {
		t.Fatalf("alice looked up %d times (want once, cached), ghost %d (want retried: 2)", a, g)
	}
}

func TestLinkToAnotherHostRefused(t *testing.T) {
	f := newInstance(t)
	f.add(tagPath, fixture(t, "timeline.json")...)
	f.linkBase = "http://elsewhere.example"
	env := newEnv(nil, map[string]string{"T": "secret-token"})
	env.cursors.Set(context.Background(), "mastodon:watch:tag:vigil", sid[2])
	s := newSource(t, Config{Settings: settings(f), Hashtags: []string{"vigil"}, Limit: 3, TokenEnv: "T"}, env)
	got, _, err := run(t, s)
	if err == nil || netsrc.KindOf(err) != ingest.KindBlocked || !strings.Contains(err.Error(), "elsewhere.example") {
		t.Fatalf("Link to another host: %v (kind %q)", err, netsrc.KindOf(err))
	}
	// The page read is kept; the link is not followed.
	if !slices.Equal(got, want(3, 5)) || len(f.requests()) != 1 {
		t.Fatalf("got %v after %d requests, want %v after 1", got, len(f.requests()), want(3, 5))
	}
	if h := sourcetest.Failures(env.Env, "watch"); h.LastKind != ingest.KindBlocked {
		t.Fatalf("health: %+v", h)
	}
}

func TestConcurrentTargets(t *testing.T) {
	f := newInstance(t)
	tl := fixture(t, "timeline.json")
	f.add(tagPath, tl[:5]...)
	f.add("/api/v1/timelines/tag/မြန်မာ", tl[5:]...) // the server sees the path decoded
	f.add("/api/v1/timelines/public", tl...)
	env := newEnv(nil, nil)
	set := settings(f)
	set.Concurrency = 3
	s := newSource(t, Config{Settings: set, Hashtags: []string{"vigil", "မြန်မာ"}, Public: Public{Enabled: true}, LocalOnly: true}, env)
	got, _, err := run(t, s)
	if err != nil {
		t.Fatal(err)
	}
	// The public timeline repeats every post: the Ingester deduplicates
	// across targets; each target emits each post once.
	slices.Sort(got)
	w := slices.Concat(want(1, 9), want(1, 9))
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Fatalf("got %v, want %v", got, w)
	}
	for _, r := range f.requests() {
		if r.path == "/api/v1/timelines/public" && r.query.Get("local") != "true" {
			t.Fatalf("public timeline asked without local=true: %v", r.query)
		}
	}
	cs := env.cursors.All()
	for _, k := range []string{"mastodon:watch:tag:vigil", "mastodon:watch:tag:မြန်မာ", "mastodon:watch:public"} {
		if cs[k] == "" {
			t.Fatalf("no cursor %s: %v", k, cs)
		}
	}
}

func TestEachTargetFailureRecordedOnce(t *testing.T) {
	f := newInstance(t)
	tl := fixture(t, "timeline.json")
	f.add("/api/v1/timelines/tag/b", tl...)
	f.add("/api/v1/timelines/public", tl...)
	f.add(tagPath, tl...)
	f.fail = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/v1/timelines/tag/b" && r.URL.Path != "/api/v1/timelines/public" {
			return false
		}
		w.Write([]byte(`{"error":"not an array"}`))
		return true
	}
	for _, tc := range []struct {
		name              string
		tags              []string
		client, malformed float64
		kind              string
		posts             int
	}{
		// "a" is unknown (404, a client error the client records).
		{"client and own errors", []string{"a", "b", "vigil"}, 1, 2, ingest.KindClient, len(want(1, 9))},
		{"own errors only", []string{"b"}, 0, 2, ingest.KindMalformed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(nil, nil)
			set := settings(f)
			set.Concurrency = 2
			s := newSource(t, Config{Settings: set, Hashtags: tc.tags, Public: Public{Enabled: true}}, env)
			got, _, err := run(t, s)
			if err == nil || netsrc.KindOf(err) != tc.kind {
				t.Fatalf("err %v (kind %q), want kind %q", err, netsrc.KindOf(err), tc.kind)
			}
			if c, m := errCount(t, env.reg, "watch", ingest.KindClient), errCount(t, env.reg, "watch", ingest.KindMalformed); c != tc.client || m != tc.malformed {
				t.Fatalf("recorded client %v malformed %v, want %v %v: each failure once", c, m, tc.client, tc.malformed)
			}
			if len(got) != tc.posts {
				t.Fatalf("%d posts, want %d: a failing target does not stop the others", len(got), tc.posts)
			}
			if !strings.Contains(err.Error(), "public") {
				t.Fatalf("error %q does not name the failing target", err)
			}
		})
	}
}
