package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/internal/pgtest"
)

// All data in these tests is synthetic: made-up accounts named
// example_account_N and neutral placeholder text.

// The contract suite: every test of the store's behaviour runs once per
// dialect, as subtests "sqlite" and "postgres", through forEachDB. SQLite
// databases are files in the test's temporary directory; PostgreSQL ones
// are schemas of their own on the server at VIGIL_TEST_POSTGRES_DSN
// (pgtest), and those tests fail when it is not there: scripts/services
// starts one. Tests of one dialect's workings (pragmas, file paths, pools)
// use sqliteDB or postgresDB alone.

// testDB is a dialect as the tests see it.
type testDB struct {
	name string
	d    *dialect
	// config returns the config of a fresh, empty database.
	config func(tb testing.TB) Config
	// rawIsBinary is an SQL condition, true when posts.raw holds the
	// dialect's binary type.
	rawIsBinary string
	// flagCategory selects (f.id, j.value), the categories in each flag's
	// JSON array, from flags f.
	flagCategory string
}

var (
	sqliteDB = testDB{
		name: "sqlite",
		d:    &sqliteDialect,
		config: func(tb testing.TB) Config {
			return Config{Path: filepath.Join(tb.TempDir(), "vigil.db")}
		},
		rawIsBinary:  "typeof(raw) = 'blob'",
		flagCategory: "SELECT f.id, j.value FROM flags f, json_each(f.categories) j",
	}
	postgresDB = testDB{
		name: "postgres",
		d:    &postgresDialect,
		config: func(tb testing.TB) Config {
			dsn, _ := pgtest.Schema(tb)
			// Small pools: many tests hold stores open at once.
			return Config{Postgres: dsn, ReadConns: 4, WriteConns: 4}
		},
		rawIsBinary: "pg_typeof(raw) = 'bytea'::regtype",
		flagCategory: `SELECT f.id, j.value COLLATE "C" FROM flags f,
			json_array_elements_text(f.categories::json) AS j(value)`,
	}
	testDBs = []testDB{sqliteDB, postgresDB}
)

// forEachDB runs fn as a parallel subtest per dialect.
func forEachDB(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Helper()
	for _, db := range testDBs {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			fn(t, db)
		})
	}
}

// openTest opens a store on a fresh SQLite database. Tests of the store's
// behaviour use forEachDB instead, to run against both dialects.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	return sqliteDB.open(tb)
}

// open opens a store on a fresh database, closed when the test ends.
func (db testDB) open(tb testing.TB) *Store {
	tb.Helper()
	return openConfig(tb, db.config(tb))
}

func openConfig(tb testing.TB, cfg Config) *Store {
	tb.Helper()
	s, err := Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawWriter opens the dialect's write pool on a fresh database, without
// migrating it, and returns it with the database's config.
func (db testDB) rawWriter(tb testing.TB) (*sql.DB, Config) {
	tb.Helper()
	cfg := db.config(tb)
	w, err := db.d.openWriter(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.Close() })
	return w, cfg
}

// queryRow and exec run a test's own SQL, with '?' placeholders, on the
// read pool and on the write pool.
func (s *Store) queryRow(query string, args ...any) *sql.Row {
	return s.read.QueryRow(s.d.rebind(query), args...)
}

func (s *Store) exec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	if _, err := s.write.Exec(s.d.rebind(query), args...); err != nil {
		tb.Fatal(err)
	}
}

// t0 is the synthetic posts' base time.
var t0 = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

type option func(*event.Verdict)

