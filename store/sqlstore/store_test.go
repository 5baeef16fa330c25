package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/internal/pgtest"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"valid", Config{Path: "vigil.db"}, nil},
		{"valid with read conns", Config{Path: "/data/vigil.db", ReadConns: 8}, nil},
		{"missing path", Config{}, ErrPathRequired},
		{"in memory", Config{Path: ":memory:"}, ErrMemoryPath},
		{"URI", Config{Path: "file:vigil.db?mode=memory"}, ErrMemoryPath},
		{"negative read conns", Config{Path: "vigil.db", ReadConns: -1}, ErrReadConnsRange},
		{"negative write conns", Config{Path: "vigil.db", WriteConns: -1}, ErrWriteConnsRange},
		{"postgres URL", Config{Postgres: "postgres://vigil:secret@db.example:5432/vigil?sslmode=verify-full"}, nil},
		{"postgres key=value", Config{Postgres: "host=db.example user=vigil password=secret dbname=vigil"}, nil},
		{"postgres ignores the path", Config{Postgres: "postgres://db.example/vigil", Path: ":memory:"}, nil},
		{"postgres with pools", Config{Postgres: "postgres://db.example/vigil", ReadConns: 8, WriteConns: 2}, nil},
		{"postgres, bad port", Config{Postgres: "postgres://vigil:secret@db.example:port/vigil"}, ErrPostgresDSN},
		{"postgres, bad sslmode", Config{Postgres: "host=db.example password=secret sslmode=sometimes"}, ErrPostgresDSN},
		{"postgres, negative read conns", Config{Postgres: "postgres://db.example/vigil", ReadConns: -1}, ErrReadConnsRange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if !errors.Is(err, tc.want) {
				t.Errorf("Validate() = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Validate() = %v: the password is in the message", err)
			}
		})
	}
}

func TestConfigString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Path: "/data/vigil.db"}, "sqlite /data/vigil.db"},
		{Config{Postgres: "postgres://vigil:secret@db.example:5433/vigil?sslmode=disable"}, "postgres db.example:5433/vigil"},
		{Config{Postgres: "host=db.example user=vigil password='sec ret' dbname=store"}, "postgres db.example:5432/store"},
		{Config{Postgres: "postgres://vigil:secret@db.example:port/vigil"}, "postgres (invalid connection string)"},
	} {
		got := tc.cfg.String()
		if got != tc.want {
			t.Errorf("%q: String() = %q, want %q", tc.cfg.Postgres, got, tc.want)
		}
		if s := fmt.Sprintf("%v %+v", tc.cfg, tc.cfg); strings.Contains(s, "secret") {
			t.Errorf("formatted config shows the password: %s", s)
		}
	}
}

func TestRedactSecrets(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dsn, msg string }{
		{"postgres://u:s3cr%2Ft@h/db", "failed for postgres://u:s3cr%2Ft@h/db and s3cr/t"},
		{"postgresql://u:p@ss:w0rd@h:5432/db", "parse postgresql://u:p@ss:w0rd@h:5432/db: p@ss:w0rd"},
		{"postgres://h/db?password=hunter2&sslmode=disable", "cannot use hunter2"},
		{"host=h password='a b c' user=u", "password='a b c' and a b c"},
		{"host=h password=plain user=u", "password=plain"},
	} {
		got := redactSecrets(tc.msg, tc.dsn)
		for _, secret := range []string{"s3cr", "w0rd", "hunter2", "a b c", "plain"} {
			if strings.Contains(got, secret) {
				t.Errorf("redactSecrets(%q) = %q: shows %q", tc.msg, got, secret)
			}
		}
		if !strings.Contains(got, "xxxxx") {
			t.Errorf("redactSecrets(%q) = %q: nothing masked", tc.msg, got)
		}
	}
}

func TestOpenInvalid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if _, err := Open(ctx, Config{}); !errors.Is(err, ErrPathRequired) {
		t.Errorf("Open without a path: %v, want ErrPathRequired", err)
	}
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "vigil.db")
	_, err := Open(ctx, Config{Path: missing})
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open in a missing directory: %v, want an error naming the path", err)
	}
	// Nothing listens on port 1: the error names the server, not the password.
	_, err = Open(ctx, Config{Postgres: "postgres://vigil:hunter2@127.0.0.1:1/vigil?sslmode=disable&connect_timeout=5"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/vigil") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open on a closed port: %v, want an error naming 127.0.0.1:1/vigil without the password", err)
	}
	_, err = Open(ctx, Config{Postgres: "postgres://vigil:hunter2@127.0.0.1:port/vigil"})
	if !errors.Is(err, ErrPostgresDSN) || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Open with a bad connection string: %v, want ErrPostgresDSN without the password", err)
	}
}

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		cfg := db.config(t)
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		write(t, s, newVerdict("x", "1", "1", 0, flagged("hate")))
		versions := appliedVersions(t, s)
		if len(versions) == 0 || versions[0] != 1 {
			t.Fatalf("schema_migrations = %v, want 1 first", versions)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s, err = Open(ctx, cfg)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		if got := appliedVersions(t, s); !slices.Equal(got, versions) {
			t.Errorf("after reopen schema_migrations = %v, want %v", got, versions)
		}
		applied, err := migrate(ctx, s.write, s.d, migrationsFS)
		if err != nil || len(applied) != 0 {
			t.Errorf("migrate again = %v, %v; want nothing applied", applied, err)
		}
		if posts, flags := counts(t, s); posts != 1 || flags != 1 {
			t.Errorf("after reopen: %d posts, %d flags; want 1, 1", posts, flags)
		}
	})
}

