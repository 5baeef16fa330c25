// Package netsrc is what every network source shares: the settings every
// one takes (a base URL, a polling interval, a request-rate and
// concurrency limit, backoff), an HTTP client that honours the platforms'
// rate-limit headers, retries with exponential backoff and jitter, refuses
// private addresses unless allowed, and records each failure by kind in
// the ingest health; and the polling loop.
package netsrc

import (
	"fmt"
	"net/url"
	"time"
)

// Settings are the settings common to every network source, inlined in
// each source's config (`sources: [{type: mastodon, name: ..., base_url:
// ..., interval: 1m, rate_limit: {requests: 300, per: 5m}}]`). A zero
// field takes the source's default (Fill).
type Settings struct {
	// BaseURL is the API's root: an instance (Mastodon), a compatible
	// API, or a test server.
	BaseURL string `yaml:"base_url"`
	// Interval is the time between two polling rounds.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one request.
	Timeout time.Duration `yaml:"timeout"`
	// RateLimit caps the requests sent, whatever the platform says.
	RateLimit RateLimit `yaml:"rate_limit"`
	// Concurrency is how many requests may be in flight at once.
	Concurrency int `yaml:"concurrency"`
	// Retries is how many times a failed request (a 429, a 5xx, a
	// network error) is tried again within a round.
	Retries int `yaml:"retries"`
	// Backoff bounds the wait before a retry, and between rounds that
	// fail: it doubles from Min up to Max, with jitter.
	Backoff Backoff `yaml:"backoff"`
	// AllowPrivate lets the source reach loopback, private and link-local
	// addresses (a self-hosted instance on the LAN, tests); off, such an
	// address is refused, whatever the DNS answer or a redirect says.
	AllowPrivate bool `yaml:"allow_private"`
	// UserAgent is sent with every request.
	UserAgent string `yaml:"user_agent"`
}

// RateLimit is Requests per Per: 300 per 5m is Mastodon's default limit.
type RateLimit struct {
	Requests int           `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
}

// Backoff is the range of waits after a failure.
type Backoff struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// DefaultUserAgent identifies Vigil to the platforms.
const DefaultUserAgent = "Vigil/1 (+https://github.com/vigilhq/vigil; public-interest monitoring)"

// Defaults are the settings a source takes when it says nothing else.
func Defaults() Settings {
	return Settings{
		Interval:    time.Minute,
		Timeout:     30 * time.Second,
		RateLimit:   RateLimit{Requests: 60, Per: time.Minute},
		Concurrency: 1,
		Retries:     4,
		Backoff:     Backoff{Min: time.Second, Max: 5 * time.Minute},
		UserAgent:   DefaultUserAgent,
	}
}

// Fill sets every zero field of s from d.
func (s *Settings) Fill(d Settings) {
	if s.BaseURL == "" {
		s.BaseURL = d.BaseURL
	}
	if s.Interval <= 0 {
		s.Interval = d.Interval
	}
	if s.Timeout <= 0 {
		s.Timeout = d.Timeout
	}
	if s.RateLimit.Requests <= 0 || s.RateLimit.Per <= 0 {
		s.RateLimit = d.RateLimit
	}
	if s.Concurrency <= 0 {
		s.Concurrency = d.Concurrency
	}
	if s.Retries <= 0 {
		s.Retries = d.Retries
	}
	if s.Backoff.Min <= 0 {
		s.Backoff.Min = d.Backoff.Min
	}
	if s.Backoff.Max <= 0 {
		s.Backoff.Max = d.Backoff.Max
	}
	if s.UserAgent == "" {
		s.UserAgent = d.UserAgent
	}
}

// Validate checks the settings of the source named name, after Fill.
func (s *Settings) Validate(kind, name string) error {
	u, err := url.Parse(s.BaseURL)
	switch {
	case s.BaseURL == "":
		return fmt.Errorf("%s source %s: base_url is required", kind, name)
	case err != nil:
		return fmt.Errorf("%s source %s: base_url %q: %v", kind, name, s.BaseURL, err)
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("%s source %s: base_url %q: want an http(s) or ws(s) URL", kind, name, s.BaseURL)
	case u.Host == "":
		return fmt.Errorf("%s source %s: base_url %q: no host", kind, name, s.BaseURL)
	case s.Backoff.Min > s.Backoff.Max:
		return fmt.Errorf("%s source %s: backoff.min %v is above backoff.max %v", kind, name, s.Backoff.Min, s.Backoff.Max)
	}
	return nil
}
