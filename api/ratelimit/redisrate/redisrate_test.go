package redisrate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vigilhq/vigil/api/ratelimit"
	"github.com/vigilhq/vigil/api/ratelimit/ratelimittest"
	"github.com/vigilhq/vigil/api/ratelimit/redisrate"
	"github.com/vigilhq/vigil/internal/redistest"
)

func newLimiter(t *testing.T, c redis.Scripter, prefix string, l ratelimit.Limit) *redisrate.Limiter {
	t.Helper()
	lim, err := redisrate.New(c, l, redisrate.Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return lim
}

// TestContract runs the limiter contract against the real Redis.
func TestContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, l ratelimit.Limit) ratelimittest.Limiter {
		return newLimiter(t, redistest.Client(t), redistest.Prefix(t), l)
	})
}

// TestReplicasShareTheBudget: two limiters on two connections, as two
// API replicas have, spend from one budget per key.
func TestReplicasShareTheBudget(t *testing.T) {
	prefix := redistest.Prefix(t)
	l := ratelimit.Limit{Requests: 10, Per: time.Hour}
	a := newLimiter(t, redistest.Client(t), prefix, l)
	b := newLimiter(t, redistest.Client(t), prefix, l)
	allowed := 0
	for i := range 20 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		ok, _, err := lim.Allow(context.Background(), "token:7")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	if allowed != 10 {
		t.Errorf("two replicas allowed %d requests between them, want the one budget of 10", allowed)
	}
}

// TestKeyLayout: the state of a token is one key under vigil:rate: that
// expires once the budget is full again.
func TestKeyLayout(t *testing.T) {
	c := redistest.Client(t)
	key := "test-layout:" + strings.ReplaceAll(t.Name(), "/", "-") + ":" + time.Now().Format("150405.000000000")
	full := redisrate.DefaultPrefix + key
	t.Cleanup(func() { c.Del(context.Background(), full) })
	lim := newLimiter(t, c, "", ratelimit.Limit{Requests: 4, Per: time.Minute})
	for range 2 {
		if ok, _, err := lim.Allow(context.Background(), key); !ok || err != nil {
			t.Fatalf("Allow: %v %v", ok, err)
		}
	}
	ttl, err := c.PTTL(context.Background(), full).Result()
	if err != nil {
		t.Fatal(err)
	}
	// Two of four spent: the budget is full again in two intervals (30s).
	if ttl <= 29*time.Second || ttl > 30*time.Second {
		t.Errorf("%s expires in %s, want in 30s, when its budget is full again", full, ttl)
	}
}

// TestScriptCacheFlushed: a Redis that lost its script cache (a restart,
// a failover) still runs the script.
func TestScriptCacheFlushed(t *testing.T) {
	c := redistest.Client(t)
	lim := newLimiter(t, c, redistest.Prefix(t), ratelimit.Limit{Requests: 5, Per: time.Minute})
	if ok, _, err := lim.Allow(context.Background(), "k"); !ok || err != nil {
		t.Fatalf("Allow: %v %v", ok, err)
	}
	if err := c.ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := lim.Allow(context.Background(), "k"); !ok || err != nil {
		t.Fatalf("Allow after SCRIPT FLUSH: %v %v", ok, err)
	}
}

// TestRedisDown: a Redis that does not answer is an error, soon (the api
// then lets the request through).
func TestRedisDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	lim, err := redisrate.New(c, ratelimit.Limit{}, redisrate.Options{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ok, _, err := lim.Allow(context.Background(), "k")
	if err == nil || ok {
		t.Fatalf("Allow with Redis down = %v, %v; want an error", ok, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Allow took %s to give up", d)
	}
}

func TestNewRefuses(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { c.Close() })
	for _, l := range []ratelimit.Limit{{Requests: -1}, {Per: -time.Second}, {Requests: 10_000_000, Per: time.Second}} {
		if _, err := redisrate.New(c, l, redisrate.Options{}); err == nil {
			t.Errorf("New(%+v): no error", l)
		}
	}
	if _, err := redisrate.New(nil, ratelimit.Limit{}, redisrate.Options{}); err == nil {
		t.Error("New without a client: no error")
	}
}
