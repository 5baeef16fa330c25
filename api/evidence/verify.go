package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// Result is what Verify found. OK is true only for an intact pack; else
// Failure names the first file found wrong.
type Result struct {
	OK     bool   `json:"ok"`
	PackID string `json:"pack_id,omitempty"`
	KeyID  string `json:"key_id,omitempty"`
	// Files counts the entries of the archive.
	Files int `json:"files"`
	// Timestamp is the time the TSA gave, when the pack has one.
	Timestamp time.Time `json:"timestamp,omitzero"`
	Failure   *Failure  `json:"failure,omitempty"`
}

// Failure names the file of a pack that is not as it was written, and
// why. File is "" when the archive itself cannot be read.
type Failure struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// String is "FILE: REASON", or the reason alone when no file is named.
func (f *Failure) String() string {
	if f.File == "" {
		return f.Reason
	}
	return f.File + ": " + f.Reason
}

// VerifyFile verifies the pack at path; see Verify.
func VerifyFile(path string, trusted []KeyInfo) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Verify(f, st.Size(), trusted)
}

// Verify checks a pack and stops at the first failure, in this order:
// the archive opens and every entry reads back with its CRC; manifest.json
// is there and parses; manifest.json.sig verifies with the manifest's
// public key; every file the manifest lists is there with its SHA-256 and
// size; SHA256SUMS parses and agrees with every file it lists; no file is
// in the archive that the manifest does not list (besides the manifest,
// its signature and timestamp, and SHA256SUMS); when trusted is not
// empty, the signing key is among them; a timestamp, when present, is for
// this manifest.
//
// The signature alone cannot say whether manifest.json or its signature
// changed; SHA256SUMS decides (the one whose hash differs from its line).
// Likewise a file whose hash differs from SHA256SUMS but matches the
// signed manifest means SHA256SUMS changed. The timestamp is outside the
// signature: when it and its SHA256SUMS line disagree the timestamp is
// named, though SHA256SUMS may be the one that changed.
//
// The error is only for failing to read r; a damaged pack is a Result
// with a Failure.
func Verify(r io.ReaderAt, size int64, trusted []KeyInfo) (*Result, error) {
	er := &errReaderAt{r: r}
	res := &Result{}
	fail := func(file, format string, args ...any) (*Result, error) {
		if err := er.error(); err != nil {
			return nil, err
		}
		res.OK = false
		res.Failure = &Failure{File: file, Reason: fmt.Sprintf(format, args...)}
		return res, nil
	}
	zr, err := zip.NewReader(er, size)
	if err != nil {
		return fail("", "not a ZIP archive: %v", err)
	}
	res.Files = len(zr.File)

	files := map[string]*packEntry{}
	for _, f := range zr.File {
		if _, dup := files[f.Name]; dup {
			return fail(f.Name, "appears twice in the archive")
		}
		keep := isPackMeta(f.Name)
		e, err := func() (*packEntry, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			h := sha256.New()
			var w io.Writer = h
			var buf bytes.Buffer
			var src io.Reader = rc
			if keep {
				// Kept in memory: read one byte past the ceiling to
				// know it was passed, and no further.
				w = io.MultiWriter(h, &buf)
				src = io.LimitReader(rc, maxMetaBytes+1)
			}
			n, err := io.Copy(w, src)
			if err != nil {
				return nil, err
			}
			if keep && n > maxMetaBytes {
				return nil, errMetaTooBig
			}
			return &packEntry{sum: hex.EncodeToString(h.Sum(nil)), n: n, data: buf.Bytes()}, nil
		}()
		if errors.Is(err, errMetaTooBig) {
			return fail(f.Name, "over %d MiB, more than any pack's %s; not read further", maxMetaBytes>>20, f.Name)
		}
		if errors.Is(err, zip.ErrChecksum) {
			return fail(f.Name, "damaged: its bytes do not match the archive's CRC-32")
		}
		if err != nil {
			return fail(f.Name, "damaged: %v", err)
		}
		files[f.Name] = e
	}

	// The manifest and its signature.
	me := files[fileManifest]
	if me == nil {
		return fail(fileManifest, "missing")
	}
	var m Manifest
	if err := json.Unmarshal(me.data, &m); err != nil {
		return fail(fileManifest, "does not parse: %v", err)
	}
	if m.Format != Format {
		return fail(fileManifest, "format %q, not %q", m.Format, Format)
	}
	res.PackID, res.KeyID = m.PackID, m.Signer.KeyID
	if m.Signer.Algorithm != Algorithm {
		return fail(fileManifest, "signed with %q, not %s", m.Signer.Algorithm, Algorithm)
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(m.Signer.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fail(fileManifest, "signer.public_key is not a base64 Ed25519 public key")
	}
	if KeyID(pub) != m.Signer.KeyID {
		return fail(fileManifest, "signer.key_id %s is not the id of signer.public_key (%s)", m.Signer.KeyID, KeyID(pub))
	}
	// Which of the manifest and its signature changed, when the signature
	// does not verify: the one whose hash differs from its SHA256SUMS line.
	sums, _ := parseSums(dataOf(files[fileChecksums]))
	blame := func(reason string) (*Result, error) {
		if want, ok := sums[fileManifest]; ok && want != me.sum {
			return fail(fileManifest, "changed since it was signed (its SHA-256 is not the one in SHA256SUMS)")
		}
		if se := files[fileSignature]; se != nil {
			if want, ok := sums[fileSignature]; ok && want != se.sum {
				return fail(fileSignature, "changed (its SHA-256 is not the one in SHA256SUMS)")
			}
		}
		return fail(fileSignature, "%s", reason)
	}
	se := files[fileSignature]
	if se == nil {
		return fail(fileSignature, "missing")
	}
	sig, err := decodeSignature(se.data)
	if err != nil {
		return blame(err.Error())
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), me.data, sig) {
		return blame("signature does not verify")
	}

	// The files the signed manifest lists.
	listed := map[string]bool{}
	for _, fe := range m.Files {
		if isPackMeta(fe.Path) || listed[fe.Path] {
			return fail(fileManifest, "lists %s twice or as a content file", fe.Path)
		}
		listed[fe.Path] = true
		e := files[fe.Path]
		if e == nil {
			return fail(fe.Path, "missing")
		}
		if e.sum != fe.SHA256 || e.n != fe.Bytes {
			return fail(fe.Path, "changed: SHA-256 %s and %d bytes, the manifest says %s and %d bytes", e.sum, e.n, fe.SHA256, fe.Bytes)
		}
	}

	// SHA256SUMS.
	ce := files[fileChecksums]
	if ce == nil {
		return fail(fileChecksums, "missing")
	}
	sums, err = parseSums(ce.data)
	if err != nil {
		return fail(fileChecksums, "%v", err)
	}
	for _, path := range sortedKeys(sums) {
		want := sums[path]
		e := files[path]
		if e == nil {
			if path == fileTimestamp && m.Timestamp != nil {
				return fail(fileTimestamp, "missing")
			}
			return fail(fileChecksums, "lists %s, which is not in the pack", path)
		}
		if want == e.sum {
			continue
		}
		// Content files matched the signed manifest above, and the
		// manifest and its signature verified: their lines are wrong.
		if path == fileTimestamp {
			return fail(fileTimestamp, "changed (its SHA-256 is not the one in SHA256SUMS)")
		}
		return fail(fileChecksums, "the line for %s is wrong: the file matches the signed manifest", path)
	}
	for _, f := range zr.File {
		name := f.Name
		if name == fileChecksums {
			continue
		}
		if !listed[name] && !isPackMeta(name) {
			return fail(name, "not listed in manifest.json")
		}
		if _, ok := sums[name]; !ok {
			return fail(fileChecksums, "does not list %s", name)
		}
	}

	if len(trusted) > 0 && !trustedKey(trusted, m.Signer.KeyID, pub) {
		return fail(fileSignature, "signed by an unknown key %s", m.Signer.KeyID)
	}

	te := files[fileTimestamp]
	switch {
	case te == nil && m.Timestamp != nil:
		return fail(fileTimestamp, "missing")
	case te != nil && m.Timestamp == nil:
		return fail(fileTimestamp, "the manifest declares no timestamp")
	case te != nil:
		if m.Timestamp.File != fileTimestamp {
			return fail(fileManifest, "timestamp.file is %q, not %s", m.Timestamp.File, fileTimestamp)
		}
		info, err := parseTimeStampResp(te.data)
		if err != nil {
			return fail(fileTimestamp, "%v", err)
		}
		digest := sha256.Sum256(me.data)
		if err := checkImprint(info, digest[:]); err != nil {
			return fail(fileTimestamp, "%v", err)
		}
		res.Timestamp = info.GenTime.UTC()
	}
	if err := er.error(); err != nil {
		return nil, err
	}
	res.OK = true
	return res, nil
}

