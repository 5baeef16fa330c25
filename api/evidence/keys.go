package evidence

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Algorithm is the only signature algorithm packs use.
const Algorithm = "ed25519"

// Key statuses: a keyring has at most one active key; the keys it signed
// with before a rotation stay listed as retired, so that packs signed
// with them still verify.
const (
	KeyActive  = "active"
	KeyRetired = "retired"
)

// KeyInfo describes a public signing key, as the api lists them for
// anyone who wants to check a pack.
type KeyInfo struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`
	// PublicKey is the 32-byte Ed25519 public key in standard base64.
	PublicKey string    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"`
}

// KeyID returns the id of an Ed25519 public key: the first 16 hex digits
// of the SHA-256 of its 32 bytes.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Signer signs pack manifests with one Ed25519 private key.
type Signer struct {
	id   string
	priv ed25519.PrivateKey
}

// KeyID returns the id of the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// PublicKey returns the signer's public key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// Sign returns the Ed25519 signature of msg.
func (s *Signer) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }

// SignerFromPEM reads a PKCS#8 PEM "PRIVATE KEY" holding an Ed25519 key:
// the form `vigil keys generate` writes, so that a deployment can give
// the key in the environment (VIGIL_SIGNING_KEY) instead of a file.
func SignerFromPEM(b []byte) (*Signer, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, event.Errorf(event.EINVALID, "signing key: not a PEM \"PRIVATE KEY\" block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, event.Errorf(event.EINVALID, "signing key: %v", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, event.Errorf(event.EINVALID, "signing key: a %T, not an Ed25519 key", k)
	}
	return &Signer{id: KeyID(priv.Public().(ed25519.PublicKey)), priv: priv}, nil
}

// A Keyring is a directory of signing keys (the api uses DATA_DIR/keys):
//
//	<keyid>.key   the private key, PKCS#8 PEM "PRIVATE KEY", mode 0600
//	<keyid>.pub   the public key, PKIX PEM "PUBLIC KEY"
//	active        one line: the id of the key that signs new packs
//
// Generate adds a key and makes it active. Rotation keeps the old key
// pair: its public key stays listed as retired so that the packs it
// signed still verify, and its private key stays on disk, unused, so that
// an operator decides when to delete it (by hand: delete <keyid>.key and
// keep <keyid>.pub). Anyone who can read a .key file can sign packs in
// the team's name: the directory should be readable by Vigil alone.
type Keyring struct {
	dir    string
	active string
	keys   []KeyInfo
}

const activeFile = "active"

// Generate makes a new Ed25519 key pair in dir (created with mode 0700
// when missing) and makes it the active key. The previous keys are kept.
func Generate(dir string) (KeyInfo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return KeyInfo{}, fmt.Errorf("keyring %s: %w", dir, err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return KeyInfo{}, err
	}
	id := KeyID(pub)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return KeyInfo{}, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return KeyInfo{}, err
	}
	// O_EXCL: a key id collision (impossible in practice) must never
	// overwrite a key that signed packs.
	if err := writeNew(filepath.Join(dir, id+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return KeyInfo{}, err
	}
	if err := writeNew(filepath.Join(dir, id+".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return KeyInfo{}, err
	}
	// The active file is replaced by a rename so that a reader never sees
	// it half written.
	tmp := filepath.Join(dir, activeFile+".tmp")
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return KeyInfo{}, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, activeFile)); err != nil {
		return KeyInfo{}, err
	}
	kr, err := OpenKeyring(dir)
	if err != nil {
		return KeyInfo{}, err
	}
	for _, k := range kr.keys {
		if k.KeyID == id {
			return k, nil
		}
	}
	return KeyInfo{}, fmt.Errorf("keyring %s: new key %s not found after writing it", dir, id)
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// OpenKeyring reads the public keys of the keyring in dir. A missing
// directory is an empty keyring: Signer then says how to make a key.
func OpenKeyring(dir string) (*Keyring, error) {
	kr := &Keyring{dir: dir}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return kr, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", dir, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, activeFile)); err == nil {
		kr.active = strings.TrimSpace(string(b))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("keyring %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".pub") {
			continue
		}
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		pub, err := parsePublicPEM(b)
		if err != nil {
			return nil, event.Errorf(event.EINVALID, "keyring: %s: %v", path, err)
		}
		id := KeyID(pub)
		if name != id+".pub" {
			return nil, event.Errorf(event.EINVALID, "keyring: %s holds key %s: the file name must be its key id", path, id)
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		status := KeyRetired
		if id == kr.active {
			status = KeyActive
		}
		kr.keys = append(kr.keys, KeyInfo{
			KeyID: id, Algorithm: Algorithm, PublicKey: base64.StdEncoding.EncodeToString(pub),
			CreatedAt: info.ModTime().UTC().Truncate(time.Second), Status: status,
		})
	}
	sort.Slice(kr.keys, func(i, j int) bool {
		a, b := kr.keys[i], kr.keys[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.KeyID < b.KeyID
	})
	return kr, nil
}

func parsePublicPEM(b []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM \"PUBLIC KEY\" block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T, not an Ed25519 key", k)
	}
	return pub, nil
}

// PublicKeys lists every public key of the keyring, oldest first: the
// active one and the retired ones.
func (kr *Keyring) PublicKeys() []KeyInfo {
	return append([]KeyInfo(nil), kr.keys...)
}

// Signer returns a signer with the active key. A keyring without one is
// ENOTFOUND, with the command that makes one.
func (kr *Keyring) Signer() (*Signer, error) {
	if kr.active == "" {
		return nil, event.Errorf(event.ENOTFOUND, "no active signing key in %s: run `vigil keys generate` (or set VIGIL_SIGNING_KEY)", kr.dir)
	}
	path := filepath.Join(kr.dir, kr.active+".key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, event.Errorf(event.ENOTFOUND, "active signing key %s has no private key file %s: run `vigil keys generate`", kr.active, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	s, err := SignerFromPEM(b)
	if err != nil {
		return nil, event.Errorf(event.EINVALID, "%s: %s", path, event.ErrorMessage(err))
	}
	if s.id != kr.active {
		return nil, event.Errorf(event.EINVALID, "%s holds key %s, not the active key %s", path, s.id, kr.active)
	}
	return s, nil
}
