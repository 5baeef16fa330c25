package event_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

const good = `{"platform":"x","id":"1790","author":{"id":"44","handle":"someone","name":"Some One"},"text":"hello","created_at":"2026-11-01T08:00:00Z","url":"https://example.org/1","lang":"my","extra":[1,2]}`

func TestParsePost(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		field      string // "" with want "" means valid
		want       string // a fragment of the error
		kind       string
	}{
		{name: "valid", line: good},
		{name: "numeric id", line: `{"platform":"x","id":1790,"author":{"id":"44"},"text":"t"}`},
		{name: "broken JSON", line: `{"platform":"x",`, want: "malformed JSON", kind: event.KindMalformed},
		{name: "not an object", line: `[1,2]`, want: "malformed JSON", kind: event.KindMalformed},
		{name: "invalid UTF-8", line: "{\"platform\":\"x\",\"id\":\"1\",\"author\":{\"id\":\"a\"},\"text\":\"\xff\"}", want: "not valid UTF-8 (byte 53)", kind: event.KindEncoding},
		{name: "missing platform", line: `{"id":"1","author":{"id":"a"},"text":"t"}`, field: "platform", want: "required", kind: event.KindInvalid},
		{name: "upper-case platform", line: `{"platform":"X","id":"1","author":{"id":"a"},"text":"t"}`, field: "platform", want: "only a-z"},
		{name: "missing id", line: `{"platform":"x","author":{"id":"a"},"text":"t"}`, field: "id", want: "required"},
		{name: "fractional id", line: `{"platform":"x","id":1.5,"author":{"id":"a"},"text":"t"}`, field: "id", want: "whole"},
		{name: "id with slash", line: `{"platform":"x","id":"a/b","author":{"id":"a"},"text":"t"}`, field: "id", want: "'/'"},
		{name: "missing author", line: `{"platform":"x","id":"1","text":"t"}`, field: "author.id", want: "required"},
		{name: "missing text", line: `{"platform":"x","id":"1","author":{"id":"a"}}`, field: "text", want: "required"},
		{name: "blank text", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"  "}`, field: "text", want: "required"},
		{name: "bad time", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"t","created_at":"yesterday"}`, field: "created_at", want: "RFC 3339"},
		{name: "ancient time", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"t","created_at":"1970-01-01T00:00:00Z"}`, field: "created_at", want: "before 2000"},
		{name: "future time", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"t","created_at":"2999-01-01T00:00:00Z"}`, field: "created_at", want: "in the future"},
		{name: "text too large", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"` + strings.Repeat("a", 70000) + `"}`, field: "text", want: "70000 bytes, over the limit of 65536", kind: event.KindTooLarge},
		{name: "10 MB line", line: `{"platform":"x","id":"1","author":{"id":"a"},"text":"` + strings.Repeat("a", 10<<20) + `"}`, field: "text", want: "over the limit", kind: event.KindTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := event.ParsePost([]byte(tc.line), event.Limits{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if string(p.Raw) != tc.line || p.RawSHA256 != event.SHA256Hex([]byte(tc.line)) {
					t.Fatalf("raw payload not kept as given")
				}
				return
			}
			var ve *event.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if ve.Field != tc.field || !strings.Contains(ve.Error(), tc.want) {
				t.Fatalf("err = %q (field %q), want field %q and %q", ve.Error(), ve.Field, tc.field, tc.want)
			}
			if tc.kind != "" && event.KindOf(err) != tc.kind {
				t.Fatalf("kind %q, want %q", event.KindOf(err), tc.kind)
			}
		})
	}
}

func TestLimitsAreConfigurable(t *testing.T) {
	line := []byte(`{"platform":"x","id":"1","author":{"id":"a"},"text":"twelve bytes"}`)
	if _, err := event.ParsePost(line, event.Limits{MaxTextBytes: 11}); err == nil {
		t.Fatal("a 12-byte text passed an 11-byte limit")
	}
	if _, err := event.ParsePost(line, event.Limits{MaxTextBytes: 12}); err != nil {
		t.Fatalf("a 12-byte text failed a 12-byte limit: %v", err)
	}
}

func TestCodecRoundTripKeepsRawBytes(t *testing.T) {
	line := []byte("{\"platform\":\"x\", \"id\":\"7\",\n \"author\":{\"id\":\"a\"},\"text\":\"ကုလားထိုင် \\u00e9\"}  ")
	p, err := event.ParsePost(line, event.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	p.CapturedAt = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	b, raw, err := event.EncodePost(&p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"raw":`) {
		t.Fatalf("the raw payload is inside the JSON body: %s", b)
	}
	q, err := event.DecodePost(b, raw, event.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(q.Raw) != strings.TrimSpace(string(line)) || q.Text != "ကုလားထိုင် é" || !q.CapturedAt.Equal(p.CapturedAt) {
		t.Fatalf("round trip changed the post: %+v", q)
	}
	v := event.Verdict{Post: q, Flagged: true, Score: 3, Categories: []string{"c"}, Matches: []event.Match{{TermID: "t", Category: "c", Start: 0, End: 3}}}
	vb, vraw, err := event.EncodeVerdict(&v)
	if err != nil {
		t.Fatal(err)
	}
	w, err := event.DecodeVerdict(vb, vraw, event.Limits{})
	if err != nil || !w.Flagged || w.Matches[0].End != 3 || string(w.Post.Raw) != string(q.Raw) {
		t.Fatalf("verdict round trip: %v %+v", err, w)
	}
}

