package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/classify"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// kafkaAddrFile is where `vigil run` writes the embedded broker's address
// while it runs, so that `vigil replay` on the same data directory finds it.
const kafkaAddrFile = "kafka.addr"

// writeKafkaAddr records the embedded broker's addresses in the data
// directory and returns the function that removes the record again.
func writeKafkaAddr(dataDir string, brokers []string) (remove func(), err error) {
	path := filepath.Join(dataDir, kafkaAddrFile)
	if err := os.WriteFile(path, []byte(strings.Join(brokers, ",")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write embedded broker address: %w", err)
	}
	return func() { os.Remove(path) }, nil
}

// Replay buckets: how a post's verdict under the new lexicons compares
// with its current verdict in the store.
const (
	bucketNewlyFlagged      = "newly flagged"
	bucketNoLongerFlagged   = "no longer flagged"
	bucketCategoriesChanged = "categories changed"
	bucketUnchanged         = "unchanged"
	bucketNotInStore        = "not in the store"
)

var bucketOrder = []string{bucketNewlyFlagged, bucketNoLongerFlagged, bucketCategoriesChanged, bucketUnchanged, bucketNotInStore}

// replayPost is one example in a bucket: what flags the post in its
// stored verdict (Old, nil when it is not stored) and in the new one, as
// the categories and, as "list:NAME", the account lists that fired.
type replayPost struct {
	Platform string   `json:"platform"`
	ID       string   `json:"id"`
	Old      []string `json:"old"`
	New      []string `json:"new"`
}

// replayBucket counts the posts of a bucket, with up to --show examples.
type replayBucket struct {
	Count    int          `json:"count"`
	Examples []replayPost `json:"examples"`
}

// replayReport is what `vigil replay` prints (--json: as is).
type replayReport struct {
	Lexicon     string `json:"lexicon"`
	LexiconHash string `json:"lexicon_hash,omitempty"`
	// NoLists is set when no account or domain list was used: a post
	// flagged only by one then shows as no longer flagged.
	NoLists    bool   `json:"no_lists,omitempty"`
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
	// Messages read; Posts classified (a post read twice counts once, in
	// Duplicates); Invalid messages that do not decode as posts.
	Messages   int `json:"messages"`
	Posts      int `json:"posts"`
	Duplicates int `json:"duplicates"`
	Invalid    int `json:"invalid"`

	NewlyFlagged      replayBucket `json:"newly_flagged"`
	NoLongerFlagged   replayBucket `json:"no_longer_flagged"`
	CategoriesChanged replayBucket `json:"categories_changed"`
	Unchanged         replayBucket `json:"unchanged"`
	NotInStore        replayBucket `json:"not_in_store"`

	// Changed is the posts of the first three buckets: the verdicts
	// --apply writes. Of those, SameLexicon come from the lexicons (and
	// hash) of the stored verdict and OtherPayload judged another payload
	// than the one stored: the store would not take them, so they are
	// never written.
	Changed      int `json:"changed"`
	SameLexicon  int `json:"same_lexicon"`
	OtherPayload int `json:"other_payload"`
	// Applied is set with --apply; Written verdicts went to vigil.flags.
	Applied bool `json:"applied"`
	Written int  `json:"written"`
}

func (r *replayReport) bucket(name string) *replayBucket {
	switch name {
	case bucketNewlyFlagged:
		return &r.NewlyFlagged
	case bucketNoLongerFlagged:
		return &r.NoLongerFlagged
	case bucketCategoriesChanged:
		return &r.CategoriesChanged
	case bucketUnchanged:
		return &r.Unchanged
	default:
		return &r.NotInStore
	}
}

func cmdReplay(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("replay", "Replay the posts topic from the beginning through new lexicons and report, against\n"+
		"the current verdicts in the store, which posts would be newly flagged, no longer\n"+
		"flagged, or flagged in other categories. Nothing is written unless --apply: then\n"+
		"each changed verdict goes to vigil.flags and the store role re-judges the post\n"+
		"(a flag a monitor has reviewed is kept, marked no longer flagged).\n"+
		"The posts are read with a consumer group of its own (vigil-replay-<nanoseconds>)\n"+
		"up to the end each partition had when the replay started. Kafka is --kafka-brokers,\n"+
		"VIGIL_KAFKA_BROKERS or the config's, else the embedded broker of a `vigil run` on\n"+
		"the same --data-dir (its address is in DATA_DIR/kafka.addr while it runs).",
		"  vigil replay --config examples/vigil.yaml --lexicon lexicon-2026-12.yaml   # beside the demo's `vigil run`\n"+
			"  vigil replay --config vigil.yaml --lexicon new.yaml --json | jq .newly_flagged\n"+
			"  vigil replay --config vigil.yaml --lexicon new.yaml --apply", sio.Stderr)
	var lexs, accs, doms, brs stringList
	fs.Var(&lexs, "lexicon", "Lexicon file (YAML) to replay with; repeatable, at least one.")
	fs.Var(&accs, "accounts", "Account-list file (CSV); repeatable. Default: those of --config.")
	fs.Var(&doms, "domains", "Domain-list file (CSV); repeatable. Default: those of --config.")
	fs.Var(&brs, "brands", "Brand-list file (CSV); repeatable. Default: those of --config.")
	var gazs stringList
	fs.Var(&gazs, "gazetteer", "Gazetteer file (YAML); repeatable. Default: those of --config (or of the demo configuration); places never change what is flagged.")
	var (
		configPath = fs.String("config", "", "Configuration file (YAML). Default: the embedded demo configuration.")
		dataDir    = fs.String("data-dir", "", "Data directory of the pipeline. Default ./data (env VIGIL_DATA_DIR).")
		brokers    = fs.String("kafka-brokers", "", "Comma-separated Kafka brokers (env VIGIL_KAFKA_BROKERS). Default: the config's, else the embedded broker of a running \"vigil run\" (DATA_DIR/kafka.addr).")
		sqlitePath = fs.String("sqlite", "", "SQLite database holding the current verdicts. Default DATA_DIR/vigil.db (env VIGIL_SQLITE).")
		postgres   = fs.String("postgres", "", "PostgreSQL connection string of the store holding the current verdicts, instead of SQLite (env VIGIL_POSTGRES, config store.postgres).")
		apply      = fs.Bool("apply", false, "Write each changed verdict to vigil.flags, for the store role to apply.")
		asJSON     = fs.Bool("json", false, "Print the report as JSON.")
		show       = fs.Int("show", 20, "Example posts listed per bucket.")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(lexs) == 0 {
		return fmt.Errorf("%w: at least one --lexicon is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *show < 0 {
		return fmt.Errorf("%w: --show must not be negative", errUsage)
	}
	cfg, err := loadConfig(*configPath, sio.Getenv)
	if err != nil {
		return err
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if *sqlitePath != "" && *postgres != "" {
		return fmt.Errorf("%w: give --sqlite or --postgres, not both", errUsage)
	}
	if *sqlitePath != "" {
		cfg.Store.SQLite = *sqlitePath
		cfg.Store.Postgres = "" // the flag over VIGIL_POSTGRES and the file
	}
	if *postgres != "" {
		cfg.Store.Postgres = *postgres
	}
	if cfg.Store.Postgres != "" {
		sc := cfg.storeConfig()
		if err := sc.Validate(); err != nil { // before the long part; no password in it
			return fmt.Errorf("store: %w", err)
		}
	}
	if *brokers != "" {
		cfg.Kafka.Brokers = strings.Split(*brokers, ",")
	}

	c, lists, err := replayClassifier(cfg, *configPath != "", lexs, accs, doms, brs, gazs)
	if err != nil {
		return err
	}
	kcfg, addrFile, err := replayKafka(cfg)
	if err != nil {
		return err
	}
	scfg := cfg.storeConfig()
	path := scfg.String() // names the store in the report, without a password
	if scfg.Postgres == "" {
		path = scfg.Path
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no store at %s (give --sqlite, --data-dir or --postgres): %w", path, err)
		}
	}
	db, err := sqlstore.Open(ctx, scfg)
	if err != nil {
		return err
	}
	defer db.Close()

	rp := &replayer{c: c, db: db, limits: cfg.Limits, show: *show,
		report: replayReport{Lexicon: c.Lexicon(), Topic: event.TopicPosts, NoLists: !lists, Applied: *apply},
		seen:   map[sqlstore.PostKey]bool{}}
	if *apply {
		rp.flags = bus.NewWriter(kcfg, event.TopicFlags)
		defer rp.flags.Close()
	}
	var progress func(read, total int64)
	if isTerminal(sio.Stderr) {
		last := time.Now()
		progress = func(read, total int64) {
			if time.Since(last) >= time.Second {
				last = time.Now()
				fmt.Fprintf(sio.Stderr, "\rreplay: %d of %d messages", read, total)
			}
		}
	}
	group := "vigil-replay-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	parts, err := readToEnd(ctx, kcfg, event.TopicPosts, group, 500, rp.batch, progress)
	if progress != nil {
		fmt.Fprint(sio.Stderr, "\r\033[K")
	}
	if errors.Is(err, errUnreachable) && addrFile != "" {
		return fmt.Errorf("%w (the address is from %s: is `vigil run` still running?)", err, addrFile)
	}
	if err != nil {
		return err
	}
	rp.report.Partitions = parts
	rp.finish()
	if *asJSON {
		enc := json.NewEncoder(sio.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&rp.report); err != nil {
			return err
		}
	} else {
		printReplay(sio.Stdout, &rp.report, path)
	}
	r := &rp.report
	done := "nothing written"
	if r.Applied {
		done = fmt.Sprintf("%d verdicts written to %s", r.Written, event.TopicFlags)
	}
	fmt.Fprintf(sio.Stderr, "replay: %d posts: %d newly flagged, %d no longer flagged, %d categories changed, %d not in the store; %s\n",
		r.Posts, r.NewlyFlagged.Count, r.NoLongerFlagged.Count, r.CategoriesChanged.Count, r.NotInStore.Count, done)
	return nil
}

// replayClassifier builds the classifier to replay with, with the code
// `vigil run` builds its own with: the lexicons given, and the account and
// domain lists given or else, with --config (fromFile), the config's; the
// gazetteers given or else the config's (the demo's too: places change no
// flag, and a verdict replayed without them would lose its regions). It
// also reports whether any list is used.
func replayClassifier(cfg *Config, fromFile bool, lexs, accs, doms, brs, gazs []string) (*classify.Classifier, bool, error) {
	abs := func(ps []string) ([]string, error) {
		out := make([]string, len(ps))
		for i, p := range ps {
			a, err := filepath.Abs(p)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
	c := *cfg
	c.fsys = diskOr{cfg.fsys}
	if !fromFile {
		c.Classify.Accounts, c.Classify.Domains, c.Classify.Brands = nil, nil, nil
	}
	var err error
	if c.Classify.Lexicons, err = abs(lexs); err != nil {
		return nil, false, err
	}
	if len(accs) > 0 {
		if c.Classify.Accounts, err = abs(accs); err != nil {
			return nil, false, err
		}
	}
	if len(doms) > 0 {
		if c.Classify.Domains, err = abs(doms); err != nil {
			return nil, false, err
		}
	}
	if len(brs) > 0 {
		if c.Classify.Brands, err = abs(brs); err != nil {
			return nil, false, err
		}
	}
	if len(gazs) > 0 {
		if c.Classify.Gazetteer, err = abs(gazs); err != nil {
			return nil, false, err
		}
	}
	cl, err := (&Main{Config: &c}).classifier()
	return cl, len(c.Classify.Accounts)+len(c.Classify.Domains)+len(c.Classify.Brands) > 0, err
}

// diskOr opens absolute names from disk and others from its FS, so that
// files named on the command line join those of a configuration.
type diskOr struct{ fs.FS }

func (d diskOr) Open(name string) (fs.File, error) {
	if filepath.IsAbs(name) {
		return os.Open(name)
	}
	return d.FS.Open(name)
}

// errNoKafka is returned when replay finds no Kafka to read.
var errNoKafka = errors.New("no Kafka: start `vigil run` or pass --kafka-brokers")

// errUnreachable is returned when Kafka does not answer.
var errUnreachable = errors.New("cannot reach Kafka")

// replayKafka finds Kafka: the brokers given (flag, environment, config),
// else the address a running `vigil run` wrote in the data directory, in
// which case it returns that file's path too.
func replayKafka(cfg *Config) (kcfg bus.Config, addrFile string, err error) {
	kcfg = cfg.Kafka
	if len(kcfg.Brokers) == 0 {
		addrFile = filepath.Join(cfg.DataDir, kafkaAddrFile)
		b, err := os.ReadFile(addrFile)
		if errors.Is(err, fs.ErrNotExist) {
			return kcfg, "", fmt.Errorf("%w (no brokers configured, and no %s)", errNoKafka, addrFile)
		}
		if err != nil {
			return kcfg, "", err
		}
		for _, a := range strings.Split(strings.TrimSpace(string(b)), ",") {
			if a = strings.TrimSpace(a); a != "" {
				kcfg.Brokers = append(kcfg.Brokers, a)
			}
		}
		if len(kcfg.Brokers) == 0 {
			return kcfg, "", fmt.Errorf("%w (%s is empty)", errNoKafka, addrFile)
		}
	}
	if err := kcfg.Validate(); err != nil {
		return kcfg, "", err
	}
	return kcfg, addrFile, nil
}

// replayIdleTimeout bounds the wait for the next message of a partition
// not yet read to its end (joining the group takes a few seconds).
const replayIdleTimeout = time.Minute

// readToEnd reads topic with a consumer group of its own from the first
// offset of every partition up to the end offset the partition had when
// it was called, handing batches of at most batchSize messages to fn. It
// commits nothing. It returns the topic's partition count.
func readToEnd(ctx context.Context, kcfg bus.Config, topic, group string, batchSize int,
	fn func(context.Context, []kafka.Message) error, progress func(read, total int64)) (int, error) {
	client := &kafka.Client{Addr: kafka.TCP(kcfg.Brokers...), Timeout: 10 * time.Second}
	meta, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return 0, fmt.Errorf("%w at %s: %w", errUnreachable, strings.Join(kcfg.Brokers, ","), err)
	}
	var parts []kafka.OffsetRequest
	for _, t := range meta.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return 0, fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			parts = append(parts, kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID))
		}
	}
	if len(parts) == 0 {
		return 0, fmt.Errorf("topic %s not found: nothing has been ingested yet", topic)
	}
	offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: parts}})
	if err != nil {
		return 0, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	end := map[int]int64{} // partitions still to read, to their end offset
	var total int64
	for _, po := range offs.Topics[topic] {
		if po.Error != nil {
			return 0, fmt.Errorf("offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		if po.LastOffset > po.FirstOffset {
			end[po.Partition] = po.LastOffset
			total += po.LastOffset - po.FirstOffset
		}
	}
	n := len(parts) / 2
	if len(end) == 0 {
		return n, nil
	}

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           kcfg.Brokers,
		GroupID:           group,
		Topic:             topic,
		MinBytes:          1,
		MaxBytes:          16 << 20,
		MaxWait:           250 * time.Millisecond,
		QueueCapacity:     batchSize * 2,
		SessionTimeout:    kcfg.SessionTimeout,
		HeartbeatInterval: time.Second,
		RebalanceTimeout:  kcfg.SessionTimeout + 4*time.Second,
		JoinGroupBackoff:  500 * time.Millisecond,
		ReadBackoffMin:    50 * time.Millisecond,
		ReadBackoffMax:    time.Second,
		StartOffset:       kafka.FirstOffset,
	})
	defer r.Close()
	var read int64
	batch := make([]kafka.Message, 0, batchSize)
	for len(end) > 0 {
		fctx, cancel := context.WithTimeout(ctx, replayIdleTimeout)
		m, err := r.FetchMessage(fctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			left := slices.Sorted(maps.Keys(end))
			return n, fmt.Errorf("read %s: no message for %s while partitions %v had not reached their end offsets", topic, replayIdleTimeout, left)
		}
		if err != nil {
			return n, fmt.Errorf("read %s: %w", topic, err)
		}
		last, ok := end[m.Partition]
		if !ok || m.Offset >= last {
			continue // a partition already read to its end
		}
		batch = append(batch, m)
		read++
		if m.Offset >= last-1 {
			delete(end, m.Partition)
		}
		if len(batch) == batchSize || len(end) == 0 {
			if err := fn(ctx, batch); err != nil {
				return n, err
			}
			batch = batch[:0]
		}
		if progress != nil {
			progress(read, total)
		}
	}
	return n, nil
}

