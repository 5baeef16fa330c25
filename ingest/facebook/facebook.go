// Package facebook is the Facebook source: the posts of public Pages, read
// from the Graph API's /{page-id}/posts edge with an access token that has
// the Page Public Content Access feature.
//
// Each round asks every configured page for its posts since the last one
// emitted, follows paging.next (on the API's own host only) and emits the
// new posts oldest first. The cursor of a page is the created_time of the
// newest post handled (Unix seconds) and the ids handled at that very
// second: `since` is inclusive, so the posts of that second come back and
// are told apart by id, and a restart neither repeats nor loses a post.
//
// When more posts are waiting than max_pages pages hold, the newest pages
// are not emitted (that would skip the older ones): the next round narrows
// the window with `until` to the oldest post seen, works through the
// backlog oldest first, and then comes back to the newest.
//
// Graph API references:
// https://developers.facebook.com/docs/graph-api/reference/page/feed/ (the
// posts edge and its fields), https://developers.facebook.com/docs/graph-api/results
// (cursor and time-based paging), https://developers.facebook.com/docs/graph-api/guides/error-handling
// (the error object) and https://developers.facebook.com/docs/graph-api/overview/rate-limiting
// (codes 4, 17, 32, 613, 80001 and the X-App-Usage, X-Page-Usage and
// X-Business-Use-Case-Usage headers).
package facebook

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: facebook, ...}]`).
const Type = "facebook"

// Platform is the Post.Platform of Facebook posts.
const Platform = "facebook"

// Summary is one line for `vigil sources`.
const Summary = "Posts of public Facebook Pages, from the Graph API (a token with Page Public Content Access)"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"pages", "Page ids or usernames whose posts are read (required)"},
	{"token_env", "environment variable holding the Graph API access token, sent as an Authorization: Bearer header (required)"},
	{"api_version", "Graph API version in the path; default " + DefaultAPIVersion},
	{"max_pages", "most result pages (of 100 posts) read per page and round; a larger backlog is worked through over the next rounds; default 5"},
	{"backfill", "how far back the first run of a page reads; default 24h"},
}

// DefaultAPIVersion is the Graph API version used unless api_version says
// otherwise.
const DefaultAPIVersion = "v21.0"

// Fields are the post fields asked for.
const Fields = "id,message,created_time,permalink_url,from{id,name},attachments{url,unshimmed_url,type},story"

// PageSize is the limit asked per result page (the edge's maximum).
const PageSize = 100

// Config configures one Facebook source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`
	// Pages are page ids or usernames.
	Pages []string `yaml:"pages"`
	// TokenEnv names the environment variable holding the access token.
	TokenEnv string `yaml:"token_env"`
	// APIVersion is the Graph API version, e.g. "v21.0".
	APIVersion string `yaml:"api_version"`
	// MaxPages bounds the result pages read per page and round.
	MaxPages int `yaml:"max_pages"`
	// Backfill is how far back a page's first run reads.
	Backfill time.Duration `yaml:"backfill"`
}

// Defaults returns the source's default settings: the Graph API host, a
// poll every 5 minutes, one request at a time, and 200 requests an hour.
// That rate is conservative: the Graph API's own app limit is 200 calls
// per hour per user of the app, and Page Public Content Access has its own
// per-page budget (the X-Business-Use-Case-Usage header), which the client
// honours when it is reached.
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = "https://graph.facebook.com"
	d.Interval = 5 * time.Minute
	d.RateLimit = netsrc.RateLimit{Requests: 200, Per: time.Hour}
	d.Concurrency = 1
	return d
}

var (
	pageRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	versionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)
)

// Source reads the posts of public pages.
type Source struct {
	cfg    Config
	env    ingest.Env
	client *netsrc.Client
	token  string
	base   *url.URL

	mu     sync.Mutex
	states map[string]*state // by page, once loaded

	errMu   sync.Mutex
	lastErr *graphError // the Graph error of the latest failed response

	badMu sync.Mutex
	bad   map[string]bool // posts without a readable time sent to dead letters
}

