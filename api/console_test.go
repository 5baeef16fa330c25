package api_test

import (
	"bufio"
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// The review console, checked over HTTP with a cookie jar as a browser
// keeps cookies. The console's routes are HTML, outside the OpenAPI
// document, so these tests use their own client rather than fixture.do.

// memCounts is an in-memory event.QueueCounter whose counts a test sets.
type memCounts struct {
	mu    sync.Mutex
	c     event.QueueCounts
	calls int
}

func (m *memCounts) QueueCounts(context.Context) (event.QueueCounts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	c := m.c
	c.At = time.Now()
	return c, nil
}

func (m *memCounts) set(pending int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.c.Pending = pending
}

// The text of the flags the monitor holds: Burmese with a zero-width
// space inside the matched word, and an English one.
const (
	burmeseText = "ဒီကုလား\u200bတွေကို မောင်းထုတ်ကြ"
	englishText = "Synthetic post: drive them out of the village"
)

// consoleEnv is a server with every service the console uses, in memory,
// and a store token per role.
type consoleEnv struct {
	f          *fixture
	review     *memReview
	cases      *memCases
	takedowns  *memTakedowns
	evidence   *memEvidence
	counts     *memCounts
	secrets    map[string]string
	pseudonyms map[string]string
}

func consoleFixture(tb testing.TB, edit ...func(*api.Deps)) *consoleEnv {
	tb.Helper()
	packs, _ := testPackSettings(tb)
	e := &consoleEnv{review: &memReview{}, cases: newMemCases(), takedowns: newMemTakedowns(), evidence: newMemEvidence(),
		counts: &memCounts{}, secrets: map[string]string{}, pseudonyms: map[string]string{}}
	tokens := newMemTokens()
	for _, role := range event.Roles {
		// The label is a real name: it must never reach a page.
		tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: role, Label: "Reviewer Real Name"})
		e.secrets[role], e.pseudonyms[role] = secret, tok.Pseudonym
	}
	monitor := e.pseudonyms[event.RoleMonitor]
	e.counts.c = event.QueueCounts{Pending: 10000, Claimed: 3, Escalated: 4, ClaimedBy: map[string]int{monitor: 2, "someone-else": 1},
		OldestPending: time.Now().Add(-3 * time.Hour)}
	for id := int64(1); id <= 3; id++ {
		e.review.flags = append(e.review.flags, event.Flag{ID: 20 + id, Platform: "x", PostID: "p" + strconv.FormatInt(20+id, 10),
			AuthorID: "44", Score: 3, Categories: []string{"hate"}, Status: event.StatusPending, CreatedAt: leaseEnd.Add(-time.Hour)})
	}
	e.f = newFixture(tb, append([]func(*api.Deps){func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, "")
		d.Review = e.review
		d.Cases, d.Accounts = e.cases, e.cases
		d.Takedowns = e.takedowns
		d.Evidence = e.evidence
		d.Packs = packs
		d.Queue = e.counts
		d.Normalize = func(text string) (string, []string) {
			return strings.ReplaceAll(text, "\u200b", ""), []string{"invisible"}
		}
	}}, edit...)...)
	// The monitor holds flags 10 and 11; flag 12 is someone else's.
	e.f.store.edit(func(m *memStore) {
		var claimed []event.Flag
		for _, c := range []struct {
			id   int64
			by   string
			text string
			term string
		}{{12, "someone-else", englishText, "drive them out"}, {11, monitor, englishText, "drive them out"}, {10, monitor, burmeseText, "ကုလား"}} {
			post := "p" + strconv.FormatInt(c.id, 10)
			start := strings.Index(c.text, c.term)
			fl := event.Flag{ID: c.id, Platform: "x", PostID: post, AuthorID: "44", Handle: "someone", Score: float64(c.id - 6),
				Categories: []string{"dehumanisation"}, Matches: []event.Match{{TermID: "t" + strconv.FormatInt(c.id, 10), Category: "dehumanisation",
					Start: start, End: start + len(c.term), Transforms: []string{"invisible"}}},
				Status: event.StatusClaimed, ClaimedBy: c.by, LeaseExpiresAt: time.Now().Add(9 * time.Minute),
				CreatedAt: leaseEnd.Add(-time.Duration(c.id) * time.Hour), PostCreatedAt: leaseEnd.Add(-time.Duration(c.id) * 24 * time.Hour)}
			if c.id == 10 {
				// The post names a township of Sagaing and journalists.
				fl.Groups, fl.Regions, fl.Places = []string{"journalists"}, []string{"sagaing"}, []string{"monywa"}
			}
			claimed = append(claimed, fl)
			p := event.Post{Platform: "x", ID: post, Author: event.Author{ID: "44", Handle: "someone"}, Text: c.text,
				URL: "https://x.example/someone/status/" + post, CreatedAt: fl.PostCreatedAt, CapturedAt: fl.PostCreatedAt}
			m.posts["x/"+post] = &event.StoredPost{Post: p, FlagID: c.id, StoredAt: fl.CreatedAt,
				Verdict: &event.Verdict{Post: p, Flagged: true, Score: fl.Score, Categories: fl.Categories, Matches: fl.Matches,
					Groups: fl.Groups, Regions: fl.Regions, Places: fl.Places,
					Lists: []event.ListHit{{List: "military-proxies", Note: "synthetic list"}}, Lexicon: "example@2026-11-26", Pipeline: "test"}}
		}
		m.flags = append(claimed, m.flags...)
	})
	return e
}

