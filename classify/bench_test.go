package classify

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/coregx/ahocorasick"

	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// The classifier benchmark of BENCHMARKS.md: 100,000 synthetic posts, half
// English, half Burmese, of 50 to 400 characters, judged against generated
// lexicons of 100, 10,000 and 100,000 terms. Run with -cpu 1 for figures
// per core:
//
//	go test -run '^$' -bench 'HashReference|Classify|AhoCorasick' -cpu 1 -benchtime 3x -count 3 .
//	go test -run '^$' -bench 'Regexp' -cpu 1 -benchtime 1x .
//
// BenchmarkClassify is the whole classification (normalise, match, check
// boundaries, apply exceptions and rules, explain, build the verdict);
// BenchmarkAhoCorasick and BenchmarkRegexp are the raw scan of the same
// posts, already normalised (lower case), by github.com/coregx/ahocorasick
// (overlapping search: every occurrence, as a lexicon needs, but no
// boundaries, no exceptions, no explanation) and by Go's regexp (an
// alternation of every term, leftmost-first, on the first 2,000, 200 and
// 3 posts).
var benchSizes = []int{100, 10_000, 100_000}

const benchPostCount = 100_000

// regexpPosts is how many posts BenchmarkRegexp scans, by lexicon size.
var regexpPosts = map[int]int{100: 2000, 10_000: 200, 100_000: 3}

var benchCorpus = sync.OnceValue(func() []*event.Post { return benchPosts(benchPostCount) })

func corpusBytes(posts []*event.Post) int64 {
	var n int64
	for _, p := range posts {
		n += int64(len(p.Text))
	}
	return n
}

// reportRate adds posts/s to the benchmark's metrics: with -cpu 1, per core.
func reportRate(b *testing.B, posts int) {
	b.ReportMetric(float64(posts)*float64(b.N)/b.Elapsed().Seconds(), "posts/s")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkClassify(b *testing.B) {
	posts := benchCorpus()
	for _, n := range benchSizes {
		c := benchClassifier(b, n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(corpusBytes(posts))
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range posts {
					c.Classify(p)
				}
			}
			reportRate(b, len(posts))
		})
	}
}

// BenchmarkHashReference hashes every post's text (FNV-1a, a multiply per
// byte, as the tokenizer does) and nothing else: a yardstick for this
// machine at the time of the run, since the machine is shared. Compare the
// other figures with it, as ratios.
func BenchmarkHashReference(b *testing.B) {
	posts := benchCorpus()
	b.SetBytes(corpusBytes(posts))
	var sink uint64
	for b.Loop() {
		for _, p := range posts {
			h := uint64(fnvOffset)
			for i := 0; i < len(p.Text); i++ {
				h = (h ^ uint64(p.Text[i])) * fnvPrime
			}
			sink += h
		}
	}
	if sink == 1 {
		b.Log(sink)
	}
	reportRate(b, len(posts))
}

// BenchmarkWideReference hashes every post's text in four independent
// streams at once (bytes i, i+1, i+2, i+3 each to its own FNV-1a): work
// with many instructions in flight, as the classifier's scanning is, where
// BenchmarkHashReference is one long chain of multiplies. A core shared with
// another tenant's thread (SMT) slows the first kind and hardly the second:
// this yardstick shows when that is happening.
func BenchmarkWideReference(b *testing.B) {
	posts := benchCorpus()
	b.SetBytes(corpusBytes(posts))
	var sink uint64
	for b.Loop() {
		for _, p := range posts {
			t := p.Text
			h0, h1, h2, h3 := uint64(fnvOffset), uint64(fnvOffset), uint64(fnvOffset), uint64(fnvOffset)
			i := 0
			for ; i+4 <= len(t); i += 4 {
				h0 = (h0 ^ uint64(t[i])) * fnvPrime
				h1 = (h1 ^ uint64(t[i+1])) * fnvPrime
				h2 = (h2 ^ uint64(t[i+2])) * fnvPrime
				h3 = (h3 ^ uint64(t[i+3])) * fnvPrime
			}
			for ; i < len(t); i++ {
				h0 = (h0 ^ uint64(t[i])) * fnvPrime
			}
			sink += h0 ^ h1 ^ h2 ^ h3
		}
	}
	if sink == 1 {
		b.Log(sink)
	}
	reportRate(b, len(posts))
}

