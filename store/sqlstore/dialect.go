package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)

	"github.com/vigilhq/vigil/event"
)

// This file holds everything that differs between SQL databases. The queries
// elsewhere in the package are written once, with '?' placeholders and
// syntax that SQLite and PostgreSQL share (INSERT ... ON CONFLICT, RETURNING,
// LIMIT/OFFSET, CASE, EXISTS, subqueries); each dialect has its own
// migrations directory, driver, pools, placeholder style, and the few
// fragments below (row locks, isolation levels, the migration lock).
//
// The schemas are kept so that the queries mean the same on both: times are
// text in one fixed-width form (encodeTime) whose byte order is time order,
// text compares byte by byte (SQLite's BINARY; COLLATE "C" on every
// PostgreSQL text column), JSON documents are text, raw payloads binary,
// and flags ids increase and are never reused.

// dialect describes one SQL database.
type dialect struct {
	// name is the dialect's name and its directory under migrations/.
	name string
	// bindvars is the placeholder style queries are rewritten to.
	bindvars bindvarStyle
	// createMigrationsTable creates the table that records applied
	// migrations, if it does not exist.
	createMigrationsTable string
	// migrationLock, when set, runs first in every migration transaction
	// and holds until it ends, so that processes migrating one database at
	// once take turns. SQLite needs none: a write transaction there takes
	// the database's one write lock when it begins.
	migrationLock string
	// forUpdate ends a SELECT in a write transaction that reads a row it
	// will then change on the strength of what it read: it locks the row
	// until the transaction ends. Empty for SQLite, whose one writer
	// already excludes every other.
	forUpdate string
	// writeIsolation and readIsolation are the write and the read-only
	// transactions' isolation levels.
	writeIsolation, readIsolation sql.IsolationLevel
	// retryable reports whether a write transaction that failed with err
	// may succeed if run again (a deadlock, a serialization failure).
	retryable func(err error) bool
	// checkVerdict refuses a verdict holding a value the database cannot
	// store; nil when every value is storable.
	checkVerdict func(v *event.Verdict) error
	// openWriter and openReader open the pool that writes and the pool
	// that reads.
	openWriter func(cfg Config) (*sql.DB, error)
	openReader func(cfg Config) (*sql.DB, error)
}

