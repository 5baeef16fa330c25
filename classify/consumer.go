package classify

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// ConsumerConfig configures the classify role.
type ConsumerConfig struct {
	// Group is the consumer group. Default "vigil-classify".
	Group string
	// Limits bound the posts accepted from the posts topic.
	Limits event.Limits
	// Workers classify a batch in parallel. Default GOMAXPROCS.
	Workers int
}

// Role is the classify stage: it consumes the posts topic, judges each
// post, and writes one verdict per post to the flags topic (bad messages
// to the dead-letter topic), committing only after both writes.
//
// The classifier in service can be replaced while the role runs (Swap,
// which a Reloader calls): each batch is judged by the one classifier that
// was in service when the batch began.
type Role struct {
	c        atomic.Pointer[Classifier]
	cfg      ConsumerConfig
	consumer *bus.Consumer
	flags    *bus.Writer
	dead     *bus.DeadLetters

	posts    prometheus.Counter
	flagged  *prometheus.CounterVec
	duration prometheus.Histogram
	// The early-warning breakdowns: flagged posts by category and the
	// region or target group they name, and every post by region.
	regionFlagged *prometheus.CounterVec
	groupFlagged  *prometheus.CounterVec
	regionPosts   *prometheus.CounterVec
}

// Label values of the early-warning metrics.
const (
	// NoRegion is the region label of a post that names no gazetteer
	// place, NoGroup the target_group label of one that names no group.
	NoRegion = gazetteer.NoRegion
	NoGroup  = lexicon.NoGroup
	// AccountListCategory is the category label of a post flagged only
	// because its author is on an account list.
	AccountListCategory = "account_list"
)

// NewConsumer returns the classify role. reg may be nil.
func NewConsumer(c *Classifier, cfg ConsumerConfig, kcfg bus.Config, dead *bus.DeadLetters, log *slog.Logger, reg prometheus.Registerer) (*Role, error) {
	if c == nil {
		return nil, errors.New("classify consumer: no classifier")
	}
	if cfg.Group == "" {
		cfg.Group = "vigil-classify"
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	f := promauto.With(reg)
	r := &Role{
		cfg: cfg, dead: dead,
		posts: f.NewCounter(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "posts_total",
			Help: "Posts classified.",
		}),
		flagged: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "posts_flagged_total",
			Help: "Posts flagged, by category (a post with two categories counts in both).",
		}, []string{"category"}),
		duration: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "post_duration_seconds",
			Help:    "Time to classify one post.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 10),
		}),
		regionFlagged: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "region_posts_flagged_total",
			Help: "Posts flagged, by category and by the gazetteer region the post names (region=\"none\": it names none). " +
				"A post counts once in each of its categories for each region it names. " +
				"Labels come from the lexicons and gazetteers loaded, so their number is bounded by that data.",
		}, []string{"category", "region"}),
		groupFlagged: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "target_group_posts_flagged_total",
			Help: "Posts flagged, by category and by the target group the post names (target_group=\"none\": it names none). " +
				"A post counts once in each of its categories for each group it names. " +
				"Labels come from the lexicons loaded, so their number is bounded by that data.",
		}, []string{"category", "target_group"}),
		regionPosts: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "region_posts_total",
			Help: "Posts classified, flagged or not, by the gazetteer region the post names (region=\"none\": it names none): " +
				"the baseline volume. A post naming two regions counts in each. " +
				"Labels come from the gazetteers loaded, so their number is bounded by that data.",
		}, []string{"region"}),
	}
	consumer, err := bus.NewConsumer(kcfg, bus.ConsumerConfig{Role: "classify", Group: cfg.Group, Topic: event.TopicPosts}, r.handle, log, reg)
	if err != nil {
		return nil, err
	}
	r.consumer = consumer
	r.flags = bus.NewWriter(kcfg, event.TopicFlags)
	r.initSeries(c)
	r.c.Store(c)
	return r, nil
}

