package lexicon

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/problem/problemtest"
)

func TestLoadExample(t *testing.T) {
	lex := mustLoad(t, "example.yaml")
	if got, want := lex.Ref(), "example@2026-11-26"; got != want {
		t.Errorf("Ref() = %q, want %q", got, want)
	}
	if lex.File != "example.yaml" {
		t.Errorf("File = %q", lex.File)
	}
	wantCats := []Category{
		{ID: "dehumanisation", Label: "Dehumanising language", Severity: 3, Line: 6},
		{ID: "violence_call", Label: "Call to violence", Severity: 2, Context: true, Line: 7},
		{ID: "target_group", Label: "Target group", Severity: 1, Context: true, Line: 8},
		{ID: "incitement", Label: "Incitement", Severity: 5, Line: 9},
	}
	if !reflect.DeepEqual(lex.Categories, wantCats) {
		t.Errorf("Categories =\n%+v\nwant\n%+v", lex.Categories, wantCats)
	}
	wantTerms := []Term{
		{ID: "t1", Term: "ကုလား", Category: "dehumanisation", Lang: "my", Variants: []string{}, Exceptions: []string{"ကုလားထိုင်"}, Line: 13},
		{ID: "t2", Term: "vermin", Category: "dehumanisation", Lang: "en", Variants: []string{"v3rmin", "verm1n"}, Line: 19},
		{ID: "t3", Term: "northfolk", Category: "target_group", Group: "northfolk_people", Line: 24},
		{ID: "t4", Term: "burn them out", Category: "violence_call", Lang: "eng", Line: 28},
	}
	if !reflect.DeepEqual(lex.Terms, wantTerms) {
		t.Errorf("Terms =\n%+v\nwant\n%+v", lex.Terms, wantTerms)
	}
	wantRules := []Rule{{ID: "r1", Category: "incitement", All: []string{"violence_call", "target_group"}, Within: 10, Line: 33}}
	if !reflect.DeepEqual(lex.Rules, wantRules) {
		t.Errorf("Rules = %+v, want %+v", lex.Rules, wantRules)
	}
	if c, ok := lex.Category("target_group"); !ok || !c.Context {
		t.Errorf("Category(target_group) = %+v, %v", c, ok)
	}
	if _, ok := lex.Category("nope"); ok {
		t.Error("Category(nope) found")
	}
}

