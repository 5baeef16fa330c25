// Package leases implements event.Leases, the expiring locks the review
// queue hands flags out under: in Redis (NewRedis), which every api
// replica shares, and in process (NewMemory), for the embedded mode where
// one process serves the API. Both behave alike; package leasetest is the
// contract they are tested against.
package leases

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// check refuses arguments that no implementation accepts.
func check(key, owner string, ttl time.Duration, needTTL bool) error {
	switch {
	case key == "":
		return event.Errorf(event.EINVALID, "lease key is empty")
	case owner == "":
		return event.Errorf(event.EINVALID, "lease owner is empty")
	case needTTL && ttl < time.Millisecond:
		return event.Errorf(event.EINVALID, "lease ttl %v is under a millisecond", ttl)
	}
	return nil
}

// unavailable wraps err, a failure to reach the leases, so that it
// carries the code EUNAVAILABLE.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %w", event.Errorf(event.EUNAVAILABLE, "leases: %s failed", op), err)
}

// Memory holds leases in this process: a map under a mutex, each entry
// with its expiry. Expired entries are dropped when next touched and
// swept now and then, so that abandoned leases do not pile up.
type Memory struct {
	mu      sync.Mutex
	m       map[string]memoryLease
	now     func() time.Time
	acquire int // acquisitions since the last sweep
}

type memoryLease struct {
	owner string
	until time.Time
}

var _ event.Leases = (*Memory)(nil)

// sweepEvery is how many acquisitions pass between sweeps of expired
// leases.
const sweepEvery = 4096

// NewMemory returns an empty in-process lease table.
func NewMemory() *Memory {
	return &Memory{m: map[string]memoryLease{}, now: time.Now}
}

// live returns key's lease when one runs; the caller holds mu.
func (l *Memory) live(key string, now time.Time) (memoryLease, bool) {
	e, ok := l.m[key]
	if ok && !now.Before(e.until) {
		delete(l.m, key)
		return memoryLease{}, false
	}
	return e, ok
}

// Acquire implements event.Leases.
func (l *Memory) Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := check(key, owner, ttl, true); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.acquire++; l.acquire >= sweepEvery {
		l.acquire = 0
		for k, e := range l.m {
			if !now.Before(e.until) {
				delete(l.m, k)
			}
		}
	}
	if _, held := l.live(key, now); held {
		return false, nil
	}
	l.m[key] = memoryLease{owner: owner, until: now.Add(ttl)}
	return true, nil
}

// Owner implements event.Leases.
func (l *Memory) Owner(ctx context.Context, key string) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.live(key, l.now())
	return e.owner, ok, nil
}

// Release implements event.Leases.
func (l *Memory) Release(ctx context.Context, key, owner string) error {
	if err := check(key, owner, 0, false); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.live(key, l.now()); ok && e.owner == owner {
		delete(l.m, key)
	}
	return nil
}

// Extend implements event.Leases.
func (l *Memory) Extend(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := check(key, owner, ttl, true); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.live(key, now)
	if !ok || e.owner != owner {
		return false, nil
	}
	l.m[key] = memoryLease{owner: owner, until: now.Add(ttl)}
	return true, nil
}

// Len returns the number of leases held (expired ones not yet swept
// included), for tests and metrics.
func (l *Memory) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
