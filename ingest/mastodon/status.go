package mastodon

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// status is the part of Mastodon's Status entity the source reads
// (https://docs.joinmastodon.org/entities/Status/). The whole object is
// kept, byte for byte, in Post.Raw.
type status struct {
	ID          string  `json:"id"`
	URI         string  `json:"uri"`
	URL         *string `json:"url"`
	CreatedAt   string  `json:"created_at"`
	Account     account `json:"account"`
	Content     string  `json:"content"`
	SpoilerText string  `json:"spoiler_text"`
	Visibility  string  `json:"visibility"`
	Language    *string `json:"language"`
	Reblog      *status `json:"reblog"`
	Card        *struct {
		URL string `json:"url"`
	} `json:"card"`
}

// account is the part of the Account entity the source reads
// (https://docs.joinmastodon.org/entities/Account/).
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
}

// Reasons a status is passed over without becoming a post or a
// dead-letter item.
const (
	skipNoText    = "no_text"    // media only: nothing to classify
	skipNotPublic = "not_public" // private or direct: not public data
	skipReblog    = "reblog"     // include_reblogs: false
)

// post turns one status of a page into a post. skip names why a status is
// passed over (it is then neither a post nor an error); err says why it
// cannot become a valid post (it goes to the dead-letter topic).
func (s *Source) post(st *status, raw []byte, now time.Time) (p event.Post, skip string, err error) {
	if !utf8.Valid(raw) {
		return p, "", &event.ValidationError{Reason: "status is not valid UTF-8", Kind: event.KindEncoding}
	}
	switch st.Visibility {
	case "private", "direct":
		// Only reachable with a token whose account may see them.
		return p, skipNotPublic, nil
	}
	src := st
	if st.Reblog != nil {
		if !s.reblogs {
			return p, skipReblog, nil
		}
		src = st.Reblog // a boost: the post is the boosted status
	}
	body, links := htmlText(src.Content)
	text := body
	if cw := strings.TrimSpace(src.SpoilerText); cw != "" {
		text = strings.TrimSpace(cw + "\n" + body)
	}
	if strings.TrimSpace(text) == "" {
		return p, skipNoText, nil
	}
	if src.Card != nil && src.Card.URL != "" && !slices.Contains(links, src.Card.URL) {
		links = append(links, src.Card.URL)
	}
	if len(links) > event.MaxLinks {
		links = links[:event.MaxLinks]
	}
	id, err := s.postID(src)
	if err != nil {
		return p, "", err
	}
	author := s.globalAcct(src.Account.Acct)
	p = event.Post{
		Platform: Platform,
		ID:       id,
		Author:   event.Author{ID: author, Handle: author, Name: src.Account.DisplayName},
		Text:     text,
		URL:      src.URI,
		Links:    links,
		Raw:      raw,
	}
	if src.URL != nil && *src.URL != "" {
		p.URL = *src.URL
	}
	if src.Language != nil {
		p.Lang = *src.Language
	}
	if src.CreatedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, src.CreatedAt)
		if err != nil {
			return p, "", &event.ValidationError{Field: "created_at", Reason: fmt.Sprintf("not an ISO 8601 time: %q", src.CreatedAt), Kind: event.KindInvalid}
		}
		p.CreatedAt = t.UTC()
	}
	p.RawSHA256 = event.SHA256Hex(raw)
	return p, "", p.Validate(s.env.Limits, now)
}

// globalAcct makes an acct global: a local account's acct has no domain
// ("alice"), so the instance's host is added ("alice@example.social"); a
// remote one's is kept ("bob@other.example").
func (s *Source) globalAcct(acct string) string {
	acct = strings.TrimPrefix(strings.TrimSpace(acct), "@")
	if acct == "" || strings.Contains(acct, "@") {
		return acct
	}
	return acct + "@" + s.host
}

// postID is a status's post ID, the same whichever instance it was read
// from. Status IDs are per instance (a remote status has a different ID
// on every instance that holds a copy), so the ID comes from the status's
// uri, its ActivityPub id, which is the same everywhere:
//
//   - ".../statuses/<id>" (Mastodon, GoToSocial): "<uri host>:<id>", e.g.
//     "example.social:113500000000000101" for
//     https://example.social/users/alice/statuses/113500000000000101; a
//     local status's is so "<instance host>:<status id>";
//   - another path: "<uri host>:<path segments joined by ':'>", e.g.
//     "notes.example:notes:9xyz" for https://notes.example/notes/9xyz;
//   - a uri that gives no valid ID that way (a query, a space, too long):
//     "<uri host>:sha256-<the first 40 hex digits of the uri's SHA-256>".
//
// A status without a usable uri (not an absolute http(s) URL) falls back
// to its url, then to "<base_url host>:<status id>".
func (s *Source) postID(st *status) (string, error) {
	if id, ok := uriID(st.URI); ok {
		return id, nil
	}
	if st.URL != nil {
		if id, ok := uriID(*st.URL); ok {
			return id, nil
		}
	}
	id := s.host + ":" + st.ID
	if !validID(id) {
		return "", &event.ValidationError{Field: "uri", Reason: fmt.Sprintf("no usable uri, url or id (%q)", st.URI), Kind: event.KindInvalid}
	}
	return id, nil
}

func uriID(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Host)
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	var id string
	switch {
	case u.RawQuery != "" || u.Fragment != "" || u.Path == "" || slices.Contains(segs, ""):
	case len(segs) >= 2 && segs[len(segs)-2] == "statuses" && !strings.Contains(segs[len(segs)-1], ":"):
		id = host + ":" + segs[len(segs)-1]
	case !slices.ContainsFunc(segs, func(s string) bool { return strings.Contains(s, ":") }):
		id = host + ":" + strings.Join(segs, ":")
	}
	if id == "" || !validID(id) {
		id = host + ":sha256-" + event.SHA256Hex([]byte(raw))[:40]
	}
	return id, validID(id)
}

// validID mirrors event's identifier rule: printable, at most 128 bytes,
// no space, '/', '?', '#' or '%'.
func validID(v string) bool {
	if v == "" || len(v) > 128 || !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if r == '/' || r == '?' || r == '#' || r == '%' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// decodeStatus decodes one element of a page. A status whose id cannot be
// read makes the page malformed (err); one whose id can be read but whose
// other fields do not have the documented types is a bad item (bad).
func decodeStatus(raw json.RawMessage) (st status, bad error, err error) {
	e := json.Unmarshal(raw, &st)
	if e == nil {
		if st.ID == "" {
			return st, nil, fmt.Errorf("a status without an id")
		}
		return st, nil, nil
	}
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || head.ID == "" {
		return st, nil, fmt.Errorf("not a status with a string id: %v", e)
	}
	return status{ID: head.ID}, &event.ValidationError{Reason: fmt.Sprintf("status %s does not have the documented shape: %v", head.ID, e), Kind: event.KindMalformed}, nil
}
