package classify

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// BenchmarkClassify classifies a mix of English and Burmese posts with a
// lexicon of 100 and of 100,000 generated terms. Terms are indexed by first
// word (spaced scripts) and in a trie (Myanmar script), so the time per post
// should hardly change between the two.
func BenchmarkClassify(b *testing.B) {
	posts := benchPosts(200)
	for _, n := range []int{100, 100_000} {
		c := benchClassifier(b, n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				c.Classify(posts[i%len(posts)])
				i++
			}
		})
	}
}

// benchLexicon generates n terms, half English-like words and phrases, half
// Burmese-like syllable strings, plus the test lexicon's few real entries.
func benchLexicon(tb testing.TB, n int) *lexicon.Lexicon {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	lex := &lexicon.Lexicon{
		File: "bench.yaml", Name: "bench", Version: fmt.Sprint(n),
		Categories: []lexicon.Category{
			{ID: "dehumanisation", Severity: 3},
			{ID: "violence_call", Context: true},
			{ID: "target_group", Context: true},
			{ID: "incitement", Severity: 5},
		},
		Terms: []lexicon.Term{
			{ID: "vermin", Term: "vermin", Category: "dehumanisation"},
			{ID: "kalar", Term: "ကုလား", Category: "dehumanisation", Exceptions: []string{"ကုလားထိုင်"}},
			{ID: "burn", Term: "burn them out", Category: "violence_call"},
			{ID: "northfolk", Term: "northfolk", Category: "target_group"},
		},
		Rules: []lexicon.Rule{{ID: "r", Category: "incitement", All: []string{"violence_call", "target_group"}, Within: 8}},
	}
	cats := []string{"dehumanisation", "violence_call", "target_group"}
	seen := map[string]bool{}
	for i := 0; len(lex.Terms) < n+4; i++ {
		var term string
		if i%2 == 0 {
			term = latinWord(rng)
			if rng.IntN(4) == 0 {
				term += " " + latinWord(rng)
			}
		} else {
			// Three or four syllables: like real terms, and unlike shorter
			// random strings, they seldom turn up in random text by chance,
			// so both lexicons find about the same matches.
			term = burmeseWord(rng, 3+rng.IntN(2))
		}
		if seen[term] {
			continue
		}
		seen[term] = true
		lex.Terms = append(lex.Terms, lexicon.Term{ID: fmt.Sprintf("g%d", i), Term: term, Category: cats[i%len(cats)]})
	}
	return lex
}

func benchClassifier(tb testing.TB, n int) *Classifier {
	tb.Helper()
	c, err := New([]*lexicon.Lexicon{benchLexicon(tb, n)}, nil, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchPosts makes synthetic posts of 20 to 60 words, half English, half
// Burmese, some with a known term in them.
func benchPosts(n int) []*event.Post {
	rng := rand.New(rand.NewPCG(2, 2))
	common := strings.Fields("the a of and to in is it that for on with as was at by this we you they market morning rain road school")
	posts := make([]*event.Post, n)
	for i := range posts {
		var words []string
		for range 20 + rng.IntN(40) {
			if i%2 == 0 {
				if rng.IntN(3) == 0 {
					words = append(words, latinWord(rng))
				} else {
					words = append(words, common[rng.IntN(len(common))])
				}
			} else {
				words = append(words, burmeseWord(rng, 1+rng.IntN(4)))
			}
		}
		if i%5 == 0 {
			words = append(words, "Vermin", "ကုလား", "burn them out", "northfolk")
		}
		posts[i] = testPost("1", strings.Join(words, " "))
	}
	return posts
}

func latinWord(rng *rand.Rand) string {
	b := make([]byte, 4+rng.IntN(6))
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	return string(b)
}

// burmeseWord strings together syllables of a consonant, an optional vowel
// sign and an optional final consonant with asat.
func burmeseWord(rng *rand.Rand, syllables int) string {
	vowels := []string{"", "ာ", "ိ", "ီ", "ု", "ူ", "ေ", "ဲ", "ော"}
	var b strings.Builder
	for range syllables {
		b.WriteRune(rune(0x1000 + rng.IntN(0x21)))
		b.WriteString(vowels[rng.IntN(len(vowels))])
		if rng.IntN(3) == 0 {
			b.WriteRune(rune(0x1000 + rng.IntN(0x21)))
			b.WriteString("်")
		}
	}
	return b.String()
}

// BenchmarkNormalize runs the default normaliser over English, Burmese and
// mixed posts, and over English posts full of the tricks the folding stage
// undoes; MB/s is over the original text.
func BenchmarkNormalize(b *testing.B) {
	m, err := NewMyanmarNormalizer()
	if err != nil {
		b.Fatal(err)
	}
	posts := benchPosts(200)
	var english, burmese, mixed []string
	for i := 0; i+1 < len(posts); i += 2 {
		english = append(english, posts[i].Text)
		burmese = append(burmese, posts[i+1].Text)
		mixed = append(mixed, posts[i].Text+" "+posts[i+1].Text)
	}
	var cased []string
	for _, s := range english {
		cased = append(cased, "They said: "+strings.ToUpper(s[:1])+s[1:]+". Vérmín, V3RM1N, v e r m i n, kiiiill them!")
	}
	for _, set := range []struct {
		name  string
		texts []string
	}{{"english", english}, {"burmese", burmese}, {"mixed", mixed}, {"evasive", cased}} {
		n := 0
		for _, s := range set.texts {
			n += len(s)
		}
		b.Run(set.name, func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				for _, s := range set.texts {
					m.Normalize(s)
				}
			}
		})
	}
}
