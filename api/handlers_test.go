package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

func TestAccounts(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantFilter event.AccountFilter
		wantIDs    []string
	}{
		{"all", "", event.AccountFilter{}, []string{"x/44", "mastodon/7"}},
		{"flagged", "?flagged=true", event.AccountFilter{Flagged: true}, []string{"x/44"}},
		{"flagged false lists every account", "?flagged=false", event.AccountFilter{}, []string{"x/44", "mastodon/7"}},
		{"platform", "?platform=mastodon", event.AccountFilter{Platform: "mastodon"}, []string{"mastodon/7"}},
		{"paging", "?limit=1&offset=1", event.AccountFilter{Limit: 1, Offset: 1}, []string{"mastodon/7"}},
		{"offset past the end", "?offset=10", event.AccountFilter{Offset: 10}, nil},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				Accounts []event.Account `json:"accounts"`
			}
			f.getJSON(t, "/api/v1/accounts"+tt.query, http.StatusOK, &got)
			if filter, _, _ := f.store.filters(); filter != tt.wantFilter {
				t.Errorf("store got filter %+v, want %+v", filter, tt.wantFilter)
			}
			var ids []string
			for _, a := range got.Accounts {
				ids = append(ids, a.Platform+"/"+a.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("accounts %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func TestAccountsJSONShape(t *testing.T) {
	f := newFixture(t)
	var got struct {
		Accounts []map[string]json.RawMessage `json:"accounts"`
	}
	f.getJSON(t, "/api/v1/accounts", http.StatusOK, &got)
	if len(got.Accounts) != 2 {
		t.Fatalf("%d accounts, want 2", len(got.Accounts))
	}
	x, mastodon := got.Accounts[0], got.Accounts[1]
	for field, want := range map[string]string{
		"platform":   `"x"`,
		"id":         `"44"`,
		"handles":    `["someone_old","someone"]`,
		"post_count": `12`,
		"flag_count": `3`,
		"categories": `{"dehumanisation":3}`,
		"lists":      `["military-proxies"]`,
		"first_seen": `"2026-11-01T08:00:00Z"`, // 14:30 in Yangon
		"last_seen":  `"2026-11-01T09:00:00Z"`,
	} {
		if string(x[field]) != want {
			t.Errorf("x/44 %s = %s, want %s", field, x[field], want)
		}
	}
	if got := string(mastodon["categories"]); got != `{}` {
		t.Errorf("account without flags: categories = %s, want {}", got)
	}

	f.store.edit(func(m *memStore) { m.accounts = nil })
	body := f.getJSON(t, "/api/v1/accounts", http.StatusOK, nil)
	if got, want := string(body), "{\"accounts\":[],\"next\":\"\"}\n"; got != want {
		t.Errorf("no accounts: body %q, want %q", got, want)
	}
}

func TestFlagsPaging(t *testing.T) {
	f := newFixture(t)
	type page struct {
		Flags []event.Flag `json:"flags"`
		Next  string       `json:"next"`
	}
	// Walk the pages the way a client would: pass next back as after.
	var ids []int64
	var afters []int64
	path := "/api/v1/flags?limit=2"
	for range 10 {
		var p page
		f.getJSON(t, path, http.StatusOK, &p)
		_, filter, _ := f.store.filters()
		afters = append(afters, filter.After)
		for _, fl := range p.Flags {
			ids = append(ids, fl.ID)
		}
		if p.Next == "" {
			break
		}
		path = "/api/v1/flags?limit=2&after=" + p.Next
	}
	if got, want := fmtInts(ids), "5 4 3 2 1"; got != want {
		t.Errorf("flag IDs over all pages: %s, want %s", got, want)
	}
	if got, want := fmtInts(afters), "0 4 2"; got != want {
		t.Errorf("after passed to the store: %s, want %s", got, want)
	}
}

func fmtInts(ns []int64) string {
	b, _ := json.Marshal(ns)
	return strings.Trim(strings.ReplaceAll(string(b), ",", " "), "[]")
}

func TestFlagsFilter(t *testing.T) {
	tests := []struct {
		name       string
		query      string
		wantFilter event.FlagFilter
		wantCount  int
	}{
		{"none", "", event.FlagFilter{}, 5},
		{"platform", "?platform=x", event.FlagFilter{Platform: "x"}, 5},
		{"category", "?category=dehumanisation", event.FlagFilter{Category: "dehumanisation"}, 4},
		{"status", "?status=confirmed", event.FlagFilter{Status: event.StatusConfirmed}, 1},
		{"author", "?author=45", event.FlagFilter{AuthorID: "45"}, 1},
		{"every parameter", "?platform=x&category=c&status=pending&author=44&limit=7&after=99",
			event.FlagFilter{Platform: "x", Category: "c", Status: "pending", AuthorID: "44", Limit: 7, After: 99}, 0},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				Flags []event.Flag `json:"flags"`
			}
			f.getJSON(t, "/api/v1/flags"+tt.query, http.StatusOK, &got)
			if _, filter, _ := f.store.filters(); filter != tt.wantFilter {
				t.Errorf("store got filter %+v, want %+v", filter, tt.wantFilter)
			}
			if len(got.Flags) != tt.wantCount {
				t.Errorf("%d flags, want %d", len(got.Flags), tt.wantCount)
			}
		})
	}
}

