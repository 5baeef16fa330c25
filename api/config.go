// Package api is Vigil's HTTP role: the JSON API under /api/v1/ that
// monitors, advocates and their scripts read, the OpenAPI document that
// describes it, bearer-token authentication with roles, and the
// operational endpoints (/healthz, /readyz, /metrics).
//
// It sits at the end of the flow (sources → ingest → classify → store →
// api) and reads only through event.ReadService, so it never imports the
// store: cmd wires a store's implementation in through Deps.
package api

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/api/ratelimit"
)

// Defaults of Config, used for every field left zero.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultReadTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 30 * time.Second
	DefaultIdleTimeout     = 2 * time.Minute
	DefaultShutdownTimeout = 5 * time.Second
)

// Errors returned by Config.Validate, wrapped with the offending value.
var (
	ErrInvalidAddr    = errors.New("invalid addr")
	ErrInvalidTimeout = errors.New("invalid timeout")
)

// Config configures the HTTP server. The zero value is usable: a field left
// zero takes the default documented on it.
type Config struct {
	// Addr is the host:port the binary listens on. Default 127.0.0.1:8080,
	// so that only this machine can reach the API until an operator
	// decides otherwise. The Server itself serves on whatever listener Run
	// is given; Addr is here so that the address is configured, validated
	// and documented with the rest.
	Addr string `yaml:"addr"`
	// ReadTimeout bounds reading a whole request, headers included.
	// Default 10s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds handling a request and writing its response.
	// Default 30s.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds how long a keep-alive connection waits for its
	// next request. Default 2m.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// ShutdownTimeout bounds the graceful shutdown once Run's context ends:
	// requests still running after it are cut off. Default 5s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// RateLimit is the request budget of each token (each principal: a
	// stored token by its ID, the bootstrap admin as one), the same for
	// every role: Requests per Per, all at once if need be, then one every
	// Per/Requests. Requests 0 means 600 and Per 0 a minute, like every
	// other zero field; a negative Requests turns limiting off. Public
	// routes (probes, metrics, the document) are never limited. The
	// budget is the Server's in-process limiter's unless Deps.RateLimiter
	// is set (a shared one, in Redis), which then keeps its own.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// RegisterFlags registers the config's flags on fs as prefix.addr,
// prefix.read-timeout and so on (just addr, read-timeout, ... when prefix is
// empty), with the defaults as their default values.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	name := func(s string) string {
		if prefix == "" {
			return s
		}
		return prefix + "." + s
	}
	fs.StringVar(&c.Addr, name("addr"), DefaultAddr, "Address (host:port) the HTTP API listens on.")
	fs.DurationVar(&c.ReadTimeout, name("read-timeout"), DefaultReadTimeout, "Longest time to read a request, headers included.")
	fs.DurationVar(&c.WriteTimeout, name("write-timeout"), DefaultWriteTimeout, "Longest time to handle a request and write its response.")
	fs.DurationVar(&c.IdleTimeout, name("idle-timeout"), DefaultIdleTimeout, "Longest time a keep-alive connection waits for its next request.")
	fs.DurationVar(&c.ShutdownTimeout, name("shutdown-timeout"), DefaultShutdownTimeout, "Longest time to let running requests finish on shutdown.")
	fs.IntVar(&c.RateLimit.Requests, name("rate-limit"), ratelimit.DefaultRequests, "Requests each API token may make per rate-limit-per (negative: no limit).")
	fs.DurationVar(&c.RateLimit.Per, name("rate-limit-per"), ratelimit.DefaultPer, "Period of the per-token request budget.")
}

// Validate reports the first invalid field. Zero values are valid: they
// stand for the defaults.
func (c *Config) Validate() error {
	if c.Addr != "" {
		_, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return fmt.Errorf("%w %q: %v", ErrInvalidAddr, c.Addr, err)
		}
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("%w %q: port %q is not a number from 0 to 65535", ErrInvalidAddr, c.Addr, port)
		}
	}
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"read_timeout", c.ReadTimeout},
		{"write_timeout", c.WriteTimeout},
		{"idle_timeout", c.IdleTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
	} {
		if t.d < 0 {
			return fmt.Errorf("%w: %s is negative (%s)", ErrInvalidTimeout, t.name, t.d)
		}
	}
	if err := c.RateLimit.Validate(); err != nil {
		return fmt.Errorf("rate_limit: %w", err)
	}
	return nil
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}
