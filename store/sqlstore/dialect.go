package sqlstore

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// This file holds everything that differs between SQL databases. The queries
// elsewhere in the package are written once, with '?' placeholders and
// syntax that SQLite and PostgreSQL share (INSERT ... ON CONFLICT, RETURNING,
// LIMIT/OFFSET, CASE, EXISTS, subqueries); a PostgreSQL dialect adds its own
// migrations directory, its driver and DSN, and the '$n' placeholder style.

// dialect describes one SQL database.
type dialect struct {
	// name is the dialect's name and its directory under migrations/.
	name string
	// bindvars is the placeholder style queries are rewritten to.
	bindvars bindvarStyle
	// createMigrationsTable creates the table that records applied
	// migrations, if it does not exist.
	createMigrationsTable string
	// openWriter and openReader open the pool that writes (one connection)
	// and the pool that reads.
	openWriter func(cfg Config) (*sql.DB, error)
	openReader func(cfg Config) (*sql.DB, error)
}

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
