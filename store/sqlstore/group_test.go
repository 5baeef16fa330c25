package sqlstore

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// TestDecisionGroup: decisions arriving while a write runs are written
// together in the next one, each caller gets its own item's outcome, a
// store error reaches every caller of that write and no other, and a
// caller whose context is cancelled does not cancel the others' write.
func TestDecisionGroup(t *testing.T) {
	var g decisionGroup
	first := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var writes [][]int64
	fail := errors.New("store down")
	write := func(ctx context.Context, items []*decisionItem) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ids []int64
		for _, it := range items {
			ids = append(ids, it.req.FlagID)
		}
		mu.Lock()
		writes = append(writes, ids)
		n := len(writes)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release
		}
		if n == 2 {
			return fail
		}
		for _, it := range items {
			if it.req.FlagID%2 == 0 {
				it.err = event.Errorf(event.ECONFLICT, "refused")
			} else {
				it.ok = true
			}
		}
		return nil
	}
	run := func(ctx context.Context, id int64) (*decisionItem, error) {
		it := &decisionItem{req: event.DecisionRequest{FlagID: id}}
		return it, g.commit(ctx, write, it)
	}

	// The first caller leads and blocks in its write.
	type result struct {
		it  *decisionItem
		err error
	}
	results := make(chan result, 10)
	go func() { it, err := run(context.Background(), 1); results <- result{it, err} }()
	<-first
	// Three queue behind it (one of them with a cancelled context); then
	// the first write ends and the second write, taking all three, fails.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, id := range []int64{2, 3, 4} {
		c := context.Background()
		if id == 3 {
			c = ctx
		}
		go func() { it, err := run(c, id); results <- result{it, err} }()
	}
	for {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	got := map[int64]result{}
	for range 4 {
		r := <-results
		got[r.it.req.FlagID] = r
	}
	if r := got[1]; r.err != nil || !r.it.ok {
		t.Errorf("the leader's decision: ok %v, err %v", r.it.ok, r.err)
	}
	for _, id := range []int64{2, 3, 4} {
		if r := got[id]; !errors.Is(r.err, fail) {
			t.Errorf("decision %d in the failed write: err %v, want %v", id, r.err, fail)
		}
	}
	mu.Lock()
	if len(writes) != 2 || len(writes[1]) != 3 {
		t.Fatalf("writes %v: want [1] then the three that queued, together", writes)
	}
	mu.Unlock()

	// Idle again: the next caller leads at once, and a refused decision is
	// its own item's error, not the write's.
	it, err := run(context.Background(), 6)
	if err != nil || it.ok || event.ErrorCode(it.err) != event.ECONFLICT {
		t.Errorf("decision 6: ok %v, item err %v, err %v", it.ok, it.err, err)
	}
	if g.busy || len(g.queue) != 0 {
		t.Errorf("the group is left busy %v with %d queued", g.busy, len(g.queue))
	}
}
