package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// benchResult is what `vigil bench pipeline --json` prints.
type benchResult struct {
	Posts         int     `json:"posts"`
	Rate          int     `json:"target_rate"`
	Seconds       float64 `json:"seconds"`
	PostsPerSec   float64 `json:"posts_per_second"`
	P50Millis     float64 `json:"p50_ms"`
	P99Millis     float64 `json:"p99_ms"`
	MaxMillis     float64 `json:"max_ms"`
	Partitions    int     `json:"partitions"`
	RawBytes      int     `json:"raw_bytes"`
	GOMAXPROCS    int     `json:"gomaxprocs"`
	FlaggedShare  float64 `json:"flagged_share"`
	StoredPosts   int     `json:"stored_posts"`
	StoredFlags   int     `json:"stored_flags"`
	IngestToStore string  `json:"delay_measured"`
}

func cmdBench(ctx context.Context, args []string, sio IO) error {
	if len(args) > 0 && args[0] == "pack" {
		return cmdBenchPack(ctx, args[1:], sio)
	}
	if len(args) == 0 || args[0] != "pipeline" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(sio.Stderr, "Usage:\n  vigil bench pipeline [--posts N] [--rate R] [--json]\n  vigil bench pack [--posts N] [--accounts N] [--runs N] [--json]")
			return nil
		}
		return fmt.Errorf("%w: want \"vigil bench pipeline\" or \"vigil bench pack\"", errUsage)
	}
	fs := newFlagSet("bench pipeline", "Measure the whole embedded pipeline: a generated stream of synthetic posts\n"+
		"goes through ingest, the embedded broker, classify (the demo lexicon) and the\n"+
		"store (SQLite), and the command reports posts per second end to end and the\n"+
		"p50/p99 delay from capture by ingest to the store's write.",
		"  vigil bench pipeline --posts 200000                 # as fast as it goes\n"+
			"  vigil bench pipeline --posts 300000 --rate 10000    # sustained 10,000 posts/s", sio.Stderr)
	var (
		n       = fs.Int("posts", 100_000, "Posts to send.")
		rate    = fs.Int("rate", 0, "Posts per second to offer (0: as fast as ingest goes).")
		rawSize = fs.Int("raw-bytes", 0, "Pad each post's raw payload with an unknown field to about this many bytes, like a platform's full payload (0: about 200 bytes).")
		parts   = fs.Int("partitions", 4, "Partitions of the topics.")
		dataDir = fs.String("data-dir", "", "Data directory (default: a new temporary one, removed afterwards).")
		asJSON  = fs.Bool("json", false, "Print the result as JSON.")
		cpuProf = fs.String("cpuprofile", "", "Write a CPU profile of the run to this file.")
	)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("%w: --posts must be at least 1", errUsage)
	}
	dir := *dataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "vigil-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := benchPipeline(ctx, dir, *n, *rate, *rawSize, *parts, progressWriter(sio.Stderr))
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(sio.Stdout).Encode(res)
	}
	fmt.Fprintf(sio.Stdout, "%d posts in %.2fs: %.0f posts/s end to end; capture to stored p50 %.0f ms, p99 %.0f ms, max %.0f ms (offered rate %s, %d partitions)\n",
		res.Posts, res.Seconds, res.PostsPerSec, res.P50Millis, res.P99Millis, res.MaxMillis, rateString(res.Rate), res.Partitions)
	return nil
}

func rateString(r int) string {
	if r == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d/s", r)
}

// progressWriter returns w when it is a terminal, else nil.
func progressWriter(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return w
		}
	}
	return nil
}

