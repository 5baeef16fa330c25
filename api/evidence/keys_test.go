package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/event"
)

func TestKeyring(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	kr, err := OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Signer(); event.ErrorCode(err) != event.ENOTFOUND || !strings.Contains(err.Error(), "vigil keys generate") {
		t.Errorf("Signer of an empty keyring: %v", err)
	}
	if len(kr.PublicKeys()) != 0 {
		t.Error("an empty keyring lists keys")
	}

	info, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.KeyID) != 16 || info.Status != KeyActive || info.Algorithm != Algorithm || info.CreatedAt.IsZero() {
		t.Errorf("Generate = %+v", info)
	}
	st, err := os.Stat(filepath.Join(dir, info.KeyID+".key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("private key file: %v, mode %v", err, st.Mode())
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("keyring directory mode %v", st.Mode())
	}
	active, _ := os.ReadFile(filepath.Join(dir, "active"))
	if string(active) != info.KeyID+"\n" {
		t.Errorf("active = %q", active)
	}

	kr, err = OpenKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := kr.Signer()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := base64.StdEncoding.DecodeString(kr.PublicKeys()[0].PublicKey)
	if s.KeyID() != info.KeyID || KeyID(pub) != info.KeyID || !ed25519.Verify(pub, []byte("m"), s.Sign([]byte("m"))) {
		t.Error("the signer does not match the listed public key")
	}

	// The same key from the environment's PEM.
	pemBytes, _ := os.ReadFile(filepath.Join(dir, info.KeyID+".key"))
	s2, err := SignerFromPEM(pemBytes)
	if err != nil || s2.KeyID() != info.KeyID {
		t.Errorf("SignerFromPEM: %v, %v", s2, err)
	}
	for _, bad := range []string{"", "not pem", string(must(os.ReadFile(filepath.Join(dir, info.KeyID+".pub"))))} {
		if _, err := SignerFromPEM([]byte(bad)); event.ErrorCode(err) != event.EINVALID {
			t.Errorf("SignerFromPEM(%.20q): %v", bad, err)
		}
	}

	// A public key under another key's name is refused.
	if err := os.WriteFile(filepath.Join(dir, "0000000000000000.pub"), pemBytesOfPub(t, dir, info.KeyID), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(dir); err == nil || !strings.Contains(err.Error(), "the file name must be its key id") {
		t.Errorf("misnamed public key: %v", err)
	}
}

func pemBytesOfPub(tb testing.TB, dir, id string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, id+".pub"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
