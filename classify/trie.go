package classify

import (
	"slices"
	"unicode/utf8"
)

// runeTrie is a read-only trie of strings over runes. Each node's edges
// are contiguous and sorted in one array, so a walk reads small, mostly
// cached ranges rather than hashing into a table the size of the lexicon:
// the cost per text position stays flat as the lexicon grows.
type runeTrie struct {
	nodes []trieNode // nodes[0] is the root
	edges []trieEdge
	terms [][]*term // the terms that end at a node, by trieNode.terms-1
}

type trieNode struct {
	first, n int32 // edges[first : first+n]
	terms    int32 // index+1 into runeTrie.terms; 0 when none ends here
}

type trieEdge struct {
	r     rune
	child int32
}

// newRuneTrie builds a trie of the strings in entries, each with its terms.
func newRuneTrie(entries map[string][]*term) runeTrie {
	t := runeTrie{nodes: []trieNode{{}}}
	if len(entries) == 0 {
		return t
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys) // UTF-8 order is code point order, so edges come sorted
	runes := make([][]rune, len(keys))
	lists := make([][]*term, len(keys))
	for i, k := range keys {
		runes[i], lists[i] = []rune(k), entries[k]
	}
	t.build(0, runes, lists, 0)
	return t
}

// build fills node from keys, which share their first depth runes and are
// sorted.
func (t *runeTrie) build(node int32, keys [][]rune, lists [][]*term, depth int) {
	if len(keys[0]) == depth { // the shortest key sorts first
		t.terms = append(t.terms, lists[0])
		t.nodes[node].terms = int32(len(t.terms))
		keys, lists = keys[1:], lists[1:]
	}
	// Group the keys by their next rune and give the node one edge each,
	// all contiguous, before building the children.
	var starts []int
	for i := range keys {
		if i == 0 || keys[i][depth] != keys[i-1][depth] {
			starts = append(starts, i)
		}
	}
	first := int32(len(t.edges))
	t.nodes[node].first, t.nodes[node].n = first, int32(len(starts))
	for _, s := range starts {
		t.nodes = append(t.nodes, trieNode{})
		t.edges = append(t.edges, trieEdge{r: keys[s][depth], child: int32(len(t.nodes) - 1)})
	}
	for g, s := range starts {
		end := len(keys)
		if g+1 < len(starts) {
			end = starts[g+1]
		}
		t.build(t.edges[first+int32(g)].child, keys[s:end], lists[s:end], depth+1)
	}
}

// walk calls fn for every stored string that text[from:] starts with,
// shortest first, with the end offset of the string in text.
func (t *runeTrie) walk(text string, from int, fn func(end int, terms []*term)) {
	node := t.nodes[0]
	for i := from; i < len(text) && node.n > 0; {
		r, size := utf8.DecodeRuneInString(text[i:])
		child, ok := t.child(node, r)
		if !ok {
			return
		}
		node = t.nodes[child]
		i += size
		if node.terms > 0 {
			fn(i, t.terms[node.terms-1])
		}
	}
}

// child finds the edge for r among node's sorted edges.
func (t *runeTrie) child(node trieNode, r rune) (int32, bool) {
	edges := t.edges[node.first : node.first+node.n]
	lo, hi := 0, len(edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if edges[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(edges) && edges[lo].r == r {
		return edges[lo].child, true
	}
	return 0, false
}

// empty reports whether the trie holds no string.
func (t *runeTrie) empty() bool { return len(t.edges) == 0 }
