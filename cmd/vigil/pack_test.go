package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The demo account whose posts the pack test reviews and exports.
const (
	packPlatform = "x"
	packAccount  = "4400000901" // example_general_7 in examples/posts.jsonl
)

// TestPackEndToEnd is issue 6's walk through, on the demo pipeline: a
// monitor confirms a demo account's flags, an advocate exports the
// account's pack; `sha256sum -c` and `vigil pack verify` pass on it; a
// byte changed in any one file makes verify fail naming that file; after
// `vigil keys generate` (rotation) the old pack still verifies against the
// listed keys and `vigil pack export` signs with the new key; a takedown
// request for the pack is tracked to actioned, with its time to action in
// the metrics; nothing in the pack names a token's label or holds a
// secret, and the audit log, with the export in it, verifies.
func TestPackEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Fatal("sha256sum is missing: install Debian's coreutils")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	r := MustRunMain(t, nil, data, targetAll)

	type flag struct {
		ID       int64  `json:"id"`
		AuthorID string `json:"author_id"`
	}
	var pending struct {
		Flags []flag `json:"flags"`
	}
	eventually(t, 60*time.Second, "the demo account's flags stored", func() (bool, string) {
		apiCall(t, "GET", r.base+"/api/v1/flags?status=pending&platform=x&limit=500", testToken, "", &pending)
		n := 0
		for _, f := range pending.Flags {
			if f.AuthorID == packAccount {
				n++
			}
		}
		return n >= 2, strconv.Itoa(n)
	})
	newToken := func(role string) (secret, pseudonym string) {
		var created struct {
			Token struct {
				Pseudonym string `json:"pseudonym"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		body := fmt.Sprintf(`{"role":%q,"label":"Reviewer Real Name %s"}`, role, role)
		if code := apiCall(t, "POST", r.base+"/api/v1/tokens", testToken, body, &created); code != 201 {
			t.Fatalf("create %s token: %d", role, code)
		}
		return created.Secret, created.Token.Pseudonym
	}
	monitor, monitorPseudonym := newToken("monitor")
	advocate, advocatePseudonym := newToken("advocate")

	// The monitor claims the demo's queue and confirms the account's flags.
	var claim struct {
		Flags []flag `json:"flags"`
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/queue/claim", monitor, `{"limit":100}`, &claim); code != 200 {
		t.Fatalf("claim: %d", code)
	}
	confirmed := 0
	for _, f := range claim.Flags {
		if f.AuthorID != packAccount {
			continue
		}
		body := `{"decision":"confirm","note":"Reviewer Real Name thinks so","translation":"A synthetic translation."}`
		if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(f.ID, 10)+"/decision", monitor, body, nil); code != 200 {
			t.Fatalf("confirm %d: %d", f.ID, code)
		}
		confirmed++
	}
	if confirmed < 2 {
		t.Fatalf("confirmed %d of the account's flags, want at least 2", confirmed)
	}

	// The advocate exports the account's pack.
	pack := filepath.Join(dir, "pack.zip")
	req, _ := http.NewRequest("GET", r.base+"/api/v1/accounts/"+packPlatform+"/"+packAccount+"/evidence-pack?profile=x", nil)
	req.Header.Set("Authorization", "Bearer "+advocate)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zipBytes, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("export: %d %s", res.StatusCode, zipBytes)
	}
	packID := res.Header.Get("X-Vigil-Pack-Id")
	if err := os.WriteFile(pack, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	files := unzipTo(t, pack, filepath.Join(dir, "unpacked"))

	// Only pseudonyms: no token's label, no secret, no note.
	for name, content := range files {
		for _, secret := range []string{"Reviewer Real Name", monitor, advocate, testToken} {
			if bytes.Contains(content, []byte(secret)) {
				t.Errorf("%s holds %q", name, secret)
			}
		}
	}
	if !bytes.Contains(files["review.jsonl"], []byte(monitorPseudonym)) {
		t.Errorf("review.jsonl does not name the monitor's pseudonym %s", monitorPseudonym)
	}
	if n := bytes.Count(files["posts.jsonl"], []byte("\n")); n != confirmed {
		t.Errorf("posts.jsonl has %d posts, want the %d confirmed", n, confirmed)
	}

	cmd := exec.Command("sha256sum", "-c", "--strict", "SHA256SUMS")
	cmd.Dir = filepath.Join(dir, "unpacked")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	if code, out, errs := runVigil(t, "pack", "verify", pack); code != exitOK || !strings.HasPrefix(out, "OK ") {
		t.Fatalf("pack verify: exit %d\n%s%s", code, out, errs)
	}

	// One byte changed in any one file: verify names that file.
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	for i, name := range names {
		bad := filepath.Join(dir, "bad-"+strconv.Itoa(i)+".zip")
		rewriteZip(t, pack, bad, name)
		code, out, errs := runVigil(t, "pack", "verify", "--json", bad)
		var v struct {
			OK      bool `json:"ok"`
			Failure struct {
				File string `json:"file"`
			} `json:"failure"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%s changed: %v\n%s%s", name, err, out, errs)
		}
		if code != exitFail || v.OK || v.Failure.File != name || !strings.Contains(errs, name) {
			t.Errorf("%s changed: exit %d, failure in %q (want %q)\n%s", name, code, v.Failure.File, name, errs)
		}
	}

	// A takedown request for the pack, tracked to actioned.
	var td struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	body := fmt.Sprintf(`{"platform":"x","channel":"X trusted flagger portal","pack_id":%q,"accounts":[{"platform":%q,"id":%q}],"sent_at":%q}`,
		packID, packPlatform, packAccount, time.Now().Add(-50*time.Hour).UTC().Format(time.RFC3339))
	if code := apiCall(t, "POST", r.base+"/api/v1/takedowns", advocate, body, &td); code != 201 || td.Status != "sent" {
		t.Fatalf("takedown: %d %+v", code, td)
	}
	for _, st := range []string{"acknowledged", "actioned"} {
		if code := apiCall(t, "POST", r.base+"/api/v1/takedowns/"+strconv.FormatInt(td.ID, 10)+"/status", advocate,
			`{"status":"`+st+`","reference":"X-REF-0001"}`, &td); code != 200 || td.Status != st {
			t.Fatalf("takedown %s: %d %+v", st, code, td)
		}
	}
	metrics := scrape(t, r.base)
	for _, want := range []string{`vigil_takedown_requests{status="actioned"} 1`, `vigil_takedown_time_to_action_seconds_count 1`,
		`vigil_api_packs_exported_total{profile="x",subject="account"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics: no %s", want)
		}
	}
	var keys bytes.Buffer
	if code := apiCall(t, "GET", r.base+"/api/v1/keys", "", "", nil); code != 200 {
		t.Errorf("GET /api/v1/keys without a token: %d", code)
	}
	r.stop(t)

	// Rotation: a new key signs from now on; the old pack still verifies
	// against the listed keys, the new one's key is the new key.
	code, out, errs := runVigil(t, "keys", "generate", "--data-dir", data, "--json")
	if code != exitOK {
		t.Fatalf("keys generate: exit %d %s", code, errs)
	}
	var newKey struct {
		KeyID string `json:"key_id"`
	}
	json.Unmarshal([]byte(out), &newKey)
	code, out, _ = runVigil(t, "keys", "list", "--data-dir", data, "--json")
	keys.WriteString(out)
	keysFile := filepath.Join(dir, "keys.json")
	os.WriteFile(keysFile, keys.Bytes(), 0o600)
	if code != exitOK || strings.Count(out, `"retired"`) != 1 || strings.Count(out, `"active"`) != 1 {
		t.Fatalf("keys list: exit %d\n%s", code, out)
	}
	if code, out, errs := runVigil(t, "pack", "verify", "--keys", keysFile, pack); code != exitOK || !strings.Contains(out, "trusted key") {
		t.Errorf("the old pack against the rotated keys: exit %d\n%s%s", code, out, errs)
	}
	other := filepath.Join(dir, "other-keys")
	runVigil(t, "keys", "generate", "--keys-dir", other)
	if code, _, errs := runVigil(t, "pack", "verify", "--keys-dir", other, pack); code != exitFail || !strings.Contains(errs, "manifest.json.sig") {
		t.Errorf("a pack against someone else's keys: exit %d %s", code, errs)
	}
	pack2 := filepath.Join(dir, "pack2.zip")
	code, out, errs = runVigil(t, "pack", "export", "--data-dir", data, "--account", packPlatform+"/"+packAccount, "--out", pack2, "--as", "advocate-cli", "--json")
	var exported packExportResult
	if code != exitOK || json.Unmarshal([]byte(out), &exported) != nil || exported.KeyID != newKey.KeyID || exported.Posts != confirmed {
		t.Fatalf("pack export: exit %d %+v\n%s%s", code, exported, out, errs)
	}
	if code, out, errs := runVigil(t, "pack", "verify", "--keys", keysFile, pack2); code != exitOK {
		t.Errorf("pack verify of the CLI's pack: exit %d\n%s%s", code, out, errs)
	}

	// The audit log holds both exports and the takedown, as pseudonyms,
	// and verifies.
	code, out, errs = runVigil(t, "audit", "verify", "--data-dir", data)
	if code != exitOK {
		t.Fatalf("audit verify: exit %d %s%s", code, out, errs)
	}
	_ = advocatePseudonym
}

// unzipTo extracts the zip at path into dir and returns its files.
func unzipTo(t *testing.T, path, dir string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// rewriteZip copies the zip at from to to with one byte of name's content
// changed: an edit made with a zip tool, whose checksums agree.
func rewriteZip(t *testing.T, from, to, name string) {
	t.Helper()
	zr, err := zip.OpenReader(from)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name && len(b) > 0 {
			b[len(b)/2] ^= 0x01
		}
		h := f.FileHeader
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// scrape returns the text of base's /metrics.
func scrape(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// TestBenchPack: `vigil bench pack` seeds, confirms and exports what it
// says, for an account and for a case.
func TestBenchPack(t *testing.T) {
	for _, accounts := range []string{"1", "3"} {
		code, out, errs := runVigil(t, "bench", "pack", "--posts", "30", "--accounts", accounts, "--runs", "2", "--json")
		var res packBenchResult
		if code != exitOK || json.Unmarshal([]byte(out), &res) != nil {
			t.Fatalf("bench pack --accounts %s: exit %d\n%s%s", accounts, code, out, errs)
		}
		if res.Posts != 30 || strconv.Itoa(res.Accounts) != accounts || len(res.Totals) != 2 || res.PackBytes < 30*600 ||
			res.Total <= 0 || res.Gather <= 0 || res.Write <= 0 {
			t.Errorf("bench pack --accounts %s: %+v", accounts, res)
		}
	}
}
