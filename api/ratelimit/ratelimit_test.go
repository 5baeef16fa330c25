package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api/ratelimit"
	"github.com/vigilhq/vigil/api/ratelimit/ratelimittest"
)

func TestMemoryContract(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, l ratelimit.Limit) ratelimittest.Limiter {
		m, err := ratelimit.NewMemory(l, ratelimit.MemoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

// clock is a settable clock for the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClockMemory(t *testing.T, l ratelimit.Limit, maxKeys int) (*ratelimit.Memory, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	m, err := ratelimit.NewMemory(l, ratelimit.MemoryOptions{MaxKeys: maxKeys, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return m, c
}

func mustAllow(t *testing.T, m *ratelimit.Memory, key string) (bool, time.Duration) {
	t.Helper()
	ok, retry, err := m.Allow(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok, retry
}

// TestMemoryExactGCRA checks the algorithm to the nanosecond on a fake
// clock: a burst of the budget, then one request per interval, a retry
// that is exactly the wait, and a full budget after a quiet period.
func TestMemoryExactGCRA(t *testing.T) {
	m, c := newClockMemory(t, ratelimit.Limit{Requests: 4, Per: 4 * time.Second}, 0)
	for i := range 4 {
		if ok, _ := mustAllow(t, m, "k"); !ok {
			t.Fatalf("burst request %d denied", i+1)
		}
	}
	if ok, retry := mustAllow(t, m, "k"); ok || retry != time.Second {
		t.Fatalf("after the burst: ok=%v retry=%s, want denied for exactly 1s", ok, retry)
	}
	c.Add(999 * time.Millisecond)
	if ok, retry := mustAllow(t, m, "k"); ok || retry != time.Millisecond {
		t.Fatalf("1ms early: ok=%v retry=%s, want denied for 1ms", ok, retry)
	}
	c.Add(time.Millisecond)
	if ok, _ := mustAllow(t, m, "k"); !ok {
		t.Fatal("after the retry: denied, want allowed")
	}
	// The sustained rate: one a second, never two.
	for range 10 {
		if ok, _ := mustAllow(t, m, "k"); ok {
			t.Fatal("two requests in one interval allowed")
		}
		c.Add(time.Second)
		if ok, _ := mustAllow(t, m, "k"); !ok {
			t.Fatal("a request a second denied")
		}
	}
	// Quiet for the whole period: the whole budget again, and no more.
	c.Add(4 * time.Second)
	for i := range 4 {
		if ok, _ := mustAllow(t, m, "k"); !ok {
			t.Fatalf("after a quiet period, request %d denied", i+1)
		}
	}
	if ok, _ := mustAllow(t, m, "k"); ok {
		t.Fatal("a quiet period saved up more than the budget")
	}
}

// TestMemoryBounded: the limiter never holds more than MaxKeys keys; it
// forgets keys whose budget is full again first, and keeps a key that is
// in debt over one that is nearly clear.
func TestMemoryBounded(t *testing.T) {
	m, c := newClockMemory(t, ratelimit.Limit{Requests: 2, Per: time.Minute}, 100)
	for i := range 1000 {
		mustAllow(t, m, fmt.Sprintf("token:%d", i))
		if n := m.Len(); n > 100 {
			t.Fatalf("%d keys held after %d, want at most 100", n, i+1)
		}
	}
	// Spend "heavy" fully; then add new keys once every older one has
	// cleared: heavy is kept while the cleared ones are forgotten.
	c.Add(2 * time.Minute)
	mustAllow(t, m, "heavy")
	mustAllow(t, m, "heavy")
	for i := range 500 {
		mustAllow(t, m, fmt.Sprintf("new:%d", i))
		c.Add(time.Millisecond)
	}
	if ok, _ := mustAllow(t, m, "heavy"); ok {
		t.Error("a key in debt was forgotten (and so allowed) while cleared keys could go")
	}
	if n := m.Len(); n > 100 {
		t.Errorf("%d keys held, want at most 100", n)
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		l       ratelimit.Limit
		wantErr bool
		str     string
	}{
		{ratelimit.Limit{}, false, "600/1m0s"},
		{ratelimit.Limit{Requests: 10}, false, "10/1m0s"},
		{ratelimit.Limit{Per: time.Second}, false, "600/1s"},
		{ratelimit.Limit{Requests: -1}, false, "off"},
		{ratelimit.Limit{Per: -time.Second}, true, ""},
		{ratelimit.Limit{Requests: 2_000_000, Per: time.Second}, true, ""},
		{ratelimit.Limit{Requests: 1_000_000, Per: time.Second}, false, "1000000/1s"},
	}
	for _, tt := range tests {
		err := tt.l.Validate()
		if (err != nil) != tt.wantErr || (err != nil && !errors.Is(err, ratelimit.ErrInvalidLimit)) {
			t.Errorf("%+v.Validate() = %v, want error %v", tt.l, err, tt.wantErr)
		}
		if err == nil && tt.l.String() != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.l, tt.l.String(), tt.str)
		}
	}
	if _, err := ratelimit.NewMemory(ratelimit.Limit{Requests: -1}, ratelimit.MemoryOptions{}); err == nil {
		t.Error("NewMemory of a disabled limit: no error")
	}
	if _, err := ratelimit.NewMemory(ratelimit.Limit{Per: -1}, ratelimit.MemoryOptions{}); err == nil {
		t.Error("NewMemory of a negative period: no error")
	}
}
