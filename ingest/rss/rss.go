// Package rss is the feed source: the items of RSS 2.0 (and 0.9x), RSS
// 1.0 (RDF) and Atom 1.0 feeds, such as news sites and state media
// publish, each item one post.
//
// Each round fetches every feed with a conditional GET (If-None-Match and
// If-Modified-Since from the previous answer; a 304 is an empty round) and
// emits the items not seen before, oldest first. An item is known by its
// guid (Atom: id), else its link, else its title and date; the cursor of a
// feed keeps the ETag, the Last-Modified and the hashes of the last items
// seen (at least 1000, and every item still in the feed), so that a
// restart neither repeats nor loses an item, and an item that drops out of
// the feed and comes back is not sent twice.
//
// The parser is this package's own (encoding/xml): the elements read are
// those of the RSS 2.0 specification (https://www.rssboard.org/rss-specification),
// RSS 1.0 (https://web.resource.org/rss/1.0/spec) with the Dublin Core and
// content modules, and Atom (RFC 4287, https://www.rfc-editor.org/rfc/rfc4287).
// Feeds in UTF-8, UTF-16, windows-1252, ISO-8859-1 and the other WHATWG
// encodings are read; an item's Raw is its element's bytes exactly as the
// server sent them, in the feed's own encoding.
package rss

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: rss, ...}]`).
const Type = "rss"

// Platform is the Post.Platform of feed items.
const Platform = "rss"

// Summary is one line for `vigil sources`.
const Summary = "Items of RSS 2.0, RSS 1.0 (RDF) and Atom feeds (news sites, state media), fetched with conditional GETs"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"feeds", "feed URLs (required); absolute http(s) URLs, or paths resolved against base_url when it is set"},
	{"max_items", "most new items emitted per feed and round, oldest first; the rest follow in the next rounds; default 200"},
	{"base_url", "optional for this source: when set, relative feed paths resolve against it (as a browser would: end it with '/' to resolve under its path)"},
}

// DefaultMaxItems is max_items unless set.
const DefaultMaxItems = 200

// MinSeen is the fewest item hashes a feed's cursor remembers.
const MinSeen = 1000

// Config configures one feed source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`
	// Feeds are the feeds' URLs.
	Feeds []string `yaml:"feeds"`
	// MaxItems bounds the items emitted per feed and round.
	MaxItems int `yaml:"max_items"`
}

// Defaults returns the source's default settings: no base URL (the feeds
// are absolute URLs), a poll every 10 minutes, two feeds fetched at once,
// at most 60 requests a minute.
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = ""
	d.Interval = 10 * time.Minute
	d.RateLimit = netsrc.RateLimit{Requests: 60, Per: time.Minute}
	d.Concurrency = 2
	return d
}

// Source reads feeds.
type Source struct {
	cfg    Config
	env    ingest.Env
	client *netsrc.Client
	feeds  []*feedURL

	mu     sync.Mutex
	states map[string]*state // by feed URL, once loaded
}

type feedURL struct {
	url  string // absolute
	host string // lowercase host[:port]: the post IDs' prefix, the author
	u    *url.URL
}

// New returns a feed source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	cfg.Settings.Fill(Defaults())
	if cfg.Name == "" {
		return nil, errors.New("rss source: name is required")
	}
	// base_url is optional here: the other settings are checked with a
	// stand-in.
	check := cfg.Settings
	if check.BaseURL == "" {
		check.BaseURL = "https://feeds.example.invalid/"
	}
	if err := check.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	var base *url.URL
	if cfg.BaseURL != "" {
		base, _ = url.Parse(cfg.BaseURL)
		if base.Scheme != "http" && base.Scheme != "https" {
			return nil, fmt.Errorf("rss source %s: base_url %q: want an http(s) URL", cfg.Name, cfg.BaseURL)
		}
	}
	switch {
	case cfg.MaxItems < 0:
		return nil, fmt.Errorf("rss source %s: max_items %d is negative", cfg.Name, cfg.MaxItems)
	case cfg.MaxItems == 0:
		cfg.MaxItems = DefaultMaxItems
	}
	if len(cfg.Feeds) == 0 {
		return nil, fmt.Errorf("rss source %s: feeds is required (feed URLs)", cfg.Name)
	}
	s := &Source{cfg: cfg, env: env, states: map[string]*state{}}
	seen := map[string]bool{}
	for _, f := range cfg.Feeds {
		u, err := url.Parse(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("rss source %s: feed %q: %v", cfg.Name, f, err)
		}
		if !u.IsAbs() {
			if base == nil {
				return nil, fmt.Errorf("rss source %s: feed %q is not an absolute URL (and base_url is not set)", cfg.Name, f)
			}
			u = base.ResolveReference(u)
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("rss source %s: feed %q: want an http(s) URL", cfg.Name, f)
		}
		u.Fragment = ""
		if seen[u.String()] {
			return nil, fmt.Errorf("rss source %s: feed %q is listed twice", cfg.Name, f)
		}
		seen[u.String()] = true
		s.feeds = append(s.feeds, &feedURL{url: u.String(), host: strings.ToLower(u.Host), u: u})
	}
	s.client = netsrc.NewClient(cfg.Name, cfg.Settings, env.Health)
	return s, nil
}

