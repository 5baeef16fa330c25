package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/internal/pgtest"
	"github.com/vigilhq/vigil/store/leases"
)

// BenchmarkReviewLoad measures the review workflow on PostgreSQL with a
// large queue: it seeds VIGIL_BENCH_FLAGS flagged posts (default
// 1,000,000) from 50,000 authors through WriteVerdicts, then for
// VIGIL_BENCH_SECONDS (default 60) runs 20 monitors, each claiming 25
// flags by severity and deciding them one by one (confirm and dismiss
// alternately), beside 4 readers listing flagged accounts (100 a page, at
// varying offsets and platforms). It reports p50/p90/p99/max latency per
// operation, first with in-process leases, then with Redis leases at
// 127.0.0.1:6379 (VIGIL_BENCH_REDIS=off leaves that out).
//
// It takes minutes and is meant to be run on its own:
//
//	cd store && GOWORK=off go test -run '^$' -bench ReviewLoad -benchtime 1x -timeout 60m ./sqlstore/
//
// See BENCHMARKS.md. All data is synthetic.
func BenchmarkReviewLoad(b *testing.B) {
	flags := benchEnvInt(b, "VIGIL_BENCH_FLAGS", 1_000_000)
	seconds := benchEnvInt(b, "VIGIL_BENCH_SECONDS", 60)
	// VIGIL_BENCH_THINK_MS, when set, is a pause before each decision
	// and between two account pages (a person reading), drawn from half
	// to one and a half times the value: without it every goroutine runs
	// back to back, a stress test of the store. A list ("0,1000") runs
	// one pass for each, on the same data.
	benchReaders = benchEnvIntZero(b, "VIGIL_BENCH_READERS", 4)
	thinks := benchThinks(b)
	const authors = 50_000
	ctx := context.Background()

	dsn, _ := pgtest.Schema(b)
	// The default pools (read: GOMAXPROCS, at least 4; write: 4), as
	// the api runs with.
	s := openConfig(b, Config{Postgres: dsn})

	start := time.Now()
	seedReviewBench(b, s, flags, authors)
	seeded := time.Since(start)
	start = time.Now()
	// What autovacuum does to a table after a large insert (PostgreSQL
	// 13 and later vacuum after inserts too): statistics, and the
	// visibility map that lets an index-only scan skip the table.
	s.exec(b, "VACUUM ANALYZE")
	// And a checkpoint, so that the first pass does not pay for writing
	// out the seed's dirty pages: a store in use has had its
	// checkpoints.
	s.exec(b, "CHECKPOINT")
	analyzed := time.Since(start)
	posts, nflags := counts(b, s)
	var nauthors int
	if err := s.queryRow("SELECT count(*) FROM accounts").Scan(&nauthors); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d posts, %d flags, %d accounts in %s (%.0f flags/s); VACUUM ANALYZE and CHECKPOINT %s",
		posts, nflags, nauthors, seeded.Round(time.Second), float64(nflags)/seeded.Seconds(), analyzed.Round(time.Millisecond))
	b.ReportMetric(seeded.Seconds(), "seed-s")

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runs := []struct {
			name   string
			leases func(b *testing.B) event.Leases
		}{
			{"memory", func(*testing.B) event.Leases { return leases.NewMemory() }},
		}
		if os.Getenv("VIGIL_BENCH_REDIS") != "off" {
			runs = append(runs, struct {
				name   string
				leases func(b *testing.B) event.Leases
			}{"redis", benchRedisLeases})
		}
		for _, think := range thinks {
			for _, run := range runs {
				r := NewReview(s, run.leases(b), 10*time.Minute)
				res := reviewLoad(ctx, b, s, r, time.Duration(seconds)*time.Second, think)
				r.Close()
				b.Logf("leases=%s, %d s, %d monitors, %d account readers, think %s:\n%s", run.name, seconds, benchMonitors, benchReaders, think, res.table())
				for _, op := range benchOps {
					st := res.stats(op)
					for _, q := range []struct {
						name string
						v    time.Duration
					}{{"p50", st.p50}, {"p99", st.p99}, {"max", st.max}} {
						b.ReportMetric(ms(q.v), fmt.Sprintf("%s-think%dms-%s-%s-ms", run.name, think.Milliseconds(), op, q.name))
					}
				}
				if len(res.errs) > 0 {
					b.Errorf("leases=%s: %d operations failed, first: %v", run.name, len(res.errs), res.errs[0])
				}
			}
		}
	}
	b.StopTimer()
	explainReviewBench(b, s)
}

