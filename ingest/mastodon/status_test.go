package mastodon

// Mapping tests: Status entities (https://docs.joinmastodon.org/entities/Status/)
// from testdata/ to posts; content HTML as the docs describe it
// (https://docs.joinmastodon.org/api/guidelines/#formatting); Link headers
// (RFC 8288) as Mastodon sends them.

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

// offline returns a source on https://example.social that sends nothing.
func offline(t *testing.T, mod func(*Config)) *Source {
	t.Helper()
	cfg := Config{Name: "m"}
	cfg.BaseURL = "https://example.social"
	cfg.Hashtags = []string{"vigil"}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg, newEnv(nil, nil).Env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func byID(items []ingest.Item) map[string]ingest.Item {
	m := map[string]ingest.Item{}
	for _, it := range items {
		if it.Err == nil {
			m[it.Post.ID] = it
		}
	}
	return m
}

func TestStatusToPost(t *testing.T) {
	s := offline(t, nil)
	raws := fixture(t, "timeline.json")
	slices.Reverse(raws) // as the API sends them, newest first
	items, newest, err := s.items(&s.targets[0], raws, "", "https://example.social/api/v1/timelines/tag/vigil")
	if err != nil {
		t.Fatal(err)
	}
	if newest != sid[9] {
		t.Fatalf("newest %s, want %s", newest, sid[9])
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, want(1, 9)) {
		t.Fatalf("posts %v, want %v oldest first (the media-only status passed over)", got, want(1, 9))
	}
	m := byID(items)
	fix := fixture(t, "timeline.json")

	p := m[postIDs[1]].Post
	wantP := event.Post{
		Platform: "mastodon", ID: "example.social:" + sid[1],
		Author:    event.Author{ID: "alice@example.social", Handle: "alice@example.social", Name: "Alice Example"},
		Text:      "Market prices rose again this week in the township.",
		CreatedAt: time.Date(2026, 11, 2, 8, 10, 0, 37e6, time.UTC),
		URL:       "https://example.social/@alice/" + sid[1], Lang: "en",
	}
	if p.Platform != wantP.Platform || p.ID != wantP.ID || p.Author != wantP.Author || p.Text != wantP.Text ||
		!p.CreatedAt.Equal(wantP.CreatedAt) || p.URL != wantP.URL || p.Lang != wantP.Lang || len(p.Links) != 0 {
		t.Fatalf("status 1:\n got %+v\nwant %+v", p, wantP)
	}
	if string(p.Raw) != string(fix[0]) || p.RawSHA256 != event.SHA256Hex(fix[0]) {
		t.Fatalf("status 1: raw is not the status's bytes as sent:\n%s", p.Raw)
	}
	if !p.CapturedAt.IsZero() || p.Source != "" {
		t.Fatal("CapturedAt/Source are the Ingester's to set")
	}

	// Burmese, <br> and paragraphs, entities.
	p = m[postIDs[2]].Post
	if want := "မင်္ဂလာပါ။ ဒီနေ့ ရန်ကုန်မှာ မိုးရွာတယ်။\nဈေးနှုန်းတွေ တက်နေတယ်။\n\n\"သတင်း\" & အသိပေးချက်"; p.Text != want {
		t.Fatalf("Burmese text %q, want %q", p.Text, want)
	}
	if p.Lang != "my" || p.Author.Name != "သီရိ" || p.Author.ID != "thiri@example.social" {
		t.Fatalf("Burmese status: %+v", p)
	}

	// Remote author; mention and hashtag not links; a shortened link whole;
	// the card's url once.
	p = m[postIDs[3]].Post
	if p.Author.ID != "bob@other.example" || p.URL != "https://other.example/@bob/109000000000000007" {
		t.Fatalf("remote status: %+v", p)
	}
	if want := "Thanks @alice, see https://blog.example.org/posts/42 #flood"; p.Text != want {
		t.Fatalf("text %q, want %q", p.Text, want)
	}
	if !slices.Equal(p.Links, []string{"https://blog.example.org/posts/42"}) {
		t.Fatalf("links %v", p.Links)
	}

	// Content warning first, on its own line.
	if p := m[postIDs[4]].Post; p.Text != "Content warning: violence\nDetails of the incident, with names withheld." {
		t.Fatalf("content warning: %q", p.Text)
	}

	// A boost: the boosted status, the boost's bytes as raw.
	p = m[postIDs[5]].Post
	if p.Author.ID != "dan@news.example" || p.Author.Name != "Dan News" || p.URL != "https://news.example/@dan/109000000000000042" {
		t.Fatalf("boost: %+v", p)
	}
	if want := "Road to the northern township closed after the flood, says the local council. https://news.example/2026/11/road-closed"; p.Text != want {
		t.Fatalf("boost text %q", p.Text)
	}
	if !slices.Equal(p.Links, []string{"https://news.example/2026/11/road-closed"}) {
		t.Fatalf("boost links %v", p.Links)
	}
	if string(p.Raw) != string(fix[4]) || !strings.Contains(string(p.Raw), `"username": "carol"`) {
		t.Fatal("a boost's raw is not the boost as sent")
	}

	if p := m[postIDs[7]].Post; p.Text != "ပထမ အပိုဒ်\n\nဒုတိယ အပိုဒ် #မြန်မာ" || p.Links != nil {
		t.Fatalf("status 7: %q %v", p.Text, p.Links)
	}
	if p := m[postIDs[8]].Post; p.Text != "Line one\nLine two <b>not bold</b>" || p.Lang != "" {
		t.Fatalf("status 8: %q lang %q", p.Text, p.Lang)
	}

	// Only newer than a cursor.
	items, newest, _ = s.items(&s.targets[0], raws, sid[7], "")
	if got := sourcetest.IDs(items); !slices.Equal(got, want(8, 9)) || newest != sid[9] {
		t.Fatalf("after %s: %v (newest %s)", sid[7], got, newest)
	}
	items, newest, _ = s.items(&s.targets[0], raws, sid[9], "")
	if len(items) != 0 || newest != "" {
		t.Fatalf("nothing is newer than the newest: %v %q", items, newest)
	}
}

func TestReblogsExcluded(t *testing.T) {
	s := offline(t, func(c *Config) { c.IncludeReblogs = new(false) })
	items, newest, err := s.items(&s.targets[0], fixture(t, "timeline.json"), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); slices.Contains(got, postIDs[5]) || len(got) != len(want(1, 9))-1 {
		t.Fatalf("include_reblogs false: %v", got)
	}
	if newest != sid[9] {
		t.Fatalf("newest %s", newest)
	}
}

func TestSpecialStatuses(t *testing.T) {
	s := offline(t, nil)
	raws := fixture(t, "special.json") // 11 ordinary, 12 content not a string, 13 bad date, 14 private
	items, newest, err := s.items(&s.targets[0], raws, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if newest != "117546339532800000" {
		t.Fatalf("newest %s: the private status still moves the cursor", newest)
	}
	if got := sourcetest.IDs(items); !slices.Equal(got, []string{"example.social:117546221568000000"}) {
		t.Fatalf("posts %v", got)
	}
	if len(items) != 3 {
		t.Fatalf("%d items, want the post and 2 bad items (the private status passed over)", len(items))
	}
	bad := items[1:]
	var ve *event.ValidationError
	if !errors.As(bad[0].Err, &ve) || ve.Kind != event.KindMalformed || string(bad[0].Payload) != string(raws[1]) ||
		bad[0].Origin != "mastodon:m:tag:vigil:117546260889600000" {
		t.Fatalf("content not a string: %+v", bad[0])
	}
	if !errors.As(bad[1].Err, &ve) || ve.Field != "created_at" || string(bad[1].Payload) != string(raws[2]) {
		t.Fatalf("broken date: %+v", bad[1])
	}

	// Invalid UTF-8 (encoding/json would quietly replace it).
	broken := json.RawMessage(strings.Replace(string(raws[0]), "Visible one.", "Visible \xff one.", 1))
	items, _, _ = s.items(&s.targets[0], []json.RawMessage{broken}, "", "")
	if len(items) != 1 || event.KindOf(items[0].Err) != event.KindEncoding {
		t.Fatalf("invalid UTF-8: %+v", items)
	}

	// A status without an id: the page is malformed.
	_, _, err = s.items(&s.targets[0], []json.RawMessage{raws[0], json.RawMessage(`{"content":"<p>x</p>"}`)}, "", "https://example.social/api/v1/timelines/tag/vigil?limit=40")
	if err == nil || !strings.Contains(err.Error(), "malformed") || strings.Contains(err.Error(), "limit=40") {
		t.Fatalf("status without an id: %v", err)
	}

	// Text over the limit: a bad item, not a crash.
	s.env.Limits = event.Limits{MaxTextBytes: 5}
	items, _, _ = s.items(&s.targets[0], raws[:1], "", "")
	if len(items) != 1 || event.KindOf(items[0].Err) != event.KindTooLarge {
		t.Fatalf("too long: %+v", items)
	}
}

func TestPostID(t *testing.T) {
	s := offline(t, nil)
	url := func(v string) *string { return &v }
	long := "https://far.example/" + strings.Repeat("x", 200)
	for _, tc := range []struct {
		st   status
		want string
	}{
		{status{ID: "1", URI: "https://example.social/users/alice/statuses/113"}, "example.social:113"},
		{status{ID: "1", URI: "https://Other.Example/users/bob/statuses/01HXYZ"}, "other.example:01HXYZ"},
		{status{ID: "1", URI: "https://notes.example/notes/9xyz"}, "notes.example:notes:9xyz"},
		{status{ID: "1", URI: "https://pleroma.example/objects/5f0c-77"}, "pleroma.example:objects:5f0c-77"},
		{status{ID: "1", URI: "https://q.example/note?id=5"}, "q.example:sha256-" + event.SHA256Hex([]byte("https://q.example/note?id=5"))[:40]},
		{status{ID: "1", URI: long}, "far.example:sha256-" + event.SHA256Hex([]byte(long))[:40]},
		{status{ID: "1", URI: "tag:old.example,2017:objectId=1", URL: url("https://old.example/notice/1")}, "old.example:notice:1"},
		{status{ID: "77", URI: ""}, "example.social:77"},
	} {
		got, err := s.postID(&tc.st)
		if err != nil || got != tc.want {
			t.Errorf("postID(%q) = %q, %v; want %q", tc.st.URI, got, err, tc.want)
		}
		if !validID(got) {
			t.Errorf("%q is not a valid post id", got)
		}
	}
	if _, err := s.postID(&status{ID: "a b"}); err == nil {
		t.Error("a status with no uri and a bad id got an id")
	}
}

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct {
		name, html, text string
		links            []string
	}{
		{"empty", "", "", nil},
		{"paragraphs and br", "<p>one<br>two<br/><br />three</p><p>four</p>", "one\ntwo\n\nthree\n\nfour", nil},
		{"entities", "<p>&lt;tag&gt; &amp; &quot;q&quot; &#39;s&#39; caf&eacute; a&nbsp;b</p>", "<tag> & \"q\" 's' café a\u00a0b", nil},
		{"white space collapses", "<p>  a \n\t b  </p>\n<p>c</p>", "a b\n\nc", nil},
		{"mention and hashtag are not links",
			`<p><span class="h-card"><a href="https://x.example/@a" class="u-url mention">@<span>a</span></a></span> <a href="https://x.example/tags/t" class="mention hashtag" rel="tag">#<span>t</span></a> <a href="https://y.example/tags/u" rel="tag">#u</a></p>`,
			"@a #t #u", nil},
		{"shortened link keeps the whole address",
			`<p>see <a href="https://example.com/page/that/is/very/long" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/page</span><span class="invisible">/that/is/very/long</span></a>!</p>`,
			"see https://example.com/page/that/is/very/long!", []string{"https://example.com/page/that/is/very/long"}},
		{"links once, http(s) only",
			`<p><a href="https://a.example/">A</a> <a href="https://a.example/">again</a> <a href="mailto:x@a.example">mail</a> <a href="/relative">rel</a></p>`,
			"A again mail rel", []string{"https://a.example/"}},
		{"Burmese with zero-width space kept",
			"<p>မြန်မာ\u200bစာ <strong>သတင်း</strong></p><p>နောက်တစ်ကြောင်း</p>", "မြန်မာ\u200bစာ သတင်း\n\nနောက်တစ်ကြောင်း", nil},
		{"lists and quotes", "<p>intro</p><ul><li>one</li><li>two</li></ul><blockquote><p>quoted</p></blockquote>", "intro\n\none\ntwo\n\nquoted", nil},
		{"pre keeps spaces", "<pre><code>a  b\n  c</code></pre><p>d</p>", "a  b\n  c\n\nd", nil},
		{"script dropped", "<p>x<script>alert(1)</script>y</p>", "xy", nil},
		{"plain text", "no markup &amp; all", "no markup & all", nil},
		{"unclosed tags", "<p>a <b>b<p>c", "a b\n\nc", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, links := htmlText(tc.html)
			if text != tc.text || !slices.Equal(links, tc.links) {
				t.Fatalf("htmlText(%q) = %q %v, want %q %v", tc.html, text, links, tc.text, tc.links)
			}
		})
	}
}

