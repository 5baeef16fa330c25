package event

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The audit log records who did what to the evidence: every review
// decision, every export, every API token created or revoked. Entries form
// a hash chain, each one's hash covering its own fields and the hash of the
// one before, so that an edit, a deletion or an insertion shows when the
// chain is verified.
//
// The hash of an entry (version 1) is the lowercase hex SHA-256 of the
// concatenation of these netstrings, in this order:
//
//	"vigil-audit-v1"
//	seq       in decimal, no sign or leading zeros
//	at        in AuditTimeLayout (UTC, nine fractional digits)
//	actor
//	action
//	subject
//	details   the canonical JSON text (see CanonicalJSON)
//	prev_hash 64 lowercase hex digits
//
// A netstring is the field's length in bytes (of its UTF-8) in decimal, a
// colon, the bytes and a comma: "5:token,". The length prefix makes the
// encoding unambiguous: no choice of field values can make two different
// entries hash the same input. In Python:
//
//	ns = lambda s: b"%d:%s," % (len(s.encode()), s.encode())
//	hashlib.sha256(b"".join(ns(f) for f in ["vigil-audit-v1", str(seq),
//	    at, actor, action, subject, details, prev_hash])).hexdigest()
//
// The first entry (seq 1) has prev_hash AuditGenesisHash, 64 zeros.

// AuditHashVersion is the domain tag hashed first in every entry's hash.
const AuditHashVersion = "vigil-audit-v1"

// AuditGenesisHash is the prev_hash of the first entry, and the head's
// hash while the log is empty.
var AuditGenesisHash = strings.Repeat("0", 64)

// AuditTimeLayout is how an entry's time is written in its hash: UTC with
// nine fractional digits, the SQL store's time encoding. Stores keep
// microseconds (PostgreSQL's resolution), so the last three digits are 0.
const AuditTimeLayout = "2006-01-02T15:04:05.000000000Z"

// Audit actions. An action is a short lowercase token; these are the ones
// Vigil writes.
const (
	AuditDecision    = "decision"     // a monitor's review decision on a flag
	AuditExport      = "export"       // an evidence pack exported
	AuditTokenCreate = "token_create" // an API token created
	AuditTokenRevoke = "token_revoke" // an API token revoked
	AuditCaseUpdate  = "case_update"  // a case opened, edited or closed
)

// AuditActorSystem is the actor of what Vigil does by itself.
const AuditActorSystem = "system"

// Limits of an audit entry's fields.
const (
	MaxAuditActorBytes   = 64
	MaxAuditActionBytes  = 32
	MaxAuditSubjectBytes = 256
	MaxAuditDetailsBytes = 64 << 10
	// maxAuditActorRun is the longest run of letters and digits an actor
	// may hold, so that a secret (an API token, a session id) logged as
	// an actor by mistake is refused rather than kept forever.
	maxAuditActorRun = 20
	// maxAuditDetailsDepth bounds the nesting of details.
	maxAuditDetailsDepth = 32
)

