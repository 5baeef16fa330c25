package telegram

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// The class names of the web preview (https://t.me/s/<channel>) this
// source reads.
const (
	classWrap          = "tgme_widget_message_wrap"
	classMessage       = "tgme_widget_message"
	classService       = "service_message"
	classText          = "tgme_widget_message_text"
	classOwnerName     = "tgme_widget_message_owner_name"
	classDate          = "tgme_widget_message_date"
	classLinkPreview   = "tgme_widget_message_link_preview"
	classReply         = "tgme_widget_message_reply"
	classForwarded     = "tgme_widget_message_forwarded_from"
	classForwardedName = "tgme_widget_message_forwarded_from_name"
	classViews         = "tgme_widget_message_views"
	classChannelInfo   = "tgme_channel_info"
	classHistory       = "tgme_channel_history"
)

// page is one preview page, parsed.
type page struct {
	// preview is false when the HTML is not a channel's web preview.
	preview bool
	// messages in page order (oldest first).
	messages []message
}

// lowest returns the lowest message id on the page, 0 if none has one.
func (p *page) lowest() int64 {
	var low int64
	for _, m := range p.messages {
		if m.id > 0 && (low == 0 || m.id < low) {
			low = m.id
		}
	}
	return low
}

// message is one message of a page: a post, a message without text to
// skip, or one that cannot be read (err).
type message struct {
	id   int64  // 0 when data-post is missing or not this channel's
	raw  []byte // the message's HTML exactly as on the page
	at   int    // its byte offset in the page
	post event.Post
	// skip: a message with no text (media only, a service message).
	skip bool
	err  error
}

// parsePage reads a preview page of channel (a lower-case username).
func parsePage(body []byte, channel string) (*page, error) {
	root, err := parseTree(body)
	if err != nil {
		return nil, err
	}
	p := &page{}
	// A message is its wrap; a tgme_widget_message outside any wrap
	// counts too, should the wraps ever go.
	units := root.all(func(n *node) bool {
		return n.tag != "" && (n.hasClass(classWrap) || n.hasClass(classMessage) && !n.inside(class(classWrap)))
	}, nil)
	p.preview = len(units) > 0 ||
		root.first(class(classChannelInfo), nil) != nil || root.first(class(classHistory), nil) != nil
	for _, u := range units {
		p.messages = append(p.messages, parseMessage(body, u, channel))
	}
	return p, nil
}

// parseMessage reads one message from its wrap.
func parseMessage(body []byte, wrap *node, channel string) message {
	m := message{raw: bytes.Clone(body[wrap.start:wrap.end]), at: wrap.start}
	msg := wrap
	if !wrap.hasClass(classMessage) {
		msg = wrap.first(class(classMessage), nil)
	}
	if msg == nil {
		m.err = bad("data-post", "no tgme_widget_message element in the message")
		return m
	}
	dataPost, ok := msg.attr("data-post")
	if !ok {
		m.err = bad("data-post", "the message has no data-post")
		return m
	}
	handle, id, err := parseDataPost(dataPost)
	if err != nil {
		m.err = err
		return m
	}
	if !strings.EqualFold(handle, channel) {
		m.err = bad("data-post", "%q is not a message of channel %s", dataPost, channel)
		return m
	}
	m.id = id
	if msg.hasClass(classService) {
		m.skip = true
		return m
	}

	// The message's own parts, not those of the message it replies to
	// or of a link preview.
	notQuoted := func(n *node) bool { return n.hasClass(classReply) || n.hasClass(classLinkPreview) }
	var text string
	textNode := msg.first(class(classText), notQuoted)
	if textNode != nil {
		text = strings.TrimSpace(textOf(textNode))
	}
	if text == "" {
		m.skip = true
		return m
	}
	dateLink := msg.first(class(classDate), notQuoted)
	if dateLink == nil {
		m.err = bad("date", "message %s has no date", dataPost)
		return m
	}
	tm := dateLink.first(tag("time"), nil)
	var dt string
	if tm != nil {
		dt, _ = tm.attr("datetime")
	}
	created, err := time.Parse(time.RFC3339, dt)
	if err != nil {
		m.err = bad("date", "message %s: %q is not an RFC 3339 time", dataPost, dt)
		return m
	}
	var name string
	if owner := msg.first(class(classOwnerName), notQuoted); owner != nil {
		name = strings.TrimSpace(textOf(owner))
	}
	var hrefs []string
	for _, a := range textNode.all(tag("a"), nil) {
		hrefs = append(hrefs, attrOf(a, "href"))
	}
	for _, a := range msg.all(class(classLinkPreview), nil) {
		hrefs = append(hrefs, attrOf(a, "href"))
	}
	m.post = event.Post{
		Platform:  Platform,
		ID:        strings.ToLower(handle) + ":" + strconv.FormatInt(id, 10),
		Author:    event.Author{ID: strings.ToLower(handle), Handle: handle, Name: name},
		Text:      text,
		CreatedAt: created.UTC(),
		URL:       "https://t.me/" + handle + "/" + strconv.FormatInt(id, 10),
		Links:     links(hrefs, handle),
		Raw:       m.raw,
		RawSHA256: event.SHA256Hex(m.raw),
	}
	return m
}

