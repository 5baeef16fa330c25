package domains

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilhq/vigil/classify/problem/problemtest"
)

func TestLoad(t *testing.T) {
	l := mustLoad(t, "lists.csv")
	if l.Len() != 5 {
		t.Errorf("Len() = %d, want 5", l.Len())
	}
	want := []Entry{
		{Domain: "disinfo-news.example", List: "disinformation_sites", Category: "disinformation",
			Note: `Fabricated "reports", daily`, Source: "monitor review 2026-10", File: "lists.csv", Line: 4},
		{Domain: "example.org", List: "test_list", Category: "disinformation", File: "lists.csv", Line: 6},
		{Domain: "military-brand.example", List: "military_business", Category: "military_business",
			Note: "Beer brand", Source: "public sanctions list", File: "lists.csv", Line: 8},
		{Domain: "news.example.org", List: "state_media", Category: "disinformation", File: "lists.csv", Line: 7},
		{Domain: "state-media.example", List: "state_media", Category: "disinformation", Source: "public register", File: "lists.csv", Line: 5},
	}
	if got := l.Entries(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entries() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestLookup(t *testing.T) {
	l := mustLoad(t, "lists.csv")
	tests := []struct {
		name string
		host string
		want []string // "domain/list", in order
	}{
		{name: "the domain itself", host: "disinfo-news.example", want: []string{"disinfo-news.example/disinformation_sites"}},
		{name: "upper case and trailing dot", host: "Disinfo-News.EXAMPLE.", want: []string{"disinfo-news.example/disinformation_sites"}},
		{name: "www ignored", host: "www.disinfo-news.example", want: []string{"disinfo-news.example/disinformation_sites"}},
		{name: "listed with www, looked up without", host: "state-media.example", want: []string{"state-media.example/state_media"}},
		{name: "subdomain", host: "a.b.disinfo-news.example", want: []string{"disinfo-news.example/disinformation_sites"}},
		{name: "listed subdomain and its parent, most specific first", host: "live.news.example.org",
			want: []string{"news.example.org/state_media", "example.org/test_list"}},
		{name: "sibling of a listed subdomain", host: "sport.example.org", want: []string{"example.org/test_list"}},
		{name: "suffix not at a label boundary", host: "badexample.org"},
		{name: "suffix not at a label boundary, subdomain", host: "www.notexample.org"},
		{name: "listed name as a subdomain of another domain", host: "example.org.evil.example"},
		{name: "parent of a listed domain", host: "example"},
		{name: "hyphen is not a boundary", host: "fake-disinfo-news.example"},
		{name: "not a domain", host: "https://disinfo-news.example/"},
		{name: "empty", host: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range l.Lookup(tt.host) {
				got = append(got, e.Domain+"/"+e.List)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func TestLookupResultIsACopy(t *testing.T) {
	l := mustLoad(t, "lists.csv")
	l.Lookup("example.org")[0].List = "changed"
	if got := l.Lookup("example.org")[0].List; got != "test_list" {
		t.Errorf("Lookup after changing a result: %q", got)
	}
}

func TestNilLists(t *testing.T) {
	var l *Lists
	if l.Lookup("example.org") != nil || l.Len() != 0 || l.Entries() != nil {
		t.Error("a nil *Lists is not empty")
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "Example.ORG", want: "example.org"},
		{in: " example.org. ", want: "example.org"},
		{in: "www.example.org", want: "example.org"},
		{in: "www.www.example.org", want: "www.example.org"},
		{in: "www.org", want: "www.org"},
		{in: "xn--mgbh0fb.xn--kgbechtv", want: "xn--mgbh0fb.xn--kgbechtv"},
		{in: "a-b.c-d.example", want: "a-b.c-d.example"},
		{in: "", err: "domain is empty"},
		{in: "org", err: `domain "org": a domain has at least two labels, as in example.org`},
		{in: "example.org/x", err: `domain "example.org/x": write the domain alone, without scheme, port, path or user`},
		{in: "exa mple.org", err: `domain "exa mple.org": only letters a-z, digits, '-' and '.' are allowed`},
		{in: "a.b-", err: `domain "a.b-": label "b-" starts or ends with '-'`},
		{in: "a.x", err: `domain "a.x": top-level label "x" is not letters or xn-- punycode`},
		{in: strings.Repeat("a", 64) + ".example", err: `domain "` + strings.Repeat("a", 64) + `.example": label "` + strings.Repeat("a", 64) + `" is longer than 63 bytes`},
		{in: strings.Repeat("abcdefghi.", 26) + "example", err: `domain "` + strings.Repeat("abcdefghi.", 26) + `example": longer than 253 bytes`},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Normalize(%q) error = %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestColumnsInAnyOrder(t *testing.T) {
	l := mustLoad(t, "reordered.csv")
	want := []Entry{{Domain: "mirror.example.net", List: "mirrors", Category: "disinformation", File: "reordered.csv", Line: 2}}
	if got := l.Entries(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entries() = %+v, want %+v", got, want)
	}
}

func TestLoadFiles(t *testing.T) {
	l, err := LoadFiles(os.DirFS("testdata"), "lists.csv", "reordered.csv")
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 6 || len(l.Lookup("www.mirror.example.net")) != 1 {
		t.Errorf("merged lists: %+v", l.Entries())
	}

	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{name: "same domain on the same list in two files", files: []string{"lists.csv", "overlap.csv"},
			want: `overlap.csv:2: duplicate entry example.org on list "test_list" (first at lists.csv:6)`},
		{name: "problems of every file", files: []string{"noheader.bad.csv", "lists.csv", "missing_column.bad.csv"},
			want: "missing_column.bad.csv:1: column \"category\" is required\nnoheader.bad.csv:1: header required: domain,list,category,note,source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFiles(os.DirFS("testdata"), tt.files...)
			var probs Problems
			if !errors.As(err, &probs) {
				t.Fatalf("LoadFiles error = %v, want Problems", err)
			}
			if err.Error() != tt.want {
				t.Errorf("LoadFiles error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}

	if _, err := LoadFiles(os.DirFS("testdata"), "lists.csv", "nope.csv"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFiles with a missing file = %v, want fs.ErrNotExist", err)
	}
}

// TestLoadBad checks the exact problems of each testdata/*.bad.csv.
func TestLoadBad(t *testing.T) {
	tests := map[string][]string{
		"domain.bad.csv": {
			`domain.bad.csv:2: domain "https://disinfo-news.example/": write the domain alone, without scheme, port, path or user`,
			`domain.bad.csv:3: domain "example.org:8080": write the domain alone, without scheme, port, path or user`,
			`domain.bad.csv:4: domain "localhost": a domain has at least two labels, as in example.org`,
			`domain.bad.csv:5: domain "192.0.2.1": top-level label "1" is not letters or xn-- punycode`,
			`domain.bad.csv:6: domain "bad..example": empty label`,
			`domain.bad.csv:7: domain "-bad.example": label "-bad" starts or ends with '-'`,
			`domain.bad.csv:8: domain "bad_name.example": only letters a-z, digits, '-' and '.' are allowed`,
			`domain.bad.csv:9: domain "ဥပမာ.example": not ASCII: write an internationalised name in its punycode (xn--) form`,
			`domain.bad.csv:10: domain is empty`,
			`domain.bad.csv:11: list is empty`,
			`domain.bad.csv:12: category is empty`,
			`domain.bad.csv:13: category "dis information" must not contain spaces or ','`,
		},
		"duplicate.bad.csv": {
			`duplicate.bad.csv:3: duplicate entry disinfo-news.example on list "disinformation_sites" (first at line 2)`,
		},
		"fields.bad.csv": {
			`fields.bad.csv:3: 6 fields, but the header has 5`,
			`fields.bad.csv:6: 3 fields, but the header has 5`,
		},
		"header.bad.csv": {
			`header.bad.csv:1: unknown column "kind" (want domain,list,category,note,source)`,
			`header.bad.csv:1: column "list" appears twice`,
			`header.bad.csv:1: column "category" is required`,
		},
		"missing_column.bad.csv": {
			`missing_column.bad.csv:1: column "category" is required`,
		},
		"noheader.bad.csv": {
			`noheader.bad.csv:1: header required: domain,list,category,note,source`,
		},
		"empty.bad.csv": {
			`empty.bad.csv:1: header required: domain,list,category,note,source`,
		},
		"quote.bad.csv": {
			`quote.bad.csv:2: extraneous or missing " in quoted-field`,
		},
	}
	problemtest.CheckBadFiles(t, "testdata", "*.bad.csv", tests, func(name string) (bool, error) {
		v, err := Load(os.DirFS("testdata"), name)
		return v != nil, err
	})
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		csv  string
		want []Entry
	}{
		{name: "byte order mark and CRLF", csv: "\uFEFFdomain,list,category\r\na.example,l,c\r\n",
			want: []Entry{{Domain: "a.example", List: "l", Category: "c", File: "f.csv", Line: 2}}},
		{name: "spaces trimmed, header case ignored", csv: " Domain , LIST ,category\n A.Example , l , c \n",
			want: []Entry{{Domain: "a.example", List: "l", Category: "c", File: "f.csv", Line: 2}}},
		{name: "same domain on two lists", csv: "domain,list,category\na.example,l1,c\nwww.a.example,l2,c\n",
			want: []Entry{
				{Domain: "a.example", List: "l1", Category: "c", File: "f.csv", Line: 2},
				{Domain: "a.example", List: "l2", Category: "c", File: "f.csv", Line: 3},
			}},
		{name: "header only", csv: "domain,list,category\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse("f.csv", []byte(tt.csv))
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Entries(); !reflect.DeepEqual(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
				t.Errorf("Entries() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	fsys := fstest.MapFS{
		"a.csv": {Data: []byte("domain,list,category\na.example,l1,c\nb.example,l1,c\n")},
		"b.csv": {Data: []byte("domain,list,category\na.example,l2,c\n")},
	}
	a, b := mustLoadFS(t, fsys, "a.csv"), mustLoadFS(t, fsys, "b.csv")
	m, err := Merge(a, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Lookup("x.a.example"); len(got) != 2 || got[0].List != "l1" || got[1].List != "l2" {
		t.Errorf("Lookup(x.a.example) = %+v", got)
	}
	if _, err := Merge(a, a); err == nil || !strings.Contains(err.Error(), `a.csv:2: duplicate entry a.example on list "l1" (first at line 2)`) {
		t.Errorf("Merge(a, a) = %v", err)
	}
}

func mustLoad(tb testing.TB, name string) *Lists {
	tb.Helper()
	return mustLoadFS(tb, os.DirFS("testdata"), name)
}

func mustLoadFS(tb testing.TB, fsys fs.FS, name string) *Lists {
	tb.Helper()
	l, err := Load(fsys, name)
	if err != nil {
		tb.Fatalf("Load(%s): %v", name, err)
	}
	return l
}
