// Package gazetteer loads Vigil's gazetteers: YAML files that name the
// places a post may mention (the states and regions of a country, and
// townships in each) in every language monitors read, so that the
// classifier can tag each post with the regions it names and the
// early-warning metrics can break flagged posts down by region.
//
// A gazetteer is data that people edit by hand, like a lexicon: Parse
// checks everything it can and reports every problem at once with its file
// and line (as problem.List), for `vigil lexicon check --gazetteer` and
// for the classify role at start-up. The classify package compiles the
// place names into its matcher beside the lexicon terms, so they are
// matched with the same normalisation and boundary rules; this package
// knows nothing about matching.
//
// The format (docs/gazetteer.md has it in full):
//
//	name: myanmar
//	version: "2026-12-07"
//	regions:
//	  - id: sagaing                 # lower-case ASCII, digits, '_'
//	    type: region                # optional: state, region, union_territory, ...
//	    names:                      # by language (ISO 639-1 or 639-3)
//	      en: [Sagaing Region, Sagaing]
//	      my: [စစ်ကိုင်းတိုင်းဒေသကြီး, စစ်ကိုင်း]
//	    exceptions: []              # longer words or phrases in which a name does not count
//	    note: "..."                 # free text, for reviewers
//	    townships:
//	      - id: monywa
//	        names: {en: [Monywa], my: [မုံရွာ]}
package gazetteer

import (
	"fmt"
	"io/fs"

	"github.com/vigilhq/vigil/classify/problem"
	"github.com/vigilhq/vigil/classify/yamlfile"
)

// NoRegion is the region id that metrics give a post naming no place; no
// place may use it.
const NoRegion = "none"

// TypeTownship is the Type of a township.
const TypeTownship = "township"

// Gazetteer is one validated gazetteer file.
type Gazetteer struct {
	// File is the name the gazetteer was parsed under, used in messages.
	File    string
	Name    string
	Version string
	// Places are every region followed by its townships, in file order.
	Places []Place
}

// Place is a region (a state, region or union territory) or a township.
type Place struct {
	// ID is unique in the gazetteer: lower-case ASCII letters, digits and
	// '_'. Verdicts list it in Places.
	ID string
	// Region is the id of the region the place is in: its own id for a
	// region. Verdicts list it in Regions, and metrics use it as a label.
	Region string
	// Type is what the file says a region is ("state", "region",
	// "union_territory"; "" when it does not say), or TypeTownship.
	Type string
	// Names are the place's names, in file order, each with its language.
	Names []Name
	// Exceptions are longer words or phrases containing one of the names
	// in which it does not name the place ("Shan noodles").
	Exceptions []string
	// Note is free text for the people who maintain the file; matching
	// ignores it.
	Note string
	Line int
}

// Name is one name of a place in one language.
type Name struct {
	// Lang is an ISO 639-1 or 639-3 code.
	Lang string
	Text string
	Line int
}

// IsRegion reports whether p is a region rather than a township.
func (p Place) IsRegion() bool { return p.ID == p.Region }

// Ref names the gazetteer: "name@version".
func (g *Gazetteer) Ref() string { return g.Name + "@" + g.Version }

// Regions returns the ids of the gazetteer's regions, in file order.
func (g *Gazetteer) Regions() []string {
	var out []string
	for _, p := range g.Places {
		if p.IsRegion() {
			out = append(out, p.ID)
		}
	}
	return out
}

// Load reads and parses the gazetteer file name from fsys. Problems in the
// file are returned as a problem.List, with name as the file; a file that
// cannot be read gives the fs error, wrapped.
func Load(fsys fs.FS, name string) (*Gazetteer, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read gazetteer: %w", err)
	}
	return Parse(name, data)
}

// LoadFiles loads every named file from fsys, reporting the problems of
// all of them at once. Places from different files are checked against
// each other when the classifier is compiled.
func LoadFiles(fsys fs.FS, names ...string) ([]*Gazetteer, error) {
	return problem.LoadAll(fsys, names, Load)
}

// Parse parses and validates a gazetteer. file names it in problems. When
// anything is wrong it returns a nil Gazetteer and a problem.List of every
// problem found, in line order.
func Parse(file string, data []byte) (*Gazetteer, error) {
	p := &parser{Reader: yamlfile.Reader{File: file}, ids: map[string]int{}, names: map[string]nameOwner{}}
	g := p.parse(data)
	if err := p.Probs.Err(); err != nil {
		return nil, err
	}
	return g, nil
}
