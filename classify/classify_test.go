package classify

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// classifyTests are synthetic posts: none is a real person's post.
var classifyTests = []struct {
	name       string
	author     string // default "1"
	text       string
	flagged    bool
	score      float64
	categories []string
	tags       []string
	matches    []event.Match
	lists      []string
}{
	{name: "nothing", text: "a quiet morning in the market"},
	{name: "never inside a longer word", text: "a classic glass of water, assorted"},
	{name: "whole word", text: "what an ass", flagged: true, score: 1, categories: []string{"insult"},
		matches: []event.Match{{TermID: "ass", Category: "insult", Start: 8, End: 11}}},
	{name: "word between punctuation", text: "(ass)!", flagged: true, score: 1, categories: []string{"insult"},
		matches: []event.Match{{TermID: "ass", Category: "insult", Start: 1, End: 4}}},
	{
		// Bytes: ZWSP 0-3, "THEY" 3-7, " are " 7-12, "VER" 12-15, soft
		// hyphen 15-17, "MIN" 17-20.
		name: "invisible and upper case before and inside the match", text: "\u200BTHEY are VER\u00ADMIN",
		flagged: true, score: 3, categories: []string{"dehumanisation"},
		matches: []event.Match{{TermID: "vermin", Category: "dehumanisation", Start: 12, End: 20, Transforms: []string{"invisible", "casefold"}}},
	},
	{
		name: "invisible next to the match is not part of it", text: "so\u200B vermin\u200B!",
		flagged: true, score: 3, categories: []string{"dehumanisation"},
		matches: []event.Match{{TermID: "vermin", Category: "dehumanisation", Start: 6, End: 12}},
	},
	{
		// "Ünïcödé " is 12 bytes; "ÇÖP" is 5.
		name: "multi-byte letters before and in the match", text: "Ünïcödé ÇÖP", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches:    []event.Match{{TermID: "garbage-tr", Category: "dehumanisation", Start: 12, End: 17, Transforms: []string{"casefold", "accents"}}},
	},
	{name: "variant", text: "v3rmin, all of them", flagged: true, score: 3, categories: []string{"dehumanisation"},
		matches: []event.Match{{TermID: "vermin", Category: "dehumanisation", Start: 0, End: 6, Transforms: []string{"leet"}}}},
	{name: "multi-word term", text: "they are rat people", flagged: true, score: 3, categories: []string{"dehumanisation"},
		matches: []event.Match{{TermID: "rat-people", Category: "dehumanisation", Start: 9, End: 19}}},
	{name: "multi-word term, first word only", text: "a rat ran past people"},
	{name: "multi-word term at the end, cut short", text: "a rat"},
	{
		// ဒီ is 6 bytes, ကုလား 15.
		name: "Myanmar term inside a run", text: "ဒီကုလားတွေ", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches:    []event.Match{{TermID: "kalar", Category: "dehumanisation", Start: 6, End: 21}},
	},
	{name: "Myanmar exception", text: "ကုလားထိုင်ပေါ်မှာ ထိုင်ပါ"},
	// The term's last consonant would fall before a killed consonant,
	// which belongs to the same syllable: not a match.
	{name: "Myanmar term ending inside a syllable", text: "ကုလားန် ပါ"},
	// ကုလား would start on the stacked consonant of a syllable.
	{name: "Myanmar term starting inside a syllable", text: "သတ္ကုလား"},
	// သတ္တဝါ (creature) begins with the letters of သတ် (kill), stacked
	// with a virama instead of killed with an asat.
	{name: "Myanmar near-miss with a virama", text: "သတ္တဝါ"},
	{
		// ကုလားထိုင် is 30 bytes and the space 1.
		name: "Myanmar exception covers only its own match", text: "ကုလားထိုင် ကုလား", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches:    []event.Match{{TermID: "kalar", Category: "dehumanisation", Start: 31, End: 46}},
	},
	{
		name: "Myanmar after invisible characters", text: "\u200C\u200Dကုလား", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches:    []event.Match{{TermID: "kalar", Category: "dehumanisation", Start: 6, End: 21}},
	},
	{
		name: "Myanmar with an invisible character inside", text: "ကု\u200Bလား", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches:    []event.Match{{TermID: "kalar", Category: "dehumanisation", Start: 0, End: 18, Transforms: []string{"invisible"}}},
	},
	{
		name: "context only: tags, no flag", text: "the Northfolk live here", tags: []string{"target_group"},
		matches: []event.Match{{TermID: "northfolk", Category: "target_group", Start: 4, End: 13, Transforms: []string{"casefold"}}},
	},
	{
		name: "rule within its window", text: "burn them out, all northfolk", flagged: true, score: 5,
		categories: []string{"incitement"}, tags: []string{"target_group", "violence_call"},
		matches: []event.Match{
			{TermID: "burn", Category: "violence_call", Start: 0, End: 13, Rule: "incite"},
			{TermID: "northfolk", Category: "target_group", Start: 19, End: 28, Rule: "incite"},
		},
	},
	{
		name: "rule outside its window", text: "burn them out, said one, and much later, northfolk",
		tags: []string{"target_group", "violence_call"},
		matches: []event.Match{
			{TermID: "burn", Category: "violence_call", Start: 0, End: 13},
			{TermID: "northfolk", Category: "target_group", Start: 41, End: 50},
		},
	},
	{
		// Only the hits inside a firing window feed the rule. (Single
		// letters "a b c" would be joined into one word: TransformSpaced.)
		name: "rule marks only the hits in its window", text: "northfolk aa bb cc dd ee ff gg torch them northfolk", flagged: true, score: 5,
		categories: []string{"incitement"}, tags: []string{"target_group", "violence_call"},
		matches: []event.Match{
			{TermID: "northfolk", Category: "target_group", Start: 0, End: 9},
			{TermID: "burn", Category: "violence_call", Start: 31, End: 41, Rule: "incite"},
			{TermID: "northfolk", Category: "target_group", Start: 42, End: 51, Rule: "incite"},
		},
	},
	{
		// Words and syllables count alike: northfolk, ကို, သတ်, ပစ်.
		name: "rule across scripts", text: "northfolk ကို သတ်ပစ်", flagged: true, score: 5,
		categories: []string{"incitement"}, tags: []string{"target_group", "violence_call"},
		matches: []event.Match{
			{TermID: "northfolk", Category: "target_group", Start: 0, End: 9, Rule: "incite"},
			{TermID: "kill-my", Category: "violence_call", Start: 20, End: 29, Rule: "incite"},
		},
	},
	{name: "Myanmar exception for a context term", text: "northfolk သတ်မှတ်ချက်", tags: []string{"target_group"},
		matches: []event.Match{{TermID: "northfolk", Category: "target_group", Start: 0, End: 9}}},
	{name: "author on two lists", author: "44", text: "good morning", flagged: true, score: 4,
		lists: []string{"proxy_network", "sanctioned_business"}},
	{name: "list and term add up", author: "44", text: "what an ass", flagged: true, score: 5,
		categories: []string{"insult"}, lists: []string{"proxy_network", "sanctioned_business"},
		matches: []event.Match{{TermID: "ass", Category: "insult", Start: 8, End: 11}}},
	{name: "a category counts once", text: "vermin and rat people and v3rmin", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches: []event.Match{
			{TermID: "vermin", Category: "dehumanisation", Start: 0, End: 6},
			{TermID: "rat-people", Category: "dehumanisation", Start: 11, End: 21},
			{TermID: "vermin", Category: "dehumanisation", Start: 26, End: 32, Transforms: []string{"leet"}},
		}},
	{name: "emoji, with a variation selector", text: "they are🐍🐍\uFE0F", flagged: true, score: 3,
		categories: []string{"dehumanisation"},
		matches: []event.Match{
			{TermID: "snake", Category: "dehumanisation", Start: 8, End: 12},
			{TermID: "snake", Category: "dehumanisation", Start: 12, End: 16},
		}},
}

