// Package classify is Vigil's classifier: it judges each captured post
// against lexicons and account lists and explains its judgement. In the
// flow it sits between the posts topic and the flags topic (its consumer
// reads event.Post and writes one event.Verdict per post), and it backs the
// `vigil classify` command (RunCLI), which does the same over JSON Lines.
//
// A Classifier is compiled once from validated lexicons (package lexicon),
// account lists (package accounts) and gazetteers (package gazetteer) and
// is then read-only, so one Classifier serves any number of goroutines.
// For each post it normalises a copy of the text (Normalizer), matches
// terms and place names on word boundaries (and, for Burmese, inside runs
// of Myanmar script), applies exceptions and co-occurrence rules, looks the
// author up in the account lists, and reports every match as a byte span
// of the text exactly as the author wrote it, with the target groups,
// places and regions the post names.
package classify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/brands"
	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
	"github.com/vigilhq/vigil/classify/problem"
	"github.com/vigilhq/vigil/event"
)

// DefaultListSeverity is what each account list the author is on adds to a
// post's score unless Options say otherwise.
const DefaultListSeverity = 2

// Options configure a Classifier. The zero value is usable.
type Options struct {
	// Pipeline is the Vigil version recorded in every verdict.
	Pipeline string
	// Normalizer prepares text for matching. Default: a MyanmarNormalizer
	// (FoldingNormalizer's steps for evasions, then Zawgyi conversion and
	// Burmese mark order).
	Normalizer Normalizer
	// ListSeverity is what each distinct list the author is on adds to the
	// score. Default (0) is DefaultListSeverity; it must not be negative.
	ListSeverity float64
	// Domains are the domain lists: a link in a post's text to a listed
	// domain (or a subdomain of one) is a match of the entry's category,
	// with TermID DomainTermID+domain. Every entry's category must be
	// declared in the lexicons. nil: no domain lists.
	Domains *domains.Lists
	// Brands are the brand lists: each brand is matched as a term of the
	// entry's category, with TermID brands.TermIDPrefix+brand. Every
	// entry's category must be declared in the lexicons. nil: none.
	Brands *brands.Lists
	// Gazetteers name the places the classifier tags posts with: each
	// place name is matched like a term of the context category "place"
	// (PlaceCategory), with TermID PlaceTermID+place id, and sets the
	// verdict's Places and Regions. A place never flags a post and adds
	// nothing to its score. Place ids must be unique across the
	// gazetteers, and no two places may have names that normalise alike.
	// nil: no places.
	Gazetteers []*gazetteer.Gazetteer
}

// Classifier judges posts. It is safe for concurrent use.
type Classifier struct {
	norm         Normalizer
	pipeline     string
	lexicon      string // "name@version,name@version"
	listSeverity float64
	lists        *accounts.Lists
	warnings     problem.List
	domains      *domains.Lists

	hash string // event.Verdict.LexiconHash

	categories map[string]category
	// flagging, groups and regions are the ids of the categories that can
	// flag a post, of the target groups of the lexicons' terms and of the
	// gazetteers' regions, sorted: the label values the consumer's metrics
	// start at 0.
	flagging, groups, regions []string
	// table holds every form of every term by its first token.
	table termTable
	rules []rule
}

type category struct {
	severity float64
	context  bool
}

// term is a compiled lexicon term (or brand, or gazetteer place); its
// variants share it.
type term struct {
	id       string
	category string
	// group is the target group a match names; "" for none.
	group string
	// place is the gazetteer place a match names; nil for a term that is
	// not a place.
	place *place
	// exceptions are normalised and scanned into tokens like the text.
	exceptions [][]tokText
}

type rule struct {
	id       string
	category string
	all      []string
	any      []string
	within   int
}

