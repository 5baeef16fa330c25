package classify

import (
	"slices"
	"testing"

	"github.com/vigilhq/vigil/classify/lexicon"
)

// evasionTests are synthetic posts that disguise a term (testdata/
// evasion.yaml), each named after its trick, and near-misses that must not
// match. span is the text of the post a match must point at.
var evasionTests = []struct {
	name string
	text string
	want []evasionMatch
}{
	// Compatibility characters (NFKC).
	{name: "fullwidth", text: "they are ｖｅｒｍｉｎ", want: []evasionMatch{{"vermin", "ｖｅｒｍｉｎ", []string{"nfkc"}}}},
	{name: "fullwidth upper case", text: "ＶＥＲＭＩＮ!", want: []evasionMatch{{"vermin", "ＶＥＲＭＩＮ", []string{"nfkc", "casefold"}}}},
	{name: "math bold", text: "such 𝐯𝐞𝐫𝐦𝐢𝐧.", want: []evasionMatch{{"vermin", "𝐯𝐞𝐫𝐦𝐢𝐧", []string{"nfkc"}}}},
	{name: "math double-struck", text: "𝕧𝕖𝕣𝕞𝕚𝕟 all", want: []evasionMatch{{"vermin", "𝕧𝕖𝕣𝕞𝕚𝕟", []string{"nfkc"}}}},
	{name: "ligature", text: "every inﬁdel", want: []evasionMatch{{"infidel", "inﬁdel", []string{"nfkc"}}}},
	// Accents.
	{name: "accents, precomposed", text: "vérmín", want: []evasionMatch{{"vermin", "vérmín", []string{"accents"}}}},
	{name: "accents, combining", text: "ve\u0301rmi\u0301n here", want: []evasionMatch{{"vermin", "ve\u0301rmi\u0301n", []string{"accents"}}}},
	{name: "accent after the last letter belongs to the match", text: "kil\u0300l\u0301 them", want: []evasionMatch{{"kill", "kil\u0300l\u0301", []string{"accents"}}}},
	{name: "zalgo marks", text: "k\u0337\u031bi\u0335l\u0338l\u0336 now", want: []evasionMatch{{"kill", "k\u0337\u031bi\u0335l\u0338l\u0336", []string{"accents"}}}},
	// Look-alikes.
	{name: "Cyrillic look-alikes", text: "v\u0435rm\u0456n", want: []evasionMatch{{"vermin", "v\u0435rm\u0456n", []string{"confusable"}}}},
	{name: "Cyrillic capital look-alike", text: "V\u0415RMIN", want: []evasionMatch{{"vermin", "V\u0415RMIN", []string{"casefold", "confusable"}}}},
	{name: "Cyrillic o between Latin letters", text: "a c\u043ep", want: []evasionMatch{{"cop", "c\u043ep", []string{"confusable"}}}},
	{name: "Greek look-alikes", text: "\u03bdermin and r\u03b1t", want: []evasionMatch{
		{"vermin", "\u03bdermin", []string{"confusable"}}, {"rat", "r\u03b1t", []string{"confusable"}}}},
	// Leetspeak.
	{name: "leet digits", text: "v3rm1n", want: []evasionMatch{{"vermin", "v3rm1n", []string{"leet"}}}},
	{name: "leet one for i", text: "k1ll them", want: []evasionMatch{{"kill", "k1ll", []string{"leet"}}}},
	{name: "leet at sign inside", text: "r@t", want: []evasionMatch{{"rat", "r@t", []string{"leet"}}}},
	{name: "leet dollars at the end", text: "what an a$$", want: []evasionMatch{{"ass", "a$$", []string{"leet"}}}},
	{name: "leet exclamation mark inside", text: "exterm!nate", want: []evasionMatch{{"exterminate", "exterm!nate", []string{"leet"}}}},
	{name: "leet four and five", text: "4ss", want: []evasionMatch{{"ass", "4ss", []string{"leet"}}}},
	{name: "trailing exclamation mark is punctuation", text: "vermin!!", want: []evasionMatch{{"vermin", "vermin", nil}}},
	{name: "mention sign is not a letter", text: "@vermin", want: []evasionMatch{{"vermin", "vermin", nil}}},
	// Repeated letters.
	{name: "repeated letter", text: "veeeermin", want: []evasionMatch{{"vermin", "veeeermin", []string{"repeat"}}}},
	{name: "repeated letter next to a double one", text: "kiiiill", want: []evasionMatch{{"kill", "kiiiill", []string{"repeat"}}}},
	{name: "repeated, upper case", text: "VEEERMIIIN", want: []evasionMatch{{"vermin", "VEEERMIIIN", []string{"casefold", "repeat"}}}},
	// Letters written apart.
	{name: "spaced", text: "the v e r m i n are here", want: []evasionMatch{{"vermin", "v e r m i n", []string{"spaced"}}}},
	{name: "dotted", text: "v.e.r.m.i.n.", want: []evasionMatch{{"vermin", "v.e.r.m.i.n", []string{"spaced"}}}},
	{name: "hyphenated", text: "k-i-l-l them", want: []evasionMatch{{"kill", "k-i-l-l", []string{"spaced"}}}},
	{name: "underscored", text: "r_a_t", want: []evasionMatch{{"rat", "r_a_t", []string{"spaced"}}}},
	{name: "spaced with a leet digit", text: "k 1 l l them", want: []evasionMatch{{"kill", "k 1 l l", []string{"leet", "spaced"}}}},
	// Several tricks at once.
	{name: "mixed: leet and repeat", text: "v333rm1n", want: []evasionMatch{{"vermin", "v333rm1n", []string{"leet", "repeat"}}}},
	{name: "mixed: math bold and accent", text: "𝐯é𝐫𝐦𝐢𝐧", want: []evasionMatch{{"vermin", "𝐯é𝐫𝐦𝐢𝐧", []string{"nfkc", "accents"}}}},
	{name: "mixed: Cyrillic capital, leet", text: "\u041a1LL", want: []evasionMatch{{"kill", "\u041a1LL", []string{"casefold", "confusable", "leet"}}}},
	{name: "mixed: fullwidth, repeat", text: "ＫＩＩＩＩＬＬ", want: []evasionMatch{{"kill", "ＫＩＩＩＩＬＬ", []string{"nfkc", "casefold", "repeat"}}}},
	{name: "mixed: invisible and Cyrillic", text: "v\u200B\u0435rmin", want: []evasionMatch{{"vermin", "v\u200B\u0435rmin", []string{"invisible", "confusable"}}}},
	{name: "mixed: fullwidth spaced", text: "ｖ ｅ ｒ ｍ ｉ ｎ", want: []evasionMatch{{"vermin", "ｖ ｅ ｒ ｍ ｉ ｎ", []string{"nfkc", "spaced"}}}},
	{name: "mixed: two words, leet in both", text: "r@t p3ople", want: []evasionMatch{
		{"rat", "r@t", []string{"leet"}}, {"rat-people", "r@t p3ople", []string{"leet"}}}},
	// Near-misses.
	{name: "near-miss: separate is not rat", text: "separate the rations"},
	{name: "near-miss: skill is not kill", text: "a skill to learn"},
	{name: "near-miss: exterminator is not exterminate", text: "call the exterminator"},
	{name: "near-miss: classic is not ass", text: "a classic glass, assorted"},
	{name: "near-miss: as is not ass (double letters kept)", text: "as good as new"},
	{name: "near-miss: Russian stays Russian", text: "Не выносите сор из избы"},
	{name: "near-miss: Greek stays Greek", text: "ο ρατ ο νους"},
	{name: "near-miss: a number is not leet", text: "455 and 1337"},
	{name: "near-miss: spaced letters of a longer word", text: "k i l l e r"},
	{name: "near-miss: two single letters are not spaced", text: "r a-te"},
	{name: "near-miss: digits between two letters are not spaced letters", text: "c 0 9 p"},
}

type evasionMatch struct {
	term       string
	span       string
	transforms []string
}

func TestEvasion(t *testing.T) {
	c := newTestClassifierWith(t, "evasion.yaml")
	for _, tt := range evasionTests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPost("1", tt.text)
			v := c.Classify(p)
			checkVerdict(t, p, v)
			var got []evasionMatch
			for _, m := range v.Matches {
				got = append(got, evasionMatch{m.TermID, tt.text[m.Start:m.End], m.Transforms})
			}
			if !slices.EqualFunc(got, tt.want, func(a, b evasionMatch) bool {
				return a.term == b.term && a.span == b.span && slices.Equal(a.transforms, b.transforms)
			}) {
				t.Errorf("matches = %+q, want %+q", got, tt.want)
			}
		})
	}
}

func newTestClassifierWith(tb testing.TB, lexiconFile string) *Classifier {
	tb.Helper()
	c, err := New([]*lexicon.Lexicon{loadLexicon(tb, lexiconFile)}, nil, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
