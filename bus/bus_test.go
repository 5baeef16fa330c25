package bus_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
)

// collect runs a consumer until want messages were handled (or the test
// times out), failing the first attempt of every batch when failFirst is
// set, and returns the values seen in order of handling.
func collect(t *testing.T, cfg bus.Config, group, topic string, want int, failFirst bool) []string {
	t.Helper()
	var (
		mu     sync.Mutex
		seen   []string
		failed = map[int64]bool{}
		done   = make(chan struct{})
	)
	h := func(ctx context.Context, batch []kafka.Message) error {
		mu.Lock()
		defer mu.Unlock()
		first := batch[0].Offset + int64(batch[0].Partition)<<40
		if failFirst && !failed[first] {
			failed[first] = true
			return errors.New("transient failure")
		}
		for _, m := range batch {
			seen = append(seen, string(m.Value))
		}
		if len(seen) >= want {
			select {
			case <-done:
			default:
				close(done)
			}
		}
		return nil
	}
	c, err := bus.NewConsumer(cfg, bus.ConsumerConfig{Role: "test", Group: group, Topic: topic}, h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, c, done, func() string {
		mu.Lock()
		defer mu.Unlock()
		return fmt.Sprintf("timed out with %d of %d messages", len(seen), want)
	})
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), seen...)
}

// runUntil runs c until done is closed (failing the test with timedOut's
// message after 60 s), then stops it and fails the test if Run failed.
// Run commits the batch in hand before it returns.
func runUntil(t *testing.T, c *bus.Consumer, done <-chan struct{}, timedOut func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Error(timedOut())
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("consumer: %v", err)
	}
}

func write(t *testing.T, cfg bus.Config, topic string, from, n int) {
	t.Helper()
	w := bus.NewWriter(cfg, topic)
	defer w.Close()
	var msgs []kafka.Message
	for i := from; i < from+n; i++ {
		msgs = append(msgs, kafka.Message{Key: []byte("x:" + strconv.Itoa(i%7)), Value: []byte(strconv.Itoa(i))})
	}
	if err := w.Write(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

func TestConsumerAtLeastOnceAndResume(t *testing.T) {
	t.Parallel()
	cfg := kafkatest.Cluster(t, 3)
	const topic = "t.resume"
	if err := bus.EnsureTopics(context.Background(), cfg, topic); err != nil {
		t.Fatal(err)
	}
	// Creating again is not an error.
	if err := bus.EnsureTopics(context.Background(), cfg, topic); err != nil {
		t.Fatalf("second EnsureTopics: %v", err)
	}
	write(t, cfg, topic, 0, 1000)
	first := collect(t, cfg, "g", topic, 1000, true)
	if got := distinct(first); got != 1000 {
		t.Fatalf("first run saw %d distinct of 1000 (%d in all)", got, len(first))
	}
	// Per key, order is kept: values of one key increase.
	last := map[int]int{}
	for _, v := range first {
		i, _ := strconv.Atoi(v)
		if p, ok := last[i%7]; ok && p > i {
			t.Fatalf("key %d: %d after %d", i%7, i, p)
		}
		last[i%7] = i
	}
	// A new member of the same group starts after the committed offsets.
	write(t, cfg, topic, 1000, 100)
	second := collect(t, cfg, "g", topic, 100, false)
	for _, v := range second {
		if i, _ := strconv.Atoi(v); i < 1000 {
			t.Fatalf("committed message %d was delivered again", i)
		}
	}
	if got := distinct(second); got != 100 {
		t.Fatalf("second run saw %d distinct of 100", got)
	}
}

func distinct(vs []string) int {
	m := map[string]bool{}
	for _, v := range vs {
		m[v] = true
	}
	return len(m)
}

// deadCounts reads vigil_deadletter_messages_total{role="classify"} by kind.
func deadCounts(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_deadletter_messages_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["role"] == "classify" {
				out[labels["kind"]] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestDeadLettersHeadersAndTruncation(t *testing.T) {
	t.Parallel()
	cfg := kafkatest.Cluster(t, 1)
	ctx := context.Background()
	if err := bus.EnsureTopics(ctx, cfg, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	dl := bus.NewDeadLetters(cfg, "classify", reg)
	defer dl.Close()
	// Every kind is counted from 0 before the first dead letter.
	want0 := map[string]float64{"malformed": 0, "encoding": 0, "too_large": 0, "schema": 0, "invalid": 0}
	if got := deadCounts(t, reg); !maps.Equal(got, want0) {
		t.Errorf("dead letters before any: %v, want %v", got, want0)
	}
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = 'a'
	}
	err := dl.Send(ctx,
		bus.Dead{Message: kafka.Message{Topic: event.TopicPosts, Partition: 2, Offset: 41, Key: []byte("x:1"), Value: []byte("{broken")}, Reason: "invalid post: malformed JSON", Kind: event.KindMalformed},
		bus.Dead{Message: kafka.Message{Value: big}, Source: "file:posts.jsonl:3", Reason: "invalid post: text: too large", Kind: event.KindTooLarge},
	)
	if err != nil {
		t.Fatal(err)
	}
	want1 := map[string]float64{"malformed": 1, "encoding": 0, "too_large": 1, "schema": 0, "invalid": 0}
	if got := deadCounts(t, reg); !maps.Equal(got, want1) {
		t.Errorf("dead letters after two: %v, want %v", got, want1)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: event.TopicDeadLetter, Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var got []kafka.Message
	for len(got) < 2 {
		m, err := r.ReadMessage(rctx)
		if err != nil {
			t.Fatalf("read dead letters: %v", err)
		}
		got = append(got, m)
	}
	want := []map[string]string{
		{event.HeaderReason: "invalid post: malformed JSON", event.HeaderRole: "classify", event.HeaderTopic: event.TopicPosts, event.HeaderPartition: "2", event.HeaderOffset: "41"},
		{event.HeaderSource: "file:posts.jsonl:3", event.HeaderTruncated: "true", event.HeaderOriginalBytes: strconv.Itoa(len(big)), event.HeaderOriginalSHA: event.SHA256Hex(big)},
	}
	for i, w := range want {
		for k, v := range w {
			if h := bus.Header(got[i], k); h != v {
				t.Errorf("message %d header %s = %q, want %q", i, k, h, v)
			}
		}
	}
	if string(got[0].Value) != "{broken" {
		t.Errorf("payload changed: %q", got[0].Value)
	}
	if len(got[1].Value) != bus.MaxMessageBytes {
		t.Errorf("truncated payload is %d bytes, want %d", len(got[1].Value), bus.MaxMessageBytes)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  bus.Config
		want error
	}{
		{"no brokers", bus.Config{}, bus.ErrNoBrokers},
		{"bad partitions", bus.Config{Brokers: []string{"a:1"}, Partitions: -1}, bus.ErrBadPartitions},
		{"ok", bus.Config{Brokers: []string{"127.0.0.1:9092"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
	if err := (&bus.Config{Brokers: []string{"nohost"}}).Validate(); err == nil {
		t.Fatal("a broker without a port was accepted")
	}
}

func ExampleConfig() {
	cfg := bus.Defaults()
	fmt.Println(cfg.Partitions, cfg.SessionTimeout)
	// Output: 4 6s
}
