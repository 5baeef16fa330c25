package classify

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/lexicon"
)

const anyLexicon = `name: any
version: "1"
categories:
  - {id: incitement, label: Incitement, severity: 5}
  - {id: violence_call, label: Call to violence, context: true}
  - {id: threat, label: Threat, context: true}
  - {id: target_group, label: Target group, context: true}
terms:
  - {id: burn, term: burn them, category: violence_call}
  - {id: pay, term: you will pay, category: threat}
  - {id: northfolk, term: northfolk, category: target_group}
rules:
  - {id: r, category: incitement, all: [target_group], any: [violence_call, threat], within: 5}
`

func TestRuleAny(t *testing.T) {
	lx, err := lexicon.Parse("any.yaml", []byte(anyLexicon))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{lx}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		fires      bool
	}{
		{"target and the first of any", "burn them, the northfolk", true},
		{"target and the second of any", "northfolk, you will pay", true},
		{"target alone", "the northfolk market opens today", false},
		{"any alone", "burn them all, you will pay", false},
		{"too far apart", "burn them one two three four five six seven northfolk", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := c.Classify(testPost("1", tc.text))
			if got := slices.Contains(v.Categories, "incitement"); got != tc.fires {
				t.Fatalf("rule fired = %v, want %v (matches %+v)", got, tc.fires, v.Matches)
			}
		})
	}
}

func TestRuleAnyProblems(t *testing.T) {
	head := "name: x\nversion: \"1\"\ncategories:\n  - {id: a, label: A, severity: 1}\n  - {id: b, label: B, context: true}\nterms:\n  - {id: t, term: t, category: b}\nrules:\n"
	for _, tc := range []struct{ name, rule, want string }{
		{"neither", "  - {id: r, category: a, within: 3}\n", `x.yaml:9: rule "r": all or any is required`},
		{"empty any", "  - {id: r, category: a, any: [], within: 3}\n", `x.yaml:9: rule "r": any must list at least one category`},
		{"in both", "  - {id: r, category: a, all: [b], any: [b], within: 3}\n", `x.yaml:9: rule "r": any: category "b" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lexicon.Parse("x.yaml", []byte(head+tc.rule))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