// replayer classifies batches of posts and compares each verdict with the
// post's current verdict in the store.
type replayer struct {
	c      *classify.Classifier
	db     *sqlstore.Store
	flags  *bus.Writer // nil unless --apply
	limits event.Limits
	show   int
	report replayReport
	seen   map[sqlstore.PostKey]bool
}

func (rp *replayer) batch(ctx context.Context, msgs []kafka.Message) error {
	r := &rp.report
	r.Messages += len(msgs)
	type item struct {
		m kafka.Message
		p event.Post
		v event.Verdict
	}
	var items []item
	for _, m := range msgs {
		p, err := event.DecodePost(m.Value, bus.HeaderBytes(m, event.HeaderRaw), rp.limits)
		if err != nil {
			r.Invalid++ // the classify role sent it to the dead-letter topic
			continue
		}
		k := sqlstore.PostKey{Platform: p.Platform, ID: p.ID}
		if rp.seen[k] {
			r.Duplicates++
			continue
		}
		rp.seen[k] = true
		items = append(items, item{m: m, p: p})
	}
	// Classify in parallel; the classifier is safe for concurrent use.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), max(1, len(items))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				items[i].v = rp.c.Classify(&items[i].p)
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()

	keys := make([]sqlstore.PostKey, len(items))
	for i := range items {
		keys[i] = sqlstore.PostKey{Platform: items[i].p.Platform, ID: items[i].p.ID}
	}
	stored, err := rp.db.FindVerdicts(ctx, keys)
	if err != nil {
		return err
	}
	var out []kafka.Message
	for i := range items {
		v := &items[i].v
		r.Posts++
		if r.LexiconHash == "" {
			r.LexiconHash = v.LexiconHash
		}
		old := stored[keys[i]]
		name := compareVerdicts(old, v)
		b := r.bucket(name)
		b.Count++
		if len(b.Examples) < rp.show {
			ex := replayPost{Platform: v.Post.Platform, ID: v.Post.ID, New: flaggedBy(v)}
			if old != nil {
				ex.Old = flaggedBy(old)
			}
			b.Examples = append(b.Examples, ex)
		}
		if name == bucketUnchanged || name == bucketNotInStore {
			continue
		}
		r.Changed++
		switch {
		case old.Lexicon == v.Lexicon && old.LexiconHash == v.LexiconHash:
			r.SameLexicon++
			continue
		case old.Post.RawSHA256 != v.Post.RawSHA256:
			r.OtherPayload++
			continue
		}
		if rp.flags == nil {
			continue
		}
		body, raw, err := event.EncodeVerdict(v)
		if err != nil {
			return fmt.Errorf("encode verdict on %s: %w", v.Post.Ref(), err)
		}
		out = append(out, bus.Message(string(items[i].m.Key), body, raw))
	}
	if len(out) > 0 {
		if err := rp.flags.Write(ctx, out...); err != nil {
			return err
		}
		r.Written += len(out)
	}
	return nil
}