// TestLoadBad checks the exact problems each testdata/*.bad.yaml produces:
// a lexicon author sees these lines from `vigil lexicon check`.
func TestLoadBad(t *testing.T) {
	tests := map[string][]string{
		"unknown_key.bad.yaml": {
			`unknown_key.bad.yaml:4: category "dehumanisation": severity is required`,
			`unknown_key.bad.yaml:6: unknown key "sevrity" in category`,
			`unknown_key.bad.yaml:11: unknown key "langauge" in term`,
			`unknown_key.bad.yaml:13: unknown key "window" in rule`,
			`unknown_key.bad.yaml:14: unknown key "descripton" in lexicon`,
		},
		"duplicates.bad.yaml": {
			`duplicates.bad.yaml:6: duplicate category id "dehumanisation" (first at line 4)`,
			`duplicates.bad.yaml:11: duplicate term id "t1" (first at line 8)`,
			`duplicates.bad.yaml:16: duplicate key "term" in term`,
			`duplicates.bad.yaml:20: duplicate rule id "r1" (first at line 19)`,
		},
		"undeclared.bad.yaml": {
			`undeclared.bad.yaml:9: term "t1": category "dehumanization" is not declared`,
			`undeclared.bad.yaml:10: term "t2": category is required`,
			`undeclared.bad.yaml:13: rule "r1": category "incitement" is not declared`,
			`undeclared.bad.yaml:13: rule "r1": all: category "violence_call" is not declared`,
			`undeclared.bad.yaml:14: rule "r2": category "target_group" is a context category, which never flags; a rule needs one that does`,
		},
		"values.bad.yaml": {
			`values.bad.yaml:4: category "a": severity 11 is outside 0..10`,
			`values.bad.yaml:5: category "b": severity -1 is outside 0..10`,
			`values.bad.yaml:6: category "c": severity must be a number, got "high"`,
			`values.bad.yaml:7: category "d": severity is required`,
			`values.bad.yaml:8: category "e": context must be true or false, got "maybe"`,
			`values.bad.yaml:11: term "t1": term is empty`,
			`values.bad.yaml:12: term "t2": lang "English" is not an ISO 639-1 or 639-3 code`,
			`values.bad.yaml:13: term "t3": variants: entry 2 is empty`,
			`values.bad.yaml:14: term "t4": exception "ထိုင်" does not contain the term or a variant, so it can never apply`,
			`values.bad.yaml:15: term "t5": term must be text, got a list`,
			`values.bad.yaml:16: term: id "t 6" must not contain spaces or ','`,
			`values.bad.yaml:18: rule "r1": within must be greater than 0, got 0`,
			`values.bad.yaml:19: rule "r2": within must be greater than 0, got -2`,
			`values.bad.yaml:20: rule "r3": within must be a whole number of words, got "ten"`,
			`values.bad.yaml:21: rule "r4": all must list at least one category`,
			`values.bad.yaml:22: rule "r5": all must be a list of category ids`,
		},
		"missing.bad.yaml": {
			`missing.bad.yaml:1: name is required`,
			`missing.bad.yaml:1: version is required`,
			`missing.bad.yaml:2: category: id is required`,
			`missing.bad.yaml:4: term: id is required`,
			`missing.bad.yaml:6: term "t2": term is empty`,
			`missing.bad.yaml:6: term "t2": category is required`,
			`missing.bad.yaml:8: rule "r1": category is required`,
			`missing.bad.yaml:8: rule "r1": all or any is required`,
			`missing.bad.yaml:8: rule "r1": within is required`,
		},
		"name.bad.yaml": {
			`name.bad.yaml:1: name "my lexicon" must not contain spaces, ',' or '@'`,
			`name.bad.yaml:2: version "1,2" must not contain spaces, ',' or '@'`,
		},
		"shape.bad.yaml": {
			`shape.bad.yaml:3: categories must be a list`,
			`shape.bad.yaml:5: term must be a mapping, got "just a string"`,
			`shape.bad.yaml:6: rules must be a list`,
		},
		// yaml.v3 reports a parser error at the line of the construct it
		// was reading, here the list item that opened "{".
		"syntax.bad.yaml": {
			`syntax.bad.yaml:3: did not find expected ',' or '}'`,
		},
		"two_documents.bad.yaml": {
			`two_documents.bad.yaml:5: a second YAML document: a lexicon file holds one`,
		},
		"group.bad.yaml": {
			`group.bad.yaml:7: term "t1": group "Journalists" must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)`,
			`group.bad.yaml:8: term "t2": group "human rights defenders" must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)`,
			`group.bad.yaml:9: term "t3": group "none" is reserved: metrics count the posts that name no group under it`,
			`group.bad.yaml:10: term "t4": group must be text, got a list`,
			`group.bad.yaml:11: term "t5": group "1st_group" must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)`,
		},
		"empty.bad.yaml": {
			`empty.bad.yaml: empty file: want a lexicon with name, version, categories and terms`,
		},
	}
	problemtest.CheckBadFiles(t, "testdata", "*.bad.yaml", tests, func(name string) (bool, error) {
		v, err := Load(os.DirFS("testdata"), name)
		return v != nil, err
	})
}

