package domains

import (
	"reflect"
	"strings"
	"testing"
)

func TestLinks(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // each host as written, in text order
	}{
		{name: "https URL", text: "read https://x.example.org/a now", want: []string{"x.example.org"}},
		{name: "http URL, upper case", text: "HTTP://News.Example.ORG/A", want: []string{"News.Example.ORG"}},
		{name: "port", text: "at https://x.example.org:8443/a?b=c", want: []string{"x.example.org"}},
		{name: "query string, no path", text: "https://x.example.org?utm_source=x&b=1", want: []string{"x.example.org"}},
		{name: "fragment", text: "https://x.example.org#top", want: []string{"x.example.org"}},
		{name: "user info", text: "https://user:pass@x.example.org/", want: []string{"x.example.org"}},
		{name: "trailing punctuation", text: "(see https://x.example.org/a).", want: []string{"x.example.org"}},
		{name: "host then parenthesis and full stop", text: "(see https://x.example.org).", want: []string{"x.example.org"}},
		{name: "host at the end of a sentence", text: "Read https://x.example.org.", want: []string{"x.example.org"}},
		{name: "host then comma", text: "https://a.example.org, https://b.example.net!", want: []string{"a.example.org", "b.example.net"}},
		{name: "quoted", text: `"https://x.example.org"`, want: []string{"x.example.org"}},
		{name: "angle brackets", text: "<https://x.example.org/a>", want: []string{"x.example.org"}},
		{name: "any top-level label after a scheme", text: "https://report.pdf/", want: []string{"report.pdf"}},
		{name: "URL inside an archive URL", text: "https://web.archive.example/web/2026/https://x.example.org/a",
			want: []string{"web.archive.example", "x.example.org"}},
		{name: "scheme right after a word", text: "xhttps://x.example.org/"},
		{name: "IP address", text: "http://192.0.2.1/a and http://[2001:db8::1]/"},
		{name: "one label", text: "http://localhost:8080/"},
		{name: "scheme alone", text: "https:// and https://"},

		{name: "bare domain with a path", text: "see example.org/path for more", want: []string{"example.org"}},
		{name: "bare domain at the end", text: "see example.org", want: []string{"example.org"}},
		{name: "bare domain then full stop", text: "Go to www.example.org.", want: []string{"www.example.org"}},
		{name: "bare domain with a port", text: "news.example.com:8080 is up", want: []string{"news.example.com"}},
		{name: "bare domain, country code", text: "Ads on brand.com.mm today", want: []string{"brand.com.mm"}},
		{name: "bare domain in parentheses", text: "(example.net)", want: []string{"example.net"}},
		{name: "bare domain, RFC 2606 example label", text: "see disinfo-news.example!", want: []string{"disinfo-news.example"}},
		{name: "e.g.", text: "lists, e.g. the state media, i.e. the press, in the U.S. and Ph.D. work"},
		{name: "file names", text: "report.pdf, photo.JPG, main.go, notes.md, run.sh, main.py, archive.zip and v1.2.3"},
		{name: "file-extension TLD with a path", text: "run.sh/x and video.mov/watch", want: []string{"run.sh", "video.mov"}},
		{name: "file-extension TLD with a port", text: "notes.md:8080", want: []string{"notes.md"}},
		{name: "file path", text: "/home/user/example.org and C:\\dir\\example.org"},
		{name: "e-mail address", text: "write to someone@example.org or first.last@example.org"},
		{name: "name then underscore", text: "example.org_backup"},
		{name: "unknown top-level label", text: "Mr.Smith said hello.world"},
		{name: "number", text: "3.14 and 1.5m"},
		{name: "hyphen before", text: "-example.org"},

		{name: "Burmese around a URL", text: "ဒီသတင်း https://x.example.org/a ကိုဖတ်ပါ", want: []string{"x.example.org"}},
		{name: "Burmese against a URL", text: "ဖတ်ပါhttps://x.example.org/aကြည့်", want: []string{"x.example.org"}},
		{name: "Burmese against a bare domain", text: "ဖတ်ပါexample.orgကြည့်", want: []string{"example.org"}},
		{name: "Burmese full stop after a URL", text: "https://x.example.org။", want: []string{"x.example.org"}},
		{name: "non-ASCII host", text: "https://ဥပမာ.example/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links := Links(tt.text)
			var got []string
			for _, l := range links {
				host := tt.text[l.Start:l.End]
				got = append(got, host)
				if l.Host != strings.ToLower(host) {
					t.Errorf("Host = %q for span %q", l.Host, host)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Links(%q) hosts = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestLinksSpans(t *testing.T) {
	text := "(ကြည့် https://News.Example.org:8443/a?b=1) ငါ www.x.example.net/y."
	want := []Link{
		{Host: "news.example.org", Start: 25, End: 41},
		{Host: "www.x.example.net", Start: 61, End: 78},
	}
	if got := Links(text); !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %+v, want %+v", got, want)
	}
}

func FuzzLinks(f *testing.F) {
	for _, s := range []string{"https://x.example.org/a", "see example.org.", "ဖတ်ပါexample.orgကြည့်", "a@b.example", "http://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, l := range Links(text) {
			if l.Start < prev || l.End <= l.Start || l.End > len(text) {
				t.Fatalf("bad span %+v in %q", l, text)
			}
			prev = l.End
			if _, err := Normalize(text[l.Start:l.End]); err != nil {
				t.Errorf("host %q: %v", text[l.Start:l.End], err)
			}
		}
	})
}
