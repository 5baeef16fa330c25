package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

var packTime = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

// testKeyring makes a keyring with one key in a temporary directory.
func testKeyring(tb testing.TB) (*Keyring, *Signer, string) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "keys")
	if _, err := Generate(dir); err != nil {
		tb.Fatal(err)
	}
	kr, err := OpenKeyring(dir)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := kr.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	return kr, s, dir
}

func writePack(tb testing.TB, set *event.EvidenceSet, o Options) ([]byte, *Manifest) {
	tb.Helper()
	var buf bytes.Buffer
	m, err := Write(context.Background(), &buf, set, o)
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), m
}

func verifyBytes(tb testing.TB, b []byte, trusted []KeyInfo) *Result {
	tb.Helper()
	res, err := Verify(bytes.NewReader(b), int64(len(b)), trusted)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// readZip returns the entries of a zip in order, with their contents.
func readZip(tb testing.TB, b []byte) ([]string, map[string][]byte) {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = data
	}
	return names, files
}

// rezip rebuilds a zip with the same entries in the same order, the
// content of each passed through edit: a deliberate edit, with consistent
// CRCs, not corruption.
func rezip(tb testing.TB, b []byte, edit func(name string, data []byte) []byte) []byte {
	tb.Helper()
	names, files := readZip(tb, b)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate, Modified: packTime})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(edit(n, append([]byte(nil), files[n]...))); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// TestPackDoneWhen is issue 6's test: a pack of a synthetic account
// passes sha256sum -c and Verify, and a one-byte edit of any file in it
// fails Verify naming exactly that file.
func TestPackDoneWhen(t *testing.T) {
	kr, signer, _ := testKeyring(t)
	tsa := newTestTSA(t)
	set := demoAccountSet(t)
	pack, m := writePack(t, set, Options{PackID: "demo-pack-1", CreatedAt: packTime, Profile: "x", Signer: signer,
		Version: "0.9.0", Commit: "abc123", Notifier: Notifier{Name: "Example Rights Group", Email: "reports@rights.example"}, TSA: tsa.client()})
	if m.Timestamp == nil || m.Counts.Posts != 3 || m.Counts.Decisions != 4 || m.Signer.KeyID != signer.KeyID() {
		t.Fatalf("manifest = %+v", m)
	}

	// sha256sum -c in the extracted pack.
	sha256sum := lookTool(t, "sha256sum", "coreutils")
	dir := t.TempDir()
	names, files := readZip(t, pack)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(sha256sum, "-c", "--strict", "SHA256SUMS")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), ": OK"); got != len(names)-1 {
		t.Errorf("sha256sum checked %d files, want %d:\n%s", got, len(names)-1, out)
	}

	res := verifyBytes(t, pack, kr.PublicKeys())
	if !res.OK || res.PackID != "demo-pack-1" || res.KeyID != signer.KeyID() || res.Files != len(names) || !res.Timestamp.Equal(testGenTime) {
		t.Fatalf("Verify = %+v, failure %+v", res, res.Failure)
	}

	// One byte flipped, at the start, the middle and the end of each file.
	for _, name := range names {
		size := len(files[name])
		for _, at := range []int{0, size / 2, size - 1} {
			bad := rezip(t, pack, func(n string, data []byte) []byte {
				if n == name {
					data[at] ^= 0x01
				}
				return data
			})
			res := verifyBytes(t, bad, kr.PublicKeys())
			if res.OK || res.Failure == nil || res.Failure.File != name {
				t.Errorf("byte %d of %s flipped: Verify = ok %v, failure %+v; want a failure naming %s", at, name, res.OK, res.Failure, name)
			} else {
				t.Logf("byte %d of %s flipped: %s", at, name, res.Failure)
			}
		}
	}

	// An edit of the manifest that keeps it valid JSON fails the
	// signature, and SHA256SUMS shows that the manifest changed; when
	// SHA256SUMS was rewritten to match, the signature is named.
	editManifest := func(n string, data []byte) []byte {
		if n == fileManifest {
			return bytes.Replace(data, []byte(`"demo-pack-1"`), []byte(`"demo-pack-2"`), 1)
		}
		return data
	}
	bad := rezip(t, pack, editManifest)
	if res := verifyBytes(t, bad, nil); res.OK || res.Failure.File != fileManifest || !strings.Contains(res.Failure.Reason, "changed since it was signed") {
		t.Errorf("manifest edited: %+v", res.Failure)
	}
	_, badFiles := readZip(t, bad)
	bad = rezip(t, bad, func(n string, data []byte) []byte {
		if n == fileChecksums {
			return bytes.Replace(data, []byte(event.SHA256Hex(files[fileManifest])), []byte(event.SHA256Hex(badFiles[fileManifest])), 1)
		}
		return data
	})
	if res := verifyBytes(t, bad, nil); res.OK || res.Failure.File != fileSignature || res.Failure.Reason != "signature does not verify" {
		t.Errorf("manifest and SHA256SUMS edited: %+v", res.Failure)
	}

	// A file added, a file removed.
	extra := rezipAdd(t, pack, "raw/extra.json", []byte("{}"))
	if res := verifyBytes(t, extra, nil); res.OK || res.Failure.File != "raw/extra.json" {
		t.Errorf("file added: %+v", res.Failure)
	}
	for _, gone := range []string{"posts.csv", fileSignature, fileChecksums, fileTimestamp} {
		bad := rezipDrop(t, pack, gone)
		if res := verifyBytes(t, bad, nil); res.OK || res.Failure.File != gone {
			t.Errorf("%s removed: %+v", gone, res.Failure)
		}
	}
	if res := verifyBytes(t, []byte("not a zip"), nil); res.OK || res.Failure.File != "" {
		t.Errorf("not a zip: %+v", res.Failure)
	}
}

