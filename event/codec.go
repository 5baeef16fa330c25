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

// EncodePost encodes a captured post for TopicPosts: the JSON body, and
// the raw payload to send beside it in the HeaderRaw header. Keeping the
// payload out of the JSON means it is never escaped, base64-encoded or
// scanned on the way: it reaches the store byte for byte, and a platform's
// multi-kilobyte payload costs the classifier nothing to carry.
func EncodePost(p *Post) (body, raw []byte, err error) {
	q := *p
	q.Raw = nil
	body, err = encode(&q)
	return body, p.Raw, err
}

// DecodePost decodes a message from TopicPosts (its body, and its
// HeaderRaw value as raw; a body that carries "raw" itself is accepted
// too) and validates the post, so that a malformed message can go to the
// dead-letter topic with a precise reason. It also checks that the raw
// payload still hashes to RawSHA256.
func DecodePost(body, raw []byte, lim Limits) (Post, error) {
	var p Post
	if err := decode(body, &p); err != nil {
		return p, err
	}
	if raw != nil {
		p.Raw = raw
	}
	if err := checkRaw(&p); err != nil {
		return p, err
	}
	return p, p.Validate(lim, time.Now())
}

// EncodeVerdict encodes a verdict for TopicFlags, its post's raw payload
// apart as in EncodePost.
func EncodeVerdict(v *Verdict) (body, raw []byte, err error) {
	q := *v
	q.Post.Raw = nil
	body, err = encode(&q)
	return body, v.Post.Raw, err
}

// DecodeVerdict decodes a message from TopicFlags and validates its post.
func DecodeVerdict(body, raw []byte, lim Limits) (Verdict, error) {
	var v Verdict
	if err := decode(body, &v); err != nil {
		return v, err
	}
	if raw != nil {
		v.Post.Raw = raw
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
