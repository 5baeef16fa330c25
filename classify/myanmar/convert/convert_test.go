package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusPair is one line of the mmgov parallel corpus.
type corpusPair struct {
	line   int // 1-based
	zawgyi string
	uni    string
}

// loadCorpus reads the parallel corpus and returns its non-blank line pairs.
// A line blank on one side only is a fault in the corpus and fails the test.
func loadCorpus(tb testing.TB) []corpusPair {
	tb.Helper()
	src := readLines(tb, "testdata/mmgov_zawgyi_src.txt")
	ref := readLines(tb, "testdata/mmgov_unicode_out.txt")
	if len(src) != len(ref) {
		tb.Fatalf("corpus sides differ in length: %d Zawgyi lines, %d Unicode lines", len(src), len(ref))
	}
	var pairs []corpusPair
	for i := range src {
		zb, ub := strings.TrimSpace(src[i]) == "", strings.TrimSpace(ref[i]) == ""
		if zb != ub {
			tb.Fatalf("line %d is blank on one side only", i+1)
		}
		if zb {
			continue
		}
		pairs = append(pairs, corpusPair{line: i + 1, zawgyi: src[i], uni: ref[i]})
	}
	return pairs
}

func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// The corpus has 67 lines: three # header lines (ASCII, identical on both
// sides), one blank line, and 63 lines of Burmese, so 66 are checked.
const corpusLinesWant = 66

func TestCorpus(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	pairs := loadCorpus(t)
	if len(pairs) != corpusLinesWant {
		t.Errorf("corpus has %d non-blank lines, want %d", len(pairs), corpusLinesWant)
	}
	passed := 0
	for _, p := range pairs {
		got := Canonicalize(c.Convert(p.zawgyi))
		want := Canonicalize(p.uni)
		if got != want {
			t.Errorf("line %d: %s", p.line, firstDifference(got, want))
			continue
		}
		passed++
	}
	t.Logf("mmgov corpus: %d of %d non-blank lines match", passed, len(pairs))
}

// firstDifference describes where got and want first differ, in code
// points, which is the only readable way to compare Burmese marks.
func firstDifference(got, want string) string {
	g, w := []rune(got), []rune(want)
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	window := func(rs []rune) string {
		lo, hi := max(0, i-3), min(len(rs), i+5)
		var b strings.Builder
		for _, r := range rs[lo:hi] {
			fmt.Fprintf(&b, "U+%04X ", r)
		}
		return strings.TrimSpace(b.String())
	}
	return fmt.Sprintf("rune %d: got [%s], want [%s]", i, window(g), window(w))
}

// Zawgyi and Unicode share code points with different meanings (U+103C is
// medial wa in Zawgyi, medial ra in Unicode), so the converter must only see
// text the detector classes as Zawgyi. This test documents that running it
// on Unicode damages the text.
func TestConvertDamagesUnicode(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	damaged := 0
	for _, p := range loadCorpus(t) {
		if Canonicalize(c.Convert(p.uni)) != Canonicalize(p.uni) {
			damaged++
		}
	}
	if damaged == 0 {
		t.Fatal("converting the Unicode reference lines changed none; the converter no longer needs a detector in front of it, so revisit the package doc")
	}
	t.Logf("converting Unicode text by mistake changes %d reference lines", damaged)
}

