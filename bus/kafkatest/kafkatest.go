// Package kafkatest starts an in-process Kafka-protocol broker (kfake) for
// tests, so that Kafka traffic in tests goes through kafka-go to a real
// broker over loopback.
package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/vigilhq/vigil/bus"
)

// Cluster starts a one-broker cluster for the test and returns a bus
// config pointing at it; the cluster is closed when the test ends. Each
// test gets its own cluster, so tests can run in parallel.
func Cluster(tb testing.TB, partitions int, opts ...kfake.Opt) bus.Config {
	tb.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(partitions)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatalf("start kfake: %v", err)
	}
	tb.Cleanup(c.Close)
	cfg := bus.Defaults()
	cfg.Brokers = c.ListenAddrs()
	cfg.Partitions = partitions
	return cfg
}

// ReadAll reads every partition of topic from the start until it holds n
// messages in all (waiting up to 30 s for them to arrive), and fails the
// test when it ends with another count.
func ReadAll(tb testing.TB, cfg bus.Config, topic string, n int) []kafka.Message {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []kafka.Message
	for {
		out = out[:0]
		for p := 0; p < cfg.Partitions; p++ {
			out = append(out, readPartition(ctx, tb, cfg, topic, p)...)
		}
		if len(out) >= n || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(out) != n {
		tb.Fatalf("%s holds %d messages, want %d", topic, len(out), n)
	}
	return out
}

// readPartition reads one partition up to its last offset at the time.
func readPartition(ctx context.Context, tb testing.TB, cfg bus.Config, topic string, p int) []kafka.Message {
	tb.Helper()
	conn, err := kafka.DialLeader(ctx, "tcp", cfg.Brokers[0], topic, p)
	if err != nil {
		tb.Fatal(err)
	}
	last, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil || last == 0 {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: cfg.Brokers, Topic: topic, Partition: p, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var out []kafka.Message
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			tb.Fatalf("read %s/%d: %v", topic, p, err)
		}
		out = append(out, m)
		if m.Offset >= last-1 {
			return out
		}
	}
}
