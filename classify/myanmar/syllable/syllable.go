// Package syllable finds syllable boundaries in Burmese text written in
// Unicode, so that the lexicon matcher can accept a match only where it starts
// and ends on a boundary. Burmese is written without spaces between words, so a
// term such as ကုလား must not match when its last letters are really the start
// of the next syllable.
//
// It sits after normalisation (Zawgyi detection and conversion, invisible
// characters stripped, marks in storage order) and before matching. It expects
// Unicode, not Zawgyi: on Zawgyi text the boundaries are meaningless.
//
// # The rule
//
// The scanner implements Ye Kyaw Thu's sylbreak rule
// (https://github.com/ye-kyaw-thu/sylbreak), which in its regular-expression
// form inserts a break before
//
//	(?<!္)[က-အ](?![်္])  |  [a-zA-Z0-9ဣဤဥဦဧဩဪဿ၌၍၏၀-၉၊။ punctuation space]
//
// that is, a break comes before
//
//   - a consonant U+1000..U+1021, unless it is preceded by the virama U+1039
//     (it is stacked under the previous consonant) or followed by the asat
//     U+103A (it is killed and closes the previous syllable) or by the virama
//     (it is the upper half of a stack and closes the previous syllable);
//   - an independent vowel U+1023..U+102A, the great sa U+103F, the symbols
//     U+104C..U+104F, the punctuation ၊ ။ U+104A..U+104B and a digit
//     U+1040..U+1049;
//   - any character that is not Myanmar.
//
// Dependent vowels, medials, tone marks, asat and virama never start a
// syllable. Consequences worth knowing:
//
//   - Stacked consonants stay in one syllable with the one before them, because
//     the upper consonant is followed by the virama and the lower one is
//     preceded by it: ကမ္ဘာ is a single unit, not က|မ္ဘာ; ဗုဒ္ဓ is one unit.
//   - Kinzi (င U+1004, asat, virama, consonant) needs no special case: င is
//     followed by the asat and the next consonant is preceded by the virama,
//     so အင်္ဂလိပ် is အင်္ဂ|လိပ် and မင်္ဂလာ is မင်္ဂ|လာ.
//   - A killed consonant belongs to the syllable before it: ကျွန်ုပ် is one
//     unit, and in ကုလားန် there is no boundary after ကုလား.
//
// # Where this scanner goes further than sylbreak
//
// Each of these is deliberate and covered by a test:
//
//   - Asat after dot below: a consonant followed by U+1037 U+103A (the order
//     many keyboards produce; Unicode's storage order is U+103A U+1037) is
//     killed too, so သင့် is one syllable whichever order its marks are in.
//   - ဥ U+1025 followed by asat or virama is treated as the consonant ဉ U+1009
//     it stands for (a common misspelling of ဉ်), so ညဥ့် stays one unit.
//   - ၎ U+104E starts a syllable like the other symbols U+104C..U+104F
//     (sylbreak's list leaves it out, which glues ၎င်း to the word before),
//     and so does the Mon independent vowel ဨ U+1028, like the others in
//     U+1023..U+102A.
//   - A run of Myanmar digits is one unit (၉၆၉), as is a run of letters and
//     digits of one other script (English words, 969): sylbreak breaks before
//     every Latin letter and every digit.
//   - There is a boundary at every change of script, even before a killed
//     consonant: in "abcန်" and "ကုလား န်" the န် is a syllable of its own.
//   - Spaces, punctuation, symbols, control and format characters (such as the
//     zero-width space U+200B) and invalid UTF-8 bytes are units of one
//     character each. Combining marks, ZWNJ U+200C, ZWJ U+200D and variation
//     selectors never start a unit: they stay with the character before them.
//   - Other Myanmar-script letters (Mon, Shan, Karen and the extended blocks)
//     do not start a syllable except at a change of script, as in sylbreak.
//
// Offsets are byte offsets into the string and always fall where Go's range
// loop starts a rune; each byte of invalid UTF-8 counts as a rune.
package syllable

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The three Myanmar signs the rule looks at, as UTF-8, so that the lookahead
// after a consonant is a byte comparison.
const (
	virama   = '\u1039' // MYANMAR SIGN VIRAMA: the next consonant is stacked
	asat     = "\u103A" // MYANMAR SIGN ASAT: the consonant before it is killed
	dotBelow = "\u1037" // MYANMAR SIGN DOT BELOW
	letterU  = '\u1025' // MYANMAR LETTER U, typed for ဉ U+1009 before asat
)

