package convert

import (
	"encoding/json"
	"strings"
	"testing"
)

// Expected results are what JavaScript's s.replace(new RegExp(from, "g"), to)
// returns.
func TestTranslateRule(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, in, want string
	}{
		{"plain", "a", "b", "banana", "bbnbnb"},
		{"group to ${n}", "(a)(n)", "$2$1", "banana", "bnanaa"},
		{"group followed by a digit", "(a)", "$10", "ab", "a0b"},
		{"whole match", "an", "[$&]", "banana", "b[an][an]a"},
		{"dollars", "a", "$$ $x $", "ba", "b$ $x $"},
		{"optional group that did not take part", "(x)?a", "<$1>", "xaa", "<x><>"},
		// A lookahead does not consume, so its text can begin the next match.
		{"positive lookahead overlaps", "a(?=a)", "b", "aaa", "bba"},
		{"positive lookahead keeps groups", "(a)(?=n)", "[$1]", "banana", "b[a]n[a]na"},
		{"positive lookahead with alternation", "a(?=x|n)", "A", "anaxab", "AnAxab"},
		{"positive lookahead at end of text", "a(?=$)", "A", "aaa", "aaA"},
		{"positive lookahead anchored", "^a(?=a)", "b", "aaa", "baa"},
		{"negative lookahead", "a(?!b)", "x", "aab ab a", "xab ab x"},
		{"negative lookahead retried one rune on", "aa(?!a)", "X", "aaa", "aX"},
		{"negative lookahead of two forms", "o(?! ?/)", "0", "o/ o /o o", "o/ o /0 0"},
		{"negative lookahead anchored", "^a(?!a)", "X", "aa a", "aa a"},
		{"backreference by hand", "(x)x+|(y)y+", "$1$2", "xxxayyb", "xayb"},
		{"dot excludes line terminators", "a.", "_", "a\rab", "a\r_"},
		{"unicode escape", "\\u1000", "k", "\u1000a", "ka"},
		{"Myanmar rule 60", "\u1047(?=[\u102c-\u1030\u1032\u1036-\u1038\u103d\u1038])", "\u101b", "\u1047\u102c\u1047", "\u101b\u102c\u1047"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := translateRule(jsRule{From: tc.from, To: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.apply(tc.in); got != tc.want {
				t.Errorf("%q -> %q on %q = %q, want %q", tc.from, tc.to, tc.in, got, tc.want)
			}
		})
	}
}

func TestTranslateRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, wantErr string
	}{
		{"backreference", `(a)\1`, "", "backreference"},
		{"lookbehind", `(?<=a)b`, "", "lookbehind"},
		{"lookahead not at end", `a(?=b)c`, "", "only at the end"},
		{"lookahead in a group", `(a(?=b))`, "", "only once"},
		{"two lookaheads", `a(?=b)(?=c)`, "", "only"},
		{"negative lookahead after repetition", `a+(?!b)`, "", "alternation or repetition"},
		{"word boundary with lookahead", `\ba(?=b)`, "", "word boundary"},
		{"unicode whitespace class", `\s`, "", "differs"},
		{"missing group", `(a)`, "$2", "group 2 of 1"},
		{"lookahead group in replacement", `a(?=(b))`, "$1", "group 1 of 0"},
		{"prefix replacement", `a`, "$`", "not supported"},
		{"unbalanced", `a)`, "", "unbalanced"},
		{"unterminated", `[a`, "", "unterminated"},
		{"named group", `(?<n>a)`, "", "not supported"},
		{"bad RE2", `a{2,1}`, "", "compile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := translateRule(jsRule{From: tc.from, To: tc.to})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("translateRule(%q, %q) error = %v, want one containing %q", tc.from, tc.to, err, tc.wantErr)
			}
		})
	}
}

func TestCompileRulesErrors(t *testing.T) {
	for name, data := range map[string]string{
		"not JSON":       "{",
		"empty":          "[]",
		"untranslatable": `[{"from": "\u1000", "to": "b"}, {"from": "(a)\\1", "to": "$1"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := compileRules([]byte(data)); err == nil {
				t.Errorf("compileRules(%s) succeeded, want an error", data)
			}
		})
	}
}

// Every hand-translated rule must still be in the shipped rule file; one
// that is not means the file changed upstream and the table needs review.
func TestHandTranslatedRulesAreUsed(t *testing.T) {
	var js []jsRule
	if err := json.Unmarshal(rabbitZg2Uni, &js); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range js {
		seen[r.From] = true
	}
	for from := range handTranslated {
		if !seen[from] {
			t.Errorf("hand-translated rule %+q is not in rules/rabbit-zg2uni.json", from)
		}
	}
}