func TestDecodeRefuses(t *testing.T) {
	p, _ := event.ParsePost([]byte(good), event.Limits{})
	ok, raw, _ := event.EncodePost(&p)
	tampered := strings.Replace(string(ok), `"raw_sha256":"`, `"raw_sha256":"0`, 1)
	for _, tc := range []struct {
		name, msg  string
		raw        []byte
		want, kind string
	}{
		{"not JSON", "nope", raw, "malformed JSON", event.KindMalformed},
		{"no schema", `{"body":{}}`, raw, "missing schema version", event.KindSchema},
		{"newer schema", `{"schema":2,"body":{}}`, raw, "newer than this Vigil", event.KindSchema},
		{"no body", `{"schema":1}`, raw, "body: required", event.KindInvalid},
		{"invalid UTF-8", "{\"schema\":1,\"body\":{\"text\":\"\xc3\x28\"}}", raw, "not valid UTF-8", event.KindEncoding},
		{"tampered hash", tampered, raw, "does not match the payload", event.KindInvalid},
		{"changed raw", string(ok), append([]byte(" "), raw...), "does not match the payload", event.KindInvalid},
		{"no raw", string(ok), nil, "raw: required", event.KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := event.DecodePost([]byte(tc.msg), tc.raw, event.Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || event.KindOf(err) != tc.kind {
				t.Fatalf("err = %v (kind %s), want %q (kind %s)", err, event.KindOf(err), tc.want, tc.kind)
			}
		})
	}
	v := event.Verdict{Post: p, Matches: []event.Match{{Start: 2, End: 99}}}
	vb, vraw, _ := event.EncodeVerdict(&v)
	if _, err := event.DecodeVerdict(vb, vraw, event.Limits{}); err == nil || !strings.Contains(err.Error(), "outside the text") {
		t.Fatalf("a match outside the text was accepted: %v", err)
	}
}

func TestKeyAndErrors(t *testing.T) {
	p := event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "44"}}
	if p.Key() != "x:44" || p.Ref() != "x/1" {
		t.Fatalf("key %q ref %q", p.Key(), p.Ref())
	}
	err := event.Errorf(event.ENOTFOUND, "post %s not found", p.Ref())
	wrapped := errors.Join(errors.New("context"), err)
	if event.ErrorCode(wrapped) != event.ENOTFOUND || event.ErrorMessage(wrapped) != "post x/1 not found" {
		t.Fatalf("code %q message %q", event.ErrorCode(wrapped), event.ErrorMessage(wrapped))
	}
	if event.ErrorCode(errors.New("db down")) != event.EINTERNAL || event.ErrorMessage(errors.New("secret detail")) != "internal error" {
		t.Fatal("an internal error leaked its code or message")
	}
	if event.ErrorCode(nil) != "" {
		t.Fatal("nil has a code")
	}
}
