// Package ingesttest holds the contracts that every implementation of the
// ingest role's shared state meets (ingest.Deduper, ingest.Cursors): the
// in-memory and file ones of the embedded mode and the Redis ones of the
// pipeline run the same checks, so that a source behaves the same on
// either.
package ingesttest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/ingest"
)

// MaxTTL is the longest TTL DeduperContract waits out.
const MaxTTL = 2 * time.Second

// DeduperContract checks a Deduper. open returns a deduper and the TTL
// after which it forgets a key (at most MaxTTL: the contract waits it
// out; 300ms is good). Called again within the same test, open must return
// a deduper on the same store, as another replica sees it (for Redis: a
// second client, the same prefix; in memory: the same instance); each test
// must get a store of its own. The subtests run in parallel.
func DeduperContract(t *testing.T, open func(t *testing.T) (ingest.Deduper, time.Duration)) {
	t.Helper()
	ctx := context.Background()
	seen := func(t *testing.T, d ingest.Deduper, keys ...string) []bool {
		t.Helper()
		got, err := d.Seen(ctx, keys)
		if err != nil {
			t.Fatalf("Seen(%q): %v", keys, err)
		}
		if len(got) != len(keys) {
			t.Fatalf("Seen(%q) = %v: want one answer per key", keys, got)
		}
		return got
	}
	mark := func(t *testing.T, d ingest.Deduper, keys ...string) {
		t.Helper()
		if err := d.Mark(ctx, keys); err != nil {
			t.Fatalf("Mark(%q): %v", keys, err)
		}
	}
	want := func(t *testing.T, d ingest.Deduper, keys []string, want ...bool) {
		t.Helper()
		if got := seen(t, d, keys...); !slices.Equal(got, want) {
			t.Fatalf("Seen(%q) = %v, want %v", keys, got, want)
		}
	}

	t.Run("marked keys are seen, others not", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t)
		want(t, d, []string{"telegram/1", "telegram/2"}, false, false)
		mark(t, d, "telegram/1", "x/1")
		// A batch mixing both, a key twice, keys that share a start.
		want(t, d, []string{"telegram/2", "telegram/1", "x/1", "x/10", "telegram/1", "x/"}, false, true, true, false, true, false)
	})
	t.Run("empty batches", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t)
		if got, err := d.Seen(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("Seen(nil) = %v, %v", got, err)
		}
		mark(t, d)
	})
	t.Run("marking twice is fine", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t)
		mark(t, d, "mastodon/a")
		mark(t, d, "mastodon/a", "mastodon/b")
		mark(t, d, "mastodon/b", "mastodon/b")
		want(t, d, []string{"mastodon/a", "mastodon/b", "mastodon/c"}, true, true, false)
	})
	t.Run("any key", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t)
		keys := []string{"facebook/100_200", "rss/https://example.org/feed?id=1#x", "telegram/ဗမာ:၁၂", "with space", "*", "[a]", strings.Repeat("long", 100)}
		mark(t, d, keys...)
		want(t, d, append(keys, "telegram/ဗမာ:၁"), true, true, true, true, true, true, true, false)
	})
	t.Run("forgets after the TTL", func(t *testing.T) {
		t.Parallel()
		d, ttl := open(t)
		if ttl <= 0 || ttl > MaxTTL {
			t.Fatalf("TTL %v: give the contract one of at most %v", ttl, MaxTTL)
		}
		mark(t, d, "bluesky/old")
		want(t, d, []string{"bluesky/old"}, true)
		time.Sleep(ttl + ttl/2 + 50*time.Millisecond)
		want(t, d, []string{"bluesky/old"}, false)
		// Forgotten, it can be marked again.
		mark(t, d, "bluesky/old")
		want(t, d, []string{"bluesky/old"}, true)
	})
	t.Run("replicas share the store", func(t *testing.T) {
		t.Parallel()
		a, _ := open(t)
		b, _ := open(t)
		mark(t, a, "x/from-a")
		want(t, b, []string{"x/from-a", "x/from-b"}, true, false)
		mark(t, b, "x/from-b")
		want(t, a, []string{"x/from-a", "x/from-b"}, true, true)
	})
	t.Run("concurrent use", func(t *testing.T) {
		t.Parallel()
		d, _ := open(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				for i := range 20 {
					k := fmt.Sprintf("g%d/%d", g, i)
					if err := d.Mark(ctx, []string{k, "shared"}); err != nil {
						errs <- err
						return
					}
					if got, err := d.Seen(ctx, []string{k}); err != nil || !got[0] {
						errs <- fmt.Errorf("%s: seen %v, %v right after marking", k, got, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var all []string
		for g := range 8 {
			for i := range 20 {
				all = append(all, fmt.Sprintf("g%d/%d", g, i))
			}
		}
		for i, ok := range seen(t, d, append(all, "shared")...) {
			if !ok {
				t.Fatalf("key %d not seen after concurrent marks", i)
			}
		}
	})
}

// CursorsContract checks a Cursors. open returns cursors on a store of the
// test's own; reopen returns new cursors on the same store as c, as a
// restarted process (or another replica) opens it: a new client of the
// same server and prefix, the file read again. c is not used after
// reopen. The subtests run in parallel.
func CursorsContract(t *testing.T, open func(t *testing.T) ingest.Cursors, reopen func(t *testing.T, c ingest.Cursors) ingest.Cursors) {
	t.Helper()
	ctx := context.Background()
	set := func(t *testing.T, c ingest.Cursors, key, value string) {
		t.Helper()
		if err := c.Set(ctx, key, value); err != nil {
			t.Fatalf("Set(%q, %q): %v", key, value, err)
		}
	}
	get := func(t *testing.T, c ingest.Cursors, key, want string, wantOK bool) {
		t.Helper()
		v, ok, err := c.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if v != want || ok != wantOK {
			t.Fatalf("Get(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
		}
	}

	t.Run("missing key", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		get(t, c, "mastodon:m:tag", "", false)
	})
	t.Run("set and get", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		set(t, c, "mastodon:m:tag", "113500000000000001")
		get(t, c, "mastodon:m:tag", "113500000000000001", true)
		get(t, c, "mastodon:m:tags", "", false)
		get(t, c, "mastodon:m:ta", "", false)
	})
	t.Run("overwrite", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		set(t, c, "file:demo", "100")
		set(t, c, "file:demo", "250")
		get(t, c, "file:demo", "250", true)
		set(t, c, "file:demo", "250")
		get(t, c, "file:demo", "250", true)
		set(t, c, "file:demo", "0")
		get(t, c, "file:demo", "0", true)
	})
	t.Run("empty value", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		set(t, c, "rss:r:feed", "")
		get(t, c, "rss:r:feed", "", true)
	})
	t.Run("survives a reopen", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		values := map[string]string{
			"telegram:t:example_channel":                 "4242",
			"twitter:x:query":                            "1850000000000000000",
			"rss:r:https://example.org/feed.xml?lang=my": `{"etag":"\"abc\"","seen":["ဗမာ"]}`,
			"bluesky:b:empty":                            "",
		}
		for k, v := range values {
			set(t, c, k, "stale")
			set(t, c, k, v)
		}
		c = reopen(t, c)
		for k, v := range values {
			get(t, c, k, v, true)
		}
		get(t, c, "never:set", "", false)
		set(t, c, "telegram:t:example_channel", "4343")
		c = reopen(t, c)
		get(t, c, "telegram:t:example_channel", "4343", true)
		get(t, c, "twitter:x:query", "1850000000000000000", true)
	})
	t.Run("concurrent sets", func(t *testing.T) {
		t.Parallel()
		c := open(t)
		const writers, rounds = 8, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for g := range writers {
			wg.Go(func() {
				for i := range rounds {
					if err := c.Set(ctx, "own:"+strconv.Itoa(g), strconv.Itoa(i)); err != nil {
						errs <- err
						return
					}
					if err := c.Set(ctx, "shared", fmt.Sprintf("%d-%d", g, i)); err != nil {
						errs <- err
						return
					}
					if _, _, err := c.Get(ctx, "shared"); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		check := func(c ingest.Cursors) {
			t.Helper()
			for g := range writers {
				get(t, c, "own:"+strconv.Itoa(g), strconv.Itoa(rounds-1), true)
			}
			v, ok, err := c.Get(ctx, "shared")
			var g, i int
			if n, _ := fmt.Sscanf(v, "%d-%d", &g, &i); err != nil || !ok || n != 2 || g >= writers || i >= rounds {
				t.Fatalf("shared = %q, %v, %v: want one of the values written", v, ok, err)
			}
		}
		check(c)
		check(reopen(t, c))
	})
}
