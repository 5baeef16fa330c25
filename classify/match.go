package classify

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/classify/myanmar/syllable"
	"github.com/vigilhq/vigil/event"
)

// hit is a match in the normalised text, before it is mapped back.
type hit struct {
	term *term
	// start and end are byte offsets in the normalised text.
	start, end int
	// first and last are the indexes of the tokens it covers, the word
	// positions rules count in.
	first, last int
	rule        string
}

// match finds every term in the normalised text, minus those inside one of
// their exceptions, sorted by start.
func (c *Classifier) match(text string) []hit {
	toks := tokenize(text, nil)
	var hits []hit
	for i, tok := range toks {
		switch tok.kind {
		case tokWord, tokSymbol:
			for _, f := range c.words[text[tok.start:tok.end]] {
				if last, ok := followedBy(text, toks, i, f.rest); ok {
					hits = c.appendHit(hits, text, hit{term: f.term, start: tok.start, end: toks[last].end, first: i, last: last})
				}
			}
		case tokMyanmar:
			hits = c.matchMyanmar(hits, text, toks, i)
		}
	}
	return dedupe(hits)
}

// followedBy reports whether the words after token i are rest, and the
// index of the last token of the match.
func followedBy(text string, toks []token, i int, rest []string) (int, bool) {
	if i+len(rest) >= len(toks) {
		return i, len(rest) == 0
	}
	for j, w := range rest {
		t := toks[i+1+j]
		if t.kind == tokMyanmar || text[t.start:t.end] != w {
			return i, false
		}
	}
	return i + len(rest), true
}

// matchMyanmar finds the Myanmar-script terms that start inside run toks[i].
//
// Burmese is written without spaces between words, so a Myanmar term may
// begin at any syllable of a run of Myanmar script, and matches only when it
// also ends on a syllable boundary (package syllable: the sylbreak rule), so
// that it never fires inside a syllable ("ကုလား" is not in "ကုလားန်", whose
// last consonant is killed and belongs to the syllable before). The term's
// exceptions (harmless compounds such as ကုလားထိုင်, "chair", for ကုလား)
// keep it from matching inside the longer words it is part of.
//
// The terms are in a trie, so each syllable costs a walk as deep as the
// longest term prefix found there, not a comparison with every term.
func (c *Classifier) matchMyanmar(hits []hit, text string, toks []token, i int) []hit {
	if c.myanmar.empty() {
		return hits
	}
	run := toks[i]
	for pos := run.start; pos < run.end; pos = syllable.Next(text, pos) {
		c.myanmar.walk(text, pos, func(end int, terms []*term) {
			if !syllable.IsBoundary(text, end) {
				return
			}
			last := i
			if end > run.end { // a term with a space or a sign inside
				last, _ = slices.BinarySearchFunc(toks, end, func(t token, end int) int { return cmp.Compare(t.end, end) })
				last = min(last, len(toks)-1)
			}
			for _, tm := range terms {
				hits = c.appendHit(hits, text, hit{term: tm, start: pos, end: end, first: i, last: last})
			}
		})
	}
	return hits
}

// appendHit appends h unless one of its term's exceptions covers it.
func (c *Classifier) appendHit(hits []hit, text string, h hit) []hit {
	for _, x := range h.term.exceptions {
		if covers(text, x, h.start, h.end) {
			return hits
		}
	}
	return append(hits, h)
}

// covers reports whether an occurrence of x in text spans [start, end).
// Such an occurrence begins between end-len(x) and start, so it lies in
// text[end-len(x) : start+len(x)], and any occurrence found there begins in
// that range.
func covers(text, x string, start, end int) bool {
	lo, hi := max(0, end-len(x)), min(len(text), start+len(x))
	return lo < hi && strings.Contains(text[lo:hi], x)
}

// dedupe sorts hits by start (longest first) and drops a hit that lies
// inside another hit of the same term, as when a term and its longer
// variant both match.
func dedupe(hits []hit) []hit {
	if len(hits) < 2 {
		return hits
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(b.end, a.end))
	})
	reach := map[*term]int{} // the end of the term's longest hit so far
	out := hits[:0]
	for _, h := range hits {
		if end, ok := reach[h.term]; ok && h.end <= end {
			continue
		}
		reach[h.term] = h.end
		out = append(out, h)
	}
	return out
}

// spans maps hits back to the original text and explains them.
func (c *Classifier) spans(orig string, n Normalized, hits []hit) []event.Match {
	if len(hits) == 0 {
		return nil
	}
	ms := make([]event.Match, len(hits))
	for i, h := range hits {
		start, end := originalSpan(orig, n.Offsets, h.start, h.end)
		ms[i] = event.Match{TermID: h.term.id, Category: h.term.category, Start: start, End: end, Rule: h.rule}
		if orig[start:end] != n.Text[h.start:h.end] {
			ms[i].Transforms = c.transforms(orig[start:end], n)
		}
	}
	slices.SortFunc(ms, func(a, b event.Match) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End),
			strings.Compare(a.TermID, b.TermID), strings.Compare(a.Rule, b.Rule))
	})
	return ms
}

// transforms says which normalisation steps were needed to see a match:
// those that change the matched span on its own, or, when the span alone
// does not show it (a step that depends on the surrounding text), every
// step applied to the post.
func (c *Classifier) transforms(span string, n Normalized) []string {
	if t := c.norm.Normalize(span).Transforms; len(t) > 0 {
		return slices.Clone(t)
	}
	return slices.Clone(n.Transforms)
}

// originalSpan maps the normalised span [s, e) to the smallest span of the
// original that holds every character that produced it. An invisible
// character removed just before or after the span is left out; one inside
// it is kept, since the author wrote it there, and so are combining marks
// right after the span, which FoldingNormalizer removes with the accents
// of the letter before them.
func originalSpan(orig string, offsets []int, s, e int) (int, int) {
	start, end := len(orig), 0
	for _, o := range offsets[s:e] {
		start = min(start, o)
		_, size := utf8.DecodeRuneInString(orig[o:])
		end = max(end, o+size)
	}
	if start > end { // only possible for an empty span
		start = end
	}
	// Accents removed after the span's last letter belong to it.
	if last, _ := utf8.DecodeLastRuneInString(orig[:end]); end == start || !hasStrippableMarks(last) {
		return start, end
	}
	for end < len(orig) {
		r, size := utf8.DecodeRuneInString(orig[end:])
		if !unicode.Is(unicode.Mn, r) {
			break
		}
		end += size
	}
	return start, end
}
