package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/unicode/norm"

	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

// Transform names reported by FoldingNormalizer, beside SimpleNormalizer's.
const (
	// TransformNFKC: compatibility characters (fullwidth letters,
	// ligatures, mathematical alphanumerics such as 𝐯𝐞𝐫𝐦𝐢𝐧) were
	// replaced by their NFKC forms.
	TransformNFKC = "nfkc"
	// TransformAccents: combining marks were removed from Latin, Greek or
	// Cyrillic letters ("vérmín" is matched as "vermin").
	TransformAccents = "accents"
	// TransformConfusable: Cyrillic or Greek look-alikes inside a word
	// with Latin letters were replaced by the Latin letters they imitate.
	TransformConfusable = "confusable"
	// TransformLeet: digits and signs standing for letters inside a word
	// ("v3rm1n", "k!ll") were replaced by those letters.
	TransformLeet = "leet"
	// TransformRepeat: a letter repeated three times or more was
	// collapsed to one ("veeeermin").
	TransformRepeat = "repeat"
	// TransformSpaced: letters written apart ("v e r m i n", "k-i-l-l")
	// were joined into one word.
	TransformSpaced = "spaced"
)

// FoldingNormalizer is the Normalizer for text outside Myanmar script. In
// this order, it
//
//  1. removes invisible and bidi-control characters (as SimpleNormalizer);
//  2. applies NFKC one character at a time, never to Myanmar script (NFKC
//     reorders some Burmese marks; MyanmarNormalizer handles those);
//  3. folds case (as SimpleNormalizer);
//  4. removes combining marks from Latin, Greek and Cyrillic letters, and
//     only from those (in Devanagari, Thai or Myanmar the marks are part of
//     the letters);
//  5. inside a word that has Latin letters, replaces Cyrillic and Greek
//     look-alikes by Latin letters (a hand-made subset of the Unicode TR39
//     confusables, confusableLatin), so that Russian or Greek text stays
//     as written;
//  6. inside a word that has a letter, reads 4 and @ as a, 3 as e, 1, ! and
//     | as i, 0 as o, 5 and $ as s, 7 as t: a number alone stays a number,
//     ! and | at the end of a word ("vermin!") stay punctuation, and so do
//     !, | and @ at its start ("@user");
//  7. collapses a run of three or more of one letter to a single letter,
//     in a word with another letter in it ("veeeermin", "kiiiill"). Double
//     letters are kept, in posts and terms alike: squeezing them would make
//     "as" the term "ass" and "Niger" a slur. So a doubled letter that is
//     stretched ("killll") is read with one letter ("kil") and is missed;
//  8. joins three or more single letters written apart with one space,
//     dot, hyphen or underscore between each ("v e r m i n", "k-i-l-l"),
//     with digits among them read as letters ("k 1 l l"), and folds the
//     word they make as in 5 to 7.
//
// Every step keeps the map back to the original: each byte of the result
// maps to the character that produced it. Terms go through the same steps,
// none of which depends on more of a post than the words around a letter.
//
// Text of ASCII and Myanmar script with none of the patterns of steps 6 to
// 8 costs one scan, and one more to fold its case.
type FoldingNormalizer struct{}

// Normalize implements Normalizer.
func (FoldingNormalizer) Normalize(text string) Normalized {
	switch plain, upper := plainASCII(text); {
	case plain && upper:
		n := asWritten(text)
		n.Text = strings.ToLower(text)
		n.Transforms = []string{TransformCasefold}
		return n
	case plain:
		return asWritten(text)
	}
	return fold(text)
}

// asWritten is the Normalized of a text that normalises to itself, every
// byte mapped to the start of its character.
func asWritten(text string) Normalized {
	offsets := make([]int, len(text)+1)
	start := 0
	for i := range len(text) {
		if utf8.RuneStart(text[i]) {
			start = i
		}
		offsets[i] = start
	}
	offsets[len(text)] = len(text)
	return Normalized{Text: text, Offsets: offsets}
}

// fold is FoldingNormalizer.Normalize without the fast path.
func fold(text string) Normalized {
	var f folding
	f.decode(text)
	f.words()
	f.joinSpaced()
	return f.encode(len(text))
}

// foldBuffers are buffers that normalisation inside the classifier reuses
// from post to post (through its scratch pool): the folding of a post that
// misses the quick path then allocates next to nothing.
type foldBuffers struct {
	units   []unit
	text    []byte
	offsets []int
}

