package classify

import (
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

// tok is a token of the text being matched: a word of a spaced script (a
// run of letters, marks and digits), one pictographic symbol, or one
// syllable of Myanmar script. Terms are sequences of tokens and match whole
// tokens only, which is what keeps "kill" out of "skill" and ကုလား out of
// ကုလားန်. Rules count their window in tokens: words, or syllables.
type tok struct {
	start, end int32
	// hash is FNV-1a of the token's bytes, ASCII letters lowered, so that
	// the matcher can look a token up without reading it again.
	hash uint64
}

// FNV-1a, 64 bits.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// asciiClass gives the tokens' classes of ASCII bytes; asciiLower lowers
// ASCII letters.
var asciiClass, asciiLower = func() (cls [utf8.RuneSelf]runeClass, lower [256]byte) {
	for c := range utf8.RuneSelf {
		cls[c] = classOf(rune(c))
	}
	for c := range 256 {
		lower[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			lower[c] = byte(c + 'a' - 'A')
		}
	}
	return
}()

// eqFold reports whether s, with its ASCII letters lowered, is t (a
// normalised token, already in lower case).
func eqFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if asciiLower[s[i]] != t[i] {
			return false
		}
	}
	return true
}

// hasUpper reports whether s has an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// hashString is the hash scan gives a token with the bytes of s. The units
// hashed are bytes (ASCII letters lowered), except that a rune of the
// Myanmar block is one unit: a third of the work for Burmese.
func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); {
		if r, ok := myanmarBlock(s[i:]); ok {
			h = (h ^ uint64(r)) * fnvPrime
			i += 3
			continue
		}
		h = (h ^ uint64(asciiLower[s[i]])) * fnvPrime
		i++
	}
	return h
}

// myanmarBlock decodes a rune of the Myanmar block U+1000..U+109F (UTF-8
// E1 80..82 xx) at the start of s.
func myanmarBlock(s string) (rune, bool) {
	if len(s) >= 3 && s[0] == 0xE1 && s[1] >= 0x80 && s[1] <= 0x82 && s[2]&0xC0 == 0x80 {
		r := 0x1000 | rune(s[1]&0x03)<<6 | rune(s[2]&0x3F)
		return r, r < 0x10A0
	}
	return 0, false
}

// scan appends the tokens of s to toks, in text order. Spaces, punctuation,
// the Myanmar section marks ၊ and ။, variation selectors and bytes that are
// not UTF-8 separate tokens and belong to none. It does not allocate
// beyond toks.
func scan(s string, toks []tok) []tok {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiClass[c] == classWord {
				i, toks = scanWord(s, i, toks)
			} else {
				i++
			}
			continue
		}
		r, size := decodeRune(s[i:])
		class := classOf(r)
		if r == utf8.RuneError && size == 1 {
			class = classSpace
		}
		switch class {
		case classWord:
			i, toks = scanWord(s, i, toks)
		case classMyanmar:
			i, toks = scanMyanmar(s, i, toks)
		case classSymbol:
			h := uint64(fnvOffset)
			for k := i; k < i+size; k++ {
				h = (h ^ uint64(s[k])) * fnvPrime
			}
			toks = append(toks, tok{start: int32(i), end: int32(i + size), hash: h})
			i += size
		default:
			i += size
		}
	}
	return toks
}

// scanWord appends the word that starts at i.
func scanWord(s string, i int, toks []tok) (int, []tok) {
	start, h := i, uint64(fnvOffset)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] != classWord {
				break
			}
			h = (h ^ uint64(asciiLower[c])) * fnvPrime
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if r == utf8.RuneError && size == 1 || classOf(r) != classWord {
			break
		}
		for k := i; k < i+size; k++ {
			h = (h ^ uint64(s[k])) * fnvPrime
		}
		i += size
	}
	return i, append(toks, tok{start: int32(start), end: int32(i), hash: h})
}

// scanMyanmar appends the syllables of the run of Myanmar script that starts
// at i. The run's start is a boundary (a change of script, or a separator);
// inside it, syllables break by the sylbreak rule exactly as package
// syllable breaks them (a test holds the two together): before a consonant
// that neither follows a virama nor is killed by an asat or stacked by a
// virama, before an independent vowel or symbol, and before the first of a
// run of digits.
func scanMyanmar(s string, i int, toks []tok) (int, []tok) {
	i, toks, _ = scanMyanmarChecked(s, i, toks, nil, nil)
	return i, toks
}