// explainReviewBench logs the plans of a claim's candidate query and of a
// deep page of flagged accounts, as they run after the load.
func explainReviewBench(b *testing.B, s *Store) {
	q := &flagQuery{f: event.FlagFilter{Sort: event.SortSeverity}, claimable: event.StatusPending,
		now: time.Now().UTC(), limit: claimPage(benchClaim), keys: true}
	claimSQL, claimArgs := q.build(s.d)
	plans := []struct {
		name, sql string
		args      []any
	}{
		{"claim candidates (severity, pending)", claimSQL, claimArgs},
		{"flagged accounts' keys, platform x, offset 900", `SELECT platform, account_id
	FROM accounts WHERE flag_count > 0 AND platform = ?
	ORDER BY flag_count DESC, last_seen DESC, platform DESC, account_id DESC LIMIT ? OFFSET ?`, []any{"x", 100, 900}},
		{"flagged accounts' keys, by cursor, four fifths into the list", `SELECT platform, account_id
	FROM accounts WHERE flag_count > 0 AND (flag_count, last_seen, platform, account_id) < (?, ?, ?, ?)
	ORDER BY flag_count DESC, last_seen DESC, platform DESC, account_id DESC LIMIT ?`, append(deepCursor(b, s), 100)},
	}
	for _, p := range plans {
		rows, err := s.read.Query("EXPLAIN (ANALYZE, BUFFERS) "+s.d.rebind(p.sql), p.args...)
		if err != nil {
			b.Errorf("explain %s: %v", p.name, err)
			continue
		}
		var sb strings.Builder
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Error(err)
			}
			sb.WriteString(line + "\n")
		}
		rows.Close()
		b.Logf("EXPLAIN ANALYZE %s:\n%s\n%s", p.name, s.d.rebind(p.sql), sb.String())
	}
}

// deepCursor returns the position of the flagged account four fifths
// into the list, as arguments for a row comparison.
func deepCursor(b *testing.B, s *Store) []any {
	var n, fc int
	if err := s.queryRow("SELECT count(*) FROM accounts WHERE flag_count > 0").Scan(&n); err != nil {
		b.Fatal(err)
	}
	n = n * 4 / 5
	var seen, platform, id string
	err := s.queryRow(`SELECT flag_count, last_seen, platform, account_id FROM accounts WHERE flag_count > 0
	ORDER BY flag_count DESC, last_seen DESC, platform DESC, account_id DESC LIMIT 1 OFFSET ?`, n).Scan(&fc, &seen, &platform, &id)
	if err != nil {
		b.Fatal(err)
	}
	return []any{fc, seen, platform, id}
}

// benchReaders is how many goroutines list accounts (VIGIL_BENCH_READERS,
// default 4; 0 for none).
var benchReaders = 4

const (
	benchMonitors = 20
	benchClaim    = 25
)

var benchOps = []string{"claim", "decide", "accounts"}

// benchAnalyze refreshes the planner's statistics after a seed, as a
// store in use has them: VACUUM ANALYZE on PostgreSQL (the visibility map
// too, as autovacuum keeps it), ANALYZE on SQLite.
func benchAnalyze(b *testing.B, s *Store) {
	if s.d == &postgresDialect {
		s.exec(b, "VACUUM ANALYZE")
	} else {
		s.exec(b, "ANALYZE")
	}
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := strings.ReplaceAll(os.Getenv(name), "_", "")
	v = strings.ReplaceAll(v, ",", "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, os.Getenv(name))
	}
	return n
}

