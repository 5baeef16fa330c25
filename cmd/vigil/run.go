package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/ratelimit/redisrate"
	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/classify"
	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/brands"
	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/classify/reload/redisnotify"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/redisstate"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/leases"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// The interfaces each role needs, checked against what cmd wires in.
var (
	_ event.ReadService   = (*sqlstore.Store)(nil)
	_ event.VerdictWriter = (*sqlstore.Store)(nil)
)

// Roles, chosen with --target.
const (
	targetAll      = "all"
	targetIngest   = "ingest"
	targetClassify = "classify"
	targetStore    = "store"
	targetAPI      = "api"
)

func cmdRun(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("run", "Run the pipeline. Without --kafka-brokers every role runs in this one process\n"+
		"with an embedded Kafka-protocol broker and SQLite under --data-dir; without\n"+
		"--config it runs the demo configuration and data embedded in the binary.",
		"  vigil run                                   # the demo on http://127.0.0.1:8080\n"+
			"  vigil run --config vigil.yaml --data-dir /var/lib/vigil\n"+
			"  vigil run --target=classify --kafka-brokers kafka-1:9092,kafka-2:9092", sio.Stderr)
	var (
		configPath = fs.String("config", "", "Configuration file (YAML). Default: the embedded demo configuration.")
		dataDir    = fs.String("data-dir", "", "Data directory: SQLite database, embedded broker log, cursors. Default ./data (env VIGIL_DATA_DIR).")
		httpAddr   = fs.String("http-addr", "", "Listen address of the API and console. Default 127.0.0.1:8080 (env VIGIL_HTTP_ADDR).")
		target     = fs.String("target", targetAll, "Role to run: all, ingest, classify, store or api.")
		brokers    = fs.String("kafka-brokers", "", "Comma-separated Kafka brokers; every role then uses this cluster instead of the embedded broker (env VIGIL_KAFKA_BROKERS).")
		postgres   = fs.String("postgres", "", "PostgreSQL connection string: the store and api roles use PostgreSQL instead of SQLite under --data-dir (env VIGIL_POSTGRES, config store.postgres).")
		debug      = fs.Bool("debug", false, "Log at debug level.")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath, sio.Getenv)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *httpAddr != "" {
		cfg.HTTP.Addr = *httpAddr
	}
	if *brokers != "" {
		cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	}
	if *postgres != "" {
		cfg.Store.Postgres = *postgres
	}
	switch *target {
	case targetAll, targetIngest, targetClassify, targetStore, targetAPI:
	default:
		return fmt.Errorf("%w: --target=%s: want all, ingest, classify, store or api", errUsage, *target)
	}
	if *target != targetAll && *target != targetAPI && len(cfg.Kafka.Brokers) == 0 {
		return fmt.Errorf("%w: --target=%s needs --kafka-brokers (only --target=all embeds a broker)", errUsage, *target)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	m := &Main{Config: cfg, Target: *target, Log: newLogger(sio.Stderr, level), AdminToken: sio.Getenv("VIGIL_ADMIN_TOKEN")}
	return m.Run(ctx)
}

// Main is one running Vigil process: the roles of its target, wired
// together. Tests build one directly and run it on port 0.
type Main struct {
	Config     *Config
	Target     string
	Log        *slog.Logger
	AdminToken string
	// ExtraSources run beside the configured ones (the benchmark's
	// generator).
	ExtraSources []ingest.Source

	// Registry is filled in by Run: every role's metrics.
	Registry *prometheus.Registry

	readyOnce    sync.Once
	ready        chan struct{}
	healthOnce   sync.Once
	ingestHealth *ingest.Health
	httpAddr     net.Addr
	brokers      []string
}

// Brokers are the Kafka brokers in use (the embedded one's address in the
// embedded mode), valid once Ready is closed.
func (m *Main) Brokers() []string { return m.brokers }

// Ready is closed once the roles are up and the API listens.
func (m *Main) Ready() <-chan struct{} {
	m.readyOnce.Do(func() { m.ready = make(chan struct{}) })
	return m.ready
}

// HTTPAddr is the API's address, valid once Ready is closed.
func (m *Main) HTTPAddr() net.Addr { return m.httpAddr }

func (m *Main) has(role string) bool { return m.Target == targetAll || m.Target == role }

// Run starts the roles and returns when ctx ends and every role has
// drained and closed (or one failed).
func (m *Main) Run(ctx context.Context) (err error) {
	cfg, log := m.Config, m.Log
	m.Ready() // make the channel before anyone waits on it
	m.Registry = prometheus.NewRegistry()
	reg := m.Registry
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "vigil", Name: "build_info",
			Help:        "Always 1: the Vigil version and the roles this process runs (all, ingest, classify, store or api).",
			ConstLabels: prometheus.Labels{"version": version(), "target": m.Target},
		}, func() float64 { return 1 }))
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	var closers []func()
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}()

	kcfg := cfg.Kafka
	if m.Target != targetAPI {
		if len(kcfg.Brokers) == 0 {
			emb, err := bus.StartEmbedded(filepath.Join(cfg.DataDir, "kafka"), 0, kcfg.Partitions)
			if err != nil {
				return err
			}
			closers = append(closers, emb.Close)
			kcfg.Brokers = emb.Brokers()
			log.Info("embedded Kafka broker started", "brokers", strings.Join(kcfg.Brokers, ","), "dir", filepath.Join(cfg.DataDir, "kafka"))
			// For `vigil replay` on the same data directory; removed on shutdown.
			removeAddr, err := writeKafkaAddr(cfg.DataDir, kcfg.Brokers)
			if err != nil {
				return err
			}
			closers = append(closers, removeAddr)
		}
		if err := kcfg.Validate(); err != nil {
			return err
		}
		if err := ensureTopics(ctx, kcfg); err != nil {
			return err
		}
		m.brokers = kcfg.Brokers
	}

	var db *sqlstore.Store
	if m.has(targetStore) || m.has(targetAPI) {
		scfg := cfg.storeConfig()
		db, err = sqlstore.Open(ctx, scfg)
		if err != nil {
			return err
		}
		log.Info("SQL store open", "store", scfg.String()) // no user or password
		closers = append(closers, func() { db.Close() })
	}

	// Every role is built first and started only once all are built, so a
	// role that cannot be built (a bad lexicon, a busy port) stops the
	// process before any other has started work.
	type runner struct {
		name string
		run  func(context.Context) error
	}
	var roles []runner
	role := func(name string, run func(context.Context) error) { roles = append(roles, runner{name, run}) }
	if m.has(targetStore) {
		dead := bus.NewDeadLetters(kcfg, targetStore, reg)
		closers = append(closers, func() { dead.Close() })
		c, err := store.NewConsumer(db, store.ConsumerConfig{Limits: cfg.Limits}, kcfg, dead, log, reg)
		if err != nil {
			return err
		}
		role(targetStore, c.Run)
	}
	if m.has(targetClassify) {
		cl, err := m.classifier()
		if err != nil {
			return err
		}
		dead := bus.NewDeadLetters(kcfg, targetClassify, reg)
		closers = append(closers, func() { dead.Close() })
		c, err := classify.NewConsumer(cl, classify.ConsumerConfig{Limits: cfg.Limits}, kcfg, dead, log, reg)
		if err != nil {
			return err
		}
		closers = append(closers, func() { c.Close() })
		role(targetClassify, c.Run)
		stop, err := m.lexiconReloads(c, cl, reg, role)
		if err != nil {
			return err
		}
		closers = append(closers, stop)
	}
	if m.has(targetIngest) {
		dedup, cursors, closeState, err := m.ingestState()
		if err != nil {
			return err
		}
		closers = append(closers, closeState)
		dead := bus.NewDeadLetters(kcfg, targetIngest, reg)
		closers = append(closers, func() { dead.Close() })
		in, err := ingest.New(ingest.Config{Health: m.health()}, kcfg, dead, dedup, log, reg)
		if err != nil {
			return err
		}
		closers = append(closers, func() { in.Close() })
		sources, err := m.sources(ingest.Env{Cursors: cursors, Health: in.Health(), Log: log})
		if err != nil {
			return err
		}
		role(targetIngest, func(ctx context.Context) error {
			if err := in.Run(ctx, sources...); err != nil {
				return err
			}
			log.Info("sources done", "sources", len(sources))
			return nil
		})
	}
	if m.has(targetAPI) {
		srv, ln, err := m.api(db, reg, &closers)
		if err != nil {
			return err
		}
		m.httpAddr = ln.Addr()
		log.Info("api listening", "url", "http://"+ln.Addr().String())
		role(targetAPI, func(ctx context.Context) error { return srv.Run(ctx, ln) })
	} else {
		var ready func(context.Context) error
		if db != nil {
			ready = db.Ping
		}
		run, ln, err := m.opsServer(reg, ready)
		if err != nil {
			return err
		}
		m.httpAddr = ln.Addr()
		log.Info("metrics and probes listening", "url", "http://"+ln.Addr().String()+"/metrics")
		role("ops", run)
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, r := range roles {
		g.Go(func() error {
			if err := r.run(gctx); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			log.Info("role stopped", "role", r.name)
			return nil
		})
	}
	close(m.ready)
	return g.Wait()
}

