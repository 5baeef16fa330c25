package event

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Author is the account that published a post, as the platform names it.
type Author struct {
	ID     string `json:"id"`
	Handle string `json:"handle,omitempty"`
	Name   string `json:"name,omitempty"`
}

// Post is one public post as captured. Text is kept exactly as the author
// wrote it; Raw is the platform's payload byte for byte, and RawSHA256 its
// hash, so that evidence can show the record was not altered after capture.
type Post struct {
	Platform  string    `json:"platform"`
	ID        string    `json:"id"`
	Author    Author    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	URL       string    `json:"url,omitempty"`
	Lang      string    `json:"lang,omitempty"`
	// Links are the links the platform gives beside the text: the real
	// address behind a shortened link in it (an X t.co link), a link
	// under anchor text (Telegram, RSS), a shared link (Facebook). The
	// classifier checks their domains as it does the links in Text.
	Links []string `json:"links,omitempty"`

	// CapturedAt is when Vigil fetched the post (UTC), beside the
	// platform's own CreatedAt.
	CapturedAt time.Time `json:"captured_at,omitzero"`
	// Source names the collector that captured it (a config source name).
	Source string `json:"source,omitempty"`
	// Raw is the payload exactly as captured. It is encoded as base64 on
	// the wire so that not one byte (nor a space) changes in transit.
	Raw []byte `json:"raw,omitempty"`
	// RawSHA256 is the lowercase hex SHA-256 of Raw.
	RawSHA256 string `json:"raw_sha256,omitempty"`
}

// Key is the Kafka message key: "platform:author_id", so that one account's
// posts land in one partition and stay in order.
func (p *Post) Key() string { return p.Platform + ":" + p.Author.ID }

// Ref is the post's identity, "platform/id", for logs and errors (never the
// text).
func (p *Post) Ref() string { return p.Platform + "/" + p.ID }

// SHA256Hex returns the lowercase hex SHA-256 of b.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// MaxLinks is the most links a post may carry beside its text.
const MaxLinks = 100

// Limits bound what a post may be. The zero value means DefaultLimits.
type Limits struct {
	// MaxTextBytes is the largest accepted text, in bytes. Default 64 KiB,
	// above every platform's own limit (Facebook's 63,206 characters are
	// rarely more than that).
	MaxTextBytes int `yaml:"max_text_bytes"`
	// MaxFuture is how far after capture a created_at may lie (clock skew).
	// Default 24h.
	MaxFuture time.Duration `yaml:"max_future"`
}

// DefaultLimits are the limits used when none are configured.
var DefaultLimits = Limits{MaxTextBytes: 64 << 10, MaxFuture: 24 * time.Hour}

// Earliest is the earliest created_at accepted: no platform Vigil reads
// existed before it, so an earlier time is a parsing error upstream.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (l Limits) orDefault() Limits {
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = DefaultLimits.MaxTextBytes
	}
	if l.MaxFuture <= 0 {
		l.MaxFuture = DefaultLimits.MaxFuture
	}
	return l
}

// ValidationError says which field of a post is wrong and why. Its message
// is what reaches the dead-letter topic as the reason.
type ValidationError struct {
	Field  string
	Reason string
	// Kind is a short, bounded label for metrics and dead-letter routing:
	// "malformed" (not JSON), "encoding" (not UTF-8), "too_large",
	// "schema" (an unknown schema version) or "invalid" (anything else).
	Kind string
}

// Validation error kinds.
const (
	KindMalformed = "malformed"
	KindEncoding  = "encoding"
	KindTooLarge  = "too_large"
	KindSchema    = "schema"
	KindInvalid   = "invalid"
)

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return "invalid post: " + e.Reason
	}
	return fmt.Sprintf("invalid post: %s: %s", e.Field, e.Reason)
}

func invalid(field, format string, args ...any) error {
	return invalidKind(KindInvalid, field, format, args...)
}

func invalidKind(kind, field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Kind: kind}
}

// KindOf returns the kind of a validation error, KindInvalid for any other.
func KindOf(err error) string {
	var ve *ValidationError
	if errors.As(err, &ve) && ve.Kind != "" {
		return ve.Kind
	}
	return KindInvalid
}

