package bus_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/vigilhq/vigil/bus"
)

// embedded starts the embedded broker (as `vigil run` does) with one
// topic of the given partitions, and stops it when the test ends.
func embedded(t *testing.T, topic string, partitions int) (bus.Config, *bus.Embedded) {
	t.Helper()
	emb, err := bus.StartEmbedded("", 0, partitions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	cfg := bus.Defaults()
	cfg.Brokers = emb.Brokers()
	cfg.Partitions = partitions
	if err := bus.EnsureTopics(context.Background(), cfg, topic); err != nil {
		t.Fatal(err)
	}
	return cfg, emb
}

// produce writes counts[p] messages to partition p of topic.
func produce(t *testing.T, cfg bus.Config, topic string, counts ...int) {
	t.Helper()
	w := &kafka.Writer{
		Addr:  kafka.TCP(cfg.Brokers...),
		Topic: topic,
		Balancer: kafka.BalancerFunc(func(m kafka.Message, _ ...int) int {
			p, _ := strconv.Atoi(string(m.Key))
			return p
		}),
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
	}
	defer w.Close()
	var msgs []kafka.Message
	for p, n := range counts {
		for i := range n {
			msgs = append(msgs, kafka.Message{Key: []byte(strconv.Itoa(p)), Value: []byte("m" + strconv.Itoa(i))})
		}
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

// deleteBefore moves partition p's earliest offset to offset, as retention
// does. kafka-go has no DeleteRecords call, so franz-go sends it.
func deleteBefore(t *testing.T, cfg bus.Config, topic string, p int32, offset int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewDeleteRecordsRequestTopicPartition()
	rp.Partition, rp.Offset = p, offset
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Topics[0].Partitions[0]; got.ErrorCode != 0 || got.LowWatermark != offset {
		t.Fatalf("delete records: error %d, low watermark %d, want %d", got.ErrorCode, got.LowWatermark, offset)
	}
}

// clock is a settable time for the collector's cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scrape is one scrape of the collector through a pedantic registry.
type scrape struct {
	lag    map[string]float64 // by partition
	errors float64
	at     float64
	took   time.Duration
}

func scrapeLag(t *testing.T, c prometheus.Collector, role, group, topic string) scrape {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	start := time.Now()
	mfs, err := reg.Gather()
	s := scrape{lag: map[string]float64{}, took: time.Since(start)}
	if err != nil {
		t.Fatal(err)
	}
	prefix := "vigil_" + role + "_consumer_lag_"
	seen := map[string]bool{}
	for _, mf := range mfs {
		seen[mf.GetName()] = true
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case prefix + "messages":
				labels := map[string]string{}
				for _, lp := range m.GetLabel() {
					labels[lp.GetName()] = lp.GetValue()
				}
				if labels["group"] != group || labels["topic"] != topic {
					t.Errorf("lag labels %v, want group %s and topic %s", labels, group, topic)
				}
				s.lag[labels["partition"]] = m.GetGauge().GetValue()
			case prefix + "errors_total":
				s.errors = m.GetCounter().GetValue()
			case prefix + "timestamp_seconds":
				s.at = m.GetGauge().GetValue()
			default:
				t.Errorf("unexpected metric %s", mf.GetName())
			}
		}
	}
	for _, name := range []string{"errors_total", "timestamp_seconds"} {
		if !seen[prefix+name] {
			t.Errorf("%s%s missing", prefix, name)
		}
	}
	return s
}

func wantLag(t *testing.T, step string, s scrape, want ...float64) {
	t.Helper()
	if len(s.lag) != len(want) {
		t.Errorf("%s: lag of %d partitions %v, want %v", step, len(s.lag), s.lag, want)
		return
	}
	for p, w := range want {
		if got, ok := s.lag[strconv.Itoa(p)]; !ok || got != w {
			t.Errorf("%s: partition %d lag %v (present %v), want %v (all: %v)", step, p, got, ok, w, s.lag)
		}
	}
}

func unix(tm time.Time) float64 { return float64(tm.UnixNano()) / 1e9 }

// The lag per partition is exact before the group exists, once it has
// joined without committing, after commits on some partitions, and after
// it has left; a partition the group never committed on counts from its
// earliest offset, not from 0.
func TestLagPerPartition(t *testing.T) {
	t.Parallel()
	const topic, group, role = "t.lag", "g.lag", "store"
	cfg, _ := embedded(t, topic, 3)
	produce(t, cfg, topic, 5, 7, 11)
	deleteBefore(t, cfg, topic, 1, 3) // partition 1 now holds offsets 3..6

	lc, err := bus.NewLagCollector(cfg, bus.LagConfig{Role: role, Group: group, Topic: topic}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	clk := &clock{t: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	bus.SetLagClock(lc, clk.now)

	s := scrapeLag(t, lc, role, group, topic)
	wantLag(t, "before the group exists", s, 5, 4, 11)
	if s.errors != 0 || s.at != unix(clk.now()) {
		t.Errorf("before the group exists: errors %v, timestamp %v, want 0 and %v", s.errors, s.at, unix(clk.now()))
	}
	if problems, err := testutil.CollectAndLint(lc); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: cfg.Brokers, GroupID: group, Topic: topic, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond,
		SessionTimeout: 6 * time.Second, HeartbeatInterval: time.Second, StartOffset: kafka.FirstOffset,
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := map[int][]kafka.Message{}
	for range 5 + 4 + 11 {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		got[m.Partition] = append(got[m.Partition], m)
	}
	if len(got[0]) != 5 || len(got[1]) != 4 || len(got[2]) != 11 {
		t.Fatalf("fetched %d, %d, %d messages from the partitions, want 5, 4, 11", len(got[0]), len(got[1]), len(got[2]))
	}
	clk.add(11 * time.Second)
	wantLag(t, "joined, nothing committed", scrapeLag(t, lc, role, group, topic), 5, 4, 11)

	// Commit through offset 1 of partition 0 and all of partition 2.
	if err := r.CommitMessages(ctx, got[0][1], got[2][10]); err != nil {
		t.Fatal(err)
	}
	clk.add(11 * time.Second)
	wantLag(t, "after commits", scrapeLag(t, lc, role, group, topic), 3, 4, 0)

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	produce(t, cfg, topic, 0, 0, 2)
	clk.add(11 * time.Second)
	s = scrapeLag(t, lc, role, group, topic)
	wantLag(t, "the group left, 2 more messages", s, 3, 4, 2)
	if s.errors != 0 {
		t.Errorf("errors %v, want 0", s.errors)
	}
}

// A reading is served from the cache until CacheFor has passed; with the
// broker down a scrape still answers quickly, with the last good values,
// and counts one error per attempt (attempts are cached too).
func TestLagCacheAndBrokerDown(t *testing.T) {
	t.Parallel()
	const topic, group, role = "t.down", "g.down", "classify"
	cfg, emb := embedded(t, topic, 2)
	produce(t, cfg, topic, 2, 3)

	lc, err := bus.NewLagCollector(cfg, bus.LagConfig{Role: role, Group: group, Topic: topic, Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	clk := &clock{t: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	bus.SetLagClock(lc, clk.now)

	wantLag(t, "first", scrapeLag(t, lc, role, group, topic), 2, 3)
	good := unix(clk.now())
	produce(t, cfg, topic, 1, 1)
	clk.add(9 * time.Second)
	wantLag(t, "cached", scrapeLag(t, lc, role, group, topic), 2, 3)
	clk.add(2 * time.Second)
	s := scrapeLag(t, lc, role, group, topic)
	wantLag(t, "refreshed", s, 3, 4)
	if good = unix(clk.now()); s.at != good {
		t.Errorf("timestamp %v, want %v", s.at, good)
	}

	emb.Close()
	s = scrapeLag(t, lc, role, group, topic)
	wantLag(t, "broker down, still cached", s, 3, 4)
	if s.errors != 0 {
		t.Errorf("a cached reading counted %v errors", s.errors)
	}
	for i, step := range []time.Duration{11 * time.Second, time.Second, 10 * time.Second} {
		clk.add(step)
		s = scrapeLag(t, lc, role, group, topic)
		wantLag(t, "broker down", s, 3, 4)
		wantErrs := []float64{1, 1, 2}[i]
		if s.errors != wantErrs || s.at != good {
			t.Errorf("broker down, scrape %d: errors %v, timestamp %v; want %v and %v", i, s.errors, s.at, wantErrs, good)
		}
		if s.took > 3*time.Second {
			t.Errorf("broker down, scrape %d took %s with a 1s timeout", i, s.took)
		}
	}
}

// A broker that accepts connections and never answers cannot hold a
// scrape for longer than the timeout.
func TestLagTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	cfg := bus.Defaults()
	cfg.Brokers = []string{ln.Addr().String()}
	lc, err := bus.NewLagCollector(cfg, bus.LagConfig{Role: "store", Group: "g", Topic: "t", Timeout: 500 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lc.Close)
	s := scrapeLag(t, lc, "store", "g", "t")
	if s.took > 2*time.Second {
		t.Errorf("scrape took %s with a 500ms timeout", s.took)
	}
	if s.errors != 1 || s.at != 0 || len(s.lag) != 0 {
		t.Errorf("silent broker: errors %v, timestamp %v, lag %v; want 1, 0 and none", s.errors, s.at, s.lag)
	}
	mu.Lock()
	n := len(conns)
	mu.Unlock()
	if n == 0 {
		t.Error("the collector never connected to the broker")
	}
}

// A consumer given a registry registers its lag collector: after it has
// handled and committed everything, the lag is 0 on every partition.
func TestConsumerRegistersLag(t *testing.T) {
	t.Parallel()
	const topic, group = "t.consumer-lag", "g.consumer-lag"
	cfg, _ := embedded(t, topic, 2)
	produce(t, cfg, topic, 3, 2)

	reg := prometheus.NewPedanticRegistry()
	var (
		mu   sync.Mutex
		n    int
		done = make(chan struct{})
	)
	h := func(ctx context.Context, batch []kafka.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if n += len(batch); n == 5 {
			close(done)
		}
		return nil
	}
	c, err := bus.NewConsumer(cfg, bus.ConsumerConfig{Role: "store", Group: group, Topic: topic}, h, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	runUntil(t, c, done, func() string { return "the consumer did not handle 5 messages in 60s" })
	// Run commits the batch in hand before it returns.
	want := `
# HELP vigil_store_consumer_lag_errors_total Reads of the consumer group's lag from the brokers that failed or timed out (the last good reading was served instead).
# TYPE vigil_store_consumer_lag_errors_total counter
vigil_store_consumer_lag_errors_total 0
# HELP vigil_store_consumer_lag_messages Messages of the topic partition that the consumer group has not committed yet: the partition's high watermark minus the group's committed offset or, when the group has committed nothing on the partition, minus the partition's earliest offset (everything still unread). Read from the brokers when scraped, cached for a few seconds; the last good reading is served while reads fail.
# TYPE vigil_store_consumer_lag_messages gauge
vigil_store_consumer_lag_messages{group="g.consumer-lag",partition="0",topic="t.consumer-lag"} 0
vigil_store_consumer_lag_messages{group="g.consumer-lag",partition="1",topic="t.consumer-lag"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vigil_store_consumer_lag_messages", "vigil_store_consumer_lag_errors_total"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// A second consumer of the same role on the same registry is an
	// error, not a panic.
	if _, err := bus.NewConsumer(cfg, bus.ConsumerConfig{Role: "store", Group: group, Topic: topic}, h, nil, reg); err == nil {
		t.Error("a second store consumer registered its lag metrics twice")
	}
}
