// Package ratelimit keeps a request budget per key (an API token) with the
// generic cell rate algorithm (GCRA): a budget of Requests per Per lets a
// key send Requests at once, then one more every Per/Requests. It is the
// token bucket without a refill timer: all it keeps per key is the
// theoretical arrival time (TAT) of the key's next request, so a key that
// has been quiet for Per costs nothing and can be forgotten.
//
// Memory is the in-process implementation; package redisrate keeps the
// same state in Redis, so that several API replicas share one budget per
// token. Both satisfy the contract in package ratelimittest.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Defaults of Limit, used for every field left zero.
const (
	DefaultRequests = 600
	DefaultPer      = time.Minute
)

// MinInterval is the shortest interval between two requests (Per /
// Requests) that a Limit may set: the Redis implementation counts in
// microseconds.
const MinInterval = time.Microsecond

// ErrInvalidLimit is what Limit.Validate wraps.
var ErrInvalidLimit = errors.New("invalid rate limit")

// Limit is a budget: Requests per Per, for each key. The zero value is
// the default budget (600 a minute); a negative Requests turns limiting
// off.
type Limit struct {
	// Requests is how many requests a key may make in Per, all at once if
	// it likes. 0 means DefaultRequests; a negative value means no limit.
	Requests int `yaml:"requests"`
	// Per is the period of the budget. 0 means DefaultPer.
	Per time.Duration `yaml:"per"`
}

// Disabled reports whether l turns limiting off.
func (l Limit) Disabled() bool { return l.Requests < 0 }

// WithDefaults returns l with every zero field set to its default.
func (l Limit) WithDefaults() Limit {
	if l.Requests == 0 {
		l.Requests = DefaultRequests
	}
	if l.Per == 0 {
		l.Per = DefaultPer
	}
	return l
}

// Validate reports a Limit that cannot be kept: a negative period, or
// requests closer together than MinInterval. A disabled Limit is valid.
func (l Limit) Validate() error {
	if l.Per < 0 {
		return fmt.Errorf("%w: per is negative (%s)", ErrInvalidLimit, l.Per)
	}
	if l.Disabled() {
		return nil
	}
	if d := l.WithDefaults(); d.Interval() < MinInterval {
		return fmt.Errorf("%w: %d requests per %s is more than one a microsecond", ErrInvalidLimit, d.Requests, d.Per)
	}
	return nil
}

// Interval is the time between two requests at the sustained rate, Per /
// Requests (GCRA's emission interval). Call it on a Limit with defaults.
func (l Limit) Interval() time.Duration { return l.Per / time.Duration(l.Requests) }

// String is "600/1m0s", or "off".
func (l Limit) String() string {
	if l.Disabled() {
		return "off"
	}
	d := l.WithDefaults()
	return fmt.Sprintf("%d/%s", d.Requests, d.Per)
}

// DefaultMaxKeys bounds the keys a Memory remembers.
const DefaultMaxKeys = 10000

// MemoryOptions tune a Memory; the zero value is fine.
type MemoryOptions struct {
	// MaxKeys bounds the keys remembered at once. Default DefaultMaxKeys.
	// A key whose budget is full again is forgotten first; when every
	// remembered key is still paying off a burst, the one closest to a
	// full budget is forgotten, which at worst hands it its budget early.
	MaxKeys int
	// Now is the clock; nil means time.Now. For tests.
	Now func() time.Time
}

// Memory is an in-process GCRA limiter: safe for concurrent use, bounded
// in memory, and private to its process (two replicas with a Memory each
// give a token twice the budget).
type Memory struct {
	interval time.Duration
	period   time.Duration
	maxKeys  int
	now      func() time.Time

	mu  sync.Mutex
	tat map[string]time.Time // key → theoretical arrival time
}

// NewMemory returns an in-process limiter of l (zero fields take their
// defaults). It returns an error for an invalid or a disabled Limit.
func NewMemory(l Limit, opts MemoryOptions) (*Memory, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if l.Disabled() {
		return nil, fmt.Errorf("%w: a limiter of a disabled limit", ErrInvalidLimit)
	}
	l = l.WithDefaults()
	m := &Memory{
		interval: l.Interval(),
		period:   l.Per,
		maxKeys:  opts.MaxKeys,
		now:      opts.Now,
		tat:      map[string]time.Time{},
	}
	if m.maxKeys <= 0 {
		m.maxKeys = DefaultMaxKeys
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// Allow spends one request of key's budget. When the budget is spent it
// returns false and how long until the next request would be allowed. It
// never returns an error.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	tat, ok := m.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	next := tat.Add(m.interval)
	// A request is allowed while the TAT it would leave is at most Per
	// ahead of now: a key can be Per (Requests requests) in debt.
	if allowAt := next.Add(-m.period); now.Before(allowAt) {
		return false, allowAt.Sub(now), nil
	}
	if !ok && len(m.tat) >= m.maxKeys {
		m.evict(now)
	}
	m.tat[key] = next
	return true, 0, nil
}

// evict makes room for one key: it forgets every key whose budget is
// full again (TAT not after now), or else the key whose TAT is earliest.
func (m *Memory) evict(now time.Time) {
	var oldest string
	var oldestTAT time.Time
	removed, found := false, false
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
			removed = true
			continue
		}
		if !found || t.Before(oldestTAT) {
			oldest, oldestTAT, found = k, t, true
		}
	}
	if !removed && found {
		delete(m.tat, oldest)
	}
}

// Len returns how many keys m remembers.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}
