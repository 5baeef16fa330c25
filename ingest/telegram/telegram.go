// Package telegram is the Telegram source: public channels read from
// their web preview, https://t.me/s/<channel>, which needs no login and no
// API credentials. The preview page lists a channel's newest ~20 messages,
// oldest first; /s/<channel>?before=<id> lists the ~20 before id.
//
// Each round reads the newest page of every channel and pages back with
// ?before=<lowest id on the page> until it reaches the channel's cursor
// (the highest message id already emitted) or max_pages; on a channel's
// first round (no cursor yet) it reads backfill_pages pages. The messages
// above the cursor are emitted oldest first and the cursor, key
// "telegram:<name>:<channel>" (the username lower-cased), moves to the
// highest id read (messages without text included) once they are durable.
// A message whose data-post cannot be read has no id: it is emitted with
// the next message that has one (and waits for it when it is the newest),
// so that it is neither repeated nor lost.
//
// A message becomes an event.Post: ID "<channel>:<id>" (the message's
// data-post with '/' as ':', the channel lower-cased, since usernames are
// case-insensitive and an owner may change their case), Author the channel
// (ID lower-cased, Handle as the page writes it, Name its title), Text the
// message text (<br> as a line break, entities decoded), Links the hrefs
// under its text and its link preview (not hashtag searches), Raw the
// message's HTML exactly as on the page (its tgme_widget_message_wrap
// element, sliced from the body). The view count and, for a forward, the
// original channel are kept in Raw only; ParseExtras reads them back.
// A message without text (media only, a service message such as "Channel
// created") is skipped; one whose data-post or date cannot be read goes
// to the dead-letter topic. A page that is not a preview at all (the
// channel's info page, for a channel without a preview) fails the round as
// malformed.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: telegram, ...}]`).
const Type = "telegram"

// Platform is the posts' platform.
const Platform = "telegram"

// Summary is one line for `vigil sources`.
const Summary = "public Telegram channels, from their web preview (t.me/s/<channel>); no login or credentials"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"channels", "channel usernames to read (\"somechannel\", a leading @ is allowed); required"},
	{"backfill_pages", "pages of ~20 messages read on a channel's first round, when it has no cursor yet; default 1"},
	{"max_pages", "most pages read per channel per round when paging back to the cursor (older messages are then missed, with a warning); default 10"},
}

// Config configures one Telegram source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`
	// Channels are the usernames of the channels to read.
	Channels []string `yaml:"channels"`
	// BackfillPages is how many pages a channel's first round reads.
	BackfillPages int `yaml:"backfill_pages"`
	// MaxPages bounds the pages read per channel per round.
	MaxPages int `yaml:"max_pages"`
}

// Default page counts.
const (
	DefaultBackfillPages = 1
	DefaultMaxPages      = 10
)

// Defaults returns the source's default settings. Telegram documents no
// limit for the preview pages: 20 requests a minute, one at a time, is
// meant to be polite.
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = "https://t.me"
	d.Interval = 5 * time.Minute
	d.RateLimit = netsrc.RateLimit{Requests: 20, Per: time.Minute}
	d.Concurrency = 1
	return d
}

// Source reads public Telegram channels.
type Source struct {
	cfg      Config
	env      ingest.Env
	client   *netsrc.Client
	channels []string // lower-case usernames
	base     *url.URL

	// cursors are the channels' places in memory: the highest message id
	// read, ahead of the saved cursor while the last round's posts are
	// not yet durable. Rounds run one at a time: no lock.
	cursors map[string]cursor
}

type cursor struct {
	id   int64
	have bool
}