// New returns a Facebook source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	cfg.Settings.Fill(Defaults())
	if cfg.Name == "" {
		return nil, errors.New("facebook source: name is required")
	}
	if err := cfg.Settings.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("facebook source %s: base_url %q: want an http(s) URL", cfg.Name, cfg.BaseURL)
	}
	if len(cfg.Pages) == 0 {
		return nil, fmt.Errorf("facebook source %s: pages is required (page ids or usernames)", cfg.Name)
	}
	seen := map[string]bool{}
	for _, p := range cfg.Pages {
		if !pageRE.MatchString(p) {
			return nil, fmt.Errorf("facebook source %s: page %q: want a page id or username (letters, digits, '.', '_', '-')", cfg.Name, p)
		}
		if seen[p] {
			return nil, fmt.Errorf("facebook source %s: page %q is listed twice", cfg.Name, p)
		}
		seen[p] = true
	}
	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	}
	if !versionRE.MatchString(cfg.APIVersion) {
		return nil, fmt.Errorf("facebook source %s: api_version %q: want a version like %q", cfg.Name, cfg.APIVersion, DefaultAPIVersion)
	}
	switch {
	case cfg.MaxPages < 0:
		return nil, fmt.Errorf("facebook source %s: max_pages %d is negative", cfg.Name, cfg.MaxPages)
	case cfg.MaxPages == 0:
		cfg.MaxPages = 5
	}
	switch {
	case cfg.Backfill < 0:
		return nil, fmt.Errorf("facebook source %s: backfill %v is negative", cfg.Name, cfg.Backfill)
	case cfg.Backfill == 0:
		cfg.Backfill = 24 * time.Hour
	}
	if cfg.TokenEnv == "" {
		return nil, fmt.Errorf("facebook source %s: token_env is required: the name of the environment variable holding the Graph API access token", cfg.Name)
	}
	token := strings.TrimSpace(env.Secret(cfg.TokenEnv))
	if token == "" {
		return nil, fmt.Errorf("facebook source %s: environment variable %s (token_env) is not set or empty", cfg.Name, cfg.TokenEnv)
	}
	s := &Source{
		cfg: cfg, env: env, token: token, base: base,
		client: netsrc.NewClient(cfg.Name, cfg.Settings, env.Health),
		states: map[string]*state{},
	}
	s.client.RateLimited = s.rateLimited
	return s, nil
}

// Name implements ingest.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Run implements ingest.Source.
func (s *Source) Run(ctx context.Context, out chan<- ingest.Item) error {
	return netsrc.Loop(ctx, s.cfg.Name, s.cfg.Settings, s.env, func(ctx context.Context) error {
		var errs []error
		for _, page := range s.cfg.Pages {
			if err := s.pageRound(ctx, out, page); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				errs = append(errs, fmt.Errorf("facebook page %s: %w", page, err))
			}
		}
		return errors.Join(errs...)
	})
}

// Cursor is a page's saved place.
type Cursor struct {
	// Since is the created_time (Unix seconds) of the newest post
	// handled: emitted, sent to dead letters, or skipped for having no
	// message.
	Since int64 `json:"since"`
	// IDs are the posts handled whose created_time is Since.
	IDs []string `json:"ids,omitempty"`
}

// state is a page's place in memory: the cursor, and the upper end of
// the window being worked through when a backlog is over max_pages.
type state struct {
	Cursor
	until int64 // 0: none; else only posts up to this second are taken
}

func (s *Source) cursorKey(page string) string { return Type + ":" + s.cfg.Name + ":" + page }

// load returns the page's state, read from the saved cursor the first
// time (a fresh page starts backfill ago).
func (s *Source) load(ctx context.Context, page string) (*state, error) {
	s.mu.Lock()
	st := s.states[page]
	s.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st = &state{Cursor: Cursor{Since: time.Now().Add(-s.cfg.Backfill).Unix()}}
	if s.env.Cursors != nil {
		v, ok, err := s.env.Cursors.Get(ctx, s.cursorKey(page))
		if err != nil {
			return nil, fmt.Errorf("read cursor: %w", err)
		}
		if ok {
			var c Cursor
			if err := json.Unmarshal([]byte(v), &c); err != nil || c.Since <= 0 {
				s.env.Logger().Warn("unreadable cursor: starting from the backfill", "source", s.cfg.Name, "key", s.cursorKey(page))
			} else {
				st.Cursor = c
			}
		}
	}
	s.mu.Lock()
	s.states[page] = st
	s.mu.Unlock()
	return st, nil
}