// initSeries starts at 0 every series c can produce (each category that
// can flag, and account_list, by each region and group and "none"; each
// region and "none"), so that dashboards and alert rules see them before
// the first post. Series of a classifier swapped out stay: counters are
// not taken back.
func (r *Role) initSeries(c *Classifier) {
	cats := append(c.FlaggingCategories(), AccountListCategory)
	regions := append(c.Regions(), NoRegion)
	groups := append(c.Groups(), NoGroup)
	for _, cat := range cats {
		r.flagged.WithLabelValues(cat)
		for _, region := range regions {
			r.regionFlagged.WithLabelValues(cat, region)
		}
		for _, g := range groups {
			r.groupFlagged.WithLabelValues(cat, g)
		}
	}
	for _, region := range regions {
		r.regionPosts.WithLabelValues(region)
	}
}

// Classifier is the classifier in service.
func (r *Role) Classifier() *Classifier { return r.c.Load() }

// Swap puts c in service from the next batch on; the batch in hand
// finishes with the classifier it began with. A nil c is ignored. The
// series of c's categories, regions and groups start at 0 if new.
func (r *Role) Swap(c *Classifier) {
	if c != nil {
		r.initSeries(c)
		r.c.Store(c)
	}
}

// Run consumes until ctx ends.
func (r *Role) Run(ctx context.Context) error { return r.consumer.Run(ctx) }

// Close closes the flags writer.
func (r *Role) Close() error { return r.flags.Close() }

type outcome struct {
	msg     kafka.Message
	dead    *bus.Dead
	verdict event.Verdict
}

func (r *Role) handle(ctx context.Context, batch []kafka.Message) error {
	c := r.c.Load() // one classifier for the whole batch, whatever Swap does meanwhile
	out := make([]outcome, len(batch))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < r.cfg.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = r.one(c, batch[i])
			}
		}()
	}
	for i := range batch {
		next <- i
	}
	close(next)
	wg.Wait()

	var msgs []kafka.Message
	var dead []bus.Dead
	for i := range out {
		if out[i].dead != nil {
			dead = append(dead, *out[i].dead)
		} else {
			msgs = append(msgs, out[i].msg)
		}
	}
	if err := r.flags.Write(ctx, msgs...); err != nil {
		return err
	}
	if len(dead) > 0 {
		if err := r.dead.Send(ctx, dead...); err != nil {
			return err
		}
	}
	for i := range out {
		if out[i].dead == nil {
			r.count(&out[i].verdict)
		}
	}
	return nil
}

// count adds a verdict to the metrics.
func (r *Role) count(v *event.Verdict) {
	r.posts.Inc()
	regions, groups := v.Regions, v.Groups
	if len(regions) == 0 {
		regions = []string{NoRegion}
	}
	if len(groups) == 0 {
		groups = []string{NoGroup}
	}
	for _, region := range regions {
		r.regionPosts.WithLabelValues(region).Inc()
	}
	cats := v.Categories
	if len(cats) == 0 && len(v.Lists) > 0 {
		cats = []string{AccountListCategory}
	}
	for _, cat := range cats {
		r.flagged.WithLabelValues(cat).Inc()
		for _, region := range regions {
			r.regionFlagged.WithLabelValues(cat, region).Inc()
		}
		for _, g := range groups {
			r.groupFlagged.WithLabelValues(cat, g).Inc()
		}
	}
}

func (r *Role) one(c *Classifier, m kafka.Message) outcome {
	p, err := event.DecodePost(m.Value, bus.HeaderBytes(m, event.HeaderRaw), r.cfg.Limits)
	if err != nil {
		return outcome{dead: &bus.Dead{Message: m, Reason: err.Error(), Kind: event.KindOf(err)}}
	}
	start := time.Now()
	v := c.Classify(&p)
	r.duration.Observe(time.Since(start).Seconds())
	body, raw, err := event.EncodeVerdict(&v)
	if err != nil {
		return outcome{dead: &bus.Dead{Message: m, Reason: "encode verdict: " + err.Error()}}
	}
	return outcome{msg: bus.Message(string(m.Key), body, raw), verdict: v}
}
