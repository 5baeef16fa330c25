package classify

import (
	"strings"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

// Transform names reported by MyanmarNormalizer, beside FoldingNormalizer's.
const (
	// TransformZawgyi: the text was typed in the Zawgyi encoding and was
	// converted to Unicode to be matched.
	TransformZawgyi = "zawgyi"
	// TransformMyanmarOrder: Burmese marks were put into Unicode's storage
	// order, or a digit standing for a letter (၀ for ဝ, ၇ for ရ) replaced.
	TransformMyanmarOrder = "myanmar-order"
)

// TermNormalizer is a Normalizer that normalises lexicon terms differently
// from posts. The classifier uses it for terms when the Normalizer has it.
type TermNormalizer interface {
	NormalizeTerm(term string) Normalized
}

// MyanmarNormalizer is the Normalizer for Burmese and English posts: the
// steps of FoldingNormalizer (invisible characters removed, NFKC, case,
// accents, look-alikes, leetspeak, repeated and spaced-out letters folded
// outside Myanmar script), then, for text in Myanmar script, the Zawgyi detector and, above its
// threshold, conversion to Unicode, and the canonical order of marks.
//
// Conversion and reordering move characters within a word, so the map back
// to the original is kept per phrase: a match inside a converted or
// reordered run of Myanmar script (the letters between two spaces or signs)
// is reported as that whole run of the original, with the transform named.
type MyanmarNormalizer struct {
	model *zawgyi.Model
	// Threshold is the Zawgyi probability above which a post is converted.
	Threshold float64
}

// NewMyanmarNormalizer returns a normaliser with the embedded Zawgyi model
// and the converting threshold of zawgyi.ConvertThreshold.
func NewMyanmarNormalizer() (*MyanmarNormalizer, error) {
	m, err := zawgyi.Default()
	if err != nil {
		return nil, err
	}
	return &MyanmarNormalizer{model: m, Threshold: zawgyi.ConvertThreshold}, nil
}

// Normalize implements Normalizer. The Zawgyi decision is made once for the
// whole post: the detector is far more reliable on a post than on a word.
func (m *MyanmarNormalizer) Normalize(text string) Normalized {
	return m.normalize(text, true)
}

// NormalizeTerm implements TermNormalizer: terms are written in Unicode, so
// they are never converted (the detector is unreliable on a single word),
// only put into canonical order like the posts they must match.
func (m *MyanmarNormalizer) NormalizeTerm(term string) Normalized {
	return m.normalize(term, false)
}

// startScorer implements quickNormalizer.
func (m *MyanmarNormalizer) startScorer(s *zawgyi.Scorer) *zawgyi.Scorer {
	*s = m.model.Scorer()
	return s
}

// quickMyanmar implements quickNormalizer: Burmese that is not Zawgyi (the
// quick path has checked its order). The detector sees ASCII of either
// case alike, so the original text scores as its folded copy would.
func (m *MyanmarNormalizer) quickMyanmar(zg *zawgyi.Scorer) bool {
	return zg.Probability() <= m.Threshold
}

// normalizeScratch is Normalize with the folding stage writing into fb
// (see FoldingNormalizer.normalizeScratch).
func (m *MyanmarNormalizer) normalizeScratch(text string, fb *foldBuffers) Normalized {
	return m.myanmarStage(FoldingNormalizer{}.normalizeScratch(text, fb), true)
}

func (m *MyanmarNormalizer) normalize(text string, detect bool) Normalized {
	return m.myanmarStage(FoldingNormalizer{}.Normalize(text), detect)
}

// myanmarStage applies the Myanmar steps to the folded text n.
func (m *MyanmarNormalizer) myanmarStage(n Normalized, detect bool) Normalized {
	if !hasMyanmar(n.Text) {
		return n
	}
	zg := detect && m.model.Probability(n.Text) > m.Threshold
	var (
		b                  strings.Builder
		offsets            = make([]int, 0, len(n.Text)+1)
		converted, ordered bool
	)
	b.Grow(len(n.Text) + len(n.Text)/8)
	for i := 0; i < len(n.Text); {
		j := i
		for j < len(n.Text) {
			r, size := utf8.DecodeRuneInString(n.Text[j:])
			if !isMyanmar(r) {
				break
			}
			j += size
		}
		if j == i { // one character of another script, as it is
			_, size := utf8.DecodeRuneInString(n.Text[i:])
			b.WriteString(n.Text[i : i+size])
			offsets = append(offsets, n.Offsets[i:i+size]...)
			i += size
			continue
		}
		chunk, out := n.Text[i:j], n.Text[i:j]
		if zg {
			out = convert.ZawgyiToUnicode(out)
			converted = converted || out != chunk
		}
		canon := convert.Canonicalize(out)
		ordered = ordered || canon != out
		if canon == chunk {
			b.WriteString(chunk)
			offsets = append(offsets, n.Offsets[i:j]...)
		} else {
			// Every character of the new run maps to the whole of the old
			// one: its first byte to the run's first character, the others
			// to its last, so any span of whole characters inside it maps
			// back to the whole run.
			_, lastSize := utf8.DecodeLastRuneInString(chunk)
			first, last := n.Offsets[i], n.Offsets[j-lastSize]
			b.WriteString(canon)
			for k := 0; k < len(canon); {
				_, size := utf8.DecodeRuneInString(canon[k:])
				offsets = append(offsets, first)
				for range size - 1 {
					offsets = append(offsets, last)
				}
				k += size
			}
		}
		i = j
	}
	offsets = append(offsets, n.Offsets[len(n.Text)])
	transforms := n.Transforms
	if converted {
		transforms = append(transforms, TransformZawgyi)
	}
	if ordered {
		transforms = append(transforms, TransformMyanmarOrder)
	}
	return Normalized{Text: b.String(), Offsets: offsets, Transforms: transforms}
}

func hasMyanmar(s string) bool {
	for i := 0; i < len(s); i++ {
		// Every Myanmar code point above starts with byte 0xE1 or 0xEA in
		// UTF-8: a cheap filter before decoding.
		if s[i] == 0xE1 || s[i] == 0xEA {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if isMyanmar(r) {
				return true
			}
		}
	}
	return false
}