func TestFlagsJSONShape(t *testing.T) {
	f := newFixture(t)
	var got struct {
		Flags []map[string]json.RawMessage `json:"flags"`
		Next  *string                      `json:"next"`
	}
	f.getJSON(t, "/api/v1/flags?limit=5", http.StatusOK, &got)
	if got.Next == nil || *got.Next != "" {
		t.Errorf("next = %v, want present and empty on the last page", got.Next)
	}
	first, last := got.Flags[0], got.Flags[len(got.Flags)-1]
	for field, want := range map[string]string{
		"id":         `5`,
		"platform":   `"x"`,
		"post_id":    `"p5"`,
		"author_id":  `"44"`,
		"categories": `["dehumanisation"]`,
		"matches":    `[{"term_id":"t1","category":"dehumanisation","start":0,"end":6}]`,
		"status":     `"pending"`,
		"created_at": `"2026-11-01T08:05:00Z"`,
	} {
		if string(first[field]) != want {
			t.Errorf("flag 5 %s = %s, want %s", field, first[field], want)
		}
	}
	for field, want := range map[string]string{"categories": `[]`, "matches": `[]`} {
		if string(last[field]) != want {
			t.Errorf("list-only flag %s = %s, want %s", field, last[field], want)
		}
	}

	f.store.edit(func(m *memStore) { m.flags = nil })
	body := f.getJSON(t, "/api/v1/flags", http.StatusOK, nil)
	if got, want := string(body), "{\"flags\":[],\"next\":\"\"}\n"; got != want {
		t.Errorf("no flags: body %q, want %q", got, want)
	}
}

