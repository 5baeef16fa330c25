package rss

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/vigilhq/vigil/event"
)

const maxLinks = event.MaxLinks

// markupRE tells HTML from plain text: a tag or an entity.
var markupRE = regexp.MustCompile(`<[A-Za-z/!]|&(#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);`)

// bodyText returns the text of an RSS description or content (HTML, as
// the specification has it, though many feeds put plain text there) and
// the links under its anchors, resolved against base.
func bodyText(s string, base *url.URL) (string, []string) {
	if !markupRE.MatchString(s) {
		return plainText(s), nil
	}
	return htmlText(s, base)
}

// plainText tidies plain text: line breaks kept (at most one blank line
// in a row), spaces at line ends dropped.
func plainText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\u00a0")
		if strings.TrimSpace(l) == "" {
			blank++
			continue
		}
		if len(out) > 0 && blank > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// inlineText is the text of a title or name: markup removed, on one line.
func inlineText(s string) string {
	if markupRE.MatchString(s) {
		s, _ = htmlText(s, nil)
	}
	return strings.Join(strings.Fields(s), " ")
}

// Elements whose content is not text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Template: true,
	atom.Noscript: true, atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Math: true,
}

// Elements that stand on lines of their own: 1 a line break around them,
// 2 a blank line.
var blocks = map[atom.Atom]int{
	atom.P: 2, atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Blockquote: 2, atom.Pre: 2, atom.Table: 2, atom.Ul: 1, atom.Ol: 1, atom.Dl: 1,
	atom.Div: 1, atom.Li: 1, atom.Tr: 1, atom.Dt: 1, atom.Dd: 1, atom.Section: 1,
	atom.Article: 1, atom.Header: 1, atom.Footer: 1, atom.Figure: 1, atom.Figcaption: 1,
	atom.Hr: 1, atom.Address: 1, atom.Aside: 1, atom.Nav: 1, atom.Main: 1, atom.Caption: 1,
}

// htmlText renders an HTML fragment as plain text, keeping its line
// breaks (br, paragraphs, list items), and returns the http(s) links of
// its anchors, resolved against base.
func htmlText(s string, base *url.URL) (string, []string) {
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return plainText(s), nil
	}
	w := &textWriter{}
	var links []string
	var walk func(n *html.Node, pre bool)
	walk = func(n *html.Node, pre bool) {
		switch n.Type {
		case html.TextNode:
			w.text(n.Data, pre)
			return
		case html.ElementNode:
		default:
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c, pre)
			}
			return
		}
		if skipped[n.DataAtom] {
			return
		}
		if n.DataAtom == atom.Br {
			w.lineBreak()
			return
		}
		if n.DataAtom == atom.A {
			for _, a := range n.Attr {
				if a.Key == "href" && a.Namespace == "" {
					if l := resolve(base, a.Val); l != "" {
						links = append(links, l)
					}
				}
			}
		}
		if n.DataAtom == atom.Td || n.DataAtom == atom.Th {
			w.space = true
		}
		nl := blocks[n.DataAtom]
		w.block(nl)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, pre || n.DataAtom == atom.Pre)
		}
		w.block(nl)
	}
	for _, n := range nodes {
		walk(n, false)
	}
	return w.b.String(), links
}

// textWriter writes words with the spacing HTML renders: runs of white
// space are one space, none at a line's start or end.
type textWriter struct {
	b       strings.Builder
	space   bool // a space before the next word
	newline int  // line breaks before the next word
}

func (w *textWriter) word(s string) {
	if w.b.Len() > 0 {
		switch {
		case w.newline > 0:
			w.b.WriteString(strings.Repeat("\n", min(w.newline, 2)))
		case w.space:
			w.b.WriteByte(' ')
		}
	}
	w.newline, w.space = 0, false
	w.b.WriteString(s)
}

func (w *textWriter) text(s string, pre bool) {
	if pre {
		for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
			if i > 0 {
				w.lineBreak()
			}
			if strings.TrimSpace(line) != "" {
				w.word(strings.TrimRight(line, " \t"))
			}
		}
		return
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		if s != "" {
			w.space = true
		}
		return
	}
	if r, _ := utf8.DecodeRuneInString(s); unicode.IsSpace(r) {
		w.space = true
	}
	for i, f := range fields {
		if i > 0 {
			w.space = true
		}
		w.word(f)
	}
	if r, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(r) {
		w.space = true
	}
}

// lineBreak is a <br>: one more line break (two in a row make a blank
// line).
func (w *textWriter) lineBreak() {
	w.newline++
	w.space = false
}

// block asks for at least n line breaks before the next word.
func (w *textWriter) block(n int) {
	if n > w.newline {
		w.newline = n
	}
	if n > 0 {
		w.space = false
	}
}
