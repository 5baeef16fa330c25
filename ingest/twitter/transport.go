package twitter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/vigilhq/vigil/ingest/netsrc"
)

// apiBase is the root go-twitter sends every request to: it is hard-coded
// in the library (twitter.go: twitterAPI, given to sling's Base, each
// service adding "statuses/", "search/", ...), so a base_url of the
// config is applied by rewriting each request's URL in call.
const apiBase = "https://api.twitter.com/1.1/"

// call is the http.RoundTripper under go-twitter for one API call. It
// points the request at the configured base URL, gives it the round's
// context (go-twitter's v1.1 methods take none) and the bearer token,
// sends it through next (the netsrc client: rate limit, retries, reset
// headers, health), and keeps the response body as received, so that
// each tweet's raw bytes can be cut out of it.
type call struct {
	ctx   context.Context
	base  *url.URL
	token string
	next  http.RoundTripper

	got  bool   // a response came
	body []byte // its body, as received
	url  string // the URL requested, without its query, for errors
}

func (c *call) RoundTrip(req *http.Request) (*http.Response, error) {
	if c.got {
		return nil, errors.New("twitter: one request per call") // go-twitter's v1.1 calls send one
	}
	u, err := rewrite(req.URL, c.base)
	if err != nil {
		return nil, err
	}
	r := req.Clone(c.ctx)
	r.URL, r.Host = u, ""
	r.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	c.got, c.body, c.url = true, body, netsrc.Redact(u.String())
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// rewrite maps a URL under apiBase to the same path under base, which
// ends in "/" and may have a path prefix of its own
// (http://127.0.0.1:1234/compat/1.1/). Any other URL is refused: the
// token goes nowhere else.
func rewrite(u, base *url.URL) (*url.URL, error) {
	rest, ok := strings.CutPrefix(u.Path, "/1.1/")
	if u.Scheme != "https" || u.Host != "api.twitter.com" || !ok {
		return nil, fmt.Errorf("twitter: request outside %s refused: %s", apiBase, netsrc.Redact(u.String()))
	}
	n := *base
	n.User = nil
	n.Path = base.Path + rest
	n.RawPath = ""
	n.RawQuery = u.RawQuery
	n.Fragment = ""
	return &n, nil
}

// split returns the tweet objects of a page as sent: the elements of the
// JSON array of statuses/user_timeline, or of the statuses array of
// search/tweets. Anything else is not the documented shape.
func split(kind string, body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, errors.New("empty body")
	}
	if kind == "account" {
		if trimmed[0] != '[' {
			return nil, errors.New("want a JSON array of tweets")
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, err
		}
		return raws, nil
	}
	if trimmed[0] != '{' {
		return nil, errors.New("want a JSON object with a statuses array")
	}
	var res struct {
		Statuses *[]json.RawMessage `json:"statuses"`
	}
	if err := json.Unmarshal(trimmed, &res); err != nil {
		return nil, err
	}
	if res.Statuses == nil {
		return nil, errors.New("no statuses array")
	}
	return *res.Statuses, nil
}
