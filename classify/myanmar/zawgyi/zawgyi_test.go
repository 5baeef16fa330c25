package zawgyi

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

type golden struct {
	line int
	want float64
	text string
}

// readCompatibility reads upstream's compatibility table: expected Zawgyi
// probability, a tab, the input.
func readCompatibility(tb testing.TB) []golden {
	tb.Helper()
	f, err := os.Open("testdata/compatibility.tsv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []golden
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		num, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			tb.Fatalf("compatibility.tsv:%d: no tab", n)
		}
		want, err := strconv.ParseFloat(num, 64) // accepts "-Infinity"
		if err != nil {
			tb.Fatalf("compatibility.tsv:%d: %v", n, err)
		}
		out = append(out, golden{n, want, text})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func mustDefault(tb testing.TB) *Model {
	tb.Helper()
	m, err := Default()
	if err != nil {
		tb.Fatalf("Default: %v", err)
	}
	return m
}

func TestCompatibility(t *testing.T) {
	m := mustDefault(t)
	lines := readCompatibility(t)
	if len(lines) == 0 {
		t.Fatal("compatibility.tsv is empty")
	}
	var worstAbs, worstRel float64
	for _, g := range lines {
		got := m.Probability(g.text)
		switch {
		case math.IsInf(g.want, -1):
			if !math.IsInf(got, -1) {
				t.Errorf("line %d %q: got %v, want -Inf", g.line, g.text, got)
			}
			continue
		case g.want == 0 || g.want == 1:
			if got != g.want {
				t.Errorf("line %d %q: got %v, want exactly %v", g.line, g.text, got, g.want)
			}
			continue
		}
		abs := math.Abs(got - g.want)
		if abs > 1e-9 || math.IsNaN(got) {
			t.Errorf("line %d %q: got %v, want %v (diff %g)", g.line, g.text, got, g.want, abs)
		}
		worstAbs = max(worstAbs, abs)
		worstRel = max(worstRel, abs/g.want)
	}
	t.Logf("checked %d lines; worst absolute error %g, worst relative error %g", len(lines), worstAbs, worstRel)
}

func TestDefaultIsShared(t *testing.T) {
	a, b := mustDefault(t), mustDefault(t)
	if a != b {
		t.Error("Default parsed the model twice")
	}
}

func TestProbability(t *testing.T) {
	m := mustDefault(t)
	tests := []struct {
		name string
		in   string
		want func(float64) bool
	}{
		{"empty", "", isNegInf},
		{"ascii", "hello, world", isNegInf},
		{"myanmar digits only", "\u1040\u1041\u1049", isNegInf},
		{"invalid utf-8", "\xff\xfe\x80", isNegInf},
		{"other scripts", "Привет 你好 ☃", isNegInf},
		{"unicode burmese", "မြန်မာ", func(p float64) bool { return p < ReviewThreshold }},
		{"zawgyi burmese", "ျမန္မာ", func(p float64) bool { return p >= ConvertThreshold }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Probability(tt.in); !tt.want(got) {
				t.Errorf("Probability(%q) = %v", tt.in, got)
			}
		})
	}
}

func isNegInf(p float64) bool { return math.IsInf(p, -1) }

// The state layout must cover every listed code point once and nothing else.
func TestStates(t *testing.T) {
	for _, punct := range []bool{false, true} {
		m := &Model{punctStates: punct}
		seen := make(map[int]rune)
		for r := rune(0); r <= 0x10FFFF; r++ {
			s := m.state(r)
			if s == 0 {
				continue
			}
			if prev, dup := seen[s]; dup {
				t.Fatalf("punct=%v: state %d for both %U and %U", punct, s, prev, r)
			}
			seen[s] = r
		}
		if want := numStates(punct) - 1; len(seen) != want {
			t.Errorf("punct=%v: %d non-zero states, want %d", punct, len(seen), want)
		}
		for s := 1; s < numStates(punct); s++ {
			if _, ok := seen[s]; !ok {
				t.Errorf("punct=%v: state %d unused", punct, s)
			}
		}
		for _, c := range []struct {
			r    rune
			want int
		}{
			{0x0FFF, 0}, {0x1000, 1}, {0x103F, 64}, {0x1040, 0}, {0x1049, 0},
			{0x104A, 65}, {0x109F, 150}, {0x10A0, 0}, {0xAA60, 151}, {0xAA7F, 182},
			{0xA9E0, 183}, {0xA9FF, 214}, {0xAA00, 0}, {0x200C, 0},
		} {
			if got := m.state(c.r); got != c.want {
				t.Errorf("punct=%v: state(%U) = %d, want %d", punct, c.r, got, c.want)
			}
		}
		wantPunct := 0
		if punct {
			wantPunct = 215
		}
		if got := m.state(0x2000); got != wantPunct {
			t.Errorf("punct=%v: state(U+2000) = %d, want %d", punct, got, wantPunct)
		}
	}
}