// New compiles lexicons and account lists into a Classifier. lists may be
// nil. Lexicons from lexicon.Parse are valid on their own; New checks that
// they agree with each other (a category declared twice must have the same
// severity and context; term and rule ids must be unique across lexicons)
// and that every term still has something to match once normalised. Such
// problems are returned as lexicon.Problems.
func New(lexicons []*lexicon.Lexicon, lists *accounts.Lists, opts Options) (*Classifier, error) {
	c := &Classifier{
		norm:         opts.Normalizer,
		pipeline:     opts.Pipeline,
		listSeverity: opts.ListSeverity,
		lists:        lists,
		categories:   map[string]category{},
	}
	if c.norm == nil {
		m, err := NewMyanmarNormalizer()
		if err != nil {
			return nil, fmt.Errorf("classifier: %w", err)
		}
		c.norm = m
	}
	switch {
	case c.listSeverity == 0:
		c.listSeverity = DefaultListSeverity
	case c.listSeverity < 0 || math.IsNaN(c.listSeverity) || math.IsInf(c.listSeverity, 0):
		return nil, fmt.Errorf("classify: list severity %g: must be a positive number", opts.ListSeverity)
	}

	b := builder{c: c, cats: map[string]where{}, terms: map[string]where{}, rules: map[string]where{}}
	refs := make([]string, 0, len(lexicons))
	for i, lex := range lexicons {
		if lex == nil {
			return nil, fmt.Errorf("classify: lexicon %d is nil", i)
		}
		if slices.Contains(refs, lex.Ref()) {
			b.problem(lex.File, 0, "lexicon %s is loaded twice", lex.Ref())
			continue
		}
		refs = append(refs, lex.Ref())
		b.add(lex)
	}
	for i, g := range opts.Gazetteers {
		if g == nil {
			return nil, fmt.Errorf("classify: gazetteer %d is nil", i)
		}
	}
	b.addGazetteers(opts.Gazetteers)
	b.addDomains(opts.Domains)
	b.addBrands(opts.Brands)
	if len(b.probs) > 0 {
		return nil, fmt.Errorf("compile lexicons: %w", b.probs)
	}
	for id, cat := range c.categories {
		if !cat.context {
			c.flagging = append(c.flagging, id)
		}
	}
	c.flagging = sortedSet(c.flagging)
	c.groups = sortedSet(c.groups)
	c.regions = sortedSet(c.regions)
	c.hash = fingerprint(lexicons, lists, opts.Domains, opts.Brands, opts.Gazetteers)
	c.table = b.table.build()
	c.lexicon = strings.Join(refs, ",")
	return c, nil
}

// where is the place something was declared, for messages.
type where struct {
	file string
	line int
	cat  lexicon.Category
}

func (w where) String() string { return fmt.Sprintf("%s:%d", w.file, w.line) }

// builder compiles lexicons into a Classifier, collecting problems.
type builder struct {
	c                  *Classifier
	cats, terms, rules map[string]where
	// places and gazetteers: where each place id and each gazetteer
	// (name@version) was first seen.
	places, gazetteers map[string]where
	table              tableBuilder
	probs              lexicon.Problems
	// forms remembers which term first had each normalised form, to warn
	// when another term normalises to the same string.
	forms map[string]formOwner
}

type formOwner struct {
	id   string
	file string
	line int
	// place is set when the form is a name of a gazetteer place.
	place bool
}

func (b *builder) problem(file string, line int, format string, args ...any) {
	b.probs.Add(file, line, format, args...)
}

func (b *builder) add(lex *lexicon.Lexicon) {
	for _, cat := range lex.Categories {
		if first, ok := b.cats[cat.ID]; ok {
			if first.cat.Severity != cat.Severity || first.cat.Context != cat.Context {
				b.problem(lex.File, cat.Line, "category %q: severity %g, context %v here, but severity %g, context %v at %s",
					cat.ID, cat.Severity, cat.Context, first.cat.Severity, first.cat.Context, first)
			}
			continue
		}
		b.cats[cat.ID] = where{file: lex.File, line: cat.Line, cat: cat}
		b.c.categories[cat.ID] = category{severity: cat.Severity, context: cat.Context}
	}
	for _, t := range lex.Terms {
		if first, ok := b.terms[t.ID]; ok {
			b.problem(lex.File, t.Line, "term id %q is also at %s", t.ID, first)
			continue
		}
		b.terms[t.ID] = where{file: lex.File, line: t.Line}
		if _, ok := b.c.categories[t.Category]; !ok {
			b.problem(lex.File, t.Line, "term %q: category %q is not declared", t.ID, t.Category)
			continue
		}
		b.term(lex.File, t)
	}
	for _, r := range lex.Rules {
		if first, ok := b.rules[r.ID]; ok {
			b.problem(lex.File, r.Line, "rule id %q is also at %s", r.ID, first)
			continue
		}
		b.rules[r.ID] = where{file: lex.File, line: r.Line}
		if err := b.c.checkRule(r); err != nil {
			b.problem(lex.File, r.Line, "rule %q: %v", r.ID, err)
			continue
		}
		b.c.rules = append(b.c.rules, rule{id: r.ID, category: r.Category, all: slices.Clone(r.All), any: slices.Clone(r.Any), within: r.Within})
	}
}

