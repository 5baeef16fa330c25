package twitter

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/vigilhq/vigil/event"
)

// entry is one tweet object of a page.
type entry struct {
	raw   json.RawMessage
	tweet twitter.Tweet
	id    int64 // 0 when it has none usable
	err   error // why it cannot become a post
}

// decode reads one tweet object (go-twitter's Tweet type, decoded from the
// raw bytes kept).
func decode(raw json.RawMessage) entry {
	e := entry{raw: raw}
	if err := json.Unmarshal(raw, &e.tweet); err != nil {
		e.err = &event.ValidationError{Reason: "not a tweet object: " + err.Error(), Kind: event.KindMalformed}
		return e
	}
	switch id, err := strconv.ParseInt(e.tweet.IDStr, 10, 64); {
	case e.tweet.IDStr == "" && e.tweet.ID > 0:
		e.id = e.tweet.ID
	case err != nil || id <= 0:
		e.err = &event.ValidationError{Field: "id_str", Reason: fmt.Sprintf("%q is not a tweet id", e.tweet.IDStr), Kind: event.KindInvalid}
		return e
	default:
		e.id = id
	}
	if !utf8.Valid(raw) {
		// encoding/json replaced the bad bytes; the post would not be
		// what was sent.
		e.err = &event.ValidationError{Reason: "not valid UTF-8", Kind: event.KindEncoding}
	}
	return e
}

// postOrSkip is a post, or a tweet with no text to classify.
type postOrSkip struct {
	event.Post
	skip bool
}

// rubyDate is the layout of created_at in API v1.1.
const rubyDate = "Mon Jan 02 15:04:05 -0700 2006"

// unescape undoes the escaping of v1.1 tweet text, which sends &, < and >
// as &amp;, &lt; and &gt; (and nothing else as an entity), so "&amp;lt;"
// was typed "&lt;".
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// toPost turns a tweet into a post. A retweet's text is the retweeted
// tweet's whole text after "RT @handle: " (v1.1 cuts the retweet's own
// full_text at 140 characters), its links those of both.
func toPost(tw *twitter.Tweet, raw []byte, lim event.Limits) (postOrSkip, error) {
	var out postOrSkip
	if tw.User == nil {
		return out, &event.ValidationError{Field: "user", Reason: "required", Kind: event.KindInvalid}
	}
	p := &out.Post
	p.Platform = Platform
	p.ID = tw.IDStr
	if p.ID == "" {
		p.ID = strconv.FormatInt(tw.ID, 10)
	}
	p.Author = event.Author{ID: tw.User.IDStr, Handle: tw.User.ScreenName, Name: tw.User.Name}
	if p.Author.ID == "" && tw.User.ID > 0 {
		p.Author.ID = strconv.FormatInt(tw.User.ID, 10)
	}
	text := fullText(tw)
	links := urls(tw, nil)
	if rt := tw.RetweetedStatus; rt != nil {
		handle := ""
		if rt.User != nil {
			handle = rt.User.ScreenName
		}
		if t := fullText(rt); t != "" && handle != "" {
			text = "RT @" + handle + ": " + t
		}
		links = urls(rt, links)
	}
	p.Text = unescape.Replace(text)
	if strings.TrimSpace(p.Text) == "" {
		out.skip = true
		return out, nil
	}
	if tw.CreatedAt != "" {
		t, err := time.Parse(rubyDate, tw.CreatedAt)
		if err != nil {
			return out, &event.ValidationError{Field: "created_at", Reason: fmt.Sprintf("%q is not a v1.1 time (%s)", tw.CreatedAt, rubyDate), Kind: event.KindInvalid}
		}
		p.CreatedAt = t.UTC()
	}
	if p.Author.Handle != "" && validScreenName(p.Author.Handle) {
		p.URL = "https://x.com/" + p.Author.Handle + "/status/" + p.ID
	}
	if tw.Lang != "und" {
		p.Lang = tw.Lang
	}
	p.Links = links
	p.Raw = raw
	p.RawSHA256 = event.SHA256Hex(raw)
	return out, p.Validate(lim, time.Now())
}

// fullText is a tweet's whole text: extended_tweet.full_text (a tweet
// over 140 characters in compatibility mode), full_text (extended
// mode), or text.
func fullText(tw *twitter.Tweet) string {
	switch {
	case tw.ExtendedTweet != nil && tw.ExtendedTweet.FullText != "":
		return tw.ExtendedTweet.FullText
	case tw.FullText != "":
		return tw.FullText
	}
	return tw.Text
}

// urls appends to links the expanded URLs of a tweet's url entities (of
// extended_tweet when there is one: the others stop at 140 characters),
// each once.
func urls(tw *twitter.Tweet, links []string) []string {
	ents := tw.Entities
	if tw.ExtendedTweet != nil && tw.ExtendedTweet.Entities != nil {
		ents = tw.ExtendedTweet.Entities
	}
	if ents == nil {
		return links
	}
next:
	for _, u := range ents.Urls {
		l := u.ExpandedURL
		if l == "" {
			l = u.URL
		}
		if l == "" || len(links) >= event.MaxLinks {
			continue
		}
		for _, have := range links {
			if have == l {
				continue next
			}
		}
		links = append(links, l)
	}
	return links
}
