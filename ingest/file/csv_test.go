package file

// The fixtures in testdata/ are synthetic: invented accounts, IDs and
// text, in the column layouts of the exports the presets read
// (crowdtangle.csv has CrowdTangle's byte order mark and CRLF line ends).

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

// read runs a source over cfg and returns every item, all acknowledged,
// then saves its cursor as the ingester does after its final flush.
func read(t *testing.T, cfg Config, cursors ingest.Cursors) []ingest.Item {
	t.Helper()
	s, err := New(cfg, cursors)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	items, err := sourcetest.Collect(ctx, s, -1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx); err != nil {
		t.Fatal(err)
	}
	return items
}

func posts(items []ingest.Item) map[string]event.Post {
	out := map[string]event.Post{}
	for _, it := range items {
		if it.Err == nil {
			out[it.Post.ID] = it.Post
		}
	}
	return out
}

// rawObject decodes a post's Raw and checks its hash.
func rawObject(t *testing.T, p event.Post) map[string]string {
	t.Helper()
	if p.RawSHA256 != event.SHA256Hex(p.Raw) {
		t.Fatalf("post %s: raw hash %s does not match", p.ID, p.RawSHA256)
	}
	var m map[string]string
	if err := json.Unmarshal(p.Raw, &m); err != nil {
		t.Fatalf("post %s: raw %s: %v", p.ID, p.Raw, err)
	}
	return m
}

func TestCSV(t *testing.T) {
	items := read(t, Config{Name: "imp", Path: "testdata/posts.csv"}, nil)
	if got, want := sourcetest.IDs(items), []string{"1001", "1002", "1003", "1008"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("posts %v, want %v", got, want)
	}
	ps := posts(items)
	p := ps["1001"]
	want := event.Post{
		Platform: "telegram", ID: "1001", Author: event.Author{ID: "u1", Handle: "example_news", Name: "Example News"},
		Text:      "မင်္ဂလာပါ ဤသည် စမ်းသပ် စာ ဖြစ်သည်",
		CreatedAt: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC),
		URL:       "https://t.example.org/example_news/1001", Lang: "my",
		Links: []string{"https://example.org/a", "https://example.com/b"},
		Raw:   p.Raw, RawSHA256: p.RawSHA256,
	}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("post 1001:\n got %+v\nwant %+v", p, want)
	}
	// Raw is the row as a JSON object in the header's order.
	if !strings.HasPrefix(string(p.Raw), `{"platform":"telegram","id":"1001","author_id":"u1",`) ||
		!strings.HasSuffix(string(p.Raw), `"links":"https://example.org/a https://example.com/b"}`) {
		t.Fatalf("raw %s", p.Raw)
	}
	if m := rawObject(t, p); len(m) != 10 || m["text"] != want.Text {
		t.Fatalf("raw object %v", m)
	}

	if p := ps["1002"]; p.Text != `A quoted field with a comma, and "quotes"` || !p.CreatedAt.Equal(time.Date(2025, 6, 1, 8, 5, 0, 0, time.UTC)) || p.Links != nil {
		t.Fatalf("post 1002: %+v", p)
	}
	// A quoted field over three lines; the platform lowercased; Unix
	// seconds; comma-separated links.
	p = ps["1003"]
	if p.Text != "first line\nဒုတိယ စာကြောင်း\nthird line" || p.Platform != "telegram" ||
		!p.CreatedAt.Equal(time.Date(2025, 6, 1, 8, 10, 0, 0, time.UTC)) ||
		!reflect.DeepEqual(p.Links, []string{"https://example.org/x", "https://example.net/y"}) {
		t.Fatalf("post 1003: %+v", p)
	}
	if m := rawObject(t, p); m["platform"] != "Telegram" || m["text"] != p.Text {
		t.Fatalf("raw keeps the cells as they are: %v", m)
	}
	if p := ps["1008"]; p.CreatedAt.Location() != time.UTC || !p.CreatedAt.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)) || p.Author.Name != "" {
		t.Fatalf("post 1008: %+v", p)
	}

	bad := sourcetest.Errors(items)
	wantBad := []struct{ origin, reason, payload string }{
		{"file:testdata/posts.csv:7", "malformed CSV: 6 fields, the header has 10", "telegram,1004,u2,example_ch,Example Channel,too few fields"},
		{"file:testdata/posts.csv:8", "id: required", "telegram,,u2,example_ch,Example Channel,no id here,2025-06-01T09:00:00Z,,,"},
		{"file:testdata/posts.csv:9", "text: required", "telegram,1006,u2,example_ch,Example Channel,,2025-06-01T09:00:00Z,,,"},
		{"file:testdata/posts.csv:10", `created_at: "yesterday" is not a time`, "telegram,1007,u2,example_ch,Example Channel,bad time,yesterday,,,"},
	}
	if len(bad) != len(wantBad) {
		t.Fatalf("%d bad items, want %d: %+v", len(bad), len(wantBad), bad)
	}
	for i, w := range wantBad {
		if bad[i].Origin != w.origin || !strings.Contains(bad[i].Err.Error(), w.reason) || string(bad[i].Payload) != w.payload {
			t.Errorf("bad item %d: %s %q %q; want %s %q %q", i, bad[i].Origin, bad[i].Err, bad[i].Payload, w.origin, w.reason, w.payload)
		}
	}
	if k := event.KindOf(bad[0].Err); k != event.KindMalformed {
		t.Errorf("kind of a short row %q, want malformed", k)
	}
}

