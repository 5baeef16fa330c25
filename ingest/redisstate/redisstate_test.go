package redisstate_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/ingesttest"
	"github.com/vigilhq/vigil/ingest/redisstate"
	"github.com/vigilhq/vigil/internal/redistest"
)

// prefixes gives each test its own prefix, the same to every call within
// the test: a second call is a second replica on the same keys.
type prefixes struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *prefixes) of(t *testing.T) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	if _, ok := p.m[t.Name()]; !ok {
		p.m[t.Name()] = redistest.Prefix(t)
	}
	return p.m[t.Name()]
}

func TestDeduperContract(t *testing.T) {
	t.Parallel()
	var p prefixes
	ingesttest.DeduperContract(t, func(t *testing.T) (ingest.Deduper, time.Duration) {
		const ttl = 300 * time.Millisecond
		return redisstate.NewDeduper(redistest.Client(t), p.of(t), ttl), ttl
	})
}

func TestCursorsContract(t *testing.T) {
	t.Parallel()
	var p prefixes
	open := func(t *testing.T) ingest.Cursors {
		return redisstate.NewCursors(redistest.Client(t), p.of(t))
	}
	ingesttest.CursorsContract(t, open, func(t *testing.T, _ ingest.Cursors) ingest.Cursors { return open(t) })
}

func TestPrefixesIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t)
	p1, p2 := redistest.Prefix(t), redistest.Prefix(t)
	d1, d2 := redisstate.NewDeduper(c, p1, time.Minute), redisstate.NewDeduper(c, p2, time.Minute)
	if err := d1.Mark(ctx, []string{"x/1"}); err != nil {
		t.Fatal(err)
	}
	if got, err := d2.Seen(ctx, []string{"x/1"}); err != nil || got[0] {
		t.Fatalf("another prefix sees %v, %v", got, err)
	}
	c1, c2 := redisstate.NewCursors(c, p1), redisstate.NewCursors(c, p2)
	if err := c1.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c2.Get(ctx, "k"); err != nil || ok {
		t.Fatalf("another prefix gets %q, %v, %v", v, ok, err)
	}
	// The keys are where the prefixes say, and dedup keys and cursors
	// with one prefix do not collide.
	if n, _ := c.Exists(ctx, p1+"x/1", p1+"k").Result(); n != 2 {
		t.Fatalf("%d of the keys %sx/1 and %sk exist, want 2", n, p1, p1)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	d := redisstate.NewDeduper(c, prefix, 90*time.Second)
	if err := d.Mark(ctx, []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, prefix+"a").Val(); ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Fatalf("dedup key TTL %v, want 90s", ttl)
	}
	// Marked again, a key keeps its first expiry (NX).
	c.PExpire(ctx, prefix+"a", 10*time.Second)
	if err := d.Mark(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, prefix+"a").Val(); ttl > 10*time.Second {
		t.Fatalf("TTL %v after a second mark, want the first one kept", ttl)
	}
	if v := c.Get(ctx, prefix+"b").Val(); v != "1" {
		t.Fatalf("dedup value %q, want 1", v)
	}
	cur := redisstate.NewCursors(c, prefix+"cursor:")
	if err := cur.Set(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, prefix+"cursor:k").Val(); ttl != -1 {
		t.Fatalf("cursor TTL %v, want none", ttl)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := redistest.Client(t)
	key := strings.TrimSuffix(redistest.Prefix(t), ":") // unique under the default prefixes
	t.Cleanup(func() {
		c.Del(context.Background(), redisstate.DefaultDedupPrefix+key, redisstate.DefaultCursorPrefix+key)
	})
	if err := redisstate.NewDeduper(c, "", 0).Mark(ctx, []string{key}); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, redisstate.DefaultDedupPrefix+key).Val(); ttl <= redisstate.DefaultTTL-time.Minute || ttl > redisstate.DefaultTTL {
		t.Fatalf("TTL %v under the default prefix, want the default %v", ttl, redisstate.DefaultTTL)
	}
	if err := redisstate.NewCursors(c, "").Set(ctx, key, "7"); err != nil {
		t.Fatal(err)
	}
	if v := c.Get(ctx, redisstate.DefaultCursorPrefix+key).Val(); v != "7" {
		t.Fatalf("cursor under the default prefix: %q", v)
	}
}

func TestRedisDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	ctx := context.Background()
	d := redisstate.NewDeduper(c, "", time.Minute)
	if _, err := d.Seen(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "redis dedup") {
		t.Errorf("Seen: %v", err)
	}
	if err := d.Mark(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "redis dedup") {
		t.Errorf("Mark: %v", err)
	}
	cur := redisstate.NewCursors(c, "")
	if _, _, err := cur.Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "redis cursors") {
		t.Errorf("Get: %v", err)
	}
	if err := cur.Set(ctx, "k", "v"); err == nil {
		t.Error("Set: no error")
	}
}
