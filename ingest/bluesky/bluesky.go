// Package bluesky is the Bluesky source: public posts read from Jetstream
// (https://github.com/bluesky-social/jetstream), Bluesky's WebSocket
// firehose of repository commits as JSON, filtered by collection and,
// optionally, by account (DID), and pre-filtered by keywords.
//
// The stream is one long-lived connection to GET /subscribe
// (wantedCollections, wantedDids, cursor; no compression). A connection
// that fails or ends is opened again after a backoff (Backoff, with
// jitter, honouring Retry-After on a 429 or 503 handshake), each failure
// recorded in the health record by kind; a connection that delivers
// events records a success (then again every interval while events
// flow). A connection limited to dids may be quiet for hours: there an
// answered ping records a success too, so that a quiet watch list does
// not look stalled. A ping not answered within timeout reconnects.
//
// Cursor. Jetstream's cursor is an event's time_us (Unix microseconds),
// and a replay from a cursor includes the event at that very time_us. The
// source keeps, under "bluesky:<name>", the time_us up to which every
// event was handled: emitted and acknowledged, or skipped (identity and
// account events, updates, deletes, posts without text or without a
// keyword). It is saved every interval, when the source stops, and on
// Save (the Ingester calls it after its final flush); never beyond an
// emitted post that is not acknowledged yet.
//
//   - After a reconnect within a run, the stream resumes from the
//     time_us of the last event read (not from the saved cursor: what was
//     emitted is on its way), and the replayed events are dropped: those
//     before that time_us, and those at it that were already read
//     (several events may share one microsecond).
//   - After a restart, it resumes from the saved cursor + 1 µs: what was
//     acknowledged is not emitted again. Should two events share that
//     very microsecond and the source stop between them, the second is
//     not read again; that is one microsecond's worth of the firehose,
//     against re-emitting posts on every restart.
//
// With --once, the source reads until an event at or after the time it
// started (it has caught up), or until once_idle passes without a frame,
// waits (up to once_idle) for the last acknowledgements, and returns.
//
// Frames that are not JSON, or lack did or time_us, and posts that are
// not valid go to the dead-letter topic with their exact bytes.
package bluesky

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
)

// Type is the source's type in the config (`sources: [{type: bluesky, ...}]`).
const Type = "bluesky"

// Platform is the posts' platform.
const Platform = "bluesky"

// Summary is one line for `vigil sources`.
const Summary = "Bluesky public posts from the Jetstream firehose (WebSocket), optionally limited to accounts (DIDs) and pre-filtered by keywords"

// Settings documents the source's own settings for `vigil sources`.
var Settings = [][2]string{
	{"collections", "Jetstream wantedCollections: collection NSIDs or prefixes such as app.bsky.feed.* (at most 100); only app.bsky.feed.post records become posts; default [app.bsky.feed.post]"},
	{"dids", "Jetstream wantedDids: read only these accounts (did:plc:… or did:web:…, at most 10,000; over 100 are sent in an options update rather than the URL); default every account"},
	{"keywords", "keep only posts whose text contains one of these, case-insensitively: a cheap pre-filter before the classifier; default keep every post"},
	{"handles", "map of DID to handle, shown as the author's handle (Jetstream gives none); default none"},
	{"once_idle", "with --once, stop after this long without a frame (and wait as long for the last acknowledgements); default 5s"},
	{"ping_interval", "WebSocket ping cadence; a ping not answered within timeout reconnects; default 30s, negative disables"},
	{"max_frame_bytes", "largest frame read whole; a longer one goes to the dead-letter topic truncated; default 4 MiB"},
}

// DefaultCollection is the collection of posts.
const DefaultCollection = "app.bsky.feed.post"

// Jetstream's limits on the filters.
const (
	MaxCollections = 100
	MaxDIDs        = 10000
	// maxQueryDIDs is the most DIDs sent in the URL; beyond, they go in an
	// options update (requireHello), for a URL that proxies accept.
	maxQueryDIDs = 100
)

