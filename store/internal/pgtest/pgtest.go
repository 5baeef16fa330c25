// Package pgtest connects tests to a real PostgreSQL server: the one at
// VIGIL_TEST_POSTGRES_DSN (default DefaultDSN), which scripts/services
// starts. A test that needs PostgreSQL fails, never skips, when it is not
// there, and says how to start it. Each test gets a schema of its own,
// dropped when it ends, so that tests run in parallel on one server.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// DefaultDSN is where the tests look for PostgreSQL unless
// VIGIL_TEST_POSTGRES_DSN says otherwise: user postgres on 127.0.0.1
// without a password, as scripts/services sets it up.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// BaseDSN returns the test server's connection string, without a schema.
func BaseDSN() string {
	if v := os.Getenv("VIGIL_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return DefaultDSN
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB returns a small pool on the test server, shared by the tests of
// the process, after checking once that the server answers.
func adminDB(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := BaseDSN()
	admin.once.Do(func() {
		cc, err := pgx.ParseConfig(dsn)
		if err != nil {
			admin.err = err
			return
		}
		cc.ConnectTimeout = 5 * time.Second
		db := stdlib.OpenDB(*cc)
		db.SetMaxOpenConns(4)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			admin.err = err
			return
		}
		admin.db = db
	})
	if admin.err != nil {
		tb.Fatalf("PostgreSQL is not reachable at %s (%v). These tests need a real PostgreSQL server: "+
			"run scripts/services (it installs and starts PostgreSQL on 127.0.0.1:5432, where user postgres "+
			"connects without a password), or point VIGIL_TEST_POSTGRES_DSN at one.", describe(dsn), admin.err)
	}
	return admin.db
}

// describe is dsn without its password, for messages.
func describe(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	if strings.Contains(dsn, "password") {
		return "(the connection string in VIGIL_TEST_POSTGRES_DSN)"
	}
	return dsn
}

// Schema creates an empty schema of the test's own, named
// vigil_test_<random>, drops it (with everything in it) when the test
// ends, and returns the connection string of the test server with that
// schema as its search path: every connection made with it creates and
// finds its tables there.
func Schema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	db := adminDB(tb)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "vigil_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(BaseDSN(), schema)
	if err != nil {
		tb.Fatal(err)
	}
	return dsn, schema
}

// WithSearchPath returns dsn, a URL or key=value connection string, with
// the search_path run-time parameter set to schema, a plain identifier.
func WithSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("VIGIL_TEST_POSTGRES_DSN is not a valid URL")
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema, nil
}