// A version 1 header (no state-set field) describes the same model.
func TestParseVersion1(t *testing.T) {
	v1 := append([]byte(nil), embeddedModel[:12]...)
	binary.BigEndian.PutUint32(v1[8:], 1)
	v1 = append(v1, embeddedModel[16:]...)
	m1, err := ParseModel(v1)
	if err != nil {
		t.Fatalf("ParseModel(v1): %v", err)
	}
	m := mustDefault(t)
	if !m1.punctStates || m1.n != m.n {
		t.Fatalf("v1 model: punctStates=%v n=%d, want true %d", m1.punctStates, m1.n, m.n)
	}
	for _, g := range readCompatibility(t) {
		if a, b := m.Probability(g.text), m1.Probability(g.text); a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Errorf("line %d: v2 %v, v1 %v", g.line, a, b)
		}
	}
}

// A model whose state set excludes U+2000..U+200B scores them as non-Myanmar.
func TestParseStateSet1(t *testing.T) {
	var b bytes.Buffer
	put := func(v any) { binary.Write(&b, binary.BigEndian, v) }
	put(uint64(modelMagic))
	put(int32(2))
	put(int32(1))
	put(uint64(markovMagic))
	put(int32(0))
	put(int16(statesNoPunct))
	for range statesNoPunct {
		put(int16(1))
		put(float32(0.5)) // default
		put(int16(0))
		put(float32(-1)) // to state 0
	}
	m, err := ParseModel(b.Bytes())
	if err != nil {
		t.Fatalf("ParseModel: %v", err)
	}
	if m.punctStates {
		t.Error("state set 1 parsed with U+2000..U+200B as states")
	}
	if got := m.Probability("\u2000\u200B"); !math.IsInf(got, -1) {
		t.Errorf("Probability(U+2000 U+200B) = %v, want -Inf", got)
	}
	// 0→U+1000 is row 0's default, 0.5; U+1000→0 is -1; U+1000→U+1000 is 0.5.
	want := 1 / (1 + math.Exp(0.5+0.5-1))
	if got := m.Probability("a\u1000\u1000b"); got != want {
		t.Errorf("Probability = %v, want %v", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	good := embeddedModel
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	tests := []struct {
		name string
		in   []byte
		is   error
		msg  string
	}{
		{"empty", nil, ErrTruncated,
			"zawgyi model: model magic at offset 0: truncated: need 8 bytes, have 0"},
		{"wrong magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), ErrMagic,
			`zawgyi model: model magic at offset 0: wrong magic: got 0x585a4d4f44454c20, want 0x555a4d4f44454c20 ("UZMODEL ")`},
		{"truncated version", good[:10], ErrTruncated,
			"zawgyi model: model version at offset 8: truncated: need 4 bytes, have 2"},
		{"version 3", edit(func(b []byte) []byte { b[11] = 3; return b }), ErrVersion,
			"zawgyi model: model version at offset 8: unsupported version: got 3, want 1 or 2"},
		{"state set 7", edit(func(b []byte) []byte { b[15] = 7; return b }), ErrVersion,
			"zawgyi model: state set at offset 12: unsupported version: got 7, want 0 or 1"},
		{"state set 1 with 227 states", edit(func(b []byte) []byte { b[15] = 1; return b }), ErrCorrupt,
			"zawgyi model: state count at offset 28: corrupt: got 227, want 215 for this state set"},
		{"wrong Markov magic", edit(func(b []byte) []byte { b[16] = 'b'; return b }), ErrMagic,
			`zawgyi model: Markov magic at offset 16: wrong magic: got 0x624d41524b4f5620, want 0x424d41524b4f5620 ("BMARKOV ")`},
		{"Markov version 1", edit(func(b []byte) []byte { b[27] = 1; return b }), ErrVersion,
			"zawgyi model: Markov version at offset 24: unsupported version: got 1, want 0"},
		{"truncated in header", good[:29], ErrTruncated,
			"zawgyi model: state count at offset 28: truncated: need 2 bytes, have 1"},
		{"negative entry count", edit(func(b []byte) []byte { b[30] = 0xFF; return b }), ErrCorrupt,
			"zawgyi model: row 0 entry count at offset 30: corrupt: got -167, want 0..227"},
		{"column out of order", edit(func(b []byte) []byte { b[43] = 0; return b }), ErrCorrupt,
			"zawgyi model: row 0 column at offset 42: corrupt: got 0, want 1..226 in increasing order"},
		{"NaN value", edit(func(b []byte) []byte { copy(b[32:], []byte{0x7F, 0xC0, 0, 0}); return b }), ErrCorrupt,
			"zawgyi model: row 0 default at offset 32: corrupt: non-finite value NaN"},
		{"truncated in last row", good[:len(good)-1], ErrTruncated,
			"zawgyi model: row 226 entry count at offset 27986: truncated: need 2 bytes, have 1"},
		{"trailing byte", append(append([]byte(nil), good...), 0), ErrCorrupt,
			"zawgyi model: end of Markov block at offset 27988: corrupt: 1 trailing bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseModel(tt.in)
			if err == nil {
				t.Fatalf("ParseModel succeeded (%d states)", m.n)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FormatError", err)
			}
			if err.Error() != tt.msg {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.msg)
			}
		})
	}
	// Every proper prefix of the model is reported as truncated, never a
	// panic: all header prefixes, then a sample through the rows.
	for n := 0; n < len(good); n += max(1, min(n/64, 97)) {
		if _, err := ParseModel(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ParseModel(first %d bytes) = %v, want ErrTruncated", n, err)
		}
	}
}

