package bus

import (
	"context"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// maxBatchBytes keeps produce requests under the broker's default
// message.max.bytes (1 MiB): a larger batch is refused as a whole.
const maxBatchBytes = 900 << 10

// MaxMessageBytes is the largest message Vigil writes. Anything larger is
// truncated on its way to the dead-letter topic.
const MaxMessageBytes = 512 << 10

// Writer is a batched, synchronous producer for one topic: Write returns
// once every message is acknowledged by all in-sync replicas, so a caller
// may then commit what it consumed. Messages are partitioned by key with
// the murmur2 hash that Kafka's Java clients use.
type Writer struct {
	topic string
	w     *kafka.Writer
}

// NewWriter returns a writer for topic. Validate cfg first.
func NewWriter(cfg Config, topic string) *Writer {
	cfg.fill()
	return &Writer{topic: topic, w: &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Topic:        topic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1000,
		BatchBytes:   maxBatchBytes,
		BatchTimeout: cfg.WriteBatchTimeout,
		MaxAttempts:  10,
	}}
}

// Write writes msgs and waits for their acknowledgement. Pass many
// messages per call: one call is one round of batches.
func (w *Writer) Write(ctx context.Context, msgs ...kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := w.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("write %d messages to %s: %w", len(msgs), w.topic, err)
	}
	return nil
}

// Stats returns kafka-go's counters for the writer.
func (w *Writer) Stats() kafka.WriterStats { return w.w.Stats() }

// Close flushes and closes the writer.
func (w *Writer) Close() error { return w.w.Close() }
