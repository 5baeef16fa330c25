package syllable

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// segment joins the syllables of s with "|".
func segment(tb testing.TB, s string) string {
	tb.Helper()
	b := Boundaries(s)
	parts := make([]string, 0, len(b))
	for i := 1; i < len(b); i++ {
		parts = append(parts, s[b[i-1]:b[i]])
	}
	return strings.Join(parts, "|")
}

var segmentCases = []struct {
	name, in, want string
}{
	{"empty", "", ""},
	{"Myanmar", "မြန်မာ", "မြန်|မာ"},
	{"the term", "ကုလား", "ကု|လား"},
	{"chair compound", "ကုလားထိုင်", "ကု|လား|ထိုင်"},
	{"medials and vowels", "ကြောင်း", "ကြောင်း"},
	{"killed consonants", "ကျွန်ုပ်", "ကျွန်ုပ်"},
	{"killed consonant after term", "ကုလားန်", "ကု|လားန်"},
	// sylbreak keeps a stack with the syllable before it: the upper
	// consonant is followed by the virama, the lower one preceded by it.
	{"stacked consonant", "ကမ္ဘာ", "ကမ္ဘာ"},
	{"stacked in a word", "ဗုဒ္ဓဘာသာ", "ဗုဒ္ဓ|ဘာ|သာ"},
	{"stacked doubled", "သတ္တဝါ", "သတ္တ|ဝါ"},
	{"two stacks after an independent vowel", "ဥက္ကဋ္ဌ", "ဥက္ကဋ္ဌ"},
	{"kinzi English", "အင်္ဂလိပ်", "အင်္ဂ|လိပ်"},
	{"kinzi greeting", "မင်္ဂလာပါ", "မင်္ဂ|လာ|ပါ"},
	{"asat then dot below", "သ\u1004\u103A\u1037", "သ\u1004\u103A\u1037"},
	{"dot below then asat", "သ\u1004\u1037\u103A", "သ\u1004\u1037\u103A"},
	{"dot below then asat alone", "\u1019\u1037\u103A", "\u1019\u1037\u103A"},
	{"dot below then asat mid word", "ကုလား\u1014\u1037\u103Aကြီး", "ကု|လား\u1014\u1037\u103A|ကြီး"},
	{"dot below alone", "ကို့ကို", "ကို့|ကို"},
	{"U for nya before asat", "ည\u1025\u1037\u103A", "ည\u1025\u1037\u103A"},
	{"nya before asat", "ည\u1009\u1037\u103A", "ည\u1009\u1037\u103A"},
	{"independent vowel with visarga", "ဦးဇော်", "ဦး|ဇော်"},
	{"great sa", "ပြဿနာ", "ပြ|ဿ|နာ"},
	{"possessive symbol", "သူ၏", "သူ|၏"},
	{"la gaung symbol", "သူ၎င်း", "သူ|၎င်း"},
	{"section marks", "ဟုတ်၊ မဟုတ်။", "ဟုတ်|၊| |မ|ဟုတ်|။"},
	{"sentence end", "မင်္ဂလာပါ။", "မင်္ဂ|လာ|ပါ|။"},
	{"Myanmar digits", "၁၉၆၉ ခုနှစ်", "၁၉၆၉| |ခု|နှစ်"},
	{"digits then word", "၂၀၂၄ခု", "၂၀၂၄|ခု"},
	{"word then digit", "ခု၂", "ခု|၂"},
	{"ASCII number", "969", "969"},
	{"Myanmar and ASCII digits", "၉၆၉969", "၉၆၉|969"},
	{"English words", "hello world", "hello| |world"},
	{"English punctuation", "a,b.", "a|,|b|."},
	{"mixed with space", "Facebook ပေါ်မှာ", "Facebook| |ပေါ်|မှာ"},
	{"mixed without space", "ကုလားabc123ထိုင်", "ကု|လား|abc123|ထိုင်"},
	{"killed consonant after Latin", "abcန်", "abc|န်"},
	{"killed consonant after space", "ကုလား န်", "ကု|လား| |န်"},
	{"killed consonant at start", "န်", "န်"},
	{"leading dependent sign", "ာန်", "ာန်"},
	{"zero-width space", "မြန်\u200Bမာ", "မြန်|\u200B|မာ"},
	{"zero-width joiner stays", "မြန်\u200Dမာ", "မြန်\u200D|မာ"},
	{"newline", "မြန်\nမာ", "မြန်|\n|မာ"},
	{"two spaces", "a  b", "a| | |b"},
	{"script change Latin Cyrillic", "abcабв", "abc|абв"},
	{"Thai then Latin", "ไทยabc", "ไทย|abc"},
	{"combining accent", "e\u0301x", "e\u0301x"},
	{"emoji", "မာ😀", "မာ|😀"},
	{"invalid byte", "က\xffလ", "က|\xff|လ"},
	{"truncated rune", "မြန်\xe1\x80", "မြန်|\xe1|\x80"},
	{"stray continuation bytes", "\x80\x80ကာ", "\x80|\x80|ကာ"},
}

