package convert

import (
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsRule is one entry of a Rabbit rule file: a JavaScript regular
// expression and its replacement, applied with String.prototype.replace and
// the g flag.
type jsRule struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// handTranslated holds the upstream rules that the translator cannot take
// as written, keyed by the upstream pattern, with an equivalent rule it can
// take. A rule file that no longer contains a key makes no difference; a
// new rule the translator cannot take is an error from New, never a silent
// skip.
var handTranslated = map[string]jsRule{
	// Rule 0 collapses a run of one repeated mark with the backreference \1,
	// which RE2 lacks. One alternative per character of the class says the
	// same thing; at most one alternative matches at any position, so exactly
	// one of the six groups takes part in each match and the others expand to
	// nothing.
	"([\u102d\u102e\u103d\u102f\u1037\u1095])\\1+": {
		From: "(\u102d)\u102d+|(\u102e)\u102e+|(\u103d)\u103d+|(\u102f)\u102f+|(\u1037)\u1037+|(\u1095)\u1095+",
		To:   "$1$2$3$4$5$6",
	},
	// Rule 117 puts two lookaheads in alternation inside a capturing group
	// that never captures anything (lookaheads are empty). One trailing
	// lookahead holding the alternation is the same test, and the
	// replacement uses no group.
	"\u1047((?=[\u1000-\u1021]\u103a)|(?=[\u102c-\u1030\u1032\u1036-\u1038\u103d\u103e]))": {
		From: "\u1047(?=[\u1000-\u1021]\u103a|[\u102c-\u1030\u1032\u1036-\u1038\u103d\u103e])",
		To:   "\u101b",
	},
}

// Lookahead kinds of a rule.
const (
	noLookahead = iota
	positiveLookahead
	negativeLookahead
)

// rule is one compiled rewrite.
//
// A JavaScript rule X(?=Y) is compiled to the RE2 expression (?:X)(Y):
// RE2's leftmost-first matching tries X's alternatives in the same order as
// a backtracking engine, so it finds the same match, but it consumes Y. The
// replacement therefore covers only X (up to where the last group, Y,
// starts) and the next search starts there, as in JavaScript, so a Y that
// begins the next match is not lost.
//
// A rule X(?!Y) is compiled to X, and each match of X is kept only when Y
// does not match right after it; a rejected match is retried one rune
// further on. That is exact only when X can match in one way at a given
// position, so the translator refuses an X with alternation or repetition.
type rule struct {
	index     int            // position in the rule file, for messages
	re        *regexp.Regexp // X, or (?:X)(Y) for a positive lookahead
	tmpl      string         // replacement in regexp.Expand syntax
	lookahead int            // noLookahead, positiveLookahead or negativeLookahead
	aheadGrp  int            // positive: number of the group holding Y
	ahead     *regexp.Regexp // negative: ^(?:Y)
	anchored  bool           // X starts with ^: only a match at offset 0 counts
	needs     runeSet        // every match contains one of these
}

// compileRules parses a Rabbit rule file and translates every rule to RE2.
func compileRules(data []byte) ([]rule, error) {
	var js []jsRule
	if err := json.Unmarshal(data, &js); err != nil {
		return nil, fmt.Errorf("parse rule file: %w", err)
	}
	if len(js) == 0 {
		return nil, fmt.Errorf("parse rule file: no rules")
	}
	rules := make([]rule, 0, len(js))
	for i, jr := range js {
		r, err := translateRule(jr)
		if err == nil {
			r.needs, err = needs(r.re)
		}
		if err != nil {
			return nil, fmt.Errorf("rule %d %q: %w", i, jr.From, err)
		}
		r.index = i
		rules = append(rules, r)
	}
	return rules, nil
}

// translateRule turns one JavaScript rule into a compiled rule.
func translateRule(jr jsRule) (rule, error) {
	if h, ok := handTranslated[jr.From]; ok {
		jr = h
	}
	p, err := scanPattern(jr.From)
	if err != nil {
		return rule{}, err
	}
	r := rule{anchored: strings.HasPrefix(p.main, "^")}
	r.tmpl, err = translateReplacement(jr.To, p.groups)
	if err != nil {
		return rule{}, err
	}
	switch p.lookahead {
	case noLookahead:
		r.re, err = regexp.Compile(p.main)
	case positiveLookahead:
		r.lookahead = positiveLookahead
		r.aheadGrp = p.groups + 1
		r.re, err = regexp.Compile("(?:" + p.main + ")(" + p.ahead + ")")
	case negativeLookahead:
		if p.ambiguous {
			return rule{}, fmt.Errorf("negative lookahead after a pattern with alternation or repetition is not supported")
		}
		r.lookahead = negativeLookahead
		if r.re, err = regexp.Compile(p.main); err != nil {
			break
		}
		r.ahead, err = regexp.Compile("^(?:" + p.ahead + ")")
	}
	if err != nil {
		return rule{}, fmt.Errorf("compile: %w", err)
	}
	if r.lookahead != noLookahead && p.contextual {
		return rule{}, fmt.Errorf("word boundary or inner anchor in a lookahead rule is not supported")
	}
	return r, nil
}

// needs returns the characters one of which every match of re contains.
// Convert skips a rule whose characters the text lacks, so a rule with no
// such set (one that could match text with no Myanmar in it) is refused.
func needs(re *regexp.Regexp) (runeSet, error) {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return runeSet{}, fmt.Errorf("parse compiled pattern: %w", err)
	}
	set, ok := neededRunes(parsed)
	if !ok {
		return runeSet{}, fmt.Errorf("pattern can match text with no Myanmar character and no zero-width space")
	}
	return set, nil
}