func TestProbabilityDoesNotAllocate(t *testing.T) {
	m := mustDefault(t)
	s := mixedText()
	if n := testing.AllocsPerRun(100, func() { m.Probability(s) }); n != 0 {
		t.Errorf("Probability allocates %v times per call", n)
	}
}

func FuzzProbability(f *testing.F) {
	for _, g := range readCompatibility(f) {
		f.Add(g.text)
	}
	f.Add("")
	f.Add("\xe1\x80")                 // truncated Myanmar rune
	f.Add("\u2000\u200b\ua9e0\uaa7f") // the outlying blocks
	m := mustDefault(f)
	f.Fuzz(func(t *testing.T, s string) {
		p := m.Probability(s)
		if !(p >= 0 && p <= 1) && !math.IsInf(p, -1) {
			t.Fatalf("Probability(%q) = %v, want [0,1] or -Inf", s, p)
		}
		if want := m.probabilityByRune(s); p != want {
			t.Fatalf("Probability(%q) = %v, but rune by rune %v", s, p, want)
		}
	})
}

// probabilityByRune is Probability written plainly, rune by rune, to check
// the fast paths of the real one.
func (m *Model) probabilityByRune(s string) float64 {
	var sum float64
	prev, seen := 0, false
	for _, r := range s {
		cur := m.state(r)
		if prev != 0 || cur != 0 {
			sum += float64(m.delta[prev*m.n+cur])
			seen = true
		}
		prev = cur
	}
	if !seen {
		return math.Inf(-1)
	}
	if prev != 0 {
		sum += float64(m.delta[prev*m.n])
	}
	return 1 / (1 + math.Exp(sum))
}

// mixedText is Burmese (Unicode and Zawgyi) interleaved with English, as in
// posts that quote one another.
func mixedText() string {
	var b strings.Builder
	for b.Len() < 64<<10 {
		b.WriteString("Breaking news from Yangon: မြန်မာနိုင်ငံ သတင်း ")
		b.WriteString("ျမန္မာႏိုင္ငံ သတင္း #update https://example.org/post/123 ")
		b.WriteString("အားလုံး ကို ကျေးဇူးတင်ပါတယ်။ thanks for sharing ၁၂၃ ")
	}
	return b.String()
}

func BenchmarkProbability(b *testing.B) {
	m := mustDefault(b)
	s := mixedText()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		m.Probability(s)
	}
}
