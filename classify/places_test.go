package classify

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// testGazetteer is a few real places of Myanmar, chosen for the traps in
// their names (the data in examples/gazetteer.yaml is reviewed there).
const testGazetteer = `name: test-places
version: "1"
regions:
  - id: sagaing
    type: region
    names: {en: [Sagaing Region, Sagaing], my: [စစ်ကိုင်းတိုင်းဒေသကြီး, စစ်ကိုင်း]}
    townships:
      - id: monywa
        names: {en: [Monywa], my: [မုံရွာ]}
      - id: kale
        names: {en: [Kalay], my: [ကလေးမြို့]}
        exceptions: [ဘိုကလေးမြို့]
  - id: ayeyarwady
    names: {en: [Ayeyarwady Region]}
    townships:
      - id: bogale
        names: {en: [Bogale], my: [ဘိုကလေး]}
  - id: mon
    type: state
    names: {en: [Mon State], my: [မွန်ပြည်နယ်]}
  - id: chin
    type: state
    names: {en: [Chin State], my: [ချင်းပြည်နယ်]}
  - id: shan
    type: state
    names: {en: [Shan State, Shan], my: [ရှမ်းပြည်နယ်]}
    exceptions: [Shan noodles]
    townships:
      - id: taunggyi
        names: {en: [Taunggyi], my: [တောင်ကြီး]}
  - id: kayin
    names: {en: [Kayin State]}
    townships:
      - id: thandaunggyi
        names: {en: [Thandaunggyi], my: [သံတောင်ကြီး]}
  - id: mandalay
    names: {en: [Mandalay], my: [မန္တလေး]}
`

// testGroupsLexicon gives groups to terms: target groups, and a slur that
// names its target.
const testGroupsLexicon = `name: groups
version: "1"
categories:
  - {id: dehumanisation, label: D, severity: 3}
  - {id: violence_call, label: V, severity: 4}
  - {id: target_group, label: T, context: true}
terms:
  - {id: vermin, term: vermin, category: dehumanisation}
  - {id: kalar, term: ကုလား, category: dehumanisation, group: minority, exceptions: [ကုလားထိုင်]}
  - {id: burn, term: burn them, category: violence_call}
  - {id: minority, term: the minority, category: target_group, group: minority}
  - {id: journalist, term: journalist, category: target_group, group: journalists, variants: [journalists]}
  - {id: reporter, term: reporter, category: target_group, group: journalists}
  - {id: those, term: those people, category: target_group}
`

