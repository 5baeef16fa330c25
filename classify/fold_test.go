package classify

import (
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"
)

func TestFoldingNormalizer(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		want       string
		offsets    []int // nil: not checked beyond checkOffsets
		transforms []string
	}{
		{name: "plain", text: "a quiet morning, 42 people", want: "a quiet morning, 42 people"},
		{name: "empty", text: "", want: ""},
		{name: "number alone", text: "1337 and $5", want: "1337 and $5"},
		{name: "fullwidth", text: "ＡＢ", want: "ab", offsets: []int{0, 3, 6}, transforms: []string{"nfkc", "casefold"}},
		{name: "ligature maps both letters to it", text: "ﬁx", want: "fix", offsets: []int{0, 0, 3, 4}, transforms: []string{"nfkc"}},
		{name: "accent", text: "é", want: "e", offsets: []int{0, 2}, transforms: []string{"accents"}},
		{name: "combining accent", text: "e\u0301x", want: "ex", offsets: []int{0, 3, 4}, transforms: []string{"accents"}},
		{name: "Devanagari marks kept", text: "हिंदी", want: "हिंदी"},
		{name: "Thai marks kept", text: "ที่นี่", want: "ที่นี่"},
		{name: "Russian word kept", text: "сор", want: "сор"},
		{name: "Russian accent folded", text: "ёлка", want: "елка", transforms: []string{"accents"}},
		{name: "confusable in a Latin word", text: "c\u043ep", want: "cop", offsets: []int{0, 1, 3, 4}, transforms: []string{"confusable"}},
		{name: "leet", text: "h4x0r", want: "haxor", transforms: []string{"leet"}},
		{name: "sign at the end is punctuation", text: "no!|", want: "no!|"},
		{name: "mention", text: "@bob", want: "@bob"},
		{name: "repeat", text: "nooooo", want: "no", offsets: []int{0, 1, 6}, transforms: []string{"repeat"}},
		{name: "one letter repeated is a word", text: "kkk zzz", want: "kkk zzz"},
		{name: "double letters kept", text: "kill", want: "kill"},
		{name: "spaced", text: "a b c", want: "abc", offsets: []int{0, 2, 4, 5}, transforms: []string{"spaced"}},
		{name: "two spaces do not join", text: "a  b  c", want: "a  b  c"},
		{name: "spaced, with a digit", text: "v 3 r m 1 n", want: "vermin", transforms: []string{"leet", "spaced"}},
		{name: "spaced digits need two letters", text: "a 1 2 3", want: "a 1 2 3"},
		{name: "spaced, then repeated", text: "k i i i l l", want: "kill", transforms: []string{"repeat", "spaced"}},
		{name: "Myanmar left alone", text: "ကုလား ABC", want: "ကုလား abc", transforms: []string{"casefold"}},
		{name: "not UTF-8", text: "A\xffB", want: "a\xffb", offsets: []int{0, 1, 2, 3}, transforms: []string{"casefold"}},
		{name: "all steps", text: "\u200BＶé\u0435333rm1n a-b-c", want: "vermin abc",
			transforms: []string{"invisible", "nfkc", "casefold", "accents", "confusable", "leet", "repeat", "spaced"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := FoldingNormalizer{}.Normalize(tt.text)
			if n.Text != tt.want {
				t.Errorf("Text = %q, want %q", n.Text, tt.want)
			}
			checkOffsets(t, tt.text, n)
			if tt.offsets != nil && !reflect.DeepEqual(n.Offsets, tt.offsets) {
				t.Errorf("Offsets = %v, want %v", n.Offsets, tt.offsets)
			}
			if !reflect.DeepEqual(n.Transforms, tt.transforms) {
				t.Errorf("Transforms = %q, want %q", n.Transforms, tt.transforms)
			}
		})
	}
}

// FuzzFoldingNormalizer checks the offset map and that the fast path
// returns what folding would.
func FuzzFoldingNormalizer(f *testing.F) {
	for _, tt := range trickTests {
		f.Add(tt.text)
	}
	f.Add("a b c d kiii 4ss $x v.e.r a$$ !x@y")
	f.Add("ကုလား ABC x.Y.z")
	f.Add("it’s “v e r m i n” — 🐍\uFE0F r’a t 🐀 a\uFE0F")
	f.Add("a b cက x y z🐍 p q r’ A-B-C")
	var fb foldBuffers
	f.Fuzz(func(t *testing.T, text string) {
		n := FoldingNormalizer{}.Normalize(text)
		checkOffsets(t, text, n)
		// The classifier's reusing variant gives the same result.
		if s := (FoldingNormalizer{}).normalizeScratch(text, &fb); s.Text != n.Text || !slices.Equal(s.Transforms, n.Transforms) || !slices.Equal(s.Offsets, n.Offsets) {
			t.Errorf("normalizeScratch(%q) = %q %v %v, Normalize = %q %v %v", text, s.Text, s.Offsets, s.Transforms, n.Text, n.Offsets, n.Transforms)
		}
		if plain, _ := plainASCII(text); plain {
			if s := fold(text); s.Text != n.Text || !slices.Equal(s.Transforms, n.Transforms) || !slices.Equal(s.Offsets, n.Offsets) {
				t.Fatalf("fast path for %q gives %q %q, but folding %q %q", text, n.Text, n.Transforms, s.Text, s.Transforms)
			}
		}
	})
}

// checkOffsets checks what Normalized promises: one offset per byte and
// one more, each the start of a character of the original, in order
// within each word.
func checkOffsets(tb testing.TB, text string, n Normalized) {
	tb.Helper()
	if len(n.Offsets) != len(n.Text)+1 || n.Offsets[len(n.Text)] != len(text) {
		tb.Fatalf("%d offsets for %d bytes, last %v", len(n.Offsets), len(n.Text), n.Offsets[len(n.Offsets)-1:])
	}
	for i, o := range n.Offsets[:len(n.Text)] {
		if o < 0 || o >= len(text) || utf8.ValidString(text) && !utf8.RuneStart(text[o]) {
			tb.Fatalf("offset %d of byte %d is not a character of %q", o, i, text)
		}
		if i > 0 && o < n.Offsets[i-1] {
			tb.Fatalf("offsets go back at byte %d: %v", i, n.Offsets)
		}
	}
}

func TestPlainASCII(t *testing.T) {
	for _, s := range []string{"", "a quiet morning", "2024 was a year", "really!", "a b", "x.y", "it's 5 o'clock", "A Quiet Morning", "ကုလား rain",
		"it’s 5 o’clock", "“quoted” – and — that", "snakes 🐍\uFE0F🐀"} {
		if plain, _ := plainASCII(s); !plain {
			t.Errorf("plainASCII(%q) = false", s)
		}
	}
	for _, s := range []string{"é", "v3rmin", "k!ll", "$hit", "a$$", "veeermin", "VEeermin", "a b c", "A.b.C", "@bob", "\u200Bx",
		"x\uFE0F", "🄰", "a…", "a b cက", "a b c🐍", "x 1 y", "Aaa", "hi!there", "$5a"} {
		if plain, _ := plainASCII(s); plain {
			t.Errorf("plainASCII(%q) = true", s)
		}
	}
}