// normalizeScratch is Normalize, writing into fb: the result's Text and
// Offsets are valid only until fb is used again.
func (FoldingNormalizer) normalizeScratch(text string, fb *foldBuffers) Normalized {
	if plain, _ := plainASCII(text); plain {
		fb.text, fb.offsets = fb.text[:0], fb.offsets[:0]
		start, upper := 0, false
		for i := 0; i < len(text); i++ {
			c := text[i]
			if utf8.RuneStart(c) {
				start = i
			}
			if 'A' <= c && c <= 'Z' {
				c, upper = c+'a'-'A', true
			}
			fb.text = append(fb.text, c)
			fb.offsets = append(fb.offsets, start)
		}
		fb.offsets = append(fb.offsets, len(text))
		n := Normalized{Text: unsafe.String(unsafe.SliceData(fb.text), len(fb.text)), Offsets: fb.offsets}
		if upper {
			n.Transforms = []string{TransformCasefold}
		}
		return n
	}
	f := folding{units: fb.units[:0]}
	f.decode(text)
	f.words()
	f.joinSpaced()
	fb.units = f.units[:0]
	return f.encodeInto(len(text), fb)
}

// encodeInto is encode, writing into fb.
func (f *folding) encodeInto(origLen int, fb *foldBuffers) Normalized {
	fb.text, fb.offsets = fb.text[:0], fb.offsets[:0]
	for _, u := range f.units {
		n := len(fb.text)
		if u.raw {
			fb.text = append(fb.text, byte(u.r))
		} else {
			fb.text = utf8.AppendRune(fb.text, u.r)
		}
		for range len(fb.text) - n {
			fb.offsets = append(fb.offsets, u.off)
		}
	}
	fb.offsets = append(fb.offsets, origLen)
	return Normalized{Text: unsafe.String(unsafe.SliceData(fb.text), len(fb.text)), Offsets: fb.offsets, Transforms: f.transforms()}
}

// NormalizeTerm implements TermNormalizer: terms are folded as posts are.
func (n FoldingNormalizer) NormalizeTerm(term string) Normalized {
	return n.Normalize(term)
}

// unit is a character of the text being folded and the byte offset, in the
// original, of the character that produced it.
type unit struct {
	r   rune
	off int
	// raw: r is a byte that is not UTF-8, kept as it is.
	raw bool
}

// folding is the state of one FoldingNormalizer.Normalize call.
type folding struct {
	units []unit
	done  [numSteps]bool
}

// The steps, in the order their transforms are reported.
const (
	stepInvisible = iota
	stepNFKC
	stepCasefold
	stepAccents
	stepConfusable
	stepLeet
	stepRepeat
	stepSpaced
	numSteps
)

var stepNames = [numSteps]string{
	TransformInvisible, TransformNFKC, TransformCasefold, TransformAccents,
	TransformConfusable, TransformLeet, TransformRepeat, TransformSpaced,
}

// decode does the steps that need one character at a time: invisible
// characters, NFKC, case and accents.
func (f *folding) decode(text string) {
	if f.units == nil {
		f.units = make([]unit, 0, utf8.RuneCountInString(text))
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			f.units = append(f.units, unit{r: rune(text[i]), off: i, raw: true})
		case isInvisible(r):
			f.done[stepInvisible] = true
		case r < utf8.RuneSelf:
			f.add(r, i)
		case isMyanmar(r):
			f.units = append(f.units, unit{r: r, off: i})
		default:
			// A character with no compatibility decomposition is its own
			// NFKC form; the others are looked at (and allocate) only then.
			src := text[i : i+size]
			if norm.NFKC.PropertiesString(src).Decomposition() == nil {
				f.add(r, i)
				break
			}
			nfkc := norm.NFKC.String(src)
			if nfkc == src {
				f.add(r, i)
				break
			}
			f.done[stepNFKC] = true
			for _, c := range nfkc {
				f.add(c, i)
			}
		}
		i += size
	}
}

// add appends r, produced by the character at off, after folding its case
// and removing its accents.
func (f *folding) add(r rune, off int) {
	if c := foldRune(r); c != r {
		f.done[stepCasefold] = true
		r = c
	}
	if r < utf8.RuneSelf {
		f.units = append(f.units, unit{r: r, off: off})
		return
	}
	if unicode.Is(unicode.Mn, r) {
		// A combining mark on its own (typed after its letter, or piled
		// up as in "zalgo" text) goes with a Latin, Greek or Cyrillic
		// letter before it.
		if n := len(f.units); n > 0 && !f.units[n-1].raw && hasStrippableMarks(f.units[n-1].r) {
			f.done[stepAccents] = true
			return
		}
		f.units = append(f.units, unit{r: r, off: off})
		return
	}
	if !hasStrippableMarks(r) {
		f.units = append(f.units, unit{r: r, off: off})
		return
	}
	// The canonical decomposition from the tables, which does not
	// allocate: a letter and its marks.
	d := norm.NFD.PropertiesString(string(r)).Decomposition()
	if d == nil {
		f.units = append(f.units, unit{r: r, off: off})
		return
	}
	for _, c := range string(d) {
		if unicode.Is(unicode.Mn, c) {
			f.done[stepAccents] = true
			continue
		}
		f.units = append(f.units, unit{r: c, off: off})
	}
}