// normalisedCorpus is the corpus as the default normaliser leaves it.
var normalisedCorpus = sync.OnceValue(func() [][]byte {
	m, err := NewMyanmarNormalizer()
	if err != nil {
		panic(err)
	}
	posts := benchCorpus()
	out := make([][]byte, len(posts))
	for i, p := range posts {
		out[i] = []byte(m.Normalize(p.Text).Text)
	}
	return out
})

// benchTermStrings are the generated lexicon's terms and variants,
// normalised as the classifier compiles them.
func benchTermStrings(tb testing.TB, n int) []string {
	m, err := NewMyanmarNormalizer()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, t := range benchLexicon(tb, n).Terms {
		out = append(out, m.NormalizeTerm(t.Term).Text)
		for _, v := range t.Variants {
			out = append(out, m.NormalizeTerm(v).Text)
		}
	}
	return out
}

func BenchmarkAhoCorasick(b *testing.B) {
	texts := normalisedCorpus()
	var size int64
	for _, t := range texts {
		size += int64(len(t))
	}
	for _, n := range benchSizes {
		ac, err := ahocorasick.NewBuilder().AddStrings(benchTermStrings(b, n)).Build()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(size)
			found := 0
			for b.Loop() {
				for _, t := range texts {
					found += len(ac.FindAllOverlapping(t))
				}
			}
			if found == 0 {
				b.Fatal("found nothing")
			}
			reportRate(b, len(texts))
		})
	}
}

func BenchmarkRegexp(b *testing.B) {
	for _, n := range benchSizes {
		// Go's regexp slows down with the size of the alternation, so the
		// larger lexicons scan fewer posts: MB/s is over what was scanned.
		texts := normalisedCorpus()[:regexpPosts[n]]
		var size int64
		for _, t := range texts {
			size += int64(len(t))
		}
		terms := benchTermStrings(b, n)
		for i, t := range terms {
			terms[i] = regexp.QuoteMeta(t)
		}
		re, err := regexp.Compile(strings.Join(terms, "|"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.SetBytes(size)
			found := 0
			for b.Loop() {
				for _, t := range texts {
					found += len(re.FindAllIndex(t, -1))
				}
			}
			if found == 0 {
				b.Fatal("found nothing")
			}
			reportRate(b, len(texts))
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
			// so every lexicon finds about the same matches.
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

// benchPosts makes n synthetic posts of 50 to 400 characters, alternately
// English (common words, invented words, sentence case and punctuation)
// and Burmese (invented syllables, phrases apart, ။ at the end); one in
// ten carries the lexicons' known terms.
func benchPosts(n int) []*event.Post {
	rng := rand.New(rand.NewPCG(2, 2))
	common := strings.Fields("the a of and to in is it that for on with as was at by this we you they market morning rain road school people village said will")
	known := []string{"Vermin", "ကုလား", "burn them out", "northfolk"}
	posts := make([]*event.Post, n)
	for i := range posts {
		want := 50 + rng.IntN(351) // characters
		var b strings.Builder
		chars := 0
		add := func(s string) {
			b.WriteString(s)
			chars += len([]rune(s))
		}
		if i%10 == 0 {
			add(known[rng.IntN(len(known))] + " ")
		}
		for chars < want {
			if i%2 == 0 {
				w := common[rng.IntN(len(common))]
				if rng.IntN(3) == 0 {
					w = latinWord(rng)
				}
				if chars == 0 || rng.IntN(12) == 0 {
					w = strings.ToUpper(w[:1]) + w[1:]
				}
				add(w)
				switch rng.IntN(10) {
				case 0:
					add(". ")
				case 1:
					add(", ")
				default:
					add(" ")
				}
			} else {
				add(burmeseWord(rng, 1+rng.IntN(4)))
				if rng.IntN(3) == 0 {
					add(" ")
				}
			}
		}
		text := []rune(strings.TrimSpace(b.String()))
		if len(text) > 400 {
			text = text[:400]
		}
		s := string(text)
		if i%2 == 1 {
			s += "။"
		}
		posts[i] = testPost(fmt.Sprint(i), s)
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