func benchEnvIntZero(b *testing.B, name string, def int) int {
	if os.Getenv(name) == "0" {
		return 0
	}
	return benchEnvInt(b, name, def)
}

// benchThinks reads VIGIL_BENCH_THINK_MS: a comma-separated list of think
// times in milliseconds (default 0), one pass of the load for each.
func benchThinks(b *testing.B) []time.Duration {
	v := os.Getenv("VIGIL_BENCH_THINK_MS")
	if v == "" {
		return []time.Duration{0}
	}
	var out []time.Duration
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			b.Fatalf("VIGIL_BENCH_THINK_MS=%q: want milliseconds, comma-separated", v)
		}
		out = append(out, time.Duration(n)*time.Millisecond)
	}
	return out
}

// jitter returns a duration drawn evenly from [d/2, 3d/2), so that paced
// goroutines do not run in step.
func jitter(rng *rand.Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(rng.Int64N(int64(d)))
}

// pause sleeps for d, or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func benchRedisLeases(b *testing.B) event.Leases {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	b.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		b.Fatalf("redis at 127.0.0.1:6379 (VIGIL_BENCH_REDIS=off to leave it out): %v", err)
	}
	return leases.NewRedis(c, fmt.Sprintf("vigil-bench-%x:", rand.Uint64()))
}

