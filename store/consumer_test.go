package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/internal/pgtest"
	"github.com/vigilhq/vigil/store/sqlstore"
)

func verdictMessage(tb testing.TB, i int, captured time.Time) kafka.Message {
	tb.Helper()
	line := fmt.Appendf(nil, `{"platform":"x","id":"%d","author":{"id":"a%d"},"text":"synthetic %d"}`, i, i%3, i)
	p, err := event.ParsePost(line, event.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	p.CapturedAt = captured
	v := event.Verdict{Post: p, Flagged: i%2 == 0, Score: 3, Categories: []string{"dehumanisation"}, Lexicon: "example@1", ClassifiedAt: time.Now().UTC()}
	if !v.Flagged {
		v.Categories, v.Score = nil, 0
	}
	body, raw, err := event.EncodeVerdict(&v)
	if err != nil {
		tb.Fatal(err)
	}
	return bus.Message(p.Key(), body, raw)
}

// TestConsumerWritesDeadLettersAndIsIdempotent runs the store role against
// a kfake broker: good verdicts are written once however often they are
// delivered; a malformed message and a verdict the store refuses go to the
// dead-letter topic with their reasons, and the rest of the batch is kept.
//
// It runs on each dialect of the store; PostgreSQL is the server at
// VIGIL_TEST_POSTGRES_DSN (pgtest), in a schema of the test's own.
func TestConsumerWritesDeadLettersAndIsIdempotent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config func(*testing.T) sqlstore.Config
	}{
		{"sqlite", func(t *testing.T) sqlstore.Config {
			return sqlstore.Config{Path: filepath.Join(t.TempDir(), "v.db")}
		}},
		{"postgres", func(t *testing.T) sqlstore.Config {
			dsn, _ := pgtest.Schema(t)
			return sqlstore.Config{Postgres: dsn}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testConsumerWritesDeadLettersAndIsIdempotent(t, tc.config(t))
		})
	}
}

func testConsumerWritesDeadLettersAndIsIdempotent(t *testing.T, cfg sqlstore.Config) {
	kcfg := kafkatest.Cluster(t, 2)
	ctx := context.Background()
	if err := bus.EnsureTopics(ctx, kcfg, event.TopicFlags, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	db, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC()
	var msgs []kafka.Message
	for i := 0; i < 20; i++ {
		msgs = append(msgs, verdictMessage(t, i, now))
	}
	msgs = append(msgs,
		kafka.Message{Key: []byte("x:a1"), Value: []byte(`{"schema":1,"body":`)},
		verdictMessage(t, 99, time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)), // year 0: the store refuses it
	)
	msgs = append(msgs, msgs[:20]...) // every good verdict delivered twice
	w := bus.NewWriter(kcfg, event.TopicFlags)
	defer w.Close()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	dead := bus.NewDeadLetters(kcfg, "store", nil)
	defer dead.Close()
	c, err := store.NewConsumer(db, store.ConsumerConfig{}, kcfg, dead, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	defer func() { cancel(); <-done }()

	r := kafka.NewReader(kafka.ReaderConfig{Brokers: kcfg.Brokers, GroupID: "test-dlq", Topic: event.TopicDeadLetter, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	reasons := map[string]bool{}
	dctx, dcancel := context.WithTimeout(ctx, 60*time.Second)
	defer dcancel()
	for len(reasons) < 2 {
		m, err := r.FetchMessage(dctx)
		if err != nil {
			t.Fatalf("dead letters: %v (have %v)", err, reasons)
		}
		if bus.Header(m, event.HeaderTopic) != event.TopicFlags || bus.Header(m, event.HeaderRole) != "store" {
			t.Errorf("dead letter headers: %v", m.Headers)
		}
		reasons[bus.Header(m, event.HeaderReason)] = true
	}
	var sawMalformed, sawRefused bool
	for r := range reasons {
		sawMalformed = sawMalformed || strings.Contains(r, "malformed JSON")
		sawRefused = sawRefused || strings.Contains(r, "outside years 1 to 9999")
	}
	if !sawMalformed || !sawRefused {
		t.Fatalf("dead-letter reasons %v, want a malformed message and a refused verdict", reasons)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := db.CountPosts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d posts stored, want 20", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the redeliveries land
	posts, _ := db.CountPosts(ctx)
	flags, _ := db.CountFlags(ctx)
	accs, _ := db.ListAccounts(ctx, event.AccountFilter{})
	total := 0
	for _, a := range accs {
		total += a.PostCount
	}
	if posts != 20 || flags != 10 || total != 20 {
		t.Fatalf("posts %d flags %d account post counts %d, want 20, 10, 20", posts, flags, total)
	}
}
