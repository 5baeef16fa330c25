package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// memTokens is an in-memory event.TokenService that, like the store,
// keeps only the hashes of the secrets.
type memTokens struct {
	mu     sync.Mutex
	tokens []event.Token
	hashes map[string]int64 // hash → id
}

func newMemTokens() *memTokens { return &memTokens{hashes: map[string]int64{}} }

func (m *memTokens) CreateToken(_ context.Context, n event.NewToken) (event.Token, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	secret := event.NewTokenSecret()
	t := event.Token{ID: int64(len(m.tokens) + 1), Role: n.Role, Label: n.Label, Pseudonym: n.Pseudonym,
		CreatedAt: time.Now(), CreatedBy: n.CreatedBy}
	if t.Pseudonym == "" {
		t.Pseudonym = event.NewPseudonym()
	}
	m.tokens = append(m.tokens, t)
	m.hashes[event.HashToken(secret)] = t.ID
	return t, secret, nil
}

func (m *memTokens) VerifyToken(_ context.Context, secret string) (event.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.hashes[event.HashToken(secret)]
	if !ok || !m.tokens[id-1].RevokedAt.IsZero() {
		return event.Token{}, event.Errorf(event.EUNAUTHORIZED, "invalid bearer token")
	}
	return m.tokens[id-1], nil
}

func (m *memTokens) RevokeToken(_ context.Context, id int64, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || int(id) > len(m.tokens) {
		return event.Errorf(event.ENOTFOUND, "no token %d", id)
	}
	if m.tokens[id-1].RevokedAt.IsZero() {
		m.tokens[id-1].RevokedAt = time.Now()
	}
	return nil
}

func (m *memTokens) ListTokens(context.Context) ([]event.Token, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]event.Token(nil), m.tokens...), nil
}

func tokenFixture(t *testing.T) (*fixture, *memTokens) {
	store := newMemTokens()
	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(store, adminToken)
		d.TokenAdmin = store
	})
	return f, store
}