// newVerdict builds a synthetic, unflagged verdict on post platform/id by
// author, posted at t0 plus minute minutes. Raw is a JSON payload of the
// post unless an option sets it; RawSHA256 always matches Raw.
func newVerdict(platform, id, author string, minute int, opts ...option) event.Verdict {
	created := t0.Add(time.Duration(minute) * time.Minute)
	v := event.Verdict{
		Post: event.Post{
			Platform: platform,
			ID:       id,
			Author: event.Author{
				ID:     author,
				Handle: "example_account_" + author,
				Name:   "Example Account " + author,
			},
			Text:       "synthetic post " + id + " for testing",
			CreatedAt:  created,
			URL:        "https://example.org/" + platform + "/" + id,
			Lang:       "en",
			CapturedAt: created.Add(5 * time.Minute),
			Source:     "test-source",
		},
		Lexicon:      "example@2026-11-26",
		Pipeline:     "vigil-test",
		ClassifiedAt: created.Add(6 * time.Minute),
	}
	for _, o := range opts {
		o(&v)
	}
	if v.Post.Raw == nil {
		v.Post.Raw = mustJSON(map[string]any{
			"platform": v.Post.Platform, "id": v.Post.ID, "text": v.Post.Text,
			"author": v.Post.Author, "created_at": v.Post.CreatedAt,
		})
	}
	v.Post.RawSHA256 = event.SHA256Hex(v.Post.Raw)
	return v
}

// flagged marks the verdict flagged in cats, with one match per category
// over the first word of the text.
func flagged(cats ...string) option {
	return func(v *event.Verdict) {
		v.Flagged = true
		v.Score = float64(len(cats)) * 1.5
		v.Categories = cats
		v.Tags = []string{"target_group"}
		for i, c := range cats {
			v.Matches = append(v.Matches, event.Match{
				TermID: fmt.Sprintf("t%d", i+1), Category: c, Start: 0, End: 9,
				Transforms: []string{"casefold"},
			})
		}
	}
}

func onLists(lists ...string) option {
	return func(v *event.Verdict) {
		for _, l := range lists {
			v.Lists = append(v.Lists, event.ListHit{List: l, Note: "synthetic", Source: "test"})
		}
	}
}

func withHandle(h string) option { return func(v *event.Verdict) { v.Post.Author.Handle = h } }
func withName(n string) option   { return func(v *event.Verdict) { v.Post.Author.Name = n } }
func withRaw(raw []byte) option  { return func(v *event.Verdict) { v.Post.Raw = raw } }
func withText(s string) option   { return func(v *event.Verdict) { v.Post.Text = s } }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func write(tb testing.TB, s *Store, vs ...event.Verdict) {
	tb.Helper()
	if err := s.WriteVerdicts(context.Background(), vs); err != nil {
		tb.Fatalf("WriteVerdicts: %v", err)
	}
}

// allFlags pages through every flag matching f with page size limit and
// checks the paging contract on the way: pages no larger than the limit,
// ids strictly decreasing across pages, a cursor only when more follow.
func allFlags(tb testing.TB, s *Store, f event.FlagFilter) []event.Flag {
	tb.Helper()
	var all []event.Flag
	for page := 0; ; page++ {
		fs, next, err := s.ListFlags(context.Background(), f)
		if err != nil {
			tb.Fatalf("ListFlags(%+v): %v", f, err)
		}
		if lim := f.Limit; lim > 0 && len(fs) > lim {
			tb.Fatalf("page %d has %d flags, over the limit %d", page, len(fs), lim)
		}
		for _, fl := range fs {
			if n := len(all); n > 0 && fl.ID >= all[n-1].ID {
				tb.Fatalf("page %d: flag id %d after %d: not newest first, or repeated", page, fl.ID, all[n-1].ID)
			}
			all = append(all, fl)
		}
		if next == 0 {
			return all
		}
		if len(fs) == 0 || next != fs[len(fs)-1].ID {
			tb.Fatalf("page %d: cursor %d is not the last id of a non-empty page", page, next)
		}
		if page > 10000 {
			tb.Fatal("paging does not end")
		}
		f.After = next
	}
}

func allAccounts(tb testing.TB, s *Store, f event.AccountFilter) []event.Account {
	tb.Helper()
	f.Limit = MaxAccountLimit
	as, err := s.ListAccounts(context.Background(), f)
	if err != nil {
		tb.Fatalf("ListAccounts(%+v): %v", f, err)
	}
	return as
}

func counts(tb testing.TB, s *Store) (posts, flags int) {
	tb.Helper()
	ctx := context.Background()
	posts, err := s.CountPosts(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	flags, err = s.CountFlags(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return posts, flags
}

// wantCode fails unless err carries the event error code.
func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := event.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