// AuditEntry is one entry of the audit log.
//
// Actor is a pseudonym, never a real name nor a secret: a reviewer's
// pseudonym ("reviewer-7f3a"), an API token's pseudonym ("token-12"), or
// "system". It is lowercase letters, digits and the separators - _ . :,
// at most 64 bytes, with no run of more than 20 letters and digits.
// Action is a lowercase token (AuditDecision, ...). Subject names what the
// action was about as KIND:ID ("flag:123", "pack:abc", "token:7"), or is
// empty. Details is a JSON object with whatever else the action needs to
// be understood (ids, statuses, counts; again no real names and no
// secrets); it is stored and hashed in canonical form, so its key order
// and spacing as given do not matter.
//
// Seq, At, PrevHash and Hash are set by the log when the entry is
// appended; values given to Append are ignored.
type AuditEntry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Subject  string          `json:"subject"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// NewAuditEntry returns an entry with details marshalled to canonical JSON
// (details may be nil, a map, a struct, or JSON as json.RawMessage), and
// checks it.
func NewAuditEntry(actor, action, subject string, details any) (AuditEntry, error) {
	e := AuditEntry{Actor: actor, Action: action, Subject: subject}
	var raw []byte
	switch d := details.(type) {
	case nil:
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		var err error
		if raw, err = json.Marshal(d); err != nil {
			return e, Errorf(EINVALID, "audit details: %v", err)
		}
	}
	c, err := CanonicalJSON(raw)
	if err != nil {
		return e, Errorf(EINVALID, "audit details: %v", err)
	}
	e.Details = c
	return e, e.Validate()
}

// Validate checks the fields the caller gives: actor, action, subject and
// details (which must already be canonical; Append canonicalises them).
// Its errors are *Error with code EINVALID.
func (e *AuditEntry) Validate() error {
	if err := checkAuditActor(e.Actor); err != nil {
		return Errorf(EINVALID, "audit actor: %v", err)
	}
	if err := checkAuditAction(e.Action); err != nil {
		return Errorf(EINVALID, "audit action %q: %v", e.Action, err)
	}
	if err := checkAuditSubject(e.Subject); err != nil {
		return Errorf(EINVALID, "audit subject: %v", err)
	}
	c, err := CanonicalJSON(e.Details)
	switch {
	case err != nil:
		return Errorf(EINVALID, "audit details: %v", err)
	case len(e.Details) == 0:
		// Empty details are stored as {}.
	case !bytes.Equal(c, e.Details):
		return Errorf(EINVALID, "audit details are not in canonical form")
	}
	return nil
}

// ComputeHash returns the entry's hash as defined above, from its Seq, At,
// Actor, Action, Subject, Details (as they are: canonical when the entry
// came from a log; empty counts as {}) and PrevHash.
func (e *AuditEntry) ComputeHash() string {
	details := string(e.Details)
	if details == "" {
		details = "{}"
	}
	return AuditHash(e.Seq, FormatAuditTime(e.At), e.Actor, e.Action, e.Subject, details, e.PrevHash)
}

// AuditHash returns the hash of an entry from its fields as text: at in
// AuditTimeLayout, details in canonical JSON. A store verifies its rows
// with it, over the text it holds.
func AuditHash(seq int64, at, actor, action, subject, details, prevHash string) string {
	h := sha256.New()
	var b []byte
	for i, f := range [...]string{AuditHashVersion, "", at, actor, action, subject, details, prevHash} {
		if i == 1 {
			f = strconv.FormatInt(seq, 10)
		}
		b = strconv.AppendInt(b[:0], int64(len(f)), 10)
		b = append(b, ':')
		h.Write(b)
		io.WriteString(h, f)
		h.Write([]byte{','})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FormatAuditTime writes t in AuditTimeLayout.
func FormatAuditTime(t time.Time) string { return t.UTC().Format(AuditTimeLayout) }

func checkAuditActor(s string) error {
	switch {
	case s == "":
		return errors.New("required (a pseudonym, or \"system\")")
	case len(s) > MaxAuditActorBytes:
		return fmt.Errorf("%d bytes, over %d", len(s), MaxAuditActorBytes)
	}
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if run++; run > maxAuditActorRun {
				return fmt.Errorf("a run of more than %d letters and digits: an actor is a pseudonym such as \"reviewer-7f3a\", never a secret", maxAuditActorRun)
			}
		case c == '-', c == '_', c == '.', c == ':':
			run = 0
		default:
			return fmt.Errorf("%q is not allowed: an actor is a pseudonym of lowercase letters, digits and - _ . : (such as \"reviewer-7f3a\"), never a real name", rune(c))
		}
	}
	return nil
}

func checkAuditAction(s string) error {
	if s == "" || len(s) > MaxAuditActionBytes {
		return fmt.Errorf("want 1 to %d bytes", MaxAuditActionBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return errors.New("want a lowercase token such as \"decision\" or \"token_create\"")
		}
	}
	return nil
}

func checkAuditSubject(s string) error {
	if s == "" {
		return nil
	}
	if len(s) > MaxAuditSubjectBytes {
		return fmt.Errorf("%d bytes, over %d", len(s), MaxAuditSubjectBytes)
	}
	kind, id, ok := strings.Cut(s, ":")
	if !ok || id == "" || checkAuditAction(kind) != nil {
		return fmt.Errorf("%q: want KIND:ID, such as \"flag:123\"", s)
	}
	if !utf8.ValidString(id) {
		return errors.New("not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("%q: no spaces or control characters", s)
		}
	}
	return nil
}

// CanonicalJSON returns the canonical form of a JSON object: no
// insignificant whitespace; object keys sorted by their UTF-8 bytes, at
// every level; strings with only '"', '\\' and the control characters
// escaped (\b \t \n \f \r, else \u00XX with lowercase hex), every other
// character written as itself; numbers exactly as written (1 and 1.0
// differ: give ids as integers); arrays in their order. Empty input is
// "{}". The input must be valid UTF-8 holding one JSON object, with no key
// repeated within an object.
func CanonicalJSON(b []byte) ([]byte, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return []byte("{}"), nil
	}
	if len(b) > MaxAuditDetailsBytes {
		return nil, fmt.Errorf("%d bytes, over %d", len(b), MaxAuditDetailsBytes)
	}
	if !utf8.Valid(b) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out bytes.Buffer
	out.Grow(len(b))
	if err := canonicalValue(dec, tok, &out, 1); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the object")
		}
		return nil, err
	}
	return out.Bytes(), nil
}

// canonicalValue writes the value that begins with tok.
func canonicalValue(dec *json.Decoder, tok json.Token, out *bytes.Buffer, depth int) error {
	if depth > maxAuditDetailsDepth {
		return fmt.Errorf("nested deeper than %d", maxAuditDetailsDepth)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			type member struct {
				key string
				val []byte
			}
			var ms []member
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key := kt.(string) // the decoder gives only strings here
				if seen[key] {
					return fmt.Errorf("key %q repeated", key)
				}
				seen[key] = true
				vt, err := dec.Token()
				if err != nil {
					return err
				}
				var val bytes.Buffer
				if err := canonicalValue(dec, vt, &val, depth+1); err != nil {
					return err
				}
				ms = append(ms, member{key, val.Bytes()})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.key, b.key) })
			out.WriteByte('{')
			for i, m := range ms {
				if i > 0 {
					out.WriteByte(',')
				}
				writeCanonicalString(out, m.key)
				out.WriteByte(':')
				out.Write(m.val)
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				vt, err := dec.Token()
				if err != nil {
					return err
				}
				if err := canonicalValue(dec, vt, out, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			out.WriteByte(']')
		default:
			return fmt.Errorf("unexpected %v", v)
		}
	case string:
		writeCanonicalString(out, v)
	case json.Number:
		out.WriteString(string(v))
	case bool:
		out.WriteString(strconv.FormatBool(v))
	case nil:
		out.WriteString("null")
	default:
		return fmt.Errorf("unexpected token %v", tok)
	}
	return nil
}

func writeCanonicalString(out *bytes.Buffer, s string) {
	const hexDigits = "0123456789abcdef"
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '\b':
			out.WriteString(`\b`)
		case c == '\t':
			out.WriteString(`\t`)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\f':
			out.WriteString(`\f`)
		case c == '\r':
			out.WriteString(`\r`)
		case c < 0x20:
			out.WriteString(`\u00`)
			out.WriteByte(hexDigits[c>>4])
			out.WriteByte(hexDigits[c&0xf])
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('"')
}

// AuditHead is the last entry of the log: its seq (0 while the log is
// empty) and hash (AuditGenesisHash while empty). Written down outside the
// store (an evidence pack prints it; so does `vigil audit head`), it is an
// anchor: a log rewritten afterwards no longer leads to it.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Problems AuditVerifyResult reports.
const (
	AuditHashMismatch     = "hash_mismatch"      // an entry's hash does not match its contents
	AuditPrevHashMismatch = "prev_hash_mismatch" // an entry's prev_hash is not the previous entry's hash
	AuditMissingEntry     = "missing_entry"      // a seq is missing (deleted entries)
	AuditTruncated        = "truncated"          // the log ends before the head's seq (the last entries deleted)
	AuditHeadMismatch     = "head_mismatch"      // the entry at the head's seq has another hash
	AuditBeyondHead       = "beyond_head"        // entries after the head (added without it)
	AuditBadSeq           = "bad_seq"            // a seq below 1
	AuditHeadMissing      = "head_missing"       // the head record is gone
)

// AuditVerifyResult is the outcome of walking the chain. When OK is false,
// BrokenAt is the seq of the first entry that fails (for a deleted entry,
// the seq that is missing; 0 when the head is missing), Problem says how
// (one of the Audit* problem codes) and Reason says it in words, to follow
// "audit log broken at entry N: ".
type AuditVerifyResult struct {
	OK bool `json:"ok"`
	// Entries is the number of entries found intact: all of them when OK.
	Entries int64 `json:"entries"`
	// Head is the head the store holds.
	Head     AuditHead `json:"head"`
	BrokenAt int64     `json:"broken_at,omitempty"`
	Problem  string    `json:"problem,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// AuditLog is the tamper-evident log of actions on the evidence.
type AuditLog interface {
	// Append adds an entry after the last one and returns it with Seq,
	// At, PrevHash and Hash set. Details are canonicalised first. Errors
	// on bad input are *Error with code EINVALID.
	Append(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// List returns up to limit entries with a seq above after, in seq
	// order (an export pages with after = the last seq it got).
	List(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
	// Head returns the last entry's seq and hash.
	Head(ctx context.Context) (AuditHead, error)
	// Verify walks the whole chain and reports the first broken entry.
	// A broken chain is a result, not an error: err is for failures to
	// read.
	Verify(ctx context.Context) (AuditVerifyResult, error)
}