// seedReviewBench writes n flagged verdicts by authors distinct authors,
// in batches of 1,000 from two writers, as the store's consumers would.
// Scores, categories, platforms and list hits vary so that the queue's
// orders and filters have something to sort.
func seedReviewBench(b *testing.B, s *Store, n, authors int, extra ...func(k int) []option) {
	const batch, writers = 1000, 2
	cats := [][]string{{"hate"}, {"incitement"}, {"hate", "incitement"}, {"violence"}, {"dehumanisation", "violence"}}
	next := make(chan int)
	go func() {
		for first := 0; first < n; first += batch {
			next <- first
		}
		close(next)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range next {
				size := min(batch, n-first)
				vs := make([]event.Verdict, size)
				for i := range vs {
					k := first + i
					platform := "x"
					if k%4 == 3 {
						platform = "mastodon"
					}
					author := itoa(k * 7919 % authors)
					opts := []option{flagged(cats[k%len(cats)]...)}
					if k%30 == 0 {
						opts = append(opts, onLists("watch"))
					}
					for _, e := range extra {
						opts = append(opts, e(k)...)
					}
					vs[i] = newVerdict(platform, itoa(k), author, k%200000, opts...)
					vs[i].Score = 1 + float64(k*31%97)/10
				}
				if err := s.WriteVerdicts(context.Background(), vs); err != nil {
					errs <- err
					for range next { // drain
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("seed: WriteVerdicts: %v", err)
	}
}

type loadResult struct {
	lat  map[string][]time.Duration
	errs []error
}

type latStats struct {
	n                  int
	p50, p90, p99, max time.Duration
}

func (r *loadResult) stats(op string) latStats {
	d := slices.Clone(r.lat[op])
	slices.Sort(d)
	if len(d) == 0 {
		return latStats{}
	}
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return latStats{n: len(d), p50: q(0.50), p90: q(0.90), p99: q(0.99), max: d[len(d)-1]}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *loadResult) table() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "| operation | count | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n")
	for _, op := range benchOps {
		st := r.stats(op)
		fmt.Fprintf(&sb, "| %s | %d | %.1f | %.1f | %.1f | %.1f |\n", op, st.n, ms(st.p50), ms(st.p90), ms(st.p99), ms(st.max))
	}
	return sb.String()
}

// reviewLoad runs the monitors and the account readers on r for d.
func reviewLoad(ctx context.Context, b *testing.B, s *Store, r *Review, d, think time.Duration) *loadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	res := &loadResult{lat: map[string][]time.Duration{}}
	merge := func(op string, ls []time.Duration, errs []error) {
		mu.Lock()
		res.lat[op] = append(res.lat[op], ls...)
		res.errs = append(res.errs, errs...)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for m := range benchMonitors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reviewer := fmt.Sprintf("reviewer-%08x", 0xbe000000+m)
			rng := rand.New(rand.NewPCG(uint64(m), 2))
			// People do not all start at the same instant: with a think
			// time, each starts at a random point of the first one.
			pause(ctx, time.Duration(rng.Int64N(int64(think)+1)))
			var claims, decides []time.Duration
			var errs []error
			k := 0
			for ctx.Err() == nil {
				t := time.Now()
				c, err := r.Claim(ctx, reviewer, benchClaim, event.QueueFilter{}, event.SortSeverity)
				if ctx.Err() != nil {
					break // cut short by the end of the run
				}
				claims = append(claims, time.Since(t))
				if err != nil {
					errs = append(errs, fmt.Errorf("claim: %w", err))
					continue
				}
				if len(c.Flags) == 0 {
					errs = append(errs, fmt.Errorf("claim: the queue is empty"))
					break
				}
				for _, f := range c.Flags {
					dec := event.DecisionConfirm
					if k%2 == 1 {
						dec = event.DecisionDismiss
					}
					k++
					pause(ctx, jitter(rng, think))
					// Decisions finish even when the run ends: a
					// claimed flag is never left half decided.
					t := time.Now()
					_, err := r.Decide(context.WithoutCancel(ctx), event.DecisionRequest{
						FlagID: f.ID, Decision: dec, Note: "synthetic benchmark decision", Reviewer: reviewer})
					decides = append(decides, time.Since(t))
					if err != nil {
						errs = append(errs, fmt.Errorf("decide %d: %w", f.ID, err))
					}
				}
			}
			merge("claim", claims, errs)
			merge("decide", decides, nil)
		}()
	}
	// Every flagged account's position, by platform ("" for all), for
	// the deep pages: a client paging far into the list holds the cursor
	// of the page before.
	positions := map[string][]*event.AccountCursor{}
	rows, err := s.read.Query(`SELECT flag_count, last_seen, platform, account_id FROM accounts WHERE flag_count > 0`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var c event.AccountCursor
		if err := rows.Scan(&c.FlagCount, timeColumn{&c.LastSeen}, &c.Platform, &c.ID); err != nil {
			b.Fatal(err)
		}
		positions[""] = append(positions[""], &c)
		positions[c.Platform] = append(positions[c.Platform], &c)
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	for i := range benchReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			pause(ctx, time.Duration(rng.Int64N(int64(think)+1)))
			var ls []time.Duration
			var errs []error
			for ctx.Err() == nil {
				f := event.AccountFilter{Flagged: true, Limit: 100}
				switch rng.IntN(3) {
				case 1:
					f.Platform = "x"
				case 2:
					f.Platform = "mastodon"
				}
				// Mostly the first ten pages, as people page, by offset;
				// one in four deep, anywhere in the list, by cursor.
				if ps := positions[f.Platform]; rng.IntN(4) == 0 && len(ps) > 0 {
					f.After = ps[rng.IntN(len(ps))]
				} else {
					f.Offset = 100 * rng.IntN(10)
				}
				pause(ctx, jitter(rng, think))
				if ctx.Err() != nil {
					break
				}
				t := time.Now()
				_, err := s.ListAccounts(ctx, f)
				if ctx.Err() != nil {
					break
				}
				ls = append(ls, time.Since(t))
				if err != nil {
					errs = append(errs, fmt.Errorf("list accounts: %w", err))
				}
			}
			merge("accounts", ls, errs)
		}()
	}
	wg.Wait()
	return res
}
