package classify

import "slices"

// applyRules evaluates the co-occurrence rules over the term hits. It
// returns the hits with Rule set on those that fed a rule that fired (a hit
// that fed two rules appears once for each) and the categories of the rules
// that fired.
//
// A rule fires when, within some run of `within` consecutive words, a hit
// of every category of its `all` starts, and of at least one of its `any`. Words are the tokens of the normalised
// text; a whole run of Myanmar script still counts as one word (counting
// its syllables instead is still to do). Rules see term hits only, not the
// categories of other rules.
func (c *Classifier) applyRules(hits []hit) ([]hit, []string) {
	if len(hits) == 0 || len(c.rules) == 0 {
		return hits, nil
	}
	present := make(map[string]bool, len(hits))
	for _, h := range hits {
		present[h.term.category] = true
	}
	var (
		fired []string
		extra []hit
	)
	for _, r := range c.rules {
		if !allPresent(present, r.all) || len(r.any) > 0 && !anyPresent(present, r.any) {
			continue
		}
		fed := r.window(hits)
		if len(fed) == 0 {
			continue
		}
		fired = append(fired, r.category)
		for _, i := range fed {
			if hits[i].rule == "" {
				hits[i].rule = r.id
			} else {
				h := hits[i]
				h.rule = r.id
				extra = append(extra, h)
			}
		}
	}
	return append(hits, extra...), fired
}

func allPresent(present map[string]bool, cats []string) bool {
	for _, cat := range cats {
		if !present[cat] {
			return false
		}
	}
	return true
}

func anyPresent(present map[string]bool, cats []string) bool {
	for _, cat := range cats {
		if present[cat] {
			return true
		}
	}
	return false
}

// window returns the indexes of the hits (sorted by start, as match
// returns them) that lie in a window of r.within words holding a hit of
// every category of the rule; none when there is no such window. It slides
// the window from hit to hit, so it costs time linear in the hits.
func (r *rule) window(hits []hit) []int {
	var idx []int // the hits of the rule's categories
	for i, h := range hits {
		if r.slot(h.term.category) >= 0 {
			idx = append(idx, i)
		}
	}
	slots := len(r.all) // every category of all, and one shared by those of any
	if len(r.any) > 0 {
		slots++
	}
	var (
		count   = make([]int, slots) // hits per slot in the window
		covered int                  // categories with a hit in the window
		right   int                  // the window is idx[left:right]
		marked  int                  // idx[:marked] are already in fed
		fed     []int
	)
	for left := range idx {
		for right < len(idx) && hits[idx[right]].first < hits[idx[left]].first+r.within {
			s := r.slot(hits[idx[right]].term.category)
			if count[s] == 0 {
				covered++
			}
			count[s]++
			right++
		}
		if covered == slots {
			fed = append(fed, idx[max(left, marked):right]...)
			marked = right
		}
		s := r.slot(hits[idx[left]].term.category)
		if count[s]--; count[s] == 0 {
			covered--
		}
	}
	return fed
}

// slot is the index of cat in r.all, len(r.all) for a category of r.any
// (they share one slot: any one of them will do), or -1.
func (r *rule) slot(cat string) int {
	for i, c := range r.all {
		if c == cat {
			return i
		}
	}
	if slices.Contains(r.any, cat) {
		return len(r.all)
	}
	return -1
}
