package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/event"
)

// Config configures the Ingester.
type Config struct {
	// MaxBatch is the most items written in one round. Default 500.
	MaxBatch int `yaml:"max_batch"`
	// MaxWait is how long a batch may wait to fill. Default 20ms.
	MaxWait time.Duration `yaml:"max_wait"`
	// DrainTimeout bounds the final flush on stop. Default 10s.
	DrainTimeout time.Duration `yaml:"drain_timeout"`
	// Health records the sources' rounds and errors; nil means New
	// makes one registered with its registry.
	Health *Health `yaml:"-"`
}

func (c *Config) fill() {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 500
	}
	if c.MaxWait <= 0 {
		c.MaxWait = 20 * time.Millisecond
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 10 * time.Second
	}
}

// Ingester runs sources and writes what they capture to the posts topic.
type Ingester struct {
	cfg    Config
	sink   Sink
	dedup  Deduper
	log    *slog.Logger
	now    func() time.Time
	health *Health

	written *prometheus.CounterVec
	dups    *prometheus.CounterVec
}

// Sink is where the Ingester writes: Kafka (the posts and dead-letter
// topics) or, for `vigil ingest --out`, a file. Write must make both
// durable before it returns nil.
type Sink interface {
	Write(ctx context.Context, posts []kafka.Message, dead []bus.Dead) error
	Close() error
}

// kafkaSink writes posts to the posts topic and bad input to the
// dead-letter topic.
type kafkaSink struct {
	posts *bus.Writer
	dead  *bus.DeadLetters
}

func (k kafkaSink) Write(ctx context.Context, posts []kafka.Message, dead []bus.Dead) error {
	err := k.posts.Write(ctx, posts...)
	if err == nil && len(dead) > 0 {
		err = k.dead.Send(ctx, dead...)
	}
	return err
}

func (k kafkaSink) Close() error { return k.posts.Close() }

// New returns an Ingester writing to the posts topic of kcfg and bad
// input to dead. dedup may be nil (no deduplication); reg may be nil.
func New(cfg Config, kcfg bus.Config, dead *bus.DeadLetters, dedup Deduper, log *slog.Logger, reg prometheus.Registerer) (*Ingester, error) {
	if err := kcfg.Validate(); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	if dead == nil {
		return nil, errors.New("ingest: a dead-letter writer is required: bad input must not be dropped")
	}
	return NewWithSink(cfg, kafkaSink{posts: bus.NewWriter(kcfg, event.TopicPosts), dead: dead}, dedup, log, reg), nil
}

// NewWithSink returns an Ingester writing to sink. dedup may be nil (no
// deduplication); reg may be nil.
func NewWithSink(cfg Config, sink Sink, dedup Deduper, log *slog.Logger, reg prometheus.Registerer) *Ingester {
	cfg.fill()
	if log == nil {
		log = slog.Default()
	}
	if cfg.Health == nil {
		cfg.Health = NewHealth(reg)
	}
	f := promauto.With(reg)
	return &Ingester{
		cfg: cfg, sink: sink, dedup: dedup, health: cfg.Health,
		log: log.With("role", "ingest"), now: time.Now,
		written: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "posts_total",
			Help: "Posts captured and written to the posts topic, by source and platform.",
		}, []string{"source", "platform"}),
		dups: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "ingest", Name: "duplicates_total",
			Help: "Posts skipped because they were already written, by source.",
		}, []string{"source"}),
	}
}

// Health is the record of the sources' rounds that the Ingester and its
// sources share.
func (in *Ingester) Health() *Health { return in.health }

// sourced is an item with the name of its source.
type sourced struct {
	Item
	source string
}

