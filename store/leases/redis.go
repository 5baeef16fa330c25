package leases

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/event"
)

// DefaultPrefix is the prefix of the lease keys in Redis.
const DefaultPrefix = "vigil:lease:"

// Redis holds leases in Redis, one string key per lease whose value is
// the owner and whose TTL is the lease's: SET key owner NX PX ttl takes a
// lease, and Redis drops it when it expires. Releasing and extending
// compare the owner and act in one Lua script, so that an owner whose
// lease lapsed and was taken by another never touches the new one.
//
// Expiry is Redis's clock; the review queue's mirror of a lease's end in
// the SQL store is computed on the api host before the lease is taken, so
// it never runs past the Redis key (hosts' clocks are assumed to agree
// within the TTL's slack).
type Redis struct {
	c      redis.UniversalClient
	prefix string
}

var _ event.Leases = (*Redis)(nil)

// NewRedis returns leases kept by c under prefix ("" for DefaultPrefix).
// The caller owns c and closes it.
func NewRedis(c redis.UniversalClient, prefix string) *Redis {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Redis{c: c, prefix: prefix}
}

// releaseScript deletes KEYS[1] if it holds ARGV[1] (the owner).
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// extendScript sets the TTL of KEYS[1] to ARGV[2] milliseconds if it holds
// ARGV[1] (the owner).
var extendScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

func millis(ttl time.Duration) string { return strconv.FormatInt(ttl.Milliseconds(), 10) }

// Acquire implements event.Leases.
func (l *Redis) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := check(key, owner, ttl, true); err != nil {
		return false, err
	}
	err := l.c.Do(ctx, "SET", l.prefix+key, owner, "NX", "PX", millis(ttl)).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil): // NX: the key is held
		return false, nil
	}
	return false, unavailable("acquire", err)
}

// Owner implements event.Leases.
func (l *Redis) Owner(ctx context.Context, key string) (string, bool, error) {
	owner, err := l.c.Get(ctx, l.prefix+key).Result()
	switch {
	case err == nil:
		return owner, true, nil
	case errors.Is(err, redis.Nil):
		return "", false, nil
	}
	return "", false, unavailable("owner", err)
}

// Release implements event.Leases.
func (l *Redis) Release(ctx context.Context, key, owner string) error {
	if err := check(key, owner, 0, false); err != nil {
		return err
	}
	if err := releaseScript.Run(ctx, l.c, []string{l.prefix + key}, owner).Err(); err != nil {
		return unavailable("release", err)
	}
	return nil
}

// Extend implements event.Leases.
func (l *Redis) Extend(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := check(key, owner, ttl, true); err != nil {
		return false, err
	}
	n, err := extendScript.Run(ctx, l.c, []string{l.prefix + key}, owner, millis(ttl)).Int()
	if err != nil {
		return false, unavailable("extend", err)
	}
	return n == 1, nil
}