func TestBoundaries(t *testing.T) {
	for _, tc := range segmentCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := segment(t, tc.in); got != tc.want {
				t.Errorf("segment(%+q) = %+q, want %+q", tc.in, got, tc.want)
			}
			checkConsistent(t, tc.in)
		})
	}
}

// checkConsistent checks the invariants every input must satisfy, and that
// Boundaries, IsBoundary and Next agree.
func checkConsistent(tb testing.TB, s string) {
	tb.Helper()
	b := Boundaries(s)
	if len(b) == 0 || b[0] != 0 || b[len(b)-1] != len(s) {
		tb.Fatalf("Boundaries(%+q) = %v: must start at 0 and end at %d", s, b, len(s))
	}
	starts := make([]bool, len(s)+1)
	for i := range s {
		starts[i] = true
	}
	starts[len(s)] = true
	isB := make([]bool, len(s)+1)
	for k, i := range b {
		if k > 0 && i <= b[k-1] {
			tb.Fatalf("Boundaries(%+q) = %v: not strictly increasing", s, b)
		}
		if !starts[i] {
			tb.Fatalf("Boundaries(%+q) = %v: %d is not a rune start", s, b, i)
		}
		isB[i] = true
	}
	for i := -1; i <= len(s)+1; i++ {
		if got, want := IsBoundary(s, i), i >= 0 && i <= len(s) && isB[i]; got != want {
			tb.Fatalf("IsBoundary(%+q, %d) = %v, Boundaries = %v", s, i, got, b)
		}
		want := len(s)
		if i < 0 {
			want = 0
		} else if k, _ := slices.BinarySearch(b, i+1); k < len(b) {
			want = b[k]
		}
		if got := Next(s, i); got != want {
			tb.Fatalf("Next(%+q, %d) = %d, want %d (Boundaries = %v)", s, i, got, want, b)
		}
	}
}

