package redisnotify_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/classify"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/classify/reload/redisnotify"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/internal/redistest"
)

const lexHead = `name: notice
version: "1"
categories:
  - {id: dehumanisation, label: Dehumanising language, severity: 3}
terms:
  - {id: vermin, term: vermin, category: dehumanisation, lang: en}
`

// replica is one classify replica: its own lexicon file, role, reloader
// and subscription.
type replica struct {
	dir     string
	role    *classify.Role
	mu      sync.Mutex
	notices []redisnotify.Notice
}

func startReplica(t *testing.T, kcfg bus.Config, client redis.UniversalClient, channel string) *replica {
	t.Helper()
	r := &replica{dir: t.TempDir()}
	r.writeLexicon(t, lexHead)
	build := func() (*classify.Classifier, error) {
		l, err := lexicon.Load(os.DirFS(r.dir), "lexicon.yaml")
		if err != nil {
			return nil, err
		}
		return classify.New([]*lexicon.Lexicon{l}, nil, classify.Options{})
	}
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	r.role, err = classify.NewConsumer(c, classify.ConsumerConfig{}, kcfg, bus.NewDeadLetters(kcfg, "classify", reg), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.role.Close() })
	// Files are polled once an hour: only the notice can reload in time.
	rl, err := classify.NewReloader(classify.ReloaderConfig{Build: build, Files: []string{filepath.Join(r.dir, "lexicon.yaml")}, Swap: r.role.Swap, Current: c, Interval: time.Hour}, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); rl.Run(ctx) }()
	go func() {
		defer wg.Done()
		redisnotify.Subscribe(ctx, client, channel, func(n redisnotify.Notice) {
			r.mu.Lock()
			r.notices = append(r.notices, n)
			r.mu.Unlock()
			rl.Reload(classify.TriggerNotice, n.String())
		}, nil)
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return r
}

func (r *replica) writeLexicon(tb testing.TB, body string) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, "lexicon.yaml"), []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func (r *replica) flags(text string) bool {
	return r.role.Classifier().Classify(&event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: text}).Flagged
}

func (r *replica) received() []redisnotify.Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]redisnotify.Notice(nil), r.notices...)
}

func waitFor(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNoticeReachesEveryReplica: one published notice reaches two
// subscribed replicas, and both put the edited lexicon in service.
func TestNoticeReachesEveryReplica(t *testing.T) {
	client := redistest.Client(t)
	channel := redistest.Channel(t)
	kcfg := kafkatest.Cluster(t, 1)
	replicas := []*replica{startReplica(t, kcfg, client, channel), startReplica(t, kcfg, client, channel)}
	redistest.WaitSubscribers(t, client, channel, 2)

	for _, r := range replicas {
		if r.flags("the zorblax are coming") {
			t.Fatal("flagged before the edit")
		}
		r.writeLexicon(t, lexHead+"  - {id: zorblax, term: zorblax, category: dehumanisation, lang: en}\n")
	}
	sent := redisnotify.NewNotice("test: zorblax added")
	n, err := redisnotify.Publish(context.Background(), client, channel, sent)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("the notice reached %d subscribers, want 2", n)
	}
	for i, r := range replicas {
		waitFor(t, 10*time.Second, fmt.Sprintf("replica %d reloads", i), func() bool { return r.flags("the zorblax are coming") })
		got := r.received()
		if len(got) != 1 || got[0] != sent {
			t.Errorf("replica %d received %+v, want exactly %+v", i, got, sent)
		}
	}
	if sent.Host == "" || sent.Time.IsZero() {
		t.Errorf("notice without host or time: %+v", sent)
	}
}

// TestSubscribeTakesAnyMessageAsAReload: `redis-cli publish CHANNEL now`
// is a request to reload too.
func TestSubscribeTakesAnyMessageAsAReload(t *testing.T) {
	client := redistest.Client(t)
	channel := redistest.Channel(t)
	got := make(chan redisnotify.Notice, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- redisnotify.Subscribe(ctx, client, channel, func(n redisnotify.Notice) { got <- n }, nil)
	}()
	redistest.WaitSubscribers(t, client, channel, 1)
	if err := client.Publish(ctx, channel, "now").Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n.Reason != "now" {
			t.Errorf("reason %q, want \"now\"", n.Reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notice")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Subscribe returned %v when its context ended, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe did not return when its context ended")
	}
}

// TestSubscribeAcrossRedisRestarts runs a Redis server of its own, starts
// subscribing before it is up, then kills and restarts it: the subscriber
// subscribes once it is there and again after the restart, and says so in
// its log.
func TestSubscribeAcrossRedisRestarts(t *testing.T) {
	redistest.Addr(t) // the same precondition as every Redis test: scripts/services has run
	srv := newRedisServer(t)
	client := redis.NewClient(&redis.Options{Addr: srv.addr})
	defer client.Close()
	channel := redistest.Channel(t)

	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	got := make(chan redisnotify.Notice, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		redisnotify.Subscribe(ctx, client, channel, func(n redisnotify.Notice) { got <- n }, log)
	}()
	defer func() { cancel(); <-done }()

	publishAndReceive := func(reason string) {
		t.Helper()
		redistest.WaitSubscribers(t, client, channel, 1)
		if _, err := redisnotify.Publish(context.Background(), client, channel, redisnotify.NewNotice(reason)); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n.Reason != reason {
				t.Fatalf("received %q, want %q", n.Reason, reason)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("notice %q not received within 10s; log:\n%s", reason, logs.String())
		}
	}

	time.Sleep(300 * time.Millisecond) // Subscribe is retrying against nothing
	srv.start(t)
	publishAndReceive("after start")
	srv.kill(t)
	srv.start(t)
	publishAndReceive("after restart")
	srv.kill(t)
	srv.start(t)
	publishAndReceive("after second restart")

	for _, want := range []string{"cannot reach Redis", "subscribed", "lost the Redis connection", "resubscribed after a lost connection"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestPublishToUnreachableRedis(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer client.Close()
	_, err := redisnotify.Publish(context.Background(), client, "x", redisnotify.NewNotice("t"))
	if err == nil || !strings.Contains(err.Error(), "publish reload notice on x") {
		t.Fatalf("got %v, want a publish error", err)
	}
}

// redisServer is a redis-server process of the test's own, on a free port.
type redisServer struct {
	addr string
	port int
	cmd  *exec.Cmd
}

func newRedisServer(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed: run scripts/services (as root it installs it with apt-get)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &redisServer{addr: "127.0.0.1:" + strconv.Itoa(port), port: port}
	t.Cleanup(func() {
		if s.cmd != nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	return s
}

func (s *redisServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir())
	var out bytes.Buffer
	s.cmd.Stdout, s.cmd.Stderr = &out, &out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer within 10s:\n%s", s.addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *redisServer) kill(t *testing.T) {
	t.Helper()
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
