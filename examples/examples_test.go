package examples

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// zawgyiPosts are the posts that tools/genposts.py writes in the legacy
// Zawgyi encoding ("platform/id"). Update the list when the generator
// changes them.
var zawgyiPosts = []string{
	"facebook/100000000000101_900008",
	"telegram/1009",
	"telegram/1022",
	"x/1999000000000000044",
	"facebook/100000000000108_900042",
	"mastodon/113999000000019",
	"facebook/100000000000106_900049",
	"telegram/1037",
}

type post struct {
	Platform *string `json:"platform"`
	ID       *string `json:"id"`
	Author   *struct {
		ID     *string `json:"id"`
		Handle string  `json:"handle"`
		Name   string  `json:"name"`
	} `json:"author"`
	Text      *string `json:"text"`
	CreatedAt string  `json:"created_at"`
	URL       string  `json:"url"`
	Lang      string  `json:"lang"`
}

// readPosts parses posts.jsonl from FS, failing the test on any line that
// is not valid UTF-8 JSON with the required fields.
func readPosts(tb testing.TB) map[string]post {
	tb.Helper()
	b, err := fs.ReadFile(FS, "posts.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		tb.Error("posts.jsonl does not end with a newline")
	}
	posts := make(map[string]post)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if !utf8.Valid(line) {
			tb.Errorf("line %d: not valid UTF-8", n)
			continue
		}
		var p post
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			tb.Errorf("line %d: %v", n, err)
			continue
		}
		switch {
		case p.Platform == nil || *p.Platform == "":
			tb.Errorf("line %d: no platform", n)
			continue
		case p.ID == nil || *p.ID == "":
			tb.Errorf("line %d: no id", n)
			continue
		case p.Author == nil || p.Author.ID == nil || *p.Author.ID == "":
			tb.Errorf("line %d: no author.id", n)
			continue
		case p.Text == nil || strings.TrimSpace(*p.Text) == "":
			tb.Errorf("line %d: no text", n)
			continue
		}
		key := *p.Platform + "/" + *p.ID
		if _, dup := posts[key]; dup {
			tb.Errorf("line %d: duplicate (platform, id) %s", n, key)
		}
		posts[key] = p
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if n != 200 {
		tb.Errorf("posts.jsonl has %d lines, want 200", n)
	}
	return posts
}

func TestPosts(t *testing.T) {
	posts := readPosts(t)
	platforms := map[string]bool{"x": true, "facebook": true, "telegram": true, "mastodon": true}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	langs := map[string]int{}
	for key, p := range posts {
		if !platforms[*p.Platform] {
			t.Errorf("%s: unexpected platform", key)
		}
		ts, err := time.Parse(time.RFC3339, p.CreatedAt)
		if err != nil {
			t.Errorf("%s: created_at: %v", key, err)
		} else if ts.Before(from) || !ts.Before(until) {
			t.Errorf("%s: created_at %s outside 1 to 19 November 2026", key, p.CreatedAt)
		}
		u, err := url.Parse(p.URL)
		if err != nil || u.Scheme != "https" || !(strings.HasSuffix(u.Host, ".example.com") || strings.HasSuffix(u.Host, ".example.org")) {
			t.Errorf("%s: url %q is not on an example domain", key, p.URL)
		}
		langs[p.Lang]++
	}
	if len(langs) != 2 || langs["en"] < 100 || langs["my"] < 60 {
		t.Errorf("languages %v, want about 60%% en and 40%% my", langs)
	}
}

// TestZawgyiPosts checks that the posts the generator wrote in Zawgyi exist
// and look like Zawgyi, and that no other post does.
func TestZawgyiPosts(t *testing.T) {
	posts := readPosts(t)
	zg := make(map[string]bool)
	for _, key := range zawgyiPosts {
		zg[key] = true
		p, ok := posts[key]
		if !ok {
			t.Errorf("Zawgyi post %s not in posts.jsonl", key)
			continue
		}
		if p.Lang != "my" {
			t.Errorf("Zawgyi post %s: lang %q, want my", key, p.Lang)
		}
	}
	for key, p := range posts {
		if got := looksZawgyi(*p.Text); got != zg[key] {
			t.Errorf("%s: looks like Zawgyi = %v, want %v", key, got, zg[key])
		}
	}
}