func rezipAdd(tb testing.TB, b []byte, name string, data []byte) []byte {
	tb.Helper()
	names, files := readZip(tb, b)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, n := range append(names, name) {
		w, _ := zw.Create(n)
		if n == name {
			w.Write(data)
		} else {
			w.Write(files[n])
		}
	}
	zw.Close()
	return out.Bytes()
}

func rezipDrop(tb testing.TB, b []byte, name string) []byte {
	tb.Helper()
	names, files := readZip(tb, b)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, n := range names {
		if n != name {
			w, _ := zw.Create(n)
			w.Write(files[n])
		}
	}
	zw.Close()
	return out.Bytes()
}

// TestVerifyTimestampLine documents the one case the hashes cannot
// decide: the timestamp is outside the signature, so when it and its
// SHA256SUMS line disagree the timestamp is named.
func TestVerifyTimestampLine(t *testing.T) {
	_, signer, _ := testKeyring(t)
	tsa := newTestTSA(t)
	pack, _ := writePack(t, demoAccountSet(t), Options{CreatedAt: packTime, Profile: "x", Signer: signer, TSA: tsa.client()})
	bad := rezip(t, pack, func(n string, data []byte) []byte {
		if n == fileChecksums {
			// Another hex digit, so that the line still parses.
			i := bytes.Index(data, []byte("  "+fileTimestamp))
			if data[i-1] == '0' {
				data[i-1] = '1'
			} else {
				data[i-1] = '0'
			}
		}
		return data
	})
	if res := verifyBytes(t, bad, nil); res.OK || res.Failure.File != fileTimestamp {
		t.Errorf("Verify = %+v", res.Failure)
	}
}

// TestVerifyCorrupt: a byte of an entry's compressed data changed, so
// that it no longer inflates to bytes with its CRC, names that entry.
func TestVerifyCorrupt(t *testing.T) {
	_, signer, _ := testKeyring(t)
	pack, _ := writePack(t, demoSet(t), Options{CreatedAt: packTime, Signer: signer})
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), pack...)
		bad[off+int64(f.CompressedSize64/2)] ^= 0x10
		res := verifyBytes(t, bad, nil)
		if res.OK || res.Failure.File != f.Name {
			t.Errorf("compressed byte of %s changed: %+v", f.Name, res.Failure)
		}
	}
}