func TestParse(t *testing.T) {
	const head = "name: n\nversion: v\ncategories:\n  - {id: c, severity: 1}\n  - {id: g, context: true}\n"
	tests := []struct {
		name string
		yaml string
		want string // the error, "" for none
	}{
		{name: "minimal", yaml: head + "terms: []\n"},
		{name: "null lists", yaml: head + "terms:\nrules:\n"},
		{name: "context needs no severity", yaml: head + "terms: [{id: t, term: x, category: g}]\n"},
		{name: "alias", yaml: head + "terms:\n  - &t {id: t, term: x, category: c}\n  - *t\n",
			want: `f.yaml:8: duplicate term id "t" (first at line 7)`},
		{name: "rule all twice", yaml: head + "terms: []\nrules: [{id: r, category: c, all: [g, g], within: 2}]\n",
			want: `f.yaml:7: rule "r": all: category "g" is listed twice`},
		{name: "rule fractional within", yaml: head + "terms: []\nrules: [{id: r, category: c, all: [g], within: 2.5}]\n",
			want: `f.yaml:7: rule "r": within must be a whole number of words, got "2.5"`},
		{name: "severity bounds are inclusive", yaml: "name: n\nversion: v\ncategories: [{id: a, severity: 0}, {id: b, severity: 10}, {id: c, severity: 2.5}]\nterms: []\n"},
		{name: "not a mapping", yaml: "- a\n- b\n", want: `f.yaml:1: lexicon must be a mapping, got a list`},
		{name: "note and source", yaml: head + "terms: [{id: t, term: x, category: c, note: \"'x', a word: here a stand-in\", source: invented for the demo}]\n"},
		{name: "note and source null", yaml: head + "terms: [{id: t, term: x, category: c, note: null, source: ~}]\n"},
		{name: "note a list", yaml: head + "terms:\n  - id: t\n    term: x\n    category: c\n    note:\n      - one\n",
			want: `f.yaml:11: term "t": note must be text, got a list`},
		{name: "source a mapping", yaml: head + "terms: [{id: t, term: x, category: c, source: {url: x}}]\n",
			want: `f.yaml:6: term "t": source must be text, got a mapping`},
		{name: "group on a flagging term", yaml: head + "terms: [{id: t, term: x, category: c, group: minority}]\n"},
		{name: "group null", yaml: head + "terms: [{id: t, term: x, category: g, group: ~}]\n"},
		{name: "exception matches a variant", yaml: head + "terms: [{id: t, term: x, category: c, variants: [yy], exceptions: [AYY]}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.yaml))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Parse error = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestTermNoteAndSource: note and source are kept as written (trimmed; a
// number as text) and are empty when left out or null.
func TestTermNoteAndSource(t *testing.T) {
	lex, err := Parse("f.yaml", []byte(`name: n
version: v
categories: [{id: c, severity: 1}]
terms:
  - id: a
    term: ပိုးမွှား
    category: c
    note: "  'vermin, insects': compares people to pests  "
    source: >-
      illustrative phrase for the
      dehumanisation hallmark
  - {id: b, term: x, category: c}
  - {id: d, term: y, category: c, note: null, source: 2021}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{
		{"'vermin, insects': compares people to pests", "illustrative phrase for the dehumanisation hallmark"},
		{"", ""},
		{"", "2021"},
	}
	if len(lex.Terms) != len(want) {
		t.Fatalf("%d terms, want %d", len(lex.Terms), len(want))
	}
	for i, tm := range lex.Terms {
		if got := [2]string{tm.Note, tm.Source}; got != want[i] {
			t.Errorf("term %s: note, source = %q, want %q", tm.ID, got, want[i])
		}
	}
}

// TestTermNoteAndSourceProblems: a note or source that is not text, given
// twice or misspelt, is reported with its line, every one at once.
func TestTermNoteAndSourceProblems(t *testing.T) {
	_, err := Parse("n.yaml", []byte(`name: example
version: "1"
categories:
  - {id: d, severity: 3}
terms:
  - id: t1
    term: vermin
    category: d
    note: [a, list]
    source: {report: somewhere}
  - {id: t2, term: rats, category: d, note: fine, source: [x]}
  - id: t3
    term: pests
    category: d
    note: once
    note: twice
    sorce: misspelt
`))
	want := []string{
		`n.yaml:9: term "t1": note must be text, got a list`,
		`n.yaml:10: term "t1": source must be text, got a mapping`,
		`n.yaml:11: term "t2": source must be text, got a list`,
		`n.yaml:16: duplicate key "note" in term`,
		`n.yaml:17: unknown key "sorce" in term`,
	}
	var probs Problems
	if !errors.As(err, &probs) {
		t.Fatalf("Parse error = %v (%T), want Problems", err, err)
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(os.DirFS("testdata"), "nope.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(nope.yaml) = %v, want fs.ErrNotExist", err)
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{name: "with line", p: Problem{File: "a.yaml", Line: 12, Msg: "bad"}, want: "a.yaml:12: bad"},
		{name: "whole file", p: Problem{File: "a.yaml", Msg: "empty"}, want: "a.yaml: empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func mustLoad(tb testing.TB, name string) *Lexicon {
	tb.Helper()
	lex, err := Load(os.DirFS("testdata"), name)
	if err != nil {
		tb.Fatalf("Load(%s): %v", name, err)
	}
	return lex
}