// TestTermOnBoundaries is what the matcher relies on: a term matches only
// where both its ends are boundaries.
func TestTermOnBoundaries(t *testing.T) {
	const term = "ကုလား"
	tests := []struct {
		name     string
		s        string
		at       int // where the term's bytes start in s
		onStart  bool
		onEnd    bool
		contains bool
	}{
		{"alone", term, 0, true, true, true},
		{"in the chair compound", "ကုလားထိုင်", 0, true, true, true},
		{"before a space", "ကုလား ကြီး", 0, true, true, true},
		{"after a word", "ဒီကုလား", len("ဒီ"), true, true, true},
		{"killed consonant after", "ကုလားန်", 0, true, false, true},
		{"dot below and asat after", "ကုလား\u1014\u1037\u103A", 0, true, false, true},
		{"asat and dot below after", "ကုလား\u1014\u103A\u1037", 0, true, false, true},
		{"kinzi after", "ကုလားင်္ဂ", 0, true, false, true},
		{"stack after", "ကုလား\u1039\u1018", 0, true, false, true},
		{"stacked under the previous consonant", "မ\u1039ကုလား", len("မ\u1039"), false, true, true},
		{"dependent vowel after", "ကုလားာ", 0, true, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Contains(tc.s, term); got != tc.contains {
				t.Fatalf("test case does not contain the term")
			}
			end := tc.at + len(term)
			if got := IsBoundary(tc.s, tc.at); got != tc.onStart {
				t.Errorf("IsBoundary(%+q, %d) = %v, want %v (%s)", tc.s, tc.at, got, tc.onStart, segment(t, tc.s))
			}
			if got := IsBoundary(tc.s, end); got != tc.onEnd {
				t.Errorf("IsBoundary(%+q, %d) = %v, want %v (%s)", tc.s, end, got, tc.onEnd, segment(t, tc.s))
			}
			for i := tc.at + 1; i < end; i++ {
				if IsBoundary(tc.s, i) && i != tc.at+len("ကု") {
					t.Errorf("IsBoundary(%+q, %d) = true inside the term", tc.s, i)
				}
			}
		})
	}
}

// reference is sylbreak's rule exactly as its regular expression states it,
// (?<!္)[က-အ](?![်္])|[otherChar], for text of Myanmar letters and signs only.
func reference(s string) []int {
	rs := []rune(s)
	b := []int{0}
	off := 0
	for i, r := range rs {
		if i > 0 {
			cons := r >= 0x1000 && r <= 0x1021 && rs[i-1] != 0x1039 &&
				(i+1 == len(rs) || rs[i+1] != 0x103A && rs[i+1] != 0x1039)
			other := strings.ContainsRune("\u1023\u1024\u1025\u1026\u1027\u1029\u102a\u103f\u104c\u104d\u104f\u104a\u104b", r)
			if cons || other {
				b = append(b, off)
			}
		}
		off += utf8.RuneLen(r)
	}
	if len(s) > 0 {
		b = append(b, len(s))
	}
	return b
}

