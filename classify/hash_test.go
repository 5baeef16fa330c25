package classify

import (
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/brands"
	"github.com/vigilhq/vigil/classify/lexicon"
)

func hashOf(t *testing.T, file, yaml, brandCSV string) (string, error) {
	t.Helper()
	lex, err := lexicon.Parse(file, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var br *brands.Lists
	if brandCSV != "" {
		if br, err = brands.Parse("brands.csv", []byte(brandCSV)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New([]*lexicon.Lexicon{lex}, nil, Options{Brands: br})
	if err != nil {
		return "", err
	}
	return c.Hash(), nil
}

const hashLexicon = `name: h
version: "1"
categories:
  - {id: dehumanisation, label: D, severity: 3}
  - {id: military_business, label: M, severity: 2}
terms:
  - {id: t1, term: vermin, category: dehumanisation}
`

func TestHash(t *testing.T) {
	base, err := hashOf(t, "a.yaml", hashLexicon, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "sha256:") || len(base) != len("sha256:")+64 {
		t.Fatalf("Hash() = %q", base)
	}
	same, _ := hashOf(t, "elsewhere/b.yaml", "# a comment\n"+hashLexicon, "")
	if same != base {
		t.Error("the same lexicon under another name, with a comment, hashes differently")
	}
	edited, _ := hashOf(t, "a.yaml", strings.Replace(hashLexicon, "vermin", "vermins", 1), "")
	if edited == base {
		t.Error("an edited term, same version, hashes the same")
	}
	withBrand, _ := hashOf(t, "a.yaml", hashLexicon, "brand,owner,category\nGolden Tiger Beer,Example Holdings,military_business\n")
	if withBrand == base {
		t.Error("adding a brand list does not change the hash")
	}
	grouped, _ := hashOf(t, "a.yaml", strings.Replace(hashLexicon, "category: dehumanisation}", "category: dehumanisation, group: minority}", 1), "")
	if grouped == base {
		t.Error("a group given to a term does not change the hash")
	}
	v := newTestClassifier(t, Options{}).Classify(testPost("1", "x"))
	if v.LexiconHash == "" {
		t.Error("verdicts carry no LexiconHash")
	}
}

func TestBrandCategoryMustBeDeclared(t *testing.T) {
	_, err := hashOf(t, "a.yaml", hashLexicon, "brand,owner,category\nGolden Tiger Beer,Example Holdings,military_business\nSample Cement,Example Holdings,cement\n")
	want := `compile lexicons: brands.csv:3: brand "Sample Cement": category "cement" is not declared in any lexicon`
	if err == nil || err.Error() != want {
		t.Errorf("New error = %v, want %s", err, want)
	}
}
