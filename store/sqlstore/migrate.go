package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationsFS holds the schema, one directory per dialect. Files are named
// NNNN_description.sql and applied in order, each in its own transaction
// together with its row in schema_migrations. A migration, once released,
// is never edited: a change is a new file.
//
//go:embed migrations
var migrationsFS embed.FS

type migration struct {
	version int
	name    string // the file name
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the migrations in dir of fsys, sorted by version.
// Every .sql file must be well named and versions must not repeat.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql (lowercase)", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("migration %s: versions start at 0001", e.Name())
		}
		if other, ok := seen[v]; ok {
			return nil, fmt.Errorf("migrations %s and %s have the same version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies the migrations of d found in fsys that db has not
// applied yet. It returns the versions it applied. Each runs in its own
// write transaction that first takes the dialect's migration lock (SQLite:
// the write lock its transactions take when they begin; PostgreSQL: an
// advisory lock) and then checks whether it is applied, so two processes
// opening one database at once take turns and never apply a migration
// twice.
func migrate(ctx context.Context, db *sql.DB, d *dialect, fsys fs.FS) ([]int, error) {
	ms, err := loadMigrations(fsys, path.Join("migrations", d.name))
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, errNoMigrations
	}
	// Under the lock too: PostgreSQL's CREATE TABLE IF NOT EXISTS is not
	// safe against a concurrent one.
	err = inMigrationTx(ctx, db, d, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.createMigrationsTable)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range ms {
		ok, err := applyMigration(ctx, db, d, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if ok {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, db *sql.DB, d *dialect, m migration) (bool, error) {
	applied := false
	err := inMigrationTx(ctx, db, d, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, d.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, encodeTime(time.Now()))
		applied = err == nil
		return err
	})
	return applied && err == nil, err
}

// inMigrationTx runs fn in a transaction that holds the dialect's
// migration lock, and commits it when fn succeeds. Under READ COMMITTED
// every statement after the lock sees what the lock's previous holder
// committed.
func inMigrationTx(ctx context.Context, db *sql.DB, d *dialect, fn func(*sql.Tx) error) error {
	// Several processes opening one fresh SQLite file at once can meet
	// SQLITE_BUSY without the busy timeout applying (switching the file
	// to WAL needs it to themselves): such a transaction is tried again.
	for attempt := 1; ; attempt++ {
		err := migrationTxOnce(ctx, db, d, fn)
		if err == nil || attempt == 20 || !sqliteBusy(err) {
			return err
		}
		if werr := retryWait(ctx, attempt); werr != nil {
			return err
		}
	}
}

// sqliteBusy reports whether err is SQLite's "database is locked".
func sqliteBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func migrationTxOnce(ctx context.Context, db *sql.DB, d *dialect, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: d.writeIsolation})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// errNoMigrations guards against an embed pattern that matched nothing.
var errNoMigrations = errors.New("no migrations embedded for this dialect")
