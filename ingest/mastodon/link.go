package mastodon

import (
	"fmt"
	"strings"
)

// link is one link-value of a Link header (RFC 8288 §3): its target as
// written, and its relation types, lower-cased.
type link struct {
	target string
	rels   []string
}

// parseLinks parses every Link header value, e.g.
//
//	<https://mastodon.example/api/v1/timelines/public?max_id=1>; rel="next", <https://mastodon.example/api/v1/timelines/public?min_id=2>; rel="prev"
//
// following RFC 8288: link-values separated by commas (a comma inside the
// <...> target or a quoted string does not split), parameters after ';',
// values as tokens or quoted strings with backslash escapes, rel holding
// space-separated relation types, and only a link's first rel counting
// (§3.3). It returns the links parsed before a syntax error, and the error.
func parseLinks(values []string) ([]link, error) {
	var out []link
	for _, v := range values {
		ls, err := parseLinkValue(v)
		out = append(out, ls...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func parseLinkValue(s string) ([]link, error) {
	var out []link
	i := 0
	for {
		// Empty list elements (", ,") are allowed by the #rule (RFC 9110 §5.6.1).
		for i < len(s) && (s[i] == ',' || isOWS(s[i])) {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		if s[i] != '<' {
			return out, fmt.Errorf("link header: expected '<' at byte %d", i)
		}
		end := strings.IndexByte(s[i+1:], '>')
		if end < 0 {
			return out, fmt.Errorf("link header: '<' at byte %d is not closed", i)
		}
		l := link{target: strings.TrimSpace(s[i+1 : i+1+end])}
		i += end + 2
		relSeen := false
		for {
			i = skipOWS(s, i)
			if i >= len(s) || s[i] == ',' {
				break
			}
			if s[i] != ';' {
				return out, fmt.Errorf("link header: expected ';' or ',' at byte %d", i)
			}
			i = skipOWS(s, i+1)
			j := i
			for j < len(s) && isTokenChar(s[j]) {
				j++
			}
			name := strings.ToLower(s[i:j])
			i = skipOWS(s, j)
			var val string
			if i < len(s) && s[i] == '=' {
				i = skipOWS(s, i+1)
				if i < len(s) && s[i] == '"' {
					var err error
					if val, i, err = quotedString(s, i); err != nil {
						return out, err
					}
				} else {
					j := i
					for j < len(s) && isTokenChar(s[j]) {
						j++
					}
					val, i = s[i:j], j
				}
			}
			if name == "" && val == "" {
				continue // a stray ';' before ',' or the end
			}
			if name == "" {
				return out, fmt.Errorf("link header: parameter without a name at byte %d", i)
			}
			if name == "rel" && !relSeen {
				relSeen = true
				l.rels = strings.Fields(strings.ToLower(val))
			}
		}
		out = append(out, l)
	}
}

// quotedString reads the quoted-string starting at s[i] == '"'.
func quotedString(s string, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) {
				j++
				b.WriteByte(s[j])
			}
		case '"':
			return b.String(), j + 1, nil
		default:
			b.WriteByte(s[j])
		}
	}
	return "", len(s), fmt.Errorf("link header: quoted string at byte %d is not closed", i)
}

func skipOWS(s string, i int) int {
	for i < len(s) && isOWS(s[i]) {
		i++
	}
	return i
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// isTokenChar reports whether c may appear in an RFC 9110 token.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// relLink returns the target of the first link with relation type rel
// ("prev" also matches its registered synonym "previous"), or "".
func relLink(links []link, rel string) string {
	for _, l := range links {
		for _, r := range l.rels {
			if r == rel || rel == "prev" && r == "previous" {
				return l.target
			}
		}
	}
	return ""
}

// compareIDs orders two status IDs. Mastodon's are decimal strings of
// snowflake-like integers ("cast from an integer but not guaranteed to be
// a number"): two all-digit IDs compare as numbers; any other pair (other
// servers' ULIDs and the like) compares by length, then bytewise.
func compareIDs(a, b string) int {
	if allDigits(a) && allDigits(b) {
		a, b = trimZeros(a), trimZeros(b)
	}
	switch {
	case len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}