// redact removes from err's message the secrets of cfg (a PostgreSQL
// password), keeping err in the chain for errors.Is and errors.As.
func (d *dialect) redact(cfg Config, err error) error {
	if err == nil || cfg.Postgres == "" {
		return err
	}
	msg := err.Error()
	clean := redactSecrets(msg, cfg.Postgres)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

type bindvarStyle int

const (
	bindQuestion bindvarStyle = iota // ?, ?, ? (SQLite, MySQL)
	bindDollar                       // $1, $2, $3 (PostgreSQL)
)

// rebind rewrites the '?' placeholders of query into the dialect's style.
// Queries in this package never hold a '?' inside a string literal.
func (d *dialect) rebind(query string) string {
	if d.bindvars == bindQuestion {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// sqliteBusyTimeout is how long a connection waits for a lock held by
// another connection (another process, or a checkpoint) before it fails
// with SQLITE_BUSY.
const sqliteBusyTimeout = 5 * time.Second

var sqliteDialect = dialect{
	name:     "sqlite",
	bindvars: bindQuestion,
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`,
	retryable: func(error) bool { return false },
	openWriter: func(cfg Config) (*sql.DB, error) {
		// BEGIN IMMEDIATE takes the write lock when the transaction
		// starts, so a write transaction never fails halfway on a lock
		// upgrade. WAL with synchronous=NORMAL syncs at checkpoints, not
		// at every commit: a power cut can lose the last commits, never
		// corrupt the file, and the verdicts are still in Kafka.
		// temp_store keeps statement journals in memory (multi-row
		// upserts need them), and checkpoints every 10,000 pages (about
		// 40 MB of WAL) rather than 1,000 copy hot index pages less often:
		// each is worth 15-25% of write throughput (BenchmarkWriteVerdicts).
		// A larger page cache than the default 2 MB measured slower.
		db, err := openSQLite(cfg.Path, "_txlock=immediate",
			"journal_mode(WAL)", "synchronous(NORMAL)", "temp_store(MEMORY)",
			"wal_autocheckpoint(10000)")
		if err != nil {
			return nil, err
		}
		// SQLite has one writer at a time: a pool of one serialises
		// writes in Go instead of in busy-waits on the file lock.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		return db, nil
	},
	openReader: func(cfg Config) (*sql.DB, error) {
		// In WAL mode readers see the last committed snapshot and never
		// wait for the writer; query_only makes a stray write fail loudly.
		db, err := openSQLite(cfg.Path, "", "query_only(1)")
		if err != nil {
			return nil, err
		}
		n := cfg.readConns()
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		db.SetConnMaxLifetime(0)
		return db, nil
	},
}

// openSQLite opens path through modernc.org/sqlite with the pragmas every
// connection needs plus the extra ones given. The path is turned into a
// file: URI so that any character in it ('?', '#', '%') is safe.
func openSQLite(path, params string, pragmas ...string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite path %q: %w", path, err)
	}
	q := url.Values{}
	for _, p := range append([]string{
		"busy_timeout(" + strconv.FormatInt(sqliteBusyTimeout.Milliseconds(), 10) + ")",
		"foreign_keys(1)",
	}, pragmas...) {
		q.Add("_pragma", p)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + q.Encode()
	if params != "" {
		dsn += "&" + params
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return db, nil
}

// PostgreSQL. Several writers run at once, connections of one process or
// of several (store replicas), each write transaction in READ COMMITTED.
// That is enough for the aggregates to stay right: every insert is an
// INSERT ... ON CONFLICT, which waits for a concurrent insert of the same
// key and then sees its row; every counter moves by an UPDATE or upsert
// that adds a delta to the row's latest version; and re-judgement reads a
// post's current verdict and its flag with SELECT ... FOR NO KEY UPDATE,
// so two transactions re-judging one post take turns and the second starts
// from what the first wrote. A new post is inserted by exactly one
// transaction (the others' inserts wait and then do nothing), so its
// account counts it once.
//
// Deadlocks are avoided by order: a write transaction takes its row locks
// table by table in one fixed order (posts, verdict_history, flags, the
// re-judged posts and their flags, then the accounts and their children,
// all of an account's changes at once) and within a table in key order.
// One that happens anyway (PostgreSQL aborts one of the two transactions,
// which wrote nothing) is retried, as is a serialization failure.
//
// Reads are REPEATABLE READ, READ ONLY: one snapshot for the several
// queries of a read (ListAccounts pages accounts, then reads their handles,
// categories and lists), which never waits for a writer and, being read
// only, never fails to serialize. The read pool's connections also set
// default_transaction_read_only, so that a stray write fails loudly.
var postgresDialect = dialect{
	name:     "postgres",
	bindvars: bindDollar,
	createMigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT COLLATE "C" NOT NULL,
	applied_at TEXT COLLATE "C" NOT NULL
)`,
	// A transaction-scoped advisory lock, one per schema, so that two
	// processes (or stores in two schemas of one database) each migrate
	// their own schema in turn; it is released at commit or rollback.
	migrationLock: `SELECT pg_advisory_xact_lock(hashtext('vigil.sqlstore.migrate'), hashtext(COALESCE(current_schema(), '')))`,
	// NO KEY: the row's key does not change, so foreign-key checks of
	// other transactions (FOR KEY SHARE, for a history row or a flag
	// category) do not wait for it.
	forUpdate:      " FOR NO KEY UPDATE",
	writeIsolation: sql.LevelReadCommitted,
	readIsolation:  sql.LevelRepeatableRead,
	retryable: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") // deadlock_detected, serialization_failure
	},
	checkVerdict: checkNoNUL,
	openWriter: func(cfg Config) (*sql.DB, error) {
		db, err := openPostgres(cfg, false)
		if err != nil {
			return nil, err
		}
		n := cfg.writeConns()
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		return db, nil
	},
	openReader: func(cfg Config) (*sql.DB, error) {
		db, err := openPostgres(cfg, true)
		if err != nil {
			return nil, err
		}
		n := cfg.readConns()
		db.SetMaxOpenConns(n)
		db.SetMaxIdleConns(n)
		return db, nil
	},
}

// openPostgres opens a pool of cfg.Postgres through pgx's database/sql
// driver. Connections are recycled now and then, so that a pool follows a
// failover or a server restart, and idle ones are closed after a while.
func openPostgres(cfg Config, readOnly bool) (*sql.DB, error) {
	cc, err := parsePostgres(cfg.Postgres)
	if err != nil {
		return nil, err
	}
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "vigil"
	}
	if readOnly {
		cc.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cc)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// checkNoNUL refuses a verdict with a NUL character in a value stored in a
// text column: PostgreSQL's text cannot hold one (SQLite's can). JSON
// columns hold it escaped, and the raw payload is binary, so neither
// matters.
func checkNoNUL(v *event.Verdict) error {
	p := &v.Post
	for _, f := range []struct{ name, v string }{
		{"platform", p.Platform}, {"id", p.ID}, {"author.id", p.Author.ID},
		{"author.handle", p.Author.Handle}, {"author.name", p.Author.Name}, {"text", p.Text},
		{"url", p.URL}, {"lang", p.Lang}, {"source", p.Source}, {"raw_sha256", p.RawSHA256},
		{"lexicon", v.Lexicon}, {"lexicon_hash", v.LexiconHash}, {"pipeline", v.Pipeline},
	} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return event.Errorf(event.EINVALID, "post %s: %s holds a NUL character, which PostgreSQL text cannot store", p.Ref(), f.name)
		}
	}
	for _, c := range v.Categories {
		if strings.IndexByte(c, 0) >= 0 {
			return event.Errorf(event.EINVALID, "post %s: a category holds a NUL character, which PostgreSQL text cannot store", p.Ref())
		}
	}
	// Stored as JSON text, where a NUL is \u0000, which the region
	// filter's json_array_elements_text cannot turn back into text.
	for _, ids := range []struct {
		name string
		ids  []string
	}{{"target group", v.Groups}, {"region", v.Regions}, {"place", v.Places}} {
		for _, id := range ids.ids {
			if strings.IndexByte(id, 0) >= 0 {
				return event.Errorf(event.EINVALID, "post %s: a %s holds a NUL character, which PostgreSQL text cannot store", p.Ref(), ids.name)
			}
		}
	}
	for _, l := range v.Lists {
		if strings.IndexByte(l.List, 0) >= 0 {
			return event.Errorf(event.EINVALID, "post %s: a list name holds a NUL character, which PostgreSQL text cannot store", p.Ref())
		}
	}
	return nil
}

