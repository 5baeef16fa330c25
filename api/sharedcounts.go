package api

import (
	"context"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// sharedCounts puts one reading of the backlog in front of every console
// stream and page: the counts are read at most once per maxAge, however
// many monitors have the queue open, and callers arriving while a read
// runs wait for it rather than starting their own. On a large store a
// reading costs a scan of the queue's indexes (QueueCounts), which one
// poll per open console every two seconds would multiply.
type sharedCounts struct {
	next   event.QueueCounter
	maxAge time.Duration

	mu      sync.Mutex
	last    event.QueueCounts
	lastErr error
	readAt  time.Time
	running chan struct{} // closed when the running read ends; nil when none runs
}

func newSharedCounts(next event.QueueCounter, maxAge time.Duration) *sharedCounts {
	return &sharedCounts{next: next, maxAge: maxAge}
}

// QueueCounts implements event.QueueCounter. A failed read is shared too,
// for the same maxAge, so that a store that is down is not asked again by
// every stream at once.
func (c *sharedCounts) QueueCounts(ctx context.Context) (event.QueueCounts, error) {
	for {
		c.mu.Lock()
		if !c.readAt.IsZero() && time.Since(c.readAt) < c.maxAge {
			v, err := c.last, c.lastErr
			c.mu.Unlock()
			return v, err
		}
		if c.running == nil {
			done := make(chan struct{})
			c.running = done
			c.mu.Unlock()
			// The read serves every waiter: a caller that leaves does not
			// cancel it.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			v, err := c.next.QueueCounts(rctx)
			cancel()
			c.mu.Lock()
			c.last, c.lastErr, c.readAt, c.running = v, err, time.Now(), nil
			c.mu.Unlock()
			close(done)
			return v, err
		}
		wait := c.running
		c.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return event.QueueCounts{}, ctx.Err()
		}
	}
}
