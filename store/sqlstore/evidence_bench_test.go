package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/event"
)

// BenchmarkEvidence10k gathers the evidence of a case of 50 accounts that
// hold 10,000 confirmed flags (200 each, raw payloads of 1.5 KiB, one
// decision each), beside 50 other accounts with 10,000 pending flags that
// the set must leave out; and of one of those accounts alone (200 posts).
// The flags' review is seeded by SQL (status and a decisions row per
// flag): the review path would take minutes to seed, and a pack reads the
// rows alone.
//
// SQLite is the aim (10,000 posts well under a second); PostgreSQL runs
// too, on the server at VIGIL_TEST_POSTGRES_DSN:
//
//	cd store && GOWORK=off go test -run '^$' -bench Evidence10k ./sqlstore/
func BenchmarkEvidence10k(b *testing.B) {
	for _, db := range testDBs {
		b.Run(db.name, func(b *testing.B) {
			s, caseID := seedEvidenceBench(b, db)
			for _, tc := range []struct {
				name  string
				req   event.EvidenceRequest
				posts int
			}{
				{"case", event.EvidenceRequest{CaseID: caseID}, 10_000},
				{"account", event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: "7"}}, 200},
			} {
				b.Run(tc.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						set, err := s.Evidence(context.Background(), tc.req)
						if err != nil {
							b.Fatal(err)
						}
						if len(set.Posts) != tc.posts || set.Truncated {
							b.Fatalf("%d posts (truncated %v), want %d", len(set.Posts), set.Truncated, tc.posts)
						}
					}
					b.ReportMetric(float64(b.N*tc.posts)/b.Elapsed().Seconds(), "posts/s")
				})
			}
		})
	}
}

// seedEvidenceBench writes 20,000 flagged posts from 100 accounts (x/0 to
// x/99), confirms those of x/0 to x/49 with one decision each, and opens
// a case holding those 50 accounts.
func seedEvidenceBench(b *testing.B, db testDB) (*Store, int64) {
	b.Helper()
	const posts, authors, batch = 20_000, 100, 1000
	s := db.open(b)
	filler := strings.Repeat("x", 1536-190)
	for first := 0; first < posts; first += batch {
		vs := make([]event.Verdict, batch)
		for i := range vs {
			n := first + i
			author := itoa(n % authors)
			raw := fmt.Appendf(nil, `{"id_str":"%d","user":{"id_str":"%s","screen_name":"example_account_%s"},"full_text":"synthetic post %d","lang":"en","filler":"%s"}`,
				n, author, author, n, filler)
			vs[i] = newVerdict("x", itoa(n), author, n, flagged("hate", "incitement"), withRaw(raw))
		}
		write(b, s, vs...)
	}
	confirmed := `author_id IN ('0'` + strings.Repeat(", '%d'", 49) + `)`
	ids := make([]any, 49)
	for i := range ids {
		ids[i] = i + 1
	}
	confirmed = fmt.Sprintf(confirmed, ids...)
	s.exec(b, `UPDATE flags SET status = 'confirmed' WHERE `+confirmed)
	s.exec(b, `INSERT INTO decisions (flag_id, level, decision, note, translation, reviewer, decided_at)
SELECT id, 'pending', 'confirm', 'synthetic note', 'synthetic translation', 'monitor-a', created_at
FROM flags WHERE `+confirmed)
	if db.d == &postgresDialect {
		s.exec(b, "ANALYZE")
	}
	c, err := s.CreateCase(context.Background(), event.NewCase{Title: "bench case", CreatedBy: advocate})
	if err != nil {
		b.Fatal(err)
	}
	refs := make([]event.AccountRef, 50)
	for i := range refs {
		refs[i] = event.AccountRef{Platform: "x", ID: itoa(i)}
	}
	if _, err := s.AddAccounts(context.Background(), c.ID, refs, advocate); err != nil {
		b.Fatal(err)
	}
	return s, c.ID
}
