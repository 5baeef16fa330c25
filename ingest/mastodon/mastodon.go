// Package mastodon is the Mastodon source: it polls an instance's REST
// API (https://docs.joinmastodon.org/methods/timelines/ and
// /methods/accounts/) for hashtag timelines, the public timeline and
// accounts' statuses.
//
// Each target keeps a cursor, the newest status ID captured. The first
// round of a target without one reads the newest page (and, with
// backfill_pages, older pages through the Link header's rel="next");
// afterwards a round asks for min_id=<cursor>, the statuses immediately
// newer, and follows rel="prev" (which carries the next min_id) until an
// empty page or max_pages. Posts are emitted oldest first; a cursor is
// saved once the posts it covers are durable.
//
// Post IDs are derived from a status's uri, its ActivityPub id, not from
// the instance's status ID, which differs on every instance holding a
// copy of a remote status: see (*Source).postID.
package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: mastodon, ...}]`).
const Type = "mastodon"

// Platform is the Platform of the posts the source captures.
const Platform = "mastodon"

// Summary is one line for `vigil sources`.
const Summary = "Mastodon instance (REST API): hashtag timelines, the public timeline and accounts' statuses"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"hashtags", "hashtags to follow, without '#' (GET /api/v1/timelines/tag/:hashtag); default none"},
	{"public", "the instance's public timeline: true, or {enabled: true, local: bool, remote: bool} (only local or only remote statuses); default false"},
	{"local_only", "with public: true, only the instance's local statuses (the same as public: {local: true}); default false"},
	{"accounts", "accounts whose statuses to follow, as acct: alice (local) or alice@other.example (must be known to the instance); looked up once with GET /api/v1/accounts/lookup; default none"},
	{"token_env", "environment variable holding an access token, sent as Authorization: Bearer (needed where the instance disables public preview); default none: anonymous"},
	{"limit", "statuses per page, at most 40; default 40"},
	{"max_pages", "pages read per target per round before the next round continues; default 10"},
	{"backfill_pages", "pages read back from the newest on a target's first round (no cursor yet); default 1"},
	{"include_reblogs", "capture boosts (as the boosted status, the boost kept in raw); default true"},
}

// Defaults returns the source's default settings: mastodon.social, a
// round a minute, and Mastodon's documented default rate limit of 300
// requests per 5 minutes per account or IP
// (https://docs.joinmastodon.org/api/rate-limits/).
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = "https://mastodon.social"
	d.Interval = time.Minute
	d.RateLimit = netsrc.RateLimit{Requests: 300, Per: 5 * time.Minute}
	d.Concurrency = 1
	return d
}

// MaxLimit is the most statuses the API returns in one page.
const MaxLimit = 40

// Config configures one Mastodon source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`

	Hashtags  []string `yaml:"hashtags"`
	Public    Public   `yaml:"public"`
	LocalOnly bool     `yaml:"local_only"`
	Accounts  []string `yaml:"accounts"`
	// TokenEnv names the environment variable holding the access token.
	TokenEnv      string `yaml:"token_env"`
	Limit         int    `yaml:"limit"`
	MaxPages      int    `yaml:"max_pages"`
	BackfillPages int    `yaml:"backfill_pages"`
	// IncludeReblogs is true when unset.
	IncludeReblogs *bool `yaml:"include_reblogs"`
}

// Public selects the public timeline: `public: true`, or
// `public: {enabled: true, local: true}`.
type Public struct {
	Enabled bool
	// Local and Remote restrict the timeline to local or remote statuses.
	Local, Remote bool
}

// UnmarshalYAML accepts a boolean or a mapping {enabled, local, remote}
// (a mapping without enabled means enabled). It uses the callback form
// that gopkg.in/yaml.v3 and v2 both call.
func (p *Public) UnmarshalYAML(unmarshal func(any) error) error {
	var b bool
	if err := unmarshal(&b); err == nil {
		*p = Public{Enabled: b}
		return nil
	}
	var m struct {
		Enabled *bool `yaml:"enabled"`
		Local   bool  `yaml:"local"`
		Remote  bool  `yaml:"remote"`
	}
	if err := unmarshal(&m); err != nil {
		return fmt.Errorf("public: want true, false or {enabled, local, remote}: %w", err)
	}
	*p = Public{Enabled: m.Enabled == nil || *m.Enabled, Local: m.Local, Remote: m.Remote}
	return nil
}