// TestMigrateConcurrently opens one fresh database from several pools at
// once, as processes starting together do: each migration is applied
// once, and every pool finds the schema complete.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		cfg := db.config(t)
		const n = 4
		applied := make([][]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			w, err := db.d.openWriter(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			wg.Add(1)
			go func() {
				defer wg.Done()
				applied[i], errs[i] = migrate(ctx, w, db.d, migrationsFS)
			}()
		}
		wg.Wait()
		var all []int
		for i := range n {
			if errs[i] != nil {
				t.Errorf("process %d: %v", i, errs[i])
			}
			all = append(all, applied[i]...)
		}
		slices.Sort(all)
		ms, err := loadMigrations(migrationsFS, "migrations/"+db.name)
		if err != nil {
			t.Fatal(err)
		}
		var want []int
		for _, m := range ms {
			want = append(want, m.version)
		}
		if !slices.Equal(all, want) {
			t.Errorf("applied %v in all, want each of %v once", all, want)
		}
		s := openConfig(t, cfg)
		if got := appliedVersions(t, s); !slices.Equal(got, want) {
			t.Errorf("schema_migrations = %v, want %v", got, want)
		}
	})
}

func appliedVersions(tb testing.TB, s *Store) []int {
	tb.Helper()
	rows, err := s.read.Query("SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := sqliteDB.open(t)
	for _, tc := range []struct {
		pool, pragma, want string
	}{
		{"write", "journal_mode", "wal"},
		{"write", "synchronous", "1"}, // NORMAL
		{"write", "foreign_keys", "1"},
		{"write", "busy_timeout", "5000"},
		{"read", "journal_mode", "wal"},
		{"read", "foreign_keys", "1"},
		{"read", "query_only", "1"},
		{"read", "busy_timeout", "5000"},
	} {
		db := s.write
		if tc.pool == "read" {
			db = s.read
		}
		var got string
		if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
	if _, err := s.read.Exec("DELETE FROM posts"); err == nil {
		t.Error("a write through the read pool succeeded")
	}
	if n := s.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool allows %d connections, want 1", n)
	}
}

// TestPostgresSessions checks what the PostgreSQL pools' transactions
// run with: the test's schema, READ COMMITTED writes, REPEATABLE READ
// read-only reads, and a read pool that refuses writes.
func TestPostgresSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn, schema := pgtest.Schema(t)
	s := openConfig(t, Config{Postgres: dsn, ReadConns: 3, WriteConns: 2})
	show := func(tx *tx, setting string) string {
		t.Helper()
		var v string
		if err := tx.queryRow(ctx, "SELECT current_setting('"+setting+"')").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	w, err := s.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := show(w, "transaction_isolation"); got != "read committed" {
		t.Errorf("write transaction isolation %q, want read committed", got)
	}
	if got := show(w, "search_path"); got != schema {
		t.Errorf("search_path %q, want %q", got, schema)
	}
	w.Rollback()
	r, err := s.beginRead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, ro := show(r, "transaction_isolation"), show(r, "transaction_read_only"); got != "repeatable read" || ro != "on" {
		t.Errorf("read transaction: isolation %q, read only %q; want repeatable read, on", got, ro)
	}
	r.Rollback()
	if _, err := s.read.Exec("DELETE FROM posts"); err == nil {
		t.Error("a write through the read pool succeeded")
	}
	if n := s.write.Stats().MaxOpenConnections; n != 2 {
		t.Errorf("writer pool allows %d connections, want 2", n)
	}
	if n := s.read.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("read pool allows %d connections, want 3", n)
	}
	var table string
	if err := s.queryRow("SELECT to_regclass('posts')::text").Scan(&table); err != nil || table != "posts" {
		t.Errorf("posts table not found in the search path (%q, %v)", table, err)
	}
	var n int
	if err := s.queryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'posts'", schema).Scan(&n); err != nil || n != 1 {
		t.Errorf("posts not created in schema %s (%d, %v)", schema, n, err)
	}
}

