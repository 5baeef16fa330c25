// Package zawgyi tells whether Burmese text is typed in the legacy Zawgyi
// encoding rather than in Unicode. Much Burmese on social media is Zawgyi,
// which reuses Myanmar code points for different letters, so the classifier
// must detect it (and convert it) before matching Burmese terms.
//
// The detector is Google's myanmar-tools Markov model, embedded unmodified
// (see model/README.md); this package is an independent Go implementation of
// its documented format and scoring, checked against upstream's shared
// compatibility table. A Model is read-only once parsed and safe for
// concurrent use.
package zawgyi

import (
	_ "embed"
	"math"
	"sync"
	"unicode/utf8"
)

// Thresholds upstream recommends for acting on Probability.
const (
	// ReviewThreshold: at or above this probability the text may be Zawgyi
	// and is worth a person's look.
	ReviewThreshold = 0.05
	// ConvertThreshold: at or above this probability the text is Zawgyi
	// with enough confidence to convert it to Unicode automatically.
	ConvertThreshold = 0.95
)

//go:embed model/zawgyiUnicodeModel.dat
var embeddedModel []byte

var (
	defaultOnce  sync.Once
	defaultModel *Model
	defaultErr   error
)

// Default returns the embedded upstream model, parsed on first use. The
// error is non-nil only if the embedded file is damaged, which the tests
// rule out; callers should still pass it on rather than panic.
func Default() (*Model, error) {
	defaultOnce.Do(func() {
		defaultModel, defaultErr = ParseModel(embeddedModel)
	})
	return defaultModel, defaultErr
}

// Model is a parsed Zawgyi-vs-Unicode Markov model.
type Model struct {
	n           int       // number of states
	punctStates bool      // U+2000..U+200B are states 215..226
	delta       []float32 // n×n log-odds differences, row = from state; delta[0] is 0; float32 as in the model file (summed in float64), so the table is half the size in cache
}

// Probability returns the probability that s is Zawgyi rather than Unicode,
// in [0, 1]. Text without any Myanmar character (ASCII, Myanmar digits
// only, the empty string) gives no evidence either way and returns
// math.Inf(-1), as upstream does; compare against the thresholds, which
// -Inf never reaches. Invalid UTF-8 counts as non-Myanmar.
func (m *Model) Probability(s string) float64 {
	var (
		sum  float64
		prev int
		seen int // non-zero once any Myanmar state occurs
		n    = m.n
		d    = m.delta
	)
	for i := 0; i < len(s); {
		var cur int
		if c := s[i]; c < utf8.RuneSelf {
			i++
			if prev == 0 {
				continue // 0 to 0: not scored
			}
		} else if c == 0xE1 && i+2 < len(s) && s[i+1]-0x80 <= 2 && s[i+2]&0xC0 == 0x80 {
			// E1 80..82 80..BF is U+1000..U+10BF, the main Myanmar block:
			// decode it inline, indexing the table by the low bits.
			cur = int(mainStates[int(s[i+1]&0x03)<<6|int(s[i+2]&0x3F)])
			i += 3
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			cur = m.state(r)
		}
		sum += float64(d[prev*n+cur])
		seen |= cur
		prev = cur
	}
	if seen == 0 {
		return math.Inf(-1)
	}
	sum += float64(d[prev*n]) // to state 0 after the last character; 0 if prev is 0
	return 1 / (1 + math.Exp(sum))
}

// States: 0 is "not Myanmar"; then, in order, U+1000..U+103F,
// U+104A..U+109F (the digits U+1040..U+1049 are not states), U+AA60..U+AA7F,
// U+A9E0..U+A9FF and, if the model says so, U+2000..U+200B.
const (
	stateMyanmar   = 1                            // U+1000..U+103F
	stateMyanmar2  = stateMyanmar + 0x40          // U+104A..U+109F
	stateExtB      = stateMyanmar2 + 0x56         // U+AA60..U+AA7F
	stateExtA      = stateExtB + 0x20             // U+A9E0..U+A9FF
	statePunct     = stateExtA + 0x20             // U+2000..U+200B
	statesNoPunct  = statePunct                   // 215
	statesAllPunct = statePunct + 0x200C - 0x2000 // 227
)

func numStates(punct bool) int {
	if punct {
		return statesAllPunct
	}
	return statesNoPunct
}

// Dense rune-to-state tables for the two blocks that hold states; every
// other code point is state 0 except U+2000..U+200B, handled in state.
var (
	mainStates [0x10C0 - 0x1000]uint8 // U+1000..U+10BF, to index by UTF-8 bytes
	extStates  [0xAA80 - 0xA9E0]uint8 // U+A9E0..U+AA7F
)

func init() {
	for r := rune(0x1000); r <= 0x103F; r++ {
		mainStates[r-0x1000] = uint8(stateMyanmar + r - 0x1000)
	}
	for r := rune(0x104A); r <= 0x109F; r++ {
		mainStates[r-0x1000] = uint8(stateMyanmar2 + r - 0x104A)
	}
	for r := rune(0xAA60); r <= 0xAA7F; r++ {
		extStates[r-0xA9E0] = uint8(stateExtB + r - 0xAA60)
	}
	for r := rune(0xA9E0); r <= 0xA9FF; r++ {
		extStates[r-0xA9E0] = uint8(stateExtA + r - 0xA9E0)
	}
}

func (m *Model) state(r rune) int {
	switch {
	case r < 0x1000:
		return 0
	case r < 0x10A0:
		return int(mainStates[r-0x1000])
	case r >= 0x2000 && r <= 0x200B:
		if m.punctStates {
			return statePunct + int(r-0x2000)
		}
		return 0
	case r >= 0xA9E0 && r < 0xAA80:
		return int(extStates[r-0xA9E0])
	}
	return 0
}

// Scorer is Probability one character at a time, for a caller that reads
// the text anyway (the classifier's tokenizer). Fed every character of a
// text in order, ASCII ones through ASCII and the others through Rune, its
// Probability is exactly Probability of the text.
type Scorer struct {
	m    *Model
	sum  float64
	prev int
	seen int
}

// Scorer returns a Scorer at the start of a text.
func (m *Model) Scorer() Scorer { return Scorer{m: m} }

// ASCII records an ASCII character (only the first of a run of them
// changes anything).
func (s *Scorer) ASCII() {
	if s.prev != 0 {
		s.sum += float64(s.m.delta[s.prev*s.m.n])
		s.prev = 0
	}
}

// Rune records a character that is not ASCII (utf8.RuneError for a byte
// that is not UTF-8).
func (s *Scorer) Rune(r rune) {
	var cur int
	if r >= 0x1000 && r < 0x10A0 {
		cur = int(mainStates[r-0x1000])
	} else {
		cur = s.m.state(r)
	}
	s.sum += float64(s.m.delta[s.prev*s.m.n+cur])
	s.seen |= cur
	s.prev = cur
}

// Probability is Probability of the text fed so far.
func (s *Scorer) Probability() float64 {
	if s.seen == 0 {
		return math.Inf(-1)
	}
	return 1 / (1 + math.Exp(s.sum+float64(s.m.delta[s.prev*s.m.n])))
}