// TestTokens: an admin creates a token (the secret is shown once, the
// store keeps its hash), the token works with its role, is listed without
// its secret, and stops working once revoked.
func TestTokens(t *testing.T) {
	f, store := tokenFixture(t)
	admin := "Bearer " + adminToken
	resp, body := f.do(t, "POST", "/api/v1/tokens", admin, `{"role":"monitor","label":"laptop of monitor one"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s (Cache-Control %q)", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}
	var created struct {
		Token  event.Token `json:"token"`
		Secret string      `json:"secret"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Secret, event.TokenPrefix) || created.Token.Role != "monitor" ||
		!regexp.MustCompile(`^reviewer-[0-9a-f]{8}$`).MatchString(created.Token.Pseudonym) || created.Token.CreatedBy != "bootstrap-admin" {
		t.Fatalf("created %+v", created)
	}
	for h := range store.hashes {
		if strings.Contains(h, created.Secret) || h != event.HashToken(created.Secret) {
			t.Errorf("the store holds %q, not the secret's hash", h)
		}
	}

	monitor := "Bearer " + created.Secret
	if resp, body := f.get(t, "/api/v1/flags", monitor); resp.StatusCode != 200 {
		t.Errorf("the new monitor token reads flags: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.get(t, "/api/v1/tokens", monitor); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a monitor lists tokens: %d, want 403", resp.StatusCode)
	}
	resp, body = f.get(t, "/api/v1/tokens", admin)
	if resp.StatusCode != 200 || strings.Contains(string(body), created.Secret) || !strings.Contains(string(body), created.Token.Pseudonym) {
		t.Fatalf("list: %d %s", resp.StatusCode, body)
	}

	// A replacement token for the same reviewer keeps the pseudonym.
	resp, body = f.do(t, "POST", "/api/v1/tokens", admin, `{"role":"monitor","pseudonym":"`+created.Token.Pseudonym+`"}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(body), created.Token.Pseudonym) {
		t.Fatalf("replacement: %d %s", resp.StatusCode, body)
	}

	if resp, body := f.do(t, "DELETE", "/api/v1/tokens/1", admin, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if resp, _ := f.get(t, "/api/v1/flags", monitor); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked token reads flags: %d, want 401", resp.StatusCode)
	}
	if resp, _ := f.do(t, "DELETE", "/api/v1/tokens/99", admin, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoke an unknown token: %d, want 404", resp.StatusCode)
	}

	for _, bad := range []struct{ body, want string }{
		{`{"role":"superuser"}`, "role must be one of"},
		{`{"role":"viewer","extra":1}`, "unknown field"},
		{`{"role":"viewer"} {}`, "data after"},
		{``, "JSON body is required"},
		{`{"role":"viewer","label":"` + strings.Repeat("x", 201) + `"}`, "too long"},
	} {
		resp, body := f.do(t, "POST", "/api/v1/tokens", admin, bad.body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("create with %.40q: %d, want 400", bad.body, resp.StatusCode)
			continue
		}
		checkError(t, body, event.EINVALID, bad.want)
	}
}

// TestTokenRoutesWithoutStore: a server without a token store answers the
// token routes 503, not 500.
func TestTokenRoutesWithoutStore(t *testing.T) {
	f := newFixture(t)
	resp, body := f.get(t, "/api/v1/tokens", "Bearer "+adminToken)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("%d %s, want 503", resp.StatusCode, body)
	}
}

// TestPermissionTable tries every route with no token, a wrong token and
// a token of every role: a public route answers everyone; any other
// refuses no token and a wrong one (401), refuses a role that does not
// include the route's (403), and lets the others through (neither 401 nor
// 403). The expected cells come from the route table's roles and the role
// order, so that a route added later is covered too.
func TestPermissionTable(t *testing.T) {
	store := newMemTokens()
	secrets := map[string]string{}
	for _, role := range event.Roles {
		_, secret, _ := store.CreateToken(context.Background(), event.NewToken{Role: role})
		secrets[role] = secret
	}
	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(store, "")
		d.TokenAdmin = store
	})
	// includes[role] are the route roles a token of role may use.
	includes := map[string][]string{
		event.RoleViewer:   {event.RoleViewer},
		event.RoleMonitor:  {event.RoleViewer, event.RoleMonitor},
		event.RoleAdvocate: {event.RoleViewer, event.RoleAdvocate},
		event.RoleAdmin:    event.Roles,
	}
	params := regexp.MustCompile(`\{[a-z]+\}`)
	cells := 0
	for _, rt := range api.Routes(f.api) {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.TrimSuffix(path, "{$}")
		if path == "/api/v1/" {
			path = "/api/v1/nosuch"
		}
		path = params.ReplaceAllString(path, "99999") // no such token: revoking it as admin revokes nothing
		body := ""
		if method == http.MethodPost {
			body = `{}`
		}
		callers := map[string]string{"no token": "", "wrong token": "Bearer vigil_wrong"}
		for role, s := range secrets {
			callers[role] = "Bearer " + s
		}
		for caller, auth := range callers {
			cells++
			resp, got := f.do(t, method, path, auth, body)
			var want string
			switch {
			case rt.Role == "":
				if resp.StatusCode == 401 || resp.StatusCode == 403 {
					want = "public: neither 401 nor 403"
				}
			case auth == "" || caller == "wrong token":
				if resp.StatusCode != 401 {
					want = "401"
				}
			case contains(includes[caller], rt.Role):
				if resp.StatusCode == 401 || resp.StatusCode == 403 {
					want = "neither 401 nor 403"
				}
			default:
				if resp.StatusCode != 403 {
					want = "403"
				}
			}
			if want != "" {
				t.Errorf("%s as %s: %d %s, want %s", rt.Pattern, caller, resp.StatusCode, got, want)
			}
		}
	}
	if cells < 6*10 {
		t.Errorf("only %d cells tried", cells)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