// readAcking runs a source and acknowledges only the first ack items of
// the first n it reads, then stops it, as a crash would.
func readAcking(t *testing.T, s *Source, n, ack int) []ingest.Item {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	var items []ingest.Item
	for len(items) < n {
		select {
		case it := <-out:
			if len(items) < ack {
				it.Ack()
			}
			items = append(items, it)
		case err := <-done:
			t.Fatalf("the source ended after %d items: %v", len(items), err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return items
}

func TestCSVResume(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile("testdata/posts.csv")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "posts.csv")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cursors, err := ingest.OpenFileCursors(filepath.Join(dir, "cursors.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "imp", Path: path}
	var ids []string

	// Three rows read, two made durable: the third is read again.
	s, _ := New(cfg, cursors)
	first := readAcking(t, s, 3, 2)
	ids = append(ids, sourcetest.IDs(first[:2])...)
	cur, _, _ := cursors.Get(context.Background(), "file:imp")
	if want := strconv.Itoa(strings.Index(string(b), "Telegram,1003")); cur != want {
		t.Fatalf("cursor %q, want %s: the offset after row 1002", cur, want)
	}

	// Restarted, with a new cursor store on the same file: from row 1003,
	// the multi-line one, with the rows' line numbers right.
	cursors, _ = ingest.OpenFileCursors(filepath.Join(dir, "cursors.json"))
	second := read(t, cfg, cursors)
	ids = append(ids, sourcetest.IDs(second)...)
	if got := sourcetest.IDs(second); len(got) == 0 || got[0] != "1003" {
		t.Fatalf("after the restart read %v, want 1003 first", got)
	}
	var origins []string
	for _, it := range sourcetest.Errors(second) {
		origins = append(origins, it.Origin)
	}
	if want := []string{"file:" + path + ":7", "file:" + path + ":8", "file:" + path + ":9", "file:" + path + ":10"}; !reflect.DeepEqual(origins, want) {
		t.Fatalf("bad rows at %v, want %v", origins, want)
	}
	sourcetest.Exactly(t, ids, []string{"1001", "1002", "1003", "1008"})
	if cur, _, _ := cursors.Get(context.Background(), "file:imp"); cur != strconv.Itoa(len(b)) {
		t.Fatalf("cursor %q at the end, want %d", cur, len(b))
	}

	// Rows appended since are read on the next run, and only they.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("telegram,1009,u3,example_three,,\"appended\nlater\",2025-06-02T00:00:00Z,,,\n")
	f.Close()
	third := read(t, cfg, cursors)
	if len(third) != 1 || third[0].Post.ID != "1009" || third[0].Origin != "file:"+path+":13" {
		t.Fatalf("third run: %+v", third)
	}
	if third := read(t, cfg, cursors); len(third) != 0 {
		t.Fatalf("nothing new, read %d items", len(third))
	}
}

func TestCSVPresetCrowdTangle(t *testing.T) {
	items := read(t, Config{Name: "ct", Path: "testdata/crowdtangle.csv", Preset: "crowdtangle"}, nil)
	ps := posts(items)
	if len(ps) != 2 {
		t.Fatalf("posts %v, want 2", sourcetest.IDs(items))
	}
	p := ps["200000000000001"] // from .../posts/<id>
	if p.Platform != "facebook" || p.Author != (event.Author{ID: "100000000000001", Handle: "examplecommunity", Name: "Example Community Page"}) ||
		p.Text != "ကျေးဇူးတင်ပါတယ် synthetic message" || !p.CreatedAt.Equal(time.Date(2025, 3, 1, 13, 15, 0, 0, time.UTC)) ||
		p.URL != "https://www.example.com/examplecommunity/posts/200000000000001" || !reflect.DeepEqual(p.Links, []string{"https://example.org/article"}) {
		t.Fatalf("post: %+v", p)
	}
	m := rawObject(t, p)
	if m["Page Name"] != "Example Community Page" || m["Final Link"] != "https://example.org/article?ref=1" || len(m) != 23 {
		t.Fatalf("raw %s: every column, the byte order mark off the first name", p.Raw)
	}
	p = ps["300000000000002"] // from permalink.php?story_fbid=
	if p.Text != "Two lines\nin one message" || p.Author.Handle != "" || !p.CreatedAt.Equal(time.Date(2025, 3, 2, 21, 0, 0, 0, time.UTC)) {
		t.Fatalf("post: %+v", p)
	}
	bad := sourcetest.Errors(items)
	// Lines 5 and 6: the row before spans lines 3 and 4.
	if len(bad) != 2 || bad[0].Origin != "file:testdata/crowdtangle.csv:5" || !strings.Contains(bad[0].Err.Error(), "text: required") ||
		bad[1].Origin != "file:testdata/crowdtangle.csv:6" || !strings.Contains(bad[1].Err.Error(), `unknown time zone abbreviation "XYZ"`) {
		t.Fatalf("bad items %+v", bad)
	}
	if !strings.HasPrefix(string(bad[0].Payload), `"Example Photo Page"`) || strings.HasSuffix(string(bad[0].Payload), "\r") {
		t.Fatalf("payload %q", bad[0].Payload)
	}
}

func TestCSVPresetMetaContentLibrary(t *testing.T) {
	if _, err := New(Config{Name: "mcl", Path: "testdata/meta_content_library.csv", Preset: "meta_content_library"}, nil); err == nil ||
		!strings.Contains(err.Error(), "set platform") {
		t.Fatalf("no platform: %v", err)
	}
	items := read(t, Config{Name: "mcl", Path: "testdata/meta_content_library.csv", Preset: "meta_content_library", Platform: "instagram"}, nil)
	if got := sourcetest.IDs(items); !reflect.DeepEqual(got, []string{"9000000001", "9000000002"}) {
		t.Fatalf("posts %v (bad: %+v)", got, sourcetest.Errors(items))
	}
	p := items[0].Post
	if p.Platform != "instagram" || p.Author != (event.Author{ID: "70001", Name: "Example Account"}) ||
		!p.CreatedAt.Equal(time.Date(2025, 5, 2, 6, 30, 0, 0, time.UTC)) || p.URL != "https://www.example.com/p/ExAmPlE1/" || p.Lang != "" {
		t.Fatalf("post %+v", p)
	}
}

func TestCSVPreset4CAT(t *testing.T) {
	items := read(t, Config{Name: "4c", Path: "testdata/4cat.csv", Preset: "4cat", Platform: "forum",
		Columns: map[string]string{"lang": "subject"}}, nil)
	if got := sourcetest.IDs(items); !reflect.DeepEqual(got, []string{"t1-0001", "t1-0002"}) {
		t.Fatalf("posts %v (bad: %+v)", got, sourcetest.Errors(items))
	}
	p := items[1].Post
	if p.Platform != "forum" || p.Author != (event.Author{ID: "example_user_2", Handle: "example_user_2"}) || p.Text != "quoted, reply" ||
		!p.CreatedAt.Equal(time.Date(2025, 4, 10, 12, 30, 0, 0, time.UTC)) || p.URL != "https://example.org/t/t1/0002" || p.Lang != "Re" {
		t.Fatalf("post %+v", p)
	}
}

func TestCSVOwnColumns(t *testing.T) {
	cfg := Config{Name: "tsv", Path: "testdata/export.txt", Format: "csv", Delimiter: `\t`, Platform: "example",
		TimeFormat: "02/01/2006 15:04",
		Columns: map[string]string{"id": "Post ID", "author_id": "Account", "author_name": "Shown name",
			"created_at": "When", "text": "Content", "url": "Permalink"}}
	items := read(t, cfg, nil)
	if got := sourcetest.IDs(items); !reflect.DeepEqual(got, []string{"p-1", "p-2"}) {
		t.Fatalf("posts %v (bad: %+v)", got, sourcetest.Errors(items))
	}
	if p := items[0].Post; p.Platform != "example" || !p.CreatedAt.Equal(time.Date(2025, 7, 1, 14, 0, 0, 0, time.UTC)) || p.Author.Name != "Example Nine" {
		t.Fatalf("post %+v", p)
	}
	// A column named in columns that the header lacks: a config error
	// naming the column and the file.
	cfg.Columns["lang"] = "Language"
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sourcetest.Collect(context.Background(), s, -1)
	if err == nil || !strings.Contains(err.Error(), `"Language"`) || !strings.Contains(err.Error(), "testdata/export.txt") || !strings.Contains(err.Error(), "tsv") {
		t.Fatalf("missing column: %v", err)
	}
}

func TestCSVHeaderWithoutNeededColumns(t *testing.T) {
	for name, tc := range map[string]struct {
		csv, want string
	}{
		"no text":     {"platform,id,author_id\nx,1,a\n", `no column "text" for text`},
		"no author":   {"platform,id,text\nx,1,hello\n", `no column "author_id" for author_id`},
		"no id":       {"platform,author_id,text\nx,a,hello\n", `no column "id" for id`},
		"no platform": {"id,author_id,text\n1,a,hello\n", `no platform column "platform": set platform`},
	} {
		fsys := fstest.MapFS{"x.csv": {Data: []byte(tc.csv)}}
		s, err := New(Config{Name: "x", Path: "x.csv", FS: fsys}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = sourcetest.Collect(context.Background(), s, -1)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.csv") {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	// An empty file has nothing to read.
	s, _ := New(Config{Name: "x", Path: "x.csv", FS: fstest.MapFS{"x.csv": {}}}, nil)
	if items, err := sourcetest.Collect(context.Background(), s, -1); err != nil || len(items) != 0 {
		t.Fatalf("empty file: %v, %d items", err, len(items))
	}
}

func TestCSVBadRowsDoNotStopTheFile(t *testing.T) {
	data := "platform,id,author_id,text\n" +
		"x,1,a,\"fine\"\n" +
		"x,2,a,bad \xff byte\n" +
		"x,3,a,a bare \" quote\n" +
		"x,4,a,\"a <b>&amp;</b> \"\"quoted\"\" one\"\n" +
		"x,5,a/b,slash in the author id\n" +
		"x,6,a,\"unclosed\n"
	fsys := fstest.MapFS{"in.CSV": {Data: []byte(data)}}
	s, err := New(Config{Name: "x", Path: "in.CSV", FS: fsys}, nil)
	if err != nil {
		t.Fatal(err)
	}
	items, err := sourcetest.Collect(context.Background(), s, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got := sourcetest.IDs(items); !reflect.DeepEqual(got, []string{"1", "4"}) {
		t.Fatalf("posts %v", got)
	}
	if raw := string(items[3].Post.Raw); raw != `{"platform":"x","id":"4","author_id":"a","text":"a <b>&amp;</b> \"quoted\" one"}` {
		t.Fatalf("raw %s", raw)
	}
	bad := sourcetest.Errors(items)
	want := []struct {
		line    int
		reason  string
		kind    string
		payload string
	}{
		{3, `column "text": not valid UTF-8`, event.KindEncoding, "x,2,a,bad \xff byte"},
		{4, `malformed CSV: bare " in non-quoted-field`, event.KindMalformed, "x,3,a,a bare \" quote"},
		{6, "author.id", event.KindInvalid, "x,5,a/b,slash in the author id"},
		{7, "malformed CSV: extraneous or missing \" in quoted-field", event.KindMalformed, "x,6,a,\"unclosed"},
	}
	if len(bad) != len(want) {
		t.Fatalf("bad items %+v", bad)
	}
	for i, w := range want {
		b := bad[i]
		if b.Origin != "file:in.CSV:"+strconv.Itoa(w.line) || !strings.Contains(b.Err.Error(), w.reason) || event.KindOf(b.Err) != w.kind || string(b.Payload) != w.payload {
			t.Errorf("bad %d: %s %v (%s) %q; want line %d %q %s %q", i, b.Origin, b.Err, event.KindOf(b.Err), b.Payload, w.line, w.reason, w.kind, w.payload)
		}
	}
}

func TestCSVConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "x", Path: "a.csv", Preset: "tweetdeck"}, `preset "tweetdeck": want one of 4cat, crowdtangle, meta_content_library`},
		{Config{Name: "x", Path: "a.csv", Columns: map[string]string{"body": "Body"}}, `unknown field "body"`},
		{Config{Name: "x", Path: "a.csv", Columns: map[string]string{"text": " "}}, "text: no header name"},
		{Config{Name: "x", Path: "a.csv", Delimiter: ";;"}, `delimiter ";;"`},
		{Config{Name: "x", Path: "a.csv", Delimiter: `"`}, "delimiter"},
		{Config{Name: "x", Path: "a.csv", Platform: "Facebook"}, `platform "Facebook"`},
		{Config{Name: "x", Path: "a.csv", Follow: true}, "follow is for JSON Lines"},
		{Config{Name: "x", Path: "a.jsonl", Preset: "4cat"}, "set format: csv"},
		{Config{Name: "x", Path: "a.jsonl", Columns: map[string]string{"text": "t"}}, "set format: csv"},
		{Config{Name: "x", Path: "a.csv", Format: "xml"}, `format "xml"`},
		{Config{Name: "x", Path: "a.csv", Preset: "4cat"}, "set platform"},
	}
	for _, tc := range cases {
		_, err := New(tc.cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "file source x") {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
	for _, ok := range []Config{
		{Name: "x", Path: "a.csv", Delimiter: ";"},
		{Name: "x", Path: "a.csv", Delimiter: "tab"},
		{Name: "x", Path: "a.tsv", Format: "csv", Delimiter: "\t", Platform: "telegram"},
		{Name: "x", Path: "a.txt", Preset: "4cat", Platform: "reddit", Format: "csv"},
		{Name: "x", Path: "a.jsonl", Follow: true},
	} {
		if _, err := New(ok, nil); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

func TestFormatFromExtension(t *testing.T) {
	for path, want := range map[string]string{"a.csv": "csv", "dir/B.CSV": "csv", "a.jsonl": "jsonl", "a.json": "jsonl", "noext": "jsonl", "a.csv.gz": "jsonl"} {
		c := Config{Name: "x", Path: path}
		if err := c.Validate(); err != nil || c.Format != want {
			t.Errorf("%s: format %q (%v), want %s", path, c.Format, err, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	spec := &csvSpec{layouts: defaultLayouts}
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	for in, want := range map[string]time.Time{
		"2025-06-01T08:00:00Z":          utc(2025, 6, 1, 8, 0, 0, 0),
		"2025-06-01T08:00:00.123+06:30": utc(2025, 6, 1, 1, 30, 0, 123e6),
		"2025-06-01T08:00:00":           utc(2025, 6, 1, 8, 0, 0, 0),
		"2025-06-01 08:00:00":           utc(2025, 6, 1, 8, 0, 0, 0),
		"2025-06-01 08:00:00.5":         utc(2025, 6, 1, 8, 0, 0, 5e8),
		"2025-06-01 08:00:00+06:30":     utc(2025, 6, 1, 1, 30, 0, 0),
		"2025-06-01 08:00:00 -0400":     utc(2025, 6, 1, 12, 0, 0, 0),
		"2025-01-05 10:00:00 EST":       utc(2025, 1, 5, 15, 0, 0, 0),
		"2025-06-05 10:00:00 EDT":       utc(2025, 6, 5, 14, 0, 0, 0),
		"2025-06-05 10:00:00 UTC":       utc(2025, 6, 5, 10, 0, 0, 0),
		"2025-06-05 10:00:00 MMT":       utc(2025, 6, 5, 3, 30, 0, 0),
		"1748765400":                    utc(2025, 6, 1, 8, 10, 0, 0),
		"1748765400.25":                 utc(2025, 6, 1, 8, 10, 0, 25e7),
		"1748765400123":                 utc(2025, 6, 1, 8, 10, 0, 123e6),
	} {
		got, err := spec.parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "01/06/2025", "2025-06-01 08:00:00 XYZ", "-5", "1e9", "12.5.3"} {
		if got, err := spec.parseTime(in); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
	}
	custom := &csvSpec{layouts: []string{"unix"}, custom: true}
	if got, err := custom.parseTime("1748765400"); err != nil || !got.Equal(utc(2025, 6, 1, 8, 10, 0, 0)) {
		t.Errorf("time_format unix: %v, %v", got, err)
	}
	if _, err := custom.parseTime("2025-06-01T08:00:00Z"); err == nil || !strings.Contains(err.Error(), `does not match time_format "unix"`) {
		t.Errorf("time_format unix, RFC 3339 given: %v", err)
	}
}

func TestIDFromURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.example.com/page/posts/123":                        "123",
		"https://www.example.com/page/posts/pfbid02AbC/":                "pfbid02AbC",
		"https://www.example.com/permalink.php?story_fbid=456&id=789":   "456",
		"https://www.example.com/photo.php?fbid=321&set=a.1":            "321",
		"https://www.example.com/watch/?v=654":                          "654",
		"https://www.example.com/":                                      "",
		"":                                                              "",
		"https://www.example.com/page/videos/%E1%80%99%E1%80%AC/?x=1#f": "မာ",
	} {
		if got := idFromURL(in); got != want {
			t.Errorf("idFromURL(%q) = %q, want %q", in, got, want)
		}
	}
}