// Run runs the sources until they are all done or ctx ends, then flushes
// what was read (the write in hand bounded by DrainTimeout) and returns. A source that fails is
// logged and does not stop the others.
func (in *Ingester) Run(ctx context.Context, sources ...Source) error {
	ch := make(chan sourced, in.cfg.MaxBatch)
	var wg sync.WaitGroup
	for _, s := range sources {
		in.health.Register(s.Name())
		out := make(chan Item)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for it := range out {
				ch <- sourced{Item: it, source: s.Name()}
			}
		}()
		go func() {
			defer wg.Done()
			defer close(out)
			if err := s.Run(ctx, out); err != nil && ctx.Err() == nil {
				in.log.Error("source failed", "source", s.Name(), "err", err)
			}
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	err := in.loop(ctx, ch)
	if err != nil {
		// Unblock the sources; what they still hand over is not
		// acknowledged, so it is read again on the next start.
		go func() {
			for range ch {
			}
		}()
	}
	for _, s := range sources {
		if sv, ok := s.(Saver); ok {
			if serr := sv.Save(context.WithoutCancel(ctx)); serr != nil {
				in.log.Warn("save cursor", "source", s.Name(), "err", serr)
			}
		}
	}
	return err
}

// Saver is a source that keeps its cursor itself and saves it on demand;
// the Ingester calls Save after its final flush so that a clean stop keeps
// the position of everything acknowledged.
type Saver interface {
	Save(ctx context.Context) error
}

func (in *Ingester) loop(ctx context.Context, ch <-chan sourced) error {
	batch := make([]sourced, 0, in.cfg.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := in.write(ctx, batch)
		batch = batch[:0]
		return err
	}
	for {
		select {
		case it, ok := <-ch:
			if !ok {
				return flush()
			}
			if len(batch) == 0 {
				timer.Reset(in.cfg.MaxWait)
			}
			batch = append(batch, it)
			if len(batch) >= in.cfg.MaxBatch {
				timer.Stop()
				if err := flush(); err != nil {
					return err
				}
			}
		case <-timer.C:
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// write sends one batch: posts not seen before to the posts topic, bad
// input to the dead-letter topic, then acknowledges every item in order.
func (in *Ingester) write(ctx context.Context, batch []sourced) error {
	now := in.now()
	var (
		msgs  []kafka.Message
		keys  []string
		dead  []bus.Dead
		which []int // index in batch of each message
	)
	var candidates []int
	for i := range batch {
		it := &batch[i]
		if it.Err != nil {
			dead = append(dead, bus.Dead{Message: kafka.Message{Value: it.Payload}, Source: it.Origin, Reason: it.Err.Error(), Kind: event.KindOf(it.Err)})
			in.health.input(it.source, event.KindOf(it.Err))
			continue
		}
		capture(&it.Post, it.source, now)
		candidates = append(candidates, i)
		keys = append(keys, it.Post.Platform+":"+it.Post.ID)
	}
	seen := make([]bool, len(keys))
	if in.dedup != nil && len(keys) > 0 {
		var err error
		if seen, err = in.dedup.Seen(ctx, keys); err != nil {
			// Deduplication saves work; without it, write everything.
			in.log.Warn("dedup unavailable", "err", err)
			seen = make([]bool, len(keys))
		}
	}
	inBatch := map[string]bool{}
	var fresh []string
	for j, i := range candidates {
		p := &batch[i].Post
		if seen[j] || inBatch[keys[j]] {
			in.dups.WithLabelValues(batch[i].source).Inc()
			continue
		}
		inBatch[keys[j]] = true
		body, raw, err := event.EncodePost(p)
		if err != nil {
			dead = append(dead, bus.Dead{Message: kafka.Message{Value: p.Raw}, Source: batch[i].Origin, Reason: fmt.Sprintf("encode post: %v", err)})
			continue
		}
		m := bus.Message(p.Key(), body, raw)
		m.Time = p.CapturedAt
		msgs = append(msgs, m)
		which = append(which, i)
		fresh = append(fresh, keys[j])
	}
	// Retry until written while running; once stopping, the attempt in
	// hand may finish (within DrainTimeout) but no new one starts, and what
	// was not written is not acknowledged, so it is read again next time.
	// Repeating the posts write after a failed dead-letter write is safe:
	// every write downstream is idempotent.
	for {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), in.cfg.DrainTimeout)
		err := in.sink.Write(actx, msgs, dead)
		cancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("ingest: stopped with a batch unwritten: %w", err)
		}
		in.log.Error("write batch; retrying", "posts", len(msgs), "dead", len(dead), "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	if in.dedup != nil && len(fresh) > 0 {
		if err := in.dedup.Mark(ctx, fresh); err != nil {
			in.log.Warn("dedup mark failed", "err", err)
		}
	}
	for _, i := range which {
		in.written.WithLabelValues(batch[i].source, batch[i].Post.Platform).Inc()
	}
	sources := map[string]bool{}
	for i := range batch {
		sources[batch[i].source] = true
		if batch[i].Ack != nil {
			batch[i].Ack()
		}
	}
	for s := range sources {
		in.health.written(s, now)
	}
	return nil
}

// Close closes the sink.
func (in *Ingester) Close() error { return in.sink.Close() }