// looksZawgyi reports whether s contains a sequence that well-formed
// Unicode Burmese never has but Zawgyi does: the virama U+1039 (Zawgyi's
// asat) not followed by a consonant, or the vowel sign E U+1031 (which
// Zawgyi stores before its consonant) not after a consonant or medial.
// A coarse check for this data, not a detector.
func looksZawgyi(s string) bool {
	var prev rune
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '\u1039':
			if i+1 == len(rs) || rs[i+1] < '\u1000' || rs[i+1] > '\u1021' {
				return true
			}
		case '\u1031':
			if !(prev >= '\u1000' && prev <= '\u1021' || prev >= '\u103b' && prev <= '\u103e') {
				return true
			}
		}
		prev = r
	}
	return false
}

// TestTestCases checks that the posts later tests rely on are present.
func TestTestCases(t *testing.T) {
	posts := readPosts(t)
	count := func(sub string) int {
		n := 0
		for _, p := range posts {
			if strings.Contains(*p.Text, sub) {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		name, sub string
		min       int
	}{
		{"zero-width space", "\u200b", 1},
		{"upper-case term", "VERMIN", 1},
		{"title-case term", "Vermin", 1},
		{"chair compound", "ကုလားထိုင်", 3},
		{"chickpea compound", "ကုလားပဲ", 2},
		{"term only inside a longer word", "Congrats", 1},
	} {
		if got := count(c.sub); got < c.min {
			t.Errorf("%s: %d posts contain %q, want at least %d", c.name, got, c.sub, c.min)
		}
	}
}

func TestAccounts(t *testing.T) {
	f, err := FS.Open("accounts.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const header = "platform,account_id,handle,list,note,source"
	if len(rows) == 0 || strings.Join(rows[0], ",") != header {
		t.Fatalf("accounts.csv header is not %q", header)
	}
	posts := readPosts(t)
	authors := make(map[string]bool)
	for _, p := range posts {
		authors[*p.Platform+"/"+*p.Author.ID] = true
	}
	seen := make(map[string]bool)
	posting := 0
	for i, row := range rows[1:] {
		key := row[0] + "/" + row[1]
		if seen[key] {
			t.Errorf("row %d: duplicate account %s", i+2, key)
		}
		seen[key] = true
		if row[1] == "" || row[2] == "" || row[3] == "" || row[5] != "synthetic" {
			t.Errorf("row %d: %q: empty account_id, handle or list, or source not synthetic", i+2, row)
		}
		if authors[key] {
			posting++
		}
	}
	if n := len(rows) - 1; n < 8 || n > 12 {
		t.Errorf("accounts.csv has %d accounts, want 8 to 12", n)
	}
	if posting < 8 {
		t.Errorf("only %d listed accounts post in posts.jsonl, want at least 8", posting)
	}
}

func TestConfigFiles(t *testing.T) {
	cfg, err := fs.ReadFile(FS, "vigil.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"posts.jsonl", "lexicon.yaml", "accounts.csv", "domains.csv", "brands.csv", "gazetteer.yaml"} {
		if !bytes.Contains(cfg, []byte(name)) {
			t.Errorf("vigil.yaml does not name %s", name)
		}
	}
	lex, err := fs.ReadFile(FS, "lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: example\n", "version: \"2026-12-07\"\n", "exceptions: [ကုလားထိုင်, ကုလားပဲ]"} {
		if !bytes.Contains(lex, []byte(want)) {
			t.Errorf("lexicon.yaml does not contain %q", want)
		}
	}
}

// TestDomains checks that the domain list has the header DESIGN.md's
// format needs and lists only invented domains under .example.
func TestDomains(t *testing.T) {
	f, err := FS.Open("domains.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const header = "domain,list,category,note,source"
	if len(rows) < 2 || strings.Join(rows[0], ",") != header {
		t.Fatalf("domains.csv header is not %q, or there is no entry", header)
	}
	for i, row := range rows[1:] {
		if !strings.HasSuffix(row[0], ".example") || row[4] != "synthetic" {
			t.Errorf("entry %d: %q: domain not under .example, or source not synthetic", i+1, row)
		}
	}
}

// TestBrands checks the brand list's format: comments, then the header
// brand,owner,category,note,source, then rows of five fields, none empty but
// note, every one in the lexicon's military_business category, invented for
// the demo, in English and in Burmese (Unicode, not Zawgyi).
func TestBrands(t *testing.T) {
	f, err := FS.Open("brands.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1 // checked below, with the row's number
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	const header = "brand,owner,category,note,source"
	if len(rows) == 0 || strings.Join(rows[0], ",") != header {
		t.Fatalf("brands.csv header is not %q", header)
	}
	seen := make(map[string]bool)
	var burmese, latin int
	for i, row := range rows[1:] {
		if len(row) != 5 {
			t.Errorf("row %d: %q: %d fields, want 5", i+1, row, len(row))
			continue
		}
		for j, name := range strings.Split(header, ",") {
			if name != "note" && strings.TrimSpace(row[j]) == "" {
				t.Errorf("row %d: %q: %s is empty", i+1, row, name)
			}
		}
		brand, category, source := row[0], row[2], row[4]
		if seen[brand] {
			t.Errorf("row %d: duplicate brand %q", i+1, brand)
		}
		seen[brand] = true
		if category != "military_business" || source != "invented for the demo" {
			t.Errorf("row %d: %q: category not military_business, or source not \"invented for the demo\"", i+1, row)
		}
		if strings.ContainsFunc(brand, func(r rune) bool { return r >= '\u1000' && r <= '\u109f' }) {
			burmese++
			if looksZawgyi(brand) {
				t.Errorf("row %d: brand %q looks like Zawgyi", i+1, brand)
			}
		} else {
			latin++
		}
	}
	if n := len(rows) - 1; n < 12 || n > 20 {
		t.Errorf("brands.csv has %d brands, want 12 to 20", n)
	}
	if burmese == 0 || latin == 0 {
		t.Errorf("%d Burmese and %d English brand names, want some of each", burmese, latin)
	}
	lex, err := fs.ReadFile(FS, "lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(lex, []byte("{id: military_business,")) {
		t.Error("lexicon.yaml does not declare the category military_business")
	}
}

// lexTerm is a term of lexicon.yaml as the line-by-line tests read it.
type lexTerm struct {
	id, category, group, note, source string
	line                              int
}

// lexiconTerms reads the terms of lexicon.yaml line by line (the tests use
// no YAML parser): each "  - id:" starts a term, and its indented keys of
// one line fill it.
func lexiconTerms(t *testing.T) []*lexTerm {
	t.Helper()
	lex, err := fs.ReadFile(FS, "lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var terms []*lexTerm
	inTerms := false
	for i, line := range strings.Split(string(lex), "\n") {
		line, _, _ = strings.Cut(line, " #")
		line = strings.TrimRight(line, " ")
		switch {
		case line == "terms:":
			inTerms = true
		case line == "rules:":
			inTerms = false
		case !inTerms:
		case strings.HasPrefix(line, "  - id: "):
			terms = append(terms, &lexTerm{id: strings.TrimPrefix(line, "  - id: "), line: i + 1})
		case len(terms) > 0 && strings.HasPrefix(line, "    "):
			key, value, _ := strings.Cut(strings.TrimPrefix(line, "    "), ": ")
			value = strings.Trim(value, `"`)
			tm := terms[len(terms)-1]
			switch key {
			case "category":
				tm.category = value
			case "group":
				tm.group = value
			case "note":
				tm.note = value
			case "source":
				tm.source = value
			}
		}
	}
	return terms
}

// TestLexiconNotesAndSources checks, line by line (the test uses no YAML
// parser), that every term in lexicon.yaml has a note and a source, and that
// each source is one of the few honest kinds the file's header describes:
// no invented citation slips in.
func TestLexiconNotesAndSources(t *testing.T) {
	sources := map[string]bool{
		"invented for the demo": true,
		"hallmark described in Benesch et al., Dangerous Speech: A Practical Guide (Dangerous Speech Project, 2021)":                 true,
		"pattern described in the report of the UN Independent International Fact-Finding Mission on Myanmar (A/HRC/39/CRP.2, 2018)": true,
	}
	terms := lexiconTerms(t)
	if len(terms) < 60 || len(terms) > 90 {
		t.Errorf("lexicon.yaml has %d terms, want 60 to 90", len(terms))
	}
	for _, tm := range terms {
		if tm.note == "" {
			t.Errorf("lexicon.yaml:%d: term %s has no note", tm.line, tm.id)
		}
		if !sources[tm.source] && !strings.HasPrefix(tm.source, "illustrative phrase for the ") {
			t.Errorf("lexicon.yaml:%d: term %s: source %q is not one of the kinds the header describes", tm.line, tm.id, tm.source)
		}
	}
}

// TestLexiconGroups checks, line by line, that every target-group term of
// lexicon.yaml names its group, with an id the classifier accepts, and that
// the demo's groups are all there.
func TestLexiconGroups(t *testing.T) {
	terms := lexiconTerms(t)
	groups := map[string]int{}
	for _, tm := range terms {
		if tm.category == "target_group" && tm.group == "" {
			t.Errorf("lexicon.yaml:%d: target-group term %s has no group", tm.line, tm.id)
		}
		if tm.group != "" {
			groups[tm.group]++
			if strings.Trim(tm.group, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
				t.Errorf("lexicon.yaml:%d: term %s: group %q is not lower-case ASCII, digits and '_'", tm.line, tm.id, tm.group)
			}
		}
	}
	for _, g := range []string{"minority", "journalists", "activists", "human_rights_defenders"} {
		if groups[g] == 0 {
			t.Errorf("no term of lexicon.yaml names the group %s", g)
		}
	}
}

// TestGazetteer checks gazetteer.yaml line by line (the classifier's own
// tests and cmd/vigil's load it): the header says it needs review, it has
// Myanmar's 14 states and regions and the Naypyitaw Union Territory, at
// least three townships in each, every place with English and Burmese
// names (Unicode, not Zawgyi), and neither "Mon" nor "Chin" alone as a
// name.
func TestGazetteer(t *testing.T) {
	b, err := fs.ReadFile(FS, "gazetteer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{"ILLUSTRATIVE", "NEEDS REVIEW", "Place names are not personal data."} {
		if !strings.Contains(text, want) {
			t.Errorf("gazetteer.yaml's header does not say %q", want)
		}
	}
	type place struct {
		id     string
		line   int
		en, my bool
	}
	type region struct {
		place
		townships []*place
	}
	var (
		regions []*region
		cur     *place
	)
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		switch {
		case strings.HasPrefix(line, "  - id: "):
			r := &region{place: place{id: strings.TrimPrefix(line, "  - id: "), line: i + 1}}
			regions = append(regions, r)
			cur = &r.place
		case strings.HasPrefix(line, "      - id: "):
			if len(regions) == 0 {
				t.Fatalf("gazetteer.yaml:%d: a township before any region", i+1)
			}
			r := regions[len(regions)-1]
			cur = &place{id: strings.TrimPrefix(line, "      - id: "), line: i + 1}
			r.townships = append(r.townships, cur)
		}
		if cur == nil {
			continue
		}
		for _, n := range listAfter(line, "en: [") {
			cur.en = true
			if n == "Mon" || n == "Chin" {
				t.Errorf("gazetteer.yaml:%d: %q alone is a name, but it is an ordinary English word", i+1, n)
			}
		}
		for _, n := range listAfter(line, "my: [") {
			cur.my = true
			if looksZawgyi(n) || !strings.ContainsFunc(n, func(r rune) bool { return r >= '\u1000' && r <= '\u109f' }) {
				t.Errorf("gazetteer.yaml:%d: Burmese name %q is not Myanmar Unicode", i+1, n)
			}
		}
	}
	var ids []string
	for _, r := range regions {
		ids = append(ids, r.id)
		if len(r.townships) < 3 {
			t.Errorf("gazetteer.yaml:%d: region %s has %d townships, want at least 3", r.line, r.id, len(r.townships))
		}
		for _, p := range append([]*place{&r.place}, r.townships...) {
			if !p.en || !p.my {
				t.Errorf("gazetteer.yaml:%d: %s has English names %v, Burmese names %v; want both", p.line, p.id, p.en, p.my)
			}
		}
	}
	want := []string{"kachin", "kayah", "kayin", "chin", "mon", "rakhine", "shan",
		"sagaing", "tanintharyi", "bago", "magway", "mandalay", "yangon", "ayeyarwady", "naypyitaw"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("regions %q, want %q", ids, want)
	}
}

// listAfter returns the items of the flow list that follows prefix in line
// ("en: [a, b]" gives a and b); none when line has no such list.
func listAfter(line, prefix string) []string {
	_, rest, ok := strings.Cut(line, prefix)
	if !ok {
		return nil
	}
	list, _, _ := strings.Cut(rest, "]")
	var out []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
