package classify

import (
	"reflect"
	"testing"
)

func TestTokenize(t *testing.T) {
	type tok struct {
		text string
		kind tokenKind
	}
	tests := []struct {
		name string
		text string
		want []tok
	}{
		{name: "empty", text: ""},
		{name: "words and punctuation", text: "Hello, world! it's 2026.",
			want: []tok{{"Hello", tokWord}, {"world", tokWord}, {"it", tokWord}, {"s", tokWord}, {"2026", tokWord}}},
		{name: "letters with marks", text: "cafe\u0301 naïve",
			want: []tok{{"cafe\u0301", tokWord}, {"naïve", tokWord}}},
		{name: "Myanmar runs split at spaces and section marks", text: "ဒီကုလားတွေ ကို၊ သတ်။",
			want: []tok{{"ဒီကုလားတွေ", tokMyanmar}, {"ကို", tokMyanmar}, {"သတ်", tokMyanmar}}},
		{name: "Myanmar digits are Myanmar", text: "၂၀၂၆ခုနှစ်",
			want: []tok{{"၂၀၂၆ခုနှစ်", tokMyanmar}}},
		{name: "script change splits", text: "abcကုလားdef",
			want: []tok{{"abc", tokWord}, {"ကုလား", tokMyanmar}, {"def", tokWord}}},
		{name: "each emoji a word, variation selectors dropped", text: "so🐍\uFE0F🐍!",
			want: []tok{{"so", tokWord}, {"🐍", tokSymbol}, {"🐍", tokSymbol}}},
		{name: "other scripts are words", text: "Привет мир 你好",
			want: []tok{{"Привет", tokWord}, {"мир", tokWord}, {"你好", tokWord}}},
		{name: "bytes that are not UTF-8 separate", text: "ab\xffcd",
			want: []tok{{"ab", tokWord}, {"cd", tokWord}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []tok
			for _, tk := range tokenize(tt.text, nil) {
				got = append(got, tok{tt.text[tk.start:tk.end], tk.kind})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestRuneTrie(t *testing.T) {
	a, b, c := &term{id: "a"}, &term{id: "b"}, &term{id: "c"}
	trie := newRuneTrie(map[string][]*term{"ကု": {a}, "ကုလား": {b, c}, "လား": {a}})
	tests := []struct {
		name string
		text string
		from int
		want []int // end offsets reported
	}{
		{name: "prefix and longer", text: "ကုလားထိုင်", want: []int{6, 15}},
		{name: "shorter only", text: "ကုသိုလ်", want: []int{6}},
		{name: "other start", text: "ကုလား", from: 6, want: []int{15}},
		{name: "none", text: "ထိုင်"},
		{name: "text ends mid-term", text: "ကုလ", want: []int{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			trie.walk(tt.text, tt.from, func(end int, terms []*term) { got = append(got, end) })
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("walk = %v, want %v", got, tt.want)
			}
		})
	}
	if e := newRuneTrie(nil); !e.empty() {
		t.Error("empty trie is not empty")
	}
}
