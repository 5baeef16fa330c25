package leases_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/internal/redistest"
	"github.com/vigilhq/vigil/store/leases"
	"github.com/vigilhq/vigil/store/leases/leasetest"
)

func TestMemory(t *testing.T) {
	leasetest.Run(t, func(*testing.T) event.Leases { return leases.NewMemory() })
}

// TestRedis runs the contract against the real Redis, each subtest under
// a key prefix of its own.
func TestRedis(t *testing.T) {
	leasetest.Run(t, func(t *testing.T) event.Leases {
		return leases.NewRedis(redistest.Client(t), redistest.Prefix(t))
	})
}

// TestRedisKeys: a lease is one key, the prefix and the lease key, holding
// the owner with a millisecond TTL no longer than asked.
func TestRedisKeys(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	l := leases.NewRedis(c, prefix)
	ctx := context.Background()
	if ok, err := l.Acquire(ctx, "flag:7", "reviewer-1a2b3c4d", 1500*time.Millisecond); err != nil || !ok {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	v, err := c.Get(ctx, prefix+"flag:7").Result()
	if err != nil || v != "reviewer-1a2b3c4d" {
		t.Fatalf("GET %sflag:7 = %q, %v", prefix, v, err)
	}
	ttl, err := c.PTTL(ctx, prefix+"flag:7").Result()
	if err != nil || ttl <= time.Second || ttl > 1500*time.Millisecond {
		t.Fatalf("PTTL = %v, %v; want just under 1.5s", ttl, err)
	}
}

// TestRedisUnavailable: a Redis that cannot be reached is an EUNAVAILABLE
// error, not a lease refused.
func TestRedisUnavailable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	l := leases.NewRedis(c, "")
	ctx := context.Background()
	if ok, err := l.Acquire(ctx, "flag:1", "monitor-a", time.Second); ok || event.ErrorCode(err) != event.EUNAVAILABLE {
		t.Errorf("Acquire = %v, %v; want an EUNAVAILABLE error", ok, err)
	}
	if _, _, err := l.Owner(ctx, "flag:1"); event.ErrorCode(err) != event.EUNAVAILABLE {
		t.Errorf("Owner: %v; want an EUNAVAILABLE error", err)
	}
	if err := l.Release(ctx, "flag:1", "monitor-a"); event.ErrorCode(err) != event.EUNAVAILABLE {
		t.Errorf("Release: %v; want an EUNAVAILABLE error", err)
	}
}

// TestMemorySweep: expired leases nobody touches again are swept, so the
// table does not grow with abandoned claims.
func TestMemorySweep(t *testing.T) {
	l := leases.NewMemory()
	ctx := context.Background()
	for i := range 5000 {
		if _, err := l.Acquire(ctx, "flag:"+strconv.Itoa(i), "monitor-a", time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond)
	for i := range 5000 {
		if _, err := l.Acquire(ctx, "other:"+strconv.Itoa(i), "monitor-a", time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if n := l.Len(); n >= 9000 {
		t.Fatalf("%d leases kept, want the expired ones swept", n)
	}
}