// ParsePost decodes one post in the JSON Lines import format of DESIGN.md
// and validates it. Raw is set to line exactly as given (unknown fields are
// kept there) and RawSHA256 to its hash; CapturedAt and Source are left for
// the caller. Invalid UTF-8 is refused before decoding, because
// encoding/json would silently replace it.
func ParsePost(line []byte, lim Limits) (Post, error) {
	lim = lim.orDefault()
	line = bytes.TrimSpace(line)
	var p Post
	if !utf8.Valid(line) {
		return p, invalidKind(KindEncoding, "", "not valid UTF-8 (byte %d)", firstInvalidUTF8(line))
	}
	// A text far over the limit is refused before it is decoded.
	if len(line) > lim.MaxTextBytes+64<<10 {
		return p, invalidKind(KindTooLarge, "text", "%d bytes, over the limit of %d", len(line), lim.MaxTextBytes)
	}
	var in struct {
		Platform  string   `json:"platform"`
		ID        any      `json:"id"`
		Author    *Author  `json:"author"`
		Text      *string  `json:"text"`
		CreatedAt string   `json:"created_at"`
		URL       string   `json:"url"`
		Lang      string   `json:"lang"`
		Links     []string `json:"links"`
	}
	if err := json.Unmarshal(line, &in); err != nil {
		return p, invalidKind(KindMalformed, "", "malformed JSON: %v", err)
	}
	id, err := stringID(in.ID)
	if err != nil {
		return p, err
	}
	p.Platform, p.ID, p.URL, p.Lang, p.Links = in.Platform, id, in.URL, in.Lang, in.Links
	if in.Author != nil {
		p.Author = *in.Author
	}
	if in.Text != nil {
		p.Text = *in.Text
	} else {
		return p, invalid("text", "required")
	}
	if in.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.CreatedAt)
		if err != nil {
			return p, invalid("created_at", "not an RFC 3339 time: %q", in.CreatedAt)
		}
		p.CreatedAt = t.UTC()
	}
	p.Raw = line
	p.RawSHA256 = SHA256Hex(line)
	return p, p.Validate(lim, time.Now())
}

// stringID accepts an id given as a JSON string or a JSON integer (some
// exports write numeric IDs); anything else is refused.
func stringID(v any) (string, error) {
	switch id := v.(type) {
	case nil:
		return "", nil
	case string:
		return id, nil
	case float64:
		if id != float64(int64(id)) || id < 0 {
			return "", invalid("id", "a number that is not a whole non-negative integer")
		}
		return fmt.Sprintf("%d", int64(id)), nil
	default:
		return "", invalid("id", "must be a string")
	}
}

// Validate checks a post's fields: the required ones present, identifiers
// well formed, every string valid UTF-8, the text under the size limit and
// the creation time sane relative to now (or to the capture time when set).
func (p *Post) Validate(lim Limits, now time.Time) error {
	lim = lim.orDefault()
	if err := checkToken("platform", p.Platform, 32); err != nil {
		return err
	}
	if err := checkID("id", p.ID); err != nil {
		return err
	}
	if err := checkID("author.id", p.Author.ID); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"author.handle", p.Author.Handle}, {"author.name", p.Author.Name},
		{"text", p.Text}, {"url", p.URL}, {"lang", p.Lang},
	} {
		if !utf8.ValidString(f.v) {
			return invalidKind(KindEncoding, f.name, "not valid UTF-8")
		}
	}
	if strings.TrimSpace(p.Text) == "" {
		return invalid("text", "required")
	}
	if len(p.Links) > MaxLinks {
		return invalid("links", "%d links, over the limit of %d", len(p.Links), MaxLinks)
	}
	for i, l := range p.Links {
		if !utf8.ValidString(l) {
			return invalidKind(KindEncoding, fmt.Sprintf("links[%d]", i), "not valid UTF-8")
		}
		if len(l) > 4096 {
			return invalid(fmt.Sprintf("links[%d]", i), "longer than 4096 bytes")
		}
	}
	if len(p.Text) > lim.MaxTextBytes {
		return invalidKind(KindTooLarge, "text", "%d bytes, over the limit of %d", len(p.Text), lim.MaxTextBytes)
	}
	if len(p.Author.Handle) > 256 || len(p.Author.Name) > 1024 || len(p.URL) > 4096 || len(p.Lang) > 16 {
		return invalid("", "author.handle, author.name, url or lang too long")
	}
	if !p.CreatedAt.IsZero() {
		ref := now
		if !p.CapturedAt.IsZero() {
			ref = p.CapturedAt
		}
		if p.CreatedAt.Before(Earliest) {
			return invalid("created_at", "%s is before %s", p.CreatedAt.Format(time.RFC3339), Earliest.Format("2006"))
		}
		if p.CreatedAt.After(ref.Add(lim.MaxFuture)) {
			return invalid("created_at", "%s is in the future", p.CreatedAt.Format(time.RFC3339))
		}
	}
	return nil
}

// checkToken accepts a short lowercase identifier: a-z, 0-9, '_', '-', '.'.
func checkToken(field, v string, max int) error {
	if v == "" {
		return invalid(field, "required")
	}
	if len(v) > max {
		return invalid(field, "longer than %d bytes", max)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return invalid(field, "%q: only a-z, 0-9, '_', '-' and '.' are allowed", v)
		}
	}
	return nil
}

// checkID accepts a platform identifier: printable, no '/', no spaces, at
// most 128 bytes, so that it can stand in a URL path and a Kafka key.
func checkID(field, v string) error {
	if v == "" {
		return invalid(field, "required")
	}
	if len(v) > 128 {
		return invalid(field, "longer than 128 bytes")
	}
	if !utf8.ValidString(v) {
		return invalid(field, "not valid UTF-8")
	}
	for _, r := range v {
		if r == '/' || r == '?' || r == '#' || r == '%' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return invalid(field, "%q: contains a space, '/', '?', '#', '%%' or a control character", v)
		}
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}