func TestClassify(t *testing.T) {
	c := newTestClassifier(t, Options{Pipeline: "test"})
	for _, tt := range classifyTests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPost(tt.author, tt.text)
			v := c.Classify(p)
			if v.Flagged != tt.flagged || v.Score != tt.score {
				t.Errorf("flagged, score = %v, %g; want %v, %g", v.Flagged, v.Score, tt.flagged, tt.score)
			}
			if !reflect.DeepEqual(v.Categories, tt.categories) {
				t.Errorf("Categories = %q, want %q", v.Categories, tt.categories)
			}
			if !reflect.DeepEqual(v.Tags, tt.tags) {
				t.Errorf("Tags = %q, want %q", v.Tags, tt.tags)
			}
			if !reflect.DeepEqual(v.Matches, tt.matches) {
				t.Errorf("Matches =\n%s\nwant\n%s", showMatches(tt.text, v.Matches), showMatches(tt.text, tt.matches))
			}
			var lists []string
			for _, l := range v.Lists {
				lists = append(lists, l.List)
			}
			if !reflect.DeepEqual(lists, tt.lists) {
				t.Errorf("Lists = %q, want %q", lists, tt.lists)
			}
			checkVerdict(t, p, v)
		})
	}
}

func TestClassifyVerdict(t *testing.T) {
	c := newTestClassifier(t, Options{Pipeline: "vigil-test"})
	p := testPost("1", "what an ass")
	p.Raw = []byte(`{"text":"what an ass"}`)
	before := time.Now().UTC()
	v := c.Classify(p)
	if v.Lexicon != "test@1" || v.Pipeline != "vigil-test" {
		t.Errorf("Lexicon, Pipeline = %q, %q", v.Lexicon, v.Pipeline)
	}
	if v.ClassifiedAt.Location() != time.UTC || v.ClassifiedAt.Before(before.Add(-time.Second)) {
		t.Errorf("ClassifiedAt = %v", v.ClassifiedAt)
	}
	if !reflect.DeepEqual(v.Post, *p) {
		t.Errorf("Post = %+v, want %+v", v.Post, *p)
	}
	p.Raw[0] = 'X'
	if v.Post.Raw[0] != '{' {
		t.Error("the verdict shares Raw with the post")
	}
	if v := c.Classify(nil); v.Flagged || v.Lexicon != "test@1" {
		t.Errorf("Classify(nil) = %+v", v)
	}
}