func TestConvertLeavesOtherTextAlone(t *testing.T) {
	for name, s := range map[string]string{
		"empty":      "",
		"english":    "Meet at the bridge at 7pm. Bring 10 friends & $20.",
		"punctuated": "a(?=b) $1 ${2} \\1 [x]+ \t\r\n",
		"accented":   "Café naïve – “quoted” ☃",
		"thai":       "สวัสดีครับ",
	} {
		t.Run(name, func(t *testing.T) {
			if got := ZawgyiToUnicode(s); got != s {
				t.Errorf("ZawgyiToUnicode(%q) = %q, want it unchanged", s, got)
			}
		})
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name, zawgyi, want string
	}{
		// Zawgyi stores ေ and medial ra (U+103B in Zawgyi) before the
		// consonant, and uses U+1039 as asat; Unicode stores both signs
		// after the consonant and has asat at U+103A: မြန်မာ.
		{"pre-base vowel and medial", "\u1031\u103b\u1019\u1014\u1039\u1019\u102c", "\u1019\u103c\u1031\u1014\u103a\u1019\u102c"},
		{"zero-width space removed", "\u1000\u200b\u1001", "\u1000\u1001"},
		{"digit seven before aa is ra", "\u1047\u102c", "\u101b\u102c"},
		{"digit seven between digits stays", "\u1041\u1047\u1042", "\u1041\u1047\u1042"},
		{"digit zero before aa is wa", "\u1041\u1040\u102b\u1038", "\u1041\u101d\u102b\u1038"},
		{"digit zero before i is wa", "\u1000\u1040\u102d \u1040\u102d /", "\u1000\u101d\u102d \u101d\u102d /"},
		{"digits stay digits", "\u1042\u1040\u1041\u1048 \u1041\u1040", "\u1042\u1040\u1041\u1048 \u1041\u1040"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ZawgyiToUnicode(tc.zawgyi); got != tc.want {
				t.Errorf("ZawgyiToUnicode(%+q) = %+q, want %+q", tc.zawgyi, got, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.rules) != 118 {
		t.Errorf("compiled %d rules, want Rabbit's 118", len(c.rules))
	}
}

// Convert skips a rule when the text lacks all of rule.needs; this checks
// the sets against the rules' own expressions on every corpus line and on
// the JavaScript golden strings: no skipped rule would have changed them.
func TestSkippedRulesWouldNotMatch(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	inputs := goldenInputs(t)
	for _, p := range loadCorpus(t) {
		inputs = append(inputs, p.zawgyi, p.uni)
	}
	for _, s := range inputs {
		for i := range c.rules {
			r := &c.rules[i]
			if !r.needs.intersects(runesIn(s)) && r.re.MatchString(s) {
				t.Errorf("rule %d would be skipped on %+q but matches it", r.index, s)
			}
			s = r.apply(s)
		}
	}
}

func TestCompileRulesRefusesRuleForAnyText(t *testing.T) {
	_, err := compileRules([]byte(`[{"from": "a", "to": "b"}]`))
	if err == nil || !strings.Contains(err.Error(), "no Myanmar character") {
		t.Errorf("compileRules error = %v, want one about Myanmar characters", err)
	}
}

func FuzzZawgyiToUnicode(f *testing.F) {
	for _, p := range loadCorpus(f) {
		f.Add(p.zawgyi)
	}
	f.Add("\u1047\u1040\u102c\u1040\u102d /\u200b")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		if got := ZawgyiToUnicode(s); !utf8.ValidString(got) {
			t.Errorf("ZawgyiToUnicode(%+q) = %+q, not valid UTF-8", s, got)
		}
	})
}

func BenchmarkZawgyiToUnicode(b *testing.B) {
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	pairs := loadCorpus(b)
	n := 0
	for _, p := range pairs {
		n += len(p.zawgyi)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	for b.Loop() {
		for _, p := range pairs {
			c.Convert(p.zawgyi)
		}
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	pairs := loadCorpus(b)
	n := 0
	for _, p := range pairs {
		n += len(p.uni)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		for _, p := range pairs {
			Canonicalize(p.uni)
		}
	}
}

// testdata/rabbit-js.json holds random Burmese strings with the output of
// Rabbit's rules run by a JavaScript engine (see gen-rabbit-js.js), so this
// checks the RE2 translation, lookaheads included, against the original
// semantics rather than against expectations written by hand.
func TestMatchesJavaScript(t *testing.T) {
	cases := loadGolden(t)
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		if got := c.Convert(tc.In); got != tc.Out {
			t.Errorf("Convert(%+q) = %+q, JavaScript gives %+q", tc.In, got, tc.Out)
		}
	}
	t.Logf("%d strings converted as JavaScript converts them", len(cases))
}

type goldenCase struct{ In, Out string }

func loadGolden(tb testing.TB) []goldenCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/rabbit-js.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []goldenCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatal(err)
	}
	return cases
}

func goldenInputs(tb testing.TB) []string {
	tb.Helper()
	var in []string
	for _, c := range loadGolden(tb) {
		in = append(in, c.In)
	}
	return in
}
