package evidence

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/event"
)

func TestHighlight(t *testing.T) {
	my := "ကုလား ကို" // ကုလား is 15 bytes
	m := func(s, e int, field string) event.Match {
		return event.Match{TermID: "t", Category: "c", Start: s, End: e, Field: field}
	}
	render := func(segs []segment) string {
		var b strings.Builder
		for _, s := range segs {
			if s.Mark {
				b.WriteString("[" + s.Text + "]")
			} else {
				b.WriteString(s.Text)
			}
		}
		return b.String()
	}
	for _, tt := range []struct {
		name, text string
		ms         []event.Match
		want       string
	}{
		{"none", "plain", nil, "plain"},
		{"one", "they are vermin", []event.Match{m(9, 15, "")}, "they are [vermin]"},
		{"field text", "they are vermin", []event.Match{m(0, 4, "text")}, "[they] are vermin"},
		{"other field skipped", "they are vermin", []event.Match{m(0, 4, "links[0]")}, "they are vermin"},
		{"overlap merged", "take our land now", []event.Match{m(0, 13, ""), m(5, 13, ""), m(9, 17, "")}, "[take our land now]"},
		{"adjacent kept apart", "abcdef", []event.Match{m(0, 3, ""), m(3, 6, "")}, "[abc][def]"},
		{"out of range", "abc", []event.Match{m(1, 9, ""), m(-1, 2, ""), m(2, 2, "")}, "abc"},
		{"Burmese", my, []event.Match{m(0, 15, "")}, "[ကုလား] ကို"},
		{"inside a UTF-8 sequence", my, []event.Match{m(1, 15, ""), m(0, 14, "")}, my},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(highlight(tt.text, tt.ms)); got != tt.want {
				t.Errorf("highlight = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderReport(t *testing.T) {
	set := demoSet(t)
	var buf bytes.Buffer
	err := RenderReport(&buf, set, ReportOptions{PackID: "p1", CreatedAt: packTime, KeyID: "0123456789abcdef",
		Labels: map[string]string{"dehumanisation": "Dehumanising language"}})
	if err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{
		`<title>Evidence pack p1: case:7</title>`,
		`@page { size: A4;`,
		`:lang(my) { font-family: "Noto Sans Myanmar", "Padauk", "Myanmar Text", "Myanmar3", sans-serif; line-height: 2.1; }`,
		`.account { break-before: page;`,
		`<div class="text" lang="my"><mark title="t43 target_group">ဘင်္ဂါလီ</mark>`,
		`<mark title="t21 threat_to_group; t22 threat_to_group">take our land</mark>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`<a href="https://x.example.com/demo_rumour_mill/status/1999000000000000901">`,
		`Dehumanising language (dehumanisation); violence_call; score 6`,
		`<strong>Hateful conduct; Violent speech</strong>`,
		`<dt><strong>Private information and media</strong></dt>`,
		`confirmed by lead-a1b2 (from escalated)`,
		`term d01: disinformation in links[0]`,
		`seen after zawgyi`,
		`Translation: The Bengalis must be killed.`,
		`<svg xmlns="http://www.w3.org/2000/svg"`,
		`NOTICE UNDER ARTICLE 16`,
		`sha256sum -c SHA256SUMS`,
		`signed with key <code>0123456789abcdef</code>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("the post's script tag reached the report unescaped")
	}
	// Self-contained: nothing is fetched. Links (<a href>) are not
	// requests; the SVG namespace is not fetched.
	for _, re := range []string{`(?i)\ssrc=`, `(?i)<link\b`, `(?i)@import`, `(?i)url\(`, `(?i)<script`, `(?i)<iframe`, `(?i)<img`} {
		if loc := regexp.MustCompile(re).FindStringIndex(html); loc != nil {
			t.Errorf("report holds %s: %q", re, html[max(0, loc[0]-40):min(len(html), loc[1]+40)])
		}
	}
	if !strings.Contains(html, `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`) {
		t.Error("no Content Security Policy")
	}
	// The second English post has four spans: the two overlapping
	// threat_to_group terms are one mark.
	i := strings.Index(html, `id="post-2"`)
	post := html[i : i+strings.Index(html[i:], "</article>")]
	if got := strings.Count(post, "<mark"); got != 4 {
		t.Errorf("post 2 has %d marks, want 4", got)
	}
	for _, secret := range []string{realName, otherCaseTitle} {
		if strings.Contains(html, secret) {
			t.Errorf("report holds %q", secret)
		}
	}
}
