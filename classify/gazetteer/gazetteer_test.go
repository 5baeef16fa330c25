package gazetteer

import (
	"errors"
	"io/fs"
	"os"
	"reflect"
	"testing"

	"github.com/vigilhq/vigil/classify/problem"
	"github.com/vigilhq/vigil/classify/problem/problemtest"
)

func TestLoadExample(t *testing.T) {
	g, err := Load(os.DirFS("testdata"), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if g.Ref() != "test@1" || g.File != "example.yaml" {
		t.Errorf("Ref() = %q, File = %q", g.Ref(), g.File)
	}
	want := []Place{
		{ID: "sagaing", Region: "sagaing", Type: "region", Line: 6, Names: []Name{
			{"en", "Sagaing Region", 9}, {"en", "Sagaing", 9}, {"my", "စစ်ကိုင်းတိုင်းဒေသကြီး", 10}, {"my", "စစ်ကိုင်း", 10}}},
		{ID: "monywa", Region: "sagaing", Type: TypeTownship, Line: 12, Names: []Name{{"en", "Monywa", 13}, {"my", "မုံရွာ", 13}}},
		{ID: "kale", Region: "sagaing", Type: TypeTownship, Line: 14, Names: []Name{{"en", "Kalay", 16}, {"my", "ကလေးမြို့", 17}},
			Note: "ကလေး alone is 'child'"},
		{ID: "shan", Region: "shan", Type: "state", Line: 19, Names: []Name{{"en", "Shan State", 21}, {"en", "Shan", 21}, {"my", "ရှမ်းပြည်နယ်", 21}},
			Exceptions: []string{"Shan noodles"}},
	}
	if !reflect.DeepEqual(g.Places, want) {
		t.Errorf("Places =\n%+v\nwant\n%+v", g.Places, want)
	}
	if got := g.Regions(); !reflect.DeepEqual(got, []string{"sagaing", "shan"}) {
		t.Errorf("Regions() = %q", got)
	}
	if !g.Places[0].IsRegion() || g.Places[1].IsRegion() {
		t.Error("IsRegion is wrong")
	}
}

// TestLoadBad checks the exact problems each testdata/*.bad.yaml produces,
// each with its file and line, as `vigil lexicon check --gazetteer` prints
// them.
func TestLoadBad(t *testing.T) {
	tests := map[string][]string{
		"ids.bad.yaml": {
			`ids.bad.yaml:4: region "Sagaing": id must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)`,
			`ids.bad.yaml:6: region "none": id "none" is reserved: metrics count the posts that name no place under it`,
			`ids.bad.yaml:11: duplicate place id "mon" (first at line 8): regions and townships share one set of ids`,
			`ids.bad.yaml:13: township: id is required`,
			`ids.bad.yaml:14: township: id "ye town" must not contain spaces or ','`,
		},
		"names.bad.yaml": {
			`names.bad.yaml:5: region "chin": name "chin  state" is listed twice (first at line 5)`,
			`names.bad.yaml:6: region "chin": exception "Chinese" does not contain a name of the place, so it can never apply`,
			`names.bad.yaml:8: region "kachin": names: "EN" is not an ISO 639-1 or 639-3 code`,
			`names.bad.yaml:8: region "kachin": names: "English" is not an ISO 639-1 or 639-3 code`,
			`names.bad.yaml:10: region "mon": names lists no name`,
			`names.bad.yaml:12: region "rakhine": names must be a mapping of language codes to lists of names, got a list`,
			`names.bad.yaml:13: region "kayah": names is required (a list of names per language: {en: [...], my: [...]})`,
			`names.bad.yaml:16: region "kayin": names: en: entry 2 is empty`,
			`names.bad.yaml:17: duplicate key "en" in region "kayin": names`,
			`names.bad.yaml:20: township "hpa_an": name "Chin State" is also a name of "chin" (line 5): a name must name one place`,
		},
		"shape.bad.yaml": {
			`shape.bad.yaml:1: name "my gazetteer" must not contain spaces, ',' or '@'`,
			`shape.bad.yaml:6: region "yangon": type "Region" must be lower-case ASCII letters, digits and '_' (state, region, union_territory)`,
			`shape.bad.yaml:7: unknown key "kind" in region`,
			`shape.bad.yaml:8: townships must be a list`,
			`shape.bad.yaml:9: region must be a mapping, got "just a string"`,
			`shape.bad.yaml:10: unknown key "sources" in gazetteer`,
		},
		"missing.bad.yaml": {
			`missing.bad.yaml:1: name is required`,
			`missing.bad.yaml:1: regions is required`,
		},
		// yaml.v3 reports a parser error at the line of the construct it
		// was reading, here the list item that opened "{".
		"syntax.bad.yaml": {
			`syntax.bad.yaml:3: did not find expected ',' or '}'`,
		},
		"empty.bad.yaml": {
			`empty.bad.yaml: empty file: want a gazetteer with name, version and regions`,
		},
	}
	problemtest.CheckBadFiles(t, "testdata", "*.bad.yaml", tests, func(name string) (bool, error) {
		g, err := Load(os.DirFS("testdata"), name)
		return g != nil, err
	})
}

func TestLoadFiles(t *testing.T) {
	gs, err := LoadFiles(os.DirFS("testdata"), "example.yaml", "example.yaml")
	if err != nil || len(gs) != 2 {
		t.Fatalf("LoadFiles = %d, %v", len(gs), err)
	}
	// The problems of every file, at once.
	_, err = LoadFiles(os.DirFS("testdata"), "missing.bad.yaml", "example.yaml", "empty.bad.yaml")
	var ps problem.List
	if !errors.As(err, &ps) || len(ps) != 3 || ps[0].File != "empty.bad.yaml" || ps[2].File != "missing.bad.yaml" {
		t.Errorf("LoadFiles error = %v", err)
	}
	if _, err := LoadFiles(os.DirFS("testdata"), "nope.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFiles(nope.yaml) = %v, want fs.ErrNotExist", err)
	}
}