// TestKeyRotation: a pack signed before a rotation still verifies against
// the keyring's keys; a pack from a key the keyring never had does not.
func TestKeyRotation(t *testing.T) {
	kr, key1, dir := testKeyring(t)
	old, _ := writePack(t, demoAccountSet(t), Options{CreatedAt: packTime, Profile: "x", Signer: key1})
	info2, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	kr, err = OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := kr.PublicKeys()
	if len(keys) != 2 {
		t.Fatalf("keys = %+v", keys)
	}
	for _, k := range keys {
		want := KeyRetired
		if k.KeyID == info2.KeyID {
			want = KeyActive
		}
		if k.Status != want || k.Algorithm != "ed25519" {
			t.Errorf("key %s: %+v, want status %s", k.KeyID, k, want)
		}
	}
	if s, err := kr.Signer(); err != nil || s.KeyID() != info2.KeyID {
		t.Fatalf("signer after rotation: %v, %v", s, err)
	}
	if _, err := os.Stat(filepath.Join(dir, key1.KeyID()+".key")); err != nil {
		t.Errorf("the retired private key was not kept: %v", err)
	}
	if res := verifyBytes(t, old, keys); !res.OK {
		t.Errorf("old pack after rotation: %+v", res.Failure)
	}
	newPack, _ := writePack(t, demoAccountSet(t), Options{CreatedAt: packTime, Profile: "x", Signer: mustSigner(t, kr)})
	if res := verifyBytes(t, newPack, keys); !res.OK || res.KeyID != info2.KeyID {
		t.Errorf("new pack: %+v", res)
	}

	_, stranger, _ := testKeyring(t)
	foreign, _ := writePack(t, demoAccountSet(t), Options{CreatedAt: packTime, Profile: "x", Signer: stranger})
	res := verifyBytes(t, foreign, keys)
	if res.OK || res.Failure.File != fileSignature || !strings.Contains(res.Failure.Reason, "signed by an unknown key") {
		t.Errorf("pack from an unknown key: %+v", res.Failure)
	}
	if res := verifyBytes(t, foreign, nil); !res.OK {
		t.Errorf("with no trusted keys, any intact pack verifies: %+v", res.Failure)
	}
}

