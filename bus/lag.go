package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// LagConfig says whose lag a LagCollector reads.
type LagConfig struct {
	// Role is the metrics' subsystem ("classify", "store").
	Role string
	// Group is the consumer group whose committed offsets are read.
	Group string
	// Topic is the topic the group consumes.
	Topic string
	// CacheFor is how long one reading is served before the broker is
	// asked again, whether the last attempt succeeded or failed, so that
	// frequent scrapes do not load the broker. Default 10s.
	CacheFor time.Duration
	// Timeout bounds one reading, and so how long a scrape can wait for
	// it. Default 3s.
	Timeout time.Duration
}

func (lc *LagConfig) fill() {
	if lc.CacheFor <= 0 {
		lc.CacheFor = 10 * time.Second
	}
	if lc.Timeout <= 0 {
		lc.Timeout = 3 * time.Second
	}
}

// LagCollector is a prometheus.Collector that reports how far a consumer
// group is behind on a topic, per partition, read from the brokers when
// scraped (at most once per CacheFor). A reading that fails or times out is
// counted, and the last good reading is served instead, so a scrape always
// answers within Timeout.
//
// Metrics, with subsystem = Role:
//   - vigil_<role>_consumer_lag_messages{group,topic,partition} (gauge)
//   - vigil_<role>_consumer_lag_errors_total (counter)
//   - vigil_<role>_consumer_lag_timestamp_seconds (gauge)
type LagCollector struct {
	lc        LagConfig
	transport *kafka.Transport
	client    *kafka.Client
	log       *slog.Logger
	lagDesc   *prometheus.Desc
	errDesc   *prometheus.Desc
	timeDesc  *prometheus.Desc

	mu      sync.Mutex
	now     func() time.Time
	tried   time.Time // when the broker was last asked
	good    lagReading
	errors  uint64
	failing bool
}

// lagReading is one successful reading.
type lagReading struct {
	at   time.Time
	lags []PartitionLag
}

// PartitionLag is one partition's lag in a reading.
type PartitionLag struct {
	Partition int
	// HighWatermark is the offset the next message written will get.
	HighWatermark int64
	// Committed is the group's committed offset, -1 when it has none.
	Committed int64
	// Lag is HighWatermark - Committed, or HighWatermark minus the
	// partition's earliest offset when the group has committed nothing.
	Lag int64
}

// NewLagCollector validates the configs and returns a collector; it
// connects on the first scrape. log may be nil.
func NewLagCollector(cfg Config, lc LagConfig, log *slog.Logger) (*LagCollector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s lag collector: %w", lc.Role, err)
	}
	if lc.Role == "" || lc.Group == "" || lc.Topic == "" {
		return nil, fmt.Errorf("lag collector: role, group and topic are required (got %q, %q, %q)", lc.Role, lc.Group, lc.Topic)
	}
	lc.fill()
	if log == nil {
		log = slog.Default()
	}
	transport := &kafka.Transport{
		ClientID: "vigil-" + lc.Role + "-lag",
		// The transport refreshes its metadata in the background: only
		// this topic's, not the whole cluster's.
		MetadataTopics: []string{lc.Topic},
	}
	return &LagCollector{
		lc:        lc,
		transport: transport,
		client:    &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: transport},
		log:       log.With("role", lc.Role, "group", lc.Group, "topic", lc.Topic),
		now:       time.Now,
		lagDesc: prometheus.NewDesc(prometheus.BuildFQName("vigil", lc.Role, "consumer_lag_messages"),
			"Messages of the topic partition that the consumer group has not committed yet: the partition's high watermark "+
				"minus the group's committed offset or, when the group has committed nothing on the partition, minus the "+
				"partition's earliest offset (everything still unread). Read from the brokers when scraped, cached for a few "+
				"seconds; the last good reading is served while reads fail.",
			[]string{"group", "topic", "partition"}, nil),
		errDesc: prometheus.NewDesc(prometheus.BuildFQName("vigil", lc.Role, "consumer_lag_errors_total"),
			"Reads of the consumer group's lag from the brokers that failed or timed out (the last good reading was served instead).",
			nil, nil),
		timeDesc: prometheus.NewDesc(prometheus.BuildFQName("vigil", lc.Role, "consumer_lag_timestamp_seconds"),
			"Unix time of the last successful read of the consumer group's lag; 0 before the first.",
			nil, nil),
	}, nil
}

// Describe implements prometheus.Collector.
func (l *LagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- l.lagDesc
	ch <- l.errDesc
	ch <- l.timeDesc
}

