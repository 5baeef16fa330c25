// Package brands loads brand lists: CSV files that name the brands of
// companies monitors track, above all the military-owned conglomerates of
// Myanmar and their products (a beer, a telecom, a bank, a cement), whose
// promotion funds the military and whose pages advocates ask platforms to
// take down. A brand name in a post's text is a match of the entry's
// lexicon category, a category of its own (say military_business), found
// by the classifier's matcher like any term: on word or syllable
// boundaries, after the same normalisation, so "MYANMAR-BEER" and a
// Zawgyi-typed Burmese name are found too.
//
// A file has a header naming its columns, in any order, from
// brand,owner,category,note,source; brand, owner and category are
// required. Write each spelling of a brand (English, Burmese, a
// romanisation) as a row of its own. Blank lines and lines starting with
// '#' are skipped. Every problem is reported with its file and line, all at
// once, as for lexicons, account and domain lists.
package brands

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/classify/csvfile"
	"github.com/vigilhq/vigil/classify/problem"
)

// Columns are the columns a list file may have, in their usual order.
var Columns = []string{"brand", "owner", "category", "note", "source"}

var required = []string{"brand", "owner", "category"}

// TermIDPrefix begins the TermID of a match made by a brand list:
// "brand:" and the brand as written in the list.
const TermIDPrefix = "brand:"

// Entry is one spelling of one brand.
type Entry struct {
	// Brand is the name as the list writes it, spaces trimmed.
	Brand string
	// Owner is the company that owns the brand.
	Owner string
	// Category is the lexicon category a mention counts in.
	Category string
	Note     string
	Source   string
	// File and Line say where the entry was read.
	File string
	Line int
}

// TermID is the TermID of the entry's matches.
func (e Entry) TermID() string { return TermIDPrefix + e.Brand }

// Lists is a set of brand-list entries. A nil *Lists holds no entries.
type Lists struct {
	entries []Entry
}

// Load reads and parses the list file name from fsys.
func Load(fsys fs.FS, name string) (*Lists, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read brand list: %w", err)
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
// wrong it returns nil and a problem.List of every problem found.
func Parse(file string, data []byte) (*Lists, error) {
	var probs problem.List
	l := &Lists{}
	csvfile.Read(file, data, csvfile.Schema{Columns: Columns, Required: required}, &probs, func(row csvfile.Row) {
		e := Entry{
			Brand: strings.TrimSpace(row.Field("brand")), Owner: strings.TrimSpace(row.Field("owner")),
			Category: row.Field("category"), Note: row.Field("note"), Source: row.Field("source"),
			File: file, Line: row.Line,
		}
		if check(&e, &probs) {
			l.add(e, &probs)
		}
	})
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func check(e *Entry, probs *problem.List) bool {
	n := len(*probs)
	if e.Brand == "" {
		probs.Add(e.File, e.Line, "brand is empty")
	}
	if e.Owner == "" {
		probs.Add(e.File, e.Line, "owner is empty")
	}
	csvfile.CheckCategory(probs, e.File, e.Line, e.Category)
	return len(*probs) == n
}

// add adds an entry, refusing the same brand spelling twice (a second
// owner for it would make the explanation ambiguous).
func (l *Lists) add(e Entry, probs *problem.List) {
	for _, old := range l.entries {
		if old.Brand == e.Brand {
			probs.Add(e.File, e.Line, "duplicate brand %q (first at %s)", e.Brand, problem.Place(old.File, old.Line, e.File))
			return
		}
	}
	l.entries = append(l.entries, e)
}

// Merge combines lists; the same brand in two of them is a problem naming
// both places.
func Merge(ls ...*Lists) (*Lists, error) {
	out := &Lists{}
	var probs problem.List
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

// Len is the number of entries.
func (l *Lists) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Entries returns every entry, sorted by brand.
func (l *Lists) Entries() []Entry {
	if l == nil {
		return nil
	}
	out := slices.Clone(l.entries)
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Brand, b.Brand) })
	return out
}
