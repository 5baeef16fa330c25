package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testTSA is an RFC 3161 authority for tests. Its tokens are CMS
// SignedData carrying a real TSTInfo with an empty signerInfos set: they
// are not signed (Vigil does not check a TSA's signature, and openssl ts
// -reply parses them), so a test can build any answer it needs.
type testTSA struct {
	*httptest.Server
	// mode: "" answers correctly; "reject" with status rejection;
	// "imprint" with another digest; "nonce" with another nonce; "type"
	// with the wrong Content-Type.
	mode     string
	requests int
}

var testGenTime = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

func newTestTSA(tb testing.TB) *testTSA {
	tb.Helper()
	t := &testTSA{}
	t.Server = httptest.NewServer(http.HandlerFunc(t.serve))
	tb.Cleanup(t.Close)
	return t
}

func (t *testTSA) client() *TSAClient {
	return &TSAClient{URL: t.URL + "/tsr", HTTPClient: t.Server.Client()}
}

type testTSTInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time `asn1:"generalized"`
	Nonce          *big.Int  `asn1:"optional"`
}

type testSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     []byte `asn1:"explicit,tag:0"`
	}
	SignerInfos []asn1.RawValue `asn1:"set"`
}

type testStatus struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"`
}

type testResp struct {
	Status testStatus
	Token  asn1.RawValue `asn1:"optional"`
}

func (t *testTSA) serve(w http.ResponseWriter, r *http.Request) {
	t.requests++
	body, _ := io.ReadAll(r.Body)
	var req timeStampReq
	if r.Header.Get("Content-Type") != "application/timestamp-query" {
		http.Error(w, "bad content type", http.StatusBadRequest)
		return
	}
	if _, err := asn1.Unmarshal(body, &req); err != nil || req.Version != 1 || !req.CertReq || req.Nonce == nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ctype := "application/timestamp-reply"
	if t.mode == "type" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	if t.mode == "reject" {
		der, _ := asn1.Marshal(testResp{Status: testStatus{Status: 2, StatusString: []asn1.RawValue{{Tag: asn1.TagUTF8String, Bytes: []byte("unsupported policy")}}}})
		w.Write(der)
		return
	}
	imprint := req.MessageImprint
	if t.mode == "imprint" {
		other := sha256.Sum256([]byte("something else"))
		imprint.HashedMessage = other[:]
	}
	nonce := req.Nonce
	if t.mode == "nonce" {
		nonce = new(big.Int).Add(nonce, big.NewInt(1))
	}
	tst, err := asn1.Marshal(testTSTInfo{Version: 1, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
		MessageImprint: imprint, SerialNumber: big.NewInt(int64(t.requests)), GenTime: testGenTime, Nonce: nonce})
	if err != nil {
		panic(err)
	}
	var sd testSignedData
	sd.Version = 3
	sd.DigestAlgorithms = []pkix.AlgorithmIdentifier{{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}}
	sd.EncapContentInfo.EContentType = oidTSTInfo
	sd.EncapContentInfo.EContent = tst
	sd.SignerInfos = []asn1.RawValue{}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		panic(err)
	}
	ci, err := asn1.Marshal(contentInfo{ContentType: oidSignedData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
	if err != nil {
		panic(err)
	}
	der, err := asn1.Marshal(testResp{Status: testStatus{Status: 0}, Token: asn1.RawValue{FullBytes: ci}})
	if err != nil {
		panic(err)
	}
	w.Write(der)
}

func TestTimestamp(t *testing.T) {
	tsa := newTestTSA(t)
	digest := sha256.Sum256([]byte("manifest"))
	der, err := tsa.client().Timestamp(context.Background(), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	info, err := parseTimeStampResp(der)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(info.MessageImprint.HashedMessage, digest[:]) || !info.GenTime.Equal(testGenTime) {
		t.Errorf("TSTInfo = imprint %x, time %v", info.MessageImprint.HashedMessage, info.GenTime)
	}

	// openssl reads the response as a TimeStampResp.
	openssl := lookTool(t, "openssl", "openssl")
	path := filepath.Join(t.TempDir(), "manifest.json.tsr")
	if err := os.WriteFile(path, der, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "ts", "-reply", "-in", path, "-text").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl ts -reply: %v\n%s", err, out)
	}
	for _, want := range []string{"Status: Granted.", "Hash Algorithm: sha256", "Nov 20 10:30:00 2026 GMT"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("openssl ts -reply -text lacks %q:\n%s", want, out)
		}
	}
	// openssl prints the imprint as hex bytes split with spaces and dashes.
	flat := strings.NewReplacer(" ", "", "-", "", "\n", "").Replace(string(out))
	if !strings.Contains(strings.ToLower(flat), hex.EncodeToString(digest[:8])) {
		t.Errorf("openssl output lacks the imprint %x:\n%s", digest, out)
	}
}

func TestTimestampRefused(t *testing.T) {
	digest := sha256.Sum256([]byte("manifest"))
	for _, tt := range []struct{ mode, want string }{
		{"reject", "status rejection (2): unsupported policy"},
		{"imprint", "message imprint is not the SHA-256"},
		{"nonce", "nonce is not the request's"},
		{"type", "not application/timestamp-reply"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			tsa := newTestTSA(t)
			tsa.mode = tt.mode
			_, err := tsa.client().Timestamp(context.Background(), digest[:])
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := (&TSAClient{URL: "http://127.0.0.1:1"}).Timestamp(context.Background(), digest[:4]); err == nil {
		t.Error("a 4-byte digest was accepted")
	}
}

// lookTool finds a command the tests need, failing with the Debian
// package that provides it.
func lookTool(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s is not installed: install the Debian package %s (scripts/services installs it in CI)", name, pkg)
	}
	return p
}