func ensureTopics(ctx context.Context, kcfg bus.Config) error {
	var err error
	for attempt := 0; attempt < 30; attempt++ {
		if err = bus.EnsureTopics(ctx, kcfg, event.TopicPosts, event.TopicFlags, event.TopicDeadLetter); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
	return err
}

// classifier loads the lexicons, account lists, domain lists, brand lists
// and gazetteers named in the config.
func (m *Main) classifier() (*classify.Classifier, error) {
	cfg := m.Config
	var lexs []*lexicon.Lexicon
	for _, p := range cfg.Classify.Lexicons {
		l, err := lexicon.Load(cfg.fsys, p)
		if err != nil {
			return nil, err
		}
		lexs = append(lexs, l)
	}
	lists, err := accounts.LoadFiles(cfg.fsys, cfg.Classify.Accounts...)
	if err != nil {
		return nil, err
	}
	doms, err := domains.LoadFiles(cfg.fsys, cfg.Classify.Domains...)
	if err != nil {
		return nil, err
	}
	brs, err := brands.LoadFiles(cfg.fsys, cfg.Classify.Brands...)
	if err != nil {
		return nil, err
	}
	gazs, err := gazetteer.LoadFiles(cfg.fsys, cfg.Classify.Gazetteer...)
	if err != nil {
		return nil, err
	}
	return classify.New(lexs, lists, classify.Options{Pipeline: "vigil " + version(), Domains: doms, Brands: brs, Gazetteers: gazs})
}

// lexiconReloads wires the classify role's reloads: a Reloader watching
// the files m.classifier reads, SIGHUP, and, when redis.addr is set, the
// reload notices of `vigil lexicon reload`. It adds their loops with role
// and returns what undoes the wiring once they have stopped.
func (m *Main) lexiconReloads(c *classify.Role, current *classify.Classifier, reg prometheus.Registerer, role func(string, func(context.Context) error)) (stop func(), err error) {
	cfg, log, files := m.Config, m.Log, m.classifierFiles()
	rl, err := classify.NewReloader(classify.ReloaderConfig{
		Build: m.classifier, Files: files, Swap: c.Swap, Current: current,
	}, log, reg)
	if err != nil {
		return nil, err
	}
	role("lexicon-reload", rl.Run)

	// Registered before any role starts, so that from then on SIGHUP
	// reloads instead of ending the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	role("lexicon-sighup", func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-hup:
				rl.Reload(classify.TriggerSignal, "SIGHUP")
			}
		}
	})
	stop = func() { signal.Stop(hup) }

	if cfg.Redis.Addr == "" {
		log.Info("lexicons reload on a file change or SIGHUP (no redis.addr: no reload notices)", "files_watched", len(files))
		return stop, nil
	}
	client := newRedisClient(cfg.Redis.Addr, log)
	role("lexicon-notices", func(ctx context.Context) error {
		return redisnotify.Subscribe(ctx, client, cfg.Redis.ReloadChannel, func(n redisnotify.Notice) {
			rl.Reload(classify.TriggerNotice, n.String())
		}, log.With("redis", cfg.Redis.Addr))
	})
	log.Info("lexicons reload on a file change, SIGHUP or a reload notice", "files_watched", len(files), "redis", cfg.Redis.Addr, "channel", cfg.Redis.ReloadChannel)
	return func() { signal.Stop(hup); client.Close() }, nil
}

