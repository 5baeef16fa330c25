package convert

import (
	"slices"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Canonicalize puts Unicode Burmese into one form for comparison and
// matching, so that spellings that render alike compare equal. It is safe on
// any text, Burmese or not, and Canonicalize(Canonicalize(s)) ==
// Canonicalize(s). It does three things, in this order:
//
//  1. NFC. Among other things this composes ဥ + ီ (U+1025 U+102E) to ဦ
//     (U+1026) and, by canonical combining class, stores dot below U+1037
//     (class 7) before asat U+103A (class 9) wherever they are adjacent.
//
//  2. Digits typed for letters. A digit zero ၀ (U+1040) becomes the letter
//     wa ဝ (U+101D), and a digit seven ၇ (U+1047) the letter ra ရ (U+101B),
//     when either
//     (a) the next character is a Myanmar dependent sign U+102B..U+103E
//     (vowel sign, anusvara, dot below, visarga, virama, asat or medial),
//     which a digit never carries; or
//     (b) neither neighbour is a Myanmar digit U+1040..U+1049 and at least
//     one neighbour is a Myanmar letter or sign U+1000..U+103F.
//     This is applied until no digit qualifies, so a replacement can make
//     its neighbour qualify (၀၀ါ becomes ဝဝါ). Thus အ၀တ် becomes အဝတ်
//     and ၀န်ကြီး becomes ဝန်ကြီး, while ၁၀, ၂၀၁၈, အမှတ်၂၀ and a lone ၇
//     between spaces stay digits. The cost: a digit written against a word
//     with no space, as in ၇ရက် ("the 7th"), is read as a letter (ရရက်).
//
//  3. Storage order. Within each run of dependent signs after a base
//     character, the signs are stably sorted into the order of the Unicode
//     Standard's table of Myanmar syllabic structure (chapter 16):
//     asat written directly after the base (as in the contraction ကျွန်ုပ်
//     and in kinzi င်္); virama with the consonant it stacks (္ + U+1000..
//     U+1021, kept together); medials ျ ြ ွ ှ (U+103B..U+103E) in that
//     order; vowel sign e ေ (U+1031); upper vowels ိ ီ ဲ (U+102D, U+102E,
//     U+1032); lower vowels ု ူ (U+102F, U+1030); aa vowels ါ ာ (U+102B,
//     U+102C); anusvara ံ (U+1036); dot below ့ (U+1037); any other asat ်
//     (U+103A); visarga း (U+1038).
//     The table lists asat before dot below, but NFC, which decides
//     canonical equivalence, stores ့ before ် (their combining classes are
//     7 and 9), so this order does too. Any other character ends the run,
//     except that a run holding another combining character (a virama
//     that stacks no consonant, a Shan tone mark, a Latin accent) is left
//     as it is. NFC is applied again afterwards.
func Canonicalize(s string) string {
	if canonicalAlready(s) {
		return s
	}
	return canonicalize(s)
}

// IsCanonical reports, without allocating, that Canonicalize would return s
// unchanged. false only means "not sure": anything unusual answers false.
func IsCanonical(s string) bool { return canonicalAlready(s) }

// canonicalize is Canonicalize without the fast path.
func canonicalize(s string) string {
	s = norm.NFC.String(s)
	if !hasBurmese(s) {
		return s
	}
	rs := []rune(s)
	fixDigits(rs)
	reorderMarks(rs)
	return norm.NFC.String(string(rs))
}

// canonicalAlready reports, without allocating, that Canonicalize would
// return s unchanged: it is NFC, holds no ၀ or ၇, and the signs after each
// base are already in storage order. It is the fast path for the common
// case, text typed in order in Unicode; false only means "not sure", and
// anything unusual (a virama that stacks nothing, another combining mark)
// answers false and takes the full path.
func canonicalAlready(s string) bool {
	var (
		ch    Checker
		other bool // a character outside ASCII and the Myanmar block
	)
	for i := 0; i < len(s); {
		if c := s[i]; c < 0x80 { // ASCII: bases, never reordered
			ch.Base()
			i++
			continue
		}
		var (
			r    rune
			size int
		)
		if i+2 < len(s) && s[i] == 0xE1 && s[i+1]&0xFC == 0x80 && s[i+2]&0xC0 == 0x80 {
			r, size = 0x1000|rune(s[i+1]&0x03)<<6|rune(s[i+2]&0x3F), 3 // U+1000..U+10FF
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		if r >= 0x1000 && r <= 0x109F {
			if !ch.Myanmar(r, s[i:]) {
				return false
			}
			continue
		}
		other = true
		if combiningClass(r) != 0 {
			return false
		}
		ch.Base()
	}
	return !other || norm.NFC.IsNormalString(s)
}

// Checker is the fast path of Canonicalize one rune at a time, for a
// caller that reads the text anyway (the classifier's tokenizer): fed every
// rune of a text in order, it reports false as soon as the text may not be
// canonical. Its zero value is the state at the start of a text.
type Checker struct {
	prevKey   int
	afterBase bool
	prev      rune
	stacked   bool // the last rune was a virama: this one is stacked under it
}

// Base records a character that is not Myanmar script and is not a
// combining character: a base, never reordered.
func (c *Checker) Base() { c.prevKey, c.afterBase, c.prev, c.stacked = 0, true, 0, false }

// Myanmar takes r, a rune of the Myanmar block U+1000..U+109F, and the
// text after it, and reports false when the text may not be canonical: it
// is not NFC within the block (ဥ + ီ, or ့ after ် or ္), holds ၀ or ၇, a
// virama that stacks no consonant, or signs out of storage order.
func (c *Checker) Myanmar(r rune, after string) bool {
	if c.stacked { // the consonant under a virama: part of its unit
		c.stacked, c.prev = false, r
		return true
	}
	// NFC within the Myanmar block: the one composition (ဥ + ီ = ဦ) and
	// the one reordering (့ goes before ် and ္, by combining class).
	if r == '\u102E' && c.prev == '\u1025' || r == '\u1037' && (c.prev == asat || c.prev == virama) {
		return false
	}
	c.prev = r
	key := int(signKeys[r-0x1000])
	switch {
	case r == digitZero || r == digitSeven:
		return false
	case r == virama:
		next, _ := decodeFast(after)
		if after == "" || !isStackConsonant(next) {
			return false
		}
		c.stacked = true
		key = keyStacked
	case key == keyAsat && c.afterBase:
		key = keyAsatAfterBase
	case key == 0 && r == '\u108D':
		return false
	case key == 0:
		c.prevKey, c.afterBase = 0, true
		return true
	}
	if key < c.prevKey {
		return false
	}
	c.prevKey, c.afterBase = key, false
	return true
}

// hasBurmese reports whether s has a character in U+1000..U+104F, the only
// ones steps 2 and 3 of Canonicalize look at.
func hasBurmese(s string) bool {
	for _, r := range s {
		if r >= 0x1000 && r <= 0x104F {
			return true
		}
	}
	return false
}

const (
	digitZero  = '\u1040'
	digitSeven = '\u1047'
	letterWa   = '\u101D'
	letterRa   = '\u101B'
	virama     = '\u1039'
	asat       = '\u103A'
)

func isDigit(r rune) bool          { return r >= 0x1040 && r <= 0x1049 }
func isSign(r rune) bool           { return r >= 0x102B && r <= 0x103E }
func isLetterOrSign(r rune) bool   { return r >= 0x1000 && r <= 0x103F }
func isStackConsonant(r rune) bool { return r >= 0x1000 && r <= 0x1021 }

// fixDigits applies step 2 of Canonicalize in place. A digit that becomes
// a letter can make a neighbouring digit read as a letter too (၀၀ါ has
// one ၀ with a sign after it, then one next to a letter), so a replacement
// sends the scan back one place; each digit is replaced at most once, so
// the scan stays linear, and it ends where no digit qualifies.
func fixDigits(rs []rune) {
	for i := 0; i < len(rs); {
		if isZeroOrSeven(rs[i]) && readsAsLetter(rs, i) {
			if rs[i] == digitZero {
				rs[i] = letterWa
			} else {
				rs[i] = letterRa
			}
			if i > 0 && isZeroOrSeven(rs[i-1]) {
				i--
				continue
			}
		}
		i++
	}
}

func isZeroOrSeven(r rune) bool { return r == digitZero || r == digitSeven }

// readsAsLetter reports whether the digit at rs[i] is meant as a letter, by
// rules (a) and (b) of Canonicalize.
func readsAsLetter(rs []rune, i int) bool {
	var prev, next rune
	if i > 0 {
		prev = rs[i-1]
	}
	if i+1 < len(rs) {
		next = rs[i+1]
	}
	return isSign(next) ||
		!isDigit(prev) && !isDigit(next) && (isLetterOrSign(prev) || isLetterOrSign(next))
}

// Sort keys of step 3 of Canonicalize; 0 means "not a sign that is sorted".
const (
	keyAsatAfterBase = iota + 1
	keyStacked
	keyMedialY
	keyMedialR
	keyMedialW
	keyMedialH
	keyVowelE
	keyUpperVowel
	keyLowerVowel
	keyAaVowel
	keyAnusvara
	keyDotBelow
	keyAsat
	keyVisarga
)

// signKeys is signKey over the Myanmar block, for the fast path.
var signKeys = func() (t [0xA0]int8) {
	for i := range t {
		t[i] = int8(signKey(rune(0x1000 + i)))
	}
	return t
}()

// decodeFast is utf8.DecodeRuneInString with a fast path for the Myanmar
// block (E1 80..82 xx). s must not be empty.
func decodeFast(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xE1 && s[1] >= 0x80 && s[1] <= 0x82 && s[2]&0xC0 == 0x80 {
		return 0x1000 | rune(s[1]&0x03)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s)
}

func signKey(r rune) int {
	switch r {
	case '\u103B':
		return keyMedialY
	case '\u103C':
		return keyMedialR
	case '\u103D':
		return keyMedialW
	case '\u103E':
		return keyMedialH
	case '\u1031':
		return keyVowelE
	case '\u102D', '\u102E', '\u1032':
		return keyUpperVowel
	case '\u102F', '\u1030':
		return keyLowerVowel
	case '\u102B', '\u102C':
		return keyAaVowel
	case '\u1036':
		return keyAnusvara
	case '\u1037':
		return keyDotBelow
	case asat:
		return keyAsat
	case '\u1038':
		return keyVisarga
	}
	return 0
}

// unit is a sign, or a virama with its consonant, being sorted.
type unit struct {
	key   int
	runes []rune
}

// reorderMarks applies step 3 of Canonicalize in place: rs keeps its length.
//
// A run is the base and every following sign or other combining character
// (canonical combining class not 0), so runs are separated by characters
// that NFC never reorders across. A run is sorted only if its base is not
// itself a combining character and every combining character in it is one
// of the signs sorted here; anything else in a run (a virama that stacks no
// consonant, a Shan tone mark, a Latin accent) leaves the whole run as NFC
// made it. Together with sort keys that agree with the combining classes
// of ့ ် ္, this keeps the result stable under NFC, which is what makes
// Canonicalize idempotent.
func reorderMarks(rs []rune) {
	var units []unit
	var buf []rune
	for i := 0; i < len(rs); {
		j := i + 1
		units = units[:0]
		sortable := combiningClass(rs[i]) == 0
	scan:
		for j < len(rs) {
			r := rs[j]
			switch k := signKey(r); {
			case r == virama && j+1 < len(rs) && isStackConsonant(rs[j+1]):
				units = append(units, unit{keyStacked, rs[j : j+2]})
				j += 2
				continue
			case k == keyAsat && j == i+1:
				units = append(units, unit{keyAsatAfterBase, rs[j : j+1]})
			case k != 0:
				units = append(units, unit{k, rs[j : j+1]})
			case combiningClass(r) != 0:
				sortable = false
			default:
				break scan
			}
			j++
		}
		if sortable && len(units) > 1 && !slices.IsSortedFunc(units, cmpUnit) {
			slices.SortStableFunc(units, cmpUnit)
			buf = buf[:0]
			for _, u := range units {
				buf = append(buf, u.runes...)
			}
			copy(rs[i+1:j], buf)
		}
		i = j
	}
}

func cmpUnit(a, b unit) int { return a.key - b.key }

// combiningClass returns r's canonical combining class.
func combiningClass(r rune) uint8 {
	if r < 0x300 { // nothing below the combining diacritics block has a class
		return 0
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	return norm.NFC.Properties(b[:n]).CCC()
}
