package netsrc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/vigilhq/vigil/ingest"
)

// MaxBody is the largest response body read; a longer one is an error
// (malformed), not a truncated page.
const MaxBody = 64 << 20

// MaxWait caps how long a rate-limit reset is waited for in one go: a
// header promising a reset in a day is waited for this long, then the
// request is tried again.
const MaxWait = 15 * time.Minute

// Error is a fetch that failed, with its kind (the ingest.Kind*
// constants). URL has no query string: queries carry tokens.
type Error struct {
	Kind   string
	Status int // HTTP status, 0 when there was none
	URL    string
	Msg    string
	Err    error

	recorded bool // already counted in the health record
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.URL != "" {
		b.WriteString(" " + e.URL)
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a fetch error: an *Error's own, "" for a
// cancelled context, and network for anything else.
func KindOf(err error) string {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.Canceled):
		return ""
	}
	return ingest.KindNetwork
}

// Malformed returns the error of a body that does not have the
// documented shape.
func Malformed(rawURL string, err error) error {
	return &Error{Kind: ingest.KindMalformed, URL: Redact(rawURL), Err: err}
}

// Redact returns rawURL without its query string and user info, for logs
// and errors.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparseable URL)"
	}
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// ErrBlocked is the error of a connection refused because its address is
// loopback, private or link-local and the source does not allow_private.
var ErrBlocked = errors.New("address is private, loopback or link-local (set allow_private: true to allow it)")

// Response is a response read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// URL is the URL finally fetched (after redirects).
	URL *url.URL
}

// Client sends a source's requests: one at a time or as many as its
// concurrency allows, no faster than its rate limit, pausing while a
// platform's reset header says so, retrying 429s, 5xx and network errors
// with backoff. Safe for concurrent use.
type Client struct {
	source string
	set    Settings
	http   *http.Client
	limit  *rate.Limiter
	slots  chan struct{}
	health *ingest.Health

	// RateLimited, when set, says whether a response that is not a 429
	// is a platform's rate-limit answer anyway (the Graph API answers 400
	// or 403 with error code 4, 17, 32 or 613), and how long to wait.
	RateLimited func(r *Response) (wait time.Duration, limited bool)

	mu    sync.Mutex
	pause time.Time // no request before this (a reset announced)

	sleep   func(ctx context.Context, d time.Duration) error
	now     func() time.Time
	maxBody int // MaxBody; smaller in tests
}

// NewClient returns the client of source, after s.Fill.
func NewClient(source string, s Settings, h *ingest.Health) *Client {
	dialer := &net.Dialer{Timeout: s.Timeout, KeepAlive: 30 * time.Second}
	if !s.AllowPrivate {
		dialer.Control = refusePrivate
	}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   max(2, s.Concurrency),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: s.Timeout,
	}
	per := s.RateLimit.Per / time.Duration(max(1, s.RateLimit.Requests))
	return &Client{
		source: source, set: s, health: h,
		http:    &http.Client{Transport: tr, Timeout: s.Timeout},
		limit:   rate.NewLimiter(rate.Every(per), max(1, s.Concurrency)),
		slots:   make(chan struct{}, max(1, s.Concurrency)),
		sleep:   sleepCtx,
		now:     time.Now,
		maxBody: MaxBody,
	}
}

// HTTP returns the underlying client (for a WebSocket dial): it refuses
// private addresses as Get does, but has no rate limit or retries.
func (c *Client) HTTP() *http.Client { return c.http }

// Settings returns the client's settings.
func (c *Client) Settings() Settings { return c.set }

// refusePrivate is the dialer's check of the address actually dialled,
// after DNS and on every redirect.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || Private(ip) {
		return ErrBlocked
	}
	return nil
}

var extraPrivate = func() []*net.IPNet {
	var out []*net.IPNet
	for _, c := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "64:ff9b::/96"} {
		_, n, _ := net.ParseCIDR(c)
		out = append(out, n)
	}
	return out
}()