func placesClassifier(tb testing.TB, lex string, gaz ...string) *Classifier {
	tb.Helper()
	l, err := lexicon.Parse("groups.yaml", []byte(lex))
	if err != nil {
		tb.Fatal(err)
	}
	var gs []*gazetteer.Gazetteer
	for i, y := range gaz {
		g, err := gazetteer.Parse(string(rune('a'+i))+".yaml", []byte(y))
		if err != nil {
			tb.Fatal(err)
		}
		gs = append(gs, g)
	}
	c, err := New([]*lexicon.Lexicon{l}, nil, Options{Gazetteers: gs})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestPlaces: place names are matched as terms are (word and syllable
// boundaries, case, Zawgyi) and tag the post's Places and Regions, but
// never flag it or change its score.
func TestPlaces(t *testing.T) {
	c := placesClassifier(t, testGroupsLexicon, testGazetteer)
	tests := []struct {
		name            string
		text            string
		places, regions []string
		spans           []string // the text of each place match, in order
	}{
		{name: "township in English", text: "Power is back in MONYWA tonight.", places: []string{"monywa"}, regions: []string{"sagaing"}, spans: []string{"MONYWA"}},
		{name: "township in Burmese", text: "မုံရွာမြို့မှာ မိုးရွာတယ်။", places: []string{"monywa"}, regions: []string{"sagaing"}, spans: []string{"မုံရွာ"}},
		{name: "region by name", text: "Floods across Sagaing Region.", places: []string{"sagaing"}, regions: []string{"sagaing"}, spans: []string{"Sagaing Region"}},
		{name: "region and its township", text: "From Sagaing to Monywa", places: []string{"monywa", "sagaing"}, regions: []string{"sagaing"}, spans: []string{"Sagaing", "Monywa"}},
		{name: "two regions", text: "ရှမ်းပြည်နယ်နဲ့ Chin State", places: []string{"chin", "shan"}, regions: []string{"chin", "shan"}, spans: []string{"ရှမ်းပြည်နယ်", "Chin State"}},
		{name: "Mon alone is not the state", text: "Mon to Fri, 9 to 5. Mon ami!"},
		{name: "Mon State", text: "Rain in mon state", places: []string{"mon"}, regions: []string{"mon"}, spans: []string{"mon state"}},
		{name: "Chin alone is not the state", text: "Keep your chin up"},
		{name: "Chin State in Burmese", text: "ချင်းပြည်နယ်မှာ", places: []string{"chin"}, regions: []string{"chin"}, spans: []string{"ချင်းပြည်နယ်"}},
		{name: "not inside a longer word", text: "Monywans and Sagainger"},
		{name: "exception", text: "Shan noodles for lunch"},
		{name: "the name beside its exception", text: "Shan noodles, made in Shan", places: []string{"shan"}, regions: []string{"shan"}, spans: []string{"Shan"}},
		// ကလေး alone is "child": Kale counts only as ကလေးမြို့.
		{name: "Burmese ordinary word", text: "ကလေးတွေ ဆော့နေကြတယ်။"},
		{name: "Kale town", text: "ကလေးမြို့မှာ", places: []string{"kale"}, regions: []string{"sagaing"}, spans: []string{"ကလေးမြို့"}},
		// Bogale (ဘိုကလေး) holds ကလေးမြို့ once "town" follows it.
		{name: "Burmese name inside another place's name", text: "ဘိုကလေးမြို့မှာ", places: []string{"bogale"}, regions: []string{"ayeyarwady"}, spans: []string{"ဘိုကလေး"}},
		// Thandaunggyi (သံတောင်ကြီး, Kayin) holds Taunggyi (တောင်ကြီး, Shan)
		// on syllable boundaries: the longer name wins.
		{name: "the outermost place wins", text: "သံတောင်ကြီးမှာ", places: []string{"thandaunggyi"}, regions: []string{"kayin"}, spans: []string{"သံတောင်ကြီး"}},
		{name: "Taunggyi alone", text: "တောင်ကြီးမှာ", places: []string{"taunggyi"}, regions: []string{"shan"}, spans: []string{"တောင်ကြီး"}},
		// The name's last syllable would end before a killed consonant,
		// which belongs to it: not a match.
		{name: "Burmese name ending inside a syllable", text: "မုံရွာန် ပါ"},
		// The demo's Zawgyi weather post: "rain likely in Mandalay
		// tomorrow". The span maps back through the Zawgyi conversion,
		// which rewrites the name and the syllables joined to it together.
		{name: "Zawgyi", text: "မနက္ျဖန္ မႏၲေလးၿမိဳ႕တြင္ မိုး႐ြာႏိုင္သည္။", places: []string{"mandalay"}, regions: []string{"mandalay"}, spans: []string{"မႏၲေလးၿမိဳ႕တြင္"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPost("1", tt.text)
			v := c.Classify(p)
			checkVerdict(t, p, v)
			if !slices.Equal(v.Places, tt.places) || !slices.Equal(v.Regions, tt.regions) {
				t.Errorf("Places %q, Regions %q; want %q, %q", v.Places, v.Regions, tt.places, tt.regions)
			}
			var spans []string
			for _, m := range v.Matches {
				if m.Category == PlaceCategory {
					spans = append(spans, tt.text[m.Start:m.End])
					if !strings.HasPrefix(m.TermID, PlaceTermID) || !slices.Contains(v.Places, strings.TrimPrefix(m.TermID, PlaceTermID)) {
						t.Errorf("place match %+v is not of a place in %q", m, v.Places)
					}
				}
			}
			if !slices.Equal(spans, tt.spans) {
				t.Errorf("place spans %q, want %q", spans, tt.spans)
			}
			if v.Flagged || v.Score != 0 || len(v.Categories) > 0 {
				t.Errorf("a place flagged the post: %+v", v)
			}
			if wantTags := []string(nil); len(tt.places) > 0 && !slices.Equal(v.Tags, []string{PlaceCategory}) || len(tt.places) == 0 && !slices.Equal(v.Tags, wantTags) {
				t.Errorf("Tags = %q", v.Tags)
			}
		})
	}
}

// TestPlacesDoNotChangeTheJudgement: with or without the gazetteer, every
// post gets the same flag, score and categories; only the tags differ.
func TestPlacesDoNotChangeTheJudgement(t *testing.T) {
	with := placesClassifier(t, testGroupsLexicon, testGazetteer)
	without := placesClassifier(t, testGroupsLexicon)
	for _, text := range []string{
		"burn them in Monywa, the minority is vermin",
		"ကုလားတွေကို မုံရွာကနေ မောင်းထုတ်",
		"Sagaing Region: a quiet day",
		"vermin",
	} {
		a, b := with.Classify(testPost("1", text)), without.Classify(testPost("1", text))
		if a.Flagged != b.Flagged || a.Score != b.Score || !slices.Equal(a.Categories, b.Categories) {
			t.Errorf("%q: with the gazetteer %v %g %q, without %v %g %q", text, a.Flagged, a.Score, a.Categories, b.Flagged, b.Score, b.Categories)
		}
		if len(b.Places) > 0 || len(b.Regions) > 0 {
			t.Errorf("%q: places without a gazetteer: %q %q", text, b.Places, b.Regions)
		}
	}
	if with.Hash() == without.Hash() {
		t.Error("the gazetteer does not change the hash")
	}
	if got := with.Regions(); !slices.Equal(got, []string{"ayeyarwady", "chin", "kayin", "mandalay", "mon", "sagaing", "shan"}) {
		t.Errorf("Regions() = %q", got)
	}
	if got := without.Regions(); len(got) != 0 {
		t.Errorf("Regions() without a gazetteer = %q", got)
	}
	if got := with.FlaggingCategories(); !slices.Equal(got, []string{"dehumanisation", "violence_call"}) {
		t.Errorf("FlaggingCategories() = %q (place and target_group are context)", got)
	}
}

// TestGroups: a term's group is in the verdict's Groups when the term
// matches, whatever its category, and not when an exception cancels it.
func TestGroups(t *testing.T) {
	c := placesClassifier(t, testGroupsLexicon)
	tests := []struct {
		text   string
		groups []string
	}{
		{"burn them, the minority", []string{"minority"}},
		{"a journalist and two reporter friends, and the journalists", []string{"journalists"}},
		{"the minority and the journalists", []string{"journalists", "minority"}},
		{"those people", nil}, // a target-group term with no group
		{"ကုလားတွေ", []string{"minority"}},
		{"ကုလားထိုင်", nil}, // the chair: the exception cancels the slur and its group
		{"vermin", nil},
	}
	for _, tt := range tests {
		v := c.Classify(testPost("1", tt.text))
		if !slices.Equal(v.Groups, tt.groups) {
			t.Errorf("%q: Groups = %q, want %q", tt.text, v.Groups, tt.groups)
		}
	}
	if got := c.Groups(); !slices.Equal(got, []string{"journalists", "minority"}) {
		t.Errorf("Groups() = %q", got)
	}
}

// TestRunCLIGroupsAndRegions: `vigil classify` prints groups and regions
// when a post names any, after the fields it always had, and leaves them
// out otherwise.
func TestRunCLIGroupsAndRegions(t *testing.T) {
	c := placesClassifier(t, testGroupsLexicon, testGazetteer)
	in := `{"platform":"x","id":"1","author":{"id":"9"},"text":"burn them, the minority of Monywa"}` + "\n" +
		`{"platform":"x","id":"2","author":{"id":"9"},"text":"rain in Chin State"}` + "\n" +
		`{"platform":"x","id":"3","author":{"id":"9"},"text":"vermin"}` + "\n"
	var out, errOut bytes.Buffer
	if _, err := RunCLI(t.Context(), c, strings.NewReader(in), &out, &errOut, CLIOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	want := `{"platform":"x","id":"1","flagged":true,"score":4,"categories":["violence_call"],"matches":[` +
		`{"term_id":"burn","category":"violence_call","start":0,"end":9},` +
		`{"term_id":"minority","category":"target_group","start":11,"end":23},` +
		`{"term_id":"place:monywa","category":"place","start":27,"end":33}],"lists":[],"groups":["minority"],"regions":["sagaing"]}` + "\n" +
		`{"platform":"x","id":"2","flagged":false,"score":0,"categories":[],"matches":[{"term_id":"place:chin","category":"place","start":8,"end":18}],"lists":[],"regions":["chin"]}` + "\n" +
		`{"platform":"x","id":"3","flagged":true,"score":3,"categories":["dehumanisation"],"matches":[{"term_id":"vermin","category":"dehumanisation","start":0,"end":6}],"lists":[]}` + "\n"
	if out.String() != want || errOut.Len() > 0 {
		t.Errorf("output:\n%s\nwant:\n%s\nerrors: %s", out.String(), want, errOut.String())
	}
	checkCLIShape(t, out.Bytes())
}

// TestPlaceRule: a lexicon that declares the place category may name it
// in a rule, which the gazetteer's places then feed, as the lexicon's own
// place terms would.
func TestPlaceRule(t *testing.T) {
	lex := strings.Replace(testGroupsLexicon, "terms:\n", "  - {id: place, label: Place, context: true}\n  - {id: local_threat, label: L, severity: 5}\nterms:\n", 1) +
		"rules:\n  - {id: r, category: local_threat, all: [violence_call, place], within: 5}\n"
	c := placesClassifier(t, lex, testGazetteer)
	v := c.Classify(testPost("1", "burn them in Monywa"))
	want := []event.Match{
		{TermID: "burn", Category: "violence_call", Start: 0, End: 9, Rule: "r"},
		{TermID: "place:monywa", Category: "place", Start: 13, End: 19, Rule: "r", Transforms: []string{"casefold"}},
	}
	if !reflect.DeepEqual(v.Matches, want) || v.Score != 9 || !slices.Equal(v.Categories, []string{"local_threat", "violence_call"}) {
		t.Errorf("verdict: score %g, categories %q, matches %+v", v.Score, v.Categories, v.Matches)
	}
}

// TestPlacesNewProblems: what New refuses in gazetteers, with file and
// line, and what it only warns about.
func TestPlacesNewProblems(t *testing.T) {
	other := "name: other\nversion: \"1\"\nregions:\n" +
		"  - id: monywa\n    names: {en: [Elsewhere]}\n" +
		"  - id: yangon\n    names: {en: [Yangon], my: [ရန်ကုန်]}\n" +
		"  - id: bago\n    names: {en: [\"SAGAING \"]}\n" +
		"  - id: magway\n    names: {en: [\"...\"]}\n"
	nonContext := strings.Replace(testGroupsLexicon, "terms:\n", "  - {id: place, label: Place, severity: 1}\nterms:\n", 1)
	tests := []struct {
		name string
		lex  string
		gaz  []string
		want []string
	}{
		{name: "across files", lex: testGroupsLexicon, gaz: []string{testGazetteer, other}, want: []string{
			`b.yaml:4: place id "monywa" is also at a.yaml:8`,
			`b.yaml:9: place "bago": name "SAGAING" normalises to "sagaing", a name of "sagaing" (a.yaml:6): a name must name one place`,
			`b.yaml:11: place "magway": name "..." has no letter, digit or symbol to match`,
		}},
		{name: "loaded twice", lex: testGroupsLexicon, gaz: []string{testGazetteer, testGazetteer}, want: []string{
			`b.yaml: gazetteer test-places@1 is loaded twice (also a.yaml)`,
		}},
		{name: "place must be context", lex: nonContext, gaz: []string{testGazetteer}, want: []string{
			`groups.yaml:7: category "place": the gazetteer's places are matches of this category, so it must be context: true`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := lexicon.Parse("groups.yaml", []byte(tt.lex))
			if err != nil {
				t.Fatal(err)
			}
			var gs []*gazetteer.Gazetteer
			for i, y := range tt.gaz {
				g, err := gazetteer.Parse(string(rune('a'+i))+".yaml", []byte(y))
				if err != nil {
					t.Fatal(err)
				}
				gs = append(gs, g)
			}
			_, err = New([]*lexicon.Lexicon{l}, nil, Options{Gazetteers: gs})
			var ps lexicon.Problems
			if err == nil || !errors.As(err, &ps) {
				t.Fatalf("New error = %v, want problems", err)
			}
			if got := strings.Split(ps.Error(), "\n"); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}

	// A place named like a lexicon term: both always fire together, which
	// is allowed, with a warning.
	lex := strings.Replace(testGroupsLexicon, "terms:\n", "  - {id: place, label: Place, context: true}\nterms:\n  - {id: t38, term: Sagaing, category: place}\n", 1)
	c := placesClassifier(t, lex, testGazetteer)
	want := `a.yaml:6: place "sagaing": name "Sagaing" normalises to "sagaing", as term "t38" does (groups.yaml:9): they always fire together`
	if ws := c.Warnings(); len(ws) != 1 || ws[0].Error() != want {
		t.Errorf("Warnings() = %v, want %s", ws, want)
	}
}