// kind says what a rune may do at the start of a unit.
type kind uint8

const (
	kOther  kind = iota // a unit of its own: space, punctuation, symbol, control, invalid byte
	kMark               // never starts a unit: combining marks, joiners, Myanmar dependent signs
	kWord               // a non-Myanmar letter or digit: a run of one script is one unit
	kCons               // a Myanmar consonant U+1000..U+1021
	kIndep              // always starts a unit: independent vowels, great sa, ၌ ၍ ၎ ၏, ၊ ။
	kDigit              // a Myanmar digit: a run of them is one unit
	kLetter             // another Myanmar letter: starts a unit only at a change of script
)

// script identifies the script of the base character a unit is built on.
type script uint16

const (
	scUnknown script = iota // no base: start of text, or too many marks to look past
	scOther                 // the base is a kOther character
	scMyanmar
	scLatin
	scFirst // scripts found through scriptRanges start here
)

// maxMarks bounds how far back over combining marks the scanner looks for the
// base character, so that IsBoundary stays cheap on "zalgo" text. Past it the
// base counts as unknown, which never forces a break.
const maxMarks = 32

// myanmarKinds classifies the Myanmar block U+1000..U+109F.
var myanmarKinds = func() (t [0xA0]kind) {
	for i := range t {
		r := rune(0x1000 + i)
		switch {
		case r <= 0x1021:
			t[i] = kCons
		case r >= 0x1023 && r <= 0x102A, r == 0x103F, r >= 0x104A && r <= 0x104F:
			t[i] = kIndep
		case r >= 0x1040 && r <= 0x1049, r >= 0x1090 && r <= 0x1099:
			t[i] = kDigit
		case unicode.IsMark(r):
			t[i] = kMark
		default:
			t[i] = kLetter
		}
	}
	return t
}()

// classify returns the kind of r and, unless r is a mark, its script.
func classify(r rune) (kind, script) {
	if r < utf8.RuneSelf {
		if c := r | 0x20; 'a' <= c && c <= 'z' || '0' <= r && r <= '9' {
			return kWord, scLatin
		}
		return kOther, scOther
	}
	if r >= 0x1000 && r < 0x10A0 {
		k := myanmarKinds[r-0x1000]
		if k == kMark {
			return kMark, scUnknown
		}
		return k, scMyanmar
	}
	return classifyRare(r)
}

func classifyRare(r rune) (kind, script) {
	switch {
	case r == 0x200C || r == 0x200D, r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return kMark, scUnknown // ZWNJ, ZWJ and variation selectors shape what precedes them
	case unicode.IsMark(r):
		return kMark, scUnknown
	case unicode.Is(unicode.Myanmar, r):
		if unicode.IsDigit(r) {
			return kDigit, scMyanmar
		}
		return kLetter, scMyanmar
	case unicode.IsLetter(r) || unicode.IsNumber(r):
		return kWord, scriptOf(r)
	}
	return kOther, scOther
}

// state is what the scanner knows about the text before a position: the rune
// just before it, the script of the nearest preceding non-mark (the base), and
// how many marks lie between that base and the position.
type state struct {
	prev  rune
	base  script
	marks int
}

// push records that r (of kind k and script sc) is the next rune.
func (st *state) push(r rune, k kind, sc script) {
	st.prev = r
	if k != kMark {
		st.base, st.marks = sc, 0
		return
	}
	if st.marks++; st.marks > maxMarks {
		st.base = scUnknown
	}
}

// stateAt rebuilds by looking backwards the state that a forward scan from the
// start of s would have at i, which must be a rune start.
func stateAt(s string, i int) state {
	st := state{prev: -1}
	for j := i; j > 0; {
		r, n := decodeLast(s[:j])
		if j == i {
			st.prev = r
		}
		k, sc := classify(r)
		if k != kMark {
			st.base = sc
			return st
		}
		if st.marks++; st.marks > maxMarks {
			return st // base stays unknown, as push would leave it
		}
		j -= n
	}
	return st
}