// finish sorts each bucket's examples, for a stable report.
func (rp *replayer) finish() {
	for _, name := range bucketOrder {
		b := rp.report.bucket(name)
		slices.SortFunc(b.Examples, func(a, b replayPost) int {
			return strings.Compare(a.Platform+"/"+a.ID, b.Platform+"/"+b.ID)
		})
		if b.Examples == nil {
			b.Examples = []replayPost{}
		}
	}
}

// compareVerdicts names the bucket of a post whose stored verdict is old
// (nil when the post is not stored) and whose new verdict is v.
func compareVerdicts(old, v *event.Verdict) string {
	switch {
	case old == nil:
		return bucketNotInStore
	case !old.Flagged && v.Flagged:
		return bucketNewlyFlagged
	case old.Flagged && !v.Flagged:
		return bucketNoLongerFlagged
	case old.Flagged && !slices.Equal(flaggedBy(old), flaggedBy(v)):
		return bucketCategoriesChanged
	}
	return bucketUnchanged
}

// flaggedBy is what flags the post in a verdict, sorted: its categories
// and, as "list:NAME", the account lists its author is on. Empty when the
// verdict does not flag the post.
func flaggedBy(v *event.Verdict) []string {
	out := []string{}
	if !v.Flagged {
		return out
	}
	out = append(out, v.Categories...)
	for _, l := range v.Lists {
		out = append(out, "list:"+l.List)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func printReplay(w io.Writer, r *replayReport, store string) {
	fmt.Fprintf(w, "Replayed %s (%d partitions, %d messages, %d posts) with %s", r.Topic, r.Partitions, r.Messages, r.Posts, r.Lexicon)
	if r.LexiconHash != "" {
		fmt.Fprintf(w, " (%s)", r.LexiconHash)
	}
	fmt.Fprintf(w, "\nagainst the current verdicts in %s.\n", store)
	if r.NoLists {
		fmt.Fprintln(w, "No account or domain lists were used (give --config, --accounts or --domains): a post\n"+
			"flagged only by a list shows as no longer flagged.")
	}
	if r.Duplicates > 0 {
		fmt.Fprintf(w, "Posts read more than once, counted once: %d.\n", r.Duplicates)
	}
	if r.Invalid > 0 {
		fmt.Fprintf(w, "Messages skipped as not valid posts (the classify role dead-letters them): %d.\n", r.Invalid)
	}
	fmt.Fprintln(w)
	for _, name := range bucketOrder {
		fmt.Fprintf(w, "  %-20s %6d\n", name, r.bucket(name).Count)
	}
	cats := func(cs []string) string {
		if len(cs) == 0 {
			return "-"
		}
		return strings.Join(cs, ", ")
	}
	width := 24
	for _, name := range bucketOrder {
		for _, e := range r.bucket(name).Examples {
			width = max(width, len(e.Platform)+1+len(e.ID))
		}
	}
	for _, name := range bucketOrder {
		b := r.bucket(name)
		if len(b.Examples) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s%s", strings.ToUpper(name[:1]), name[1:])
		if len(b.Examples) < b.Count {
			fmt.Fprintf(w, " (%d of %d)", len(b.Examples), b.Count)
		}
		fmt.Fprintln(w, ":")
		for _, e := range b.Examples {
			old := "(not stored)"
			if name != bucketNotInStore {
				old = cats(e.Old)
			}
			fmt.Fprintf(w, "  %-*s %s → %s\n", width, e.Platform+"/"+e.ID, old, cats(e.New))
		}
	}
	fmt.Fprintln(w)
	if r.SameLexicon > 0 {
		fmt.Fprintf(w, "%d changed verdicts come from the same lexicon versions (and hash) as the stored ones, and\n"+
			"the store re-judges a post only with other lexicons: give the changed lexicon a new version.\n", r.SameLexicon)
	}
	if r.OtherPayload > 0 {
		fmt.Fprintf(w, "%d changed verdicts judged another payload than the one stored and are not applied.\n", r.OtherPayload)
	}
	applicable := r.Changed - r.SameLexicon - r.OtherPayload
	if r.Applied {
		fmt.Fprintf(w, "Applied: %d verdicts written to %s; the store role re-judges those posts\n"+
			"(a flag already reviewed is kept, marked no longer flagged).\n", r.Written, event.TopicFlags)
	} else {
		fmt.Fprintf(w, "Nothing written. --apply writes the %d changed verdicts to %s, where the store\n"+
			"role re-judges those posts.\n", applicable, event.TopicFlags)
	}
}

// isTerminal reports whether w is a terminal, for progress output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
