package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/sources"
)

// cmdIngest is `vigil ingest --once`: every configured source polled
// once, to Kafka or to a JSON Lines file.
func cmdIngest(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("ingest", "Poll every configured source once and exit: the posts go to the posts topic (Kafka),\n"+
		"or with --out to a JSON Lines file (for cron jobs, debugging and data sets). Cursors\n"+
		"and deduplication are the pipeline's (Redis with redis.addr, else DATA_DIR), so a\n"+
		"run continues where the last stopped. A stream source (bluesky) reads until it has\n"+
		"caught up with the time the run started. Input that cannot become a post goes to\n"+
		"the dead-letter topic, or with --out to OUT.dead.jsonl, with its reason.\n"+
		"Exit status 1 when a source failed its round (the others still ran).",
		"  vigil ingest --once --config vigil.yaml --out posts.jsonl\n"+
			"  vigil ingest --once --config vigil.yaml --source state-media-rss   # one source\n"+
			"  vigil ingest --once --config vigil.yaml --kafka-brokers kafka:9092", sio.Stderr)
	var only stringList
	fs.Var(&only, "source", "Poll only the source of this name; repeatable. Default: every source.")
	var (
		once       = fs.Bool("once", false, "Poll every source once and exit (required: the continuous mode is `vigil run --target=ingest`).")
		configPath = fs.String("config", "", "Configuration file (YAML). Default: the embedded demo configuration.")
		out        = fs.String("out", "", "Write the posts to this JSON Lines file (- for standard output) instead of Kafka.")
		dataDir    = fs.String("data-dir", "", "Data directory (cursors, the embedded broker's address). Default ./data (env VIGIL_DATA_DIR).")
		brokers    = fs.String("kafka-brokers", "", "Comma-separated Kafka brokers (env VIGIL_KAFKA_BROKERS). Default: the config's, else the embedded broker of a running \"vigil run\" (DATA_DIR/kafka.addr).")
		asJSON     = fs.Bool("json", false, "Print the summary as JSON on standard output.")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*once {
		return fmt.Errorf("%w: --once is required (run the ingest role continuously with: vigil run --target=ingest)", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := loadConfig(*configPath, sio.Getenv)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *brokers != "" {
		cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, name := range only {
		if !slices.ContainsFunc(cfg.Sources, func(s SourceConfig) bool { return s.Name == name }) {
			return fmt.Errorf("%w: no source named %q in %s", errUsage, name, cfg.file)
		}
	}
	if len(only) > 0 {
		cfg.Sources = slices.DeleteFunc(slices.Clone(cfg.Sources), func(s SourceConfig) bool { return !slices.Contains(only, s.Name) })
	}
	if len(cfg.Sources) == 0 {
		return fmt.Errorf("%s: no sources configured", cfg.file)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	log := newLogger(sio.Stderr, logLevel(sio))
	reg := prometheus.NewRegistry()
	m := &Main{Config: cfg, Log: log, Registry: reg}
	dedup, cursors, closeState, err := m.ingestState()
	if err != nil {
		return err
	}
	defer closeState()
	health := m.health()

	var sink ingest.Sink
	if *out != "" {
		fsink, err := newFileSink(*out, sio.Stdout)
		if err != nil {
			return err
		}
		sink = fsink
		// A data set gets every post a source gives, even one the pipeline
		// already has: only repeats within this run are dropped.
		dedup = ingest.NewMemoryDeduper(cfg.Ingest.DedupTTL, 10_000_000)
	} else {
		kcfg, _, err := replayKafka(cfg)
		if err != nil {
			return err
		}
		if err := bus.EnsureTopics(ctx, kcfg, event.TopicPosts, event.TopicDeadLetter); err != nil {
			return err
		}
		dead := bus.NewDeadLetters(kcfg, targetIngest, reg)
		defer dead.Close()
		sink = kafkaPostsSink{posts: bus.NewWriter(kcfg, event.TopicPosts), dead: dead}
	}
	in := ingest.NewWithSink(ingest.Config{Health: health}, sink, dedup, log, reg)
	defer in.Close()
	srcs, err := m.sources(ingest.Env{Cursors: cursors, Health: health, Log: log, Once: true})
	if err != nil {
		return err
	}
	if err := in.Run(ctx, srcs...); err != nil {
		return err
	}
	if err := in.Close(); err != nil {
		return err
	}
	return ingestSummary(sio, reg, health, *asJSON)
}

// logLevel is Warn unless VIGIL_LOG_LEVEL says otherwise: a one-shot
// command keeps standard error for its summary.
func logLevel(sio IO) slog.Level {
	l := slog.LevelWarn
	if v := sio.Getenv("VIGIL_LOG_LEVEL"); v != "" {
		_ = l.UnmarshalText([]byte(v))
	}
	return l
}

// ingestSummary prints one line per source and returns an error when a
// source's round failed.
func ingestSummary(sio IO, reg *prometheus.Registry, health *ingest.Health, asJSON bool) error {
	type line struct {
		Source     string `json:"source"`
		Posts      int    `json:"posts"`
		Duplicates int    `json:"duplicates"`
		Errors     int    `json:"errors"`
		Failed     bool   `json:"failed"`
		LastError  string `json:"last_error,omitempty"`
	}
	counts := func(name, label string) map[string]int {
		out := map[string]int{}
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == label {
						out[l.GetValue()] += int(m.GetCounter().GetValue())
					}
				}
			}
		}
		return out
	}
	posts, dups, errs := counts("vigil_ingest_posts_total", "source"), counts("vigil_ingest_duplicates_total", "source"), counts("vigil_ingest_errors_total", "source")
	var lines []line
	var failed []string
	for _, s := range health.Report() {
		l := line{Source: s.Source, Posts: posts[s.Source], Duplicates: dups[s.Source], Errors: errs[s.Source], Failed: s.Failures > 0, LastError: s.LastError}
		if l.Failed {
			failed = append(failed, s.Source)
		}
		lines = append(lines, l)
	}
	if asJSON {
		enc := json.NewEncoder(sio.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"sources": lines}); err != nil {
			return err
		}
	} else {
		total := 0
		for _, l := range lines {
			status := "ok"
			if l.Failed {
				status = "FAILED: " + l.LastError
			}
			fmt.Fprintf(sio.Stderr, "%s: %d posts, %d duplicates, %d errors; %s\n", l.Source, l.Posts, l.Duplicates, l.Errors, status)
			total += l.Posts
		}
		fmt.Fprintf(sio.Stderr, "ingest: %d posts from %d sources, %d failed\n", total, len(lines), len(failed))
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d sources failed their round: %s", len(failed), len(lines), strings.Join(failed, ", "))
	}
	return nil
}

// kafkaPostsSink writes to the posts and dead-letter topics.
type kafkaPostsSink struct {
	posts *bus.Writer
	dead  *bus.DeadLetters
}

func (k kafkaPostsSink) Write(ctx context.Context, posts []kafka.Message, dead []bus.Dead) error {
	if err := k.posts.Write(ctx, posts...); err != nil {
		return err
	}
	if len(dead) > 0 {
		return k.dead.Send(ctx, dead...)
	}
	return nil
}

func (k kafkaPostsSink) Close() error { return k.posts.Close() }

// fileSink writes posts as JSON Lines (each a post as the pipeline
// carries it: the raw payload base64-encoded in "raw", with its hash, the
// capture time and source) and bad input to OUT.dead.jsonl.
type fileSink struct {
	mu       sync.Mutex
	out      *bufio.Writer
	f        *os.File // nil for standard output
	deadPath string
	dead     *os.File
}

func newFileSink(path string, stdout io.Writer) (*fileSink, error) {
	if path == "-" {
		return &fileSink{out: bufio.NewWriter(stdout), deadPath: "ingest.dead.jsonl"}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &fileSink{out: bufio.NewWriter(f), f: f, deadPath: strings.TrimSuffix(path, ".jsonl") + ".dead.jsonl"}, nil
}

func (s *fileSink) Write(_ context.Context, posts []kafka.Message, dead []bus.Dead) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range posts {
		p, err := event.DecodePost(m.Value, bus.HeaderBytes(m, event.HeaderRaw), event.Limits{})
		if err != nil {
			return fmt.Errorf("write %s: %w", s.name(), err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		s.out.Write(append(b, '\n'))
	}
	if err := s.out.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", s.name(), err)
	}
	if s.f != nil {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("write %s: %w", s.name(), err)
		}
	}
	if len(dead) == 0 {
		return nil
	}
	if s.dead == nil {
		f, err := os.OpenFile(s.deadPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		s.dead = f
	}
	for _, d := range dead {
		b, err := json.Marshal(struct {
			Origin  string `json:"origin"`
			Kind    string `json:"kind"`
			Reason  string `json:"reason"`
			Payload string `json:"payload"`
		}{d.Source, d.Kind, d.Reason, string(d.Message.Value)})
		if err != nil {
			return err
		}
		if _, err := s.dead.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return s.dead.Sync()
}

func (s *fileSink) name() string {
	if s.f == nil {
		return "standard output"
	}
	return s.f.Name()
}

func (s *fileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.out.Flush()
	if s.f != nil {
		err = errors.Join(err, s.f.Close())
		s.f = nil
	}
	if s.dead != nil {
		err = errors.Join(err, s.dead.Close())
		s.dead = nil
	}
	return err
}

// cmdSources is `vigil sources`: the source types and their settings.
func cmdSources(_ context.Context, args []string, sio IO) error {
	fs := newFlagSet("sources", "List the source types a config's `sources:` may name, with their settings.",
		"  vigil sources\n  vigil sources mastodon      # one type", sio.Stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	all := sources.All()
	if fs.NArg() > 0 {
		var pick []sources.Type
		for _, name := range fs.Args() {
			t, err := sources.Lookup(name)
			if err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			pick = append(pick, t)
		}
		all = pick
	}
	w := tabwriter.NewWriter(sio.Stdout, 2, 8, 2, ' ', 0)
	network := false
	for _, t := range all {
		fmt.Fprintf(w, "%s\t%s\n", t.Name, t.Summary)
		fmt.Fprintf(w, "  name\tthe source's name (required, unique; in metrics and cursors)\n")
		for _, s := range t.Settings {
			fmt.Fprintf(w, "  %s\t%s\n", s[0], s[1])
		}
		if t.Network {
			network = true
			d := t.Defaults
			fmt.Fprintf(w, "  (network settings)\tdefaults: base_url %s, interval %v, rate_limit %d per %v, concurrency %d\n",
				d.BaseURL, d.Interval, d.RateLimit.Requests, d.RateLimit.Per, d.Concurrency)
		}
		fmt.Fprintln(w)
	}
	if network {
		fmt.Fprintln(w, "Every network source also takes:")
		for _, s := range sources.Common {
			fmt.Fprintf(w, "  %s\t%s\n", s[0], s[1])
		}
	}
	return w.Flush()
}