// neededRunes returns a set of Myanmar characters (and U+200B) of which
// every match of re contains at least one, preferring a small set, and
// false if there is none.
func neededRunes(re *syntax.Regexp) (runeSet, bool) {
	var set runeSet
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return set, false
		}
		for _, r := range re.Rune {
			if bit, ok := runeBit(r); ok {
				set.add(bit)
				return set, true
			}
		}
	case syntax.OpCharClass:
		for i := 0; i < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				bit, ok := runeBit(r)
				if !ok {
					return runeSet{}, false
				}
				set.add(bit)
			}
		}
		return set, len(re.Rune) > 0
	case syntax.OpConcat:
		found := false
		for _, sub := range re.Sub {
			if s, ok := neededRunes(sub); ok && (!found || s.size() < set.size()) {
				set, found = s, true
			}
		}
		return set, found
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			s, ok := neededRunes(sub)
			if !ok {
				return runeSet{}, false
			}
			set = runeSet{set[0] | s[0], set[1] | s[1], set[2] | s[2]}
		}
		return set, true
	case syntax.OpCapture, syntax.OpPlus:
		return neededRunes(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min > 0 {
			return neededRunes(re.Sub[0])
		}
	}
	return runeSet{}, false
}

// pattern is a JavaScript pattern rewritten in RE2 syntax and split at its
// trailing lookahead, if it has one.
type pattern struct {
	main       string // RE2 text of X
	ahead      string // RE2 text of Y, the lookahead's body
	lookahead  int    // noLookahead, positiveLookahead or negativeLookahead
	groups     int    // capturing groups in X
	ambiguous  bool   // X has alternation or repetition
	contextual bool   // X has \b, \B or a ^ past its start, which depend on text before a search offset
}

// scanPattern rewrites the JavaScript-only syntax of p into RE2 syntax and
// splits off a lookahead that ends the pattern at top level. It rejects what
// RE2 cannot express (backreferences, lookbehind, any other lookahead) and
// escapes whose meaning differs between the two (\s, \S).
func scanPattern(p string) (pattern, error) {
	var out strings.Builder
	var res pattern
	type open struct {
		kind  int // noLookahead for an ordinary group
		start int // offset in out just after the opening syntax
		outer int // offset in out of the '('
	}
	var stack []open
	inClass := false
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return pattern{}, fmt.Errorf("pattern ends with a backslash")
			}
			e := p[i+1]
			switch {
			case e >= '1' && e <= '9' && !inClass:
				return pattern{}, fmt.Errorf("backreference \\%c is not supported by RE2", e)
			case e == 's' || e == 'S':
				return pattern{}, fmt.Errorf("\\%c differs between JavaScript and RE2", e)
			case (e == 'b' || e == 'B') && !inClass:
				res.contextual = true
				out.WriteString(p[i : i+2])
			case e == 'u' && i+6 <= len(p) && isHex(p[i+2:i+6]):
				out.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 6
				continue
			default:
				out.WriteString(p[i : i+2])
			}
			i += 2
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if strings.HasPrefix(p[i+1:], "]") || strings.HasPrefix(p[i+1:], "^]") {
				return pattern{}, fmt.Errorf("empty or leading-] character class is not supported")
			}
		case c == '(':
			kind, skip := noLookahead, 1
			switch {
			case strings.HasPrefix(p[i:], "(?="):
				kind, skip = positiveLookahead, 3
			case strings.HasPrefix(p[i:], "(?!"):
				kind, skip = negativeLookahead, 3
			case strings.HasPrefix(p[i:], "(?<=") || strings.HasPrefix(p[i:], "(?<!"):
				return pattern{}, fmt.Errorf("lookbehind is not supported by RE2")
			case strings.HasPrefix(p[i:], "(?:"):
				skip = 3
			case strings.HasPrefix(p[i:], "(?"):
				return pattern{}, fmt.Errorf("group syntax %q is not supported", p[i:min(i+4, len(p))])
			default:
				if res.lookahead == noLookahead {
					res.groups++ // groups inside a lookahead are not X's
				}
			}
			if kind != noLookahead && (len(stack) > 0 || res.lookahead != noLookahead) {
				return pattern{}, fmt.Errorf("a lookahead is supported only once, at the end of the pattern")
			}
			if kind != noLookahead {
				res.lookahead = kind
			}
			outer := out.Len()
			if kind == noLookahead {
				out.WriteString(p[i : i+skip])
			}
			stack = append(stack, open{kind: kind, start: out.Len(), outer: outer})
			i += skip
			continue
		case c == ')':
			if len(stack) == 0 {
				return pattern{}, fmt.Errorf("unbalanced )")
			}
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if g.kind != noLookahead {
				if i != len(p)-1 {
					return pattern{}, fmt.Errorf("a lookahead is supported only at the end of the pattern")
				}
				s := out.String()
				res.main, res.ahead = s[:g.outer], s[g.start:]
				return res, nil
			}
		case c == '.':
			// JavaScript's dot excludes every line terminator, RE2's only \n.
			out.WriteString(`[^\n\r\x{2028}\x{2029}]`)
			i++
			continue
		case c == '^' && i > 0:
			res.contextual = true
		}
		if res.lookahead == noLookahead && !inClass && strings.IndexByte("|*+?{", c) >= 0 {
			res.ambiguous = true
		}
		out.WriteByte(c)
		i++
	}
	if inClass || len(stack) > 0 {
		return pattern{}, fmt.Errorf("unterminated class or group")
	}
	res.main = out.String()
	return res, nil
}

