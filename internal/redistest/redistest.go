// Package redistest connects tests to a real Redis server: the one at
// VIGIL_TEST_REDIS_ADDR (default 127.0.0.1:6379), which scripts/services
// starts. A test that needs Redis fails, never skips, when it is not
// there, and says how to start it.
//
// It lives in the workspace's internal module, which every module of
// github.com/vigilhq/vigil may import (Go's internal rule goes by path) and
// nothing outside it can; only tests import it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultAddr is where the tests look for Redis unless
// VIGIL_TEST_REDIS_ADDR says otherwise.
const DefaultAddr = "127.0.0.1:6379"

// Addr returns the test Redis server's address after checking that it
// answers, and fails the test when it does not.
func Addr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv("VIGIL_TEST_REDIS_ADDR")
	if addr == "" {
		addr = DefaultAddr
	}
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("Redis is not reachable at %s (%v). These tests need a real Redis server: "+
			"run scripts/services (it installs and starts redis-server on 127.0.0.1:6379), "+
			"or point VIGIL_TEST_REDIS_ADDR at one.", addr, err)
	}
	return addr
}

// Client returns a new client of the test Redis server, closed when the
// test ends. Two calls give two clients, as two replicas have.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(tb)})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a key prefix of the test's own, so that tests can run in
// parallel on one server; its keys are deleted when the test ends.
func Prefix(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	p := "vigil:test:" + tb.Name() + ":" + hex.EncodeToString(b) + ":"
	tb.Cleanup(func() { Clean(tb, p) })
	return p
}

// Clean deletes the keys under prefix.
func Clean(tb testing.TB, prefix string) {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(tb)})
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Errorf("clean %s: %v", prefix, err)
		return
	}
	if len(keys) > 0 {
		if err := c.Del(ctx, keys...).Err(); err != nil {
			tb.Errorf("clean %s: %v", prefix, err)
		}
	}
}

// globEscape escapes the characters special in a SCAN MATCH pattern.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}

// Channel returns a channel name of the test's own, so that tests can run
// in parallel on one server.
func Channel(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	return "vigil:test:" + tb.Name() + ":" + hex.EncodeToString(b)
}

// WaitSubscribers waits up to 10 s until channel has n subscribers:
// a notice published before a subscriber is in place never reaches it.
func WaitSubscribers(tb testing.TB, c redis.UniversalClient, channel string, n int64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got int64
	for time.Now().Before(deadline) {
		counts, err := c.PubSubNumSub(context.Background(), channel).Result()
		if err == nil {
			if got = counts[channel]; got == n {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("channel %s: %d subscribers, want %d within 10s", channel, got, n)
}