// TestPostgresRefusesNUL: a NUL character, which PostgreSQL's text cannot
// hold, makes a bad verdict (dead-lettered), not a failed batch.
func TestPostgresRefusesNUL(t *testing.T) {
	t.Parallel()
	s := postgresDB.open(t)
	vs := []event.Verdict{newVerdict("x", "1", "1", 0), newVerdict("x", "2", "1", 1, withText("a\x00b"))}
	err := s.WriteVerdicts(context.Background(), vs)
	var bad *BadVerdictError
	if !errors.As(err, &bad) || bad.Index != 1 || !strings.Contains(err.Error(), "text holds a NUL") {
		t.Fatalf("err %v, want a *BadVerdictError for verdict 1's text", err)
	}
	// In a region id it would break the region filter's reading of
	// every flag.
	vs[1] = newVerdict("x", "2", "1", 1, flagged("hate"), naming(nil, []string{"saga\x00ing"}, nil))
	err = s.WriteVerdicts(context.Background(), vs)
	if !errors.As(err, &bad) || bad.Index != 1 || !strings.Contains(err.Error(), "a region holds a NUL") {
		t.Fatalf("err %v, want a *BadVerdictError for verdict 1's region", err)
	}
	write(t, s, vs[0])
}

func TestOpenPathWithURICharacters(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "odd ?dir# 100%")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vigil?.db")
	s, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write(t, s, newVerdict("x", "1", "1", 0))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at %q: %v", path, err)
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, tdb testDB) {
		ctx := context.Background()
		db, _ := tdb.rawWriter(t)
		dir := "migrations/" + tdb.name + "/"
		fsys := fstest.MapFS{
			dir + "0001_first.sql":  {Data: []byte("CREATE TABLE a (x INTEGER);\nCREATE TABLE b (y TEXT);")},
			dir + "0002_second.sql": {Data: []byte("ALTER TABLE a ADD COLUMN z TEXT;")},
			dir + "README.md":       {Data: []byte("not a migration")},
		}
		steps := []struct {
			name    string
			add     map[string]string
			want    []int
			wantErr string
		}{
			{name: "fresh database", want: []int{1, 2}},
			{name: "again is a no-op", want: nil},
			{name: "a new migration", add: map[string]string{"0003_third.sql": "CREATE TABLE c (x INTEGER);"}, want: []int{3}},
			{
				name:    "a failing migration leaves nothing behind",
				add:     map[string]string{"0004_broken.sql": "CREATE TABLE d (x INTEGER); CREATE TABLEX e;"},
				wantErr: "0004_broken.sql",
			},
		}
		for _, st := range steps {
			for name, sql := range st.add {
				fsys[dir+name] = &fstest.MapFile{Data: []byte(sql)}
			}
			got, err := migrate(ctx, db, tdb.d, fsys)
			if st.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("%s: err %v, want one naming %s", st.name, err, st.wantErr)
				}
				continue
			}
			if err != nil || !slices.Equal(got, st.want) {
				t.Fatalf("%s: migrate = %v, %v; want %v", st.name, got, err, st.want)
			}
		}
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM d").Scan(&n); err == nil {
			t.Error("the table of the failed migration exists")
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM a").Scan(&n); err != nil {
			t.Errorf("the table of a migration is missing: %v", err)
		}
		if err := db.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != 3 {
			t.Errorf("schema_migrations has %d rows (%v), want 3", n, err)
		}
	})
}

func TestLoadMigrationsBadNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		files []string
		want  string
	}{
		{"no number", []string{"init.sql"}, "init.sql: name must be"},
		{"short number", []string{"1_init.sql"}, "1_init.sql: name must be"},
		{"uppercase", []string{"0001_Init.sql"}, "0001_Init.sql: name must be"},
		{"version zero", []string{"0000_init.sql"}, "versions start at 0001"},
		{"duplicate version", []string{"0001_a.sql", "0001_b.sql"}, "0001_a.sql and 0001_b.sql have the same version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tc.files {
				fsys["m/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			_, err := loadMigrations(fsys, "m")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestEmbeddedMigrations: each dialect has migrations without gaps, and
// the same ones (by file name) as the other.
func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	names := map[string][]string{}
	for _, db := range testDBs {
		ms, err := loadMigrations(migrationsFS, "migrations/"+db.name)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range ms {
			if m.version != i+1 {
				t.Errorf("%s migration %s has version %d, want %d (no gaps)", db.name, m.name, m.version, i+1)
			}
			names[db.name] = append(names[db.name], m.name)
		}
	}
	if !slices.Equal(names["sqlite"], names["postgres"]) {
		t.Errorf("sqlite migrations %v, postgres migrations %v: want the same", names["sqlite"], names["postgres"])
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	q := "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind changed the query: %s", got)
	}
	if got, want := postgresDialect.rebind(q), "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"; got != want {
		t.Errorf("dollar rebind = %s, want %s", got, want)
	}
}

func TestTimeEncoding(t *testing.T) {
	t.Parallel()
	earlier := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := earlier.Add(500 * time.Millisecond)
	a, b := encodeTime(earlier).(string), encodeTime(later).(string)
	if len(a) != len(b) || a >= b {
		t.Errorf("encodings %q and %q are not fixed-width and ordered", a, b)
	}
	for _, tt := range []time.Time{
		earlier, later, time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 11, 1, 8, 0, 0, 123456789, time.FixedZone("", -7*3600)), time.Now(),
	} {
		if got, want := formatTime(tt), tt.UTC().Format(timeLayout); got != want {
			t.Errorf("formatTime(%v) = %s, want %s", tt, got, want)
		}
	}
	if encodeTime(time.Time{}) != nil {
		t.Error("zero time not encoded as NULL")
	}
	local := later.In(time.FixedZone("UTC+6:30", 6*3600+1800))
	if got := encodeTime(local); got != b {
		t.Errorf("time in another zone encoded as %v, want %v", got, b)
	}
	var back time.Time
	if err := (timeColumn{&back}).Scan(b); err != nil || !back.Equal(later) {
		t.Errorf("scan %q = %v, %v", b, back, err)
	}
}

