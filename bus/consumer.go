package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"
)

// Handler does the work for one batch of messages. It must persist
// everything it means to before it returns nil: the consumer commits the
// batch's offsets right after. A message that can never be handled (bad
// input) must be sent to the dead-letter topic by the handler, which then
// returns nil; an error means "try the whole batch again" (a database or
// broker that is down), and nothing is committed.
type Handler func(ctx context.Context, batch []kafka.Message) error

// ConsumerConfig configures one consumer group member.
type ConsumerConfig struct {
	// Role names the consumer in metrics and logs ("classify", "store").
	Role string
	// Group is the consumer group ID.
	Group string
	// Topic to consume.
	Topic string
	// MaxBatch is the largest batch handed to the Handler. Default 500.
	MaxBatch int
	// MaxWait is how long to wait to fill a batch once its first message
	// is in. Default 20ms.
	MaxWait time.Duration
	// DrainTimeout bounds how long a stop waits for the batch in hand to
	// be handled and committed. Default 10s.
	DrainTimeout time.Duration
}

func (cc *ConsumerConfig) fill() {
	if cc.MaxBatch <= 0 {
		cc.MaxBatch = 500
	}
	if cc.MaxWait <= 0 {
		cc.MaxWait = 20 * time.Millisecond
	}
	if cc.DrainTimeout <= 0 {
		cc.DrainTimeout = 10 * time.Second
	}
}

// Consumer is an at-least-once consumer group member: it fetches a batch
// (FetchMessage), hands it to the Handler, and commits the offsets
// (CommitMessages) only after the Handler succeeded. A crash between the
// two redelivers the batch, so every Handler must be idempotent.
type Consumer struct {
	cc  ConsumerConfig
	rc  kafka.ReaderConfig
	h   Handler
	log *slog.Logger

	consumed  prometheus.Counter
	batches   prometheus.Counter
	failures  prometheus.Counter
	batchTime prometheus.Histogram
	lag       *LagCollector // nil without a registry
}

// NewConsumer validates the config and returns a consumer; it connects
// when Run is called. reg may be nil. With a registry the consumer also
// registers a LagCollector for its group and topic, so every consumer role
// reports vigil_<role>_consumer_lag_messages.
func NewConsumer(cfg Config, cc ConsumerConfig, h Handler, log *slog.Logger, reg prometheus.Registerer) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s consumer: %w", cc.Role, err)
	}
	if cc.Role == "" || cc.Group == "" || cc.Topic == "" {
		return nil, fmt.Errorf("consumer: role, group and topic are required (got %q, %q, %q)", cc.Role, cc.Group, cc.Topic)
	}
	cc.fill()
	if log == nil {
		log = slog.Default()
	}
	var lag *LagCollector
	if reg != nil {
		var err error
		if lag, err = NewLagCollector(cfg, LagConfig{Role: cc.Role, Group: cc.Group, Topic: cc.Topic}, log); err != nil {
			return nil, err
		}
		if err := reg.Register(lag); err != nil {
			return nil, fmt.Errorf("%s consumer: register lag metrics: %w", cc.Role, err)
		}
	}
	log = log.With("role", cc.Role, "group", cc.Group, "topic", cc.Topic)
	f := promauto.With(reg)
	return &Consumer{
		cc:  cc,
		h:   h,
		log: log,
		lag: lag,
		rc: kafka.ReaderConfig{
			Brokers:           cfg.Brokers,
			GroupID:           cc.Group,
			Topic:             cc.Topic,
			MinBytes:          1,
			MaxBytes:          16 << 20,
			MaxWait:           250 * time.Millisecond,
			QueueCapacity:     cc.MaxBatch * 2,
			SessionTimeout:    cfg.SessionTimeout,
			HeartbeatInterval: time.Second,
			RebalanceTimeout:  cfg.SessionTimeout + 4*time.Second,
			JoinGroupBackoff:  500 * time.Millisecond,
			ReadBackoffMin:    50 * time.Millisecond,
			ReadBackoffMax:    time.Second,
			CommitInterval:    0, // synchronous commits, after the work
			StartOffset:       kafka.FirstOffset,
			ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
				log.Debug("kafka reader", "detail", fmt.Sprintf(msg, args...))
			}),
		},
		consumed: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: cc.Role, Name: "messages_consumed_total",
			Help: "Messages consumed and committed from " + cc.Topic + ".",
		}),
		batches: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: cc.Role, Name: "batches_total",
			Help: "Batches handled and committed.",
		}),
		failures: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: cc.Role, Name: "batch_failures_total",
			Help: "Batch attempts that failed and will be retried.",
		}),
		batchTime: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "vigil", Subsystem: cc.Role, Name: "batch_duration_seconds",
			Help:    "Time to handle and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}, nil
}

// Run consumes until ctx ends. On a stop it finishes the batch in hand,
// commits it (within DrainTimeout) and closes, so that nothing already
// handled is redelivered needlessly.
func (c *Consumer) Run(ctx context.Context) error {
	r := kafka.NewReader(c.rc)
	if c.lag != nil {
		defer c.lag.Close()
	}
	defer func() {
		if err := r.Close(); err != nil {
			c.log.Warn("close reader", "err", err)
		}
	}()
	for {
		batch, err := c.fetch(ctx, r)
		if len(batch) == 0 {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("%s: fetch: %w", c.cc.Role, err)
		}
		if err := c.handle(ctx, r, batch); err != nil {
			if ctx.Err() != nil {
				c.log.Info("stopped with a batch unhandled; it will be redelivered", "messages", len(batch))
				return nil
			}
			return err
		}
	}
}

// fetch blocks for one message, then gathers more for up to MaxWait.
func (c *Consumer) fetch(ctx context.Context, r *kafka.Reader) ([]kafka.Message, error) {
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := make([]kafka.Message, 1, c.cc.MaxBatch)
	batch[0] = m
	fctx, cancel := context.WithTimeout(ctx, c.cc.MaxWait)
	defer cancel()
	for len(batch) < c.cc.MaxBatch {
		m, err := r.FetchMessage(fctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// handle runs the handler until it succeeds, then commits. The handler
// gets a context that survives a stop for DrainTimeout, so a stop lets the
// batch in hand finish.
func (c *Consumer) handle(ctx context.Context, r *kafka.Reader, batch []kafka.Message) error {
	start := time.Now()
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, batch)
		if err == nil {
			break
		}
		c.failures.Inc()
		c.log.Error("batch failed; retrying", "attempt", attempt, "messages", len(batch), "err", err)
		if ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff/2 + rand.N(backoff/2+1)):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cc.DrainTimeout)
	defer cancel()
	if err := r.CommitMessages(cctx, batch...); err != nil {
		// The work is persisted; an uncommitted batch is redelivered and
		// the idempotent handler makes that harmless.
		return fmt.Errorf("%s: commit %d messages: %w", c.cc.Role, len(batch), err)
	}
	c.consumed.Add(float64(len(batch)))
	c.batches.Inc()
	c.batchTime.Observe(time.Since(start).Seconds())
	return nil
}

func (c *Consumer) attempt(ctx context.Context, batch []kafka.Message) (err error) {
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cc.DrainTimeout)
	defer cancel()
	defer func() {
		// A handler bug must not take the role down with it, nor lose the
		// batch: report it and retry.
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	if err := c.h(hctx, batch); err != nil {
		return err
	}
	if errors.Is(hctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("handler exceeded %s", c.cc.DrainTimeout)
	}
	return nil
}