func benchPipeline(ctx context.Context, dir string, n, rate, rawSize, partitions int, progress io.Writer) (*benchResult, error) {
	cfg, err := loadConfig("", func(string) string { return "" })
	if err != nil {
		return nil, err
	}
	cfg.DataDir, cfg.HTTP.Addr, cfg.Sources = dir, "127.0.0.1:0", nil
	cfg.Kafka.Partitions = partitions
	gen := &genSource{n: n, rate: rate, rawSize: rawSize, start: make(chan struct{}), release: make(chan struct{})}
	m := &Main{Config: cfg, Target: targetAll, Log: newLogger(io.Discard, 0), AdminToken: "bench", ExtraSources: []ingest.Source{gen}}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		return nil, err
	}
	db, err := sqlstore.Open(ctx, sqlstore.Config{Path: cfg.sqlitePath()})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// Warm up: the first post waits for the consumer groups to form, which
	// is start-up, not throughput. Measure from the second post on.
	close(gen.start)
	if err := waitPosts(ctx, db, 1, 2*time.Minute, nil); err != nil {
		return nil, err
	}
	close(gen.release)
	if err := waitPosts(ctx, db, n+1, 30*time.Minute, progress); err != nil {
		return nil, err
	}
	cancel()
	if err := <-done; err != nil {
		return nil, err
	}
	delays, first, last, err := db.CaptureDelays(ctx, "bench")
	if err != nil {
		return nil, err
	}
	slices.Sort(delays)
	q := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(p*float64(len(delays))))]) / float64(time.Millisecond)
	}
	posts, _ := db.CountPosts(ctx)
	flags, _ := db.CountFlags(ctx)
	secs := last.Sub(first).Seconds()
	return &benchResult{
		Posts: len(delays), Rate: rate, Seconds: secs, PostsPerSec: float64(len(delays)) / secs,
		P50Millis: q(0.50), P99Millis: q(0.99), MaxMillis: q(1), Partitions: partitions, RawBytes: rawSize,
		GOMAXPROCS: runtime.GOMAXPROCS(0), FlaggedShare: float64(flags) / float64(posts),
		StoredPosts: posts, StoredFlags: flags, IngestToStore: "stored_at - captured_at per post, from the store",
	}, nil
}

// waitPosts polls the store until it holds want posts.
func waitPosts(ctx context.Context, db *sqlstore.Store, want int, limit time.Duration, progress io.Writer) error {
	deadline := time.Now().Add(limit)
	for {
		got, err := db.CountPosts(ctx)
		if err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d posts stored", got, want)
		}
		if got >= want {
			if progress != nil {
				fmt.Fprintln(progress)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %d of %d posts stored after %s", got, want, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// genSource offers synthetic posts at a fixed rate (or as fast as taken):
// one warm-up post, then n posts once released.
type genSource struct {
	n, rate, rawSize int
	start            chan struct{}
	release          chan struct{}
}

func (g *genSource) Name() string { return "bench" }

// warmupID numbers the one post sent before measuring.
const warmupID = 1 << 30

var benchTexts = []string{
	"Market prices in the township rose again this week, traders say %d.",
	"ဒီနေ့ မိုးရွာမယ်လို့ ခန့်မှန်းထားတယ် %d",
	"Football tonight: the home side needs a win to stay up %d.",
	"Those people are vermin and should leave %d",
	"ကုလားထိုင်အသစ် ဝယ်လိုက်တယ် %d",
	"A new bridge opens on the river road next month %d.",
	"Time to wipe them out, the minority has had its chance %d",
	"The community kitchen feeds two hundred families every day %d.",
	"ဈေးနှုန်းတွေ တက်နေတယ် %d",
	"Rain expected across the delta this weekend %d.",
}

func (g *genSource) Run(ctx context.Context, out chan<- ingest.Item) error {
	emit := func(i int) bool {
		line := fmt.Appendf(nil, `{"platform":"x","id":"b%d","author":{"id":"u%d","handle":"bench_%d"},"text":%q,"created_at":"2026-11-01T08:00:00Z"`,
			i, i%1000, i%1000, fmt.Sprintf(benchTexts[i%len(benchTexts)], i))
		if pad := g.rawSize - len(line) - 12; pad > 0 {
			line = append(append(append(line, `,"_pad":"`...), strings.Repeat("p", pad)...), '"')
		}
		line = append(line, '}')
		p, err := event.ParsePost(line, event.Limits{})
		if i == warmupID {
			p.Source = "bench-warmup" // not measured
		}
		it := ingest.Item{Post: p, Err: err, Payload: line, Origin: "bench"}
		select {
		case out <- it:
			return true
		case <-ctx.Done():
			return false
		}
	}
	select {
	case <-g.start:
	case <-ctx.Done():
		return nil
	}
	if !emit(warmupID) {
		return nil
	}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil
	}
	begin := time.Now()
	for i := 0; i < g.n; i++ {
		if g.rate > 0 && i%100 == 0 {
			// Pace in steps of 100 posts against the wall clock.
			if d := time.Until(begin.Add(time.Duration(i) * time.Second / time.Duration(g.rate))); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return nil
				}
			}
		}
		if !emit(i) {
			return nil
		}
	}
	<-ctx.Done() // stay up so the pipeline is not told ingest ended
	return nil
}