// Collect implements prometheus.Collector. It reads the lag from the
// brokers when the cached reading is older than CacheFor, waiting at most
// Timeout.
func (l *LagCollector) Collect(ch chan<- prometheus.Metric) {
	r, errs := l.reading()
	for _, p := range r.lags {
		ch <- prometheus.MustNewConstMetric(l.lagDesc, prometheus.GaugeValue, float64(p.Lag), l.lc.Group, l.lc.Topic, strconv.Itoa(p.Partition))
	}
	ch <- prometheus.MustNewConstMetric(l.errDesc, prometheus.CounterValue, float64(errs))
	var ts float64
	if !r.at.IsZero() {
		ts = float64(r.at.UnixNano()) / 1e9
	}
	ch <- prometheus.MustNewConstMetric(l.timeDesc, prometheus.GaugeValue, ts)
}

// Close releases the collector's broker connections. A later scrape opens
// new ones.
func (l *LagCollector) Close() { l.transport.CloseIdleConnections() }

// reading returns the cached reading, refreshing it first when it is due.
// Concurrent scrapes wait for the one read in progress (at most Timeout)
// and then share its result.
func (l *LagCollector) reading() (lagReading, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.tried.IsZero() && l.now().Sub(l.tried) < l.lc.CacheFor {
		return l.good, l.errors
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.lc.Timeout)
	defer cancel()
	lags, err := l.Read(ctx)
	l.tried = l.now()
	switch {
	case err != nil:
		l.errors++
		if !l.failing {
			l.log.Warn("consumer lag: read failed; serving the last good reading", "err", err)
		}
		l.failing = true
	default:
		if l.failing {
			l.log.Info("consumer lag: read again")
		}
		l.failing = false
		l.good = lagReading{at: l.tried, lags: lags}
	}
	return l.good, l.errors
}

// Read asks the brokers for the group's lag on every partition of the
// topic, in partition order, bypassing the cache: the partitions from the
// metadata, their earliest and latest offsets (ListOffsets, sent to each
// partition's leader) and the group's committed offsets (OffsetFetch, sent
// to the group's coordinator). Any partition that cannot be read fails the
// whole reading.
func (l *LagCollector) Read(ctx context.Context) ([]PartitionLag, error) {
	topic := l.lc.Topic
	md, err := l.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("lag of %s: metadata: %w", topic, err)
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("lag of %s: metadata: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("lag of %s: the brokers list no partitions for it", topic)
	}
	slices.Sort(parts)

	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	lo, err := l.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("lag of %s: list offsets: %w", topic, err)
	}
	bounds := make(map[int]kafka.PartitionOffsets, len(parts))
	for _, po := range lo.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("lag of %s: list offsets of partition %d: %w", topic, po.Partition, po.Error)
		}
		bounds[po.Partition] = po
	}

	of, err := l.client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: l.lc.Group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("lag of %s: committed offsets of group %s: %w", topic, l.lc.Group, err)
	}
	committed := make(map[int]int64, len(parts))
	switch {
	case errors.Is(of.Error, kafka.GroupIdNotFound):
		// A group the broker has never seen has committed nothing. Kafka
		// answers -1 for each partition; kfake answers this error.
	case of.Error != nil:
		return nil, fmt.Errorf("lag of %s: committed offsets of group %s: %w", topic, l.lc.Group, of.Error)
	default:
		for _, p := range of.Topics[topic] {
			if p.Error != nil {
				return nil, fmt.Errorf("lag of %s: committed offset of group %s on partition %d: %w", topic, l.lc.Group, p.Partition, p.Error)
			}
			committed[p.Partition] = p.CommittedOffset
		}
	}

	out := make([]PartitionLag, 0, len(parts))
	for _, p := range parts {
		b, ok := bounds[p]
		if !ok || b.FirstOffset < 0 || b.LastOffset < 0 {
			return nil, fmt.Errorf("lag of %s: no offsets for partition %d", topic, p)
		}
		c, ok := committed[p]
		if !ok {
			c = -1
		}
		pl := PartitionLag{Partition: p, HighWatermark: b.LastOffset, Committed: c}
		if c >= 0 {
			pl.Lag = b.LastOffset - c
		} else {
			pl.Lag = b.LastOffset - b.FirstOffset
		}
		// A commit past the end (a topic recreated under the group) is
		// nothing to read, not a negative backlog.
		pl.Lag = max(pl.Lag, 0)
		out = append(out, pl)
	}
	return out, nil
}
