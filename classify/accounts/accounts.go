// Package accounts loads account lists: CSV files that name accounts
// already known to monitors (a junta proxy network, sanctioned companies'
// pages), so that every post by one of them is flagged whatever its text.
// The classify package looks a post's author up in the merged Lists.
//
// A file has a header naming its columns, in any order, from
// platform,account_id,handle,list,note,source; platform, account_id and
// list are required. Blank lines and lines starting with '#' are skipped.
// Like lexicons, the files are edited by hand, so every problem is reported
// with its file and line, all at once.
package accounts

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"unicode"

	"github.com/vigilhq/vigil/classify/csvfile"
	"github.com/vigilhq/vigil/classify/problem"
	"github.com/vigilhq/vigil/event"
)

// Columns are the columns a list file may have, in the order DESIGN.md
// gives them.
var Columns = []string{"platform", "account_id", "handle", "list", "note", "source"}

var required = []string{"platform", "account_id", "list"}

// Entry is one account on one list.
type Entry struct {
	Platform  string
	AccountID string
	Handle    string
	List      string
	Note      string
	Source    string
	// File and Line say where the entry was read.
	File string
	Line int
}

type key struct{ platform, accountID string }

// Lists is a set of account-list entries, looked up by account. A nil
// *Lists holds no entries. It is safe for concurrent reads.
type Lists struct {
	byAccount map[key][]Entry
	n         int
}

// Load reads and parses the list file name from fsys.
func Load(fsys fs.FS, name string) (*Lists, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read account list: %w", err)
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
	lists := &Lists{byAccount: map[key][]Entry{}}
	csvfile.Read(file, data, csvfile.Schema{Columns: Columns, Required: required}, &probs, func(row csvfile.Row) {
		e := Entry{File: file, Line: row.Line,
			Platform: row.Field("platform"), AccountID: row.Field("account_id"), Handle: row.Field("handle"),
			List: row.Field("list"), Note: row.Field("note"), Source: row.Field("source")}
		if check(&e, &probs) {
			lists.add(e, &probs)
		}
	})
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return lists, nil
}

// check validates an entry's fields.
func check(e *Entry, probs *Problems) bool {
	n := len(*probs)
	switch {
	case e.Platform == "":
		probs.Add(e.File, e.Line, "platform is empty")
	case !isToken(e.Platform):
		probs.Add(e.File, e.Line, "platform %q: only a-z, 0-9, '_', '-' and '.' are allowed", e.Platform)
	}
	switch {
	case e.AccountID == "":
		probs.Add(e.File, e.Line, "account_id is empty")
	case strings.IndexFunc(e.AccountID, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		probs.Add(e.File, e.Line, "account_id %q contains a space or a control character", e.AccountID)
	}
	if e.List == "" {
		probs.Add(e.File, e.Line, "list is empty")
	}
	return len(*probs) == n
}

// add adds an entry, refusing a second (platform, account_id, list).
func (l *Lists) add(e Entry, probs *Problems) {
	k := key{e.Platform, e.AccountID}
	for _, old := range l.byAccount[k] {
		if old.List == e.List {
			probs.Add(e.File, e.Line, "duplicate entry %s/%s on list %q (first at %s)", e.Platform, e.AccountID, e.List, problem.Place(old.File, old.Line, e.File))
			return
		}
	}
	l.byAccount[k] = append(l.byAccount[k], e)
	l.n++
}

// Merge combines lists; an account on the same list in two of them is a
// problem naming both places.
func Merge(ls ...*Lists) (*Lists, error) {
	out := &Lists{byAccount: map[key][]Entry{}}
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

// Lookup returns the lists the account is on, sorted by list name; nil
// when it is on none. The result is the caller's to keep.
func (l *Lists) Lookup(platform, accountID string) []event.ListHit {
	if l == nil {
		return nil
	}
	es := l.byAccount[key{platform, accountID}]
	if len(es) == 0 {
		return nil
	}
	hits := make([]event.ListHit, len(es))
	for i, e := range es {
		hits[i] = event.ListHit{List: e.List, Note: e.Note, Source: e.Source}
	}
	slices.SortFunc(hits, func(a, b event.ListHit) int { return strings.Compare(a.List, b.List) })
	return hits
}

// Len is the number of entries.
func (l *Lists) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// Entries returns every entry, sorted by platform, account and list.
func (l *Lists) Entries() []Entry {
	if l == nil {
		return nil
	}
	out := make([]Entry, 0, l.n)
	for _, es := range l.byAccount {
		out = append(out, es...)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.AccountID, b.AccountID), strings.Compare(a.List, b.List))
	})
	return out
}

// isToken accepts what event.Post accepts as a platform.
func isToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return s != "" && len(s) <= 32
}