func TestParseLinks(t *testing.T) {
	const docs = `<https://mastodon.example/api/v1/timelines/public?max_id=103206804533200177>; rel="next", <https://mastodon.example/api/v1/timelines/public?min_id=103206804533200179>; rel="prev"`
	for _, tc := range []struct {
		name       string
		values     []string
		next, prev string
		err        bool
	}{
		{"documented", []string{docs},
			"https://mastodon.example/api/v1/timelines/public?max_id=103206804533200177",
			"https://mastodon.example/api/v1/timelines/public?min_id=103206804533200179", false},
		{"reversed, unquoted, spaced", []string{`<https://a.example/p?min_id=2> ;rel=prev ,<https://a.example/p?max_id=1>;  rel = next`},
			"https://a.example/p?max_id=1", "https://a.example/p?min_id=2", false},
		{"commas inside the target and a quoted title", []string{`<https://a.example/p?x=1,2&max_id=1>; title="a, b; c"; rel="next", <https://a.example/p?min_id=2>; rel="prev"`},
			"https://a.example/p?x=1,2&max_id=1", "https://a.example/p?min_id=2", false},
		{"several relation types, upper case, previous", []string{`<https://a.example/n>; rel="NEXT last"`, `<https://a.example/p>; rel="previous"`},
			"https://a.example/n", "https://a.example/p", false},
		{"only the first rel counts", []string{`<https://a.example/x>; rel="next"; rel="prev"`}, "https://a.example/x", "", false},
		{"escaped quote", []string{`<https://a.example/x>; title="say \"hi\""; rel="prev"`}, "", "https://a.example/x", false},
		{"no header", nil, "", "", false},
		{"empty elements", []string{` , <https://a.example/x>; rel="next",, `}, "https://a.example/x", "", false},
		{"no angle brackets", []string{`https://a.example/x; rel="next"`}, "", "", true},
		{"unclosed target", []string{`<https://a.example/x; rel="next"`}, "", "", true},
		{"unclosed quote", []string{`<https://a.example/x>; rel="next`}, "", "", true},
		{"junk after target", []string{`<https://a.example/x> junk; rel="next"`}, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			links, err := parseLinks(tc.values)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if n, p := relLink(links, "next"), relLink(links, "prev"); n != tc.next || p != tc.prev {
				t.Fatalf("next %q prev %q, want %q %q", n, p, tc.next, tc.prev)
			}
		})
	}
}

func TestCompareIDs(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"9", "10", -1},
		{"117545828352000000", "117545867673600000", -1},
		{"117545867673600000", "117545828352000000", 1},
		{"0042", "42", 0},
		{"99999999999999999999999", "100000000000000000000000", -1}, // beyond uint64
		{"01HXA", "01HXB", -1}, // ULIDs
		{"abc", "abcd", -1},
		{"b", "a", 1},
	} {
		if got := compareIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("compareIDs(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