// breakBefore reports whether a unit starts at rune r (kind k, script sc),
// given the state of the text before it and the text after it.
func breakBefore(st state, r rune, k kind, sc script, after string) bool {
	switch k {
	case kMark:
		return false
	case kOther:
		return true
	case kWord:
		return st.base != sc && st.base != scUnknown
	case kDigit:
		return !isMyanmarDigit(st.prev)
	case kLetter:
		return st.base != scMyanmar && st.base != scUnknown
	case kIndep:
		if r != letterU || !killed(after) {
			return true
		}
		// ဥ before asat or virama stands for the consonant ဉ: fall through.
	}
	// A consonant. A change of script always breaks.
	if st.base != scMyanmar && st.base != scUnknown {
		return true
	}
	// sylbreak: (?<!္) — a consonant stacked under the previous one.
	if st.prev == virama {
		return false
	}
	// sylbreak: (?![်္]) — a killed consonant, or the top of a stack
	// (including kinzi's င + asat + virama), ends the previous syllable.
	return !killed(after)
}

// killed reports whether the text after a consonant kills it or stacks on it:
// asat, virama, or dot below then asat.
func killed(after string) bool {
	if len(after) < 3 || after[0] != 0xE1 || after[1] != 0x80 {
		return false // every sign we look for is E1 80 xx
	}
	switch after[2] {
	case 0xBA, 0xB9: // U+103A asat, U+1039 virama
		return true
	case 0xB7: // U+1037 dot below, then asat
		return strings.HasPrefix(after[3:], asat)
	}
	return false
}

func isMyanmarDigit(r rune) bool {
	return r >= 0x1040 && r <= 0x1049 || r >= 0x1090 && r <= 0x1099 ||
		r > 0x10A0 && unicode.Is(unicode.Myanmar, r) && unicode.IsDigit(r)
}

// decode is utf8.DecodeRuneInString with fast paths for ASCII and for
// U+1000..U+10BF (E1 80..82 xx), which holds the whole Myanmar block.
func decode(s string) (rune, int) {
	if s[0] < utf8.RuneSelf {
		return rune(s[0]), 1
	}
	if len(s) >= 3 && s[0] == 0xE1 && s[1] >= 0x80 && s[1] <= 0x82 && s[2]&0xC0 == 0x80 {
		return 0x1000 | rune(s[1]&0x03)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s)
}

// decodeLast is utf8.DecodeLastRuneInString with the fast paths of decode.
func decodeLast(s string) (rune, int) {
	n := len(s)
	if s[n-1] < utf8.RuneSelf {
		return rune(s[n-1]), 1
	}
	if n >= 3 && s[n-3] == 0xE1 && s[n-2] >= 0x80 && s[n-2] <= 0x82 && s[n-1]&0xC0 == 0x80 {
		return 0x1000 | rune(s[n-2]&0x03)<<6 | rune(s[n-1]&0x3F), 3
	}
	return utf8.DecodeLastRuneInString(s)
}

// advance scans from j, the position after a unit's first rune, and returns
// the start of the next unit (or len(s)) and the state before it.
func advance(s string, j int, st state) (int, state) {
	for j < len(s) {
		r, n := decode(s[j:])
		k, sc := classify(r)
		if breakBefore(st, r, k, sc, s[j+n:]) {
			return j, st
		}
		st.push(r, k, sc)
		j += n
	}
	return len(s), st
}

// onRuneStart reports whether Go's range loop over s starts a rune at i, for
// 0 <= i <= len(s). UTF-8 resynchronises within three bytes, so only the
// nearest preceding non-continuation byte matters.
func onRuneStart(s string, i int) bool {
	if i < len(s) && utf8.RuneStart(s[i]) {
		return true // a valid multi-byte rune covers only continuation bytes
	}
	for j := i - 1; j >= 0 && j >= i-(utf8.UTFMax-1); j-- {
		if utf8.RuneStart(s[j]) {
			_, n := utf8.DecodeRuneInString(s[j:])
			return j+n <= i
		}
	}
	return true
}