// target is one timeline the source follows.
type target struct {
	where string // "tag:myanmar", "public", "account:alice@example.social"
	path  string // API path, "" for an account until it is looked up
	query url.Values
	acct  string // for an account
}

// Source polls one Mastodon instance.
type Source struct {
	cfg     Config
	env     ingest.Env
	log     *slog.Logger
	client  *netsrc.Client
	base    *url.URL
	host    string // the instance's host, lower case, for local accts
	header  http.Header
	reblogs bool
	targets []target

	mu       sync.Mutex
	cursors  map[string]string // cursor key → newest status ID emitted
	accounts map[string]string // acct → account ID
}

// New returns a Mastodon source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	if cfg.Name == "" {
		return nil, errors.New("mastodon source: name is required")
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("mastodon source %s: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	cfg.Settings.Fill(Defaults())
	if err := cfg.Settings.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	base, _ := url.Parse(cfg.BaseURL)
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fail("base_url %q: want the instance's http(s) root, e.g. https://mastodon.social", cfg.BaseURL)
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fail("base_url %q: want the instance's root, without a query", cfg.BaseURL)
	}
	switch {
	case cfg.Limit == 0:
		cfg.Limit = MaxLimit
	case cfg.Limit < 0 || cfg.Limit > MaxLimit:
		return nil, fail("limit %d: want 1 to %d", cfg.Limit, MaxLimit)
	}
	switch {
	case cfg.MaxPages == 0:
		cfg.MaxPages = 10
	case cfg.MaxPages < 0:
		return nil, fail("max_pages %d: want at least 1", cfg.MaxPages)
	}
	switch {
	case cfg.BackfillPages == 0:
		cfg.BackfillPages = 1
	case cfg.BackfillPages < 0:
		return nil, fail("backfill_pages %d: want at least 1", cfg.BackfillPages)
	}
	s := &Source{
		cfg: cfg, env: env, base: base,
		log:      env.Logger().With("source", cfg.Name),
		host:     strings.ToLower(base.Host),
		header:   http.Header{"Accept": {"application/json"}},
		reblogs:  cfg.IncludeReblogs == nil || *cfg.IncludeReblogs,
		cursors:  map[string]string{},
		accounts: map[string]string{},
	}
	if cfg.TokenEnv != "" {
		tok := strings.TrimSpace(env.Secret(cfg.TokenEnv))
		if tok == "" {
			return nil, fail("token_env names %s, but that environment variable is empty or not set", cfg.TokenEnv)
		}
		s.header.Set("Authorization", "Bearer "+tok)
	}
	pageQuery := func() url.Values { return url.Values{"limit": {strconv.Itoa(cfg.Limit)}} }
	seen := map[string]bool{}
	add := func(t target) {
		if !seen[t.where] {
			seen[t.where] = true
			s.targets = append(s.targets, t)
		}
	}
	for _, h := range cfg.Hashtags {
		tag := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "#"))
		if tag == "" || strings.ContainsAny(tag, "/?#%& \t\n") {
			return nil, fail("hashtag %q: want a hashtag's name, without '#'", h)
		}
		add(target{where: "tag:" + tag, path: "api/v1/timelines/tag/" + url.PathEscape(tag), query: pageQuery()})
	}
	pub := cfg.Public
	if cfg.LocalOnly {
		if !pub.Enabled {
			return nil, fail("local_only is set but public is not")
		}
		pub.Local = true
	}
	if pub.Enabled {
		if pub.Local && pub.Remote {
			return nil, fail("public: local and remote exclude each other")
		}
		q := pageQuery()
		if pub.Local {
			q.Set("local", "true")
		}
		if pub.Remote {
			q.Set("remote", "true")
		}
		add(target{where: "public", path: "api/v1/timelines/public", query: q})
	}
	for _, a := range cfg.Accounts {
		acct := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a), "@"))
		user, domain, remote := strings.Cut(acct, "@")
		if user == "" || remote && domain == "" || strings.ContainsAny(acct, "/?#%&: \t\n") || strings.Count(acct, "@") > 1 {
			return nil, fail("account %q: want an acct, alice or alice@other.example", a)
		}
		q := pageQuery()
		if !s.reblogs {
			q.Set("exclude_reblogs", "true")
		}
		add(target{where: "account:" + acct, acct: acct, query: q})
	}
	if len(s.targets) == 0 {
		return nil, fail("nothing to follow: give hashtags, public or accounts")
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

// cursorKey is "mastodon:<name>:tag:<tag>", "mastodon:<name>:public" or
// "mastodon:<name>:account:<acct>".
func (s *Source) cursorKey(t *target) string { return Type + ":" + s.cfg.Name + ":" + t.where }

// ownError marks an error the source found itself (a malformed body, a
// Link off the instance), which the client has not recorded in the health
// record, unlike the errors Client.Get returns.
type ownError struct{ error }

func (e ownError) Unwrap() error { return e.error }

// round reads every target once, up to Concurrency at a time. A target
// that fails does not stop the others; the round then fails with every
// target's error.
func (s *Source) round(ctx context.Context, out chan<- ingest.Item) error {
	errs := make([]error, len(s.targets))
	sem := make(chan struct{}, max(1, s.cfg.Concurrency))
	var wg sync.WaitGroup
	for i := range s.targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t := &s.targets[i]
			if err := s.fetch(ctx, out, t); err != nil && ctx.Err() == nil {
				var own ownError
				if errors.As(err, &own) {
					err = ownError{fmt.Errorf("%s: %w", t.where, own.error)}
				} else {
					err = fmt.Errorf("%s: %w", t.where, err)
				}
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return s.joinErrors(errs)
}

// joinErrors joins a round's errors so that each is counted once in the
// health record: the client recorded its own; netsrc.Loop records the
// first *netsrc.Error it finds in the joined error unless the client did
// (or the whole error when there is none); the source records the rest.
func (s *Source) joinErrors(errs []error) error {
	var client, own []error
	for _, err := range errs {
		var o ownError
		switch {
		case err == nil:
		case errors.As(err, &o):
			own = append(own, err)
		default:
			client = append(client, err)
		}
	}
	if len(client)+len(own) == 0 {
		return nil
	}
	// Own errors holding a *netsrc.Error first, so that Loop finds the
	// one it records at the front.
	slices.SortStableFunc(own, func(a, b error) int {
		var e *netsrc.Error
		ha, hb := errors.As(a, &e), errors.As(b, &e)
		switch {
		case ha && !hb:
			return -1
		case hb && !ha:
			return 1
		}
		return 0
	})
	recordFrom := 0
	if len(client) == 0 {
		recordFrom = 1 // Loop records own[0]
	}
	for _, err := range own[recordFrom:] {
		s.env.Health.Failure(s.cfg.Name, netsrc.KindOf(err), err)
	}
	if len(client)+len(own) == 1 {
		return slices.Concat(client, own)[0]
	}
	return errors.Join(slices.Concat(client, own)...)
}

// fetch reads one target: its first pages when it has no cursor yet, else
// the statuses newer than its cursor.
func (s *Source) fetch(ctx context.Context, out chan<- ingest.Item, t *target) error {
	key := s.cursorKey(t)
	cur, err := s.cursor(ctx, key)
	if err != nil {
		return ownError{fmt.Errorf("reading cursor: %w", err)}
	}
	path, err := s.path(ctx, t)
	if err != nil {
		return err
	}
	u := s.base.JoinPath(path)
	q := cloneValues(t.query)
	if cur == "" {
		u.RawQuery = q.Encode()
		return s.backfill(ctx, out, t, key, u.String())
	}
	q.Set("min_id", cur)
	u.RawQuery = q.Encode()
	return s.forward(ctx, out, t, key, cur, u.String())
}

// forward reads the statuses newer than cur, page by page (each page the
// statuses immediately newer than the last), emitting each page as it
// comes, oldest first, and moving the cursor after each.
func (s *Source) forward(ctx context.Context, out chan<- ingest.Item, t *target, key, cur, next string) error {
	for range s.cfg.MaxPages {
		resp, raws, err := s.page(ctx, next)
		if err != nil {
			return err
		}
		if len(raws) == 0 {
			return nil
		}
		items, newest, err := s.items(t, raws, cur, resp.URL.String())
		if err != nil {
			return err
		}
		if newest == "" {
			return nil // nothing newer than the cursor: the end
		}
		if !netsrc.Emit(ctx, out, items, netsrc.SaveCursor(ctx, s.env, key, newest)) {
			return ctx.Err()
		}
		s.setCursor(key, newest)
		cur = newest
		prev, err := s.rel(resp, "prev")
		if err != nil || prev == "" {
			return err
		}
		next = prev
	}
	return nil
}

// backfill reads a target's newest page, and older ones through
// rel="next" up to backfill_pages, then emits them all oldest first. It
// emits nothing unless every page was read: the next round starts over.
func (s *Source) backfill(ctx context.Context, out chan<- ingest.Item, t *target, key, first string) error {
	var all []json.RawMessage
	next := first
	for i := range s.cfg.BackfillPages {
		resp, raws, err := s.page(ctx, next)
		if err != nil {
			return err
		}
		if len(raws) == 0 {
			break
		}
		all = append(all, raws...)
		if i+1 == s.cfg.BackfillPages {
			break
		}
		older, err := s.rel(resp, "next")
		if err != nil {
			return err
		}
		if older == "" {
			break
		}
		next = older
	}
	if len(all) == 0 {
		return nil
	}
	items, newest, err := s.items(t, all, "", first)
	if err != nil || newest == "" {
		return err
	}
	if !netsrc.Emit(ctx, out, items, netsrc.SaveCursor(ctx, s.env, key, newest)) {
		return ctx.Err()
	}
	s.setCursor(key, newest)
	return nil
}

// page fetches one page of statuses and splits it into each status's
// bytes as sent.
func (s *Source) page(ctx context.Context, rawURL string) (*netsrc.Response, []json.RawMessage, error) {
	resp, err := s.client.Get(ctx, rawURL, s.header)
	if err != nil {
		return nil, nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(resp.Body, &raws); err != nil {
		return nil, nil, ownError{netsrc.Malformed(rawURL, fmt.Errorf("want a JSON array of statuses: %w", err))}
	}
	if raws == nil { // "null"
		return nil, nil, ownError{netsrc.Malformed(rawURL, errors.New("want a JSON array of statuses, got null"))}
	}
	return resp, raws, nil
}

// rel returns the URL of a page's link of relation rel, "" when there is
// none. A link to another host or scheme than base_url is refused: the
// token goes with every request.
func (s *Source) rel(resp *netsrc.Response, rel string) (string, error) {
	links, err := parseLinks(resp.Header.Values("Link"))
	if err != nil {
		return "", ownError{netsrc.Malformed(resp.URL.String(), err)}
	}
	target := relLink(links, rel)
	if target == "" {
		return "", nil
	}
	u, err := resp.URL.Parse(target)
	if err != nil {
		return "", ownError{netsrc.Malformed(resp.URL.String(), fmt.Errorf("link rel=%q: %w", rel, err))}
	}
	if !strings.EqualFold(u.Scheme, s.base.Scheme) || !strings.EqualFold(u.Host, s.base.Host) {
		return "", ownError{&netsrc.Error{Kind: ingest.KindBlocked, URL: netsrc.Redact(resp.URL.String()),
			Msg: fmt.Sprintf("Link rel=%q points to %s://%s, not to the instance %s://%s; not followed", rel, u.Scheme, u.Host, s.base.Scheme, s.base.Host)}}
	}
	return u.String(), nil
}

// items turns a page's statuses (any order) into items, oldest first,
// leaving out those not newer than after (already captured) and repeats.
// newest is the newest status ID among them, skipped ones included, ""
// when none is newer than after. A status without a readable id makes
// the page malformed.
func (s *Source) items(t *target, raws []json.RawMessage, after, pageURL string) (items []ingest.Item, newest string, err error) {
	type entry struct {
		id  string
		st  status
		bad error
		raw json.RawMessage
	}
	var entries []entry
	seen := map[string]bool{}
	for i, raw := range raws {
		st, bad, err := decodeStatus(raw)
		if err != nil {
			return nil, "", ownError{netsrc.Malformed(pageURL, fmt.Errorf("status %d of the page: %w", i, err))}
		}
		if seen[st.ID] || after != "" && compareIDs(st.ID, after) <= 0 {
			continue
		}
		seen[st.ID] = true
		entries = append(entries, entry{id: st.ID, st: st, bad: bad, raw: raw})
	}
	slices.SortFunc(entries, func(a, b entry) int { return compareIDs(a.id, b.id) })
	skipped := map[string]int{}
	now := time.Now()
	for _, e := range entries {
		newest = e.id
		origin := Type + ":" + s.cfg.Name + ":" + t.where + ":" + e.id
		if e.bad != nil {
			items = append(items, ingest.Item{Err: e.bad, Payload: e.raw, Origin: origin})
			continue
		}
		p, skip, err := s.post(&e.st, e.raw, now)
		switch {
		case skip != "":
			skipped[skip]++
		case err != nil:
			items = append(items, ingest.Item{Err: err, Payload: e.raw, Origin: origin})
		default:
			items = append(items, ingest.Item{Post: p})
		}
	}
	if len(skipped) > 0 {
		s.log.Debug("statuses passed over", "target", t.where, "no_text", skipped[skipNoText],
			"not_public", skipped[skipNotPublic], "reblogs", skipped[skipReblog])
	}
	return items, newest, nil
}

// path returns a target's API path, looking an account up once.
func (s *Source) path(ctx context.Context, t *target) (string, error) {
	if t.path != "" {
		return t.path, nil
	}
	s.mu.Lock()
	id, ok := s.accounts[t.acct]
	s.mu.Unlock()
	if !ok {
		u := s.base.JoinPath("api/v1/accounts/lookup")
		u.RawQuery = url.Values{"acct": {t.acct}}.Encode()
		resp, err := s.client.Get(ctx, u.String(), s.header)
		if err != nil {
			return "", fmt.Errorf("looking up the account: %w", err)
		}
		var acc account
		if err := json.Unmarshal(resp.Body, &acc); err != nil || acc.ID == "" || strings.ContainsAny(acc.ID, "/?#%") {
			if err == nil {
				err = fmt.Errorf("no usable id in %q", snippet(resp.Body))
			}
			return "", ownError{netsrc.Malformed(u.String(), fmt.Errorf("account lookup: %w", err))}
		}
		id = acc.ID
		s.mu.Lock()
		s.accounts[t.acct] = id
		s.mu.Unlock()
	}
	return "api/v1/accounts/" + url.PathEscape(id) + "/statuses", nil
}

// cursor returns a key's cursor: the source's own, else the saved one.
func (s *Source) cursor(ctx context.Context, key string) (string, error) {
	s.mu.Lock()
	v, ok := s.cursors[key]
	s.mu.Unlock()
	if ok || s.env.Cursors == nil {
		return v, nil
	}
	v, _, err := s.env.Cursors.Get(ctx, key)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if mem, ok := s.cursors[key]; ok { // set meanwhile
		return mem, nil
	}
	s.cursors[key] = v
	return v, nil
}

func (s *Source) setCursor(key, v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.cursors[key]; cur == "" || compareIDs(v, cur) > 0 {
		s.cursors[key] = v
	}
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}
