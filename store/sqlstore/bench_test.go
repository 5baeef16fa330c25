package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// benchBatch builds size synthetic verdicts starting at post number first:
// one in ten flagged (two categories, one in three of those on a list),
// authors spread evenly over a pool of authors, and raw payloads of about
// rawBytes.
func benchBatch(first, size, rawBytes, authors int) []event.Verdict {
	filler := strings.Repeat("x", max(0, rawBytes-190))
	vs := make([]event.Verdict, size)
	for i := range vs {
		n := first + i
		author := itoa(n * 7919 % authors)
		var opts []option
		if n%10 == 0 {
			opts = append(opts, flagged("hate", "incitement"))
			if n%30 == 0 {
				opts = append(opts, onLists("watch"))
			}
		}
		raw := fmt.Appendf(nil, `{"id_str":"%d","user":{"id_str":"%s","screen_name":"example_account_%s"},"full_text":"synthetic post %d","lang":"en","filler":"%s"}`,
			n, author, author, n, filler)
		opts = append(opts, withRaw(raw), withText(fmt.Sprintf("synthetic post number %d with some ordinary words in it to take up space", n)))
		vs[i] = newVerdict("x", itoa(n), author, n%100000, opts...)
		vs[i].ClassifiedAt = vs[i].Post.CreatedAt.Add(time.Minute)
	}
	return vs
}

// BenchmarkWriteVerdicts writes batches of 500 new verdicts (10% flagged)
// into one growing database, as the store role's consumer does, and
// reports posts written per second. Raw payloads are the size of an import
// line (256 B), a Mastodon status (1.5 KiB) or an X v1.1 status with its
// user object (4 KiB). Each batch's posts come from 100 accounts (a few
// prolific accounts, as in a partition keyed by author) or from 2,000 (the
// worst case: nearly every post updates a different account).
//
// It runs per dialect: -bench 'WriteVerdicts/sqlite' for SQLite alone.
// PostgreSQL's numbers are those of one writer on the server at
// VIGIL_TEST_POSTGRES_DSN.
func BenchmarkWriteVerdicts(b *testing.B) {
	for _, db := range testDBs {
		for _, raw := range []int{256, 1536, 4096} {
			for _, authors := range []int{100, 2000} {
				b.Run(fmt.Sprintf("%s/raw=%dB/authors=%d", db.name, raw, authors), func(b *testing.B) {
					benchmarkWriteVerdicts(b, db, raw, authors)
				})
			}
		}
	}
}

func benchmarkWriteVerdicts(b *testing.B, db testDB, rawBytes, authors int) {
	const batch = 500
	s := db.open(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		vs := benchBatch(i*batch, batch, rawBytes, authors)
		b.StartTimer()
		if err := s.WriteVerdicts(ctx, vs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "posts/s")
}