// TestClassifyConcurrent runs under -race in CI: a Classifier is shared by
// the consumer's workers.
func TestClassifyConcurrent(t *testing.T) {
	c := newTestClassifier(t, Options{})
	want := make([]event.Verdict, len(classifyTests))
	for i, tt := range classifyTests {
		want[i] = c.Classify(testPost(tt.author, tt.text))
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				for i, tt := range classifyTests {
					got := c.Classify(testPost(tt.author, tt.text))
					got.ClassifiedAt = want[i].ClassifiedAt
					if !reflect.DeepEqual(got, want[i]) {
						t.Errorf("%s: concurrent verdict differs:\n%+v\nwant\n%+v", tt.name, got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestListSeverity(t *testing.T) {
	tests := []struct {
		name     string
		severity float64
		want     float64
		wantErr  string
	}{
		{name: "default", severity: 0, want: 4},
		{name: "set", severity: 1.5, want: 3},
		{name: "negative", severity: -1, wantErr: "classify: list severity -1: must be a positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New([]*lexicon.Lexicon{loadLexicon(t, "lexicon.yaml")}, loadAccounts(t), Options{ListSeverity: tt.severity})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("New error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v := c.Classify(testPost("44", "hello")); v.Score != tt.want {
				t.Errorf("Score = %g, want %g", v.Score, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	base := "name: %s\nversion: \"1\"\ncategories:\n  - {id: c, severity: 2}\n  - {id: g, context: true}\nterms:\n  - {id: %s, term: %s, category: c}\n"
	lex := func(tb testing.TB, file, name, termID, term string) *lexicon.Lexicon {
		tb.Helper()
		l, err := lexicon.Parse(file, fmt.Appendf(nil, base, name, termID, term))
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	other := func(tb testing.TB, severity string) *lexicon.Lexicon {
		tb.Helper()
		l, err := lexicon.Parse("b.yaml", []byte("name: b\nversion: \"2\"\ncategories:\n  - {id: c, severity: "+severity+"}\nterms: []\n"))
		if err != nil {
			tb.Fatal(err)
		}
		return l
	}
	tests := []struct {
		name     string
		lexicons func(tb testing.TB) []*lexicon.Lexicon
		want     string // "" for success
	}{
		{name: "two lexicons", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{lex(tb, "a.yaml", "a", "t1", "x"), other(tb, "2")}
		}},
		{name: "category severity conflict", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{lex(tb, "a.yaml", "a", "t1", "x"), other(tb, "3")}
		}, want: `compile lexicons: b.yaml:4: category "c": severity 3, context false here, but severity 2, context false at a.yaml:4`},
		{name: "term id in two lexicons", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{lex(tb, "a.yaml", "a", "t1", "x"), lex(tb, "b.yaml", "b", "t1", "y")}
		}, want: `compile lexicons: b.yaml:7: term id "t1" is also at a.yaml:7`},
		{name: "same lexicon twice", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{lex(tb, "a.yaml", "a", "t1", "x"), lex(tb, "a2.yaml", "a", "t2", "x")}
		}, want: `compile lexicons: a2.yaml: lexicon a@1 is loaded twice`},
		{name: "nothing to match", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{lex(tb, "a.yaml", "a", "t1", `"!!!"`)}
		}, want: `compile lexicons: a.yaml:7: term "t1": "!!!" has no letter, digit or symbol to match`},
		{name: "nil lexicon", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{nil}
		}, want: `classify: lexicon 0 is nil`},
		{name: "hand-built lexicon with an undeclared category", lexicons: func(tb testing.TB) []*lexicon.Lexicon {
			return []*lexicon.Lexicon{{File: "h.yaml", Name: "h", Version: "1",
				Terms: []lexicon.Term{{ID: "t", Term: "x", Category: "nope", Line: 3}},
				Rules: []lexicon.Rule{{ID: "r", Category: "nope", All: []string{"nope"}, Within: 1, Line: 5}}}}
		}, want: "compile lexicons: h.yaml:3: term \"t\": category \"nope\" is not declared\nh.yaml:5: rule \"r\": category \"nope\" is not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.lexicons(t), nil, Options{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Fatalf("New error:\n%s\nwant:\n%s", got, tt.want)
			}
			if err == nil && c.Lexicon() != "a@1,b@2" {
				t.Errorf("Lexicon() = %q", c.Lexicon())
			}
		})
	}
}

// TestVariantsDedupe: a term and its longer variant matching at the same
// place give one match, the longer.
func TestVariantsDedupe(t *testing.T) {
	l, err := lexicon.Parse("d.yaml", []byte(`name: d
version: "1"
categories: [{id: c, severity: 1}]
terms:
  - {id: t, term: ကုလား, variants: [ကုလားမ, ကုလား], category: c}
  - {id: u, term: Rat, variants: [RAT, rat], category: c}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{l}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := c.Classify(testPost("1", "ကုလားမ rat"))
	want := []event.Match{{TermID: "t", Category: "c", Start: 0, End: 18}, {TermID: "u", Category: "c", Start: 19, End: 22}}
	if !reflect.DeepEqual(v.Matches, want) {
		t.Errorf("Matches = %+v, want %+v", v.Matches, want)
	}
}

// A hit that feeds two rules is listed once for each.
func TestTwoRulesShareAHit(t *testing.T) {
	l, err := lexicon.Parse("r.yaml", []byte(`name: r
version: "1"
categories: [{id: a, context: true}, {id: b, context: true}, {id: x, severity: 1}, {id: y, severity: 2}]
terms: [{id: ta, term: alpha, category: a}, {id: tb, term: beta, category: b}]
rules:
  - {id: r1, category: x, all: [a, b], within: 2}
  - {id: r2, category: y, all: [a], within: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{l}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := c.Classify(testPost("1", "alpha beta"))
	want := []event.Match{
		{TermID: "ta", Category: "a", Start: 0, End: 5, Rule: "r1"},
		{TermID: "ta", Category: "a", Start: 0, End: 5, Rule: "r2"},
		{TermID: "tb", Category: "b", Start: 6, End: 10, Rule: "r1"},
	}
	if !reflect.DeepEqual(v.Matches, want) || v.Score != 3 || !slices.Equal(v.Categories, []string{"x", "y"}) {
		t.Errorf("verdict: score %g, categories %q, matches %+v; want matches %+v", v.Score, v.Categories, v.Matches, want)
	}
}

// badNormalizer returns offsets that cannot be mapped back.
type badNormalizer struct{}

func (badNormalizer) Normalize(text string) Normalized {
	return Normalized{Text: strings.ToLower(text), Offsets: []int{0}}
}

func TestBadNormalizerFallsBack(t *testing.T) {
	c := newTestClassifier(t, Options{Normalizer: badNormalizer{}})
	// The text is matched as written; the matcher still ignores ASCII
	// case, as it does on every path.
	v := c.Classify(testPost("1", "an ass, an ASS"))
	want := []event.Match{{TermID: "ass", Category: "insult", Start: 3, End: 6}, {TermID: "ass", Category: "insult", Start: 11, End: 14}}
	if !reflect.DeepEqual(v.Matches, want) {
		t.Errorf("Matches = %+v, want %+v", v.Matches, want)
	}
}

// FuzzClassify checks that no text makes the classifier panic or report a
// span outside the text or off a character boundary.
func FuzzClassify(f *testing.F) {
	for _, tt := range classifyTests {
		f.Add(tt.text)
	}
	for _, tt := range trickTests {
		f.Add(tt.text)
	}
	f.Add("\xff\xfeကု\u200Bလား\xc3")
	f.Add("İSTANBUL ẞ ς ǅ")
	c := newTestClassifier(f, Options{})
	m, err := NewMyanmarNormalizer()
	if err != nil {
		f.Fatal(err)
	}
	slow := newTestClassifier(f, Options{Normalizer: slowNormalizer{m}})
	f.Fuzz(func(t *testing.T, text string) {
		p := testPost("1", text)
		v := c.Classify(p)
		checkVerdict(t, p, v)
		// The quick path (text matched as written) finds what the full
		// normalisation finds.
		if w := slow.Classify(p); !reflect.DeepEqual(v.Matches, w.Matches) || !slices.Equal(v.Categories, w.Categories) {
			t.Errorf("quick path: %+v %q\nfull path: %+v %q", v.Matches, v.Categories, w.Matches, w.Categories)
		}
	})
}

// slowNormalizer hides MyanmarNormalizer's quick path.
type slowNormalizer struct{ m *MyanmarNormalizer }

func (s slowNormalizer) Normalize(text string) Normalized     { return s.m.Normalize(text) }
func (s slowNormalizer) NormalizeTerm(term string) Normalized { return s.m.NormalizeTerm(term) }

// checkVerdict checks what must hold for every verdict.
func checkVerdict(tb testing.TB, p *event.Post, v event.Verdict) {
	tb.Helper()
	for i, m := range v.Matches {
		text := p.Text
		if m.Field != "" {
			var k int
			if _, err := fmt.Sscanf(m.Field, "links[%d]", &k); err != nil || k < 0 || k >= len(p.Links) {
				tb.Fatalf("match %+v names a field the post does not have", m)
			}
			text = p.Links[k]
		}
		if m.Start < 0 || m.End <= m.Start || m.End > len(text) {
			tb.Fatalf("match %+v outside the text of %d bytes", m, len(text))
		}
		if !isBoundary(text, m.Start) || !isBoundary(text, m.End) {
			tb.Errorf("match %+v is not on character boundaries", m)
		}
		if i > 0 && v.Matches[i-1].Field == m.Field && v.Matches[i-1].Start > m.Start || i > 0 && v.Matches[i-1].Field > m.Field {
			tb.Errorf("matches not sorted: %+v", v.Matches)
		}
	}
	if !slices.IsSorted(v.Categories) || !slices.IsSorted(v.Tags) {
		tb.Errorf("categories %q or tags %q not sorted", v.Categories, v.Tags)
	}
	if v.Flagged != (len(v.Categories) > 0 || len(v.Lists) > 0) {
		tb.Errorf("Flagged = %v with categories %q and lists %+v", v.Flagged, v.Categories, v.Lists)
	}
}

// isBoundary reports whether i starts a character of s (or ends s); any
// offset is a boundary in text that is not UTF-8.
func isBoundary(s string, i int) bool {
	return i == len(s) || !utf8.ValidString(s) || utf8.RuneStart(s[i])
}

func showMatches(text string, ms []event.Match) string {
	var b strings.Builder
	for _, m := range ms {
		span := "?"
		if 0 <= m.Start && m.Start <= m.End && m.End <= len(text) {
			span = text[m.Start:m.End]
		}
		fmt.Fprintf(&b, "  %s %s rule=%q %d..%d %q %v\n", m.TermID, m.Category, m.Rule, m.Start, m.End, span, m.Transforms)
	}
	return b.String()
}

func testPost(author, text string) *event.Post {
	if author == "" {
		author = "1"
	}
	return &event.Post{Platform: "x", ID: "1790", Author: event.Author{ID: author}, Text: text}
}

func newTestClassifier(tb testing.TB, opts Options) *Classifier {
	tb.Helper()
	c, err := New([]*lexicon.Lexicon{loadLexicon(tb, "lexicon.yaml")}, loadAccounts(tb), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func loadLexicon(tb testing.TB, name string) *lexicon.Lexicon {
	tb.Helper()
	l, err := lexicon.Load(os.DirFS("testdata"), name)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func loadAccounts(tb testing.TB) *accounts.Lists {
	tb.Helper()
	l, err := accounts.Load(os.DirFS("testdata"), "accounts.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return l
}
