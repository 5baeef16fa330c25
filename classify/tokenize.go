package classify

import (
	"unicode"
	"unicode/utf8"
)

// tokenKind says how a token is matched.
type tokenKind uint8

const (
	// tokWord is a run of letters, marks and digits outside Myanmar
	// script: terms match whole words of it.
	tokWord tokenKind = iota
	// tokSymbol is one pictographic symbol (an emoji), a word of its own.
	tokSymbol
	// tokMyanmar is a run of Myanmar script, which has no spaces between
	// words: terms match inside it.
	tokMyanmar
)

// token is a span [start, end) of the normalised text.
type token struct {
	start, end int
	kind       tokenKind
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

// tokenize appends the tokens of s to toks: words (runs of letters, marks
// and digits), single symbols and runs of Myanmar script, in text order.
func tokenize(s string, toks []token) []token {
	cur := token{start: -1}
	flush := func(end int) {
		if cur.start >= 0 {
			cur.end = end
			toks = append(toks, cur)
			cur.start = -1
		}
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		class := classOf(r)
		if r == utf8.RuneError && size == 1 {
			class = classSpace // a byte that is not UTF-8
		}
		switch class {
		case classSpace:
			flush(i)
		case classSymbol:
			flush(i)
			toks = append(toks, token{start: i, end: i + size, kind: tokSymbol})
		default:
			kind := tokWord
			if class == classMyanmar {
				kind = tokMyanmar
			}
			if cur.start >= 0 && cur.kind != kind {
				flush(i)
			}
			if cur.start < 0 {
				cur = token{start: i, kind: kind}
			}
		}
		i += size
	}
	flush(len(s))
	return toks
}
