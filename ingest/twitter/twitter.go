// Package twitter is the X (Twitter) source: the API v1.1 user timelines
// of chosen accounts (statuses/user_timeline) and standard searches
// (search/tweets), read with an app-only OAuth 2.0 bearer token through
// github.com/dghubble/go-twitter. Each account and query keeps its own
// cursor, the highest tweet id emitted; a round pages back with max_id
// from the newest tweet to that cursor (since_id) and emits oldest first.
// Each post's Raw is the tweet object's bytes exactly as the API sent
// them, cut out of the response body before the library decodes it.
package twitter

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dghubble/go-twitter/twitter"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: twitter, ...}]`).
const Type = "twitter"

// Platform is the short name of the platform in every post.
const Platform = "x"

// Summary is one line for `vigil sources`.
const Summary = "X/Twitter API v1.1: user timelines of accounts and standard searches, with an app-only bearer token"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"accounts", "screen names whose timelines are read (statuses/user_timeline, 200 a page, retweets included); a leading @ is ignored"},
	{"queries", "search strings (search/tweets, 100 a page, most recent first; the standard search reaches back about 7 days)"},
	{"bearer_token_env", "environment variable holding an app-only OAuth 2.0 bearer token, sent as Authorization: Bearer; required"},
	{"backfill_pages", "pages read going back on the first round of an account or query without a cursor; default 1"},
	{"max_pages", "pages read going back per account or query in a later round; more new tweets than that skips the oldest of them (logged); default 10"},
}

// Page sizes: the most each endpoint returns.
const (
	timelinePageSize = 200
	searchPageSize   = 100
)

// Config configures one X source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`
	// Accounts are screen names whose user timelines are read.
	Accounts []string `yaml:"accounts"`
	// Queries are standard search strings.
	Queries []string `yaml:"queries"`
	// BearerTokenEnv names the environment variable that holds the
	// app-only bearer token.
	BearerTokenEnv string `yaml:"bearer_token_env"`
	// BackfillPages is how many pages are read going back the first time
	// (no cursor); default 1.
	BackfillPages int `yaml:"backfill_pages"`
	// MaxPages bounds the pages read going back in one round afterwards;
	// default 10.
	MaxPages int `yaml:"max_pages"`
}

// Defaults returns the source's default settings: the public v1.1 API,
// a 2-minute interval, and 450 requests per 15 minutes, the app-only limit
// of search/tweets (statuses/user_timeline allows 1500), so that one
// limit is safe whatever mix of accounts and queries is configured.
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = apiBase
	d.Interval = 2 * time.Minute
	d.RateLimit = netsrc.RateLimit{Requests: 450, Per: 15 * time.Minute}
	d.Concurrency = 1
	return d
}

// target is one account or query.
type target struct {
	kind  string // "account" or "query"
	value string // the screen name (without @) or the query
	key   string // the cursor key
}

// Source reads X timelines and searches.
type Source struct {
	cfg     Config
	env     ingest.Env
	token   string
	base    *url.URL
	client  *netsrc.Client
	targets []target
	// since is each target's highest id emitted (the in-memory cursor),
	// loaded from env.Cursors on first use. Only Run's goroutine uses it.
	since map[string]int64
}

