package ingest_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/ingesttest"
)

func TestMemoryDeduperContract(t *testing.T) {
	t.Parallel()
	// One instance per test: "another replica" of the embedded mode is
	// the same process.
	var mu sync.Mutex
	stores := map[string]*ingest.MemoryDeduper{}
	ingesttest.DeduperContract(t, func(t *testing.T) (ingest.Deduper, time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		d := stores[t.Name()]
		if d == nil {
			d = ingest.NewMemoryDeduper(300*time.Millisecond, 10_000)
			stores[t.Name()] = d
		}
		return d, d.TTL
	})
}

func TestMemoryDeduperBounded(t *testing.T) {
	ctx := context.Background()
	d := ingest.NewMemoryDeduper(time.Hour, 3)
	d.Mark(ctx, []string{"a", "b", "c"})
	d.Mark(ctx, []string{"b", "d"}) // b again does not count twice; a, the oldest, goes
	got, _ := d.Seen(ctx, []string{"a", "b", "c", "d"})
	if want := []bool{false, true, true, true}; !slices.Equal(got, want) {
		t.Fatalf("Seen = %v, want %v", got, want)
	}
}

func TestFileCursorsContract(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	paths := map[ingest.Cursors]string{}
	openAt := func(t *testing.T, path string) ingest.Cursors {
		c, err := ingest.OpenFileCursors(path)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		paths[c] = path
		return c
	}
	ingesttest.CursorsContract(t,
		func(t *testing.T) ingest.Cursors {
			return openAt(t, filepath.Join(t.TempDir(), "state", "cursors.json"))
		},
		func(t *testing.T, c ingest.Cursors) ingest.Cursors {
			mu.Lock()
			path := paths[c]
			mu.Unlock()
			return openAt(t, path)
		})
}
