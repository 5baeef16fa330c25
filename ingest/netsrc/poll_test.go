package netsrc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

func onceEnv() ingest.Env {
	return ingest.Env{Health: ingest.NewHealth(prometheus.NewRegistry()), Once: true, Log: slog.New(slog.DiscardHandler)}
}

func TestLoopOnceSuccess(t *testing.T) {
	env := onceEnv()
	rounds := 0
	err := Loop(context.Background(), "m", settings(), env, func(context.Context) error { rounds++; return nil })
	if err != nil || rounds != 1 {
		t.Fatalf("Loop: %v after %d rounds, want nil after 1", err, rounds)
	}
	st := report(env.Health, "m")
	if st.LastSuccess.IsZero() || st.Failures != 0 {
		t.Fatalf("health %+v, want a success", st)
	}
}

func TestLoopOnceFailure(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name     string
		err      error
		kind     string
		failures int
	}{
		{"plain error", boom, ingest.KindNetwork, 1},
		{"malformed body", Malformed("https://api.example.org/x?token=SECRET", errors.New("bad JSON")), ingest.KindMalformed, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := onceEnv()
			rounds := 0
			err := Loop(context.Background(), "m", settings(), env, func(context.Context) error { rounds++; return tc.err })
			if !errors.Is(err, tc.err) || rounds != 1 {
				t.Fatalf("Loop: %v after %d rounds, want the round's error after 1", err, rounds)
			}
			st := report(env.Health, "m")
			if st.Failures != tc.failures || st.LastKind != tc.kind || !st.LastSuccess.IsZero() {
				t.Fatalf("health %+v, want %d %s failure", st, tc.failures, tc.kind)
			}
		})
	}
}

// A round failing with the client's error is not counted twice: the
// client recorded each attempt already.
func TestLoopOnceClientErrorCountedOnce(t *testing.T) {
	srv := newServer(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	env := onceEnv()
	s := settings() // Retries: 2
	c := NewClient("m", s, env.Health)
	err := Loop(context.Background(), "m", s, env, func(ctx context.Context) error {
		_, err := c.Get(ctx, srv.URL, nil)
		return err
	})
	if KindOf(err) != ingest.KindServer {
		t.Fatalf("Loop: %v, want the server error", err)
	}
	if st := report(env.Health, "m"); st.Failures != 3 {
		t.Fatalf("health %+v, want 3 failures (the attempts), not 4", st)
	}
}

func TestLoopRegistersSource(t *testing.T) {
	env := onceEnv()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Loop(ctx, "never", settings(), env, func(ctx context.Context) error { return ctx.Err() })
	if err != nil {
		t.Fatalf("Loop with ctx ended: %v, want nil", err)
	}
	if st := env.Health.Report(); len(st) != 1 || st[0].Source != "never" || !st[0].LastSuccess.IsZero() {
		t.Fatalf("report %+v: want the source known, never successful", st)
	}
}

// countRounds runs Loop for d and returns the number of rounds.
func countRounds(t *testing.T, s Settings, d time.Duration, round func(n int) error) (int, ingest.SourceHealth) {
	t.Helper()
	env := onceEnv()
	env.Once = false
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var n atomic.Int64
	err := Loop(ctx, "m", s, env, func(context.Context) error { return round(int(n.Add(1))) })
	if err != nil {
		t.Fatalf("Loop: %v, want nil when ctx ends", err)
	}
	return int(n.Load()), report(env.Health, "m")
}

func TestLoopBacksOffAfterFailures(t *testing.T) {
	t.Parallel()
	s := settings()
	s.Interval = time.Millisecond
	s.Backoff = Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}
	const d = 300 * time.Millisecond

	var ok, failing int
	var okHealth, failHealth ingest.SourceHealth
	var wg sync.WaitGroup
	wg.Go(func() { ok, okHealth = countRounds(t, s, d, func(int) error { return nil }) })
	wg.Go(func() {
		failing, failHealth = countRounds(t, s, d, func(int) error { return errors.New("unreachable") })
	})
	wg.Wait()
	// Waits of at least 10, 20, 40, 80, 100, 100ms: round 7 cannot start
	// before 350ms.
	if failing < 2 || failing > 6 {
		t.Fatalf("%d failing rounds in %v, want 2..6 (backing off from 20ms to 200ms)", failing, d)
	}
	if ok < 30 {
		t.Fatalf("%d successful rounds in %v at a 1ms interval, want many", ok, d)
	}
	// A round the deadline cuts short is not a failure (Loop returns
	// without recording it), so the last round may be missing from the
	// count.
	if failHealth.Failures != failing && failHealth.Failures != failing-1 {
		t.Fatalf("health %+v after %d failing rounds: want every round but a cut-short last one recorded", failHealth, failing)
	}
	if okHealth.Failures != 0 || okHealth.LastSuccess.IsZero() {
		t.Fatalf("health of the successful source: %+v", okHealth)
	}
}

