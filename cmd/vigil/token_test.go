package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func runVigilCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runVigil(t, args...)
}

func authGet(t *testing.T, url, secret string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestTokenCommands: a token made with `vigil token create` before the
// first run signs in to the API with its role, shows in `vigil token
// list` without its secret, and stops working once revoked; the changes
// are in the audit log, which verifies.
func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	code, secret, stderr := runVigilCmd(t, "token", "create", "--role", "monitor", "--label", "monitor one", "--data-dir", data)
	secret = strings.TrimSpace(secret)
	if code != exitOK || !strings.HasPrefix(secret, "vigil_") || !strings.Contains(stderr, "pseudonym reviewer-") {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, secret, stderr)
	}
	if code, _, _ := runVigilCmd(t, "token", "create", "--role", "root", "--data-dir", data); code != exitUsage {
		t.Errorf("an unknown role: exit %d, want 2", code)
	}

	r := MustRunMain(t, nil, data, targetAll)
	if got := authGet(t, r.base+"/api/v1/flags", secret); got != 200 {
		t.Errorf("the monitor token reads flags: %d", got)
	}
	if got := authGet(t, r.base+"/api/v1/tokens", secret); got != http.StatusForbidden {
		t.Errorf("the monitor token lists tokens: %d, want 403", got)
	}
	// The bootstrap admin makes a viewer token through the API.
	req, _ := http.NewRequest("POST", r.base+"/api/v1/tokens", strings.NewReader(`{"role":"viewer","label":"analyst"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Secret string `json:"secret"`
	}
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || authGet(t, r.base+"/api/v1/accounts", created.Secret) != 200 {
		t.Fatalf("API-made token: status %d", res.StatusCode)
	}
	r.stop(t)

	code, out, _ := runVigilCmd(t, "token", "list", "--data-dir", data)
	if code != exitOK || !strings.Contains(out, "monitor one") || !strings.Contains(out, "analyst") || strings.Contains(out, secret) {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, _, stderr := runVigilCmd(t, "token", "revoke", "1", "--data-dir", data); code != exitOK {
		t.Fatalf("revoke: exit %d %s", code, stderr)
	}
	r = MustRunMain(t, nil, data, targetAll)
	if got := authGet(t, r.base+"/api/v1/flags", secret); got != http.StatusUnauthorized {
		t.Errorf("the revoked token reads flags: %d, want 401", got)
	}
	r.stop(t)

	code, out, stderr = runVigilCmd(t, "audit", "verify", "--data-dir", data)
	if code != exitOK || !strings.Contains(out+stderr, "3 entries") {
		t.Errorf("audit verify: exit %d %s %s (want 3 entries: two creations, one revocation)", code, out, stderr)
	}
}