// Private reports whether ip is an address a source must not reach
// unless allowed: loopback, private, link-local, unspecified, multicast,
// carrier-grade NAT and benchmarking ranges.
func Private(ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, n := range extraPrivate {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// Get fetches rawURL with the given headers (nil for none), retrying as
// the settings allow. It returns the response of a 2xx or 304; any other
// outcome is an *Error, already recorded in the health record.
func (c *Client) Get(ctx context.Context, rawURL string, hdr http.Header) (*Response, error) {
	var last *Error
	for attempt := 0; attempt <= c.set.Retries; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			return nil, err
		}
		r, err := c.once(ctx, rawURL, hdr)
		if err == nil {
			c.noteRemaining(r.Header)
			return r, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = err
		c.health.Failure(c.source, err.Kind, err)
		err.recorded = true
		var wait time.Duration
		switch err.Kind {
		case ingest.KindRateLimited:
			// A reset already past (our clock ahead of the server's) is
			// no wait at all: back off instead, or the retries would all
			// go at once.
			d, ok := c.resetWait(r)
			if !ok || d <= 0 {
				d = c.backoff(attempt)
			}
			c.pauseFor(d)
			continue // waitTurn sleeps until the pause ends
		case ingest.KindServer, ingest.KindNetwork:
			wait = c.backoff(attempt)
		default: // auth, client, blocked, malformed: trying again won't help
			return nil, err
		}
		if attempt < c.set.Retries {
			if err := c.sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
	}
	return nil, last
}

// once sends one request. On failure it returns the response as well
// when there was one (for its headers).
func (c *Client) once(ctx context.Context, rawURL string, hdr http.Header) (*Response, *Error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &Error{Kind: ingest.KindClient, URL: Redact(rawURL), Err: err}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.set.UserAgent)
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Kind: ingest.KindNetwork, URL: Redact(rawURL), Err: ctx.Err()}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		<-c.slots
		kind := ingest.KindNetwork
		if errors.Is(err, ErrBlocked) {
			kind = ingest.KindBlocked
		}
		return nil, &Error{Kind: kind, URL: Redact(rawURL), Err: unwrapURLError(err)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.maxBody)+1))
	resp.Body.Close()
	<-c.slots
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, URL: resp.Request.URL}
	switch {
	case err != nil:
		return r, &Error{Kind: ingest.KindNetwork, Status: resp.StatusCode, URL: Redact(rawURL), Msg: "reading the body", Err: err}
	case len(body) > c.maxBody:
		return r, &Error{Kind: ingest.KindMalformed, Status: resp.StatusCode, URL: Redact(rawURL), Msg: fmt.Sprintf("body over %d bytes", c.maxBody)}
	}
	if c.RateLimited != nil {
		if d, limited := c.RateLimited(r); limited {
			if d > 0 {
				r.Header = r.Header.Clone()
				r.Header.Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
			}
			return r, &Error{Kind: ingest.KindRateLimited, Status: resp.StatusCode, URL: Redact(rawURL), Msg: snippet(body)}
		}
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300, s == http.StatusNotModified:
		return r, nil
	case s == http.StatusTooManyRequests:
		return r, &Error{Kind: ingest.KindRateLimited, Status: s, URL: Redact(rawURL), Msg: snippet(body)}
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return r, &Error{Kind: ingest.KindAuth, Status: s, URL: Redact(rawURL), Msg: snippet(body)}
	case s >= 500:
		return r, &Error{Kind: ingest.KindServer, Status: s, URL: Redact(rawURL), Msg: snippet(body)}
	default:
		return r, &Error{Kind: ingest.KindClient, Status: s, URL: Redact(rawURL), Msg: snippet(body)}
	}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err // its text repeats the URL, query and all
	}
	return err
}

// snippet is the start of an error body, on one line, for the message.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// waitTurn waits out a pause, the rate limiter, in that order.
func (c *Client) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	d := c.pause.Sub(c.now())
	c.mu.Unlock()
	if d > 0 {
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
	return c.limit.Wait(ctx)
}

func (c *Client) pauseFor(d time.Duration) {
	d = min(max(d, 0), MaxWait)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := c.now().Add(d); until.After(c.pause) {
		c.pause = until
	}
}

// noteRemaining pauses until the reset when a successful response says
// no request is left in the window (x-rate-limit-remaining: 0).
func (c *Client) noteRemaining(h http.Header) {
	rem := firstHeader(h, "X-Rate-Limit-Remaining", "X-RateLimit-Remaining", "RateLimit-Remaining")
	if rem == "" {
		return
	}
	if n, err := strconv.Atoi(strings.TrimSpace(rem)); err != nil || n > 0 {
		return
	}
	if d, ok := ResetAfter(h, c.now()); ok {
		c.pauseFor(d)
	}
}

func (c *Client) resetWait(r *Response) (time.Duration, bool) {
	if r == nil {
		return 0, false
	}
	return ResetAfter(r.Header, c.now())
}

// ResetAfter reads how long to wait from a response's rate-limit
// headers: Retry-After (seconds or an HTTP date), x-rate-limit-reset
// (X/Twitter: Unix seconds), X-RateLimit-Reset (Mastodon: an ISO 8601
// time; elsewhere Unix seconds or seconds from now) and RateLimit-Reset
// (seconds from now).
func ResetAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return time.Duration(n * float64(time.Second)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return t.Sub(now), true
		}
	}
	if v := strings.TrimSpace(firstHeader(h, "X-Rate-Limit-Reset", "X-RateLimit-Reset", "RateLimit-Reset")); v != "" {
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			if n > 1e9 { // a Unix time
				return time.Unix(0, int64(n*1e9)).Sub(now), true
			}
			return time.Duration(n * float64(time.Second)), true
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999Z07:00", "2006-01-02T15:04:05.999999"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.Sub(now), true
			}
		}
	}
	return 0, false
}

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// backoff is the wait before retry number attempt+1: Min doubled attempt
// times, capped at Max, the upper half jittered so that replicas that
// failed together do not come back together.
func (c *Client) backoff(attempt int) time.Duration {
	return Jitter(c.set.Backoff, attempt)
}

// Jitter returns b.Min·2^n capped at b.Max, with its upper half random.
func Jitter(b Backoff, n int) time.Duration {
	d := b.Min
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(d-half+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Transport returns an http.RoundTripper that sends GET requests through
// c.Get (rate limit, pauses, retries, health) and others through the
// guarded client as they are: for a platform library that takes an
// *http.Client (go-twitter). A failed GET's error is the *Error.
func (c *Client) Transport() http.RoundTripper { return transport{c} }

type transport struct{ c *Client }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != "" {
		return t.c.http.Transport.RoundTrip(req)
	}
	r, err := t.c.Get(req.Context(), req.URL.String(), req.Header)
	if err != nil {
		return nil, err
	}
	return &http.Response{
		Status: strconv.Itoa(r.Status) + " " + http.StatusText(r.Status), StatusCode: r.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)), ContentLength: int64(len(r.Body)),
		Request: req,
	}, nil
}
