package classify

import (
	"math/bits"
	"slices"
)

// termTable is the multi-pattern automaton of the classifier: a trie over
// tokens rather than bytes. Every form of every term is a sequence of
// tokens, scanned from its normalised text exactly as posts are. The trie's
// edges (first tokens from the root, and each next token from a node) are
// kept in open-addressed hash tables keyed by the token's hash, each behind
// a bit set small enough to stay in the processor's cache, which turns most
// ordinary words and syllables away before a table is touched. Each token
// of a post thus costs a probe or two whatever the number of terms, and
// the automaton takes a step per word or syllable rather than per byte:
// matches count only on whole tokens.
//
// The walk compares tokens by their 64-bit hashes only, which keeps it in
// the table's own memory; the texts of a path are compared (verify) only
// when it reaches a term, so a hash collision can never make a false match.
type termTable struct {
	first edgeSet // from the root: the first tokens of terms
	next  edgeSet // from a node to its children
	nodes []tnode
	texts []string // the token that leads to each node
	terms [][]*term
}

// tnode is the trie node reached after some tokens.
type tnode struct {
	parent int32 // -1 for a first token
	terms  int32 // index+1 into termTable.terms; 0 when no form ends here
}

// edgeSet maps (node, token hash) to a child node.
type edgeSet struct {
	filter []uint64
	fbits  uint // len(filter)*64 == 1<<fbits
	slots  []eslot
	mask   uint64
}

type eslot struct {
	hash uint64
	from int32 // the parent node; -1 for the root
	// child is (index+1)<<2 | flags (hasTerms, hasKids), so that a walk
	// reads a node only where a term ends; 0: empty.
	child int32
}

// Flags of a node, kept in the edges that lead to it.
const (
	hasTerms = 1 << iota // a form of a term ends at the node
	hasKids              // the node has children
)

// key mixes a token hash with the node it leaves from.
func key(from int32, hash uint64) uint64 {
	h := hash ^ uint64(from+1)*0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

func newEdgeSet(n int) edgeSet {
	// Two slots per edge at least, and 16 filter bits: about one token in
	// sixteen that leads nowhere gets past the filter to the slots.
	size := 1 << max(4, bits.Len(uint(2*n)))
	fbits := uint(max(12, bits.Len(uint(16*n))))
	return edgeSet{filter: make([]uint64, (1<<fbits)/64), fbits: fbits, slots: make([]eslot, size), mask: uint64(size - 1)}
}

func (e *edgeSet) put(from int32, hash uint64, child int32, flags int32) {
	m := key(from, hash)
	e.filter[m>>(64-e.fbits)>>6] |= 1 << (m & 63)
	for j := (m >> 20) & e.mask; ; j = (j + 1) & e.mask {
		if e.slots[j].child == 0 {
			e.slots[j] = eslot{hash: hash, from: from, child: (child+1)<<2 | flags}
			return
		}
	}
}

// get returns the child of from reached by a token with the given hash and
// its flags, or -1.
func (e *edgeSet) get(from int32, hash uint64) (int32, int32) {
	if len(e.slots) == 0 {
		return -1, 0
	}
	m := key(from, hash)
	if e.filter[m>>(64-e.fbits)>>6]&(1<<(m&63)) == 0 {
		return -1, 0
	}
	for j := (m >> 20) & e.mask; ; j = (j + 1) & e.mask {
		s := &e.slots[j]
		if s.child == 0 {
			return -1, 0
		}
		if s.hash == hash && s.from == from {
			return s.child>>2 - 1, s.child & 3
		}
	}
}

// tokText is a token of a term, a variant or an exception.
type tokText struct {
	hash uint64
	text string
}

// tableBuilder collects forms before the table is laid out.
type tableBuilder struct {
	nodes []bnode
	heads map[string]int32
}

type bnode struct {
	tok      tokText
	parent   int32
	children map[string]int32
	terms    []*term
}

func (b *tableBuilder) add(toks []tokText, t *term) {
	if b.heads == nil {
		b.heads = map[string]int32{}
	}
	n, ok := b.heads[toks[0].text]
	if !ok {
		n = b.node(toks[0], -1)
		b.heads[toks[0].text] = n
	}
	for _, tk := range toks[1:] {
		c, ok := b.nodes[n].children[tk.text]
		if !ok {
			c = b.node(tk, n)
			if b.nodes[n].children == nil {
				b.nodes[n].children = map[string]int32{}
			}
			b.nodes[n].children[tk.text] = c
		}
		n = c
	}
	if !slices.Contains(b.nodes[n].terms, t) { // a variant that normalises to the term
		b.nodes[n].terms = append(b.nodes[n].terms, t)
	}
}

func (b *tableBuilder) node(tk tokText, parent int32) int32 {
	b.nodes = append(b.nodes, bnode{tok: tk, parent: parent})
	return int32(len(b.nodes) - 1)
}

// build lays the table out.
func (b *tableBuilder) build() termTable {
	t := termTable{
		first: newEdgeSet(len(b.heads)),
		next:  newEdgeSet(len(b.nodes) - len(b.heads)),
		nodes: make([]tnode, len(b.nodes)),
		texts: make([]string, len(b.nodes)),
	}
	for i, bn := range b.nodes {
		t.nodes[i] = tnode{parent: bn.parent}
		t.texts[i] = bn.tok.text
		if len(bn.terms) > 0 {
			t.terms = append(t.terms, bn.terms)
			t.nodes[i].terms = int32(len(t.terms))
		}
		for _, c := range bn.children {
			t.next.put(int32(i), b.nodes[c].tok.hash, c, b.flags(c))
		}
	}
	for _, n := range b.heads {
		t.first.put(-1, b.nodes[n].tok.hash, n, b.flags(n))
	}
	return t
}

func (b *tableBuilder) flags(n int32) int32 {
	var f int32
	if len(b.nodes[n].terms) > 0 {
		f |= hasTerms
	}
	if len(b.nodes[n].children) > 0 {
		f |= hasKids
	}
	return f
}

// head returns the node of a first token with the given hash and its
// flags, or -1.
func (t *termTable) head(hash uint64) (int32, int32) { return t.first.get(-1, hash) }

// child returns the child of node reached by a token with the given hash
// and its flags, or -1.
func (t *termTable) child(node int32, hash uint64) (int32, int32) { return t.next.get(node, hash) }

// verify reports whether the tokens toks[:j+1] of text are the path to
// node.
func (t *termTable) verify(text string, toks []tok, j int, node int32) bool {
	for ; node >= 0; node, j = t.nodes[node].parent, j-1 {
		if j < 0 || !eqFold(text[toks[j].start:toks[j].end], t.texts[node]) {
			return false
		}
	}
	return j < 0
}
