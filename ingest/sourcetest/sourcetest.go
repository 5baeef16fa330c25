// Package sourcetest helps test sources: it runs one as the Ingester
// would (acknowledging every item in order once "written"), keeps cursors
// in memory, and checks that nothing was lost or repeated.
package sourcetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/ingest"
)

// Cursors is an in-memory ingest.Cursors; a new source given the same
// Cursors resumes as after a restart.
type Cursors struct {
	mu sync.Mutex
	m  map[string]string
}

// Get implements ingest.Cursors.
func (c *Cursors) Get(_ context.Context, key string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok, nil
}

// Set implements ingest.Cursors.
func (c *Cursors) Set(_ context.Context, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[key] = value
	return nil
}

// All returns a copy of every cursor.
func (c *Cursors) All() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.m)
}

// Env returns an Env for one round (Once) with cursors and a fresh
// health record.
func Env(cursors *Cursors) ingest.Env {
	return ingest.Env{Cursors: cursors, Health: ingest.NewHealth(prometheus.NewRegistry()), Once: true,
		Getenv: func(string) string { return "" }}
}

// Run runs src until it returns (a source built with env.Once does one
// round) or timeout passes, acknowledging every item as it arrives, and
// returns the items and Run's error.
func Run(t testing.TB, src ingest.Source, timeout time.Duration) ([]ingest.Item, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return Collect(ctx, src, -1)
}

// Collect runs src, acknowledging items in order, until it returns, ctx
// ends, or n items arrived (n < 0: no limit); then it cancels the source
// and waits for it.
func Collect(ctx context.Context, src ingest.Source, n int) ([]ingest.Item, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	var items []ingest.Item
	for {
		select {
		case it := <-out:
			items = append(items, it)
			if it.Ack != nil {
				it.Ack()
			}
			if n >= 0 && len(items) >= n {
				cancel()
				return items, <-done
			}
		case err := <-done:
			return items, err
		}
	}
}

// IDs returns the post IDs of the items that are posts, in order.
func IDs(items []ingest.Item) []string {
	var out []string
	for _, it := range items {
		if it.Err == nil {
			out = append(out, it.Post.ID)
		}
	}
	return out
}

// Errors returns the items that are bad input (for the dead-letter
// topic).
func Errors(items []ingest.Item) []ingest.Item {
	var out []ingest.Item
	for _, it := range items {
		if it.Err != nil {
			out = append(out, it)
		}
	}
	return out
}

// Exactly fails t unless the posts seen over every run, in order, are
// exactly want: none lost, none repeated.
func Exactly(t testing.TB, got []string, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	var dups, lost []string
	for id, n := range seen {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", id, n))
		}
	}
	for _, id := range want {
		if seen[id] == 0 {
			lost = append(lost, id)
		}
	}
	slices.Sort(dups)
	if len(dups) > 0 || len(lost) > 0 || len(got) != len(want) {
		t.Fatalf("posts: got %d %v, want %d %v; repeated %v, lost %v", len(got), got, len(want), want, dups, lost)
	}
}

// Failures returns the health record of source from env.
func Failures(env ingest.Env, source string) ingest.SourceHealth {
	for _, s := range env.Health.Report() {
		if s.Source == source {
			return s
		}
	}
	return ingest.SourceHealth{Source: source}
}

// ErrorCount reads vigil_ingest_errors_total{source, kind} from g (the
// registry the test's Health was made with).
func ErrorCount(t testing.TB, g prometheus.Gatherer, source, kind string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_ingest_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["source"] == source && labels["kind"] == kind {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