// TestMatchesSylbreak compares the scanner with sylbreak's rule on random
// Myanmar text that avoids the documented extensions (digits, ၎, Mon ဨ, ဥ,
// and dot below before asat).
func TestMatchesSylbreak(t *testing.T) {
	var alphabet []rune
	for r := rune(0x1000); r <= 0x104F; r++ {
		switch {
		case r >= 0x1040 && r <= 0x1049, r == 0x104E, r == 0x1028, r == 0x1025, r == 0x1037:
			continue
		}
		alphabet = append(alphabet, r)
	}
	// Weight the signs the rule looks at.
	for range 6 {
		alphabet = append(alphabet, 0x1039, 0x103A, 0x1004)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		rs := make([]rune, 1+rng.IntN(12))
		for i := range rs {
			rs[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(rs)
		if got, want := Boundaries(s), reference(s); !slices.Equal(got, want) {
			t.Fatalf("Boundaries(%+q) = %v, sylbreak gives %v", s, got, want)
		}
	}
}

func TestDecode(t *testing.T) {
	check := func(s string) {
		t.Helper()
		r, n := decode(s)
		wr, wn := utf8.DecodeRuneInString(s)
		if r != wr || n != wn {
			t.Fatalf("decode(%+q) = %U, %d, want %U, %d", s, r, n, wr, wn)
		}
		r, n = decodeLast(s)
		wr, wn = utf8.DecodeLastRuneInString(s)
		if r != wr || n != wn {
			t.Fatalf("decodeLast(%+q) = %U, %d, want %U, %d", s, r, n, wr, wn)
		}
	}
	for r := rune(0x0F00); r <= 0x1100; r++ {
		check(string(r))
		check(string(r) + "x")
	}
	for b1 := range 256 {
		for _, b2 := range []byte{0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xFF} {
			check(string([]byte{0xE1, byte(b1), b2}))
			check(string([]byte{0xE1, byte(b1)}))
			check(string([]byte{0xE1, byte(b1), b2, 0x80}))
			check(string([]byte{0xF0, 0xE1, byte(b1), b2}))
		}
	}
}

func TestScriptOf(t *testing.T) {
	for _, tc := range []struct {
		a, b rune
		same bool
	}{
		{'a', 'é', true},
		{'a', 'б', false},
		{'б', 'Ж', true},
		{'中', 'あ', false},
		{'ก', 'ย', true},
		{'α', 'a', false},
	} {
		if got := scriptOf(tc.a) == scriptOf(tc.b); got != tc.same {
			t.Errorf("scriptOf(%q) == scriptOf(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
	if scriptOf('a') != scLatin || scriptOf('က') != scMyanmar {
		t.Errorf("Latin and Myanmar must map to their fixed ids")
	}
}

func TestNoAllocations(t *testing.T) {
	s := benchText
	if n := testing.AllocsPerRun(10, func() {
		for i := 0; i < len(s); i = Next(s, i) {
		}
	}); n != 0 {
		t.Errorf("Next allocates %v times per pass", n)
	}
	if n := testing.AllocsPerRun(10, func() {
		for i := range len(s) {
			IsBoundary(s, i)
		}
	}); n != 0 {
		t.Errorf("IsBoundary allocates %v times per pass", n)
	}
	buf := make([]int, 0, len(s)+1)
	if n := testing.AllocsPerRun(10, func() {
		buf = AppendBoundaries(buf[:0], s)
	}); n != 0 {
		t.Errorf("AppendBoundaries with room allocates %v times", n)
	}
}

func FuzzBoundaries(f *testing.F) {
	for _, tc := range segmentCases {
		f.Add(tc.in)
	}
	f.Add(strings.Repeat("\u0301", maxMarks+3) + "aန်" + strings.Repeat("\u103B", maxMarks+1) + "န်")
	f.Fuzz(func(t *testing.T, s string) {
		checkConsistent(t, s)
	})
}

func ExampleBoundaries() {
	s := "ကုလားထိုင်"
	b := Boundaries(s)
	for i := 1; i < len(b); i++ {
		fmt.Println(b[i-1], s[b[i-1]:b[i]])
	}
	// Output:
	// 0 ကု
	// 6 လား
	// 15 ထိုင်
}

func ExampleNext() {
	s := "မင်္ဂလာပါ။ Hello"
	for i := 0; i < len(s); {
		j := Next(s, i)
		fmt.Printf("%q\n", s[i:j])
		i = j
	}
	// Output:
	// "မင်္ဂ"
	// "လာ"
	// "ပါ"
	// "။"
	// " "
	// "Hello"
}

// benchText is mixed Burmese text with English, digits and punctuation.
var benchText = strings.Repeat("မင်္ဂလာပါ။ ကျွန်ုပ်တို့သည် ၂၀၂၄ ခုနှစ်တွင် Facebook ပေါ်မှာ "+
	"ဗုဒ္ဓဘာသာ အင်္ဂလိပ်စာ ကုလားထိုင် ပြဿနာများကို ဆွေးနွေးခဲ့ကြသည်၊ သူ၏ အမြင်ကို 969 ကြည့်ပါ။\n", 64)

func BenchmarkNext(b *testing.B) {
	s := benchText
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(s); i = Next(s, i) {
		}
	}
}

func BenchmarkAppendBoundaries(b *testing.B) {
	s := benchText
	buf := make([]int, 0, len(s)+1)
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBoundaries(buf[:0], s)
	}
}

func BenchmarkIsBoundary(b *testing.B) {
	s := benchText
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		for i := range len(s) {
			IsBoundary(s, i)
		}
	}
}