// maxMetaBytes bounds each of the files Verify keeps in memory (the
// manifest, its signature, the timestamp and SHA256SUMS). A pack of
// event.MaxEvidencePosts posts has a manifest well under it (the test
// checks); a ZIP entry
// that inflates past the ceiling is refused before it fills memory. A
// variable so that tests can lower it.
var maxMetaBytes int64 = 64 << 20

var errMetaTooBig = errors.New("larger than the verifier keeps")

// packEntry is one entry of an archive as read back.
type packEntry struct {
	sum  string
	n    int64
	data []byte // kept for the manifest, signature, timestamp and SHA256SUMS
}

func dataOf(e *packEntry) []byte {
	if e == nil {
		return nil
	}
	return e.data
}

// isPackMeta reports whether name is one of the files that describe a
// pack rather than hold its content.
func isPackMeta(name string) bool {
	return name == fileManifest || name == fileSignature || name == fileTimestamp || name == fileChecksums
}

// decodeSignature reads manifest.json.sig: one line of standard base64
// (strict, so that no other spelling decodes to the same bytes) and a
// newline.
func decodeSignature(b []byte) ([]byte, error) {
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok || strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("not one line of base64 ending in a newline")
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64: %v", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%d bytes, not an Ed25519 signature", len(sig))
	}
	return sig, nil
}

