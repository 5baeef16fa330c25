package convert

import (
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestCanonicalize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"english", "Hello, world 70", "Hello, world 70"},
		{"already canonical", "မြန်မာ", "မြန်မာ"},
		{"nfc composes uu", "\u1025\u102e", "\u1026"},
		{"dot below before asat", "\u101a\u103a\u1037", "\u101a\u1037\u103a"},
		{"medials in order", "\u1000\u103e\u103d\u103c\u103b", "\u1000\u103b\u103c\u103d\u103e"},
		{"e vowel after medials", "\u1019\u1031\u103c", "\u1019\u103c\u1031"},
		{"upper vowel before lower", "\u1000\u102f\u102d", "\u1000\u102d\u102f"},
		{"anusvara after lower vowel", "\u1000\u1036\u102f", "\u1000\u102f\u1036"},
		{"anusvara before dot below", "\u1000\u1037\u1036", "\u1000\u1036\u1037"},
		{"visarga last", "\u1000\u1038\u102c", "\u1000\u102c\u1038"},
		{"asat after aa", "\u1000\u1031\u102c\u103a", "\u1000\u1031\u102c\u103a"},
		{"contraction asat stays after base", "ကျွန်ုပ်", "ကျွန်ုပ်"},
		{"kinzi", "သင်္ချိုင်း", "သင်္ချိုင်း"},
		{"stacked consonant kept with its virama", "\u1019\u1039\u1018\u102c", "\u1019\u1039\u1018\u102c"},
		{"e vowel after a stacked consonant", "\u1000\u1031\u1039\u1000", "\u1000\u1039\u1000\u1031"},
		{"lone virama leaves its run alone", "\u1000\u1039\u1030\u102d", "\u1000\u1039\u1030\u102d"},
		{"latin accent leaves its run alone", "\u1000\u102f\u0301\u102d", "\u1000\u102f\u0301\u102d"},
		{"zeros read as letters in turn", "၀၀ါ", "ဝဝါ"},
		{"digit made a letter stacks", "\u1000\u1039\u1047\u102c", "\u1000\u1039\u101b\u102c"},
		{"run ends at a Shan sign", "\u1000\u102f\u1087\u102d", "\u1000\u102f\u1087\u102d"},
		{"zero between letters is wa", "အ၀တ်", "အဝတ်"},
		{"zero before a letter is wa", "၀န်ကြီး", "ဝန်ကြီး"},
		{"zero after a letter is wa", "က၀ ", "ကဝ "},
		{"zero before a sign is wa", "၀ါ", "ဝါ"},
		{"zero before a sign after a digit is wa", "၁၀ါ", "၁ဝါ"},
		{"seven before a sign is ra", "၇ာ", "ရာ"},
		{"seven between letters is ra", "က၇က", "ကရက"},
		{"number stays", "၂၀၁၈ ခုနှစ်", "၂၀၁၈ ခုနှစ်"},
		{"number after a word stays", "အမှတ်၂၀", "အမှတ်၂၀"},
		{"lone digits stay", "၀ ၇ ၀၇", "၀ ၇ ၀၇"},
		{"latin digits untouched", "က0", "က0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Canonicalize(tc.in); got != tc.want {
				t.Errorf("Canonicalize(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
		})
	}
}

// Reference Unicode text is already canonical except for digits typed for
// letters, and canonicalising it twice changes nothing.
func TestCanonicalizeReference(t *testing.T) {
	for _, p := range loadCorpus(t) {
		once := Canonicalize(p.uni)
		if twice := Canonicalize(once); twice != once {
			t.Errorf("line %d: Canonicalize is not idempotent: %s", p.line, firstDifference(twice, once))
		}
		digitsFixed := []rune(norm.NFC.String(p.uni))
		fixDigits(digitsFixed)
		if once != string(digitsFixed) {
			t.Errorf("line %d: reordered reference text: %s", p.line, firstDifference(once, string(digitsFixed)))
		}
	}
}

func FuzzCanonicalize(f *testing.F) {
	for _, p := range loadCorpus(f) {
		f.Add(p.uni)
	}
	f.Add("\u1000\u103a\u1038\u1037\u1039\u1037\u1040\u102c\u1047")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		got := Canonicalize(s)
		if canonicalAlready(s) && canonicalize(s) != s {
			t.Errorf("the fast path takes %+q as canonical, but it canonicalizes to %+q", s, canonicalize(s))
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Canonicalize(%+q) = %+q, not valid UTF-8", s, got)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Errorf("Canonicalize(%+q) = %+q, not NFC", s, got)
		}
		if again := Canonicalize(got); again != got {
			t.Errorf("Canonicalize not idempotent on %+q: %+q then %+q", s, got, again)
		}
	})
}

// The fuzz target checks the same on whatever it finds; this runs on every
// test run, over strings dense in the signs that get reordered.
func TestCanonicalizeIdempotent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	alphabet := []rune("\u1000\u1004\u101d\u1025\u1040\u1041\u1047\u102b\u102c\u102d\u102e\u102f\u1030" +
		"\u1031\u1032\u1036\u1037\u1038\u1039\u103a\u103b\u103c\u103d\u103e\u1087\u108d\u0301 \u200d")
	for range 50000 {
		rs := make([]rune, rng.IntN(12))
		for j := range rs {
			rs[j] = alphabet[rng.IntN(len(alphabet))]
		}
		once := canonicalize(string(rs))
		if twice := canonicalize(once); twice != once {
			t.Fatalf("Canonicalize(%+q) = %+q, and again %+q", string(rs), once, twice)
		}
		// The fast path never claims a text is canonical when it is not.
		for _, x := range []string{string(rs), once} {
			if canonicalAlready(x) && canonicalize(x) != x {
				t.Fatalf("canonicalAlready(%+q) is true, but Canonicalize gives %+q", x, canonicalize(x))
			}
		}
	}
}

// TestCanonicalFastPathFires: text already in canonical order (the
// corpus's reference lines once canonicalised) takes the fast path, which
// must agree with the full one.
func TestCanonicalFastPathFires(t *testing.T) {
	data, err := os.ReadFile("testdata/mmgov_unicode_out.txt")
	if err != nil {
		t.Fatal(err)
	}
	var lines, fast int
	for _, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := canonicalize(line)
		lines++
		if canonicalAlready(c) {
			fast++
			if Canonicalize(c) != c {
				t.Fatalf("fast path changed %+q", c)
			}
		}
	}
	if fast*2 < lines {
		t.Fatalf("the fast path fired on %d of %d canonical lines", fast, lines)
	}
	t.Logf("fast path on %d of %d canonical lines", fast, lines)
}
