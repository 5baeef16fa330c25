package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
)

// memEvidence is an in-memory event.EvidenceService: one account (x/44)
// with two confirmed posts, and one case (1) holding it. It keeps the
// packs recorded.
type memEvidence struct {
	mu    sync.Mutex
	packs map[string]event.PackRecord
	reqs  []event.EvidenceRequest
}

func newMemEvidence() *memEvidence { return &memEvidence{packs: map[string]event.PackRecord{}} }

func (m *memEvidence) Evidence(_ context.Context, req event.EvidenceRequest) (*event.EvidenceSet, error) {
	m.mu.Lock()
	m.reqs = append(m.reqs, req)
	m.mu.Unlock()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	set := &event.EvidenceSet{GatheredAt: at}
	switch {
	case req.Account != nil && *req.Account == (event.AccountRef{Platform: "x", ID: "44"}):
		set.Subject = "account:x:44"
	case req.CaseID == 1:
		set.Subject = "case:1"
		set.Case = &event.Case{ID: 1, Title: "network", Status: event.CaseOpen, CreatedAt: at, CreatedBy: "advocate-1", UpdatedAt: at}
	case req.Account != nil:
		return nil, event.Errorf(event.ENOTFOUND, "account %s/%s not found", req.Account.Platform, req.Account.ID)
	default:
		return nil, event.Errorf(event.ENOTFOUND, "case %d not found", req.CaseID)
	}
	set.Accounts = []event.AccountView{{Account: event.Account{Platform: "x", ID: "44", Handle: "example_general_7",
		Categories: map[string]int{"violence_call": 2}, FirstSeen: at, LastSeen: at}, FlagsByStatus: map[string]int{}}}
	for i, text := range []string{"Synthetic call to violence one.", "Synthetic call to violence two."} {
		raw := []byte(`{"id_str":"` + string(rune('1'+i)) + `","full_text":"` + text + `"}`)
		sum := sha256.Sum256(raw)
		id := int64(i + 1)
		set.Posts = append(set.Posts, event.EvidencePost{
			Post: event.Post{Platform: "x", ID: string(rune('1' + i)), Author: event.Author{ID: "44", Handle: "example_general_7"},
				Text: text, CreatedAt: at, URL: "https://x.example/status/" + string(rune('1'+i)), CapturedAt: at, Raw: raw},
			RawSHA256: hex.EncodeToString(sum[:]), StoredAt: at,
			Flag: event.Flag{ID: id, Platform: "x", PostID: string(rune('1' + i)), AuthorID: "44", Score: 4,
				Categories: []string{"violence_call"}, Matches: []event.Match{{TermID: "t1", Category: "violence_call", Start: 10, End: 14}},
				Status: event.StatusConfirmed, CreatedAt: at,
				Decision: &event.Decision{FlagID: id, Decision: event.DecisionConfirm, Note: "Reviewer Real Name saw this", Reviewer: "reviewer-0a1b", DecidedAt: at}},
			Trail: []event.ReviewStep{{FlagID: id, Level: event.StatusPending, Decision: event.DecisionConfirm, Reviewer: "reviewer-0a1b", DecidedAt: at}},
		})
	}
	return set, nil
}

func (m *memEvidence) RecordPack(_ context.Context, r event.PackRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.packs[r.ID]; ok {
		return event.Errorf(event.ECONFLICT, "pack %s is recorded already", r.ID)
	}
	m.packs[r.ID] = r
	return nil
}

func (m *memEvidence) Pack(_ context.Context, id string) (event.PackRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.packs[id]
	if !ok {
		return r, event.Errorf(event.ENOTFOUND, "pack %s not found", id)
	}
	return r, nil
}

// testPackSettings are pack settings signing with a fresh key of a new
// keyring, with the synthetic notifier the tests expect.
func testPackSettings(tb testing.TB) (api.PackSettings, *evidence.Keyring) {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := evidence.Generate(dir); err != nil {
		tb.Fatal(err)
	}
	kr, err := evidence.OpenKeyring(dir)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := kr.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	return api.PackSettings{Signer: signer, Keys: kr.PublicKeys(), TempDir: tb.TempDir(),
		Notifier: evidence.Notifier{Name: "Example Monitoring Network", Email: "reports@example.org"}}, kr
}

// packFixture is a server exporting packs signed by a fresh key, with
// store tokens of every role.
func packFixture(t *testing.T, edit ...func(*api.Deps)) (*fixture, *memEvidence, *evidence.Keyring, map[string]string, map[string]string) {
	t.Helper()
	packs, kr := testPackSettings(t)
	tokens := newMemTokens()
	auth, pseudonyms := map[string]string{}, map[string]string{}
	for _, role := range event.Roles {
		tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: role, Label: "Reviewer Real Name"})
		auth[role], pseudonyms[role] = "Bearer "+secret, tok.Pseudonym
	}
	ev := newMemEvidence()
	f := newFixture(t, append([]func(*api.Deps){func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, adminToken)
		d.Evidence = ev
		d.Packs = packs
	}}, edit...)...)
	return f, ev, kr, auth, pseudonyms
}

