package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// MemoryDeduper is the in-process Deduper of the embedded mode: a set of
// keys that forgets each one after TTL, bounded to Max keys (the oldest go
// first).
type MemoryDeduper struct {
	TTL time.Duration
	Max int

	mu    sync.Mutex
	seen  map[string]time.Time
	order []string
}

// NewMemoryDeduper returns a deduper remembering up to max keys for ttl.
func NewMemoryDeduper(ttl time.Duration, max int) *MemoryDeduper {
	return &MemoryDeduper{TTL: ttl, Max: max, seen: map[string]time.Time{}}
}

// Seen implements Deduper.
func (d *MemoryDeduper) Seen(_ context.Context, keys []string) ([]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	out := make([]bool, len(keys))
	for i, k := range keys {
		t, ok := d.seen[k]
		out[i] = ok && now.Sub(t) < d.TTL
	}
	return out, nil
}

// Mark implements Deduper.
func (d *MemoryDeduper) Mark(_ context.Context, keys []string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	for _, k := range keys {
		if _, ok := d.seen[k]; !ok {
			d.order = append(d.order, k)
		}
		d.seen[k] = now
	}
	for len(d.order) > d.Max {
		delete(d.seen, d.order[0])
		d.order = d.order[1:]
	}
	return nil
}

// FileCursors keeps cursors in one JSON file, replaced atomically on every
// Set: the embedded mode's cursor store.
type FileCursors struct {
	path string
	mu   sync.Mutex
	m    map[string]string
}

// OpenFileCursors loads (or starts) the cursor file at path.
func OpenFileCursors(path string) (*FileCursors, error) {
	c := &FileCursors{path: path, m: map[string]string{}}
	b, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("read cursors: %w", err)
	}
	if err := json.Unmarshal(b, &c.m); err != nil {
		return nil, fmt.Errorf("read cursors %s: %w", path, err)
	}
	return c, nil
}

// Get implements Cursors.
func (c *FileCursors) Get(_ context.Context, key string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok, nil
}

// Set implements Cursors.
func (c *FileCursors) Set(_ context.Context, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok && v == value {
		return nil
	}
	c.m[key] = value
	b, err := json.MarshalIndent(c.m, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.path + ".tmp"
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return fmt.Errorf("write cursors: %w", err)
	}
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write cursors: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("write cursors: %w", err)
	}
	return nil
}