// New returns a Telegram source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	if cfg.Name == "" {
		return nil, errors.New("telegram source: name is required")
	}
	cfg.Settings.Fill(Defaults())
	if err := cfg.Settings.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("telegram source %s: base_url: %v", cfg.Name, err)
	}
	switch {
	case cfg.BackfillPages < 0:
		return nil, fmt.Errorf("telegram source %s: backfill_pages %d: want 1 or more", cfg.Name, cfg.BackfillPages)
	case cfg.BackfillPages == 0:
		cfg.BackfillPages = DefaultBackfillPages
	}
	switch {
	case cfg.MaxPages < 0:
		return nil, fmt.Errorf("telegram source %s: max_pages %d: want 1 or more", cfg.Name, cfg.MaxPages)
	case cfg.MaxPages == 0:
		cfg.MaxPages = DefaultMaxPages
	}
	if len(cfg.Channels) == 0 {
		return nil, fmt.Errorf("telegram source %s: channels: at least one channel is required", cfg.Name)
	}
	s := &Source{cfg: cfg, env: env, base: base, cursors: map[string]cursor{}}
	seen := map[string]bool{}
	for _, c := range cfg.Channels {
		c = strings.TrimPrefix(strings.TrimSpace(c), "@")
		if !validUsername(c) {
			return nil, fmt.Errorf("telegram source %s: channels: %q is not a channel username (letters, digits and _; not a URL)", cfg.Name, c)
		}
		c = strings.ToLower(c)
		if seen[c] {
			return nil, fmt.Errorf("telegram source %s: channels: %s is listed twice", cfg.Name, c)
		}
		seen[c] = true
		s.channels = append(s.channels, c)
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

// round reads every channel. A channel that fails does not stop the
// others; the round then fails with every channel's error.
func (s *Source) round(ctx context.Context, out chan<- ingest.Item) error {
	var errs []error
	unrecorded := -1 // index in errs of the first error not yet in the health record
	for _, ch := range s.channels {
		recorded, err := s.channel(ctx, out, ch)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			continue
		}
		if !recorded {
			if unrecorded < 0 {
				unrecorded = len(errs) // Loop records it when it is first
			} else {
				s.env.Health.Failure(s.cfg.Name, netsrc.KindOf(err), err)
			}
		}
		errs = append(errs, err)
	}
	if unrecorded > 0 {
		errs[0], errs[unrecorded] = errs[unrecorded], errs[0]
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// channel reads one channel's new messages and emits them. recorded
// reports whether the error is already in the health record (the
// client's errors are).
func (s *Source) channel(ctx context.Context, out chan<- ingest.Item, ch string) (recorded bool, err error) {
	log := s.env.Logger().With("source", s.cfg.Name, "channel", ch)
	cur, err := s.cursor(ctx, ch)
	if err != nil {
		return false, err
	}
	limit := s.cfg.MaxPages
	if !cur.have {
		limit = s.cfg.BackfillPages
	}
	first, recorded, err := s.fetch(ctx, ch, 0)
	if err != nil {
		return recorded, err
	}
	pages := []*page{first}
	low := first.lowest()
	for low > 0 && (!cur.have || low > cur.id+1) {
		if len(pages) >= limit {
			if cur.have {
				log.Warn("max_pages reached before the cursor: older new messages are missed",
					"cursor", cur.id, "oldest_read", low, "max_pages", limit)
			}
			break
		}
		p, recorded, err := s.fetch(ctx, ch, low)
		if err != nil {
			return recorded, err
		}
		pl := p.lowest()
		if pl == 0 {
			break // the channel's first message reached
		}
		if pl >= low {
			log.Warn("paging back with before= went no further", "before", low, "lowest", pl)
			break
		}
		pages = append(pages, p)
		low = pl
	}

	// The pages oldest first, each message once.
	var msgs []message
	var last int64
	for i := len(pages) - 1; i >= 0; i-- {
		for _, m := range pages[i].messages {
			if m.id > 0 {
				if m.id <= last {
					continue
				}
				last = m.id
			}
			msgs = append(msgs, m)
		}
	}
	// A message without a readable id goes with the next message that
	// has one: emitted in the round that reads that one, waiting for it
	// when it is the newest.
	next := make([]int64, len(msgs))
	for i, n := len(msgs)-1, int64(0); i >= 0; i-- {
		next[i] = n
		if msgs[i].id > 0 {
			n = msgs[i].id
		}
	}

	high := cur.id
	var items []ingest.Item
	skipped, waiting := 0, 0
	now := time.Now()
	for i, m := range msgs {
		if m.id > 0 {
			if cur.have && m.id <= cur.id {
				continue
			}
			high = max(high, m.id)
		} else {
			switch {
			case next[i] == 0:
				waiting++
				continue
			case cur.have && next[i] <= cur.id:
				continue
			}
		}
		if m.skip {
			skipped++
			continue
		}
		where := fmt.Sprintf("%s:%s:%s/%d", Type, s.cfg.Name, ch, m.id)
		if m.id == 0 {
			where = fmt.Sprintf("%s:%s:%s/before-%d", Type, s.cfg.Name, ch, next[i])
		}
		err := m.err
		if err == nil {
			err = m.post.Validate(s.env.Limits, now)
		}
		if err != nil {
			log.Warn("message not readable: sent to dead letters", "where", where, "err", err)
			items = append(items, ingest.Item{Err: err, Payload: m.raw, Origin: where})
			continue
		}
		items = append(items, ingest.Item{Post: m.post, Origin: where})
	}
	if skipped > 0 || waiting > 0 {
		log.Debug("messages skipped", "without_text", skipped, "without_id_waiting", waiting)
	}

	var commit func()
	if high > cur.id {
		commit = netsrc.SaveCursor(ctx, s.env, s.cursorKey(ch), strconv.FormatInt(high, 10))
	}
	if !netsrc.Emit(ctx, out, items, commit) {
		return false, ctx.Err()
	}
	if high > cur.id {
		s.cursors[ch] = cursor{id: high, have: true}
	}
	return false, nil
}

func (s *Source) cursorKey(ch string) string { return Type + ":" + s.cfg.Name + ":" + ch }

// cursor returns the channel's place: in memory, else the saved cursor.
func (s *Source) cursor(ctx context.Context, ch string) (cursor, error) {
	if c, ok := s.cursors[ch]; ok {
		return c, nil
	}
	var c cursor
	if s.env.Cursors != nil {
		v, ok, err := s.env.Cursors.Get(ctx, s.cursorKey(ch))
		if err != nil {
			return c, fmt.Errorf("telegram source %s: channel %s: reading the cursor: %w", s.cfg.Name, ch, err)
		}
		if ok {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				s.env.Logger().Warn("cursor unreadable: starting afresh", "source", s.cfg.Name, "channel", ch, "cursor", v)
			} else {
				c = cursor{id: id, have: true}
			}
		}
	}
	if c.have {
		s.cursors[ch] = c
	}
	return c, nil
}

// pageURL is the preview page of ch, the newest or the one before id.
func (s *Source) pageURL(ch string, before int64) string {
	u := *s.base
	u.Path = s.base.Path + "/s/" + ch
	if before > 0 {
		u.RawQuery = "before=" + strconv.FormatInt(before, 10)
	}
	return u.String()
}

// fetch reads one preview page of ch. recorded reports whether the error
// is already in the health record.
func (s *Source) fetch(ctx context.Context, ch string, before int64) (p *page, recorded bool, err error) {
	u := s.pageURL(ch, before)
	r, err := s.client.Get(ctx, u, http.Header{"Accept": {"text/html"}})
	if err != nil {
		return nil, true, err
	}
	if want := s.base.Path + "/s/" + ch; r.URL != nil && !strings.EqualFold(strings.TrimSuffix(r.URL.Path, "/"), want) {
		return nil, false, netsrc.Malformed(u, fmt.Errorf(
			"channel %s has no public web preview: redirected to %s", ch, netsrc.Redact(r.URL.String())))
	}
	p, err = parsePage(r.Body, ch)
	if err != nil {
		return nil, false, netsrc.Malformed(u, fmt.Errorf("channel %s: %v", ch, err))
	}
	switch {
	case !p.preview:
		return nil, false, netsrc.Malformed(u, fmt.Errorf(
			"channel %s: not a channel's web preview (no messages, no channel header): the channel may not exist or may have its preview disabled", ch))
	case len(p.messages) > 0 && p.lowest() == 0:
		return nil, false, netsrc.Malformed(u, fmt.Errorf(
			"channel %s: none of the %d messages on the page has a readable data-post", ch, len(p.messages)))
	}
	return p, false, nil
}