// TestEvidencePackAPI: an advocate downloads an account's pack and a
// case's; each verifies against the keys the server lists, is recorded
// as the advocate's pseudonym, and names neither a token's label nor a
// note; the other roles are refused.
func TestEvidencePackAPI(t *testing.T) {
	f, ev, _, auth, pseudonyms := packFixture(t)

	// The keys, without a token.
	var keys struct {
		Keys []evidence.KeyInfo `json:"keys"`
	}
	f.getJSON(t, "/api/v1/keys", http.StatusOK, &keys)
	if len(keys.Keys) != 1 || keys.Keys[0].Status != evidence.KeyActive {
		t.Fatalf("keys %+v", keys)
	}

	for _, path := range []string{"/api/v1/accounts/x/44/evidence-pack?profile=x", "/api/v1/cases/1/evidence-pack?status=confirmed,escalated"} {
		resp, body := f.get(t, path, auth[event.RoleAdvocate])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("%s: %d %s %.200s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		id := resp.Header.Get("X-Vigil-Pack-Id")
		if !strings.Contains(resp.Header.Get("Content-Disposition"), "vigil-pack-") || !strings.Contains(resp.Header.Get("Content-Disposition"), id) {
			t.Errorf("%s: Content-Disposition %q", path, resp.Header.Get("Content-Disposition"))
		}
		res, err := evidence.Verify(bytes.NewReader(body), int64(len(body)), keys.Keys)
		if err != nil || !res.OK || res.PackID != id {
			t.Fatalf("%s: verify %+v %v", path, res, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			content, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"Reviewer Real Name", strings.TrimPrefix(auth[event.RoleAdvocate], "Bearer ")} {
				if bytes.Contains(content, []byte(secret)) {
					t.Errorf("%s: %s holds %q", path, zf.Name, secret)
				}
			}
		}
		var rec event.PackRecord
		f.getJSON(t, "/api/v1/packs/"+id, http.StatusOK, &rec)
		if rec.CreatedBy != pseudonyms[event.RoleAdvocate] || rec.Posts != 2 || rec.ManifestSHA256 != resp.Header.Get("X-Vigil-Manifest-Sha256") ||
			rec.KeyID != keys.Keys[0].KeyID {
			t.Errorf("%s: record %+v", path, rec)
		}
	}
	if got := ev.reqs[1]; got.CaseID != 1 || strings.Join(got.Statuses, ",") != "confirmed,escalated" {
		t.Errorf("case request %+v", got)
	}
	_, metrics := f.get(t, "/metrics", "")
	if !strings.Contains(string(metrics), `vigil_api_packs_exported_total{profile="x",subject="account"} 1`) {
		t.Errorf("metrics: no account pack counted")
	}
	// Profiles and subjects never exported are there too, at 0.
	for _, want := range []string{`vigil_api_packs_exported_total{profile="telegram",subject="account"} 0`,
		`vigil_api_packs_exported_total{profile="meta",subject="case"} 0`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics: no %s", want)
		}
	}

	for _, role := range []string{event.RoleViewer, event.RoleMonitor} {
		if resp, _ := f.get(t, "/api/v1/accounts/x/44/evidence-pack", auth[role]); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", role, resp.StatusCode)
		}
	}
	if resp, _ := f.get(t, "/api/v1/accounts/x/44/evidence-pack", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", resp.StatusCode)
	}
	for path, code := range map[string]string{
		"/api/v1/accounts/x/404/evidence-pack":           event.ENOTFOUND,
		"/api/v1/cases/9/evidence-pack":                  event.ENOTFOUND,
		"/api/v1/cases/zero/evidence-pack":               event.EINVALID,
		"/api/v1/accounts/x/44/evidence-pack?profile=qq": event.EINVALID,
		"/api/v1/accounts/x/44/evidence-pack?status=ok":  event.EINVALID,
		"/api/v1/accounts/x/44/evidence-pack?limit=0":    event.EINVALID,
		"/api/v1/accounts/x/44/evidence-pack?full=1":     event.EINVALID,
		"/api/v1/packs/nope":                             event.ENOTFOUND,
	} {
		_, body := f.get(t, path, auth[event.RoleAdvocate])
		checkError(t, body, code, "")
	}
	if n := len(ev.packs); n != 2 {
		t.Errorf("%d packs recorded, want 2 (a refused request records none)", n)
	}
}

// TestEvidencePackUnavailable: without a signing key, or without the
// store, the export routes are 503 and say what to do.
func TestEvidencePackUnavailable(t *testing.T) {
	f, _, _, auth, _ := packFixture(t, func(d *api.Deps) { d.Packs.Signer = nil })
	resp, body := f.get(t, "/api/v1/accounts/x/44/evidence-pack", auth[event.RoleAdvocate])
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
	checkError(t, body, event.EUNAVAILABLE, "vigil keys generate")
	f, _, _, auth, _ = packFixture(t, func(d *api.Deps) { d.Evidence = nil })
	resp, _ = f.get(t, "/api/v1/cases/1/evidence-pack", auth[event.RoleAdmin])
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("no store: %d", resp.StatusCode)
	}
	var keys map[string]json.RawMessage
	f = newFixture(t)
	f.getJSON(t, "/api/v1/keys", http.StatusOK, &keys)
	if string(keys["keys"]) != "[]" {
		t.Errorf("no keys: %s", keys["keys"])
	}
}