// consoleClient is one browser: a cookie jar, redirects not followed.
type consoleClient struct {
	e    *consoleEnv
	c    *http.Client
	csrf string
}

func (e *consoleEnv) client(tb testing.TB) *consoleClient {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	c := *e.f.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &consoleClient{e: e, c: &c}
}

var (
	csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	csrfMeta  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)
)

// signIn signs the client in as role, through the sign-in form.
func (e *consoleEnv) signIn(tb testing.TB, role string) *consoleClient {
	tb.Helper()
	c := e.client(tb)
	resp := c.submit(tb, "/signin", url.Values{"token": {e.secrets[role]}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("sign in as %s: status %d", role, resp.StatusCode)
	}
	_, body := c.get(tb, "/")
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("signed in as %s, the page has no CSRF token:\n%s", role, body)
	}
	c.csrf = m[1]
	return c
}

// submit posts the sign-in form as a browser would: it opens the page
// for its hidden field first.
func (c *consoleClient) submit(tb testing.TB, path string, form url.Values, next string) *http.Response {
	tb.Helper()
	_, page := c.get(tb, "/signin")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		tb.Fatalf("the sign-in page has no csrf field:\n%s", page)
	}
	form.Set("csrf", m[1])
	if next != "" {
		form.Set("next", next)
	}
	resp, _ := c.post(tb, path, form, nil)
	return resp
}

func (c *consoleClient) do(tb testing.TB, req *http.Request) (*http.Response, string) {
	tb.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(b)
}

func (c *consoleClient) get(tb testing.TB, path string) (*http.Response, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.f.srv.URL+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return c.do(tb, req)
}

