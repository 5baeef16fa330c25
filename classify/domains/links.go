package domains

import "strings"

// Link is a link found in a post's text.
type Link struct {
	// Host is the link's host as written, in lower case and without a
	// trailing dot ("www." is kept; Lookup ignores it).
	Host string
	// Start and End are the byte offsets of the host in the text, so that a
	// console can highlight the host exactly as the author wrote it.
	Start, End int
}

// Links finds the links in text and returns their hosts, in text order.
// The text is read as written (it is not normalised), and a host is ASCII:
// letters, digits, '-' and '.', so a link written right against Burmese
// or other non-Latin script, without a space, is still found.
//
// Two forms are links:
//   - a URL with a scheme, http:// or https:// in any case, not right after
//     a letter or digit (so a URL inside another one's path or query, as in
//     an archive's or a redirector's link, is found too): the host is what
//     follows the scheme and any "user@", up to a port, path, query,
//     fragment or anything that is not a host character. Its top-level label
//     is any run of two letters or more, or punycode.
//   - a bare domain, such as "example.org/path": two labels or more, not
//     right after a letter, digit, '.', '-', '_', '@', '/' or '\' (so
//     neither an e-mail address nor a file path), whose top-level label is
//     a generic one in common use or a country code (tlds), and which is
//     followed by '/', a port, or the end of the name (a space,
//     punctuation, other script, the end of the text). A top-level label
//     that is also a common file extension ("notes.md", "run.sh",
//     "main.py", "a.zip") is taken only when a '/' or a port follows.
//
// In both forms one or more trailing dots are sentence punctuation, not
// part of the host, and an IP address is not a host. What is not found:
// a bare domain with any other top-level label ("report.pdf", but also a
// real site written bare under a newer label, "news.world"),
// internationalised names written in their own script, and hosts hidden by
// percent-encoding. Two sentences run together without a space can look
// like a domain ("today.It": "it" is Italy's code); that is harmless
// unless the name is on a list. The bare form also accepts ".example"
// (RFC 2606), for examples and tests.
func Links(text string) []Link {
	var links []Link
	for i := 0; i < len(text); {
		if !isAlnum(text[i]) || i > 0 && isAlnum(text[i-1]) {
			i++
			continue
		}
		if j, ok := afterScheme(text, i); ok {
			start, end := schemeHost(text, j)
			if checkDomain(strings.ToLower(text[start:end])) == nil {
				links = append(links, Link{Host: strings.ToLower(text[start:end]), Start: start, End: end})
			}
			i = max(end, j)
			continue
		}
		run := i
		for run < len(text) && isHostByte(text[run]) {
			run++
		}
		if i == 0 || !strings.ContainsRune(".-_@/\\", rune(text[i-1])) {
			if end, ok := bareHost(text, i, run); ok {
				links = append(links, Link{Host: strings.ToLower(text[i:end]), Start: i, End: end})
			}
		}
		i = run
	}
	return links
}

// afterScheme reports whether text[i:] starts with http:// or https://, in
// any case, and returns the offset after it.
func afterScheme(text string, i int) (int, bool) {
	for _, s := range []string{"https://", "http://"} {
		if len(text)-i >= len(s) && strings.EqualFold(text[i:i+len(s)], s) {
			return i + len(s), true
		}
	}
	return i, false
}

// schemeHost returns the span of the host of the URL whose authority starts
// at j: after the last '@' of the authority, up to the first byte that is
// not a host character, less trailing dots.
func schemeHost(text string, j int) (int, int) {
	auth := j
	for auth < len(text) && (isHostByte(text[auth]) || strings.IndexByte("_~!$&'*+,;=:%@", text[auth]) >= 0) {
		auth++
	}
	start := j
	if at := strings.LastIndexByte(text[j:auth], '@'); at >= 0 {
		start = j + at + 1
	}
	end := start
	for end < len(text) && isHostByte(text[end]) {
		end++
	}
	return start, trimDots(text, start, end)
}

// bareHost decides whether the run of host characters text[start:run] is a
// bare domain, and returns the end of its host.
func bareHost(text string, start, run int) (int, bool) {
	if run < len(text) && (text[run] == '_' || text[run] == '@') {
		return 0, false
	}
	end := trimDots(text, start, run)
	host := strings.ToLower(text[start:end])
	if checkDomain(host) != nil {
		return 0, false
	}
	tld := host[strings.LastIndexByte(host, '.')+1:]
	switch {
	case tlds[tld]:
		return end, true
	case fileTLDs[tld]:
		// A path or a port must follow the name itself (not a dot).
		pathOrPort := end == run && run < len(text) &&
			(text[run] == '/' || text[run] == ':' && run+1 < len(text) && isDigit(text[run+1]))
		return end, pathOrPort
	}
	return 0, false
}

// trimDots returns end less the dots that end text[start:end].
func trimDots(text string, start, end int) int {
	for end > start && text[end-1] == '.' {
		end--
	}
	return end
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isAlnum(b byte) bool {
	return isDigit(b) || 'a' <= b|0x20 && b|0x20 <= 'z'
}

// isHostByte reports whether b may be part of a host name as Links reads it.
func isHostByte(b byte) bool { return isAlnum(b) || b == '-' || b == '.' }

// tlds are the top-level labels a bare domain may end in: the generic
// ones in common use and every country code, less fileTLDs. Newer generic
// labels that are everyday words ("world", "today", "page") are left out,
// so that two sentences run together ("hello.world") are not a link.
var tlds = set(
	// Generic, original and common newer ones.
	"com org net info biz edu gov mil int name pro mobi asia xxx "+
		"news media press online site website xyz top live blog club "+
		"app dev store shop tech network social global agency tube wiki cloud "+
		"example", // RFC 2606's, for examples and tests
	// Country codes (ISO 3166-1 and the few others in the root zone).
	"ac ad ae af ag al ao aq ar at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz "+
		"ca cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu "+
		"fi fj fk fm fo fr ga gb ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu "+
		"id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv "+
		"ma mc me mg mh mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om "+
		"pa pe pf pg ph pk pn pr pt pw qa re ro ru rw sa sb sc sd se sg si sk sl sm sn sr ss st su sx sy sz "+
		"tc td tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw",
)

// fileTLDs are top-level labels that are also common file extensions: a
// bare domain ending in one is a link only when a path or a port follows.
var fileTLDs = set("md py sh rs pl pm cc ps so ml mk ai am as tf sv gd ly zip mov")

func set(lists ...string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, s := range strings.Fields(l) {
			m[s] = true
		}
	}
	return m
}