// graphPost is the part of a post object the source reads.
type graphPost struct {
	ID           string `json:"id"`
	Message      string `json:"message"`
	CreatedTime  string `json:"created_time"`
	PermalinkURL string `json:"permalink_url"`
	From         *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"from"`
	Attachments *struct {
		Data []struct {
			URL          string `json:"url"`
			UnshimmedURL string `json:"unshimmed_url"`
			Type         string `json:"type"`
		} `json:"data"`
	} `json:"attachments"`
}

// fetched is one post as read: decoded, its raw bytes, its time.
type fetched struct {
	post graphPost
	raw  []byte
	at   int64 // Unix seconds; valid when ok
	when time.Time
	ok   bool // created_time parsed, and not beyond the limits' future
}

// sortKey orders posts by time, those without one first.
func (f fetched) sortKey() int64 {
	if !f.ok {
		return math.MinInt64
	}
	return f.at
}

// pageRound reads one page's new posts and emits them.
func (s *Source) pageRound(ctx context.Context, out chan<- ingest.Item, page string) error {
	st, err := s.load(ctx, page)
	if err != nil {
		return err
	}
	posts, truncated, err := s.fetch(ctx, page, st)
	if err != nil {
		return err
	}
	log := s.env.Logger().With("source", s.cfg.Name, "page", page)
	if truncated {
		// Posts older than the oldest fetched are still waiting: narrow
		// the window to them, unless that makes no progress (more than
		// max_pages pages in one second), when what was read is taken.
		oldest := int64(-1)
		for _, p := range posts {
			if p.ok && (oldest < 0 || p.at < oldest) {
				oldest = p.at
			}
		}
		switch {
		case oldest <= st.Since:
			// What is left is older than the cursor: handled before.
		case st.until == 0 || oldest < st.until:
			log.Info("more posts than max_pages holds: reading the older ones first", "max_pages", s.cfg.MaxPages, "until", oldest)
			st.until = oldest
			return nil
		default:
			log.Warn("more posts in one second than max_pages holds: some may be skipped", "max_pages", s.cfg.MaxPages)
		}
	}

	// Oldest first: the API answers newest first.
	slices.Reverse(posts)
	slices.SortStableFunc(posts, func(a, b fetched) int {
		return cmp.Compare(a.sortKey(), b.sortKey())
	})
	next := Cursor{Since: st.Since, IDs: slices.Clone(st.IDs)}
	if st.until > 0 {
		// The window up to until is complete: nothing at or before it is
		// left, whatever was found.
		if st.until > next.Since {
			next = Cursor{Since: st.until}
		}
	}
	var items []ingest.Item
	var bad [][]byte
	seen := map[string]bool{}
	skipped := 0
	for _, p := range posts {
		if p.post.ID != "" && seen[p.post.ID] {
			continue // a post repeated across result pages
		}
		seen[p.post.ID] = true
		if !p.ok {
			if !s.sentBad(p.raw) {
				if it, ok := s.item(page, p); ok {
					items = append(items, it)
				}
				bad = append(bad, p.raw)
			}
			continue
		}
		if p.at < st.Since || (p.at == st.Since && slices.Contains(st.IDs, p.post.ID)) {
			continue // handled before
		}
		if st.until > 0 && p.at > st.until {
			continue // beyond the window: a later round takes it
		}
		switch {
		case p.at > next.Since:
			next = Cursor{Since: p.at, IDs: []string{p.post.ID}}
		case p.at == next.Since && !slices.Contains(next.IDs, p.post.ID):
			next.IDs = append(next.IDs, p.post.ID)
		}
		it, ok := s.item(page, p)
		if !ok {
			skipped++
			continue
		}
		items = append(items, it)
	}
	if skipped > 0 {
		log.Debug("posts without a message skipped", "count", skipped)
	}
	var commit func()
	if next.Since != st.Since || !slices.Equal(next.IDs, st.IDs) {
		v, _ := json.Marshal(next)
		commit = netsrc.SaveCursor(ctx, s.env, s.cursorKey(page), string(v))
	}
	if !netsrc.Emit(ctx, out, items, commit) {
		return ctx.Err()
	}
	st.Cursor, st.until = next, 0
	s.markBad(bad)
	return nil
}

// fetch reads the page's posts since its cursor (and up to until), at
// most max_pages result pages. truncated says a further page was left.
func (s *Source) fetch(ctx context.Context, page string, st *state) (posts []fetched, truncated bool, err error) {
	q := url.Values{}
	q.Set("fields", Fields)
	q.Set("limit", strconv.Itoa(PageSize))
	q.Set("since", strconv.FormatInt(st.Since, 10))
	if st.until > 0 {
		// until+1 whether the API's until is inclusive or not: the posts
		// after until are dropped here.
		q.Set("until", strconv.FormatInt(st.until+1, 10))
	}
	u := *s.base
	u.Path = strings.TrimRight(u.Path, "/") + "/" + s.cfg.APIVersion + "/" + url.PathEscape(page) + "/posts"
	u.RawQuery = q.Encode()
	next := u.String()
	hdr := http.Header{"Authorization": {"Bearer " + s.token}, "Accept": {"application/json"}}
	maxFuture := s.env.Limits.MaxFuture
	if maxFuture <= 0 {
		maxFuture = event.DefaultLimits.MaxFuture
	}
	horizon := time.Now().Add(maxFuture)
	for n := 0; next != ""; n++ {
		if n == s.cfg.MaxPages {
			return posts, true, nil
		}
		body, err := s.get(ctx, next, hdr)
		if err != nil {
			return nil, false, err
		}
		var resp struct {
			Data   []json.RawMessage `json:"data"`
			Paging *struct {
				Next string `json:"next"`
			} `json:"paging"`
			Error *graphError `json:"error"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			return nil, false, netsrc.Malformed(next, err)
		}
		if resp.Error != nil {
			return nil, false, netsrc.Malformed(next, fmt.Errorf("an error in a successful answer: %s", resp.Error))
		}
		if resp.Data == nil {
			return nil, false, netsrc.Malformed(next, errors.New("no data array"))
		}
		for _, raw := range resp.Data {
			var p graphPost
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, false, netsrc.Malformed(next, fmt.Errorf("a post: %w", err))
			}
			f := fetched{post: p, raw: raw}
			if t, err := parseTime(p.CreatedTime); err == nil {
				// A time too far ahead (Validate refuses it) must not move
				// the cursor past the posts still to come.
				f.when, f.at, f.ok = t, t.Unix(), !t.After(horizon)
			}
			posts = append(posts, f)
		}
		if len(resp.Data) == 0 || resp.Paging == nil || resp.Paging.Next == "" {
			break
		}
		nu, err := url.Parse(resp.Paging.Next)
		if err != nil || !strings.EqualFold(nu.Scheme, s.base.Scheme) || !strings.EqualFold(nu.Host, s.base.Host) {
			// The token goes with every request: never to another host.
			return nil, false, netsrc.Malformed(next, fmt.Errorf("paging.next is not on %s", s.base.Host))
		}
		next = nu.String()
	}
	return posts, false, nil
}

