package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalizer turns a post's text into the form terms are matched in. It is
// the seam for Vigil's text handling: FoldingNormalizer (NFKC, case,
// accents, confusable and leetspeak folding, repeated and spaced-out
// letters) and MyanmarNormalizer (that, then Zawgyi conversion and Burmese
// mark order) sit behind it, and the matcher does not change with them. A
// Normalizer must be safe for concurrent use.
type Normalizer interface {
	Normalize(text string) Normalized
}

// Normalized is a normalised text with the map back to the original.
type Normalized struct {
	Text string
	// Offsets has len(Text)+1 entries: Offsets[i] is the byte offset in the
	// original text of the character that produced byte i of Text, and
	// Offsets[len(Text)] is the length of the original. The classifier uses
	// it to report matches in the original text, which is what the author
	// wrote and what a console highlights. A result whose Offsets has the
	// wrong length is ignored and the original text matched as written.
	Offsets []int
	// Transforms names the steps that changed something ("casefold",
	// "invisible", ...), in the order they were applied; empty when the
	// text is unchanged.
	Transforms []string
}

// Transform names reported by SimpleNormalizer.
const (
	TransformCasefold  = "casefold"
	TransformInvisible = "invisible"
)

// SimpleNormalizer is the plainest Normalizer (the default is
// MyanmarNormalizer, which folds far more): it removes invisible and
// bidirectional-control characters (zero-width spaces and joiners, bidi
// embeddings and overrides, word joiners, the byte order mark and the soft
// hyphen, which can hide a word from a naive filter) and applies Unicode
// simple case folding, one rune at a time.
type SimpleNormalizer struct{}

// Normalize implements Normalizer.
func (SimpleNormalizer) Normalize(text string) Normalized {
	var (
		b                 strings.Builder
		offsets           = make([]int, 0, len(text)+1)
		folded, invisible bool
	)
	b.Grow(len(text))
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// Not UTF-8 (a post has been validated, other callers may not
			// have): keep the byte as it is.
			b.WriteByte(text[i])
			offsets = append(offsets, i)
		case isInvisible(r):
			invisible = true
		default:
			f := foldRune(r)
			if f != r {
				folded = true
			}
			n, _ := b.WriteRune(f)
			for range n {
				offsets = append(offsets, i)
			}
		}
		i += size
	}
	offsets = append(offsets, len(text))
	var transforms []string
	if folded {
		transforms = append(transforms, TransformCasefold)
	}
	if invisible {
		transforms = append(transforms, TransformInvisible)
	}
	return Normalized{Text: b.String(), Offsets: offsets, Transforms: transforms}
}

// foldRune approximates Unicode simple case folding (CaseFolding.txt, C and
// S): lowering the upper case of a rune also folds final sigma to sigma and
// the long s to s, as folding does, where unicode.ToLower alone would not.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// isInvisible reports the zero-width, bidi-control and soft-hyphen
// characters that SimpleNormalizer removes.
func isInvisible(r rune) bool {
	switch {
	case r == 0x00AD, r == 0xFEFF:
		return true
	case 0x200B <= r && r <= 0x200F, 0x202A <= r && r <= 0x202E, 0x2060 <= r && r <= 0x2064:
		return true
	}
	return false
}

// identity is the Normalized of a text matched as written.
func identity(text string) Normalized {
	offsets := make([]int, len(text)+1)
	for i := range offsets {
		offsets[i] = i
	}
	return Normalized{Text: text, Offsets: offsets}
}