// New returns an X source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	if cfg.Name == "" {
		return nil, errors.New("twitter source: name is required")
	}
	cfg.Settings.Fill(Defaults())
	if err := cfg.Settings.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil { // Validate has parsed it already
		return nil, fmt.Errorf("twitter source %s: base_url: %v", cfg.Name, err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("twitter source %s: base_url %q: want an http(s) URL", cfg.Name, cfg.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	base.RawQuery, base.Fragment = "", ""
	switch {
	case cfg.BackfillPages < 0:
		return nil, fmt.Errorf("twitter source %s: backfill_pages %d is negative", cfg.Name, cfg.BackfillPages)
	case cfg.BackfillPages == 0:
		cfg.BackfillPages = 1
	}
	switch {
	case cfg.MaxPages < 0:
		return nil, fmt.Errorf("twitter source %s: max_pages %d is negative", cfg.Name, cfg.MaxPages)
	case cfg.MaxPages == 0:
		cfg.MaxPages = 10
	}
	if len(cfg.Accounts) == 0 && len(cfg.Queries) == 0 {
		return nil, fmt.Errorf("twitter source %s: give at least one of accounts or queries", cfg.Name)
	}
	if cfg.BearerTokenEnv == "" {
		return nil, fmt.Errorf("twitter source %s: bearer_token_env is required (the environment variable holding an app-only bearer token)", cfg.Name)
	}
	token := strings.TrimSpace(env.Secret(cfg.BearerTokenEnv))
	if token == "" {
		return nil, fmt.Errorf("twitter source %s: environment variable %s (bearer_token_env) is not set or empty", cfg.Name, cfg.BearerTokenEnv)
	}
	s := &Source{cfg: cfg, env: env, token: token, base: base, since: map[string]int64{}}
	seen := map[string]bool{}
	for _, a := range cfg.Accounts {
		name := strings.TrimPrefix(strings.TrimSpace(a), "@")
		if !validScreenName(name) {
			return nil, fmt.Errorf("twitter source %s: account %q: a screen name is 1 to 50 letters, digits or '_'", cfg.Name, a)
		}
		key := Type + ":" + cfg.Name + ":account:" + strings.ToLower(name)
		if seen[key] {
			return nil, fmt.Errorf("twitter source %s: account %q is listed twice", cfg.Name, a)
		}
		seen[key] = true
		s.targets = append(s.targets, target{kind: "account", value: name, key: key})
	}
	for _, q := range cfg.Queries {
		q = strings.TrimSpace(q)
		switch {
		case q == "":
			return nil, fmt.Errorf("twitter source %s: an empty query", cfg.Name)
		case len([]rune(q)) > 500:
			return nil, fmt.Errorf("twitter source %s: query %.40q…: over the 500 characters search/tweets accepts", cfg.Name, q)
		}
		key := Type + ":" + cfg.Name + ":query:" + q
		if seen[key] {
			return nil, fmt.Errorf("twitter source %s: query %q is listed twice", cfg.Name, q)
		}
		seen[key] = true
		s.targets = append(s.targets, target{kind: "query", value: q, key: key})
	}
	s.client = netsrc.NewClient(cfg.Name, cfg.Settings, env.Health)
	return s, nil
}

func validScreenName(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Name implements ingest.Source.
func (s *Source) Name() string { return s.cfg.Name }

// Run implements ingest.Source: a round every interval (one with
// env.Once), each reading every account and query in turn.
func (s *Source) Run(ctx context.Context, out chan<- ingest.Item) error {
	return netsrc.Loop(ctx, s.cfg.Name, s.cfg.Settings, s.env, func(ctx context.Context) error {
		return s.round(ctx, out)
	})
}

// round reads every target. One that fails does not stop the others (a
// protected or suspended account must not block the rest); the round
// then fails with every target's error.
func (s *Source) round(ctx context.Context, out chan<- ingest.Item) error {
	var fetched, own []error // the client recorded fetch errors in the health record; own ones are not yet
	for _, t := range s.targets {
		err := s.collect(ctx, out, t)
		var u unrecorded
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
		case errors.As(err, &u):
			own = append(own, err)
		default:
			fetched = append(fetched, err)
		}
	}
	if len(own) == 0 {
		return errors.Join(fetched...)
	}
	// Loop records the round's error unless the first *netsrc.Error in
	// it was recorded: own errors that are one go first, and the others
	// are recorded here so that each failure counts once.
	slices.SortStableFunc(own, func(a, b error) int { return btoi(!isFetchError(a)) - btoi(!isFetchError(b)) })
	rest := own
	if isFetchError(own[0]) || len(fetched) == 0 {
		rest = own[1:] // Loop records own[0]
	}
	for _, err := range rest {
		s.env.Health.Failure(s.cfg.Name, netsrc.KindOf(err), err)
	}
	return errors.Join(append(own, fetched...)...)
}

// unrecorded marks an error of the source's own (a malformed body, a
// cursor store failing), not yet in the health record.
type unrecorded struct{ error }

func (u unrecorded) Unwrap() error { return u.error }

func isFetchError(err error) bool {
	var e *netsrc.Error
	return errors.As(err, &e)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// collect reads one target from its cursor and emits what is new.
func (s *Source) collect(ctx context.Context, out chan<- ingest.Item, t target) error {
	since, err := s.cursor(ctx, t)
	if err != nil {
		return err
	}
	limit := s.cfg.MaxPages
	if since == 0 {
		limit = s.cfg.BackfillPages
	}
	var (
		entries []entry
		seen    = map[int64]bool{}
		maxID   int64
		full    bool // the page limit stopped the paging
	)
	for page := 0; page < limit; page++ {
		raws, err := s.fetch(ctx, t, since, maxID)
		if err != nil {
			return s.wrap(t, err)
		}
		var lowest int64
		for _, raw := range raws {
			e := decode(raw)
			if e.id != 0 {
				if e.id <= since || seen[e.id] || maxID > 0 && e.id > maxID {
					continue
				}
				seen[e.id] = true
				if lowest == 0 || e.id < lowest {
					lowest = e.id
				}
			}
			entries = append(entries, e)
		}
		if lowest == 0 || lowest-1 <= since { // an empty page, or nothing new on it
			break
		}
		maxID = lowest - 1
		full = page == limit-1
	}
	log := s.env.Logger().With("source", s.cfg.Name, t.kind, t.value)
	if full && since != 0 {
		log.Warn("page limit reached: new tweets older than those read may have been skipped (raise max_pages or shorten the interval)",
			"max_pages", limit, "oldest_read", maxID+1, "cursor", since)
	}
	// Oldest first; items without a usable id (dead letters) lead.
	slices.SortStableFunc(entries, func(a, b entry) int { return cmp.Compare(a.id, b.id) })
	high := since
	var items []ingest.Item
	skipped := 0
	for _, e := range entries {
		high = max(high, e.id)
		origin := t.key
		if e.id != 0 {
			origin += ":" + strconv.FormatInt(e.id, 10)
		}
		if e.err == nil {
			var p postOrSkip
			p, e.err = toPost(&e.tweet, e.raw, s.env.Limits)
			if e.err == nil && p.skip {
				skipped++
				continue
			}
			if e.err == nil {
				items = append(items, ingest.Item{Post: p.Post})
				continue
			}
		}
		items = append(items, ingest.Item{Err: e.err, Payload: e.raw, Origin: origin})
	}
	if skipped > 0 {
		log.Debug("tweets without text skipped", "count", skipped)
	}
	if high == since && len(items) == 0 {
		return nil
	}
	if !netsrc.Emit(ctx, out, items, netsrc.SaveCursor(ctx, s.env, t.key, strconv.FormatInt(high, 10))) {
		return ctx.Err()
	}
	s.since[t.key] = high
	return nil
}

// wrap names the source and target in a failed fetch, and for a 401
// says where the token comes from (never the token).
func (s *Source) wrap(t target, err error) error {
	var e *netsrc.Error
	if errors.As(err, &e) && e.Kind == ingest.KindAuth && e.Status == http.StatusUnauthorized {
		return fmt.Errorf("twitter source %s: %s %q: %w (check the bearer token in %s; a protected account also answers 401)",
			s.cfg.Name, t.kind, t.value, err, s.cfg.BearerTokenEnv)
	}
	return fmt.Errorf("twitter source %s: %s %q: %w", s.cfg.Name, t.kind, t.value, err)
}

// cursor returns the target's highest id emitted: in memory, or else
// as saved, or else 0 (never read).
func (s *Source) cursor(ctx context.Context, t target) (int64, error) {
	if v, ok := s.since[t.key]; ok {
		return v, nil
	}
	var since int64
	if s.env.Cursors != nil {
		v, ok, err := s.env.Cursors.Get(ctx, t.key)
		if err != nil {
			return 0, unrecorded{fmt.Errorf("twitter source %s: read cursor %s: %w", s.cfg.Name, t.key, err)}
		}
		if ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				s.env.Logger().Warn("unreadable cursor ignored: reading from the newest tweets", "source", s.cfg.Name, "key", t.key, "value", v)
			} else {
				since = n
			}
		}
	}
	s.since[t.key] = since
	return since, nil
}

// fetch reads one page of t through go-twitter and returns its tweet
// objects as sent.
func (s *Source) fetch(ctx context.Context, t target, since, maxID int64) ([]json.RawMessage, error) {
	c := &call{ctx: ctx, base: s.base, token: s.token, next: s.client.Transport()}
	api := twitter.NewClient(&http.Client{Transport: c}) // no Timeout: the netsrc client bounds each try
	var err error
	switch t.kind {
	case "account":
		_, _, err = api.Timelines.UserTimeline(&twitter.UserTimelineParams{
			ScreenName: t.value, Count: timelinePageSize, SinceID: since, MaxID: maxID,
			IncludeRetweets: twitter.Bool(true), TweetMode: "extended",
		})
	default:
		_, _, err = api.Search.Tweets(&twitter.SearchTweetParams{
			Query: t.value, Count: searchPageSize, ResultType: "recent", SinceID: since, MaxID: maxID,
			TweetMode: "extended",
		})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, query and all
		}
		if !c.got {
			return nil, err
		}
		// The library could not decode the page (a field of an
		// unexpected type): the body is checked below, and a tweet that
		// is not what the API documents becomes a dead letter.
	}
	raws, perr := split(t.kind, c.body)
	if perr != nil {
		return nil, unrecorded{netsrc.Malformed(c.url, perr)}
	}
	return raws, nil
}