func (c *Classifier) checkRule(r lexicon.Rule) error {
	if cat, ok := c.categories[r.Category]; !ok {
		return fmt.Errorf("category %q is not declared", r.Category)
	} else if cat.context {
		return fmt.Errorf("category %q is a context category, which never flags", r.Category)
	}
	if len(r.All)+len(r.Any) == 0 {
		return errors.New("all and any list no category")
	}
	for _, id := range r.All {
		if _, ok := c.categories[id]; !ok {
			return fmt.Errorf("all: category %q is not declared", id)
		}
	}
	for _, id := range r.Any {
		if _, ok := c.categories[id]; !ok {
			return fmt.Errorf("any: category %q is not declared", id)
		}
	}
	if r.Within <= 0 {
		return fmt.Errorf("within must be greater than 0, got %d", r.Within)
	}
	return nil
}

// normalizeTerm normalises a term or exception as post text will be.
func (c *Classifier) normalizeTerm(s string) string {
	if tn, ok := c.norm.(TermNormalizer); ok {
		return tn.NormalizeTerm(s).Text
	}
	return c.norm.Normalize(s).Text
}

// term compiles a term and its variants, normalised and scanned into
// tokens as post text will be.
func (b *builder) term(file string, t lexicon.Term) {
	tm := &term{id: t.ID, category: t.Category, group: t.Group}
	if t.Group != "" {
		b.c.groups = append(b.c.groups, t.Group)
	}
	for _, x := range t.Exceptions {
		if toks := tokenTexts(b.c.normalizeTerm(x)); len(toks) > 0 {
			tm.exceptions = append(tm.exceptions, toks)
		}
	}
	for _, form := range append([]string{t.Term}, t.Variants...) {
		nf := strings.TrimSpace(b.c.normalizeTerm(form))
		if first, ok := b.forms[nf]; ok && first.id != t.ID && nf != "" {
			b.c.warnings.Add(file, t.Line, "term %q: %q normalises to %q, as term %q does (%s:%d): they always fire together",
				t.ID, form, nf, first.id, first.file, first.line)
		} else if !ok {
			if b.forms == nil {
				b.forms = map[string]formOwner{}
			}
			b.forms[nf] = formOwner{id: t.ID, file: file, line: t.Line}
		}
		toks := tokenTexts(nf)
		if len(toks) == 0 {
			b.problem(file, t.Line, "term %q: %q has no letter, digit or symbol to match", t.ID, form)
			continue
		}
		b.table.add(toks, tm)
	}
}

// tokenTexts scans s into tokens, with their text.
func tokenTexts(s string) []tokText {
	toks := scan(s, nil)
	out := make([]tokText, len(toks))
	for i, t := range toks {
		out[i] = tokText{hash: t.hash, text: s[t.start:t.end]}
	}
	return out
}

// addBrands compiles each brand-list entry as a term of its category.
func (b *builder) addBrands(l *brands.Lists) {
	for _, e := range l.Entries() {
		if _, ok := b.c.categories[e.Category]; !ok {
			b.problem(e.File, e.Line, "brand %q: category %q is not declared in any lexicon", e.Brand, e.Category)
			continue
		}
		toks := tokenTexts(strings.TrimSpace(b.c.normalizeTerm(e.Brand)))
		if len(toks) == 0 {
			b.problem(e.File, e.Line, "brand %q has no letter, digit or symbol to match", e.Brand)
			continue
		}
		b.table.add(toks, &term{id: e.TermID(), category: e.Category})
	}
}