// classifierFiles are the files m.classifier reads, as paths on disk;
// none for the embedded demo configuration. Keep it in step with
// m.classifier: a file it reads and this does not list is reloaded only on
// SIGHUP or a notice.
func (m *Main) classifierFiles() []string {
	cfg := m.Config
	dir, ok := cfg.fsys.(dirFS)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range slices.Concat(cfg.Classify.Lexicons, cfg.Classify.Accounts, cfg.Classify.Domains, cfg.Classify.Brands, cfg.Classify.Gazetteer) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(string(dir), p)
		}
		out = append(out, p)
	}
	return out
}

// sources builds the configured sources, and adds m.ExtraSources. env
// gives their cursors, health record and log; the rest comes from the
// config.
func (m *Main) sources(env ingest.Env) ([]ingest.Source, error) {
	cfg := m.Config
	env.Getenv, env.Limits, env.FS = cfg.getenv, cfg.Limits, cfg.fsys
	var out []ingest.Source
	for _, sc := range cfg.Sources {
		s, err := buildSource(sc, env)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return append(out, m.ExtraSources...), nil
}

// api builds the api role; what it opens that must be closed when the
// process ends (the review's statements, Redis clients) is appended to
// closers.
func (m *Main) api(db *sqlstore.Store, reg *prometheus.Registry, closers *[]func()) (*api.Server, net.Listener, error) {
	token := m.AdminToken
	if token == "" {
		var err error
		if token, err = m.writeAdminToken(); err != nil {
			return nil, nil, err
		}
	}
	cfg := api.Config{Addr: m.Config.HTTP.Addr, RateLimit: m.Config.HTTP.RateLimit}
	// Packs are signed with the keyring's active key (or
	// VIGIL_SIGNING_KEY); the embedded pipeline makes its first key
	// itself, so that the demo exports packs at once, while an api role
	// of its own waits for the operator's `vigil keys generate`.
	packs, notes, err := packSettings(m.Config, m.Target == targetAll)
	if err != nil {
		return nil, nil, err
	}
	for _, n := range notes {
		m.Log.Info("evidence packs: " + n)
	}
	deps := api.Deps{
		Read: db, Tokens: api.NewStoreTokens(db, token), TokenAdmin: db, Accounts: db, Cases: db, Gatherer: reg, Registerer: reg,
		Ready: db.Ping, Logger: m.Log, Version: version(),
		Detail:    func() []string { return m.health().Degraded(degradedAfter) },
		Evidence:  db,
		Packs:     packs,
		Takedowns: db,
		Queue:     db,
		Normalize: consoleNormalizer(),
	}
	// The review queue's leases: in Redis with redis.addr, so that every
	// api replica sees the same claims; in memory otherwise.
	var lease event.Leases = leases.NewMemory()
	if m.Config.Redis.Addr != "" {
		rc := newRedisClient(m.Config.Redis.Addr, m.Log)
		*closers = append(*closers, func() { rc.Close() })
		lease = leases.NewRedis(rc, "")
	}
	review := sqlstore.NewReview(db, lease, 0)
	*closers = append(*closers, func() { review.Close() })
	deps.Review = review
	if m.Config.Redis.Addr != "" && !cfg.RateLimit.Disabled() {
		// Every api replica spends from one budget per token.
		rc := newRedisClient(m.Config.Redis.Addr, m.Log)
		*closers = append(*closers, func() { rc.Close() })
		lim, err := redisrate.New(rc, cfg.RateLimit, redisrate.Options{})
		if err != nil {
			return nil, nil, err
		}
		deps.RateLimiter = lim
	}
	srv, err := api.New(cfg, deps)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", m.Config.HTTP.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	return srv, ln, nil
}

// consoleNormalizer is the classifier's text normalisation, for the
// console's "as the classifier sees it" view of a post; nil (the view says
// it is unavailable) if the normaliser cannot be built.
func consoleNormalizer() func(string) (string, []string) {
	norm, err := classify.NewMyanmarNormalizer()
	if err != nil {
		return nil
	}
	return func(text string) (string, []string) {
		n := norm.Normalize(text)
		return n.Text, n.Transforms
	}
}

// writeAdminToken makes a random admin token for a run without
// VIGIL_ADMIN_TOKEN, and writes it to a file only the owner can read
// rather than to the log.
func (m *Main) writeAdminToken() (string, error) {
	path := filepath.Join(m.Config.DataDir, "admin.token")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		m.Log.Info("VIGIL_ADMIN_TOKEN not set: using the admin token in the data directory", "file", path)
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write admin token: %w", err)
	}
	m.Log.Info("VIGIL_ADMIN_TOKEN not set: wrote a new admin token", "file", path)
	return token, nil
}

