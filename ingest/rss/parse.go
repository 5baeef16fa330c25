package rss

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"
)

// Namespaces of the elements read. An undeclared prefix is kept as the
// namespace by encoding/xml, so the usual prefixes are matched as well.
const (
	nsRSS1    = "http://purl.org/rss/1.0/"
	nsRSS09   = "http://my.netscape.com/rdf/simple/0.9/"
	nsAtom    = "http://www.w3.org/2005/Atom"
	nsAtom03  = "http://purl.org/atom/ns#"
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsRDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXML     = "http://www.w3.org/XML/1998/namespace"
)

func plainNS(ns string) bool   { return ns == "" || ns == nsRSS1 || ns == nsRSS09 }
func atomNS(ns string) bool    { return ns == nsAtom || ns == nsAtom03 || ns == "atom" }
func dcNS(ns string) bool      { return ns == nsDC || ns == "dc" }
func contentNS(ns string) bool { return ns == nsContent || ns == "content" }

// node is an element decoded generically: its attributes, its own
// character data, its raw inner XML and its child elements.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Inner    []byte     `xml:",innerxml"`
	Children []node     `xml:",any"`
}

func (n *node) attr(space, local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local && (space == "*" || a.Name.Space == space) {
			return a.Value
		}
	}
	return ""
}

// feed is a parsed feed.
type feed struct {
	Title  string
	Author string // Atom feed-level author name
	Lang   string
	Items  []entry
}

// entry is one <item> or <entry>.
type entry struct {
	Raw    []byte // the element's bytes as sent
	Key    string // guid / id, or link, or title and date
	Title  string
	Body   string // plain text
	Link   string
	Links  []string
	Author string
	Date   time.Time
	Lang   string
}

// errNotFeed is the error of a document that is XML but no feed.
var errNotFeed = errors.New("not an RSS or Atom feed")

// parseFeed parses an RSS 2.0 (and 0.9x), RSS 1.0 (RDF) or Atom 1.0 feed,
// in UTF-8 or any encoding its XML declaration, its byte order mark or
// the Content-Type names. base resolves relative links.
func parseFeed(body []byte, contentType string, base *url.URL) (*feed, error) {
	text, orig, err := decodeCharset(body, contentType)
	if err != nil {
		return nil, err
	}
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.Entity = xml.HTMLEntity // &nbsp; and friends, common in feeds
	// The text is UTF-8 already, whatever the declaration says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	f := &feed{}
	kind := ""
	var stack []xml.Name
	for {
		start := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				switch {
				case t.Name.Local == "rss" && t.Name.Space == "":
					kind = "rss"
				case t.Name.Local == "RDF" && (t.Name.Space == nsRDF || t.Name.Space == "rdf"):
					kind = "rdf"
				case t.Name.Local == "feed" && (atomNS(t.Name.Space) || t.Name.Space == ""):
					kind = "atom"
					f.Lang = xmlLang(t.Attr)
				default:
					return nil, fmt.Errorf("%w: the root element is <%s>", errNotFeed, t.Name.Local)
				}
				stack = append(stack, t.Name)
				continue
			}
			parent := stack[len(stack)-1]
			isItem := kind != "atom" && t.Name.Local == "item" && plainNS(t.Name.Space)
			isEntry := kind == "atom" && t.Name.Local == "entry"
			if isItem || isEntry {
				var n node
				if err := d.DecodeElement(&n, &t); err != nil {
					return nil, err
				}
				raw := body[orig(int(start)):orig(int(d.InputOffset()))]
				var e entry
				if isItem {
					e = rssEntry(&n, base)
				} else {
					e = atomEntry(&n, base)
				}
				e.Raw = raw
				f.Items = append(f.Items, e)
				continue
			}
			channel := (kind != "atom" && parent.Local == "channel") || (kind == "atom" && len(stack) == 1)
			if channel {
				ns, l := t.Name.Space, t.Name.Local
				switch {
				case l == "title" && (kind == "atom" || plainNS(ns)):
					var n node
					if err := d.DecodeElement(&n, &t); err != nil {
						return nil, err
					}
					if kind == "atom" {
						f.Title = atomText(&n, base)
					} else {
						f.Title = inlineText(n.Text)
					}
					continue
				case (l == "language" && plainNS(ns)) || (l == "language" && dcNS(ns)):
					var n node
					if err := d.DecodeElement(&n, &t); err != nil {
						return nil, err
					}
					if f.Lang == "" {
						f.Lang = strings.TrimSpace(n.Text)
					}
					continue
				case kind == "atom" && l == "author" && f.Author == "":
					var n node
					if err := d.DecodeElement(&n, &t); err != nil {
						return nil, err
					}
					f.Author = atomPerson(&n)
					continue
				}
			}
			stack = append(stack, t.Name)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if kind == "" {
		return nil, fmt.Errorf("%w: no root element", errNotFeed)
	}
	return f, nil
}

