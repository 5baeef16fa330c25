// Package domains loads domain lists: CSV files that name web sites known
// to monitors (disinformation sites, state media, the sites of
// military-owned businesses), so that a post linking to one of them is
// flagged. The classify package finds the links in a post's text (Links)
// and looks each host up in the merged Lists; a hit counts as a match of
// the entry's lexicon category.
//
// A file has a header naming its columns, in any order, from
// domain,list,category,note,source; domain, list and category are
// required. Blank lines and lines starting with '#' are skipped. Like
// lexicons and account lists, the files are edited by hand, so every
// problem is reported with its file and line, all at once.
//
// Domains are compared in a normal form (Normalize): lower case, without a
// trailing dot or a leading "www.". An entry covers the domain itself and
// every subdomain: "example.org" covers "news.example.org", but never a
// name that merely ends in the same letters ("badexample.org").
// Internationalised domain names are not converted: both lists and links
// are ASCII, so write such a name in its punycode ("xn--") form, as links
// in posts usually carry it.
package domains

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/classify/csvfile"
	"github.com/vigilhq/vigil/classify/problem"
)

// Columns are the columns a list file may have, in their usual order.
var Columns = []string{"domain", "list", "category", "note", "source"}

var required = []string{"domain", "list", "category"}

// Entry is one domain on one list.
type Entry struct {
	// Domain is normalised (see Normalize).
	Domain string
	List   string
	// Category is the lexicon category a link to the domain counts in.
	Category string
	Note     string
	Source   string
	// File and Line say where the entry was read.
	File string
	Line int
}

// Lists is a set of domain-list entries, looked up by host. A nil *Lists
// holds no entries. It is safe for concurrent reads.
type Lists struct {
	byDomain map[string][]Entry
	n        int
}

// Load reads and parses the list file name from fsys.
func Load(fsys fs.FS, name string) (*Lists, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read domain list: %w", err)
	}
	return Parse(name, data)
}

// LoadFiles loads several list files from fsys and merges them, reporting
// the problems of every file.
func LoadFiles(fsys fs.FS, names ...string) (*Lists, error) {
	all, err := problem.LoadAll(fsys, names, Load)
	if err != nil {
		return nil, err
	}
	return Merge(all...)
}

// Parse parses one list file; file names it in problems. When anything is
// wrong it returns nil and Problems listing every problem found.
func Parse(file string, data []byte) (*Lists, error) {
	var probs Problems
	lists := &Lists{byDomain: map[string][]Entry{}}
	csvfile.Read(file, data, csvfile.Schema{Columns: Columns, Required: required}, &probs, func(row csvfile.Row) {
		e := Entry{List: row.Field("list"), Category: row.Field("category"), Note: row.Field("note"), Source: row.Field("source"), File: file, Line: row.Line}
		if check(&e, row.Field("domain"), &probs) {
			lists.add(e, &probs)
		}
	})
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return lists, nil
}

// check validates an entry's fields and sets its normalised domain.
func check(e *Entry, domain string, probs *Problems) bool {
	n := len(*probs)
	if d, err := Normalize(domain); err != nil {
		probs.Add(e.File, e.Line, "%v", err)
	} else {
		e.Domain = d
	}
	if e.List == "" {
		probs.Add(e.File, e.Line, "list is empty")
	}
	csvfile.CheckCategory(probs, e.File, e.Line, e.Category)
	return len(*probs) == n
}

// add adds an entry, refusing a second (domain, list).
func (l *Lists) add(e Entry, probs *Problems) {
	for _, old := range l.byDomain[e.Domain] {
		if old.List == e.List {
			probs.Add(e.File, e.Line, "duplicate entry %s on list %q (first at %s)", e.Domain, e.List, problem.Place(old.File, old.Line, e.File))
			return
		}
	}
	l.byDomain[e.Domain] = append(l.byDomain[e.Domain], e)
	l.n++
}