func TestLoopSuccessResetsBackoff(t *testing.T) {
	t.Parallel()
	s := settings()
	s.Interval = time.Millisecond
	s.Backoff = Backoff{Min: 100 * time.Millisecond, Max: 100 * time.Millisecond}
	// One failure (≥ 50ms wait), then successes at the interval.
	n, st := countRounds(t, s, 300*time.Millisecond, func(n int) error {
		if n == 1 {
			return errors.New("once")
		}
		return nil
	})
	if n < 20 || st.Failures != 0 || st.LastSuccess.IsZero() {
		t.Fatalf("%d rounds, health %+v: after a success the interval applies again", n, st)
	}
}

func TestEmitCommitsAfterLastAck(t *testing.T) {
	out := make(chan ingest.Item, 3)
	var committed atomic.Bool
	lastAcked := false
	items := []ingest.Item{{Origin: "1"}, {Origin: "2"}, {Origin: "3", Ack: func() { lastAcked = true }}}
	if !Emit(context.Background(), out, items, func() { committed.Store(true) }) {
		t.Fatal("Emit returned false")
	}
	close(out)
	var got []ingest.Item
	for it := range out {
		got = append(got, it)
	}
	if len(got) != 3 || got[0].Origin != "1" || got[2].Origin != "3" {
		t.Fatalf("emitted %+v", got)
	}
	for i, it := range got[:2] {
		if it.Ack != nil {
			it.Ack()
		}
		if committed.Load() {
			t.Fatalf("committed after item %d's ack, before the last", i)
		}
	}
	got[2].Ack()
	if !committed.Load() || !lastAcked {
		t.Fatalf("after the last ack: committed %v, the item's own ack called %v", committed.Load(), lastAcked)
	}
}

func TestEmitNoItemsCommitsAtOnce(t *testing.T) {
	committed := false
	if !Emit(context.Background(), make(chan ingest.Item), nil, func() { committed = true }) || !committed {
		t.Fatalf("no items: committed %v, want at once", committed)
	}
	if !Emit(context.Background(), make(chan ingest.Item), nil, nil) {
		t.Fatal("no items, no commit: false")
	}
}

func TestEmitContextEnded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan ingest.Item)
	committed := false
	done := make(chan bool)
	go func() {
		done <- Emit(ctx, out, []ingest.Item{{Origin: "1"}, {Origin: "2"}}, func() { committed = true })
	}()
	<-out
	cancel()
	if <-done {
		t.Fatal("Emit returned true with ctx ended before the last item")
	}
	if committed {
		t.Fatal("committed although the items were not all sent")
	}
}

// failingCursors refuses every Set.
type failingCursors struct{}

func (failingCursors) Get(context.Context, string) (string, bool, error) { return "", false, nil }
func (failingCursors) Set(context.Context, string, string) error {
	return errors.New("disk full")
}

func TestSaveCursor(t *testing.T) {
	cursors := &sourcetest.Cursors{}
	env := sourcetest.Env(cursors)
	ctx, cancel := context.WithCancel(context.Background())
	commit := SaveCursor(ctx, env, "mastodon:m:tag", "113500000000000001")
	cancel() // an ack arrives after the round ended: the cursor is saved anyway
	commit()
	if v, ok, _ := cursors.Get(context.Background(), "mastodon:m:tag"); !ok || v != "113500000000000001" {
		t.Fatalf("cursor %q, %v", v, ok)
	}

	// Through Emit: saved only once the last item is acknowledged.
	out := make(chan ingest.Item, 2)
	Emit(context.Background(), out, []ingest.Item{{}, {}}, SaveCursor(context.Background(), env, "k", "2"))
	<-out // the first, not acknowledged yet
	if _, ok, _ := cursors.Get(context.Background(), "k"); ok {
		t.Fatal("cursor saved before the last ack")
	}
	(<-out).Ack()
	if v, _, _ := cursors.Get(context.Background(), "k"); v != "2" {
		t.Fatalf("cursor %q after the last ack, want 2", v)
	}

	// No store: nothing to do. A store that refuses: a warning, no panic.
	SaveCursor(ctx, ingest.Env{}, "k", "v")()
	var log bytes.Buffer
	env = ingest.Env{Cursors: failingCursors{}, Log: slog.New(slog.NewTextHandler(&log, nil))}
	SaveCursor(ctx, env, "x:y", "9")()
	if !strings.Contains(log.String(), "disk full") || !strings.Contains(log.String(), "x:y") {
		t.Fatalf("log %q, want the refusal", log.String())
	}
}