// Defaults returns the source's default settings. The interval is the
// cadence of cursor saves and health records; there is no rate limit to
// respect on a stream (the one given is not used).
func Defaults() netsrc.Settings {
	d := netsrc.Defaults()
	d.BaseURL = "wss://jetstream2.us-east.bsky.network"
	d.Interval = 5 * time.Second
	d.Concurrency = 1
	return d
}

// Config configures one Bluesky source.
type Config struct {
	Name            string `yaml:"name"`
	netsrc.Settings `yaml:",inline"`

	Collections   []string          `yaml:"collections"`
	DIDs          []string          `yaml:"dids"`
	Keywords      []string          `yaml:"keywords"`
	Handles       map[string]string `yaml:"handles"`
	OnceIdle      time.Duration     `yaml:"once_idle"`
	PingInterval  time.Duration     `yaml:"ping_interval"`
	MaxFrameBytes int               `yaml:"max_frame_bytes"`
}

var (
	nsidRE = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)+(\.\*)?$`)
	didRE  = regexp.MustCompile(`^did:[a-z]+:[a-zA-Z0-9._:%-]+$`)
)

// Source reads posts from Jetstream.
type Source struct {
	cfg      Config
	env      ingest.Env
	log      *slog.Logger
	client   *netsrc.Client
	endpoint *url.URL
	keywords []string // lowercased
	hello    []byte   // options update sent first, when the DIDs are many

	mu      sync.Mutex
	emitted int64 // items sent on out
	acked   int64 // items acknowledged
	readUS  int64 // latest time_us read
	ackedUS int64 // time_us covered by the acknowledged items
	ackSig  chan struct{}

	saveMu sync.Mutex
	saved  int64

	skips map[string]int // events skipped, by reason (reader only)
}

// New returns a Bluesky source.
func New(cfg Config, env ingest.Env) (*Source, error) {
	cfg.Settings.Fill(Defaults())
	if cfg.Name == "" {
		return nil, errors.New("bluesky source: name is required")
	}
	if err := cfg.Settings.Validate(Type, cfg.Name); err != nil {
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("bluesky source %s: %s", cfg.Name, fmt.Sprintf(format, args...))
	}
	endpoint, err := endpointURL(cfg.BaseURL)
	if err != nil {
		return nil, fail("base_url %q: %v", cfg.BaseURL, err)
	}
	if len(cfg.Collections) == 0 {
		cfg.Collections = []string{DefaultCollection}
	}
	if len(cfg.Collections) > MaxCollections {
		return nil, fail("%d collections, over Jetstream's limit of %d", len(cfg.Collections), MaxCollections)
	}
	for _, c := range cfg.Collections {
		if !nsidRE.MatchString(c) {
			return nil, fail("collection %q: want an NSID such as app.bsky.feed.post or a prefix such as app.bsky.feed.*", c)
		}
	}
	if len(cfg.DIDs) > MaxDIDs {
		return nil, fail("%d dids, over Jetstream's limit of %d", len(cfg.DIDs), MaxDIDs)
	}
	for _, d := range cfg.DIDs {
		if !didRE.MatchString(d) {
			return nil, fail("did %q: want a DID such as did:plc:… or did:web:…", d)
		}
	}
	var kws []string
	for _, k := range cfg.Keywords {
		k = strings.TrimSpace(k)
		if k == "" {
			return nil, fail("keywords: an empty keyword would keep every post")
		}
		kws = append(kws, strings.ToLower(k))
	}
	for did, h := range cfg.Handles {
		if !didRE.MatchString(did) {
			return nil, fail("handles: key %q is not a DID", did)
		}
		if h == "" || len(h) > 253 || !utf8.ValidString(h) {
			return nil, fail("handles: the handle of %s must be 1 to 253 bytes of UTF-8", did)
		}
	}
	if cfg.OnceIdle <= 0 {
		cfg.OnceIdle = 5 * time.Second
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 30 * time.Second
	}
	if cfg.MaxFrameBytes <= 0 {
		cfg.MaxFrameBytes = 4 << 20
	}
	s := &Source{
		cfg: cfg, env: env, endpoint: endpoint, keywords: kws,
		log:    env.Logger().With("source", cfg.Name),
		client: netsrc.NewClient(cfg.Name, cfg.Settings, env.Health),
		ackSig: make(chan struct{}, 1),
		skips:  map[string]int{},
	}
	if len(cfg.DIDs) > maxQueryDIDs {
		type payload struct {
			WantedCollections   []string `json:"wantedCollections"`
			WantedDIDs          []string `json:"wantedDids"`
			MaxMessageSizeBytes int      `json:"maxMessageSizeBytes"`
		}
		s.hello, err = json.Marshal(struct {
			Type    string  `json:"type"`
			Payload payload `json:"payload"`
		}{"options_update", payload{cfg.Collections, cfg.DIDs, 0}})
		if err != nil {
			return nil, fail("options update: %v", err)
		}
	}
	return s, nil
}

// endpointURL is the /subscribe URL of base, in ws(s) form.
func endpointURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return nil, errors.New("want a ws, wss, http or https URL")
	}
	if !strings.HasSuffix(u.Path, "/subscribe") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/subscribe"
		u.RawPath = ""
	}
	u.Fragment = ""
	return u, nil
}

// Name implements ingest.Source.
func (s *Source) Name() string { return s.cfg.Name }

func (s *Source) cursorKey() string { return Type + ":" + s.cfg.Name }

// subscribeURL is the URL of a connection resuming at cursor (0: live).
func (s *Source) subscribeURL(cursor int64) string {
	u := *s.endpoint
	q := u.Query()
	for _, c := range s.cfg.Collections {
		q.Add("wantedCollections", c)
	}
	if s.hello != nil {
		q.Set("requireHello", "true")
	} else {
		for _, d := range s.cfg.DIDs {
			q.Add("wantedDids", d)
		}
	}
	if cursor > 0 {
		q.Set("cursor", strconv.FormatInt(cursor, 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// position is where the stream is: the latest time_us read, and the
// events read at it. Only the reading goroutine uses it.
type position struct {
	us int64
	// complete says every event at us was read: after a restart, the
	// saved cursor is taken as such.
	complete bool
	seen     map[string]bool
}

// cursor is the time_us to resume from.
func (p *position) cursor() int64 {
	if p.us > 0 && p.complete {
		return p.us + 1
	}
	return p.us
}

// replayed reports whether an event read on a connection that resumed at
// p (a copy taken when it opened) was read before.
func (p position) replayed(t int64, key string) bool {
	return t < p.us || t == p.us && (p.complete || p.seen[key])
}

func (p *position) advance(t int64, key string) {
	switch {
	case t > p.us:
		p.us, p.complete, p.seen = t, false, map[string]bool{key: true}
	case t == p.us:
		if p.seen == nil {
			p.seen = map[string]bool{}
		}
		p.seen[key] = true
	}
}

// result is how a connection ended: err nil means --once caught up.
type result struct {
	delivered  bool
	err        error
	retryAfter time.Duration
}

// Run implements ingest.Source.
func (s *Source) Run(ctx context.Context, out chan<- ingest.Item) error {
	name := s.Name()
	s.env.Health.Register(name)
	start, err := s.resume(ctx)
	if err != nil {
		return err
	}
	pos := &position{us: start, complete: start > 0}
	stopSaving := s.saveEvery(ctx)
	defer stopSaving()

	roundStart := time.Now().UnixMicro()
	failures := 0
	for {
		res := s.session(ctx, out, pos, roundStart)
		if ctx.Err() != nil {
			return nil
		}
		if res.delivered {
			failures = 0
		}
		if res.err == nil {
			s.env.Health.Success(name)
			s.awaitAcks(ctx, s.cfg.OnceIdle)
			return nil
		}
		failures++
		kind := netsrc.KindOf(res.err)
		s.env.Health.Failure(name, kind, res.err)
		s.log.Warn("jetstream connection failed", "kind", kind, "err", res.err, "failures_in_a_row", failures)
		if s.env.Once && (failures > s.cfg.Retries || !retryable(kind)) {
			return res.err
		}
		wait := netsrc.Jitter(s.cfg.Backoff, failures-1)
		if res.retryAfter > wait {
			wait = min(res.retryAfter, netsrc.MaxWait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

func retryable(kind string) bool {
	switch kind {
	case ingest.KindAuth, ingest.KindClient, ingest.KindBlocked:
		return false
	}
	return true
}

// resume reads the saved cursor; 0 (live) when there is none or it is
// not a time_us.
func (s *Source) resume(ctx context.Context) (int64, error) {
	if s.env.Cursors == nil {
		return 0, nil
	}
	v, ok, err := s.env.Cursors.Get(ctx, s.cursorKey())
	if err != nil {
		return 0, fmt.Errorf("bluesky source %s: read cursor: %w", s.cfg.Name, err)
	}
	if !ok {
		return 0, nil
	}
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil || us <= 0 {
		s.log.Warn("ignoring a cursor that is not a time_us; starting live", "cursor", v)
		return 0, nil
	}
	s.mu.Lock()
	s.readUS, s.ackedUS = us, us
	s.mu.Unlock()
	s.saveMu.Lock()
	s.saved = us
	s.saveMu.Unlock()
	return us, nil
}

// session reads one connection until it fails, ctx ends, or (--once) the
// stream has caught up.
func (s *Source) session(ctx context.Context, out chan<- ingest.Item, pos *position, roundStart int64) result {
	u := s.subscribeURL(pos.cursor())
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: s.client.HTTP(),
		HTTPHeader: http.Header{"User-Agent": {s.cfg.UserAgent}},
	})
	if err != nil {
		return dialFailure(u, resp, err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(-1) // readFrame bounds what is kept
	s.log.Debug("connected to jetstream", "cursor", pos.cursor())
	if s.hello != nil {
		if err := conn.Write(ctx, websocket.MessageText, s.hello); err != nil {
			return result{err: &netsrc.Error{Kind: ingest.KindNetwork, URL: netsrc.Redact(u), Msg: "sending the options update", Err: err}}
		}
	}
	stalled, stopPing := s.keepAlive(ctx, conn)
	defer stopPing()

	from := *pos // the replay boundary
	var res result
	var lastHealth time.Time
	for {
		rctx, cancel := ctx, context.CancelFunc(func() {})
		if s.env.Once {
			rctx, cancel = context.WithTimeout(ctx, s.cfg.OnceIdle)
		}
		typ, frame, truncated, err := s.readFrame(rctx, conn)
		idle := rctx.Err() != nil && ctx.Err() == nil
		cancel()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				res.err = ctx.Err()
			case idle:
				s.log.Debug("jetstream idle; round done", "skipped", s.skips)
			default:
				msg := "reading the stream"
				if stalled.Load() {
					msg = "no answer to a ping within the timeout"
				}
				res.err = &netsrc.Error{Kind: ingest.KindNetwork, URL: netsrc.Redact(u), Msg: msg, Err: err}
			}
			return res
		}
		t, ok := s.handle(ctx, out, pos, from, typ, frame, truncated)
		if !ok {
			res.err = ctx.Err()
			return res
		}
		if t > 0 {
			if now := time.Now(); !res.delivered || now.Sub(lastHealth) >= s.cfg.Interval {
				s.env.Health.Success(s.Name())
				lastHealth = now
				s.log.Debug("jetstream events skipped", "by_reason", s.skips)
			}
			res.delivered = true
			if s.env.Once && t >= roundStart {
				return res
			}
		}
	}
}

// dialFailure turns a failed handshake into its error.
func dialFailure(u string, resp *http.Response, err error) result {
	red := netsrc.Redact(u)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL
	}
	if resp == nil {
		kind := ingest.KindNetwork
		if errors.Is(err, netsrc.ErrBlocked) {
			kind = ingest.KindBlocked
		}
		return result{err: &netsrc.Error{Kind: kind, URL: red, Msg: "connecting", Err: err}}
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 512))
	}
	msg := strings.Join(strings.Fields(string(body)), " ")
	e := &netsrc.Error{Status: resp.StatusCode, URL: red, Msg: msg}
	var res result
	switch st := resp.StatusCode; {
	case st == http.StatusSwitchingProtocols:
		e.Kind, e.Err = ingest.KindMalformed, err
	case st == http.StatusTooManyRequests:
		e.Kind = ingest.KindRateLimited
	case st == http.StatusUnauthorized || st == http.StatusForbidden:
		e.Kind = ingest.KindAuth
	case st >= 500:
		e.Kind = ingest.KindServer
	default:
		e.Kind = ingest.KindClient
	}
	if e.Kind == ingest.KindRateLimited || e.Kind == ingest.KindServer {
		if d, ok := netsrc.ResetAfter(resp.Header, time.Now()); ok {
			res.retryAfter = d
		}
	}
	res.err = e
	return res
}

// keepAlive pings the server every ping_interval; a ping not answered
// within the timeout closes the connection (the read then fails). With
// dids set, an answered ping records a success.
func (s *Source) keepAlive(ctx context.Context, conn *websocket.Conn) (*atomic.Bool, func()) {
	stalled := new(atomic.Bool)
	if s.cfg.PingInterval <= 0 {
		return stalled, func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.PingInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				pctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
				err := conn.Ping(pctx)
				cancel()
				if err == nil && len(s.cfg.DIDs) > 0 {
					// A stream narrowed to a few accounts may stay
					// quiet for hours: a connection that answers is
					// healthy. The whole firehose is never quiet, so
					// there silence stays a stall.
					s.env.Health.Success(s.Name())
				}
				if err != nil {
					select {
					case <-done: // the connection is ending anyway
					default:
						stalled.Store(true)
					}
					conn.CloseNow()
					return
				}
			}
		}
	}()
	return stalled, func() { close(done); conn.CloseNow(); wg.Wait() }
}

// readFrame reads one message, keeping at most max_frame_bytes of it
// (truncated says the rest was discarded).
func (s *Source) readFrame(ctx context.Context, conn *websocket.Conn) (websocket.MessageType, []byte, bool, error) {
	typ, r, err := conn.Reader(ctx)
	if err != nil {
		return 0, nil, false, err
	}
	limit := s.cfg.MaxFrameBytes
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return 0, nil, false, err
	}
	if len(b) > limit {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return 0, nil, false, err
		}
		return typ, b[:limit], true, nil
	}
	return typ, b, false, nil
}

// jsEvent is a Jetstream event (the README's "Example events").
type jsEvent struct {
	DID    string    `json:"did"`
	TimeUS int64     `json:"time_us"`
	Kind   string    `json:"kind"`
	Commit *jsCommit `json:"commit"`
}

type jsCommit struct {
	Rev        string          `json:"rev"`
	Operation  string          `json:"operation"`
	Collection string          `json:"collection"`
	RKey       string          `json:"rkey"`
	Record     json.RawMessage `json:"record"`
	CID        string          `json:"cid"`
}

func (e *jsEvent) key() string {
	k := e.Kind + "|" + e.DID
	if c := e.Commit; c != nil {
		k += "|" + c.Collection + "|" + c.RKey + "|" + c.Operation + "|" + c.Rev
	}
	return k
}

// postRecord is an app.bsky.feed.post record, the fields read.
type postRecord struct {
	Text      *string  `json:"text"`
	CreatedAt string   `json:"createdAt"`
	Langs     []string `json:"langs"`
	Facets    []struct {
		Features []struct {
			Type string `json:"$type"`
			URI  string `json:"uri"`
		} `json:"features"`
	} `json:"facets"`
	Embed *embed `json:"embed"`
}

// embed is app.bsky.embed.external (a link card) or
// app.bsky.embed.recordWithMedia, whose media may be one.
type embed struct {
	Type     string `json:"$type"`
	External *struct {
		URI string `json:"uri"`
	} `json:"external"`
	Media *embed `json:"media"`
}

func malformed(format string, args ...any) error {
	return &event.ValidationError{Reason: fmt.Sprintf(format, args...), Kind: event.KindMalformed}
}

// handle processes one frame: an event skipped, a post or bad input
// emitted. t is the event's time_us (0 when the frame is not an event);
// ok is false when ctx ended first.
func (s *Source) handle(ctx context.Context, out chan<- ingest.Item, pos *position, from position, typ websocket.MessageType, frame []byte, truncated bool) (t int64, ok bool) {
	bad := func(t int64, err error) (int64, bool) {
		origin := fmt.Sprintf("%s:%s:time_us=%d", Type, s.cfg.Name, t)
		if t == 0 {
			s.mu.Lock()
			origin = fmt.Sprintf("%s:%s:after_time_us=%d", Type, s.cfg.Name, s.readUS)
			s.mu.Unlock()
		}
		return t, s.emit(ctx, out, ingest.Item{Err: err, Payload: frame, Origin: origin}, t)
	}
	switch {
	case truncated:
		return bad(0, &event.ValidationError{Reason: fmt.Sprintf("frame over %d bytes (max_frame_bytes); its start is kept", s.cfg.MaxFrameBytes), Kind: event.KindTooLarge})
	case typ != websocket.MessageText:
		return bad(0, malformed("binary frame (compression was not asked for)"))
	case !utf8.Valid(frame):
		return bad(0, &event.ValidationError{Reason: "frame is not valid UTF-8", Kind: event.KindEncoding})
	}
	var ev jsEvent
	if err := json.Unmarshal(frame, &ev); err != nil {
		return bad(0, malformed("not a Jetstream event: %v", err))
	}
	if ev.Kind == "heartbeat" { // an answer to a heartbeat message; none is sent
		s.skips["heartbeat"]++
		return 0, true
	}
	if ev.DID == "" || ev.TimeUS <= 0 {
		return bad(max(ev.TimeUS, 0), malformed("a Jetstream event needs did and time_us"))
	}
	t = ev.TimeUS
	key := ev.key()
	if from.replayed(t, key) {
		s.skips["replayed"]++
		return t, true
	}
	pos.advance(t, key)
	skip := func(reason string) (int64, bool) {
		s.skips[reason]++
		s.mu.Lock()
		s.readUS = max(s.readUS, t)
		s.mu.Unlock()
		return t, true
	}
	switch {
	case ev.Kind != "commit":
		return skip(ev.Kind)
	case ev.Commit == nil:
		return bad(t, malformed("a commit event without commit"))
	case ev.Commit.Operation != "create":
		return skip(ev.Commit.Operation)
	case ev.Commit.Collection != DefaultCollection:
		return skip("not_a_post")
	}
	p, reason, err := s.post(&ev, frame)
	switch {
	case err != nil:
		return bad(t, err)
	case reason != "":
		return skip(reason)
	}
	return t, s.emit(ctx, out, ingest.Item{Post: p, Origin: fmt.Sprintf("%s:%s:time_us=%d", Type, s.cfg.Name, t)}, t)
}

// post maps a post's create commit. reason, when set, says why it is
// skipped.
func (s *Source) post(ev *jsEvent, frame []byte) (p event.Post, reason string, err error) {
	c := ev.Commit
	if len(c.Record) == 0 || string(c.Record) == "null" {
		return p, "", malformed("a create commit without record")
	}
	var rec postRecord
	if err := json.Unmarshal(c.Record, &rec); err != nil {
		return p, "", malformed("not an app.bsky.feed.post record: %v", err)
	}
	if rec.Text == nil || strings.TrimSpace(*rec.Text) == "" {
		return p, "no_text", nil
	}
	if !s.wanted(*rec.Text) {
		return p, "no_keyword", nil
	}
	p = event.Post{
		Platform: Platform,
		ID:       ev.DID + ":" + c.RKey,
		Author:   event.Author{ID: ev.DID, Handle: s.cfg.Handles[ev.DID]},
		Text:     *rec.Text,
		URL:      "https://bsky.app/profile/" + ev.DID + "/post/" + c.RKey,
		Links:    links(&rec),
		Raw:      frame,
	}
	if c.RKey == "" {
		p.ID = "" // Validate says so
	}
	if len(rec.Langs) > 0 && len(rec.Langs[0]) <= 16 {
		p.Lang = rec.Langs[0]
	}
	if rec.CreatedAt != "" {
		ct, err := time.Parse(time.RFC3339Nano, rec.CreatedAt)
		if err != nil {
			return p, "", &event.ValidationError{Field: "created_at", Reason: fmt.Sprintf("not an RFC 3339 time: %q", rec.CreatedAt), Kind: event.KindInvalid}
		}
		p.CreatedAt = ct.UTC()
	}
	p.RawSHA256 = event.SHA256Hex(frame)
	if err := p.Validate(s.env.Limits, time.Now()); err != nil {
		return p, "", err
	}
	return p, "", nil
}

// links are the post's link facets and its link card, once each.
func links(rec *postRecord) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, f := range rec.Facets {
		for _, ft := range f.Features {
			if ft.Type == "app.bsky.richtext.facet#link" {
				add(ft.URI)
			}
		}
	}
	for e, depth := rec.Embed, 0; e != nil && depth < 2; e, depth = e.Media, depth+1 {
		if e.External != nil {
			add(e.External.URI)
		}
	}
	return out
}

// wanted applies the keyword pre-filter.
func (s *Source) wanted(text string) bool {
	if len(s.keywords) == 0 {
		return true
	}
	lower := strings.ToLower(text)
	for _, k := range s.keywords {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}

// emit sends an item whose acknowledgement covers every event read up to
// t. It returns false when ctx ended first.
func (s *Source) emit(ctx context.Context, out chan<- ingest.Item, it ingest.Item, t int64) bool {
	s.mu.Lock()
	s.emitted++
	s.readUS = max(s.readUS, t)
	upTo := s.readUS
	s.mu.Unlock()
	it.Ack = func() {
		s.mu.Lock()
		s.acked++
		s.ackedUS = max(s.ackedUS, upTo)
		s.mu.Unlock()
		select {
		case s.ackSig <- struct{}{}:
		default:
		}
	}
	select {
	case out <- it:
		return true
	case <-ctx.Done():
		return false
	}
}

// safe is the time_us up to which every event was handled: the latest
// read when nothing emitted awaits its acknowledgement, else the one the
// acknowledged items cover.
func (s *Source) safe() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acked >= s.emitted {
		return s.readUS
	}
	return s.ackedUS
}

// awaitAcks waits, up to d, until every emitted item is acknowledged.
func (s *Source) awaitAcks(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		s.mu.Lock()
		pending := s.acked < s.emitted
		s.mu.Unlock()
		if !pending {
			return
		}
		select {
		case <-s.ackSig:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Save stores the cursor now, if it moved. The Ingester calls it after
// its final flush, so that a clean stop keeps the position of everything
// acknowledged.
func (s *Source) Save(ctx context.Context) error {
	if s.env.Cursors == nil {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	v := s.safe()
	if v <= s.saved {
		return nil
	}
	if err := s.env.Cursors.Set(ctx, s.cursorKey(), strconv.FormatInt(v, 10)); err != nil {
		return err
	}
	s.saved = v
	return nil
}

// saveEvery saves the cursor every interval, and once more when stopped.
func (s *Source) saveEvery(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	save := func() {
		if err := s.Save(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("save cursor", "key", s.cursorKey(), "err", err)
		}
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				save()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait(); save() }
}
