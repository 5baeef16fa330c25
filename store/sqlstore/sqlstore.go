// Package sqlstore is Vigil's SQL store of record: every post as captured
// (raw payload and its SHA-256), the verdict on it, the flags monitors
// review and per-account aggregates. It sits at the end of the pipeline:
// the store role's consumer reads verdicts from event.TopicFlags and hands
// them to WriteVerdicts, and the api role reads through event.ReadService.
// Every distinct verdict received is kept in verdict_history; a later one
// from other lexicons (a replayed lexicon change) re-judges a stored post
// (rejudge.go).
//
// Two dialects sit behind the one API: SQLite (modernc.org/sqlite, pure
// Go), embedded, the default; and PostgreSQL (pgx through database/sql),
// chosen by Config.Postgres, for a store that several hosts share.
// Everything that differs between them lives in dialect.go and in each
// dialect's migrations directory; the queries are written once.
//
// Exported methods open a transaction and call unexported helpers that take
// it, in the manner of WTF Dial. Writes and reads use separate pools. With
// SQLite the writer is one connection and reads, in WAL mode, never wait
// for it. With PostgreSQL several writers (connections, processes) run at
// once under READ COMMITTED: every write is an upsert or takes its row
// lock first (see dialect.go), and reads run in REPEATABLE READ snapshots.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Config configures the store: SQLite at Path, or PostgreSQL when
// Postgres is set.
type Config struct {
	// Path is the SQLite database file, created if missing (its directory
	// must exist). Required unless Postgres is set. Beside it SQLite keeps
	// PATH-wal and PATH-shm.
	Path string `yaml:"path"`
	// Postgres is a PostgreSQL connection string, a URL
	// (postgres://user:password@host:5432/vigil?sslmode=verify-full) or
	// key=value pairs, as libpq and pgx read them (PG* environment
	// variables and ~/.pgpass fill what it leaves out). When set, the store
	// is PostgreSQL and Path is ignored. The tables go in the first schema
	// of the search path: add search_path=SCHEMA to keep them in one of
	// their own. The string holds a password: it is never logged, and
	// errors and String show it redacted.
	Postgres string `yaml:"postgres"`
	// ReadConns is the size of the read connection pool. Default (0):
	// GOMAXPROCS, at least 4.
	ReadConns int `yaml:"read_conns"`
	// WriteConns is the size of the PostgreSQL write pool, the most write
	// transactions this process runs at once. Default (0): 4. SQLite
	// always writes through one connection.
	WriteConns int `yaml:"write_conns"`
}

// Errors returned by Config.Validate.
var (
	ErrPathRequired    = errors.New("path is required (or postgres, a PostgreSQL connection string)")
	ErrMemoryPath      = errors.New("path must be a file path, not :memory: or a file: URI (reads and writes use separate connections, which an in-memory database cannot share)")
	ErrReadConnsRange  = errors.New("read_conns must not be negative")
	ErrWriteConnsRange = errors.New("write_conns must not be negative")
	ErrPostgresDSN     = errors.New("postgres: not a valid PostgreSQL connection string")
)

// RegisterFlags registers the config's flags with the given prefix.
func (c *Config) RegisterFlags(prefix string, fs *flag.FlagSet) {
	fs.StringVar(&c.Path, prefix+".path", c.Path, "SQLite database file (created if missing).")
	fs.StringVar(&c.Postgres, prefix+".postgres", c.Postgres, "PostgreSQL connection string; when set, the store is PostgreSQL and the path is ignored.")
	fs.IntVar(&c.ReadConns, prefix+".read-conns", c.ReadConns, "Read connection pool size (0: GOMAXPROCS, at least 4).")
	fs.IntVar(&c.WriteConns, prefix+".write-conns", c.WriteConns, "PostgreSQL write connection pool size (0: 4).")
}

// Validate checks the config. It reaches no server: a PostgreSQL
// connection string is only parsed.
func (c *Config) Validate() error {
	switch {
	case c.ReadConns < 0:
		return ErrReadConnsRange
	case c.WriteConns < 0:
		return ErrWriteConnsRange
	case c.Postgres != "":
		if _, err := parsePostgres(c.Postgres); err != nil {
			return err
		}
		return nil
	case c.Path == "":
		return ErrPathRequired
	case c.Path == ":memory:" || strings.HasPrefix(c.Path, "file:"):
		return ErrMemoryPath
	}
	return nil
}