// Next returns the first syllable boundary after i: when i is a boundary, the
// end of the syllable that starts at i. It returns len(s) when i >= len(s) and
// 0 when i < 0. Next does not allocate; scanning a whole text with it is
//
//	for i := 0; i < len(s); i = syllable.Next(s, i) { ... }
func Next(s string, i int) int {
	if i < 0 {
		return 0
	}
	if i >= len(s) {
		return len(s)
	}
	if !onRuneStart(s, i) {
		// Inside a rune: the boundary after i is the first one at or after
		// the next rune start.
		j := i + 1
		for j < len(s) && !onRuneStart(s, j) {
			j++
		}
		if j == len(s) || IsBoundary(s, j) {
			return j
		}
		i = j
	}
	st := stateAt(s, i)
	r, n := decode(s[i:])
	k, sc := classify(r)
	st.push(r, k, sc)
	j, _ := advance(s, i+n, st)
	return j
}

// IsBoundary reports whether a syllable starts or ends at byte offset i of s.
// It is true at 0 and len(s), false outside them and inside a rune. It does
// not allocate, and looks at only a few runes either side of i.
func IsBoundary(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return i == 0 || i == len(s)
	}
	if !onRuneStart(s, i) {
		return false
	}
	r, n := decode(s[i:])
	k, sc := classify(r)
	return breakBefore(stateAt(s, i), r, k, sc, s[i+n:])
}

// Boundaries returns the byte offsets of every syllable boundary in s, in
// increasing order, starting with 0 and ending with len(s) (a single 0 for
// the empty string).
func Boundaries(s string) []int {
	return AppendBoundaries(nil, s)
}

// AppendBoundaries appends the boundaries of s, as Boundaries returns them, to
// dst and returns the extended slice, so that a caller can reuse one buffer.
func AppendBoundaries(dst []int, s string) []int {
	dst = append(dst, 0)
	var st state
	st.prev = -1
	for j := 0; j < len(s); {
		r, n := decode(s[j:])
		k, sc := classify(r)
		st.push(r, k, sc)
		j, st = advance(s, j+n, st)
		dst = append(dst, j)
	}
	return dst
}

// scriptRange maps a run of code points to a script, for scriptOf.
type scriptRange struct {
	lo, hi rune
	sc     script
}

// scriptRanges covers every script in the unicode package, sorted and
// non-overlapping, built once so that scriptOf is a binary search.
var scriptRanges = func() []scriptRange {
	names := make([]string, 0, len(unicode.Scripts))
	for name := range unicode.Scripts {
		names = append(names, name)
	}
	slices.Sort(names)
	var rs []scriptRange
	add := func(lo, hi, stride rune, sc script) {
		if stride == 1 {
			rs = append(rs, scriptRange{lo, hi, sc})
			return
		}
		for r := lo; r <= hi; r += stride {
			rs = append(rs, scriptRange{r, r, sc})
		}
	}
	for i, name := range names {
		sc := scFirst + script(i)
		switch name {
		case "Latin":
			sc = scLatin
		case "Myanmar":
			sc = scMyanmar
		}
		t := unicode.Scripts[name]
		for _, r := range t.R16 {
			add(rune(r.Lo), rune(r.Hi), rune(r.Stride), sc)
		}
		for _, r := range t.R32 {
			add(rune(r.Lo), rune(r.Hi), rune(r.Stride), sc)
		}
	}
	slices.SortFunc(rs, func(a, b scriptRange) int { return int(a.lo - b.lo) })
	return rs
}()

// scriptOf returns the script of r; ASCII digits count as Latin, and code
// points outside every script table share one script.
func scriptOf(r rune) script {
	i, found := slices.BinarySearchFunc(scriptRanges, r, func(e scriptRange, r rune) int {
		switch {
		case e.hi < r:
			return -1
		case e.lo > r:
			return 1
		}
		return 0
	})
	if !found {
		return scFirst + script(len(unicode.Scripts))
	}
	return scriptRanges[i].sc
}
