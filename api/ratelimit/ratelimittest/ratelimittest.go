// Package ratelimittest is the contract every rate limiter of the api
// keeps (api.RateLimiter): the in-process ratelimit.Memory and the shared
// redisrate.Limiter run the same suite, against the real clock (Redis
// keeps its own).
package ratelimittest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api/ratelimit"
)

// Limiter is the method set of api.RateLimiter.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// NewFunc returns a new limiter of l with no key spent, for one test.
type NewFunc func(t *testing.T, l ratelimit.Limit) Limiter

// Run runs the contract suite on the limiters that newLimiter makes.
func Run(t *testing.T, newLimiter NewFunc) {
	t.Run("BurstThenDenied", func(t *testing.T) { testBurst(t, newLimiter) })
	t.Run("KeysAreIndependent", func(t *testing.T) { testKeys(t, newLimiter) })
	t.Run("RetryAfterIsEnough", func(t *testing.T) { testRefill(t, newLimiter) })
	t.Run("OneRequestBudget", func(t *testing.T) { testOne(t, newLimiter) })
	t.Run("ZeroLimitIsTheDefault", func(t *testing.T) { testDefault(t, newLimiter) })
	t.Run("ConcurrentCallersShareTheBudget", func(t *testing.T) { testConcurrent(t, newLimiter) })
}

// allow calls l.Allow and fails the test on an error.
func allow(t *testing.T, l Limiter, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := l.Allow(context.Background(), key)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	if ok && retry != 0 {
		t.Errorf("Allow(%q) allowed with retryAfter %s, want 0", key, retry)
	}
	return ok, retry
}

// spend makes n requests for key and fails the test unless every one is
// allowed.
func spend(t *testing.T, l Limiter, key string, n int) {
	t.Helper()
	for i := range n {
		if ok, retry := allow(t, l, key); !ok {
			t.Fatalf("request %d of %d for %q denied (retry after %s), want allowed", i+1, n, key, retry)
		}
	}
}

// denied fails the test unless the next request for key is denied with
// a retryAfter in (lo, hi]; it returns the retryAfter.
func denied(t *testing.T, l Limiter, key string, lo, hi time.Duration) time.Duration {
	t.Helper()
	ok, retry := allow(t, l, key)
	if ok {
		t.Fatalf("request for %q allowed, want denied", key)
	}
	if retry <= lo || retry > hi {
		t.Fatalf("request for %q denied with retryAfter %s, want in (%s, %s]", key, retry, lo, hi)
	}
	return retry
}

// testBurst: a key may spend its whole budget at once, then is denied,
// told to wait one interval (less the time already gone), and a denied
// request costs nothing.
func testBurst(t *testing.T, newLimiter NewFunc) {
	l := newLimiter(t, ratelimit.Limit{Requests: 5, Per: time.Minute})
	spend(t, l, "token:1", 5)
	first := denied(t, l, "token:1", 11*time.Second, 12*time.Second)
	for range 20 {
		if again := denied(t, l, "token:1", 11*time.Second, 12*time.Second); again > first {
			t.Fatalf("retryAfter grew from %s to %s: a denied request was charged", first, again)
		}
	}
}

// testKeys: one key's spending leaves every other key's budget alone,
// keys that share a prefix included.
func testKeys(t *testing.T, newLimiter NewFunc) {
	l := newLimiter(t, ratelimit.Limit{Requests: 3, Per: time.Hour})
	spend(t, l, "token:1", 3)
	denied(t, l, "token:1", 0, 20*time.Minute)
	for _, key := range []string{"token:10", "token:", "bootstrap", "token:1 ", "tökén:1", ""} {
		spend(t, l, key, 3)
		denied(t, l, key, 0, 20*time.Minute)
	}
	denied(t, l, "token:1", 0, 20*time.Minute)
}

// testRefill: after waiting the retryAfter it was told, a key gets one
// more request, and no more than one.
func testRefill(t *testing.T, newLimiter NewFunc) {
	l := newLimiter(t, ratelimit.Limit{Requests: 2, Per: 2 * time.Second})
	spend(t, l, "k", 2)
	retry := denied(t, l, "k", 0, time.Second)
	time.Sleep(retry + 20*time.Millisecond)
	spend(t, l, "k", 1)
	denied(t, l, "k", 0, time.Second)
}

// testOne: a budget of one request an hour.
func testOne(t *testing.T, newLimiter NewFunc) {
	l := newLimiter(t, ratelimit.Limit{Requests: 1, Per: time.Hour})
	spend(t, l, "k", 1)
	denied(t, l, "k", 59*time.Minute, time.Hour)
}

// testDefault: the zero Limit is 600 a minute. One request comes back
// every 100ms, so a slow limiter may see a few more allowed than 600:
// no more than the time it took gives back.
func testDefault(t *testing.T, newLimiter NewFunc) {
	l := newLimiter(t, ratelimit.Limit{})
	interval := ratelimit.DefaultPer / ratelimit.DefaultRequests
	start := time.Now()
	spend(t, l, "k", ratelimit.DefaultRequests)
	extra := 0
	for {
		ok, retry := allow(t, l, "k")
		if !ok {
			if retry <= 0 || retry > interval {
				t.Fatalf("denied with retryAfter %s, want in (0, %s]", retry, interval)
			}
			break
		}
		if extra++; extra > 100 {
			t.Fatalf("%d requests allowed, want about %d", ratelimit.DefaultRequests+extra, ratelimit.DefaultRequests)
		}
	}
	if gaveBack := int(time.Since(start)/interval) + 1; extra > gaveBack {
		t.Errorf("%d requests allowed past the budget of %d in %s, want at most %d", extra,
			ratelimit.DefaultRequests, time.Since(start), gaveBack)
	}
}

// testConcurrent: callers racing on one key get exactly the budget
// between them.
func testConcurrent(t *testing.T, newLimiter NewFunc) {
	const budget, callers, each = 50, 10, 20
	l := newLimiter(t, ratelimit.Limit{Requests: budget, Per: time.Hour})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
		errs    []error
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ok, _, err := l.Allow(context.Background(), "shared")
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else if ok {
					allowed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, the first %v", len(errs), errs[0])
	}
	if allowed != budget {
		t.Errorf("%d of %d racing requests allowed, want exactly the budget %d", allowed, callers*each, budget)
	}
	if ok, _ := allow(t, l, "shared"); ok {
		t.Error("a request after the race allowed, want denied")
	}
}
