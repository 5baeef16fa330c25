// Package kafkatest starts an in-process Kafka-protocol broker (kfake) for
// tests, so that Kafka traffic in tests goes through kafka-go to a real
// broker over loopback.
package kafkatest

import (
	"testing"

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