// parseSums reads SHA256SUMS as Write writes it: "<64 lowercase hex>  <path>"
// lines, each ending in a newline, no path twice.
func parseSums(b []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(b) == 0 {
		return out, errors.New("empty")
	}
	if b[len(b)-1] != '\n' {
		return out, errors.New("does not end in a newline")
	}
	for i, line := range strings.Split(string(b[:len(b)-1]), "\n") {
		sum, path, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || !isLowerHex(sum) || path == "" || strings.ContainsAny(path, "\r") {
			return out, fmt.Errorf("line %d is not \"<sha256>  <path>\"", i+1)
		}
		if _, dup := out[path]; dup {
			return out, fmt.Errorf("line %d lists %s twice", i+1, path)
		}
		out[path] = sum
	}
	return out, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func trustedKey(trusted []KeyInfo, id string, pub []byte) bool {
	for _, k := range trusted {
		if k.KeyID != id {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(k.PublicKey)
		if err == nil && bytes.Equal(b, pub) {
			return true
		}
	}
	return false
}

// errReaderAt remembers an error of the underlying reader, so that a
// failing disk is reported as an error and not as a damaged pack.
type errReaderAt struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (e *errReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		e.mu.Lock()
		if e.err == nil {
			e.err = err
		}
		e.mu.Unlock()
	}
	return n, err
}

func (e *errReaderAt) error() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}
