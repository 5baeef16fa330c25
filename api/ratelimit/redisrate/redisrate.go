// Package redisrate is a rate limiter whose state is in Redis, so that
// every API replica spends from one budget per token. It runs the same
// GCRA as ratelimit.Memory in one Lua script per request, on Redis's own
// clock (TIME), so that the replicas' clocks do not matter. A key's state
// is one string, its theoretical arrival time in microseconds, under
// "vigil:rate:" + key, that expires once the key's budget is full again.
package redisrate

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vigilhq/vigil/api/ratelimit"
)

// DefaultPrefix is put before every key.
const DefaultPrefix = "vigil:rate:"

// DefaultTimeout bounds one Allow: a Redis that is slow to answer must
// not hold up the API (the api lets the request through on an error).
const DefaultTimeout = 250 * time.Millisecond

// gcra is the script. KEYS[1] is the key; ARGV[1] the interval and
// ARGV[2] the period, in microseconds. It returns {1, 0} for an allowed
// request and {0, microseconds to wait} for a denied one.
//
//go:embed gcra.lua
var gcra string

var script = redis.NewScript(gcra)

// Options tune a Limiter; the zero value is fine.
type Options struct {
	// Prefix is put before every key. Default DefaultPrefix.
	Prefix string
	// Timeout bounds one Allow. Default DefaultTimeout.
	Timeout time.Duration
}

// Limiter is a GCRA rate limiter in Redis, safe for concurrent use.
type Limiter struct {
	client   redis.Scripter
	interval int64 // microseconds
	period   int64 // microseconds
	prefix   string
	timeout  time.Duration
}

// New returns a limiter of l (zero fields take their defaults) in the
// Redis that client reaches. It returns an error for an invalid or a
// disabled Limit. It does not contact Redis.
func New(client redis.Scripter, l ratelimit.Limit, opts Options) (*Limiter, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if l.Disabled() {
		return nil, fmt.Errorf("%w: a limiter of a disabled limit", ratelimit.ErrInvalidLimit)
	}
	if client == nil {
		return nil, fmt.Errorf("redisrate: no Redis client")
	}
	l = l.WithDefaults()
	lim := &Limiter{
		client:   client,
		interval: l.Interval().Microseconds(),
		period:   l.Per.Microseconds(),
		prefix:   opts.Prefix,
		timeout:  opts.Timeout,
	}
	if lim.prefix == "" {
		lim.prefix = DefaultPrefix
	}
	if lim.timeout <= 0 {
		lim.timeout = DefaultTimeout
	}
	return lim, nil
}

// Allow spends one request of key's budget. When the budget is spent it
// returns false and how long until the next request would be allowed. An
// error means Redis did not answer in time or answered nonsense.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	res, err := script.Run(ctx, l.client, []string{l.prefix + key}, l.interval, l.period).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("redisrate: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("redisrate: the script returned %v", res)
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// String says what l limits, without a key.
func (l *Limiter) String() string {
	return fmt.Sprintf("redisrate.Limiter{prefix: %q, interval: %dµs, period: %dµs}", l.prefix, l.interval, l.period)
}
