package classify

import (
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/lexicon"
)

func TestWarningsForTermsThatNormaliseAlike(t *testing.T) {
	lx, err := lexicon.Parse("w.yaml", []byte(`name: w
version: "1"
categories:
  - {id: d, label: D, severity: 3}
terms:
  - {id: a, term: vermin, category: d}
  - {id: b, term: VERMIN, category: d}
  - {id: c, term: pest, category: d, variants: [v3rm1n, p3st]}
  - {id: e, term: rat, category: d}
`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{lx}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range c.Warnings() {
		got = append(got, w.Error())
	}
	want := []string{
		`w.yaml:7: term "b": "VERMIN" normalises to "vermin", as term "a" does (w.yaml:6): they always fire together`,
		`w.yaml:8: term "c": "v3rm1n" normalises to "vermin", as term "a" does (w.yaml:6): they always fire together`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
