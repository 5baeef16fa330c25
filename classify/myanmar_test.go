package classify

import (
	"slices"
	"testing"

	"github.com/vigilhq/vigil/classify/lexicon"
)

// Zawgyi-encoded sentences from the synthetic demo data (examples/).
const (
	zgChair  = "ကုလားထိုင္ အေဟာင္းမ်ားကို ျပဳျပင္ေပးပါသည္။" // old chairs repaired: harmless
	zgExpel  = "လူနည္းစုေတြကို ဒီ႐ြာက ေမာင္းထုတ္ရမယ္။"      // the minority must be driven out of the village
	zgVermin = "ဒီပိုးမႊားေတြရဲ႕ အိမ္ေတြကို မီးရႈိ႕ပစ္ၾက။"  // burn these vermin's houses
)

const zawgyiLexicon = `name: zg
version: "1"
categories:
  - {id: dehumanisation, label: Dehumanising language, severity: 3}
  - {id: violence_call, label: Call to violence, severity: 4}
  - {id: target_group, label: Target group, context: true}
terms:
  - {id: kalar, term: ကုလား, category: dehumanisation, lang: my, exceptions: [ကုလားထိုင်]}
  - {id: vermin, term: ပိုးမွှား, category: dehumanisation, lang: my}
  - {id: expel, term: မောင်းထုတ်, category: violence_call, lang: my}
  - {id: burn, term: မီးရှို့, category: violence_call, lang: my}
  - {id: minority, term: လူနည်းစု, category: target_group, lang: my}
`

func TestZawgyiPostsAreConverted(t *testing.T) {
	lx, err := lexicon.Parse("zg.yaml", []byte(zawgyiLexicon))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{lx}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, text string
		want       []string // term ids, sorted
	}{
		{"Zawgyi chair is not the slur", zgChair, nil},
		{"Zawgyi call to expel a group", zgExpel, []string{"expel", "minority"}},
		{"Zawgyi dehumanisation and arson", zgVermin, []string{"burn", "vermin"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := c.Classify(testPost("1", tc.text))
			var got []string
			for _, m := range v.Matches {
				got = append(got, m.TermID)
				if m.Start < 0 || m.End > len(tc.text) || m.Start >= m.End {
					t.Fatalf("match %+v outside the text of %d bytes", m, len(tc.text))
				}
				if !slices.Contains(m.Transforms, TransformZawgyi) {
					t.Errorf("match %s does not say it needed the zawgyi conversion: %v", m.TermID, m.Transforms)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("matched %v, want %v", got, tc.want)
			}
			if v.Flagged != (len(tc.want) > 0) {
				t.Fatalf("flagged %v", v.Flagged)
			}
		})
	}
	// The same words typed in Unicode match with no conversion.
	v := c.Classify(testPost("2", "ဒီပိုးမွှားတွေရဲ့ အိမ်တွေကို မီးရှို့ပစ်ကြ။"))
	if len(v.Matches) != 2 || slices.Contains(v.Matches[0].Transforms, TransformZawgyi) {
		t.Fatalf("Unicode text: %+v", v.Matches)
	}
}

func TestMyanmarNormalizerOffsetsCoverTheOriginal(t *testing.T) {
	m, err := NewMyanmarNormalizer()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{zgChair, zgExpel, zgVermin, "abc " + zgExpel + " xyz", "ကုလား", ""} {
		n := m.Normalize(text)
		if len(n.Offsets) != len(n.Text)+1 || n.Offsets[len(n.Text)] != len(text) {
			t.Fatalf("%q: %d offsets for %d bytes", text, len(n.Offsets), len(n.Text))
		}
		for i, o := range n.Offsets {
			if o < 0 || o > len(text) || (i > 0 && i < len(n.Text) && o < n.Offsets[0]) {
				t.Fatalf("%q: offset %d of byte %d", text, o, i)
			}
		}
	}
}