// Name implements ingest.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Run implements ingest.Source.
func (s *Source) Run(ctx context.Context, out chan<- ingest.Item) error {
	return netsrc.Loop(ctx, s.cfg.Name, s.cfg.Settings, s.env, func(ctx context.Context) error {
		return s.round(ctx, out)
	})
}

// round fetches every feed (as many at once as concurrency allows), then
// emits each one's new items, feed by feed.
func (s *Source) round(ctx context.Context, out chan<- ingest.Item) error {
	results := make([]*result, len(s.feeds))
	slots := make(chan struct{}, max(1, s.cfg.Concurrency))
	var wg sync.WaitGroup
	for i, f := range s.feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				results[i] = &result{err: ctx.Err()}
				return
			}
			defer func() { <-slots }()
			results[i] = s.fetch(ctx, f)
		}()
	}
	wg.Wait()
	var errs []error
	for i, r := range results {
		if r.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("feed %s: %w", netsrc.Redact(s.feeds[i].url), r.err))
			continue
		}
		if r.next == nil {
			continue // 304: nothing new
		}
		var commit func()
		if v := r.next.encode(); v != r.state.encode() {
			commit = netsrc.SaveCursor(ctx, s.env, s.cursorKey(s.feeds[i]), v)
		}
		if !netsrc.Emit(ctx, out, r.items, commit) {
			return ctx.Err()
		}
		r.state.set(r.next)
	}
	return errors.Join(errs...)
}

// Cursor is a feed's saved place.
type Cursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Seen are the hashes of the items handled (emitted, sent to the dead
	// letters, or skipped for having no text), least recently in the
	// feed first.
	Seen []string `json:"seen,omitempty"`
}

func (c *Cursor) encode() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// state is a feed's cursor in memory, with its seen set.
type state struct {
	mu   sync.Mutex
	cur  Cursor
	seen map[string]bool
}

func (st *state) get() (Cursor, map[string]bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur, st.seen
}

func (st *state) set(c *Cursor) {
	seen := make(map[string]bool, len(c.Seen))
	for _, h := range c.Seen {
		seen[h] = true
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.cur, st.seen = *c, seen
}

func (st *state) encode() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.cur.encode()
}

func (s *Source) cursorKey(f *feedURL) string { return Type + ":" + s.cfg.Name + ":" + f.url }

// load returns the feed's state, read from the saved cursor the first
// time.
func (s *Source) load(ctx context.Context, f *feedURL) (*state, error) {
	s.mu.Lock()
	st := s.states[f.url]
	s.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st = &state{}
	st.set(&Cursor{})
	if s.env.Cursors != nil {
		v, ok, err := s.env.Cursors.Get(ctx, s.cursorKey(f))
		if err != nil {
			return nil, fmt.Errorf("read cursor: %w", err)
		}
		if ok {
			var c Cursor
			if err := json.Unmarshal([]byte(v), &c); err != nil {
				s.env.Logger().Warn("unreadable cursor: reading the feed afresh", "source", s.cfg.Name, "key", s.cursorKey(f))
			} else {
				st.set(&c)
			}
		}
	}
	s.mu.Lock()
	s.states[f.url] = st
	s.mu.Unlock()
	return st, nil
}

// result is one feed's round: the items to emit and the cursor once they
// are durable (nil after a 304).
type result struct {
	state *state
	items []ingest.Item
	next  *Cursor
	err   error
}