func mustSigner(tb testing.TB, kr *Keyring) *Signer {
	tb.Helper()
	s, err := kr.Signer()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestPackNoNames: no reviewer name, decision note or other case of the
// team appears in any file of a pack; the pseudonyms do.
func TestPackNoNames(t *testing.T) {
	_, signer, _ := testKeyring(t)
	pack, _ := writePack(t, demoSet(t), Options{CreatedAt: packTime, Signer: signer})
	names, files := readZip(t, pack)
	for _, n := range names {
		for _, secret := range []string{realName, "checked with", otherCaseTitle} {
			if bytes.Contains(files[n], []byte(secret)) {
				t.Errorf("%s holds %q", n, secret)
			}
		}
	}
	for _, n := range []string{"review.jsonl", "report.html", "posts.jsonl"} {
		if !bytes.Contains(files[n], []byte("lead-a1b2")) {
			t.Errorf("%s lacks the reviewer pseudonym", n)
		}
	}
}

func TestPackContents(t *testing.T) {
	_, signer, _ := testKeyring(t)
	set := demoSet(t)
	var progress []int
	pack, m := writePack(t, set, Options{PackID: "p1", CreatedAt: packTime, Signer: signer, Version: "0.9.0",
		Progress: func(done, total int) { progress = append(progress, done, total) }})
	names, files := readZip(t, pack)

	want := []string{"posts.jsonl", "posts.csv", "review.jsonl", "accounts.json", "notice.txt",
		"raw/00001-1999000000000000901.json", "raw/00002-1999000000000000902.json", "raw/00003-1999000000000000903.json",
		"raw/00004-1999000000000000904.json", "raw/00005-c1001234567890_905___.html", "report.html",
		"manifest.json", "manifest.json.sig", "SHA256SUMS"}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if m.Profile != "x" || m.Case == nil || m.Case.ID != 7 || len(m.Lexicons) != 1 || m.Counts != (Counts{Posts: 5, Accounts: 2, Decisions: 7}) {
		t.Errorf("manifest = %+v", m)
	}
	if n := len(progress); n == 0 || progress[n-2] != progress[n-1] || progress[n-1] != len(names) {
		t.Errorf("progress = %v", progress)
	}
	if m.SHA256 != event.SHA256Hex(files["manifest.json"]) {
		t.Error("Manifest.SHA256 is not the hash of manifest.json")
	}
	var mf Manifest
	if err := json.Unmarshal(files["manifest.json"], &mf); err != nil || len(mf.Files) != 11 || mf.Files[0].Path != "accounts.json" {
		t.Errorf("manifest.json: %v %+v", err, mf.Files)
	}

	// Raw payloads byte for byte, and posts.jsonl pointing at them.
	lines := strings.Split(strings.TrimSuffix(string(files["posts.jsonl"]), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("posts.jsonl has %d lines", len(lines))
	}
	for i, l := range lines {
		var p postLine
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		ep := set.Posts[i]
		if !bytes.Equal(files[p.RawFile], ep.Post.Raw) || p.RawSHA256 != ep.RawSHA256 || p.Text != ep.Post.Text {
			t.Errorf("post %d: raw file %s differs from the payload", i, p.RawFile)
		}
		if p.Decision == nil || p.Decision.Reviewer != ep.Flag.Decision.Reviewer || p.Flag.ID != ep.Flag.ID || len(p.Flag.Matches) != len(ep.Flag.Matches) {
			t.Errorf("post %d: %+v", i, p)
		}
		if !slices.Equal(p.Flag.Regions, nonNil(ep.Flag.Regions)) || !slices.Equal(p.Flag.Groups, nonNil(ep.Flag.Groups)) ||
			!slices.Equal(p.Flag.Places, nonNil(ep.Flag.Places)) {
			t.Errorf("post %d: groups %q regions %q places %q, want the flag's", i, p.Flag.Groups, p.Flag.Regions, p.Flag.Places)
		}
	}
	// Named or not, the lists are present: [] when empty.
	for i, want := range []string{`"groups":[],"regions":[],"places":[]`, `"groups":["minority"],"regions":["example_region","other_region"],"places":["example_town"]`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("posts.jsonl line %d lacks %s", i+1, want)
		}
	}
	if !strings.Contains(lines[2], `<script>`) {
		t.Error("posts.jsonl escaped the text's HTML")
	}
	if got := strings.Count(string(files["review.jsonl"]), "\n"); got != 7 {
		t.Errorf("review.jsonl has %d lines", got)
	}

	// posts.csv: a BOM, the columns, a defused formula, Burmese intact.
	csvData := files["posts.csv"]
	if !bytes.HasPrefix(csvData, []byte("\ufeff")) {
		t.Error("posts.csv has no byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(csvData[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || strings.Join(rows[0], ",") != strings.Join(CSVColumns, ",") {
		t.Fatalf("posts.csv: %d rows, header %q", len(rows), rows[0])
	}
	col := func(name string) int {
		for i, c := range CSVColumns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	if got := rows[3][col("text")]; !strings.HasPrefix(got, "'=HYPERLINK(") {
		t.Errorf("formula not defused: %q", got)
	}
	if got := rows[1][col("text")]; got != set.Posts[0].Post.Text {
		t.Errorf("Burmese text in posts.csv = %q", got)
	}
	if got := rows[1][col("policy")]; got != "Hateful conduct; Violent speech" {
		t.Errorf("policy = %q", got)
	}
	if got := rows[4][col("policy")]; got != "Private information and media; Violent speech" {
		t.Errorf("policy with a list hit = %q", got)
	}
	if got := rows[1][col("translation")]; got != "The Bengalis must be killed. They are vermin." {
		t.Errorf("translation = %q", got)
	}
	if got := rows[2][col("regions")] + " / " + rows[2][col("groups")]; got != "example_region;other_region / minority" {
		t.Errorf("regions / groups = %q", got)
	}
	if got := rows[1][col("regions")] + rows[1][col("groups")]; got != "" {
		t.Errorf("regions and groups of a post naming none = %q", got)
	}

	// accounts.json: the accounts, without the cases that hold them.
	var accts []map[string]any
	if err := json.Unmarshal(files["accounts.json"], &accts); err != nil || len(accts) != 2 {
		t.Fatalf("accounts.json: %v, %d accounts", err, len(accts))
	}
	if _, ok := accts[0]["cases"]; ok || accts[0]["handle_history"] == nil {
		t.Errorf("accounts.json: %v", accts[0])
	}

	// notice.txt: every URL, the policy, the notifier placeholder and
	// the statement once per post.
	notice := string(files["notice.txt"])
	for _, ep := range set.Posts {
		if !strings.Contains(notice, "Exact electronic location (URL): "+ep.Post.URL+"\n") {
			t.Errorf("notice lacks %s", ep.Post.URL)
		}
	}
	if strings.Count(notice, GoodFaithStatement) != 5 || strings.Count(notice, "[notifier's name] <[email address]>") != 5 {
		t.Error("the notice lacks a statement or notifier per post")
	}
	if !strings.Contains(notice, `It breaks X's policy "Private information and media"`) || !strings.Contains(notice, `on the list "doxing_channels"`) {
		t.Errorf("notice explanation:\n%s", notice)
	}

	// The same inputs give the same bytes.
	again, _ := writePack(t, set, Options{PackID: "p1", CreatedAt: packTime, Signer: signer, Version: "0.9.0"})
	if !bytes.Equal(pack, again) {
		t.Error("two packs of the same inputs differ")
	}
}

func TestWriteRefuses(t *testing.T) {
	_, signer, _ := testKeyring(t)
	set := demoSet(t)
	set.Posts[2].Post.Raw = append([]byte(nil), set.Posts[2].Post.Raw...)
	set.Posts[2].Post.Raw[5] ^= 1
	_, err := Write(context.Background(), io.Discard, set, Options{Signer: signer})
	if event.ErrorCode(err) != event.ECONFLICT || !strings.Contains(err.Error(), "x/1999000000000000903") {
		t.Errorf("changed raw payload: %v", err)
	}
	for _, tt := range []struct {
		name string
		o    Options
		want string
	}{
		{"no signer", Options{}, "no signing key"},
		{"bad profile", Options{Signer: signer, Profile: "myspace"}, "known profiles are meta, telegram, tiktok, x, youtube"},
		{"bad id", Options{Signer: signer, PackID: "../x"}, "pack id"},
	} {
		if _, err := Write(context.Background(), io.Discard, demoSet(t), tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	mixed := demoSet(t)
	mixed.Posts[0].Post.Platform = "telegram"
	if _, err := Write(context.Background(), io.Discard, mixed, Options{Signer: signer}); event.ErrorCode(err) != event.EINVALID {
		t.Errorf("posts of two platforms without a profile: %v", err)
	}
}

// TestSignatureOpenSSL: the signature checks with OpenSSL as report.html
// tells a reader to do it.
func TestSignatureOpenSSL(t *testing.T) {
	openssl := lookTool(t, "openssl", "openssl")
	_, signer, dir := testKeyring(t)
	pack, _ := writePack(t, demoAccountSet(t), Options{CreatedAt: packTime, Profile: "x", Signer: signer})
	_, files := readZip(t, pack)
	tmp := t.TempDir()
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(files[fileSignature])))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "manifest.json"), files[fileManifest], 0o644)
	os.WriteFile(filepath.Join(tmp, "sig.bin"), sig, 0o644)
	pub := filepath.Join(dir, signer.KeyID()+".pub")
	out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin",
		"-in", filepath.Join(tmp, "manifest.json"), "-sigfile", filepath.Join(tmp, "sig.bin")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
		t.Fatalf("openssl pkeyutl -verify: %v\n%s", err, out)
	}
	// And the private key file is one OpenSSL reads, with the same
	// public key.
	out, err = exec.Command(openssl, "pkey", "-in", filepath.Join(dir, signer.KeyID()+".key"), "-pubout").CombinedOutput()
	want, _ := os.ReadFile(pub)
	if err != nil || string(out) != string(want) {
		t.Errorf("openssl pkey -pubout: %v\n%s\nwant\n%s", err, out, want)
	}
}

