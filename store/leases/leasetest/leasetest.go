// Package leasetest is the contract of event.Leases: one suite that every
// implementation (Redis, in process) passes.
package leasetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Run runs the contract against the leases newLeases returns: a fresh,
// empty set of leases for each subtest.
func Run(t *testing.T, newLeases func(t *testing.T) event.Leases) {
	ctx := context.Background()
	const long = time.Minute

	t.Run("AcquireDisjoint", func(t *testing.T) {
		l := newLeases(t)
		mustAcquire(t, l, "flag:1", "monitor-a", long, true)
		mustAcquire(t, l, "flag:2", "monitor-b", long, true)
		mustAcquire(t, l, "flag:1", "monitor-b", long, false)
		// Not re-entrant: the owner itself does not take a held key again.
		mustAcquire(t, l, "flag:1", "monitor-a", long, false)
		mustOwner(t, l, "flag:1", "monitor-a")
		mustOwner(t, l, "flag:2", "monitor-b")
		mustOwner(t, l, "flag:3", "")
	})

	t.Run("Expiry", func(t *testing.T) {
		l := newLeases(t)
		mustAcquire(t, l, "flag:1", "monitor-a", 150*time.Millisecond, true)
		mustAcquire(t, l, "flag:2", "monitor-a", long, true)
		mustAcquire(t, l, "flag:1", "monitor-b", long, false)
		time.Sleep(400 * time.Millisecond)
		mustOwner(t, l, "flag:1", "")
		mustOwner(t, l, "flag:2", "monitor-a")
		mustAcquire(t, l, "flag:1", "monitor-b", long, true)
		mustOwner(t, l, "flag:1", "monitor-b")
		// The first owner's release after the lapse leaves the new
		// owner's lease alone, and so does its extend.
		if err := l.Release(ctx, "flag:1", "monitor-a"); err != nil {
			t.Fatal(err)
		}
		if ok, err := l.Extend(ctx, "flag:1", "monitor-a", long); err != nil || ok {
			t.Fatalf("Extend by the lapsed owner = %v, %v; want false", ok, err)
		}
		mustOwner(t, l, "flag:1", "monitor-b")
	})

	t.Run("ReleaseOnlyByOwner", func(t *testing.T) {
		l := newLeases(t)
		mustAcquire(t, l, "flag:1", "monitor-a", long, true)
		if err := l.Release(ctx, "flag:1", "monitor-b"); err != nil {
			t.Fatal(err)
		}
		mustOwner(t, l, "flag:1", "monitor-a")
		if err := l.Release(ctx, "flag:1", "monitor-a"); err != nil {
			t.Fatal(err)
		}
		mustOwner(t, l, "flag:1", "")
		// Releasing a free key is not an error.
		if err := l.Release(ctx, "flag:1", "monitor-a"); err != nil {
			t.Fatal(err)
		}
		mustAcquire(t, l, "flag:1", "monitor-b", long, true)
	})

	t.Run("Extend", func(t *testing.T) {
		l := newLeases(t)
		mustAcquire(t, l, "flag:1", "monitor-a", 200*time.Millisecond, true)
		if ok, err := l.Extend(ctx, "flag:1", "monitor-b", long); err != nil || ok {
			t.Fatalf("Extend by another = %v, %v; want false", ok, err)
		}
		if ok, err := l.Extend(ctx, "flag:1", "monitor-a", long); err != nil || !ok {
			t.Fatalf("Extend by the owner = %v, %v; want true", ok, err)
		}
		if ok, err := l.Extend(ctx, "flag:9", "monitor-a", long); err != nil || ok {
			t.Fatalf("Extend of a free key = %v, %v; want false", ok, err)
		}
		time.Sleep(400 * time.Millisecond)
		mustOwner(t, l, "flag:1", "monitor-a")
	})

	t.Run("InvalidArguments", func(t *testing.T) {
		l := newLeases(t)
		for _, c := range []struct {
			key, owner string
			ttl        time.Duration
		}{{"", "monitor-a", long}, {"flag:1", "", long}, {"flag:1", "monitor-a", 0}, {"flag:1", "monitor-a", -time.Second}} {
			if _, err := l.Acquire(ctx, c.key, c.owner, c.ttl); event.ErrorCode(err) != event.EINVALID {
				t.Errorf("Acquire(%q, %q, %v): %v, want an EINVALID error", c.key, c.owner, c.ttl, err)
			}
		}
		mustOwner(t, l, "flag:1", "")
	})

	// Twenty goroutines race for each of several keys: exactly one wins
	// each, and it is the owner afterwards.
	t.Run("ConcurrentAcquire", func(t *testing.T) {
		l := newLeases(t)
		const racers, keys = 20, 25
		for k := range keys {
			key := fmt.Sprintf("flag:%d", k)
			var wins atomic.Int32
			var winner atomic.Value
			var wg sync.WaitGroup
			start := make(chan struct{})
			for r := range racers {
				owner := fmt.Sprintf("monitor-%d", r)
				wg.Go(func() {
					<-start
					ok, err := l.Acquire(ctx, key, owner, long)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						wins.Add(1)
						winner.Store(owner)
					}
				})
			}
			close(start)
			wg.Wait()
			if n := wins.Load(); n != 1 {
				t.Fatalf("%s: %d of %d racers acquired it, want exactly 1", key, n, racers)
			}
			mustOwner(t, l, key, winner.Load().(string))
		}
	})
}

func mustAcquire(t *testing.T, l event.Leases, key, owner string, ttl time.Duration, want bool) {
	t.Helper()
	ok, err := l.Acquire(context.Background(), key, owner, ttl)
	if err != nil {
		t.Fatalf("Acquire(%q, %q): %v", key, owner, err)
	}
	if ok != want {
		t.Fatalf("Acquire(%q, %q) = %v, want %v", key, owner, ok, want)
	}
}

// mustOwner checks key's owner; "" means no one holds it.
func mustOwner(t *testing.T, l event.Leases, key, want string) {
	t.Helper()
	owner, ok, err := l.Owner(context.Background(), key)
	if err != nil {
		t.Fatalf("Owner(%q): %v", key, err)
	}
	if ok != (want != "") || owner != want {
		t.Fatalf("Owner(%q) = %q, %v; want %q", key, owner, ok, want)
	}
}
