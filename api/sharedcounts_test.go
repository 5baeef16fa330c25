package api

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

type countingCounter struct {
	reads atomic.Int32
	gate  chan struct{}
	err   error
}

func (c *countingCounter) QueueCounts(ctx context.Context) (event.QueueCounts, error) {
	n := c.reads.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return event.QueueCounts{Pending: int(n)}, c.err
}

// TestSharedCounts: twenty callers at once make one read; within maxAge
// the reading is reused, after it a new one is made; a failure is shared
// like a value; a caller that gives up does not cancel the read for the
// others.
func TestSharedCounts(t *testing.T) {
	inner := &countingCounter{gate: make(chan struct{})}
	c := newSharedCounts(inner, 200*time.Millisecond)
	var wg sync.WaitGroup
	got := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.QueueCounts(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- v.Pending
		}()
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	time.Sleep(20 * time.Millisecond)
	if _, err := c.QueueCounts(cancelled); !errors.Is(err, context.Canceled) {
		t.Errorf("a caller that gave up: %v", err)
	}
	close(inner.gate)
	wg.Wait()
	close(got)
	for v := range got {
		if v != 1 {
			t.Errorf("a caller got reading %d, want the one shared reading", v)
		}
	}
	if n := inner.reads.Load(); n != 1 {
		t.Fatalf("%d reads for 20 callers at once, want 1", n)
	}
	if v, _ := c.QueueCounts(context.Background()); v.Pending != 1 || inner.reads.Load() != 1 {
		t.Errorf("within maxAge: reading %d after %d reads", v.Pending, inner.reads.Load())
	}
	time.Sleep(250 * time.Millisecond)
	inner.err = errors.New("store down")
	if _, err := c.QueueCounts(context.Background()); err == nil || inner.reads.Load() != 2 {
		t.Errorf("after maxAge: err %v after %d reads", err, inner.reads.Load())
	}
	if _, err := c.QueueCounts(context.Background()); err == nil || inner.reads.Load() != 2 {
		t.Errorf("a failure is shared for maxAge: err %v after %d reads", err, inner.reads.Load())
	}
}
