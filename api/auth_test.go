package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

func TestAuth(t *testing.T) {
	const right = "Bearer " + adminToken
	tests := []struct {
		name       string
		path       string
		auth       string
		wantStatus int
	}{
		{"index is public", "/", "", 200},
		{"healthz is public", "/healthz", "", 200},
		{"readyz is public", "/readyz", "", 200},
		{"metrics are public", "/metrics", "", 200},
		{"openapi is public", "/api/v1/openapi.yaml", "", 200},
		{"public with a wrong token", "/healthz", "Bearer wrong", 200},

		{"accounts without a token", "/api/v1/accounts", "", 401},
		{"accounts with a wrong token", "/api/v1/accounts", "Bearer wrong", 401},
		{"accounts with the token", "/api/v1/accounts", right, 200},
		{"flags without a token", "/api/v1/flags", "", 401},
		{"flags with the token", "/api/v1/flags", right, 200},
		{"post without a token", "/api/v1/posts/x/1790", "", 401},
		{"post with the token", "/api/v1/posts/x/1790", right, 200},
		{"unknown API path without a token", "/api/v1/secret", "", 401},

		{"scheme is case-insensitive", "/api/v1/accounts", "bearer " + adminToken, 200},
		{"basic scheme", "/api/v1/accounts", "Basic " + adminToken, 401},
		{"token without scheme", "/api/v1/accounts", adminToken, 401},
		{"empty bearer", "/api/v1/accounts", "Bearer ", 401},
		{"token with a suffix", "/api/v1/accounts", right + "x", 401},
		{"token prefix", "/api/v1/accounts", right[:len(right)-1], 401},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.get(t, tt.path, tt.auth)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus != http.StatusUnauthorized {
				return
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="vigil"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			checkError(t, body, event.EUNAUTHORIZED, "bearer token")
		})
	}
}

// tokenMap is a TokenVerifier with a fixed principal per token.
type tokenMap map[string]api.Principal

func (m tokenMap) Verify(_ context.Context, token string) (api.Principal, error) {
	switch p, ok := m[token]; {
	case token == "down":
		return api.Principal{}, event.Errorf(event.EUNAVAILABLE, "token store unavailable")
	case !ok:
		return api.Principal{}, event.Errorf(event.EUNAUTHORIZED, "invalid bearer token")
	default:
		return p, nil
	}
}

func TestRoles(t *testing.T) {
	tokens := tokenMap{
		"v": {ID: "1", Role: api.RoleViewer},
		"m": {ID: "2", Role: api.RoleMonitor},
		"a": {ID: "3", Role: api.RoleAdvocate},
		"A": {ID: "4", Role: api.RoleAdmin},
		"x": {ID: "5", Role: "auditor"},
		"0": {ID: "6"},
	}
	tests := []struct {
		token      string
		wantStatus int
	}{
		{"v", 200}, {"m", 200}, {"a", 200}, {"A", 200},
		{"x", 403}, {"0", 403},
		{"down", 503},
	}
	f := newFixture(t, func(d *api.Deps) { d.Tokens = tokens })
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			resp, body := f.get(t, "/api/v1/flags", "Bearer "+tt.token)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusForbidden {
				checkError(t, body, event.EFORBIDDEN, "this needs the viewer role")
			}
		})
	}
}

func TestPrincipalAllows(t *testing.T) {
	roles := []string{api.RoleViewer, api.RoleMonitor, api.RoleAdvocate, api.RoleAdmin}
	tests := []struct {
		role string
		want []bool // allows viewer, monitor, advocate, admin
	}{
		{api.RoleViewer, []bool{true, false, false, false}},
		{api.RoleMonitor, []bool{true, true, false, false}},
		{api.RoleAdvocate, []bool{true, false, true, false}},
		{api.RoleAdmin, []bool{true, true, true, true}},
		{"auditor", []bool{false, false, false, false}},
		{"", []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		for i, need := range roles {
			if got := (api.Principal{Role: tt.role}).Allows(need); got != tt.want[i] {
				t.Errorf("role %q allows %s = %v, want %v", tt.role, need, got, tt.want[i])
			}
		}
	}
}

func TestStaticTokens(t *testing.T) {
	tests := []struct {
		name, admin, token string
		wantErr            bool
	}{
		{"right token", "s3cret", "s3cret", false},
		{"wrong token", "s3cret", "s3cre", true},
		{"empty token", "s3cret", "", true},
		{"no admin token accepts nothing", "", "", true},
		{"no admin token accepts no guess", "", "admin", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := api.NewStaticTokens(tt.admin).Verify(context.Background(), tt.token)
			if tt.wantErr {
				if code := event.ErrorCode(err); code != event.EUNAUTHORIZED {
					t.Errorf("Verify: %v (code %q), want an unauthorized error", err, code)
				}
				return
			}
			if err != nil || p.Role != api.RoleAdmin || p.ID == "" || p.Pseudonym == "" {
				t.Errorf("Verify = %+v, %v; want the admin", p, err)
			}
		})
	}
}

func TestStaticTokensKeepTheTokenOutOfOutput(t *testing.T) {
	tokens := api.NewStaticTokens("s3cret")
	sum := sha256.Sum256([]byte("s3cret"))
	for _, verb := range []string{"%v", "%+v", "%s"} {
		out := fmt.Sprintf(verb, tokens)
		for _, secret := range []string{"s3cret", hex.EncodeToString(sum[:])} {
			if strings.Contains(out, secret) {
				t.Errorf("%s of StaticTokens shows %q: %s", verb, secret, out)
			}
		}
	}
}
