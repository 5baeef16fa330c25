package mastodon

import (
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText turns a status's content (sanitised HTML: Mastodon sends <p>,
// <br>, <span> and <a>; other servers' statuses may keep a few more tags)
// into plain text, and returns the links under its anchors.
//
//   - Paragraphs and other blocks are separated by a blank line ("\n\n"),
//     list items and <br> by a line break.
//   - Character references are decoded; runs of ASCII white space inside
//     a line collapse to one space, as a browser shows them (other spaces,
//     such as U+00A0 and the zero-width characters Burmese text uses, are
//     kept); <pre> keeps its white space.
//   - An anchor keeps its text. For a link Mastodon shortens visually
//     (<span class="invisible">https://</span><span class="ellipsis">
//     example.org/lo</span><span class="invisible">ng/path</span>) that is
//     the whole address as the author wrote it, hidden spans included.
//   - links are the http(s) hrefs of anchors that are not mentions or
//     hashtags (class "mention" or "hashtag", or rel="tag"), in order,
//     without repeats.
func htmlText(content string) (text string, links []string) {
	if strings.TrimSpace(content) == "" {
		return "", nil
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(content), ctx)
	if err != nil { // only a failing reader; a strings.Reader does not fail
		return strings.TrimSpace(content), nil
	}
	w := &textWriter{}
	for _, n := range nodes {
		w.walk(n)
	}
	return strings.TrimSpace(w.b.String()), w.links
}

type textWriter struct {
	b       strings.Builder
	breaks  int  // line breaks owed before the next text
	space   bool // a collapsed space owed before the next text
	pre     int  // depth of <pre>
	links   []string
	started bool // some text was written
}

// blockBreaks is how many line breaks separate an element from what
// surrounds it: 2 (a blank line) for paragraphs and other blocks, 1 for
// list items and table rows.
var blockBreaks = map[atom.Atom]int{
	atom.P: 2, atom.Div: 2, atom.Blockquote: 2, atom.Pre: 2, atom.Ul: 2, atom.Ol: 2,
	atom.H1: 2, atom.H2: 2, atom.H3: 2, atom.H4: 2, atom.H5: 2, atom.H6: 2,
	atom.Table: 2, atom.Section: 2, atom.Article: 2, atom.Header: 2, atom.Footer: 2,
	atom.Figure: 2, atom.Hr: 2, atom.Dl: 2,
	atom.Li: 1, atom.Tr: 1, atom.Dt: 1, atom.Dd: 1, atom.Figcaption: 1,
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
	default: // comments, doctypes
		return
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Head, atom.Title:
		return
	case atom.Br:
		if w.started {
			w.breaks++
			w.space = false
		}
		return
	case atom.A:
		w.anchor(n)
	}
	brk := blockBreaks[n.DataAtom]
	w.lineBreak(brk)
	if n.DataAtom == atom.Pre {
		w.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
	if n.DataAtom == atom.Pre {
		w.pre--
	}
	w.lineBreak(brk)
}

// lineBreak asks for n line breaks before the next text (none at the
// start of the text).
func (w *textWriter) lineBreak(n int) {
	if n == 0 || !w.started {
		return
	}
	w.breaks = max(w.breaks, n)
	w.space = false
}

func (w *textWriter) flush() {
	switch {
	case w.breaks > 0:
		w.b.WriteString(strings.Repeat("\n", w.breaks))
	case w.space:
		w.b.WriteByte(' ')
	}
	w.breaks, w.space, w.started = 0, false, true
}

func (w *textWriter) text(s string) {
	if w.pre > 0 {
		if s != "" {
			w.flush()
			w.b.WriteString(s)
		}
		return
	}
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f':
			if w.started && w.breaks == 0 {
				w.space = true
			}
		default:
			w.flush()
			w.b.WriteRune(r)
		}
	}
}

func (w *textWriter) anchor(n *html.Node) {
	var href, class, rel string
	for _, a := range n.Attr {
		switch strings.ToLower(a.Key) {
		case "href":
			href = strings.TrimSpace(a.Val)
		case "class":
			class = a.Val
		case "rel":
			rel = a.Val
		}
	}
	for _, c := range strings.Fields(strings.ToLower(class)) {
		if c == "mention" || c == "hashtag" {
			return
		}
	}
	if slices.Contains(strings.Fields(strings.ToLower(rel)), "tag") {
		return
	}
	u, err := url.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return
	}
	if !slices.Contains(w.links, href) {
		w.links = append(w.links, href)
	}
}
