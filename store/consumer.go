// Package store is the record-keeping stage: it consumes the flags topic
// and writes every verdict, with its post as captured, to the SQL store
// (package sqlstore), committing offsets only after the transaction.
package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// ConsumerConfig configures the store role.
type ConsumerConfig struct {
	// Group is the consumer group. Default "vigil-store".
	Group string
	// Limits bound the posts accepted.
	Limits event.Limits
}

// NewConsumer returns the store role: a consumer of the flags topic that
// writes each batch with w in one transaction. reg may be nil.
func NewConsumer(w event.VerdictWriter, cfg ConsumerConfig, kcfg bus.Config, dead *bus.DeadLetters, log *slog.Logger, reg prometheus.Registerer) (*bus.Consumer, error) {
	if cfg.Group == "" {
		cfg.Group = "vigil-store"
	}
	f := promauto.With(reg)
	h := &handler{
		w: w, dead: dead, limits: cfg.Limits,
		written: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "store", Name: "verdicts_written_total",
			Help: "Verdicts written (a redelivered one counts again; the write is idempotent).",
		}),
		delay: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "vigil", Subsystem: "store", Name: "capture_to_stored_seconds",
			Help:    "Delay from a post's capture by ingest to its write by the store.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	return bus.NewConsumer(kcfg, bus.ConsumerConfig{Role: "store", Group: cfg.Group, Topic: event.TopicFlags}, h.handle, log, reg)
}

type handler struct {
	w       event.VerdictWriter
	dead    *bus.DeadLetters
	limits  event.Limits
	written prometheus.Counter
	delay   prometheus.Histogram
}

func (h *handler) handle(ctx context.Context, batch []kafka.Message) error {
	var (
		vs   []event.Verdict
		from []kafka.Message // the message of each verdict
		dead []bus.Dead
	)
	for _, m := range batch {
		v, err := event.DecodeVerdict(m.Value, bus.HeaderBytes(m, event.HeaderRaw), h.limits)
		if err != nil {
			dead = append(dead, bus.Dead{Message: m, Reason: err.Error(), Kind: event.KindOf(err)})
			continue
		}
		vs = append(vs, v)
		from = append(from, m)
	}
	// A verdict the store refuses goes to the dead-letter topic and the
	// rest of the batch is written again without it.
	for len(vs) > 0 {
		err := h.w.WriteVerdicts(ctx, vs)
		var bad *sqlstore.BadVerdictError
		if !errors.As(err, &bad) || bad.Index < 0 || bad.Index >= len(vs) {
			if err != nil {
				return err
			}
			break
		}
		dead = append(dead, bus.Dead{Message: from[bad.Index], Reason: bad.Err.Error(), Kind: event.KindOf(bad.Err)})
		vs = append(vs[:bad.Index:bad.Index], vs[bad.Index+1:]...)
		from = append(from[:bad.Index:bad.Index], from[bad.Index+1:]...)
	}
	if len(dead) > 0 {
		if err := h.dead.Send(ctx, dead...); err != nil {
			return err
		}
	}
	now := time.Now()
	for i := range vs {
		h.written.Inc()
		if !vs[i].Post.CapturedAt.IsZero() {
			h.delay.Observe(now.Sub(vs[i].Post.CapturedAt).Seconds())
		}
	}
	return nil
}
