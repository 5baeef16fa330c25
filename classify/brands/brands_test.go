package brands

import (
	"os"
	"reflect"
	"testing"

	"github.com/vigilhq/vigil/classify/problem/problemtest"
)

func TestLoad(t *testing.T) {
	l, err := Load(os.DirFS("testdata"), "brands.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Brand: "Golden Tiger Beer", Owner: "Example Holdings", Category: "military_business", Note: "lager", Source: "invented", File: "brands.csv", Line: 3},
		{Brand: "StarLink Mobile", Owner: "Example Telecom", Category: "military_business", File: "brands.csv", Line: 6},
		{Brand: "ရွှေကျားဘီယာ", Owner: "Example Holdings", Category: "military_business", Note: "Golden Tiger Beer in Burmese", Source: "invented", File: "brands.csv", Line: 4},
	}
	if got := l.Entries(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entries() =\n%+v\nwant\n%+v", got, want)
	}
	if l.Len() != 3 || want[0].TermID() != "brand:Golden Tiger Beer" {
		t.Errorf("Len() = %d, TermID %q", l.Len(), want[0].TermID())
	}
}

func TestBadFiles(t *testing.T) {
	tests := map[string][]string{
		"fields.bad.csv": {
			"fields.bad.csv:2: brand is empty",
			"fields.bad.csv:3: owner is empty",
			"fields.bad.csv:3: category is empty",
			`fields.bad.csv:4: category "bad category" must not contain spaces or ','`,
		},
		"duplicate.bad.csv":      {`duplicate.bad.csv:4: duplicate brand "A" (first at line 2)`},
		"missing_column.bad.csv": {`missing_column.bad.csv:1: column "owner" is required`},
	}
	problemtest.CheckBadFiles(t, "testdata", "*.bad.csv", tests, func(name string) (bool, error) {
		v, err := Load(os.DirFS("testdata"), name)
		return v != nil, err
	})
}

func TestMergeRefusesTheSameBrandTwice(t *testing.T) {
	a, _ := Parse("a.csv", []byte("brand,owner,category\nA,O,c\n"))
	b, _ := Parse("b.csv", []byte("brand,owner,category\nB,O,c\nA,O,c\n"))
	if _, err := Merge(a, b); err == nil || err.Error() != `b.csv:3: duplicate brand "A" (first at a.csv:2)` {
		t.Errorf("Merge error = %v", err)
	}
	if m, err := Merge(a, nil); err != nil || m.Len() != 1 {
		t.Errorf("Merge(a, nil) = %v, %v", m, err)
	}
}
