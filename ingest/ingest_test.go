package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/file"
)

func post(i int) string {
	return fmt.Sprintf(`{"platform":"x","id":"%d","author":{"id":"a%d","handle":"example_%d"},"text":"synthetic post %d","created_at":"2026-11-01T08:00:00Z","extra":{"kept":true}}`, i, i%5, i%5, i)
}

func TestFileSourceToKafka(t *testing.T) {
	t.Parallel()
	cfg := kafkatest.Cluster(t, 2)
	ctx := context.Background()
	if err := bus.EnsureTopics(ctx, cfg, event.TopicPosts, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 300; i++ {
		lines = append(lines, post(i))
	}
	bad := map[int]string{ // line number (1-based) → expected reason fragment
		302: "malformed JSON",
		303: "author.id: required",
		304: "not valid UTF-8",
		305: "over the limit",
	}
	lines = append(lines,
		post(0), // a duplicate of line 1
		`{"platform":"x","id":"broken"`,
		`{"platform":"x","id":"9001","text":"no author"}`,
		"{\"platform\":\"x\",\"id\":\"9002\",\"author\":{\"id\":\"a\"},\"text\":\"bad \xff byte\"}",
		`{"platform":"x","id":"9003","author":{"id":"a"},"text":"`+strings.Repeat("z", 10<<20)+`"}`,
		"",
	)
	path := filepath.Join(dir, "posts.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cursors, err := ingest.OpenFileCursors(filepath.Join(dir, "cursors.json"))
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		t.Helper()
		dead := bus.NewDeadLetters(cfg, "ingest", nil)
		defer dead.Close()
		in, err := ingest.New(ingest.Config{}, cfg, dead, ingest.NewMemoryDeduper(time.Hour, 1000), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		src, err := file.New(file.Config{Name: "demo", Path: path}, cursors)
		if err != nil {
			t.Fatal(err)
		}
		if err := in.Run(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	run()
	posts := kafkatest.ReadAll(t, cfg, event.TopicPosts, 300)
	seen := map[string]bool{}
	for _, m := range posts {
		p, err := event.DecodePost(m.Value, bus.HeaderBytes(m, event.HeaderRaw), event.Limits{})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if seen[p.ID] {
			t.Fatalf("post %s written twice", p.ID)
		}
		seen[p.ID] = true
		if string(m.Key) != p.Key() || p.Source != "demo" || p.CapturedAt.IsZero() {
			t.Fatalf("post %s: key %q source %q captured %v", p.ID, m.Key, p.Source, p.CapturedAt)
		}
		if !strings.Contains(string(p.Raw), `"extra":{"kept":true}`) {
			t.Fatalf("raw payload lost unknown fields: %s", p.Raw)
		}
	}
	dead := kafkatest.ReadAll(t, cfg, event.TopicDeadLetter, len(bad))
	for _, m := range dead {
		src := bus.Header(m, event.HeaderSource)
		var line int
		fmt.Sscanf(src[strings.LastIndex(src, ":")+1:], "%d", &line)
		want, ok := bad[line]
		if !ok {
			t.Fatalf("unexpected dead letter from %s: %s", src, bus.Header(m, event.HeaderReason))
		}
		if r := bus.Header(m, event.HeaderReason); !strings.Contains(r, want) {
			t.Errorf("line %d: reason %q, want it to contain %q", line, r, want)
		}
		delete(bad, line)
	}
	// A second run resumes from the cursor: nothing new is written.
	run()
	kafkatest.ReadAll(t, cfg, event.TopicPosts, 300)
	kafkatest.ReadAll(t, cfg, event.TopicDeadLetter, 4)
}