func isHex(s string) bool {
	_, err := strconv.ParseUint(s, 16, 32)
	return err == nil
}

// translateReplacement turns a JavaScript replacement string into the
// template syntax of regexp.Expand: $n and $nn become ${n}, $& becomes
// ${0}, $$ stays $$, and any other $ is a literal dollar. A reference to a
// group the pattern does not have is an error rather than JavaScript's
// literal text, because in this rule set it can only mean a translation
// mistake.
func translateReplacement(to string, groups int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(to); {
		c := to[i]
		if c != '$' || i+1 >= len(to) {
			if c == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		e := to[i+1]
		switch {
		case e == '$':
			b.WriteString("$$")
			i += 2
		case e == '&':
			b.WriteString("${0}")
			i += 2
		case e == '`' || e == '\'':
			return "", fmt.Errorf("replacement $%c is not supported", e)
		case e >= '0' && e <= '9':
			n, w := int(e-'0'), 2
			// JavaScript reads two digits when they name an existing group.
			if i+2 < len(to) && to[i+2] >= '0' && to[i+2] <= '9' {
				if nn := n*10 + int(to[i+2]-'0'); nn >= 1 && nn <= groups {
					n, w = nn, 3
				}
			}
			if n < 1 || n > groups {
				return "", fmt.Errorf("replacement refers to group %d of %d", n, groups)
			}
			b.WriteString("${" + strconv.Itoa(n) + "}")
			i += w
		default:
			b.WriteString("$$")
			i++
		}
	}
	return b.String(), nil
}

// apply rewrites every match of r in s, with the semantics of JavaScript's
// s.replace(/from/g, to).
func (r *rule) apply(s string) string {
	if r.lookahead == noLookahead {
		return r.re.ReplaceAllString(s, r.tmpl)
	}
	var b []byte
	changed := false
	pos, copied := 0, 0
	for pos <= len(s) && !(r.anchored && pos > 0) {
		m := r.re.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			break
		}
		start, end := pos+m[0], pos+m[1]
		if r.lookahead == positiveLookahead {
			// The match proper ends where the lookahead's text starts.
			m[1] = m[2*r.aheadGrp]
			end = pos + m[1]
		} else if r.ahead.MatchString(s[end:]) {
			if start >= len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[start:])
			pos = start + w
			continue
		}
		changed = true
		b = append(b, s[copied:start]...)
		b = r.re.ExpandString(b, r.tmpl, s[pos:], m)
		copied, pos = end, end
		if end == start {
			// An empty match: step over one rune, as JavaScript steps
			// lastIndex, so the loop ends.
			if end >= len(s) {
				break
			}
			_, w := utf8.DecodeRuneInString(s[end:])
			pos = end + w
		}
	}
	if !changed {
		return s
	}
	b = append(b, s[copied:]...)
	return string(b)
}