// Merge combines lists; a domain on the same list in two of them is a
// problem naming both places.
func Merge(ls ...*Lists) (*Lists, error) {
	out := &Lists{byDomain: map[string][]Entry{}}
	var probs Problems
	for _, l := range ls {
		for _, e := range l.Entries() {
			out.add(e, &probs)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Lookup returns the entries that cover host: those for the host itself
// and for each domain it is a subdomain of, the most specific domain
// first, then by list. host is normalised first; nil when it is not a
// valid domain or nothing covers it. The result is the caller's to keep.
func (l *Lists) Lookup(host string) []Entry {
	if l.Len() == 0 {
		return nil
	}
	d, err := Normalize(host)
	if err != nil {
		return nil
	}
	var out []Entry
	for {
		if es := l.byDomain[d]; len(es) > 0 {
			n := len(out)
			out = append(out, es...)
			slices.SortFunc(out[n:], func(a, b Entry) int { return strings.Compare(a.List, b.List) })
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return out
		}
		d = d[i+1:] // the parent domain, at a label boundary
	}
}

// Len is the number of entries.
func (l *Lists) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// Entries returns every entry, sorted by domain and list.
func (l *Lists) Entries() []Entry {
	if l == nil {
		return nil
	}
	out := make([]Entry, 0, l.n)
	for _, es := range l.byDomain {
		out = append(out, es...)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(a.Domain, b.Domain), strings.Compare(a.List, b.List))
	})
	return out
}

// Normalize returns domain in the form lists compare: lower case, without
// one trailing dot (the DNS root) and without a leading "www." (when a
// domain of two labels or more remains). It refuses what is not a domain
// name of two labels or more: a URL, a name with a character other than
// ASCII letters, digits, '-' and '.', an empty or over-long label, a label
// that starts or ends with '-', a top-level label that is not letters
// (or "xn--" punycode), so IP addresses too. Internationalised names are
// not converted: write them in punycode.
func Normalize(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(domain))
	d = strings.TrimSuffix(d, ".")
	if rest, ok := strings.CutPrefix(d, "www."); ok && strings.Contains(rest, ".") {
		d = rest
	}
	if d == "" {
		return "", errors.New("domain is empty")
	}
	if err := checkDomain(d); err != nil {
		return "", fmt.Errorf("domain %q: %v", domain, err)
	}
	return d, nil
}

// checkDomain checks the syntax of a lower-case domain name.
func checkDomain(d string) error {
	switch {
	case strings.Contains(d, "/") || strings.Contains(d, ":") || strings.Contains(d, "@"):
		return errors.New("write the domain alone, without scheme, port, path or user")
	case strings.IndexFunc(d, func(r rune) bool { return r >= 0x80 }) >= 0:
		return errors.New("not ASCII: write an internationalised name in its punycode (xn--) form")
	case len(d) > 253:
		return errors.New("longer than 253 bytes")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return errors.New("a domain has at least two labels, as in example.org")
	}
	for _, lb := range labels {
		switch {
		case lb == "":
			return errors.New("empty label")
		case len(lb) > 63:
			return fmt.Errorf("label %q is longer than 63 bytes", lb)
		case strings.IndexFunc(lb, func(r rune) bool { return !isHostByte(byte(r)) || r == '.' }) >= 0:
			return errors.New("only letters a-z, digits, '-' and '.' are allowed")
		case lb[0] == '-' || lb[len(lb)-1] == '-':
			return fmt.Errorf("label %q starts or ends with '-'", lb)
		}
	}
	if tld := labels[len(labels)-1]; !isTLD(tld) {
		return fmt.Errorf("top-level label %q is not letters or xn-- punycode", tld)
	}
	return nil
}

// isTLD reports whether s has the shape of a top-level label: two letters
// or more, or punycode.
func isTLD(s string) bool {
	if strings.HasPrefix(s, "xn--") {
		return len(s) > 4
	}
	if len(s) < 2 {
		return false
	}
	for i := range len(s) {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
