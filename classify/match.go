package classify

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// hit is a match in the normalised text, before it is mapped back.
type hit struct {
	term *term
	// start and end are byte offsets in the normalised text.
	start, end int
	// first and last are the indexes of the tokens it covers: the words or
	// syllables rules count in.
	first, last int
	rule        string
}

// match appends to hits every term found in text, whose tokens are toks,
// minus those inside one of their exceptions, sorted by start.
//
// Each token is looked up in the term table by its hash; the few that begin
// a term are followed by comparing the next tokens with the rest of each
// form. A term thus matches only whole words (spaced scripts) or whole
// syllables (Myanmar script: package syllable's sylbreak rule, so ကုလား is
// never seen inside ကုလားန်, whose last consonant is killed and belongs to
// the syllable before), and spaces or punctuation between its tokens do
// not matter: "burn them" is found in "burn. Them", and in Burmese, which
// puts spaces between phrases rather than words, ကုလား in "ကု လား".
func (c *Classifier) match(text string, toks []tok, hits []hit) []hit {
	for i, t := range toks {
		node, flags := c.table.head(t.hash)
		for j := i; node >= 0; {
			if flags&hasTerms != 0 && c.table.verify(text, toks[i:], j-i, node) {
				for _, tm := range c.table.terms[c.table.nodes[node].terms-1] {
					h := hit{term: tm, start: int(t.start), end: int(toks[j].end), first: i, last: j}
					if !excepted(text, toks, h) {
						hits = append(hits, h)
					}
				}
			}
			if j++; j == len(toks) || flags&hasKids == 0 {
				break
			}
			node, flags = c.table.child(node, toks[j].hash)
		}
	}
	return dedupe(hits)
}

// excepted reports whether one of the hit's term's exceptions (harmless
// compounds such as ကုလားထိုင်, "chair", for ကုလား) occurs in the text
// around the hit, covering all of its tokens.
func excepted(text string, toks []tok, h hit) bool {
	for _, x := range h.term.exceptions {
		// An occurrence starting at token s covers the hit when
		// s <= h.first and s+len(x)-1 >= h.last.
		for s := max(0, h.last-len(x)+1); s <= h.first && s+len(x) <= len(toks); s++ {
			if tokensAre(text, toks[s:s+len(x)], x) {
				return true
			}
		}
	}
	return false
}

func tokensAre(text string, toks []tok, want []tokText) bool {
	for j, w := range want {
		t := toks[j]
		if t.hash != w.hash || !eqFold(text[t.start:t.end], w.text) {
			return false
		}
	}
	return true
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
		start, end := h.start, h.end // text matched as written but for case
		if n.Offsets != nil {
			start, end = originalSpan(orig, n.Offsets, h.start, h.end)
		}
		ms[i] = event.Match{TermID: h.term.id, Category: h.term.category, Start: start, End: end, Rule: h.rule}
		if n.Offsets == nil && hasUpper(orig[start:end]) || n.Offsets != nil && orig[start:end] != n.Text[h.start:h.end] {
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
// those that change the matched span on its own and were applied to the
// post (a short span alone can look like Zawgyi to the detector when the
// post does not), or, when the span alone does not show it (a step that
// depends on the surrounding text), every step applied to the post.
func (c *Classifier) transforms(span string, n Normalized) []string {
	var out []string
	for _, t := range c.norm.Normalize(span).Transforms {
		if slices.Contains(n.Transforms, t) || n.Offsets == nil && t == TransformCasefold {
			out = append(out, t)
		}
	}
	if len(out) > 0 {
		return out
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
		if !unicode.Is(unicode.Mn, r) || isMyanmar(r) { // Myanmar marks are never removed
			break
		}
		end += size
	}
	return start, end
}
