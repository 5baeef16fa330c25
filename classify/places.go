package classify

import (
	"strings"

	"github.com/vigilhq/vigil/classify/gazetteer"
)

// PlaceCategory is the category of a match made by a gazetteer place: a
// context category, which never flags a post and adds nothing to its
// score. A lexicon may declare it (with context: true) to give it a label,
// or to name it in a co-occurrence rule; when none does, the classifier
// declares it itself.
const PlaceCategory = "place"

// PlaceTermID is the prefix of the TermID of a match made by a gazetteer
// place: "place:" and the place's id ("place:monywa"). The match's span
// is the name as the author wrote it.
const PlaceTermID = "place:"

// place is what a match of a place name tells: the place and its region.
type place struct {
	id, region string
}

// addGazetteers compiles every place name into the term table as a form of
// a term of PlaceCategory, normalised and scanned into tokens exactly as
// lexicon terms are, so that places are found on the same word and
// syllable boundaries, through the same Zawgyi conversion and folding,
// and with their exceptions honoured.
func (b *builder) addGazetteers(gs []*gazetteer.Gazetteer) {
	if len(gs) == 0 {
		return
	}
	if w, ok := b.cats[PlaceCategory]; ok && !w.cat.Context {
		b.problem(w.file, w.line, "category %q: the gazetteer's places are matches of this category, so it must be context: true", PlaceCategory)
	} else if !ok {
		b.c.categories[PlaceCategory] = category{context: true}
	}
	b.places, b.gazetteers = map[string]where{}, map[string]where{}
	for _, g := range gs {
		if first, ok := b.gazetteers[g.Ref()]; ok {
			b.problem(g.File, 0, "gazetteer %s is loaded twice (also %s)", g.Ref(), first.file)
			continue
		}
		b.gazetteers[g.Ref()] = where{file: g.File}
		for _, p := range g.Places {
			if first, ok := b.places[p.ID]; ok {
				b.problem(g.File, p.Line, "place id %q is also at %s", p.ID, first)
				continue
			}
			b.places[p.ID] = where{file: g.File, line: p.Line}
			if p.IsRegion() {
				b.c.regions = append(b.c.regions, p.ID)
			}
			b.place(g.File, p)
		}
	}
}

// place compiles one place's names and exceptions.
func (b *builder) place(file string, p gazetteer.Place) {
	tm := &term{id: PlaceTermID + p.ID, category: PlaceCategory, place: &place{id: p.ID, region: p.Region}}
	for _, x := range p.Exceptions {
		if toks := tokenTexts(b.c.normalizeTerm(x)); len(toks) > 0 {
			tm.exceptions = append(tm.exceptions, toks)
		}
	}
	for _, n := range p.Names {
		nf := strings.TrimSpace(b.c.normalizeTerm(n.Text))
		toks := tokenTexts(nf)
		if len(toks) == 0 {
			b.problem(file, n.Line, "place %q: name %q has no letter, digit or symbol to match", p.ID, n.Text)
			continue
		}
		switch first, ok := b.forms[nf]; {
		case ok && first.id == tm.id: // two spellings of one name
		case ok && first.place:
			b.problem(file, n.Line, "place %q: name %q normalises to %q, a name of %q (%s:%d): a name must name one place",
				p.ID, n.Text, nf, strings.TrimPrefix(first.id, PlaceTermID), first.file, first.line)
			continue
		case ok:
			b.c.warnings.Add(file, n.Line, "place %q: name %q normalises to %q, as term %q does (%s:%d): they always fire together",
				p.ID, n.Text, nf, first.id, first.file, first.line)
		default:
			if b.forms == nil {
				b.forms = map[string]formOwner{}
			}
			b.forms[nf] = formOwner{id: tm.id, file: file, line: n.Line, place: true}
		}
		b.table.add(toks, tm)
	}
}

// outermostPlaces drops a place's hit that lies inside the hit of another
// place: the name of one place inside the longer name of another names
// only the other (in သံတောင်ကြီး, Thandaunggyi in Kayin State, the
// syllables of တောင်ကြီး, Taunggyi in Shan State, name no place of their
// own). hits are sorted by start, the longest first, as match returns
// them; hits of the same place inside each other are already gone.
func outermostPlaces(hits []hit) []hit {
	reach, out := -1, hits[:0]
	for _, h := range hits {
		if h.term.place != nil {
			if h.end <= reach {
				continue
			}
			reach = h.end
		}
		out = append(out, h)
	}
	return out
}