func TestPost(t *testing.T) {
	f := newFixture(t)
	var got map[string]json.RawMessage
	f.getJSON(t, "/api/v1/posts/x/1790", http.StatusOK, &got)
	for field, want := range map[string]string{
		"platform":    `"x"`,
		"id":          `"1790"`,
		"author":      `{"id":"44","handle":"someone"}`,
		"created_at":  `"2026-11-01T08:00:00Z"`,
		"captured_at": `"2026-11-01T08:01:00Z"`,
		"stored_at":   `"2026-11-01T08:03:00Z"`,
		"flag_id":     `5`,
		"raw_sha256":  `"` + event.SHA256Hex(rawX) + `"`,
	} {
		if string(got[field]) != want {
			t.Errorf("%s = %s, want %s", field, got[field], want)
		}
	}
	var text, raw, rawText string
	for name, v := range map[string]*string{"text": &text, "raw": &raw, "raw_text": &rawText} {
		if err := json.Unmarshal(got[name], v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if text != sampleText {
		t.Errorf("text = %q, want %q", text, sampleText)
	}
	if b, err := base64.StdEncoding.DecodeString(raw); err != nil || !bytes.Equal(b, rawX) {
		t.Errorf("raw = %q (%v), want the base64 of the payload", raw, err)
	}
	if rawText != string(rawX) {
		t.Errorf("raw_text = %q, want the payload %q", rawText, rawX)
	}
	var verdict struct {
		Flagged      bool   `json:"flagged"`
		ClassifiedAt string `json:"classified_at"`
		Post         struct {
			CreatedAt string `json:"created_at"`
		} `json:"post"`
	}
	if err := json.Unmarshal(got["verdict"], &verdict); err != nil {
		t.Fatalf("verdict: %v", err)
	}
	if !verdict.Flagged || verdict.ClassifiedAt != "2026-11-01T08:02:00Z" || verdict.Post.CreatedAt != "2026-11-01T08:00:00Z" {
		t.Errorf("verdict = %+v, want flagged with UTC times", verdict)
	}
	// The store's own value must not have been changed on the way out.
	if loc := f.store.posts["x/1790"].CreatedAt.Location(); loc != yangon {
		t.Errorf("the API changed the store's post (location %v)", loc)
	}
}

func TestPostRawNotText(t *testing.T) {
	f := newFixture(t)
	var got map[string]json.RawMessage
	f.getJSON(t, "/api/v1/posts/telegram/9", http.StatusOK, &got)
	if want := `"` + base64.StdEncoding.EncodeToString(rawBinary) + `"`; string(got["raw"]) != want {
		t.Errorf("raw = %s, want %s", got["raw"], want)
	}
	if v, ok := got["raw_text"]; ok {
		t.Errorf("raw_text = %s for a payload that is not UTF-8, want it absent", v)
	}
	if v, ok := got["verdict"]; ok {
		t.Errorf("verdict = %s for a post without one, want it absent", v)
	}
}

func TestNotFound(t *testing.T) {
	tests := []struct {
		name, path, wantInMessage string
	}{
		{"post", "/api/v1/posts/x/404", "post x/404 not found"},
		{"platform", "/api/v1/posts/nowhere/1790", "not found"},
		{"route under the API", "/api/v1/nothing-here", "no such API route"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := f.getJSON(t, tt.path, http.StatusNotFound, nil)
			checkError(t, body, event.ENOTFOUND, tt.wantInMessage)
		})
	}
}

func TestBadParams(t *testing.T) {
	tests := []struct {
		name, path, wantInMessage string
	}{
		{"limit not a number", "/api/v1/accounts?limit=abc", `limit: "abc"`},
		{"limit negative", "/api/v1/accounts?limit=-1", `limit: "-1"`},
		{"limit zero", "/api/v1/accounts?limit=0", `limit: "0"`},
		{"limit over the maximum", "/api/v1/accounts?limit=1001", "from 1 to 1000"},
		{"offset negative", "/api/v1/accounts?offset=-1", `offset: "-1"`},
		{"flagged maybe", "/api/v1/accounts?flagged=maybe", `flagged: "maybe" is neither true nor false`},
		{"flagged 1", "/api/v1/accounts?flagged=1", `flagged: "1"`},
		{"unknown parameter", "/api/v1/accounts?flaged=true", `unknown query parameter "flaged"`},
		{"repeated parameter", "/api/v1/accounts?limit=1&limit=2", "limit: given more than once"},
		{"malformed query", "/api/v1/accounts?limit=%zz", "malformed query string"},
		{"flags limit over the maximum", "/api/v1/flags?limit=501", "from 1 to 500"},
		{"flags status unknown", "/api/v1/flags?status=open", `status: "open" is not one of`},
		{"flags after not a number", "/api/v1/flags?after=abc", `after: "abc"`},
		{"flags after negative", "/api/v1/flags?after=-5", `after: "-5"`},
		{"flags author as author_id", "/api/v1/flags?author_id=44", `unknown query parameter "author_id"`},
		{"post with a query", "/api/v1/posts/x/1790?raw=false", `unknown query parameter "raw"`},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, before := f.store.filters()
			body := f.getJSON(t, tt.path, http.StatusBadRequest, nil)
			checkError(t, body, event.EINVALID, tt.wantInMessage)
			if _, _, after := f.store.filters(); after != before {
				t.Errorf("the store was called for a bad request")
			}
		})
	}
}

