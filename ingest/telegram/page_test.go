package telegram

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// The fixtures are synthetic pages in the markup of the web preview
// https://t.me/s/<channel> (see the comment at the top of each).

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wrapOf returns the source of message id of the fixture found by plain
// string search: from its wrap's start tag to the first "</div></div>".
func wrapOf(t *testing.T, body []byte, ch string, id string) []byte {
	t.Helper()
	start := bytes.Index(body, []byte(`data-post="`+ch+"/"+id+`"`))
	if start < 0 {
		t.Fatalf("no message %s in the fixture", id)
	}
	start = bytes.LastIndex(body[:start], []byte(`<div class="tgme_widget_message_wrap`))
	end := start + bytes.Index(body[start:], []byte("</div></div>")) + len("</div></div>")
	return body[start:end]
}

func TestParseTreeOffsets(t *testing.T) {
	for _, name := range []string{"channel.html", "info_page.html", "empty_channel.html"} {
		body := readFixture(t, name)
		root, err := parseTree(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		var walk func(*node)
		walk = func(p *node) {
			for _, c := range p.children {
				src := string(body[c.start:c.end])
				if c.tag != "" {
					n++
					if !strings.HasPrefix(strings.ToLower(src), "<"+c.tag) {
						t.Errorf("%s: element %s at %d starts %.30q", name, c.tag, c.start, src)
					}
					if !voidElements[c.tag] && !strings.HasSuffix(src, "</"+c.tag+">") && !strings.HasSuffix(src, "/>") {
						t.Errorf("%s: element %s at %d ends %q", name, c.tag, c.start, src[max(0, len(src)-30):])
					}
				}
				walk(c)
			}
		}
		walk(root)
		if n < 15 {
			t.Errorf("%s: only %d elements", name, n)
		}
	}
}

func TestParseFixture(t *testing.T) {
	body := readFixture(t, "channel.html")
	p, err := parsePage(body, "yangon_example")
	if err != nil {
		t.Fatal(err)
	}
	if !p.preview {
		t.Fatal("not seen as a preview")
	}
	var ids []int64
	for _, m := range p.messages {
		ids = append(ids, m.id)
		if m.err != nil {
			t.Errorf("message %d: %v", m.id, m.err)
		}
		if want := wrapOf(t, body, "yangon_example", strconv.FormatInt(m.id, 10)); !bytes.Equal(m.raw, want) {
			t.Errorf("message %d: raw is not the exact wrap source:\n%s\nwant\n%s", m.id, m.raw, want)
		}
		if !bytes.Equal(body[m.at:m.at+len(m.raw)], m.raw) {
			t.Errorf("message %d: raw is not the page's bytes at %d", m.id, m.at)
		}
	}
	if !slices.Equal(ids, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("ids %v", ids)
	}
	if p.lowest() != 1 {
		t.Errorf("lowest %d", p.lowest())
	}
	// 1 is "Channel created" (a service message), 3 a photo without text.
	for i, skip := range []bool{true, false, true, false, false} {
		if p.messages[i].skip != skip {
			t.Errorf("message %d: skip %v, want %v", ids[i], p.messages[i].skip, skip)
		}
	}

	m2 := p.messages[1].post
	wantText := "မင်္ဂလာပါ။ ဒီနေ့ ရန်ကုန် မြို့မှာ မိုးရွာတယ်။\nRain & wind in \"Yangon\" today, it's wet ☔\n\nMore: example.org/weather #မိုး"
	if m2.Text != wantText {
		t.Errorf("text\n%q\nwant\n%q", m2.Text, wantText)
	}
	want2 := event.Post{
		Platform: "telegram", ID: "yangon_example:2",
		Author:    event.Author{ID: "yangon_example", Handle: "yangon_example", Name: "Yangon Example Bulletin"},
		Text:      wantText,
		CreatedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		URL:       "https://t.me/yangon_example/2",
		Links:     []string{"https://example.org/weather?city=yangon&day=1"},
	}
	checkPost(t, m2, want2)
	if m2.RawSHA256 != event.SHA256Hex(m2.Raw) || !bytes.Equal(m2.Raw, p.messages[1].raw) {
		t.Error("raw or its hash wrong")
	}
	if err := m2.Validate(event.Limits{}, time.Now()); err != nil {
		t.Error(err)
	}

	// A forward with a link preview: the forward's origin is not the
	// author, not in the text, not a link; the preview's link is kept
	// once.
	m4 := p.messages[3].post
	checkPost(t, m4, event.Post{
		Platform: "telegram", ID: "yangon_example:4",
		Author:    event.Author{ID: "yangon_example", Handle: "yangon_example", Name: "Yangon Example Bulletin"},
		Text:      "A report worth reading: the report",
		CreatedAt: time.Date(2026, 11, 1, 10, 15, 0, 0, time.UTC),
		URL:       "https://t.me/yangon_example/4",
		Links:     []string{"https://example.com/report/2026"},
	})
	// A reply: the quoted message's text and link are not this one's;
	// an absolute hashtag search link is dropped; the time is in UTC.
	m5 := p.messages[4].post
	checkPost(t, m5, event.Post{
		Platform: "telegram", ID: "yangon_example:5",
		Author:    event.Author{ID: "yangon_example", Handle: "yangon_example", Name: "Yangon Example Bulletin"},
		Text:      "ကျေးဇူးတင်ပါတယ်။ Follow @another_example and #news",
		CreatedAt: time.Date(2026, 11, 1, 11, 15, 30, 0, time.UTC),
		URL:       "https://t.me/yangon_example/5",
		Links:     []string{"https://t.me/another_example"},
	})
}

func checkPost(t *testing.T, got, want event.Post) {
	t.Helper()
	if got.Platform != want.Platform || got.ID != want.ID || got.Author != want.Author || got.Text != want.Text ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC || got.URL != want.URL ||
		!slices.Equal(got.Links, want.Links) {
		t.Errorf("post\n%+v\nwant\n%+v", withoutRaw(got), want)
	}
}

func withoutRaw(p event.Post) event.Post { p.Raw = nil; p.RawSHA256 = ""; return p }

func TestParseExtras(t *testing.T) {
	body := readFixture(t, "channel.html")
	p, err := parsePage(body, "yangon_example")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		i    int
		want Extras
	}{
		{1, Extras{Views: "1.2K", ViewCount: 1200}},
		{2, Extras{Views: "980", ViewCount: 980}},
		{3, Extras{Views: "3M", ViewCount: 3000000, ForwardedFrom: "https://t.me/other_example/55", ForwardedFromName: "Other Example Channel"}},
		{4, Extras{Views: "15", ViewCount: 15}},
	}
	for _, c := range cases {
		got, err := ParseExtras(p.messages[c.i].raw)
		if err != nil || got != c.want {
			t.Errorf("message %d: %+v, %v; want %+v", p.messages[c.i].id, got, err, c.want)
		}
	}
	// A forward from a private account has no link.
	got, _ := ParseExtras([]byte(`<div class="tgme_widget_message_wrap"><div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <span class="tgme_widget_message_forwarded_from_name">Hidden Person</span></div></div>`))
	if got.ForwardedFromName != "Hidden Person" || got.ForwardedFrom != "" {
		t.Errorf("private forward: %+v", got)
	}
	for s, want := range map[string]int64{"987": 987, "1.2K": 1200, "3M": 3000000, "1,234": 1234, "": 0, "NaN": 0, "-3": 0, "2.5k": 2500} {
		if got := parseCount(s); got != want {
			t.Errorf("parseCount(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestParseNotPreview(t *testing.T) {
	p, err := parsePage(readFixture(t, "info_page.html"), "closed_example")
	if err != nil || p.preview || len(p.messages) != 0 {
		t.Fatalf("info page: %+v, %v", p, err)
	}
	p, err = parsePage(readFixture(t, "empty_channel.html"), "quiet_example")
	if err != nil || !p.preview || len(p.messages) != 0 {
		t.Fatalf("empty channel: %+v, %v", p, err)
	}
	p, err = parsePage([]byte(`{"ok":false}`), "x")
	if err != nil || p.preview {
		t.Fatalf("JSON: %+v, %v", p, err)
	}
}

func TestParseBadMessages(t *testing.T) {
	ch := "bad_example"
	wrap := func(attrs, inner string) string {
		return `<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message js-widget_message"` + attrs + `>` + inner + `</div></div>`
	}
	text := `<div class="tgme_widget_message_text js-message_text">hello</div>`
	date := `<a class="tgme_widget_message_date" href="#"><time datetime="2026-11-01T08:00:00+00:00">08:00</time></a>`
	cases := []struct {
		name, html string
		id         int64
		field      string
	}{
		{"no data-post", wrap("", text+date), 0, "data-post"},
		{"no id", wrap(` data-post="bad_example/"`, text+date), 0, "data-post"},
		{"id not a number", wrap(` data-post="bad_example/12a"`, text+date), 0, "data-post"},
		{"other channel", wrap(` data-post="other/12"`, text+date), 0, "data-post"},
		{"no date", wrap(` data-post="bad_example/12"`, text), 12, "date"},
		{"bad date", wrap(` data-post="bad_example/12"`, text+strings.Replace(date, "2026-11-01T08:00:00+00:00", "yesterday", 1)), 12, "date"},
	}
	for _, c := range cases {
		p, err := parsePage([]byte("<html><body>"+c.html+"</body></html>"), ch)
		if err != nil || len(p.messages) != 1 {
			t.Fatalf("%s: %+v, %v", c.name, p, err)
		}
		m := p.messages[0]
		var ve *event.ValidationError
		if !errors.As(m.err, &ve) || ve.Field != c.field || event.KindOf(m.err) != event.KindMalformed || m.id != c.id {
			t.Errorf("%s: err %v, id %d", c.name, m.err, m.id)
		}
		if string(m.raw) != c.html {
			t.Errorf("%s: raw %q", c.name, m.raw)
		}
	}
	// The channel's case does not matter; the ID is lower-case, the
	// handle as the page writes it.
	p, _ := parsePage([]byte(wrap(` data-post="Bad_Example/7"`, text+date)), ch)
	if m := p.messages[0]; m.err != nil || m.post.ID != "bad_example:7" || m.post.Author.Handle != "Bad_Example" ||
		m.post.Author.ID != "bad_example" || m.post.URL != "https://t.me/Bad_Example/7" {
		t.Errorf("mixed case: %+v %v", withoutRaw(m.post), m.err)
	}
}

func TestLinks(t *testing.T) {
	got := links([]string{
		"https://example.org/a", "?q=%23tag", "https://example.org/a", "", "javascript:alert(1)",
		"/s/chan?q=%23x", "https://t.me/s/chan?q=%23y", "/other/5", "mailto:a@example.org", "tg://resolve?domain=x",
		"https://t.me/s/chan?before=3", " http://example.com/b ",
	}, "chan")
	want := []string{"https://example.org/a", "https://t.me/other/5", "https://t.me/s/chan?before=3", "http://example.com/b"}
	if !slices.Equal(got, want) {
		t.Errorf("links %q, want %q", got, want)
	}
	many := make([]string, 150)
	for i := range many {
		many[i] = "https://example.org/" + strconv.Itoa(i)
	}
	if n := len(links(many, "chan")); n != event.MaxLinks {
		t.Errorf("%d links kept, want %d", n, event.MaxLinks)
	}
}