// hasStrippableMarks reports the letters whose combining marks are accents
// that a reader sees through: Latin, Greek and Cyrillic.
func hasStrippableMarks(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

// words does the steps that look at a whole word: confusables, leetspeak
// and repeated letters.
func (f *folding) words() {
	out := f.units[:0] // words only ever shrink
	for i := 0; i < len(f.units); {
		if !isWordUnit(f.units[i]) {
			out = append(out, f.units[i])
			i++
			continue
		}
		j := i
		for j < len(f.units) && isWordUnit(f.units[j]) {
			j++
		}
		// Some signs before or after the letters are punctuation:
		// "@user", "vermin!", "a|b", but "$hit" and "a$$".
		s, e := i, j
		for s < e && isLeetSign(f.units[s].r) && f.units[s].r != '$' {
			s++
		}
		for e > s && (f.units[e-1].r == '!' || f.units[e-1].r == '|') {
			e--
		}
		out = append(out, f.units[i:s]...)
		out = f.word(out, f.units[s:e])
		out = append(out, f.units[e:j]...)
		i = j
	}
	f.units = out
}

// word folds one word w and appends it to out. out never overtakes w, so
// the two may share their array.
func (f *folding) word(out, w []unit) []unit {
	var latin, letter bool
	for _, u := range w {
		if isLetterUnit(u) {
			letter = true
			latin = latin || u.r < utf8.RuneSelf || unicode.Is(unicode.Latin, u.r)
		}
	}
	if !letter {
		return append(out, w...)
	}
	start := len(out)
	for _, u := range w {
		if latin && u.r >= utf8.RuneSelf {
			if c, ok := confusableLatin[u.r]; ok {
				f.done[stepConfusable] = true
				u.r = c
			}
		}
		if c, ok := leet(u.r); ok {
			f.done[stepLeet] = true
			u.r = c
		}
		out = append(out, u)
	}
	// Repeated letters, in a word with more than one letter in it: "kkk"
	// and "zzz" are words of their own.
	word := out[start:]
	distinct := false
	for _, u := range word[1:] {
		if u.r != word[0].r {
			distinct = true
			break
		}
	}
	if !distinct {
		return out
	}
	n := 0
	for k := 0; k < len(word); {
		run := k + 1
		for run < len(word) && word[run].r == word[k].r && !word[run].raw {
			run++
		}
		if run-k >= 3 && isLetterUnit(word[k]) {
			f.done[stepRepeat] = true
			word[n] = word[k]
			n++
		} else {
			n += copy(word[n:], word[k:run])
		}
		k = run
	}
	return out[:start+n]
}

// joinSpaced joins runs of three or more single letters, each apart from
// the next by one space, dot, hyphen or underscore; digits may stand for
// letters among them ("k 1 l l"). A letter next to an apostrophe is part of
// a contraction ("it's 5 o'clock"), not a single letter. The joined word is
// then folded as a word.
func (f *folding) joinSpaced() {
	u := f.units
	apart := func(k int) bool { // u[k] is not part of a word or contraction
		return k < 0 || k >= len(u) || !isWordUnit(u[k]) && !isApostrophe(u[k])
	}
	single := func(k int) bool {
		return k < len(u) && (isLetterUnit(u[k]) || isLeetDigit(u[k])) && apart(k-1) && apart(k+1)
	}
	var out []unit // nil until a run is found
	for i := 0; i < len(u); {
		j, letters := i, 0 // j: the last character of the run
		if single(i) {
			for {
				if isLetterUnit(u[j]) {
					letters++
				}
				if j+2 >= len(u) || !isSpacer(u[j+1]) || !single(j+2) {
					break
				}
				j += 2
			}
		}
		if letters < 3 {
			if out != nil {
				out = append(out, u[i])
			}
			i++
			continue
		}
		if out == nil {
			out = append(make([]unit, 0, len(u)), u[:i]...)
		}
		f.done[stepSpaced] = true
		start := len(out)
		for k := i; k <= j; k += 2 {
			out = append(out, u[k])
		}
		out = f.word(out[:start], out[start:])
		i = j + 1
	}
	if out != nil {
		f.units = out
	}
}

func isApostrophe(u unit) bool {
	return !u.raw && (u.r == '\'' || u.r == '’')
}

func isLeetDigit(u unit) bool {
	_, ok := leet(u.r)
	return !u.raw && '0' <= u.r && u.r <= '9' && ok
}

func isSpacer(u unit) bool {
	return !u.raw && (u.r == ' ' || u.r == '.' || u.r == '-' || u.r == '_')
}

// encode writes the folded text and its offsets.
func (f *folding) encode(origLen int) Normalized {
	var b strings.Builder
	offsets := make([]int, 0, len(f.units)+len(f.units)/4+1)
	b.Grow(cap(offsets))
	for _, u := range f.units {
		n := 1
		if u.raw {
			b.WriteByte(byte(u.r))
		} else {
			n, _ = b.WriteRune(u.r)
		}
		for range n {
			offsets = append(offsets, u.off)
		}
	}
	offsets = append(offsets, origLen)
	return Normalized{Text: b.String(), Offsets: offsets, Transforms: f.transforms()}
}

// transforms names the steps that changed something, in order.
func (f *folding) transforms() []string {
	var transforms []string
	for step, done := range f.done {
		if done {
			if transforms == nil {
				transforms = make([]string, 0, numSteps-step)
			}
			transforms = append(transforms, stepNames[step])
		}
	}
	return transforms
}

// isWordUnit reports the characters words are folded over: letters, marks
// and digits outside Myanmar script, and the signs leetspeak uses.
func isWordUnit(u unit) bool {
	if u.raw {
		return false
	}
	r := u.r
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || isLeetSign(r)
	}
	return !isMyanmar(r) && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

func isLetterUnit(u unit) bool {
	if u.raw {
		return false
	}
	if u.r < utf8.RuneSelf {
		return 'a' <= u.r && u.r <= 'z' || 'A' <= u.r && u.r <= 'Z'
	}
	return !isMyanmar(u.r) && unicode.IsLetter(u.r)
}

func isLeetSign(r rune) bool {
	return r == '@' || r == '!' || r == '|' || r == '$'
}

// leet maps a digit or sign standing for a letter to the letter.
func leet(r rune) (rune, bool) {
	switch r {
	case '4', '@':
		return 'a', true
	case '3':
		return 'e', true
	case '1', '!', '|':
		return 'i', true
	case '0':
		return 'o', true
	case '5', '$':
		return 's', true
	case '7':
		return 't', true
	}
	return r, false
}

// confusableLatin maps the commonest look-alikes of Latin letters, after
// case folding, to those letters. It is a hand-made subset of the Unicode
// TR39 confusables (confusables.txt): Cyrillic and Greek letters whose
// lower or upper case is drawn like a Latin letter, and a few Latin and
// IPA variants that NFKC leaves alone.
var confusableLatin = map[rune]rune{
	// Cyrillic.
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'һ': 'h', 'н': 'h', 'і': 'i', 'ї': 'i',
	'ј': 'j', 'к': 'k', 'ӏ': 'l', 'м': 'm', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'с': 'c',
	'ѕ': 's', 'т': 't', 'у': 'y', 'ԝ': 'w', 'х': 'x', 'ԁ': 'd', 'ү': 'y',
	// Greek.
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w', 'ζ': 'z',
	// Latin and IPA variants.
	'ı': 'i', 'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ʋ': 'u', 'ɪ': 'i', 'ʏ': 'y',
}

// plainASCII reports text that folding leaves as it is but for ASCII
// upper case (upper): ASCII, Myanmar script and a few signs that folding
// never touches (stableSign), without a digit or leet sign in a word with
// letters, a letter three times over or three single letters or digits
// written apart. It may say false for text that folds to itself; it never
// says true for text that does not (FuzzFoldingNormalizer checks it).
//
// It is the gate of the classifier's quick path, so it reads a word at a
// time with a table of byte classes.
func plainASCII(s string) (plain, upper bool) {
	spaced := newSpacedRun()
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Myanmar script is the Myanmar stage's: here it only ends
			// words, as punctuation does, and so do stable signs.
			if c == 0xE1 && i+2 < len(s) && s[i+1]&0xFE == 0x80 && s[i+2]&0xC0 == 0x80 {
				i += 3 // U+1000..U+107F
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case isMyanmar(r), r == '’':
			case stableSign(r):
				// A variation selector that makes the emoji before it
				// colourful stays with it.
				if r >= 0x1F300 && strings.HasPrefix(s[i+size:], "\uFE0F") {
					size += 3
				}
			default:
				return false, false
			}
			i += size
			continue
		}
		if plainClass[c] == pcSpace {
			i++
			continue
		}
		// A word: letters, digits and the signs leetspeak uses.
		start := i
		var flags uint8
		var p1, p2 byte // the two bytes before, lowered
		for ; i < len(s); i++ {
			c := s[i]
			if c >= utf8.RuneSelf {
				break
			}
			k := plainClass[c]
			if k == pcSpace {
				break
			}
			if k == pcUpper {
				upper = true
				c += 'a' - 'A'
			}
			if k&(pcLower|pcUpper) != 0 && c == p1 && c == p2 {
				return false, false // a letter three times over
			}
			if k == pcSignTrailing && i+1 < len(s) && isASCIIWord(s[i+1]) {
				k = pcSign // ! or | inside a word
			}
			flags |= k
			p2, p1 = p1, c
		}
		if !spaced.plainWord(s, start, i, flags) {
			return false, false
		}
	}
	return true, upper
}