// TestStoreErrors checks the mapping of error codes to HTTP status, and
// that only internal errors are logged, with neither token nor post text.
func TestStoreErrors(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		wantStatus  int
		wantCode    string
		wantMessage string
		wantLogged  bool
	}{
		{"invalid", event.Errorf(event.EINVALID, "platform: bad"), 400, "invalid", "platform: bad", false},
		{"unauthorized", event.Errorf(event.EUNAUTHORIZED, "no"), 401, "unauthorized", "no", false},
		{"forbidden", event.Errorf(event.EFORBIDDEN, "no"), 403, "forbidden", "no", false},
		{"not found", event.Errorf(event.ENOTFOUND, "gone"), 404, "not_found", "gone", false},
		{"conflict", event.Errorf(event.ECONFLICT, "claimed"), 409, "conflict", "claimed", false},
		{"unavailable", event.Errorf(event.EUNAVAILABLE, "store down"), 503, "unavailable", "store down", false},
		{"rate limited", event.Errorf(event.ERATELIMITED, "slow down"), 429, "rate_limited", "slow down", false},
		{"internal", event.Errorf(event.EINTERNAL, "broken"), 500, "internal", "broken", true},
		{"wrapped", errors.Join(errors.New("ctx"), event.Errorf(event.ECONFLICT, "claimed")), 409, "conflict", "claimed", false},
		{"plain error hides its text", errors.New("sql: connection reset by 10.0.0.5"), 500, "internal", "internal error", true},
		{"unknown code", event.Errorf("teapot", "short and stout"), 500, "internal", "short and stout", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			// No store returns not_found or conflict for these reads, and
			// the document rightly does not list them: this test drives
			// every code through them to check the one mapping.
			f.allowUndocumented(http.StatusNotFound, http.StatusConflict)
			f.store.setErr(tt.err)
			for _, path := range []string{"/api/v1/accounts", "/api/v1/flags", "/api/v1/posts/x/1790"} {
				resp, body := f.get(t, path, "Bearer "+adminToken)
				if resp.StatusCode != tt.wantStatus {
					t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, tt.wantStatus)
				}
				var e apiError
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatalf("GET %s: %s: %v", path, body, err)
				}
				if e.Error.Code != tt.wantCode || e.Error.Message != tt.wantMessage {
					t.Errorf("GET %s: error %+v, want %s %q", path, e.Error, tt.wantCode, tt.wantMessage)
				}
			}
			logs := f.logs.String()
			if logged := strings.Contains(logs, "api request failed"); logged != tt.wantLogged {
				t.Errorf("logged = %v, want %v; logs:\n%s", logged, tt.wantLogged, logs)
			}
			if tt.wantLogged && !strings.Contains(logs, `"route":"GET /api/v1/posts/{platform}/{id}"`) {
				t.Errorf("the log does not name the route:\n%s", logs)
			}
			for _, secret := range []string{adminToken, sampleText} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log holds %q:\n%s", secret, logs)
				}
			}
		})
	}
}

func TestPanicIsInternalError(t *testing.T) {
	f := newFixture(t)
	f.store.edit(func(m *memStore) { m.panics = true })
	body := f.getJSON(t, "/api/v1/accounts", http.StatusInternalServerError, nil)
	checkError(t, body, event.EINTERNAL, "internal error")
	if !strings.Contains(f.logs.String(), "api handler panicked") {
		t.Errorf("the panic was not logged:\n%s", f.logs.String())
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		ready      func(context.Context) error
		wantStatus int
		wantBody   string
	}{
		{"no check", nil, http.StatusOK, "ready\n"},
		{"ready", func(context.Context) error { return nil }, http.StatusOK, "ready\n"},
		{"not ready", func(context.Context) error { return errors.New("store: ping: connection refused") },
			http.StatusServiceUnavailable, "not ready: store: ping: connection refused\n"},
		{"check sees a deadline", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no deadline")
			}
			return nil
		}, http.StatusOK, "ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(d *api.Deps) { d.Ready = tt.ready })
			resp, body := f.get(t, "/readyz", "")
			if resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
				t.Errorf("status %d body %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestReadyzDetail(t *testing.T) {
	f := newFixture(t, func(d *api.Deps) {
		d.Ready = func(context.Context) error { return nil }
		d.Detail = func() []string { return []string{"source tg: 5 failures in a row"} }
	})
	resp, body := f.get(t, "/readyz", "")
	if want := "ready\ndegraded: source tg: 5 failures in a row\n"; resp.StatusCode != http.StatusOK || string(body) != want {
		t.Errorf("status %d body %q, want 200 %q: a failing collector is reported, not made unready", resp.StatusCode, body, want)
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, func(d *api.Deps) {
		d.Ready = func(context.Context) error { return errors.New("not yet") }
	})
	resp, body := f.get(t, "/healthz", "")
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("status %d body %q, want 200 \"ok\\n\" even when not ready", resp.StatusCode, body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name, path, auth string
		wantStatus       int
	}{
		{"json", "/api/v1/accounts", "Bearer " + adminToken, 200},
		{"json error", "/api/v1/accounts", "", 401},
		{"openapi", "/api/v1/openapi.yaml", "", 200},
		{"healthz", "/healthz", "", 200},
		{"metrics", "/metrics", "", 200},
		{"index", "/", "", 200},
		{"no route", "/nothing", "", 404},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := f.get(t, tt.path, tt.auth)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			for h, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Cache-Control":          "no-store",
				"X-Frame-Options":        "DENY",
			} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src") {
				t.Errorf("Content-Security-Policy = %q, want a default-src", csp)
			}
		})
	}
}

