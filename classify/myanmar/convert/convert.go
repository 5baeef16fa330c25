// Package convert turns Burmese text typed in the legacy Zawgyi encoding
// into standard Unicode, and puts Unicode Burmese into one canonical form,
// so that the classifier's lexicon terms match however a post was typed.
//
// In the flow it comes after Zawgyi detection: a caller converts a post
// only when the detector (package myanmar/zawgyi) says it is Zawgyi,
// because Zawgyi and Unicode share code points with different meanings and
// ZawgyiToUnicode damages text that is already Unicode. Canonicalize is
// safe on any text and is applied to every post and every lexicon term
// before they are compared.
//
// The conversion is data-driven: the 118 ordered rewrite rules of Rabbit
// Converter (rules/rabbit-zg2uni.json), written as JavaScript regular
// expressions, are translated to Go's RE2 syntax once, when a Converter is
// built. See rule for how lookaheads are translated and handTranslated for
// the two rules that are rewritten by hand.
package convert

import (
	_ "embed"
	"math/bits"
	"sync"
	"unicode/utf8"
)

//go:embed rules/rabbit-zg2uni.json
var rabbitZg2Uni []byte

// Converter converts Zawgyi text to Unicode. It is read-only once built and
// safe for concurrent use.
type Converter struct {
	rules []rule
}

// New compiles the embedded Rabbit rules. It fails only if a rule cannot be
// translated to RE2, which the package's tests rule out for the shipped
// rules.
func New() (*Converter, error) {
	rules, err := compileRules(rabbitZg2Uni)
	if err != nil {
		return nil, err
	}
	return &Converter{rules: rules}, nil
}

// Convert applies every rule, in order, to every match, as Rabbit does. The
// result is Unicode but not necessarily in canonical order; pass it through
// Canonicalize before comparing it with other text.
//
// A rule is skipped when the text lacks every character that all its
// matches contain (see rule.needs). Text with no Myanmar character and no
// zero-width space, such as English, is returned unchanged.
func (c *Converter) Convert(s string) string {
	present := runesIn(s)
	if present == (runeSet{}) {
		return s
	}
	for i := range c.rules {
		r := &c.rules[i]
		if !r.needs.intersects(present) {
			continue
		}
		if t := r.apply(s); t != s {
			s, present = t, runesIn(t)
		}
	}
	return s
}

// runeSet is a set of the characters the rules are written in: the
// Myanmar block U+1000..U+109F as bits 0..159, and the zero-width space
// U+200B as bit 191.
type runeSet [3]uint64

const zwspBit = 191

func runeBit(r rune) (int, bool) {
	switch {
	case r >= 0x1000 && r <= 0x109F:
		return int(r - 0x1000), true
	case r == 0x200B:
		return zwspBit, true
	}
	return 0, false
}

func (s *runeSet) add(bit int)              { s[bit/64] |= 1 << (bit % 64) }
func (s runeSet) intersects(t runeSet) bool { return s[0]&t[0]|s[1]&t[1]|s[2]&t[2] != 0 }
func (s runeSet) size() int {
	return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) + bits.OnesCount64(s[2])
}

// runesIn returns the set of rule characters in s.
func runesIn(s string) runeSet {
	var set runeSet
	for i := 0; i < len(s); i++ {
		// Both ranges are three-byte sequences led by 0xE1 (Myanmar) or
		// 0xE2 (U+200B), so other bytes are skipped without decoding.
		if c := s[i]; c == 0xE1 || c == 0xE2 {
			r, w := utf8.DecodeRuneInString(s[i:])
			if bit, ok := runeBit(r); ok {
				set.add(bit)
			}
			i += w - 1
		}
	}
	return set
}

var defaultConverter = sync.OnceValues(New)

// ZawgyiToUnicode converts Zawgyi text to Unicode with a Converter built on
// first use. Call it only on text the detector classes as Zawgyi. If the
// embedded rules could not be compiled (the tests rule that out) it returns
// s unchanged rather than panic; use New to see the error.
func ZawgyiToUnicode(s string) string {
	c, err := defaultConverter()
	if err != nil {
		return s
	}
	return c.Convert(s)
}
