package classify

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/myanmar/syllable"
)

func tokenStrings(s string) []string {
	var got []string
	for _, t := range scan(s, nil) {
		got = append(got, s[t.start:t.end])
		if t.hash != hashString(s[t.start:t.end]) {
			panic("hash of " + s[t.start:t.end] + " differs from hashString")
		}
	}
	return got
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{name: "empty", text: ""},
		{name: "words and punctuation", text: "Hello, world! it's 2026.",
			want: []string{"Hello", "world", "it", "s", "2026"}},
		{name: "letters with marks", text: "cafe\u0301 naïve", want: []string{"cafe\u0301", "naïve"}},
		{name: "Burmese: one token per syllable, runs split at spaces and section marks", text: "ဒီကုလားတွေ ကို၊ သတ်။",
			want: []string{"ဒီ", "ကု", "လား", "တွေ", "ကို", "သတ်"}},
		{name: "a killed consonant stays in its syllable", text: "ကုလားန်", want: []string{"ကု", "လားန်"}},
		{name: "stacked consonants are one syllable", text: "ကမ္ဘာ", want: []string{"ကမ္ဘာ"}},
		{name: "a run of Myanmar digits is one token", text: "၂၀၂၆ခုနှစ်", want: []string{"၂၀၂၆", "ခု", "နှစ်"}},
		{name: "script change splits", text: "abcကုလားdef", want: []string{"abc", "ကု", "လား", "def"}},
		{name: "each emoji a word, variation selectors dropped", text: "so🐍\uFE0F🐍!",
			want: []string{"so", "🐍", "🐍"}},
		{name: "other scripts are words", text: "Привет мир 你好", want: []string{"Привет", "мир", "你好"}},
		{name: "bytes that are not UTF-8 separate", text: "ab\xffcd", want: []string{"ab", "cd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tokenStrings(tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestScanHashFoldsASCIICase(t *testing.T) {
	a, b := scan("Vermin", nil), scan("vermin", nil)
	if a[0].hash != b[0].hash {
		t.Error("Vermin and vermin hash differently")
	}
	if c := scan("vermim", nil); c[0].hash == b[0].hash {
		t.Error("vermim and vermin hash alike")
	}
}

// myanmarSample is text of Myanmar script only, for comparing scan with
// package syllable.
var myanmarSample = []string{
	"ကုလားထိုင်", "ကုလားန်", "ကျွန်ုပ်", "အင်္ဂလိပ်", "မင်္ဂလာပါ", "ဗုဒ္ဓ", "ညဥ့်", "သင့်", "သင့်",
	"၎င်း", "၉၆၉", "ဥက္ကဋ္ဌ", "ဦးဆောင်", "ဧည့်သည်", "ကုလားပဲ", "ေက", "ာကာ", "ႀကီး", "ꩠꩡ", "ꧠꧡ",
}

// TestScanAgreesWithSyllable: inside a run of Myanmar script, the tokens are
// exactly package syllable's syllables.
func TestScanAgreesWithSyllable(t *testing.T) {
	for _, s := range myanmarSample {
		checkScanAgrees(t, s)
	}
}

func FuzzScanAgreesWithSyllable(f *testing.F) {
	for _, s := range myanmarSample {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Keep the Myanmar runes only (and no section marks): one run.
		var b strings.Builder
		for _, r := range s {
			if isMyanmar(r) && r != 0x104A && r != 0x104B {
				b.WriteRune(r)
			}
		}
		checkScanAgrees(t, b.String())
	})
}

func checkScanAgrees(t *testing.T, s string) {
	t.Helper()
	if s == "" || !utf8.ValidString(s) {
		return
	}
	want := syllable.Boundaries(s)
	var got []int
	for _, tk := range scan(s, nil) {
		got = append(got, int(tk.start))
	}
	got = append(got, len(s))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scan(%q) breaks at %v, syllable.Boundaries at %v", s, got, want)
	}
}