// fetch reads one feed and works out its new items.
func (s *Source) fetch(ctx context.Context, f *feedURL) *result {
	st, err := s.load(ctx, f)
	if err != nil {
		return &result{err: err}
	}
	cur, seen := st.get()
	hdr := http.Header{"Accept": {"application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"}}
	if cur.ETag != "" {
		hdr.Set("If-None-Match", cur.ETag)
	}
	if cur.LastModified != "" {
		hdr.Set("If-Modified-Since", cur.LastModified)
	}
	r, err := s.client.Get(ctx, f.url, hdr)
	if err != nil {
		return &result{err: err}
	}
	if r.Status == http.StatusNotModified {
		return &result{state: st}
	}
	if r.Status != http.StatusOK {
		return &result{err: netsrc.Malformed(f.url, fmt.Errorf("HTTP %d", r.Status))}
	}
	base := r.URL
	if base == nil {
		base = f.u
	}
	doc, err := parseFeed(r.Body, r.Header.Get("Content-Type"), base)
	if err != nil {
		return &result{err: netsrc.Malformed(f.url, err)}
	}
	log := s.env.Logger().With("source", s.cfg.Name, "feed", netsrc.Redact(f.url))

	// Which items are new; the feed lists them newest first, as a rule.
	var fresh []entry
	var present []string // hashes of the items in the feed, oldest first
	inRound := map[string]bool{}
	for i := len(doc.Items) - 1; i >= 0; i-- {
		e := doc.Items[i]
		h := keyHash(e.Key)
		if inRound[h] {
			continue
		}
		inRound[h] = true
		if seen[h] {
			present = append(present, h)
			continue
		}
		fresh = append(fresh, e)
	}
	if !slices.ContainsFunc(fresh, func(e entry) bool { return e.Date.IsZero() }) {
		slices.SortStableFunc(fresh, func(a, b entry) int { return a.Date.Compare(b.Date) })
	}
	truncated := len(fresh) > s.cfg.MaxItems
	if truncated {
		log.Info("more new items than max_items: the rest follow in the next rounds", "new", len(fresh), "max_items", s.cfg.MaxItems)
		fresh = fresh[:s.cfg.MaxItems]
	}

	var items []ingest.Item
	skipped := 0
	for _, e := range fresh {
		present = append(present, keyHash(e.Key))
		if it, ok := s.item(f, doc, e); ok {
			items = append(items, it)
		} else {
			skipped++
		}
	}
	if skipped > 0 {
		log.Debug("items without text skipped", "count", skipped)
	}

	// The next cursor: the hashes no longer in the feed, oldest first,
	// then those in it; bounded from the oldest, never below the feed's
	// own length.
	next := &Cursor{}
	inFeed := make(map[string]bool, len(present))
	for _, h := range present {
		inFeed[h] = true
	}
	for _, h := range cur.Seen {
		if !inFeed[h] {
			next.Seen = append(next.Seen, h)
		}
	}
	next.Seen = append(next.Seen, present...)
	if limit := max(MinSeen, 2*len(doc.Items)); len(next.Seen) > limit {
		next.Seen = next.Seen[len(next.Seen)-limit:]
	}
	if !truncated {
		// A conditional GET must not hide the items left for later.
		next.ETag, next.LastModified = r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	}
	return &result{state: st, items: items, next: next}
}

// item makes the post of one feed item; ok is false for an item without
// any text.
func (s *Source) item(f *feedURL, doc *feed, e entry) (ingest.Item, bool) {
	origin := Type + ":" + s.cfg.Name + ":" + netsrc.Redact(f.url)
	text := e.Title
	if e.Body != "" {
		if text != "" {
			text += "\n\n"
		}
		text += e.Body
	}
	if strings.TrimSpace(text) == "" {
		return ingest.Item{}, false
	}
	name := e.Author
	if name == "" {
		name = doc.Author
	}
	if name == "" {
		name = doc.Title
	}
	lang := e.Lang
	if lang == "" {
		lang = doc.Lang
	}
	p := event.Post{
		Platform:  Platform,
		ID:        f.host + ":" + keyHash(e.Key),
		Author:    event.Author{ID: f.host, Handle: f.host, Name: truncate(name, 256)},
		Text:      text,
		CreatedAt: e.Date,
		URL:       e.Link,
		Lang:      normLang(lang),
		Links:     e.Links,
		Raw:       e.Raw,
		RawSHA256: event.SHA256Hex(e.Raw),
	}
	if err := p.Validate(s.env.Limits, time.Now()); err != nil {
		return ingest.Item{Origin: origin, Payload: e.Raw, Err: err}, true
	}
	return ingest.Item{Post: p, Origin: origin}, true
}

// normLang reduces a language tag to its primary language ("my-MM" →
// "my"); "" when it is not one.
func normLang(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(v, "-_"); i >= 0 {
		v = v[:i]
	}
	if len(v) < 2 || len(v) > 8 {
		return ""
	}
	for _, r := range v {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	return v
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
