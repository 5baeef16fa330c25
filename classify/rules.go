package classify

// applyRules evaluates the co-occurrence rules over the term hits. It
// returns the hits with Rule set on those that fed a rule that fired (a hit
// that fed two rules appears once for each) and the categories of the rules
// that fired.
//
// A rule fires when, within some run of `within` consecutive words, a hit
// of every category it lists starts. Words are the tokens of the normalised
// text; for now a whole run of Myanmar script counts as one word, until
// syllable segmentation arrives. Rules see term hits only, not the
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
		if !allPresent(present, r.all) {
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
	var (
		count   = make([]int, len(r.all)) // hits per category in the window
		covered int                       // categories with a hit in the window
		right   int                       // the window is idx[left:right]
		marked  int                       // idx[:marked] are already in fed
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
		if covered == len(r.all) {
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

// slot is the index of cat in r.all, or -1.
func (r *rule) slot(cat string) int {
	for i, c := range r.all {
		if c == cat {
			return i
		}
	}
	return -1
}