// degradedAfter is how many failures in a row put a source into the
// /readyz detail.
const degradedAfter = 3

// health returns the process's record of its sources' rounds (for the
// ingest role's metrics and the api role's /readyz), made once.
func (m *Main) health() *ingest.Health {
	m.healthOnce.Do(func() { m.ingestHealth = ingest.NewHealth(m.Registry) })
	return m.ingestHealth
}

// ingestState returns the ingest role's deduplication and cursors: in
// Redis when redis.addr is set (shared by every ingest replica), else a
// set in memory and a cursor file in the data directory.
func (m *Main) ingestState() (ingest.Deduper, ingest.Cursors, func(), error) {
	cfg := m.Config
	if cfg.Redis.Addr == "" {
		cursors, err := ingest.OpenFileCursors(filepath.Join(cfg.DataDir, "cursors.json"))
		if err != nil {
			return nil, nil, nil, err
		}
		return ingest.NewMemoryDeduper(cfg.Ingest.DedupTTL, 1_000_000), cursors, func() {}, nil
	}
	client := newRedisClient(cfg.Redis.Addr, m.Log)
	return redisstate.NewDeduper(client, cfg.Ingest.DedupPrefix, cfg.Ingest.DedupTTL),
		redisstate.NewCursors(client, cfg.Ingest.CursorPrefix), func() { client.Close() }, nil
}
