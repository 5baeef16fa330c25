// Package bus is Vigil's Kafka plumbing, shared by the roles that read and
// write the topics (ingest, classify, store): connection config, topic
// creation, a batched writer, the at-least-once consumer loop and its
// consumer-lag metrics, the dead-letter writer and the embedded kfake
// broker used by `vigil run`.
//
// It imports event and github.com/segmentio/kafka-go; it never imports a
// role, so the roles stay independent of one another.
package bus

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"
)

// Sentinel configuration errors, wrapped with detail by Validate.
var (
	ErrNoBrokers      = errors.New("no Kafka brokers configured")
	ErrBadPartitions  = errors.New("partitions must be at least 1")
	ErrBadReplication = errors.New("replication factor must be at least 1")
)

// Config says where Kafka is and how topics are created.
type Config struct {
	// Brokers are host:port addresses. Empty in the embedded mode until
	// the embedded broker is started and fills them in.
	Brokers []string `yaml:"brokers"`
	// Partitions is the partition count of topics created at start.
	// Default 4.
	Partitions int `yaml:"partitions"`
	// ReplicationFactor of topics created at start. Default 1.
	ReplicationFactor int `yaml:"replication_factor"`
	// WriteBatchTimeout bounds how long the writer waits to fill a batch.
	// Default 5ms (kafka-go's own default of 1s throttles small writes).
	WriteBatchTimeout time.Duration `yaml:"write_batch_timeout"`
	// SessionTimeout of consumer groups. Default 6s, kfake's minimum.
	SessionTimeout time.Duration `yaml:"session_timeout"`
}

// Defaults returns a Config with every default filled in.
func Defaults() Config {
	return Config{Partitions: 4, ReplicationFactor: 1, WriteBatchTimeout: 5 * time.Millisecond, SessionTimeout: 6 * time.Second}
}

// RegisterFlags registers the Kafka flags with the given prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.Func(prefix+"kafka-brokers", "Comma-separated Kafka brokers (host:port). Empty: the embedded broker.", func(s string) error {
		c.Brokers = splitList(s)
		return nil
	})
	fs.IntVar(&c.Partitions, prefix+"kafka-partitions", c.Partitions, "Partitions of topics created at start.")
	fs.IntVar(&c.ReplicationFactor, prefix+"kafka-replication-factor", c.ReplicationFactor, "Replication factor of topics created at start.")
}

// Validate checks the config once the brokers are known.
func (c *Config) Validate() error {
	c.fill()
	switch {
	case len(c.Brokers) == 0:
		return ErrNoBrokers
	case c.Partitions < 1:
		return fmt.Errorf("%w (got %d)", ErrBadPartitions, c.Partitions)
	case c.ReplicationFactor < 1:
		return fmt.Errorf("%w (got %d)", ErrBadReplication, c.ReplicationFactor)
	}
	for _, b := range c.Brokers {
		if !strings.Contains(b, ":") {
			return fmt.Errorf("kafka broker %q: want host:port", b)
		}
	}
	return nil
}

func (c *Config) fill() {
	d := Defaults()
	if c.Partitions == 0 {
		c.Partitions = d.Partitions
	}
	if c.ReplicationFactor == 0 {
		c.ReplicationFactor = d.ReplicationFactor
	}
	if c.WriteBatchTimeout <= 0 {
		c.WriteBatchTimeout = d.WriteBatchTimeout
	}
	if c.SessionTimeout < d.SessionTimeout {
		c.SessionTimeout = d.SessionTimeout
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