// TestVerifyRefusesHugeMeta: a manifest (or SHA256SUMS) that inflates
// past the ceiling is refused by name before it is read into memory,
// while the ceiling still holds the manifest of the largest pack.
func TestVerifyRefusesHugeMeta(t *testing.T) {
	_, signer, _ := testKeyring(t)
	set := demoSet(t)
	pack, _ := writePack(t, set, Options{CreatedAt: packTime, Signer: signer})
	_, files := readZip(t, pack)
	perPost := len(files[fileManifest])/len(set.Posts) + 1
	if need := int64(perPost) * event.MaxEvidencePosts; need > maxMetaBytes/2 {
		t.Fatalf("a manifest of %d posts needs about %d bytes, too close to the %d-byte ceiling", event.MaxEvidencePosts, need, maxMetaBytes)
	}

	defer func(old int64) { maxMetaBytes = old }(maxMetaBytes)
	// The ceiling at the largest kept file of the real pack: only the
	// grown file passes it.
	maxMetaBytes = 0
	for n, data := range files {
		if isPackMeta(n) {
			maxMetaBytes = max(maxMetaBytes, int64(len(data)))
		}
	}
	for _, name := range []string{fileManifest, fileChecksums} {
		big := rezip(t, pack, func(n string, data []byte) []byte {
			if n == name {
				return append(data, bytes.Repeat([]byte(" "), 1<<20)...)
			}
			return data
		})
		res := verifyBytes(t, big, nil)
		if res.OK || res.Failure.File != name || !strings.Contains(res.Failure.Reason, "not read further") {
			t.Errorf("%s of a MiB: %+v", name, res.Failure)
		}
	}
	// The largest kept file is exactly the ceiling: the pack verifies.
	if res := verifyBytes(t, pack, nil); !res.OK {
		t.Fatalf("kept files up to the ceiling: %+v", res.Failure)
	}
}