// get fetches one result page, turning a Graph error that means the
// token (code 190 and the permission errors) into an auth failure.
func (s *Source) get(ctx context.Context, rawURL string, hdr http.Header) ([]byte, error) {
	s.errMu.Lock()
	s.lastErr = nil
	s.errMu.Unlock()
	r, err := s.client.Get(ctx, rawURL, hdr)
	if err == nil {
		if r.Status != http.StatusOK {
			return nil, netsrc.Malformed(rawURL, fmt.Errorf("HTTP %d", r.Status))
		}
		return r.Body, nil
	}
	var ne *netsrc.Error
	s.errMu.Lock()
	ge := s.lastErr
	s.errMu.Unlock()
	if ge != nil && errors.As(err, &ne) && ne.Kind != ingest.KindAuth && authCode(ge.Code) {
		// netsrc saw a 400 (a client error); the Graph code says the
		// token is expired, revoked or lacks the permission.
		ne.Kind = ingest.KindAuth
		s.env.Health.Failure(s.cfg.Name, ingest.KindAuth, ne)
	}
	return nil, err
}

// item makes the item of one post; ok is false for a post without a
// message (nothing to classify).
func (s *Source) item(page string, f fetched) (ingest.Item, bool) {
	origin := Type + ":" + s.cfg.Name + ":" + page
	if f.when.IsZero() {
		return ingest.Item{Origin: origin, Payload: f.raw,
			Err: &event.ValidationError{Field: "created_time", Reason: fmt.Sprintf("not a Graph API time: %q", f.post.CreatedTime), Kind: event.KindInvalid}}, true
	}
	p := f.post
	if strings.TrimSpace(p.Message) == "" {
		return ingest.Item{}, false
	}
	post := event.Post{
		Platform:  Platform,
		ID:        p.ID,
		Author:    event.Author{Handle: page},
		Text:      p.Message,
		CreatedAt: f.when.UTC(),
		URL:       p.PermalinkURL,
		Raw:       f.raw,
		RawSHA256: event.SHA256Hex(f.raw),
	}
	if p.From != nil {
		post.Author.ID, post.Author.Name = p.From.ID, p.From.Name
	}
	if post.Author.ID == "" {
		// A page post's id is "pageid_postid".
		if i := strings.IndexByte(p.ID, '_'); i > 0 {
			post.Author.ID = p.ID[:i]
		}
	}
	if p.Attachments != nil {
		for _, a := range p.Attachments.Data {
			l := a.UnshimmedURL
			if l == "" {
				l = a.URL
			}
			if l != "" && !slices.Contains(post.Links, l) && len(post.Links) < event.MaxLinks {
				post.Links = append(post.Links, l)
			}
		}
	}
	if err := post.Validate(s.env.Limits, time.Now()); err != nil {
		return ingest.Item{Origin: origin, Payload: f.raw, Err: err}, true
	}
	return ingest.Item{Post: post, Origin: origin}, true
}

