// Package lexicon loads and validates Vigil's lexicon files: the YAML
// documents that list the categories a classifier reports (dehumanisation,
// a call to violence, a target group), the terms that signal them, and the
// co-occurrence rules built on them (the format is in DESIGN.md).
//
// A lexicon is data that monitors edit by hand, often under pressure, so
// Parse checks everything it can and reports every problem at once with the
// file and line it is on (as Problems), for `vigil lexicon check` and for the
// classify role at start-up. The classify package compiles a validated
// Lexicon into its matcher; this package knows nothing about matching.
package lexicon

import (
	"fmt"
	"io/fs"

	"github.com/vigilhq/vigil/classify/yamlfile"
)

// Lexicon is one validated lexicon file.
type Lexicon struct {
	// File is the name the lexicon was parsed under, used in messages.
	File    string
	Name    string
	Version string
	// Categories, Terms and Rules are in file order.
	Categories []Category
	Terms      []Term
	Rules      []Rule
}

// Category is what a term or rule signals.
type Category struct {
	ID    string
	Label string
	// Severity, 0 to 10, adds to a flagged post's score.
	Severity float64
	// Context marks a category that never flags a post on its own (a
	// target group, a place): it only feeds rules and the post's tags.
	Context bool
	Line    int
}

// Term is a word or phrase that signals a category.
type Term struct {
	ID       string
	Term     string
	Category string
	// Lang is an ISO 639-1 or 639-3 code; empty when not given.
	Lang string
	// Group is the target group a match names ("journalists",
	// "minority"): an id of lower-case ASCII letters, digits and '_'. It
	// is what verdicts list in Groups and the early-warning metrics break
	// flagged posts down by. Empty when the term names no group. Any term
	// may have one: a target-group term, and also a slur that names its
	// target. (The tag keeps the lexicon hash of a file without groups as
	// it was.)
	Group string `json:",omitempty"`
	// Variants are other spellings and romanisations that count as the
	// term.
	Variants []string
	// Exceptions are harmless longer words or phrases that contain the term
	// (or a variant): a match inside one of them does not count.
	Exceptions []string
	// Note says what the term means or why it is listed (a translation, the
	// narrative it belongs to); empty when not given. Matching ignores it.
	Note string
	// Source says where the term comes from (a report, a monitor's
	// observation, "invented for the demo"); empty when not given. Matching
	// ignores it.
	Source string
	Line   int
}

// Rule fires when terms of every category in All occur within Within words
// of each other; it then flags the post with Category.
type Rule struct {
	ID       string
	Category string
	// All are categories that must each have a match in the window.
	All []string
	// Any are categories of which at least one must have a match in the
	// window. A rule lists All, Any or both.
	Any    []string
	Within int
	Line   int
}

// NoGroup is the group id that metrics give a post naming no group; no
// term may use it.
const NoGroup = "none"

// Ref names the lexicon as verdicts record it: "name@version".
func (l *Lexicon) Ref() string { return l.Name + "@" + l.Version }

// Category returns the category with the given id.
func (l *Lexicon) Category(id string) (Category, bool) {
	for _, c := range l.Categories {
		if c.ID == id {
			return c, true
		}
	}
	return Category{}, false
}

// Load reads and parses the lexicon file name from fsys. Problems in the
// file are returned as Problems, with name as the file; a file that cannot
// be read gives the fs error, wrapped.
func Load(fsys fs.FS, name string) (*Lexicon, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read lexicon: %w", err)
	}
	return Parse(name, data)
}

// Parse parses and validates a lexicon. file names it in problems. When
// anything is wrong it returns a nil Lexicon and Problems listing every
// problem found, in line order.
func Parse(file string, data []byte) (*Lexicon, error) {
	p := &parser{yamlfile.Reader{File: file}}
	lex := p.parse(data)
	if err := p.Probs.Err(); err != nil {
		return nil, err
	}
	return lex, nil
}