// maxWriteAttempts bounds how often a write transaction that failed with a
// retryable error is run; between attempts it waits a little, at random,
// so that two transactions that deadlocked do not meet again at once.
const maxWriteAttempts = 5

func retryWait(ctx context.Context, attempt int) error {
	d := time.Duration(attempt) * (5*time.Millisecond + rand.N(20*time.Millisecond))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Times are stored as text in one fixed-width RFC 3339 form, always UTC
// with nanoseconds: 2026-11-01T08:00:00.000000000Z. Fixed width makes text
// order time order, so SQL can compare and sort them; the same text is a
// valid PostgreSQL timestamptz literal. A zero time is stored as NULL.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// encodeTime returns t in timeLayout, or nil (NULL) for the zero time.
func encodeTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// formatTime is t.UTC().Format(timeLayout) for years 0 to 9999, written
// out because a batch formats thousands of times and Format parses its
// layout each time.
func formatTime(t time.Time) string {
	t = t.UTC()
	var b [len(timeLayout)]byte
	put := func(at, v, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, second, 2)
	b[19] = '.'
	put(20, t.Nanosecond(), 9)
	b[29] = 'Z'
	return string(b[:])
}

// timeInRange reports whether t can be stored in timeLayout (four-digit
// years), which keeps text order equal to time order.
func timeInRange(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// timeColumn scans a time written by encodeTime (or a driver's native
// timestamp) into *t; NULL scans as the zero time.
type timeColumn struct{ t *time.Time }

func (c timeColumn) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
		return nil
	case time.Time:
		*c.t = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("scan time: unsupported type %T", src)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*c.t = t.UTC()
	return nil
}
