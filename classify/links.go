package classify

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/event"
)

// DomainTermID is the prefix of the TermID of a match made by a domain
// list: "domain:" and the listed domain, as normalised ("domain:example.org"
// for a link to news.example.org when example.org is listed). The match's
// span is the link's host as written.
const DomainTermID = "domain:"

// addDomains checks that each domain-list entry counts in a category the
// lexicons declare, reporting the entry's file and line when not.
func (b *builder) addDomains(l *domains.Lists) {
	for _, e := range l.Entries() {
		if _, ok := b.c.categories[e.Category]; !ok {
			b.problem(e.File, e.Line, "domain %s on list %q: category %q is not declared in any lexicon", e.Domain, e.List, e.Category)
		}
	}
	b.c.domains = l
}

// linkMatches adds a match for each link in text, and each of the post's
// links beside it, whose host is on a domain list, and adds the entry's
// category to flagging (or, for a context category, to tags), as a term
// of that category would. Links are found in the text as written
// (domains.Links), not in the normalised copy, and their matches take no
// part in co-occurrence rules. A match in links[i] has Field "links[i]"
// and its offsets are into that link; a domain already matched in the
// text is not matched again in the links.
func (c *Classifier) linkMatches(text string, links []string, ms []event.Match, flagging, tags []string) ([]event.Match, []string, []string) {
	if c.domains.Len() == 0 {
		return ms, flagging, tags
	}
	n := len(ms)
	type found struct {
		domains.Link
		field string
	}
	var all []found
	for _, l := range domains.Links(text) {
		all = append(all, found{Link: l})
	}
	for i, s := range links {
		for _, l := range domains.Links(s) {
			all = append(all, found{Link: l, field: fmt.Sprintf("links[%d]", i)})
		}
	}
	for _, l := range all {
		for _, e := range c.domains.Lookup(l.Host) {
			m := event.Match{TermID: DomainTermID + e.Domain, Category: e.Category, Start: l.Start, End: l.End, Field: l.field}
			if slices.ContainsFunc(ms[n:], func(o event.Match) bool {
				return o.TermID == m.TermID && o.Category == m.Category && (o.Start == m.Start && o.Field == m.Field || m.Field != "")
			}) {
				continue // one domain on two lists of the same category, or a link already seen
			}
			ms = append(ms, m)
			if c.categories[e.Category].context {
				tags = append(tags, e.Category)
			} else {
				flagging = append(flagging, e.Category)
			}
		}
	}
	if len(ms) > n {
		slices.SortFunc(ms, func(a, b event.Match) int {
			return cmp.Or(strings.Compare(a.Field, b.Field), cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End),
				strings.Compare(a.TermID, b.TermID), strings.Compare(a.Rule, b.Rule))
		})
	}
	return ms, flagging, tags
}
