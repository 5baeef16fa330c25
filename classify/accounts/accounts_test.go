package accounts

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/vigilhq/vigil/classify/problem/problemtest"
	"github.com/vigilhq/vigil/event"
)

func TestLoad(t *testing.T) {
	l := mustLoad(t, "lists.csv")
	if l.Len() != 3 {
		t.Errorf("Len() = %d, want 3", l.Len())
	}
	tests := []struct {
		name              string
		platform, account string
		want              []event.ListHit
	}{
		{name: "two lists, sorted", platform: "x", account: "44", want: []event.ListHit{
			{List: "proxy_network", Note: "Reposts the same channel, hourly", Source: "monitor review 2026-10"},
			{List: "sanctioned_business", Source: "public sanctions list"},
		}},
		{name: "one list", platform: "telegram", account: "1001", want: []event.ListHit{
			{List: "proxy_network", Source: "monitor review 2026-11"},
		}},
		{name: "same id on another platform", platform: "telegram", account: "44"},
		{name: "unknown", platform: "x", account: "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := l.Lookup(tt.platform, tt.account); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lookup(%s, %s) = %+v, want %+v", tt.platform, tt.account, got, tt.want)
			}
		})
	}
}

func TestLookupResultIsACopy(t *testing.T) {
	l := mustLoad(t, "lists.csv")
	l.Lookup("x", "44")[0].List = "changed"
	if got := l.Lookup("x", "44")[0].List; got != "proxy_network" {
		t.Errorf("Lookup after changing a result: %q", got)
	}
}

func TestNilLists(t *testing.T) {
	var l *Lists
	if l.Lookup("x", "44") != nil || l.Len() != 0 || l.Entries() != nil {
		t.Error("a nil *Lists is not empty")
	}
}

func TestColumnsInAnyOrder(t *testing.T) {
	l := mustLoad(t, "reordered.csv")
	want := []Entry{{Platform: "mastodon", AccountID: "77", List: "proxy_network", File: "reordered.csv", Line: 2}}
	if got := l.Entries(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entries() = %+v, want %+v", got, want)
	}
}

func TestLoadFiles(t *testing.T) {
	l, err := LoadFiles(os.DirFS("testdata"), "lists.csv", "reordered.csv")
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 4 || len(l.Lookup("mastodon", "77")) != 1 || len(l.Lookup("x", "44")) != 2 {
		t.Errorf("merged lists: %+v", l.Entries())
	}

	tests := []struct {
		name  string
		files []string
		want  string
	}{
		{name: "same account on the same list in two files", files: []string{"lists.csv", "overlap.csv"},
			want: `overlap.csv:2: duplicate entry x/44 on list "sanctioned_business" (first at lists.csv:5)`},
		{name: "problems of every file", files: []string{"noheader.bad.csv", "lists.csv", "missing_column.bad.csv"},
			want: "missing_column.bad.csv:1: column \"account_id\" is required\nnoheader.bad.csv:1: header required: platform,account_id,handle,list,note,source"},
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
		"fields.bad.csv": {
			`fields.bad.csv:3: 7 fields, but the header has 6`,
			`fields.bad.csv:4: 4 fields, but the header has 6`,
			`fields.bad.csv:7: platform "X": only a-z, 0-9, '_', '-' and '.' are allowed`,
			`fields.bad.csv:8: account_id is empty`,
			`fields.bad.csv:9: list is empty`,
			`fields.bad.csv:10: platform is empty`,
			`fields.bad.csv:11: account_id "50 51" contains a space or a control character`,
			`fields.bad.csv:12: duplicate entry x/44 on list "proxy_network" (first at line 2)`,
		},
		"header.bad.csv": {
			`header.bad.csv:1: unknown column "account" (want platform,account_id,handle,list,note,source)`,
			`header.bad.csv:1: column "list" appears twice`,
			`header.bad.csv:1: column "account_id" is required`,
		},
		"noheader.bad.csv": {
			`noheader.bad.csv:1: header required: platform,account_id,handle,list,note,source`,
		},
		"missing_column.bad.csv": {
			`missing_column.bad.csv:1: column "account_id" is required`,
		},
		"quote.bad.csv": {
			`quote.bad.csv:2: extraneous or missing " in quoted-field`,
		},
		"empty.bad.csv": {
			`empty.bad.csv:1: header required: platform,account_id,handle,list,note,source`,
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
		{name: "byte order mark and CRLF", csv: "\uFEFFplatform,account_id,list\r\nx,1,l\r\n",
			want: []Entry{{Platform: "x", AccountID: "1", List: "l", File: "f.csv", Line: 2}}},
		{name: "spaces trimmed, header case ignored", csv: " Platform , ACCOUNT_ID ,list\n x , 1 , l \n",
			want: []Entry{{Platform: "x", AccountID: "1", List: "l", File: "f.csv", Line: 2}}},
		{name: "header only", csv: "platform,account_id,list\n"},
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
		"a.csv": {Data: []byte("platform,account_id,list\nx,1,a\nx,2,a\n")},
		"b.csv": {Data: []byte("platform,account_id,list\nx,1,b\n")},
	}
	a, b := mustLoadFS(t, fsys, "a.csv"), mustLoadFS(t, fsys, "b.csv")
	m, err := Merge(a, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []event.ListHit{{List: "a"}, {List: "b"}}
	if got := m.Lookup("x", "1"); !reflect.DeepEqual(got, want) {
		t.Errorf("Lookup(x, 1) = %+v, want %+v", got, want)
	}
	if _, err := Merge(a, a); err == nil || !strings.Contains(err.Error(), `a.csv:2: duplicate entry x/1 on list "a" (first at line 2)`) {
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