// spacedRun follows, for plainASCII and scanQuick, the single letters or
// digits written apart. Its zero value is not ready: use newSpacedRun.
type spacedRun struct {
	singles int // single letters or digits written apart, so far
	end     int // the end of the last single one
}

func newSpacedRun() spacedRun { return spacedRun{end: -2} }

// plainWord takes the word s[start:i] of plainASCII, whose byte classes
// are flags, and reports whether folding leaves it alone so far: no
// leetspeak or digit in a word with letters, and not the third single
// letter written apart.
func (r *spacedRun) plainWord(s string, start, i int, flags uint8) bool {
	if flags&(pcLower|pcUpper) != 0 && flags&(pcDigit|pcSign) != 0 {
		return false // leetspeak, or a digit in a word with letters
	}
	if i-start == 1 && flags&(pcLower|pcUpper|pcDigit) != 0 &&
		!apostropheBefore(s, start) && !strings.HasPrefix(s[i:], "'") && !strings.HasPrefix(s[i:], "’") {
		if start == r.end+1 && isSpacer(unit{r: rune(s[r.end])}) {
			r.singles++
		} else {
			r.singles = 1
		}
		r.end = i
		return r.singles < 3 // else letters written apart
	}
	r.singles = 0
	return true
}

// Byte classes for plainASCII (bits, so that a word's classes can be ORed).
const (
	pcSpace        uint8 = 0
	pcLower        uint8 = 1 << iota
	pcUpper              // an upper-case letter
	pcDigit              // a digit
	pcSign               // $ or @, or ! or | followed by a letter or digit
	pcSignTrailing       // ! or |: punctuation unless a letter or digit follows
)

var plainClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case 'a' <= c && c <= 'z':
			t[c] = pcLower
		case 'A' <= c && c <= 'Z':
			t[c] = pcUpper
		case '0' <= c && c <= '9':
			t[c] = pcDigit
		case c == '$' || c == '@':
			t[c] = pcSign
		case c == '!' || c == '|':
			t[c] = pcSignTrailing
		}
	}
	return t
}()

// apostropheBefore reports whether s[:i] ends with an apostrophe, ' or ’.
func apostropheBefore(s string, i int) bool {
	return i > 0 && s[i-1] == '\'' || strings.HasSuffix(s[:i], "’")
}

// stableSign reports the punctuation and symbols outside ASCII that posts
// are full of and that folding leaves as they are (no compatibility
// decomposition, no case, not a mark, not a word character): typographic
// quotes and dashes, and emoji. plainASCII lets them through, so that a
// post with a curly quote or an emoji still takes the quick path.
func stableSign(r rune) bool {
	switch r {
	case '‘', '“', '”', '–', '—':
		return true
	}
	if r < 0x1F300 || r > 0x1FAFF || !unicode.Is(unicode.So, r) {
		return false
	}
	var buf [4]byte
	return norm.NFKC.Properties(buf[:utf8.EncodeRune(buf[:], r)]).Decomposition() == nil
}

func isASCIIWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// startScorer implements quickNormalizer: folding needs no Zawgyi score.
func (FoldingNormalizer) startScorer(*zawgyi.Scorer) *zawgyi.Scorer { return nil }

// quickMyanmar implements quickNormalizer: folding leaves Myanmar script
// alone.
func (FoldingNormalizer) quickMyanmar(*zawgyi.Scorer) bool { return true }
