package telegram

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// node is an element or a text of a page, with the byte range of its
// source in the page: a small tree built from the tokenizer (not
// html.Parse, which forgets where things were), so that a message's raw
// HTML can be sliced from the body exactly as Telegram sent it.
type node struct {
	tag      string // lower case; "" for a text
	attrs    []html.Attribute
	text     string // a text's content, entities decoded
	parent   *node
	children []*node
	// start and end delimit the node's source: from the first byte of
	// its start tag to the last of its end tag (or where it was closed
	// implicitly).
	start, end int
}

// voidElements have no end tag.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
}

// parseTree tokenizes body into a tree. Unlike a browser it does not fix
// up misnested markup: an end tag closes the nearest open element of its
// name (and those opened inside it); an end tag with no open element is
// ignored; elements still open at the end close there. That is enough for
// Telegram's generated, well-formed markup.
func parseTree(body []byte) (*node, error) {
	z := html.NewTokenizer(bytes.NewReader(body))
	root := &node{tag: "#document", end: len(body)}
	stack := []*node{root}
	pos := 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				return nil, z.Err()
			}
			break
		}
		// The length is taken before Text or TagAttr, which may decode
		// in place in the tokenizer's buffer (body itself is not touched).
		start := pos
		pos += len(z.Raw())
		top := stack[len(stack)-1]
		switch tt {
		case html.TextToken:
			top.children = append(top.children, &node{text: string(z.Text()), parent: top, start: start, end: pos})
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			n := &node{tag: string(name), parent: top, start: start, end: pos}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				n.attrs = append(n.attrs, html.Attribute{Key: string(k), Val: string(v)})
			}
			top.children = append(top.children, n)
			if tt == html.StartTagToken && !voidElements[n.tag] {
				stack = append(stack, n)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].tag != string(name) {
					continue
				}
				for j := len(stack) - 1; j > i; j-- {
					stack[j].end = start // closed implicitly by this end tag
				}
				stack[i].end = pos
				stack = stack[:i]
				break
			}
		}
	}
	if pos != len(body) {
		return nil, fmt.Errorf("tokenizer covered %d of %d bytes", pos, len(body))
	}
	for _, n := range stack[1:] {
		n.end = len(body)
	}
	return root, nil
}

// attr returns the value of the attribute key.
func (n *node) attr(key string) (string, bool) {
	for _, a := range n.attrs {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

// hasClass reports whether c is one of the element's classes.
func (n *node) hasClass(c string) bool {
	v, _ := n.attr("class")
	for _, f := range strings.Fields(v) {
		if f == c {
			return true
		}
	}
	return false
}

// matcher is a selector: a test of one element.
type matcher func(*node) bool

func class(c string) matcher { return func(n *node) bool { return n.tag != "" && n.hasClass(c) } }

func tag(t string) matcher { return func(n *node) bool { return n.tag == t } }

// all returns the descendants of n that match, in document order, not
// looking inside a match nor inside an element that skip matches (nil:
// none).
func (n *node) all(m, skip matcher) []*node {
	var out []*node
	var walk func(*node)
	walk = func(p *node) {
		for _, c := range p.children {
			switch {
			case m(c):
				out = append(out, c)
			case skip != nil && skip(c):
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return out
}

// first returns the first descendant of n that matches, not looking
// inside an element that skip matches; nil if none.
func (n *node) first(m, skip matcher) *node {
	for _, c := range n.children {
		switch {
		case m(c):
			return c
		case skip != nil && skip(c):
		default:
			if f := c.first(m, skip); f != nil {
				return f
			}
		}
	}
	return nil
}

// inside reports whether an ancestor of n matches.
func (n *node) inside(m matcher) bool {
	for p := n.parent; p != nil; p = p.parent {
		if m(p) {
			return true
		}
	}
	return false
}

// blockElements start on a line of their own in the extracted text.
var blockElements = map[string]bool{
	"div": true, "p": true, "blockquote": true, "pre": true, "ul": true, "ol": true, "li": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "table": true, "tr": true,
}

// textOf returns the text of n as a reader sees it: texts with their
// entities decoded, <br> as a line break, a block element on lines of
// its own; nothing of scripts and styles. Other whitespace is kept as
// it is (Telegram writes the author's line breaks as <br>).
func textOf(n *node) string {
	var b strings.Builder
	newline := func() {
		if s := b.String(); s != "" && !strings.HasSuffix(s, "\n") {
			b.WriteByte('\n')
		}
	}
	var walk func(*node)
	walk = func(p *node) {
		for _, c := range p.children {
			switch {
			case c.tag == "":
				b.WriteString(c.text)
			case c.tag == "br":
				b.WriteByte('\n')
			case c.tag == "script" || c.tag == "style" || c.tag == "template":
			case blockElements[c.tag]:
				newline()
				walk(c)
				newline()
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}