// fingerprint is the lexicon set's hash (event.Verdict.LexiconHash): the
// SHA-256 of what the classifier was compiled from, in load order, without
// the file names and line numbers, so that the same data loaded from
// another place hashes alike and any edit to a term, rule, category, list
// entry or place changes it. (A gazetteer judged the post too: it decided
// its places and regions.)
func fingerprint(lexicons []*lexicon.Lexicon, lists *accounts.Lists, d *domains.Lists, br *brands.Lists, gs []*gazetteer.Gazetteer) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	put := func(tag string, v any) {
		if err := enc.Encode([]any{tag, v}); err != nil {
			panic(err) // plain structs of strings and numbers always encode
		}
	}
	for _, lex := range lexicons {
		put("lexicon", []string{lex.Name, lex.Version})
		for _, c := range lex.Categories {
			c.Line = 0
			put("category", c)
		}
		for _, t := range lex.Terms {
			t.Line = 0
			put("term", t)
		}
		for _, r := range lex.Rules {
			r.Line = 0
			put("rule", r)
		}
	}
	for _, e := range lists.Entries() {
		e.File, e.Line = "", 0
		put("account", e)
	}
	for _, e := range d.Entries() {
		e.File, e.Line = "", 0
		put("domain", e)
	}
	for _, e := range br.Entries() {
		e.File, e.Line = "", 0
		put("brand", e)
	}
	for _, g := range gs {
		put("gazetteer", []string{g.Name, g.Version})
		for _, p := range g.Places {
			p.Line = 0
			p.Names = slices.Clone(p.Names)
			for i := range p.Names {
				p.Names[i].Line = 0
			}
			put("place", p)
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// FlaggingCategories are the ids of the categories that can flag a post
// (every category the lexicons declare that is not context), sorted.
func (c *Classifier) FlaggingCategories() []string { return slices.Clone(c.flagging) }

// Groups are the target groups the lexicons' terms name, sorted.
func (c *Classifier) Groups() []string { return slices.Clone(c.groups) }

// Regions are the ids of the gazetteers' regions, sorted.
func (c *Classifier) Regions() []string { return slices.Clone(c.regions) }

// Hash is the lexicon set's hash, as verdicts record it in LexiconHash:
// it changes whenever a lexicon or list the classifier was built from
// changes, even when no version string does.
func (c *Classifier) Hash() string { return c.hash }

// Lexicon returns the lexicon versions the classifier was built from, as
// verdicts record them: "name@version" joined by commas.
func (c *Classifier) Lexicon() string { return c.lexicon }

// Warnings are what compiling the lexicons found suspicious but not wrong:
// two terms that normalise to the same string. `vigil lexicon check`
// prints them.
func (c *Classifier) Warnings() []lexicon.Problem { return slices.Clone(c.warnings) }

// Classify judges one post. The verdict holds a copy of the post; its match
// spans are byte offsets into p.Text as given.
func (c *Classifier) Classify(p *event.Post) event.Verdict {
	v := event.Verdict{Lexicon: c.lexicon, LexiconHash: c.hash, Pipeline: c.pipeline, ClassifiedAt: time.Now().UTC()}
	if p == nil {
		return v
	}
	v.Post = *p
	v.Post.Raw = bytes.Clone(p.Raw)

	sc := scratchPool.Get().(*scratch)
	defer sc.put()
	n := c.prepare(p.Text, sc)
	hits := outermostPlaces(c.match(n.Text, sc.toks, sc.hits[:0]))
	var flagging, tags []string
	for _, h := range hits {
		if c.categories[h.term.category].context {
			tags = append(tags, h.term.category)
		} else {
			flagging = append(flagging, h.term.category)
		}
		if h.term.group != "" {
			v.Groups = append(v.Groups, h.term.group)
		}
		if p := h.term.place; p != nil {
			v.Places = append(v.Places, p.id)
			v.Regions = append(v.Regions, p.region)
		}
	}
	v.Groups, v.Places, v.Regions = sortedSet(v.Groups), sortedSet(v.Places), sortedSet(v.Regions)
	hits, fired := c.applyRules(hits)
	flagging = append(flagging, fired...)
	sc.hits = hits

	v.Matches = c.spans(p.Text, n, hits)
	v.Matches, flagging, tags = c.linkMatches(p.Text, p.Links, v.Matches, flagging, tags)
	v.Lists = c.lists.Lookup(p.Platform, p.Author.ID)
	v.Categories = sortedSet(flagging)
	v.Tags = sortedSet(tags)
	for _, id := range v.Categories {
		v.Score += c.categories[id].severity
	}
	lists := make([]string, len(v.Lists))
	for i, l := range v.Lists {
		lists[i] = l.List
	}
	v.Score += c.listSeverity * float64(len(sortedSet(lists)))
	v.Flagged = len(v.Categories) > 0 || len(v.Lists) > 0
	return v
}

// scratch holds the buffers of one Classify call, reused through a pool so
// that a post that matches nothing allocates almost nothing.
type scratch struct {
	toks []tok
	hits []hit
	fold foldBuffers
	zg   zawgyi.Scorer
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (sc *scratch) put() {
	if cap(sc.toks) > 1<<16 || cap(sc.hits) > 1<<12 || cap(sc.fold.offsets) > 1<<20 {
		return // a huge post: let its buffers go
	}
	clear(sc.hits[:cap(sc.hits)]) // drop the pointers to terms
	sc.hits = sc.hits[:0]
	scratchPool.Put(sc)
}

// quickNormalizer is a Normalizer of this package that lets the classifier
// take the quick path: text that plainASCII accepts (folding would only
// lower its ASCII letters) and, when it has Myanmar script, that
// quickMyanmar accepts, is matched as written, without building an offset
// map, and cut into tokens in the same pass (scanQuick). Most posts take
// this path.
type quickNormalizer interface {
	// startScorer resets s for a new text and returns it, for scanQuick
	// to feed, or returns nil when the normaliser needs no Zawgyi score.
	startScorer(s *zawgyi.Scorer) *zawgyi.Scorer
	// quickMyanmar reports that a text that has Myanmar script, that
	// plainASCII accepts and whose Burmese is in canonical order comes out
	// of the normaliser with only its ASCII letters lowered, given the
	// scorer startScorer returned, fed with the text. false only means
	// "not sure".
	quickMyanmar(zg *zawgyi.Scorer) bool
}

// prepare returns the text to match and leaves its tokens in sc.toks. Text
// that needs only its ASCII case folded comes back as it is, with nil
// Offsets (each byte maps to itself): the matcher compares tokens with
// terms ignoring ASCII case (hashes are of lowered bytes, and eqFold), so
// no lowered copy is made. Otherwise the normaliser's result, written into
// sc's buffers when it can.
func (c *Classifier) prepare(text string, sc *scratch) Normalized {
	if q, ok := c.norm.(quickNormalizer); ok {
		zg := q.startScorer(&sc.zg)
		toks, plain, myanmar := scanQuick(text, sc.toks[:0], zg)
		sc.toks = toks
		if plain && (!myanmar || q.quickMyanmar(zg)) {
			return Normalized{Text: text}
		}
	}
	var n Normalized
	if s, ok := c.norm.(scratchNormalizer); ok {
		n = s.normalizeScratch(text, &sc.fold)
	} else {
		n = c.normalize(text)
	}
	sc.toks = scan(n.Text, sc.toks[:0])
	return n
}

// scratchNormalizer is a Normalizer of this package that can write its
// result into reusable buffers; the classifier trusts its offsets.
type scratchNormalizer interface {
	normalizeScratch(text string, fb *foldBuffers) Normalized
}

// normalize runs the normaliser, falling back to the text as written when
// its result cannot be mapped back.
func (c *Classifier) normalize(text string) Normalized {
	n := c.norm.Normalize(text)
	if len(n.Offsets) != len(n.Text)+1 {
		return identity(text)
	}
	for _, o := range n.Offsets {
		if o < 0 || o > len(text) {
			return identity(text)
		}
	}
	return n
}

// sortedSet sorts ss and removes duplicates; nil when empty.
func sortedSet(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	return slices.Compact(ss)
}