// String names the database for logs and errors: "sqlite PATH", or
// "postgres HOST:PORT/DATABASE" without the user or password.
func (c Config) String() string {
	if c.Postgres != "" {
		return "postgres " + describePostgres(c.Postgres)
	}
	return "sqlite " + c.Path
}

func (c *Config) dialect() *dialect {
	if c.Postgres != "" {
		return &postgresDialect
	}
	return &sqliteDialect
}

func (c *Config) readConns() int {
	if c.ReadConns > 0 {
		return c.ReadConns
	}
	return max(4, runtime.GOMAXPROCS(0))
}

func (c *Config) writeConns() int {
	if c.WriteConns > 0 {
		return c.WriteConns
	}
	return 4
}

// Store is the SQL store. It is safe for concurrent use.
type Store struct {
	d     *dialect
	write *sql.DB // SQLite: one connection, as it has one writer at a time
	read  *sql.DB
	// now is the clock; tests replace it.
	now func() time.Time

	// stmts caches the multi-row statements prepared on the writer, which
	// a write transaction reuses (see tx.valuesStmt).
	mu    sync.Mutex
	stmts map[valuesKey]*sql.Stmt
}

var (
	_ event.ReadService   = (*Store)(nil)
	_ event.VerdictWriter = (*Store)(nil)
)

// Open opens the database cfg names, SQLite at cfg.Path (created if
// needed) or PostgreSQL at cfg.Postgres, and applies any migrations it has
// not applied yet. Errors name the database as cfg.String does, never
// with a password.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sql store config: %w", err)
	}
	s := &Store{d: cfg.dialect(), now: time.Now}
	name := cfg.Path
	if cfg.Postgres != "" {
		name = describePostgres(cfg.Postgres)
	}
	fail := func(format string, err error) error {
		return fmt.Errorf(format, s.d.name, name, s.d.redact(cfg, err))
	}
	var err error
	if s.write, err = s.d.openWriter(cfg); err != nil {
		return nil, s.d.redact(cfg, err)
	}
	// The writer connects first: it creates the SQLite file and switches
	// it to WAL before any reader opens it.
	if err := s.write.PingContext(ctx); err != nil {
		s.write.Close()
		return nil, fail("open %s database %s: %w", err)
	}
	if _, err := migrate(ctx, s.write, s.d, migrationsFS); err != nil {
		s.write.Close()
		return nil, fail("migrate %s database %s: %w", err)
	}
	if s.read, err = s.d.openReader(cfg); err != nil {
		s.write.Close()
		return nil, s.d.redact(cfg, err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		s.Close()
		return nil, fail("open %s database %s for reading: %w", err)
	}
	return s, nil
}

// Close closes the read pool and then the writer, which lets SQLite fold
// the write-ahead log back into the database file.
func (s *Store) Close() error {
	var errs []error
	s.mu.Lock()
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.stmts = nil
	s.mu.Unlock()
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	return errors.Join(errs...)
}

// Ping reports whether the store can serve reads.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping %s store: %w", s.d.name, err)
	}
	return nil
}

// CountPosts returns the number of stored posts.
func (s *Store) CountPosts(ctx context.Context) (int, error) {
	return s.count(ctx, "posts")
}

// CountFlags returns the number of flags.
func (s *Store) CountFlags(ctx context.Context) (int, error) {
	return s.count(ctx, "flags")
}

func (s *Store) count(ctx context.Context, table string) (int, error) {
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", table, err)
	}
	return n, nil
}

// tx is a transaction of the store. It exposes only methods that rewrite
// placeholders for the dialect, so no query can skip that step; now is the
// transaction's single clock reading.
type tx struct {
	tx  *sql.Tx
	d   *dialect
	now time.Time
	// store is set on write transactions, for its statement cache.
	store *Store
}

// beginWrite starts a write transaction on the writer pool.
func (s *Store) beginWrite(ctx context.Context) (*tx, error) {
	t, err := s.write.BeginTx(ctx, &sql.TxOptions{Isolation: s.d.writeIsolation})
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, d: s.d, now: s.now().UTC(), store: s}, nil
}

// beginRead starts a read-only transaction, so that the several queries
// of one read see one snapshot.
func (s *Store) beginRead(ctx context.Context) (*tx, error) {
	t, err := s.read.BeginTx(ctx, &sql.TxOptions{Isolation: s.d.readIsolation, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, d: s.d, now: s.now().UTC()}, nil
}

func (t *tx) Commit() error   { return t.tx.Commit() }
func (t *tx) Rollback() error { return t.tx.Rollback() }

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.rebind(query))
}
