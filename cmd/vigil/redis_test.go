package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/redistest"
)

// TestRunWithRedis runs the demo pipeline with redis.addr, as a deployment
// of several replicas does (deploy/compose, deploy/k8s): ingest keeps its
// dedup keys in Redis, the review queue's leases are Redis keys that a
// second monitor's claim respects, the api's rate limits are spent there,
// and the process stops cleanly, closing its Redis clients.
func TestRunWithRedis(t *testing.T) {
	addr := redistest.Addr(t)
	prefix := redistest.Prefix(t)
	cfg, err := loadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Redis.Addr = addr
	cfg.Redis.ReloadChannel = redistest.Channel(t)
	cfg.Ingest.DedupPrefix, cfg.Ingest.CursorPrefix = prefix+"dedup:", prefix+"cursor:"
	r := MustRunMain(t, cfg, filepath.Join(t.TempDir(), "data"), targetAll)
	// The leases and rate budgets use their default prefixes, which no
	// other test uses; their keys go when the test ends.
	t.Cleanup(func() { redistest.Clean(t, "vigil:lease:"); redistest.Clean(t, "vigil:rate:") })

	eventually(t, 60*time.Second, "demo flags stored", func() (bool, string) {
		var resp struct {
			Flags []json.RawMessage `json:"flags"`
		}
		apiCall(t, "GET", r.base+"/api/v1/flags?status=pending", testToken, "", &resp)
		return len(resp.Flags) >= 4, strconv.Itoa(len(resp.Flags))
	})
	rc := redistest.Client(t)
	ctx := context.Background()
	count := func(pattern string) int {
		keys, err := rc.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	if n := count(prefix + "dedup:*"); n == 0 {
		t.Error("no ingest dedup key in Redis")
	}

	secret := func(label string) string {
		var created struct {
			Secret string `json:"secret"`
		}
		if code := apiCall(t, "POST", r.base+"/api/v1/tokens", testToken, `{"role":"monitor","label":"`+label+`"}`, &created); code != 201 {
			t.Fatalf("create token: %d", code)
		}
		return created.Secret
	}
	m1, m2 := secret("redis test monitor 1"), secret("redis test monitor 2")
	first, second := claimApart(t, r.base, m1, m2)
	if n := count("vigil:lease:*"); n < len(first)+len(second) {
		t.Errorf("%d lease keys in Redis after claims of %d and %d flags", n, len(first), len(second))
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(first[0], 10)+"/decision", m1, `{"decision":"confirm"}`, nil); code != 200 {
		t.Fatalf("decide: %d", code)
	}
	if n := count("vigil:rate:*"); n == 0 {
		t.Error("no rate-limit key in Redis")
	}
	r.stop(t)
}
