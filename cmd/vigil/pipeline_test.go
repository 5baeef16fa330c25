package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest/file"
)

// synthPost is a valid post in the import format, from one of 50 accounts.
func synthPost(i int) []byte {
	return fmt.Appendf(nil, `{"platform":"x","id":"p%d","author":{"id":"acct%d","handle":"example_%d"},"text":"synthetic post number %d, vermin %d","created_at":"2026-11-01T08:00:00Z"}`, i, i%50, i%50, i, i%3)
}

// postMessage wraps a post as ingest would, for writing straight to the
// posts topic.
func postMessage(tb testing.TB, line []byte) kafka.Message {
	tb.Helper()
	m, err := encodePostMessage(line, "test")
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// encodePostMessage is postMessage with the error returned, for use off
// the test's goroutine; source names the post's source.
func encodePostMessage(line []byte, source string) (kafka.Message, error) {
	p, err := event.ParsePost(line, event.Limits{})
	if err != nil {
		return kafka.Message{}, err
	}
	p.CapturedAt, p.Source = time.Now().UTC(), source
	body, raw, err := event.EncodePost(&p)
	if err != nil {
		return kafka.Message{}, err
	}
	return bus.Message(p.Key(), body, raw), nil
}

// demoConfigWith returns the demo config with brokers set.
func demoConfigWith(tb testing.TB, brokers []string) *Config {
	tb.Helper()
	cfg, err := loadConfig("", func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Kafka.Brokers = brokers
	return cfg
}

// TestStoreCrashMidStream kills the store role (a real process) with
// SIGKILL in the middle of a stream of 10,000 posts and restarts it: the
// store must end with exactly the 10,000 posts, each once, and account
// aggregates that count each post once.
func TestStoreCrashMidStream(t *testing.T) {
	kcfg := kafkatest.Cluster(t, 4)
	ctx := context.Background()
	if err := bus.EnsureTopics(ctx, kcfg, event.TopicPosts, event.TopicFlags, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	storeDir := filepath.Join(dir, "store")
	os.MkdirAll(storeDir, 0o700)
	db := openStore(t, storeDir) // migrate before the role starts
	MustRunMain(t, demoConfigWith(t, kcfg.Brokers), filepath.Join(dir, "classify"), targetClassify)

	logf, err := os.Create(filepath.Join(dir, "store.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	startStore := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "run", "--target=store",
			"--kafka-brokers", strings.Join(kcfg.Brokers, ","), "--data-dir", storeDir)
		cmd.Env = append(os.Environ(), "VIGIL_TEST_MAIN=1")
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	proc := startStore()
	defer func() { proc.Process.Kill(); proc.Wait() }()

	const total = 10_000
	produced := make(chan error, 1)
	go func() {
		w := bus.NewWriter(kcfg, event.TopicPosts)
		defer w.Close()
		for i := 0; i < total; i += 250 {
			var msgs []kafka.Message
			for j := i; j < i+250; j++ {
				msgs = append(msgs, postMessage(t, synthPost(j)))
			}
			if err := w.Write(ctx, msgs...); err != nil {
				produced <- err
				return
			}
			time.Sleep(40 * time.Millisecond)
		}
		produced <- nil
	}()

	eventually(t, 90*time.Second, "the store role writing", func() (bool, string) {
		n := countPosts(t, db)
		return n >= 1500, fmt.Sprintf("%d posts", n)
	})
	if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	atKill := countPosts(t, db)
	t.Logf("SIGKILL with %d of %d posts stored", atKill, total)
	if atKill >= total {
		t.Fatalf("the stream had ended (%d posts) before the kill: not a mid-stream crash", atKill)
	}
	proc = startStore()
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	eventually(t, 120*time.Second, "all posts stored after the restart", func() (bool, string) {
		n := countPosts(t, db)
		return n >= total, fmt.Sprintf("%d posts", n)
	})
	time.Sleep(time.Second) // anything redelivered late would show now
	if n := countPosts(t, db); n != total {
		t.Fatalf("store holds %d posts, want exactly %d", n, total)
	}
	accs, err := db.ListAccounts(ctx, event.AccountFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, a := range accs {
		sum += a.PostCount
	}
	if len(accs) != 50 || sum != total {
		t.Fatalf("%d accounts with %d posts in all, want 50 and %d: an aggregate counted a post twice", len(accs), sum, total)
	}
	for _, i := range []int{0, 1, 4999, total - 1} {
		if _, err := db.FindPost(ctx, "x", "p"+strconv.Itoa(i)); err != nil {
			t.Errorf("post p%d: %v", i, err)
		}
	}
	// SIGTERM: the role drains and exits cleanly within a bounded time.
	proc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- proc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("store role exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("store role did not stop within 20s of SIGTERM")
	}
}

// TestBadInputGoesToDeadLetters feeds broken JSON, missing fields, invalid
// UTF-8 and oversized text both through the file source and straight into
// the posts topic, and checks each reaches the dead-letter topic with its
// reason and origin while the good posts are all stored.
func TestBadInputGoesToDeadLetters(t *testing.T) {
	dir := t.TempDir()
	var lines [][]byte
	for i := 0; i < 100; i++ {
		lines = append(lines, synthPost(i))
	}
	badLines := map[int]string{ // line number → reason fragment
		101: "malformed JSON",
		102: "author.id: required",
		103: "not valid UTF-8",
		104: "over the limit",
	}
	lines = append(lines,
		[]byte(`{"platform":"x","id":"broken",`),
		[]byte(`{"platform":"x","id":"noauthor","text":"no author here"}`),
		[]byte("{\"platform\":\"x\",\"id\":\"badutf\",\"author\":{\"id\":\"a\"},\"text\":\"\xc3\x28\"}"),
		[]byte(`{"platform":"x","id":"huge","author":{"id":"a"},"text":"`+strings.Repeat("ဝ", 10<<20/3)+`"}`),
	)
	for i := 100; i < 150; i++ {
		lines = append(lines, synthPost(i))
	}
	path := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(path, append(joinLines(lines), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := demoConfigWith(t, nil)
	cfg.Sources = append(cfg.Sources, SourceConfig{Type: "file", Name: "bad", Settings: &file.Config{Name: "bad", Path: path}})
	r := MustRunMain(t, cfg, filepath.Join(dir, "data"), targetAll)

	// Straight into the posts topic, past ingest's checks.
	kcfg := bus.Defaults()
	kcfg.Brokers = r.m.Brokers()
	w := bus.NewWriter(kcfg, event.TopicPosts)
	defer w.Close()
	good := postMessage(t, synthPost(150))
	wrongHash := postMessage(t, synthPost(151))
	wrongHash.Headers[0].Value = append([]byte("tampered "), wrongHash.Headers[0].Value...)
	direct := []kafka.Message{
		{Key: []byte("x:1"), Value: []byte("not json at all")},
		{Key: []byte("x:1"), Value: []byte(`{"schema":99,"body":{}}`)},
		{Key: []byte("x:1"), Value: []byte("{\"schema\":1,\"body\":{\"platform\":\"x\",\"text\":\"\xff\"}}")},
		wrongHash,
		good,
	}
	if err := w.Write(context.Background(), direct...); err != nil {
		t.Fatal(err)
	}

	db := openStore(t, filepath.Join(dir, "data"))
	eventually(t, 60*time.Second, "good posts stored", func() (bool, string) {
		n := countPosts(t, db)
		return n == 200+150+1, fmt.Sprintf("%d posts", n)
	})
	dead := kafkatest.ReadAll(t, kcfg, event.TopicDeadLetter, len(badLines)+4)
	var fromTopic int
	for _, m := range dead {
		reason := bus.Header(m, event.HeaderReason)
		if src := bus.Header(m, event.HeaderSource); src != "" {
			line, _ := strconv.Atoi(src[strings.LastIndex(src, ":")+1:])
			want, ok := badLines[line]
			if !ok || !strings.Contains(reason, want) {
				t.Errorf("dead letter from %s: reason %q, want %q", src, reason, want)
			}
			if line == 104 && bus.Header(m, event.HeaderTruncated) != "true" {
				t.Errorf("the 10 MB line was not marked truncated")
			}
			delete(badLines, line)
			continue
		}
		if bus.Header(m, event.HeaderTopic) != event.TopicPosts || bus.Header(m, event.HeaderOffset) == "" || bus.Header(m, event.HeaderRole) != "classify" {
			t.Errorf("dead letter without its origin: %v", m.Headers)
		}
		fromTopic++
	}
	if len(badLines) > 0 || fromTopic != 4 {
		t.Errorf("missing dead letters: file lines %v, %d of 4 from the topic", badLines, fromTopic)
	}
}

func joinLines(lines [][]byte) []byte {
	var out []byte
	for i, l := range lines {
		if i > 0 {
			out = append(out, '\n')
		}
		out = append(out, l...)
	}
	return out
}
