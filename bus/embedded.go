package bus

import (
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Embedded is an in-process Kafka-protocol broker (franz-go's kfake) on
// loopback, used by `vigil run` so that one command runs the whole pipeline
// with nothing else installed. With a data directory its log and committed
// offsets survive a restart.
type Embedded struct {
	c *kfake.Cluster
}

// StartEmbedded starts a one-broker cluster listening on 127.0.0.1:port
// (0 picks a free port), persisting under dataDir when it is not empty.
func StartEmbedded(dataDir string, port, partitions int) (*Embedded, error) {
	opts := []kfake.Opt{kfake.Ports(port), kfake.DefaultNumPartitions(partitions)}
	if dataDir != "" {
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("embedded broker: %w", err)
		}
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Embedded{c: c}, nil
}

// Brokers returns the broker addresses to give to Config.Brokers.
func (e *Embedded) Brokers() []string { return e.c.ListenAddrs() }

// Close stops the broker and, when persisting, writes its state to disk.
func (e *Embedded) Close() { e.c.Close() }