// TestAccountsCursor: a full page carries the cursor of the next, which
// reaches the store as the position of the page's last account and gives
// the page after it; the last page's next is empty; a cursor the API did
// not give is refused.
func TestAccountsCursor(t *testing.T) {
	f := newFixture(t)
	type page struct {
		Accounts []event.Account `json:"accounts"`
		Next     string          `json:"next"`
	}
	var all page
	f.getJSON(t, "/api/v1/accounts", http.StatusOK, &all)
	if len(all.Accounts) < 2 || all.Next != "" {
		t.Fatalf("all accounts: %d, next %q", len(all.Accounts), all.Next)
	}
	var seen, want []string
	for _, a := range all.Accounts {
		want = append(want, a.Platform+"/"+a.ID)
	}
	var last *event.Account
	path := "/api/v1/accounts?limit=1"
	for range len(all.Accounts) + 1 {
		var p page
		f.getJSON(t, path, http.StatusOK, &p)
		if got, _, _ := f.store.filters(); last != nil {
			if c := got.After; c == nil || c.Platform != last.Platform || c.ID != last.ID || c.FlagCount != last.FlagCount || !c.LastSeen.Equal(last.LastSeen) {
				t.Fatalf("the cursor reached the store as %+v, want the position of %+v", c, *last)
			}
		}
		for _, a := range p.Accounts {
			seen = append(seen, a.Platform+"/"+a.ID)
		}
		if p.Next == "" {
			break
		}
		last = &p.Accounts[len(p.Accounts)-1]
		path = "/api/v1/accounts?limit=1&after=" + p.Next
	}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("paged by cursor: %v, want %v", seen, want)
	}
	for _, bad := range []string{"x", "bm90IGEgY3Vyc29y", base64.RawURLEncoding.EncodeToString([]byte("-1|2026-11-01T08:00:00Z|x|1"))} {
		_, body := f.get(t, "/api/v1/accounts?after="+bad, "Bearer "+adminToken)
		checkError(t, body, event.EINVALID, "cursor")
	}
}

// TestFlagsNamedPlaces: a flag's target groups, regions and places reach
// the JSON as the store gave them, and are left out when there are none.
func TestFlagsNamedPlaces(t *testing.T) {
	f := newFixture(t)
	f.store.edit(func(m *memStore) {
		m.flags[0].Groups, m.flags[0].Regions, m.flags[0].Places = []string{"journalists"}, []string{"sagaing"}, []string{"monywa", "sagaing"}
	})
	body := string(f.getJSON(t, "/api/v1/flags?limit=2", http.StatusOK, nil))
	if !strings.Contains(body, `"groups":["journalists"],"regions":["sagaing"],"places":["monywa","sagaing"]`) {
		t.Errorf("the first flag lacks what its post names: %s", body)
	}
	if strings.Count(body, `"regions"`) != 1 {
		t.Errorf("a flag naming no region has a regions field: %s", body)
	}
}