// scanMyanmarChecked is scanMyanmar, feeding every rune to canon and zg as
// well (when not nil): canonical is false when the run may not be in
// canonical order (see convert.Checker), or has a rune outside the Myanmar
// block.
func scanMyanmarChecked(s string, i int, toks []tok, canon *convert.Checker, zg *zawgyi.Scorer) (_ int, _ []tok, canonical bool) {
	canonical = true
	if canon != nil {
		if i == 0 {
			*canon = convert.Checker{}
		} else {
			canon.Base() // a run starts after a base: ASCII or a sign
		}
	}
	start, h := i, uint64(fnvOffset)
	prev := rune(-1)
	for i < len(s) {
		var (
			r    rune
			size int
		)
		if i+2 < len(s) && s[i] == 0xE1 && s[i+1]&0xFC == 0x80 && s[i+2]&0xC0 == 0x80 {
			r, size = 0x1000|rune(s[i+1]&0x03)<<6|rune(s[i+2]&0x3F), 3 // U+1000..U+10FF
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !isMyanmar(r) || r == 0x104A || r == 0x104B {
			break
		}
		if i > start && breakBefore(prev, r, s[i+size:]) {
			toks = append(toks, tok{start: int32(start), end: int32(i), hash: h})
			start, h = i, fnvOffset
		}
		if canon != nil && canonical {
			canonical = r < 0x10A0 && canon.Myanmar(r, s[i+size:])
		}
		if zg != nil {
			zg.Rune(r)
		}
		if size == 3 && r < 0x10A0 { // one unit, as hashString takes it
			h = (h ^ uint64(r)) * fnvPrime
		} else {
			for k := i; k < i+size; k++ {
				h = (h ^ uint64(s[k])) * fnvPrime
			}
		}
		prev = r
		i += size
	}
	return i, append(toks, tok{start: int32(start), end: int32(i), hash: h}), canonical
}

// Kinds of Myanmar runes, for breakBefore.
const (
	mmMark   uint8 = iota // dependent vowels, medials, tones, asat, virama: never start a syllable
	mmLetter              // other letters (Mon, Shan, ...): start one only at a change of script
	mmCons                // consonants U+1000..U+1021
	mmIndep               // independent vowels, great sa, ၌ ၍ ၎ ၏: always start one
	mmDigit               // digits: a run of them is one syllable
)

var mmKinds = func() (t [0xA0]uint8) {
	for i := range t {
		r := rune(0x1000 + i)
		switch {
		case r <= 0x1021:
			t[i] = mmCons
		case r >= 0x1023 && r <= 0x102A, r == 0x103F, r >= 0x104A && r <= 0x104F:
			t[i] = mmIndep
		case r >= 0x1040 && r <= 0x1049, r >= 0x1090 && r <= 0x1099:
			t[i] = mmDigit
		case unicode.IsMark(r):
			t[i] = mmMark
		default:
			t[i] = mmLetter
		}
	}
	return t
}()

func mmKind(r rune) uint8 {
	if r >= 0x1000 && r < 0x10A0 {
		return mmKinds[r-0x1000]
	}
	switch {
	case unicode.IsMark(r):
		return mmMark
	case unicode.IsDigit(r):
		return mmDigit
	}
	return mmLetter
}

// breakBefore reports whether a syllable starts at r, the rune after prev
// inside a run of Myanmar script, with after the text that follows r.
func breakBefore(prev, r rune, after string) bool {
	k := mmLetter
	if r >= 0x1000 && r < 0x10A0 {
		k = mmKinds[r-0x1000]
	} else {
		k = mmKind(r)
	}
	switch k {
	case mmMark, mmLetter:
		return false
	case mmDigit:
		return mmKind(prev) != mmDigit
	case mmIndep:
		if r != 0x1025 || !killed(after) {
			return true
		}
		// ဥ before asat or virama stands for the consonant ဉ.
	}
	return prev != 0x1039 && !killed(after)
}

// killed reports whether the text after a consonant kills or stacks it:
// asat, virama, or dot below then asat (U+103A, U+1039, U+1037 U+103A).
func killed(after string) bool {
	if len(after) < 3 || after[0] != 0xE1 || after[1] != 0x80 {
		return false
	}
	switch after[2] {
	case 0xBA, 0xB9:
		return true
	case 0xB7:
		return len(after) >= 6 && after[3] == 0xE1 && after[4] == 0x80 && after[5] == 0xBA
	}
	return false
}

// decodeRune is utf8.DecodeRuneInString with a fast path for the Myanmar
// block (E1 80..82 xx).
func decodeRune(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xE1 && s[1] >= 0x80 && s[1] <= 0x82 && s[2]&0xC0 == 0x80 {
		return 0x1000 | rune(s[1]&0x03)<<6 | rune(s[2]&0x3F), 3
	}
	return utf8.DecodeRuneInString(s)
}

// runeClass is what a rune contributes to tokens.
type runeClass uint8

const (
	classSpace runeClass = iota // separates tokens
	classWord
	classSymbol
	classMyanmar
)

func classOf(r rune) runeClass {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return classWord
		}
		return classSpace
	}
	switch {
	case isMyanmar(r):
		if r == 0x104A || r == 0x104B { // ၊ and ။ end a phrase or sentence
			return classSpace
		}
		return classMyanmar
	case 0xFE00 <= r && r <= 0xFE0F:
		// Variation selectors follow an emoji; they are marks, but must not
		// make a word of their own or glue to the emoji.
		return classSpace
	case unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r):
		return classWord
	case unicode.Is(unicode.So, r):
		return classSymbol
	}
	return classSpace
}

// isMyanmar reports runes of the Myanmar blocks: Myanmar, Extended-A and
// Extended-B.
func isMyanmar(r rune) bool {
	return 0x1000 <= r && r <= 0x109F || 0xAA60 <= r && r <= 0xAA7F || 0xA9E0 <= r && r <= 0xA9FF
}