// bad is the error of a message whose markup cannot be read: it goes to
// the dead-letter topic as malformed.
func bad(field, format string, args ...any) error {
	return &event.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...), Kind: event.KindMalformed}
}

func attrOf(n *node, key string) string {
	v, _ := n.attr(key)
	return v
}

// parseDataPost splits "channel/1234".
func parseDataPost(v string) (handle string, id int64, err error) {
	h, num, ok := strings.Cut(v, "/")
	if !ok || !validUsername(h) {
		return "", 0, bad("data-post", "%q is not <channel>/<id>", v)
	}
	id, err = strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || strings.HasPrefix(num, "+") {
		return "", 0, bad("data-post", "%q has no valid message id", v)
	}
	return h, id, nil
}

// validUsername reports whether s is a channel username: letters, digits
// and underscores.
func validUsername(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// links returns the hrefs worth keeping, absolute, without repeats: http
// and https only, not a hashtag search ("?q=%23tag"), at most
// event.MaxLinks, each at most 4096 bytes. A relative href is resolved
// against the message's channel page on t.me.
func links(hrefs []string, handle string) []string {
	base := &url.URL{Scheme: "https", Host: "t.me", Path: "/s/" + handle}
	var out []string
	seen := map[string]bool{}
	for _, h := range hrefs {
		h = strings.TrimSpace(h)
		if h == "" || strings.HasPrefix(h, "?") || strings.HasPrefix(h, "#") {
			continue
		}
		u, err := url.Parse(h)
		if err != nil {
			continue
		}
		u = base.ResolveReference(u)
		if u.Scheme != "http" && u.Scheme != "https" {
			continue // tg:, mailto:, javascript:: no domain to check
		}
		if u.Host == "t.me" && u.Path == "/s/"+handle && u.Query().Has("q") {
			continue // a hashtag or search link, written absolute
		}
		s := u.String()
		if seen[s] || len(s) > 4096 {
			continue
		}
		seen[s] = true
		out = append(out, s)
		if len(out) == event.MaxLinks {
			break
		}
	}
	return out
}

// Extras are the parts of a message the post does not carry in its own
// fields but keeps in Raw (the message's HTML): its view count and, for a
// forwarded message, where it came from. ParseExtras reads them back.
type Extras struct {
	// Views is the view count as shown ("1.2K", "3M", "987"); "" if
	// none.
	Views string
	// ViewCount is Views as a number, approximate as shown (1.2K is
	// 1200); 0 if none or unreadable.
	ViewCount int64
	// ForwardedFrom is the link to the original message or channel
	// ("https://t.me/otherchan/55"); "" if not forwarded or the origin is
	// not public.
	ForwardedFrom string
	// ForwardedFromName is the original's channel or user name as shown;
	// "" if not forwarded.
	ForwardedFromName string
}

// ParseExtras reads the extras of a message from a post's Raw.
func ParseExtras(raw []byte) (Extras, error) {
	var e Extras
	root, err := parseTree(raw)
	if err != nil {
		return e, err
	}
	skip := func(n *node) bool { return n.hasClass(classReply) }
	if v := root.first(class(classViews), skip); v != nil {
		e.Views = strings.TrimSpace(textOf(v))
		e.ViewCount = parseCount(e.Views)
	}
	if f := root.first(class(classForwarded), skip); f != nil {
		name := f.first(class(classForwardedName), nil)
		if name == nil {
			// A forward from a private account: a plain span, no link.
			name = f.first(tag("span"), nil)
		}
		if name != nil {
			e.ForwardedFromName = strings.TrimSpace(textOf(name))
			if name.tag == "a" {
				e.ForwardedFrom = attrOf(name, "href")
			}
		}
	}
	return e, nil
}

// parseCount reads "987", "1.2K", "3M" (and "1,234" or "1.5B").
func parseCount(s string) int64 {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	mult := 1.0
	if s != "" {
		switch s[len(s)-1] {
		case 'K', 'k':
			mult = 1e3
		case 'M', 'm':
			mult = 1e6
		case 'B', 'b':
			mult = 1e9
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	if s == "" || strings.Trim(s, "0123456789.") != "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return int64(f*mult + 0.5)
}
