package classify

import (
	"strings"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

// scanQuick is plainASCII, convert.IsCanonical and scan in one pass, for
// the quick path: when the text needs only its ASCII case folded as far as
// the folding stage goes (plainASCII) and its Burmese, if any, is surely in
// canonical order, ok is true and the text's tokens, exactly those of
// scan(s), are appended to toks; hasMyanmar says whether the text has
// Myanmar script. zg, when not nil, is fed every character, so that when
// ok its Probability is the Zawgyi detector's for s. When ok is false the
// tokens are incomplete and must be thrown away. A fuzz test holds it to
// plainASCII, IsCanonical, scan and zawgyi.Model.Probability.
func scanQuick(s string, toks []tok, zg *zawgyi.Scorer) (out []tok, ok, hasMyanmar bool) {
	var (
		spaced    = newSpacedRun()
		canon     convert.Checker
		canonical bool
	)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			if c == 0xE1 && i+2 < len(s) && s[i+1]&0xFE == 0x80 && s[i+2]&0xC0 == 0x80 {
				hasMyanmar = true
				if s[i+1] == 0x81 && (s[i+2] == 0x8A || s[i+2] == 0x8B) {
					if zg != nil {
						zg.Rune(0x1000 | rune(s[i+1]&0x03)<<6 | rune(s[i+2]&0x3F))
					}
					i += 3 // ၊ and ။ separate
					continue
				}
				if i, toks, canonical = scanMyanmarChecked(s, i, toks, &canon, zg); !canonical {
					return toks, false, true
				}
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case isMyanmar(r):
				hasMyanmar = true
				if classOf(r) == classMyanmar {
					if i, toks, canonical = scanMyanmarChecked(s, i, toks, &canon, zg); !canonical {
						return toks, false, true
					}
					continue
				}
			case r == '’':
			case stableSign(r):
				if classOf(r) == classSymbol {
					h := uint64(fnvOffset)
					for k := i; k < i+size; k++ {
						h = (h ^ uint64(s[k])) * fnvPrime
					}
					toks = append(toks, tok{start: int32(i), end: int32(i + size), hash: h})
				}
				if r >= 0x1F300 && strings.HasPrefix(s[i+size:], "\uFE0F") {
					if zg != nil {
						zg.Rune(r)
						r = 0xFE0F // fed below
					}
					size += 3
				}
			default:
				return toks, false, hasMyanmar
			}
			if zg != nil {
				zg.Rune(r)
			}
			i += size
			continue
		}
		if zg != nil {
			zg.ASCII() // the first of a run of ASCII counts, the others do not
		}
		if plainClass[c] == pcSpace {
			i++
			continue
		}
		// A word of plainASCII (letters, digits, leet signs); the tokens
		// are its runs of letters and digits.
		start, tstart := i, -1
		h := uint64(fnvOffset)
		var flags uint8
		var p1, p2 byte
		for ; i < len(s); i++ {
			c := s[i]
			if c >= utf8.RuneSelf {
				break
			}
			k := plainClass[c]
			if k == pcSpace {
				break
			}
			lc := c
			if k == pcUpper {
				lc = c + 'a' - 'A'
			}
			if k&(pcLower|pcUpper|pcDigit) != 0 {
				if k != pcDigit && lc == p1 && lc == p2 {
					return toks, false, hasMyanmar
				}
				if tstart < 0 {
					tstart, h = i, fnvOffset
				}
				h = (h ^ uint64(lc)) * fnvPrime
			} else {
				if k == pcSignTrailing && i+1 < len(s) && isASCIIWord(s[i+1]) {
					k = pcSign
				}
				if tstart >= 0 {
					toks = append(toks, tok{start: int32(tstart), end: int32(i), hash: h})
					tstart = -1
				}
			}
			flags |= k
			p2, p1 = p1, lc
		}
		if tstart >= 0 {
			toks = append(toks, tok{start: int32(tstart), end: int32(i), hash: h})
		}
		if !spaced.plainWord(s, start, i, flags) {
			return toks, false, hasMyanmar
		}
	}
	return toks, true, hasMyanmar
}
