package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// envelope is the versioned wrapper of every message on the topics.
type envelope[T any] struct {
	Schema int `json:"schema"`
	Body   T   `json:"body"`
}

// EncodePost encodes a captured post for TopicPosts.
func EncodePost(p *Post) ([]byte, error) { return encode(p) }

// DecodePost decodes a message from TopicPosts and validates the post in
// it, so that a malformed message can go to the dead-letter topic with a
// precise reason. It also checks that Raw still hashes to RawSHA256.
func DecodePost(b []byte, lim Limits) (Post, error) {
	var p Post
	if err := decode(b, &p); err != nil {
		return p, err
	}
	if err := checkRaw(&p); err != nil {
		return p, err
	}
	return p, p.Validate(lim, time.Now())
}

// EncodeVerdict encodes a verdict for TopicFlags.
func EncodeVerdict(v *Verdict) ([]byte, error) { return encode(v) }

// DecodeVerdict decodes a message from TopicFlags and validates its post.
func DecodeVerdict(b []byte, lim Limits) (Verdict, error) {
	var v Verdict
	if err := decode(b, &v); err != nil {
		return v, err
	}
	if err := checkRaw(&v.Post); err != nil {
		return v, err
	}
	for _, m := range v.Matches {
		if m.Start < 0 || m.End < m.Start || m.End > len(v.Post.Text) {
			return v, invalid("matches", "span %d..%d outside the text of %d bytes", m.Start, m.End, len(v.Post.Text))
		}
	}
	return v, v.Post.Validate(lim, time.Now())
}

func encode[T any](body *T) ([]byte, error) {
	return json.Marshal(envelope[*T]{Schema: SchemaVersion, Body: body})
}

// decode reads an envelope in one pass of encoding/json (the body is
// decoded in place, not re-scanned from a RawMessage: messages carry the
// raw payload, and scanning it twice more was the classify role's largest
// cost).
func decode[T any](b []byte, body *T) error {
	if !utf8.Valid(b) {
		return invalidKind(KindEncoding, "", "not valid UTF-8 (byte %d)", firstInvalidUTF8(b))
	}
	env := struct {
		Schema int `json:"schema"`
		Body   *T  `json:"body"`
	}{Body: nil}
	if err := json.Unmarshal(b, &env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return invalidKind(KindMalformed, "", "malformed JSON: %v", err)
		}
		if env.Schema > SchemaVersion {
			return invalidKind(KindSchema, "schema", "version %d is newer than this Vigil understands (%d)", env.Schema, SchemaVersion)
		}
		return invalid("body", "%v", err)
	}
	switch {
	case env.Schema == 0:
		return invalidKind(KindSchema, "schema", "missing schema version")
	case env.Schema > SchemaVersion:
		return invalidKind(KindSchema, "schema", "version %d is newer than this Vigil understands (%d)", env.Schema, SchemaVersion)
	case env.Body == nil:
		return invalid("body", "required")
	}
	*body = *env.Body
	return nil
}

func checkRaw(p *Post) error {
	if len(p.Raw) == 0 {
		return invalid("raw", "required: the payload as captured")
	}
	if got := SHA256Hex(p.Raw); p.RawSHA256 != got {
		return invalid("raw_sha256", "%q does not match the payload (%s)", p.RawSHA256, got)
	}
	return nil
}

// String helps in test failures.
func (v *Verdict) String() string {
	return fmt.Sprintf("%s flagged=%v score=%g categories=%v", v.Post.Ref(), v.Flagged, v.Score, v.Categories)
}