// post sends form (with the client's CSRF token unless the form has a
// csrf field already) and the given headers.
func (c *consoleClient) post(tb testing.TB, path string, form url.Values, header map[string]string) (*http.Response, string) {
	tb.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && c.csrf != "" {
		form.Set("csrf", c.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, c.e.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.e.f.srv.URL)
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	return c.do(tb, req)
}

// page gets a console page, checks its status and headers, and checks
// that it links only to this server.
func (c *consoleClient) page(tb testing.TB, path string, want int) string {
	tb.Helper()
	resp, body := c.get(tb, path)
	if resp.StatusCode != want {
		tb.Fatalf("GET %s: status %d, want %d:\n%s", path, resp.StatusCode, want, body)
	}
	checkConsoleHeaders(tb, path, resp)
	checkLocalLinks(tb, path, body, c.e.f.srv.URL)
	if strings.Contains(body, "Reviewer Real Name") {
		tb.Errorf("GET %s: the page shows a token's label (a real name)", path)
	}
	for _, secret := range c.e.secrets {
		if strings.Contains(body, secret) {
			tb.Errorf("GET %s: the page shows a token", path)
		}
	}
	return body
}

func checkConsoleHeaders(tb testing.TB, path string, resp *http.Response) {
	tb.Helper()
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-store",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	}
	for h, v := range want {
		if got := resp.Header.Get(h); got != v {
			tb.Errorf("GET %s: %s = %q, want %q", path, h, got, v)
		}
	}
}

var linkAttr = regexp.MustCompile(`\s(src|href|action|formaction|data-live)="([^"]*)"`)

// checkLocalLinks fails when a page refers to anything but this server:
// every src, href, action and formaction is relative or same-origin.
func checkLocalLinks(tb testing.TB, path, body, origin string) {
	tb.Helper()
	for _, m := range linkAttr.FindAllStringSubmatch(body, -1) {
		v := html.UnescapeString(m[2])
		u, err := url.Parse(v)
		if err != nil {
			tb.Errorf("GET %s: %s=%q does not parse: %v", path, m[1], v, err)
			continue
		}
		// A data: URL (the empty favicon) asks no server for anything.
		if (u.Scheme != "" || u.Host != "") && u.Scheme != "data" && !strings.HasPrefix(v, origin+"/") {
			tb.Errorf("GET %s: %s=%q leaves this server", path, m[1], v)
		}
	}
	if strings.Contains(body, " style=") || regexp.MustCompile(`<script>|<style>`).MatchString(body) {
		tb.Errorf("GET %s: inline script or style, which the CSP refuses", path)
	}
	if strings.Count(body, "<h1") != 1 {
		tb.Errorf("GET %s: %d h1 elements, want 1", path, strings.Count(body, "<h1"))
	}
}

func TestConsoleSignIn(t *testing.T) {
	e := consoleFixture(t)
	c := e.client(t)

	// The landing page is the sign-in page, with what the index said.
	page := c.page(t, "/", http.StatusOK)
	for _, want := range []string{`href="/api/v1/openapi.yaml"`, `href="/metrics"`, `href="/healthz"`, `href="/readyz"`,
		"v0.0.0-test", `<label for="token">API token</label>`, `<html lang="en">`, `class="skip" href="#main"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}

	// A wrong token: the form again, 401, no session.
	resp := c.submit(t, "/signin", url.Values{"token": {"vigil_wrong"}}, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: status %d, want 401", resp.StatusCode)
	}
	if got := c.c.Jar.Cookies(mustURL(t, e.f.srv.URL)); slices.ContainsFunc(got, func(c *http.Cookie) bool { return c.Name == "vigil_session" }) {
		t.Fatal("a wrong token got a session cookie")
	}
	// A form without the sign-in page's value: refused.
	if resp, _ := c.post(t, "/signin", url.Values{"token": {e.secrets[event.RoleMonitor]}, "csrf": {"forged"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with a forged form value: status %d, want 403", resp.StatusCode)
	}

	// The right token: a session cookie with every attribute, and the
	// role's page, or the page asked for.
	resp = c.submit(t, "/signin", url.Values{"token": {e.secrets[event.RoleMonitor]}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		t.Fatalf("sign in: status %d to %q, want 303 to /queue", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "vigil_session" {
			session = ck
		}
	}
	switch {
	case session == nil:
		t.Fatal("no vigil_session cookie")
	case !session.HttpOnly, session.SameSite != http.SameSiteStrictMode, session.Path != "/", session.MaxAge != 12*3600, session.Secure:
		t.Errorf("vigil_session: HttpOnly %v SameSite %v Path %q MaxAge %d Secure %v; want HttpOnly, Strict, /, 43200 and not Secure over plain HTTP",
			session.HttpOnly, session.SameSite, session.Path, session.MaxAge, session.Secure)
	}
	if resp := e.client(t).submit(t, "/signin", url.Values{"token": {e.secrets[event.RoleAdvocate]}}, "/cases/1"); resp.Header.Get("Location") != "/cases/1" {
		t.Errorf("sign in with next=/cases/1: to %q", resp.Header.Get("Location"))
	}
	if resp := e.client(t).submit(t, "/signin", url.Values{"token": {e.secrets[event.RoleAdvocate]}}, "//evil.example/"); resp.Header.Get("Location") != "/cases" {
		t.Errorf("sign in with next=//evil.example/: to %q, want the role's page", resp.Header.Get("Location"))
	}

	// Over TLS the cookie is Secure.
	form := url.Values{"token": {e.secrets[event.RoleViewer]}, "csrf": {"n0nce"}}
	req := httptest.NewRequest(http.MethodPost, "https://vigil.example/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "vigil_signin", Value: "n0nce"})
	rec := httptest.NewRecorder()
	e.f.api.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Set-Cookie"), "Secure") {
		t.Errorf("sign in over TLS: status %d, Set-Cookie %q; want 303 and a Secure cookie", rec.Code, rec.Header().Get("Set-Cookie"))
	}

	// Signed in, the landing page says who; signing out clears the
	// cookie, and the console asks for a sign-in again.
	c.csrf = csrfMeta.FindStringSubmatch(c.page(t, "/", http.StatusOK))[1]
	if page := c.page(t, "/", http.StatusOK); !strings.Contains(page, e.pseudonyms[event.RoleMonitor]) {
		t.Error("the signed-in landing page does not name the pseudonym")
	}
	if resp, _ := c.post(t, "/signout", url.Values{"csrf": {"wrong"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign out with a wrong CSRF token: %d, want 403", resp.StatusCode)
	}
	resp, _ = c.post(t, "/signout", nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: status %d", resp.StatusCode)
	}
	resp, _ = c.get(t, "/queue?sort=age")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/signin?next="+url.QueryEscape("/queue?sort=age") {
		t.Errorf("the queue after signing out: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func mustURL(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// TestConsoleCSRF: a POST needs the session's CSRF token, in the form or
// the header, and must not come from another site.
func TestConsoleCSRF(t *testing.T) {
	e := consoleFixture(t)
	c := e.signIn(t, event.RoleMonitor)
	tests := []struct {
		name   string
		csrf   string
		header map[string]string
		want   int
	}{
		{"missing", "", nil, http.StatusForbidden},
		{"wrong", "AAAA" + c.csrf[4:], nil, http.StatusForbidden},
		{"cross-site Origin", c.csrf, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"null Origin", c.csrf, map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site fetch", c.csrf, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"header instead of field", "-", map[string]string{"X-CSRF-Token": c.csrf}, http.StatusSeeOther},
		{"no Origin (an older browser)", c.csrf, map[string]string{"Origin": ""}, http.StatusSeeOther},
		{"right", c.csrf, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"limit": {"2"}, "csrf": {tt.csrf}}
			if tt.csrf == "-" {
				form.Del("csrf")
				form.Set("csrf", "")
			}
			before := len(e.review.claims)
			resp, body := c.post(t, "/queue/claim", form, tt.header)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tt.want, body)
			}
			claimed := len(e.review.claims) > before
			if claimed != (tt.want == http.StatusSeeOther) {
				t.Errorf("claimed = %v", claimed)
			}
			if tt.want == http.StatusForbidden && !strings.Contains(body, "refused") {
				t.Errorf("the 403 page does not say it was refused:\n%s", body)
			}
		})
	}
}

// TestConsoleRoles: every console POST re-checks the role on the server,
// whatever the page showed; a POST without a session is 401.
func TestConsoleRoles(t *testing.T) {
	e := consoleFixture(t)
	clients := map[string]*consoleClient{}
	for _, role := range event.Roles {
		clients[role] = e.signIn(t, role)
	}
	path := strings.NewReplacer("{platform}", "x", "{id}", "1", "{name}", "x")
	n := 0
	for _, rt := range api.ConsoleRoutes(e.f.api) {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		if method != http.MethodPost || rt.Role == "" {
			continue
		}
		n++
		p := path.Replace(pattern)
		for _, role := range event.Roles {
			allowed := api.Principal{Role: role}.Allows(rt.Role)
			resp, body := clients[role].post(t, p, url.Values{}, nil)
			if allowed && resp.StatusCode == http.StatusForbidden {
				t.Errorf("%s as %s: 403, but the role may:\n%s", rt.Pattern, role, body)
			}
			if !allowed && resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s as %s: status %d, want 403", rt.Pattern, role, resp.StatusCode)
			}
		}
		if resp, _ := e.client(t).post(t, p, url.Values{"csrf": {"x"}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without a session: status %d, want 401", rt.Pattern, resp.StatusCode)
		}
	}
	if n < 10 {
		t.Fatalf("only %d console POST routes checked", n)
	}
	// The pages a role may not read are refused too.
	if resp, _ := clients[event.RoleAdvocate].get(t, "/queue"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /queue as advocate: %d, want 403", resp.StatusCode)
	}
	// A monitor sees no export form, and posting it anyway is refused
	// without a pack being made.
	page := clients[event.RoleMonitor].page(t, "/accounts/x/44", http.StatusOK)
	if strings.Contains(page, "/pack") || strings.Contains(page, "Export evidence pack") {
		t.Error("a monitor's account page shows the export form")
	}
	before := len(e.evidence.packs)
	resp, _ := clients[event.RoleMonitor].post(t, "/accounts/x/44/pack", url.Values{"profile": {"x"}}, nil)
	if resp.StatusCode != http.StatusForbidden || len(e.evidence.packs) != before {
		t.Errorf("a monitor posting the export form: status %d, %d new packs; want 403 and none", resp.StatusCode, len(e.evidence.packs)-before)
	}
}

// TestConsoleJSONAPIRefusesCookie: the session cookie is for the console
// only; the JSON API wants a bearer token.
func TestConsoleJSONAPIRefusesCookie(t *testing.T) {
	e := consoleFixture(t)
	c := e.signIn(t, event.RoleAdmin)
	for _, path := range []string{"/api/v1/flags", "/api/v1/accounts/x/44", "/api/v1/cases"} {
		resp, body := c.get(t, path)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with only the cookie: %d, want 401", path, resp.StatusCode)
		}
		checkError(t, []byte(body), event.EUNAUTHORIZED, "bearer token")
	}
}

func TestConsoleQueue(t *testing.T) {
	e := consoleFixture(t)
	c := e.signIn(t, event.RoleMonitor)
	page := c.page(t, "/queue", http.StatusOK)

	// Only the caller's claims, highest score first, each with its text
	// highlighted at the match's bytes; Burmese marked as such.
	i10, i11 := strings.Index(page, `id="flag-10"`), strings.Index(page, `id="flag-11"`)
	if i10 < 0 || i11 < 0 || strings.Contains(page, `id="flag-12"`) {
		t.Fatalf("the queue shows flags 10 %v, 11 %v, 12 %v; want the caller's two only", i10 >= 0, i11 >= 0, strings.Contains(page, `id="flag-12"`))
	}
	if i11 > i10 {
		t.Error("flag 11 (score 5) is not before flag 10 (score 4)")
	}
	for _, want := range []string{
		`<mark title="t11 dehumanisation">drive them out</mark>`,
		`lang="my" dir="auto">ဒီ<mark title="t10 dehumanisation">ကုလား</mark>` + "\u200b",
		`Pending 10000 · claimed 3 (yours 2) · escalated 4 · oldest pending 3 h`,
		`aria-live="polite" data-live="/events/queue"`,
		`data-countdown`,
		`action="/flags/10/decision"`, `name="flag" value="10" form="bulk"`, `formaction="/queue/release" name="flag" value="10"`,
		`<label for="note-10">Note</label>`, `<label for="tr-10">Translation</label>`,
		`href="/posts/x/p10"`, `href="/accounts/x/44"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the queue page lacks %s", want)
		}
	}
	if strings.Contains(page, "escalated (second review)") {
		t.Error("a monitor is offered the escalated queue")
	}
	// The regions and target groups the post names, as labelled chips,
	// on the flag whose post names them and no other.
	chips := `<ul class="chips" aria-label="Regions and target groups the post names">` +
		`<li class="chip chip-region"><span class="chip-kind">Region:</span> sagaing</li>` +
		`<li class="chip chip-group"><span class="chip-kind">Group:</span> journalists</li></ul>`
	if at := strings.Index(page, chips); at < i10 || strings.Count(page, `class="chips"`) != 1 {
		t.Errorf("the queue page shows the chips %d times, at %d; want once, in flag 10 (at %d)", strings.Count(page, `class="chips"`), at, i10)
	}
	if !strings.Contains(page, `<label for="c-region">Region`) {
		t.Error("the claim form has no region filter")
	}

	// Claim with filters: the queue gets them, the page keeps them.
	resp, _ := c.post(t, "/queue/claim", url.Values{"limit": {"2"}, "category": {"hate"}, "min_score": {"2.5"},
		"since": {"2026-11-01T08:00"}, "sort": {"age"}, "status": {"pending"}, "region": {"sagaing"}, "group": {"journalists"}}, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "done=claimed&n=2") ||
		!strings.Contains(loc, "category=hate") || !strings.Contains(loc, "region=sagaing") || !strings.Contains(loc, "group=journalists") {
		t.Fatalf("claim: %d to %q", resp.StatusCode, loc)
	}
	last := e.review.claims[len(e.review.claims)-1]
	wantFilter := event.QueueFilter{Category: "hate", Region: "sagaing", Group: "journalists", MinScore: 2.5, Since: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Status: "pending"}
	if last.reviewer != e.pseudonyms[event.RoleMonitor] || last.limit != 2 || last.sort != "age" || last.filter != wantFilter {
		t.Errorf("claim call %+v, want the monitor's pseudonym, 2, age and %+v", last, wantFilter)
	}
	if page := c.page(t, resp.Header.Get("Location"), http.StatusOK); !strings.Contains(page, "Claimed 2 flags.") ||
		!strings.Contains(page, `id="c-category" name="category" value="hate"`) || !strings.Contains(page, `id="c-region" name="region" value="sagaing"`) ||
		!strings.Contains(page, `id="c-group" name="group" value="journalists"`) {
		t.Error("after a claim the page neither says so nor keeps the filters")
	}
	for _, bad := range []url.Values{{"status": {"escalated"}}, {"limit": {"101"}}, {"sort": {"random"}}, {"since": {"yesterday"}}} {
		if resp, body := c.post(t, "/queue/claim", bad, nil); resp.StatusCode/100 != 4 || !strings.Contains(body, `class="problem"`) {
			t.Errorf("claim %v: status %d, want a 4xx page", bad, resp.StatusCode)
		}
	}

	// One decision, as a form: the queue again; as the script: JSON.
	resp, _ = c.post(t, "/flags/10/decision", url.Values{"decision": {"confirm"}, "note": {"clear case"}, "translation": {"these kalar"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue?done=decided&n=1" {
		t.Fatalf("decision: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	d := e.review.decisions[len(e.review.decisions)-1]
	if d != (event.DecisionRequest{FlagID: 10, Decision: "confirm", Note: "clear case", Translation: "these kalar", Reviewer: e.pseudonyms[event.RoleMonitor]}) {
		t.Errorf("decision %+v", d)
	}
	resp, body := c.post(t, "/flags/11/decision", url.Values{"decision": {"dismiss"}}, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"status":"dismissed"`) {
		t.Errorf("decision by script: %d %s", resp.StatusCode, body)
	}
	resp, body = c.post(t, "/flags/409/decision", url.Values{"decision": {"dismiss"}}, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("a refused decision by script: %d %s", resp.StatusCode, body)
	}
	checkError(t, []byte(body), event.ECONFLICT, "another monitor")
	if resp, body := c.post(t, "/flags/10/decision", url.Values{"decision": {"maybe"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "want confirm, dismiss or escalate") {
		t.Errorf("an unknown decision: %d", resp.StatusCode)
	}

	// Bulk: every selected flag, one refused; the page counts both.
	resp, _ = c.post(t, "/decisions", url.Values{"flag": {"10", "11", "409"}, "decision": {"escalate"}, "note": {"network"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue?done=decided&n=2&failed=1" {
		t.Fatalf("bulk: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if e.review.bulks != 1 {
		t.Errorf("bulks = %d, want 1", e.review.bulks)
	}
	if page := c.page(t, "/queue?done=decided&n=2&failed=1", http.StatusOK); !strings.Contains(page, "Decided 2 flags. 1 could not be decided") {
		t.Error("the queue does not say what the bulk did")
	}
	if resp, _ := c.post(t, "/decisions", url.Values{"decision": {"confirm"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bulk with nothing selected: %d, want 400", resp.StatusCode)
	}

	// Release.
	resp, _ = c.post(t, "/queue/release", url.Values{"flag": {"10", "409"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue?done=released&n=1" {
		t.Errorf("release: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// An unknown query parameter is refused, as the API refuses one.
	if resp, _ := c.get(t, "/queue?sorted=age"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("/queue?sorted=age: %d, want 400", resp.StatusCode)
	}

	// An admin may take the escalated queue.
	admin := e.signIn(t, event.RoleAdmin)
	if page := admin.page(t, "/queue", http.StatusOK); !strings.Contains(page, "escalated (second review)") {
		t.Error("an admin is not offered the escalated queue")
	}
	if resp, _ := admin.post(t, "/queue/claim", url.Values{"status": {"escalated"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an admin claiming escalated flags: %d", resp.StatusCode)
	}
}

// TestConsoleQueueWithoutCounts: a server without Deps.Queue says the
// counts are unavailable and serves no stream.
func TestConsoleQueueWithoutCounts(t *testing.T) {
	e := consoleFixture(t, func(d *api.Deps) { d.Queue = nil })
	c := e.signIn(t, event.RoleMonitor)
	page := c.page(t, "/queue", http.StatusOK)
	if !strings.Contains(page, "Live counts are unavailable on this server.") || strings.Contains(page, "data-live") {
		t.Error("the queue does not say the counts are unavailable")
	}
	// Without counts the page still finds the caller's claims.
	if !strings.Contains(page, `id="flag-10"`) {
		t.Error("the queue lost the caller's claims")
	}
	if resp, _ := c.get(t, "/events/queue"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/events/queue without counts: %d, want 503", resp.StatusCode)
	}
}

// TestConsoleQueueEvents: the stream sends the counts when it opens and
// again when they change.
func TestConsoleQueueEvents(t *testing.T) {
	e := consoleFixture(t)
	c := e.signIn(t, event.RoleMonitor)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.f.srv.URL+"/events/queue", nil)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := bufio.NewReader(resp.Body)
	next := func() (string, string) {
		t.Helper()
		var name, data string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("read the stream: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && name != "":
				return name, data
			case strings.HasPrefix(line, "event: "):
				name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				data = line[len("data: "):]
			}
		}
	}
	name, data := next()
	if name != "counts" || !strings.Contains(data, `"pending":10000`) || !strings.Contains(data, `"mine":2`) || !strings.Contains(data, `"oldest_pending_age_seconds":`) {
		t.Fatalf("first event %s %s", name, data)
	}
	e.counts.set(9999)
	start := time.Now()
	if name, data = next(); name != "counts" || !strings.Contains(data, `"pending":9999`) {
		t.Fatalf("second event %s %s", name, data)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the change took %v to arrive", d)
	}
}

func TestConsolePages(t *testing.T) {
	e := consoleFixture(t)
	advocate := e.signIn(t, event.RoleAdvocate)
	viewer := e.signIn(t, event.RoleViewer)

	// A post: the text, highlighted; invisible characters on demand; the
	// normalised text; why it was flagged; the account's other flags.
	page := viewer.page(t, "/posts/x/p10", http.StatusOK)
	for _, want := range []string{`<mark title="t10 dehumanisation">ကုလား</mark>`, "holds 1 invisible characters", "military-proxies: synthetic list",
		"<td>t10</td><td>dehumanisation</td>", "invisible</td>", `href="/posts/x/p11"`, "https://x.example/someone/status/p10", "<strong>claimed</strong>",
		`<li class="chip chip-region"><span class="chip-kind">Region:</span> sagaing</li>`,
		`<li class="chip chip-group"><span class="chip-kind">Group:</span> journalists</li>`, "Places named: monywa"} {
		if !strings.Contains(page, want) {
			t.Errorf("the post page lacks %s", want)
		}
	}
	if page := viewer.page(t, "/posts/x/p11", http.StatusOK); strings.Contains(page, `class="chips"`) || strings.Contains(page, "Places named") {
		t.Error("the page of a post that names no region or group shows chips")
	}
	page = viewer.page(t, "/posts/x/p10?view=invisible", http.StatusOK)
	if !strings.Contains(page, `ကုလား</mark><span class="invisible">⟨ZWSP⟩</span>တွေ`) {
		t.Error("the invisible view does not show the zero-width space")
	}
	page = viewer.page(t, "/posts/x/p10?view=normalized", http.StatusOK)
	if !strings.Contains(page, "ဒီကုလားတွေကို") || !strings.Contains(page, "Transformations applied: invisible.") {
		t.Error("the normalised view lacks the normalised text or its transforms")
	}
	viewer.page(t, "/posts/x/nothing", http.StatusNotFound)
	viewer.page(t, "/posts/x/p10?view=raw", http.StatusBadRequest)

	// An account: handles, lists, the chart and its table.
	page = viewer.page(t, "/accounts/x/44", http.StatusOK)
	for _, want := range []string{"@someone_old", "military-proxies", `<svg width=`, `<rect x=`, `<caption>Flags per month by category</caption>`,
		`<th scope="row">dehumanisation</th>`, "pending: "} {
		if !strings.Contains(page, want) {
			t.Errorf("the account page lacks %s", want)
		}
	}
	if strings.Contains(page, "Export evidence pack") {
		t.Error("a viewer is offered the export")
	}
	page = advocate.page(t, "/accounts/x/44", http.StatusOK)
	for _, want := range []string{`action="/accounts/x/44/pack"`, `<option value="x">`, "Record takedown request", "Open a new case with it"} {
		if !strings.Contains(page, want) {
			t.Errorf("the advocate's account page lacks %s", want)
		}
	}
	viewer.page(t, "/accounts/x/nobody", http.StatusNotFound)

	// Cases: open one from the account, add an account, see it, export
	// its pack; an account page then offers the case.
	resp, _ := advocate.post(t, "/cases", url.Values{"title": {"Synthetic network"}, "account": {"x/44"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases/1" {
		t.Fatalf("create case: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := advocate.post(t, "/cases/1/accounts", url.Values{"accounts": {"mastodon/7\n\nx/44\n"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add accounts: %d", resp.StatusCode)
	}
	if resp, body := advocate.post(t, "/cases/1/accounts", url.Values{"accounts": {"nonsense"}}, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "PLATFORM/ID") {
		t.Errorf("add a malformed account: %d", resp.StatusCode)
	}
	if resp, _ := advocate.post(t, "/cases", url.Values{"title": {""}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a case without a title: %d, want 400", resp.StatusCode)
	}
	page = viewer.page(t, "/cases", http.StatusOK)
	if !strings.Contains(page, `<a href="/cases/1">Synthetic network</a>`) {
		t.Error("the case list lacks the new case")
	}
	page = advocate.page(t, "/cases/1", http.StatusOK)
	for _, want := range []string{`href="/accounts/mastodon/7"`, `href="/accounts/x/44"`, `action="/cases/1/pack"`, `action="/cases/1/accounts"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the case page lacks %s", want)
		}
	}
	if page := advocate.page(t, "/accounts/x/44", http.StatusOK); !strings.Contains(page, `<option value="1">Synthetic network (#1)</option>`) {
		t.Error("the account page does not offer the open case")
	}
	if resp, _ := advocate.post(t, "/accounts/mastodon/7/case", url.Values{"case": {"1"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add to case from the account page: %d", resp.StatusCode)
	}
	viewer.page(t, "/cases/99", http.StatusNotFound)

	// Takedowns: record one for an account, change its status.
	resp, _ = advocate.post(t, "/takedowns", url.Values{"platform": {"x"}, "channel": {"trusted flagger portal"}, "account": {"x/44"},
		"sent_at": {"2026-11-02T09:00"}, "back": {"/accounts/x/44"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/accounts/x/44" {
		t.Fatalf("record takedown: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := advocate.post(t, "/takedowns", url.Values{"platform": {"x"}, "account": {"x/44"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a takedown without a channel: %d, want 400", resp.StatusCode)
	}
	if resp, _ := advocate.post(t, "/takedowns/1/status", url.Values{"status": {"actioned"}, "reference": {"X-123"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("takedown status: %d", resp.StatusCode)
	}
	if resp, _ := advocate.post(t, "/takedowns/1/status", url.Values{"status": {"gone"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown takedown status: %d, want 400", resp.StatusCode)
	}
	page = viewer.page(t, "/takedowns", http.StatusOK)
	for _, want := range []string{"#1 via trusted flagger portal", "<strong>actioned</strong>", "ref X-123"} {
		if !strings.Contains(page, want) {
			t.Errorf("the takedowns page lacks %s", want)
		}
	}
	if strings.Contains(page, `action="/takedowns/1/status"`) {
		t.Error("a viewer is offered the status form")
	}
	if page := advocate.page(t, "/accounts/x/44", http.StatusOK); !strings.Contains(page, "<strong>actioned</strong>") {
		t.Error("the account page lacks its takedown request")
	}

	// The pack: an advocate gets the ZIP, recorded first.
	resp, body := advocate.post(t, "/accounts/x/44/pack", url.Values{"profile": {"x"}}, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" || !strings.HasPrefix(body, "PK") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	rec, ok := e.evidence.packs[resp.Header.Get("X-Vigil-Pack-Id")]
	if !ok || rec.CreatedBy != e.pseudonyms[event.RoleAdvocate] || rec.Profile != "x" {
		t.Errorf("pack record %+v (found %v)", rec, ok)
	}
	if resp, _ := advocate.post(t, "/cases/1/pack", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("case export: %d", resp.StatusCode)
	}
	if resp, _ := advocate.post(t, "/accounts/x/44/pack", url.Values{"profile": {"myspace"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("export with an unknown profile: %d, want 400", resp.StatusCode)
	}
}

// TestConsoleStatic: assets are served under their content hash, cached
// for a year; any other name is 404.
func TestConsoleStatic(t *testing.T) {
	e := consoleFixture(t)
	c := e.client(t)
	page := c.page(t, "/signin", http.StatusOK)
	assets := regexp.MustCompile(`(?:href|src)="(/static/console\.[0-9a-f]{12}\.(?:css|js))"`).FindAllStringSubmatch(page, -1)
	if len(assets) != 2 {
		t.Fatalf("the page names %d hashed assets, want the CSS and the JS", len(assets))
	}
	for _, a := range assets {
		resp, body := c.get(t, a[1])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || len(body) < 100 {
			t.Errorf("GET %s: %d, Cache-Control %q", a[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "@import") {
			t.Errorf("%s refers to another server", a[1])
		}
	}
	if resp, _ := c.get(t, "/static/console.css"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unhashed asset name: %d, want 404", resp.StatusCode)
	}
}
