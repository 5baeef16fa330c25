package classify

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

func TestSimpleNormalizer(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		want       string
		offsets    []int // nil: each byte maps to the start of its rune
		transforms []string
	}{
		{name: "unchanged", text: "plain text 42", want: "plain text 42"},
		{name: "empty", text: "", want: ""},
		{name: "ASCII upper case", text: "AbC", want: "abc", transforms: []string{"casefold"}},
		{name: "two-byte letters", text: "ÇÖp", want: "çöp", transforms: []string{"casefold"}},
		{
			// U+023A (2 bytes) folds to U+2C65 (3 bytes): every output byte
			// maps to the rune that produced it.
			name: "folding changes the length", text: "Ⱥx", want: "ⱥx",
			offsets: []int{0, 0, 0, 2, 3}, transforms: []string{"casefold"},
		},
		{name: "final sigma folds to sigma", text: "ΟΔΟΣ οδος", want: "οδοσ οδοσ", transforms: []string{"casefold"}},
		{name: "long s", text: "ſ", want: "s", offsets: []int{0, 2}, transforms: []string{"casefold"}},
		{
			name: "invisible characters removed", text: "a\u200Bb\u00ADc\u202Ed\u2060e\uFEFF", want: "abcde",
			offsets: []int{0, 4, 7, 11, 15, 19}, transforms: []string{"invisible"},
		},
		{
			name: "both", text: "\u200FA", want: "a",
			offsets: []int{3, 4}, transforms: []string{"casefold", "invisible"},
		},
		{name: "Myanmar unchanged", text: "ကုလား", want: "ကုလား"},
		{name: "not UTF-8 kept byte for byte", text: "A\xffB", want: "a\xffb", offsets: []int{0, 1, 2, 3}, transforms: []string{"casefold"}},
		{name: "joiners outside the list are kept", text: "\u2065\u061C", want: "\u2065\u061C"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := SimpleNormalizer{}.Normalize(tt.text)
			if n.Text != tt.want {
				t.Errorf("Text = %q, want %q", n.Text, tt.want)
			}
			want := tt.offsets
			if want == nil {
				want = runeStarts(tt.text)
			}
			if !reflect.DeepEqual(n.Offsets, want) {
				t.Errorf("Offsets = %v, want %v", n.Offsets, want)
			}
			if !reflect.DeepEqual(n.Transforms, tt.transforms) {
				t.Errorf("Transforms = %q, want %q", n.Transforms, tt.transforms)
			}
		})
	}
}

func TestOriginalSpan(t *testing.T) {
	// "\u200BVER\u00ADMIN!" normalised is "vermin!".
	orig := "\u200BVER\u00ADMIN!"
	n := SimpleNormalizer{}.Normalize(orig)
	tests := []struct {
		name             string
		s, e             int
		wantS, wantE     int
		wantOriginalText string
	}{
		{name: "whole word, soft hyphen inside kept", s: 0, e: 6, wantS: 3, wantE: 11, wantOriginalText: "VER\u00ADMIN"},
		{name: "before the soft hyphen", s: 0, e: 3, wantS: 3, wantE: 6, wantOriginalText: "VER"},
		{name: "after the soft hyphen", s: 3, e: 6, wantS: 8, wantE: 11, wantOriginalText: "MIN"},
		{name: "last byte", s: 6, e: 7, wantS: 11, wantE: 12, wantOriginalText: "!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, e := originalSpan(orig, n.Offsets, tt.s, tt.e)
			if s != tt.wantS || e != tt.wantE || orig[s:e] != tt.wantOriginalText {
				t.Errorf("originalSpan(%d, %d) = %d, %d (%q), want %d, %d (%q)", tt.s, tt.e, s, e, orig[s:e], tt.wantS, tt.wantE, tt.wantOriginalText)
			}
		})
	}
}

// runeStarts is the Offsets of a text that normalises to itself.
func runeStarts(s string) []int {
	offsets := make([]int, 0, len(s)+1)
	for i, r := range s {
		for range utf8.RuneLen(r) {
			offsets = append(offsets, i)
		}
	}
	return append(offsets, len(s))
}
