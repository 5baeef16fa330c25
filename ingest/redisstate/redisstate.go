// Package redisstate keeps the ingest role's shared state in Redis: the
// deduplication set (ingest.Deduper) and the sources' cursors
// (ingest.Cursors), so that every ingest replica, and a replica after a
// restart, sees the same. Both take a redis.UniversalClient (a single
// server, Sentinel or Cluster); every command names one key, so they work
// on a cluster as on one server.
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/ingest"
)

// Default key prefixes.
const (
	DefaultDedupPrefix  = "vigil:dedup:"
	DefaultCursorPrefix = "vigil:cursor:"
)

// DefaultTTL is how long a post is remembered when no TTL is given.
const DefaultTTL = 72 * time.Hour

// Deduper is an ingest.Deduper in Redis: one key per post (prefix +
// key), set with the TTL, so that the set forgets by itself. A batch is one
// round trip.
type Deduper struct {
	c      redis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ ingest.Deduper = (*Deduper)(nil)

// NewDeduper returns a deduper keeping its keys under prefix
// (DefaultDedupPrefix when empty) for ttl (DefaultTTL when not positive;
// at least a millisecond).
func NewDeduper(c redis.UniversalClient, prefix string, ttl time.Duration) *Deduper {
	if prefix == "" {
		prefix = DefaultDedupPrefix
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Deduper{c: c, prefix: prefix, ttl: max(ttl, time.Millisecond)}
}

// Seen implements ingest.Deduper: one EXISTS per key, pipelined.
func (d *Deduper) Seen(ctx context.Context, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	cmds := make([]*redis.IntCmd, len(keys))
	_, err := d.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Exists(ctx, d.prefix+k)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis dedup: seen: %w", err)
	}
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}

// Mark implements ingest.Deduper: SET key 1 NX PX ttl per key, pipelined.
// A key marked already keeps its first expiry.
func (d *Deduper) Mark(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ms := d.ttl.Milliseconds()
	cmds := make([]*redis.Cmd, len(keys))
	_, err := d.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Do(ctx, "set", d.prefix+k, "1", "nx", "px", ms)
		}
		return nil
	})
	// NX on a key already there answers nil: not a failure.
	for _, c := range cmds {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("redis dedup: mark: %w", err)
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redis dedup: mark: %w", err)
	}
	return nil
}

// Cursors is an ingest.Cursors in Redis: one key per cursor (prefix +
// key), no expiry.
type Cursors struct {
	c      redis.UniversalClient
	prefix string
}

var _ ingest.Cursors = (*Cursors)(nil)

// NewCursors returns cursors kept under prefix (DefaultCursorPrefix when
// empty).
func NewCursors(c redis.UniversalClient, prefix string) *Cursors {
	if prefix == "" {
		prefix = DefaultCursorPrefix
	}
	return &Cursors{c: c, prefix: prefix}
}

// Get implements ingest.Cursors.
func (c *Cursors) Get(ctx context.Context, key string) (string, bool, error) {
	v, err := c.c.Get(ctx, c.prefix+key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("redis cursors: get %s: %w", key, err)
	}
	return v, true, nil
}

// Set implements ingest.Cursors.
func (c *Cursors) Set(ctx context.Context, key, value string) error {
	if err := c.c.Set(ctx, c.prefix+key, value, 0).Err(); err != nil {
		return fmt.Errorf("redis cursors: set %s: %w", key, err)
	}
	return nil
}
