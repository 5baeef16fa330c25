package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/store/sqlstore"
)

func apiCall(t *testing.T, method, url, secret, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+secret)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return res.StatusCode
}

// TestReviewEndToEnd: in the demo pipeline, an admin makes a monitor
// token, the monitor claims a batch, confirms one flag and dismisses
// another; a second monitor's claim gets none of the first's flags; the
// decisions show in the API and, as the monitor's pseudonym, in the audit
// log, which verifies.
func TestReviewEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	r := MustRunMain(t, nil, data, targetAll)
	eventually(t, 60*time.Second, "demo flags stored", func() (bool, string) {
		var resp struct {
			Flags []json.RawMessage `json:"flags"`
		}
		apiCall(t, "GET", r.base+"/api/v1/flags?status=pending", testToken, "", &resp)
		return len(resp.Flags) >= 4, strconv.Itoa(len(resp.Flags))
	})
	newToken := func() (secret, pseudonym string) {
		var created struct {
			Token struct {
				Pseudonym string `json:"pseudonym"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		if code := apiCall(t, "POST", r.base+"/api/v1/tokens", testToken, `{"role":"monitor"}`, &created); code != 201 {
			t.Fatalf("create token: %d", code)
		}
		return created.Secret, created.Token.Pseudonym
	}
	m1, p1 := newToken()
	m2, _ := newToken()

	type flag struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	first, _ := claimApart(t, r.base, m1, m2)
	a, b := first[0], first[1]
	if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(a, 10)+"/decision", m2, `{"decision":"confirm"}`, nil); code == 200 {
		t.Errorf("a monitor decided a flag another holds")
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(a, 10)+"/decision", m1, `{"decision":"confirm","note":"synthetic note","translation":"synthetic translation"}`, nil); code != 200 {
		t.Fatalf("confirm: %d", code)
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(b, 10)+"/decision", m1, `{"decision":"dismiss"}`, nil); code != 200 {
		t.Fatalf("dismiss: %d", code)
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(a, 10)+"/decision", m1, `{"decision":"dismiss"}`, nil); code != http.StatusConflict {
		t.Errorf("deciding a decided flag again: %d, want 409", code)
	}
	var confirmed struct {
		Flags []flag `json:"flags"`
	}
	apiCall(t, "GET", r.base+"/api/v1/flags?status=confirmed", testToken, "", &confirmed)
	if len(confirmed.Flags) != 1 || confirmed.Flags[0].ID != a {
		t.Errorf("confirmed flags %+v, want flag %d", confirmed.Flags, a)
	}
	r.stop(t)

	code, out, stderr := runVigilCmd(t, "audit", "verify", "--data-dir", data, "--json")
	if code != exitOK {
		t.Fatalf("audit verify: exit %d %s %s", code, out, stderr)
	}
	s, err := sqlstore.Open(t.Context(), sqlstore.Config{Path: filepath.Join(data, "vigil.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entries, err := s.Audit().List(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, e := range entries {
		if e.Action == "decision" {
			decisions++
			if e.Actor != p1 || strings.Contains(string(e.Details), "synthetic note") {
				t.Errorf("decision entry %+v: want actor %s and no note text", e, p1)
			}
		}
	}
	if decisions != 2 {
		t.Errorf("%d decision entries in the audit log, want 2", decisions)
	}
}

// claimApart claims 2 flags as monitor m1, then up to 50 as monitor m2,
// and fails the test unless the claims succeed and no flag is handed to
// both. It returns the flag ids of each claim.
func claimApart(t *testing.T, base, m1, m2 string) (first, second []int64) {
	t.Helper()
	claim := func(secret, body string) []int64 {
		var c struct {
			Flags []struct {
				ID int64 `json:"id"`
			} `json:"flags"`
		}
		if code := apiCall(t, "POST", base+"/api/v1/queue/claim", secret, body, &c); code != 200 {
			t.Fatalf("claim %s: %d", body, code)
		}
		ids := make([]int64, len(c.Flags))
		for i, f := range c.Flags {
			ids[i] = f.ID
		}
		return ids
	}
	if first = claim(m1, `{"limit":2}`); len(first) != 2 {
		t.Fatalf("claim of 2: %d flags", len(first))
	}
	second = claim(m2, `{"limit":50}`)
	for _, id := range second {
		if slices.Contains(first, id) {
			t.Fatalf("flag %d handed to both monitors", id)
		}
	}
	return first, second
}