func xmlLang(attrs []xml.Attr) string {
	for _, a := range attrs {
		if a.Name.Local == "lang" && (a.Name.Space == nsXML || a.Name.Space == "xml") {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// rssEntry reads an RSS 2.0 / 1.0 <item>.
func rssEntry(n *node, base *url.URL) entry {
	var e entry
	var guid, atomLink, pubDate, dcDate, creator, author, desc, content string
	permalink := true
	for i := range n.Children {
		c := &n.Children[i]
		ns, l := c.XMLName.Space, c.XMLName.Local
		switch {
		case l == "title" && plainNS(ns):
			e.Title = inlineText(c.Text)
		case l == "link" && plainNS(ns):
			if e.Link == "" {
				e.Link = strings.TrimSpace(c.Text)
			}
		case l == "link" && atomNS(ns):
			if rel := c.attr("", "rel"); (rel == "" || rel == "alternate") && atomLink == "" {
				atomLink = strings.TrimSpace(c.attr("", "href"))
			}
		case l == "description" && plainNS(ns):
			desc = markup(c)
		case l == "encoded" && contentNS(ns):
			content = markup(c)
		case l == "guid" && plainNS(ns):
			guid = strings.TrimSpace(c.Text)
			permalink = !strings.EqualFold(strings.TrimSpace(c.attr("", "isPermaLink")), "false")
		case l == "pubDate" && plainNS(ns):
			pubDate = c.Text
		case l == "date" && dcNS(ns):
			dcDate = c.Text
		case l == "creator" && dcNS(ns):
			if creator == "" {
				creator = inlineText(c.Text)
			}
		case l == "author" && plainNS(ns):
			author = rssAuthor(c.Text)
		case l == "language" && dcNS(ns):
			e.Lang = strings.TrimSpace(c.Text)
		}
	}
	if e.Link == "" {
		e.Link = atomLink
	}
	if e.Link == "" && guid != "" && permalink && isHTTP(guid) {
		e.Link = guid
	}
	e.Link = resolve(base, e.Link)
	date := pubDate
	if strings.TrimSpace(date) == "" {
		date = dcDate
	}
	e.Date = parseDate(date)
	e.Author = creator
	if e.Author == "" {
		e.Author = author
	}
	html := content
	if strings.TrimSpace(html) == "" {
		html = desc
	}
	linkBase := base
	if u, err := url.Parse(e.Link); err == nil && e.Link != "" {
		linkBase = u
	}
	var links []string
	e.Body, links = bodyText(html, linkBase)
	e.Links = mergeLinks(e.Link, links)
	switch {
	case guid != "":
		e.Key = "guid:" + guid
	case e.Link != "":
		e.Key = "link:" + e.Link
	case n.attr(nsRDF, "about") != "" || n.attr("rdf", "about") != "":
		e.Key = "link:" + n.attr("*", "about")
	default:
		e.Key = fallbackKey(e.Title, date, desc)
	}
	return e
}

// markup returns an element's HTML: its text (escaped or in CDATA, as
// RSS has it), or its inner XML when the HTML was put there unescaped.
func markup(n *node) string {
	if len(n.Children) > 0 {
		return string(n.Inner)
	}
	return n.Text
}

// rssAuthor reads RSS 2.0's author, an e-mail address with the name in
// parentheses by convention ("editor@example.org (Ko Aung)").
func rssAuthor(v string) string {
	v = inlineText(v)
	if i, j := strings.Index(v, "("), strings.LastIndex(v, ")"); i >= 0 && j > i+1 {
		return strings.TrimSpace(v[i+1 : j])
	}
	return v
}

// atomEntry reads an Atom <entry>.
func atomEntry(n *node, base *url.URL) entry {
	var e entry
	var id, published, updated string
	var summary, content *node
	e.Lang = xmlLang(n.Attrs)
	for i := range n.Children {
		c := &n.Children[i]
		ns, l := c.XMLName.Space, c.XMLName.Local
		if !atomNS(ns) && ns != "" {
			continue
		}
		switch l {
		case "id":
			id = strings.TrimSpace(c.Text)
		case "title":
			e.Title = atomText(c, base)
		case "link":
			if rel := c.attr("", "rel"); (rel == "" || rel == "alternate") && e.Link == "" {
				e.Link = strings.TrimSpace(c.attr("", "href"))
			}
		case "summary":
			summary = c
		case "content":
			if c.attr("", "src") == "" {
				content = c
			}
		case "published", "issued": // issued: Atom 0.3
			published = c.Text
		case "updated", "modified":
			updated = c.Text
		case "author":
			if e.Author == "" {
				e.Author = atomPerson(c)
			}
		}
	}
	e.Link = resolve(base, e.Link)
	date := published
	if strings.TrimSpace(date) == "" {
		date = updated
	}
	e.Date = parseDate(date)
	body := content
	if body == nil || strings.TrimSpace(string(body.Inner)) == "" {
		body = summary
	}
	if body != nil {
		linkBase := base
		if u, err := url.Parse(e.Link); err == nil && e.Link != "" {
			linkBase = u
		}
		var links []string
		switch strings.ToLower(body.attr("", "type")) {
		case "html", "text/html":
			e.Body, links = bodyText(markup(body), linkBase)
		case "xhtml", "application/xhtml+xml":
			e.Body, links = htmlText(string(body.Inner), linkBase)
		default: // text
			e.Body = plainText(body.Text)
		}
		e.Links = mergeLinks(e.Link, links)
	} else {
		e.Links = mergeLinks(e.Link, nil)
	}
	switch {
	case id != "":
		e.Key = "guid:" + id
	case e.Link != "":
		e.Key = "link:" + e.Link
	default:
		e.Key = fallbackKey(e.Title, date, "")
	}
	return e
}

// atomText reads an Atom text construct (a title) as plain text.
func atomText(n *node, base *url.URL) string {
	switch strings.ToLower(n.attr("", "type")) {
	case "html", "text/html":
		t, _ := htmlText(n.Text, base)
		return inlineText(t)
	case "xhtml", "application/xhtml+xml":
		t, _ := htmlText(string(n.Inner), base)
		return inlineText(t)
	}
	return inlineText(n.Text)
}

func atomPerson(n *node) string {
	for i := range n.Children {
		if c := &n.Children[i]; c.XMLName.Local == "name" {
			return inlineText(c.Text)
		}
	}
	return ""
}

// fallbackKey identifies an item with neither guid nor link by its title
// and date (and its description when both are empty).
func fallbackKey(title, date, desc string) string {
	k := "title:" + strings.TrimSpace(title) + "\x00" + strings.TrimSpace(date)
	if strings.TrimSpace(title) == "" && strings.TrimSpace(date) == "" {
		k += "\x00" + strings.TrimSpace(desc)
	}
	return k
}

// keyHash is the 32 hex digits of an item key's SHA-256 that identify the
// item in post IDs and cursors.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

func isHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// resolve makes ref absolute against base; "" if it is not a web link.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// mergeLinks returns link then the others, without repeats, at most
// event.MaxLinks, none longer than 4096 bytes.
func mergeLinks(link string, others []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range append([]string{link}, others...) {
		if l == "" || seen[l] || len(l) > 4096 || len(out) == maxLinks {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// decodeCharset returns the document as UTF-8 and a function mapping an
// offset in it back to an offset in body (so that an element's raw bytes
// can be cut from the document as sent).
func decodeCharset(body []byte, contentType string) ([]byte, func(int) int, error) {
	skip := 0
	label := ""
	switch {
	case bytes.HasPrefix(body, []byte{0xEF, 0xBB, 0xBF}):
		skip, label = 3, "utf-8"
	case bytes.HasPrefix(body, []byte{0xFE, 0xFF}):
		skip, label = 2, "utf-16be"
	case bytes.HasPrefix(body, []byte{0xFF, 0xFE}):
		skip, label = 2, "utf-16le"
	}
	if label == "" {
		label = declaredEncoding(body)
	}
	if label == "" && contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			label = params["charset"]
		}
	}
	rest := body[skip:]
	name := "utf-8"
	var enc encoding.Encoding
	if label != "" {
		l := strings.ToLower(strings.TrimSpace(label))
		if (l == "us-ascii" || l == "ascii") && utf8.Valid(rest) {
			l = "utf-8" // ASCII is UTF-8; a feed calling UTF-8 ASCII is common
		}
		enc, name = charset.Lookup(l)
		if enc == nil {
			return nil, nil, fmt.Errorf("unsupported character encoding %q", label)
		}
	}
	if name == "utf-8" && utf8.Valid(rest) {
		return rest, func(i int) int { return i + skip }, nil
	}
	if enc == nil {
		enc, _ = charset.Lookup("utf-8") // replaces invalid bytes with U+FFFD
	}
	text, orig, err := toUTF8(rest, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding %s: %w", name, err)
	}
	return text, func(i int) int { return int(orig[i]) + skip }, nil
}

var declRE = regexp.MustCompile(`^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// declaredEncoding reads the encoding of the XML declaration.
func declaredEncoding(body []byte) string {
	head := body[:min(len(body), 512)]
	if m := declRE.FindSubmatch(head); m != nil {
		return string(m[1])
	}
	return ""
}

// toUTF8 decodes src one character at a time, recording for each byte of
// the result the offset in src of the character it came from (and, last,
// len(src)).
func toUTF8(src []byte, enc encoding.Encoding) ([]byte, []int32, error) {
	if len(src) > 1<<30 {
		return nil, nil, errors.New("document too large")
	}
	t := enc.NewDecoder()
	out := make([]byte, 0, len(src)+len(src)/2)
	orig := make([]int32, 0, cap(out)+1)
	var dst [64]byte
	for pos := 0; pos < len(src); {
		n := 1
		for {
			end := min(pos+n, len(src))
			atEOF := end == len(src)
			nDst, nSrc, err := t.Transform(dst[:], src[pos:end], atEOF)
			if err != nil && !errors.Is(err, transform.ErrShortSrc) {
				return nil, nil, err
			}
			if nSrc == 0 {
				if atEOF || n >= 16 {
					return nil, nil, fmt.Errorf("undecodable bytes at offset %d", pos)
				}
				n++
				continue
			}
			for range nDst {
				orig = append(orig, int32(pos))
			}
			out = append(out, dst[:nDst]...)
			pos += nSrc
			break
		}
	}
	orig = append(orig, int32(len(src)))
	return out, orig, nil
}
