package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
)

// BenchmarkRegionFilter measures the region filter that the early-warning
// alerts send monitors to (region= on the queue and the flags list), on
// PostgreSQL and SQLite: VIGIL_BENCH_FLAGS pending flags (default 200,000)
// seeded as the review benchmark seeds them, a third naming Yangon (a
// common region) and one in a thousand naming Sagaing (a rare one).
//
//	cd store && GOWORK=off go test -run '^$' -bench RegionFilter -timeout 60m ./sqlstore/
//
// Sub-benchmarks: a page of 25 of the flags list, newest first, and a
// claim of 25 from the queue, oldest first, released again (the pair is
// one operation), for each region. All data is synthetic.
func BenchmarkRegionFilter(b *testing.B) {
	flags := benchEnvInt(b, "VIGIL_BENCH_FLAGS", 200_000)
	for _, db := range testDBs {
		b.Run(db.name, func(b *testing.B) {
			cfg := db.config(b)
			cfg.ReadConns, cfg.WriteConns = 0, 0
			s := openConfig(b, cfg)
			start := time.Now()
			seedReviewBench(b, s, flags, 50_000, func(k int) []option {
				switch {
				case k%1000 == 7:
					return []option{naming([]string{"journalists"}, []string{"sagaing"}, []string{"monywa"})}
				case k%3 == 0:
					return []option{naming(nil, []string{"yangon"}, []string{"yangon"})}
				}
				return nil
			})
			benchAnalyze(b, s)
			b.Logf("%s: seeded %d flags in %s", db.name, flags, time.Since(start).Round(time.Second))
			review := NewReview(s, leases.NewMemory(), 0)
			defer review.Close()
			ctx := context.Background()
			for _, region := range []string{"sagaing", "yangon"} {
				b.Run("list-"+region, func(b *testing.B) {
					for range b.N {
						fs, _, err := s.ListFlags(ctx, event.FlagFilter{Region: region, Limit: 25})
						if err != nil || len(fs) != 25 {
							b.Fatalf("ListFlags: %d flags, %v", len(fs), err)
						}
					}
				})
				b.Run("claim-"+region, func(b *testing.B) {
					for range b.N {
						c, err := review.Claim(ctx, "monitor-bench", 25, event.QueueFilter{Region: region}, event.SortAge)
						if err != nil || len(c.Flags) != 25 {
							b.Fatalf("Claim: %d flags, %v", len(c.Flags), err)
						}
						ids := make([]int64, len(c.Flags))
						for i, f := range c.Flags {
							ids[i] = f.ID
						}
						if _, err := review.Release(ctx, "monitor-bench", ids); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