// sentBad reports whether a post without a usable time (which no cursor
// can place) was sent to the dead letters already; markBad records
// that it was.
func (s *Source) sentBad(raw []byte) bool {
	s.badMu.Lock()
	defer s.badMu.Unlock()
	return s.bad[event.SHA256Hex(raw)]
}

func (s *Source) markBad(raws [][]byte) {
	s.badMu.Lock()
	defer s.badMu.Unlock()
	if s.bad == nil || len(s.bad) > 10000 {
		s.bad = map[string]bool{}
	}
	for _, raw := range raws {
		s.bad[event.SHA256Hex(raw)] = true
	}
}

// parseTime reads a Graph API time, "2026-11-01T08:00:00+0000" (or RFC
// 3339).
func parseTime(v string) (time.Time, error) {
	t, err := time.Parse("2006-01-02T15:04:05-0700", v)
	if err != nil {
		t, err = time.Parse(time.RFC3339, v)
	}
	return t, err
}

// graphError is the Graph API's error object.
type graphError struct {
	Message      string `json:"message"`
	Type         string `json:"type"`
	Code         int    `json:"code"`
	ErrorSubcode int    `json:"error_subcode"`
	FBTraceID    string `json:"fbtrace_id"`
}

func (e *graphError) String() string {
	return fmt.Sprintf("%s (type %s, code %d, subcode %d)", e.Message, e.Type, e.Code, e.ErrorSubcode)
}

// rateLimitCode reports whether code is one of the Graph API's
// rate-limit errors: 4 (app), 17 (user), 32 (page), 613 (a call rate),
// 80000-80014 (business use case limits; 80001 for Pages).
func rateLimitCode(code int) bool {
	switch {
	case code == 4, code == 17, code == 32, code == 613:
		return true
	case code >= 80000 && code <= 80014:
		return true
	}
	return false
}

// authCode reports whether code is about the token: 190 (invalid or
// expired), 102 (session), 10 and 200-299 (a permission missing).
func authCode(code int) bool {
	return code == 190 || code == 102 || code == 10 || code >= 200 && code <= 299
}

// rateLimited is the client's RateLimited hook: a Graph error with a
// rate-limit code, whatever the HTTP status, is a rate-limit answer; the
// wait is the usage headers' estimated_time_to_regain_access (minutes),
// or 0 to let the backoff (or a Retry-After) decide.
func (s *Source) rateLimited(r *netsrc.Response) (time.Duration, bool) {
	if r.Status < 400 {
		return 0, false
	}
	var body struct {
		Error *graphError `json:"error"`
	}
	if json.Unmarshal(r.Body, &body) != nil || body.Error == nil {
		return 0, false
	}
	s.errMu.Lock()
	s.lastErr = body.Error
	s.errMu.Unlock()
	if !rateLimitCode(body.Error.Code) {
		return 0, false
	}
	return UsageWait(r.Header), true
}

// UsageWait returns the longest estimated_time_to_regain_access (in
// minutes) of the X-Business-Use-Case-Usage and X-Page-Usage headers, 0
// when none says. X-App-Usage carries percentages only.
func UsageWait(h http.Header) time.Duration {
	var longest float64
	note := func(m map[string]any) {
		if v, ok := m["estimated_time_to_regain_access"]; ok {
			if n, ok := v.(float64); ok && n > longest {
				longest = n
			}
		}
	}
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		// {"<business id>": [{"type": "pages", "call_count": 100, ...,
		// "estimated_time_to_regain_access": 5}]}
		var buc map[string][]map[string]any
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, m := range list {
					note(m)
				}
			}
		}
	}
	if v := h.Get("X-Page-Usage"); v != "" {
		var m map[string]any
		if json.Unmarshal([]byte(v), &m) == nil {
			note(m)
		}
	}
	return time.Duration(longest * float64(time.Minute))
}