// TestReadsDoNotWaitForWriter holds a write transaction open and reads:
// the reads must answer at once from the last committed state.
func TestReadsDoNotWaitForWriter(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		write(t, s, newVerdict("x", "1", "1", 0, flagged("hate")))

		rows, err := encodeVerdicts([]event.Verdict{newVerdict("x", "2", "1", 1, flagged("hate"))}, s.d.checkVerdict)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := s.beginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := writeVerdicts(ctx, tx, rows); err != nil {
			t.Fatal(err)
		}

		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if n, err := s.CountPosts(rctx); err != nil || n != 1 {
			t.Errorf("CountPosts during a write = %d, %v; want 1", n, err)
		}
		if fs, _, err := s.ListFlags(rctx, event.FlagFilter{}); err != nil || len(fs) != 1 {
			t.Errorf("ListFlags during a write = %d flags, %v; want 1", len(fs), err)
		}
		if _, err := s.FindPost(rctx, "x", "2"); event.ErrorCode(err) != event.ENOTFOUND {
			t.Errorf("uncommitted post visible to readers: %v", err)
		}
		if err := s.Ping(rctx); err != nil {
			t.Errorf("Ping during a write: %v", err)
		}

		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountPosts(ctx); err != nil || n != 2 {
			t.Errorf("CountPosts after commit = %d, %v; want 2", n, err)
		}
	})
}

// TestConcurrentReadersWhileWriting runs readers against a writer under
// the race detector. Every read must see whole batches only.
func TestConcurrentReadersWhileWriting(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		const batches, size = 20, 50

		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			for b := range batches {
				vs := make([]event.Verdict, size)
				for i := range vs {
					n := b*size + i
					var opts []option
					if n%10 == 0 {
						opts = append(opts, flagged("hate", "incitement"))
					}
					vs[i] = newVerdict("x", itoa(n), itoa(n%7), n, opts...)
				}
				if err := s.WriteVerdicts(ctx, vs); err != nil {
					t.Errorf("batch %d: %v", b, err)
					return
				}
			}
		}()
		for r := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-done:
						return
					default:
					}
					n, err := s.CountPosts(ctx)
					if err != nil {
						t.Errorf("reader %d: %v", r, err)
						return
					}
					if n%size != 0 {
						t.Errorf("reader %d saw %d posts: part of a batch", r, n)
					}
					if _, _, err := s.ListFlags(ctx, event.FlagFilter{Category: "hate", Limit: 5}); err != nil {
						t.Errorf("reader %d: ListFlags: %v", r, err)
					}
					as, err := s.ListAccounts(ctx, event.AccountFilter{Flagged: true})
					if err != nil {
						t.Errorf("reader %d: ListAccounts: %v", r, err)
					}
					for _, a := range as {
						if a.FlagCount != a.Categories["hate"] {
							t.Errorf("reader %d: account %s has %d flags but %d in hate", r, a.ID, a.FlagCount, a.Categories["hate"])
						}
					}
					if _, err := s.FindPost(ctx, "x", itoa(i%(batches*size))); err != nil && event.ErrorCode(err) != event.ENOTFOUND {
						t.Errorf("reader %d: FindPost: %v", r, err)
					}
				}
			}()
		}
		wg.Wait()
		if posts, flags := counts(t, s); posts != batches*size || flags != batches*size/10 {
			t.Errorf("%d posts and %d flags, want %d and %d", posts, flags, batches*size, batches*size/10)
		}
	})
}
