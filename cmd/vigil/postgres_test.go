package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/examples"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// testPostgres returns the connection string of an empty schema of the
// test's own on the PostgreSQL server at VIGIL_TEST_POSTGRES_DSN (default:
// user postgres on 127.0.0.1:5432, which scripts/services sets up), dropped
// when the test ends. The test fails, never skips, when the server is not
// there. (The store module's tests use store/internal/pgtest, which this
// module cannot import; the "pgx" driver is registered by sqlstore.)
func testPostgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("VIGIL_TEST_POSTGRES_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		tb.Fatalf("PostgreSQL is not reachable (%v). These tests need a real PostgreSQL server: "+
			"run scripts/services (it installs and starts PostgreSQL on 127.0.0.1:5432), "+
			"or point VIGIL_TEST_POSTGRES_DSN at one.", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "vigil_test_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	if u, err := url.Parse(base); err == nil && strings.HasPrefix(u.Scheme, "postgres") {
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return base + " search_path=" + schema
}

// TestConfigPostgres: store.postgres in the file, VIGIL_POSTGRES over it,
// and the store config they make; a bad connection string is refused
// before anything starts, without its password in the message.
func TestConfigPostgres(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	err := os.WriteFile(path, []byte("store:\n  sqlite: /var/lib/vigil/vigil.db\n  postgres: postgres://vigil:secret@db.example/vigil\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig(path, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if sc := cfg.storeConfig(); sc.Postgres != "postgres://vigil:secret@db.example/vigil" || sc.Path != "" {
		t.Errorf("store config from the file: %+v", sc)
	}
	if got := cfg.storeConfig().String(); got != "postgres db.example:5432/vigil" {
		t.Errorf("store described as %q", got)
	}
	env["VIGIL_POSTGRES"] = "postgres://other.example/vigil"
	if cfg, err = loadConfig(path, getenv); err != nil {
		t.Fatal(err)
	}
	if got := cfg.storeConfig().Postgres; got != "postgres://other.example/vigil" {
		t.Errorf("VIGIL_POSTGRES did not override the file: %q", got)
	}
	delete(env, "VIGIL_POSTGRES")
	if cfg, err = loadConfig("", getenv); err != nil {
		t.Fatal(err)
	}
	if sc := cfg.storeConfig(); sc.Postgres != "" || sc.Path != filepath.Join("data", "vigil.db") {
		t.Errorf("default store config %+v, want SQLite in the data directory", sc)
	}

	env["VIGIL_POSTGRES"] = "postgres://vigil:hunter2@db.example:port/vigil"
	if cfg, err = loadConfig("", getenv); err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "store.postgres") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Validate with a bad connection string: %v; want an error naming store.postgres, without the password", err)
	}
}

// TestConfigPostgresFlags: --postgres reaches the store config of `vigil
// run` and `vigil replay`, checked before anything starts.
func TestConfigPostgresFlags(t *testing.T) {
	bad := "postgres://vigil:hunter2@db.example:port/vigil"
	for _, args := range [][]string{
		{"run", "--postgres", bad},
		{"replay", "--lexicon", "x.yaml", "--postgres", bad, "--data-dir", t.TempDir(), "--kafka-brokers", "127.0.0.1:1"},
	} {
		code, _, errs := runVigil(t, args...)
		if code == exitOK || !strings.Contains(errs, "not a valid PostgreSQL connection string") || strings.Contains(errs, "hunter2") {
			t.Errorf("vigil %s: exit %d, %q; want the connection string refused, without its password", args[0], code, errs)
		}
	}
	code, _, errs := runVigil(t, "replay", "--lexicon", "x.yaml", "--postgres", "postgres://db.example/vigil", "--sqlite", "v.db")
	if code != exitUsage || !strings.Contains(errs, "not both") {
		t.Errorf("replay --sqlite --postgres: exit %d, %q; want a usage error", code, errs)
	}
}

// TestDemoPostgres runs the demo with the store and api roles on
// PostgreSQL (VIGIL_POSTGRES): every post is stored there, nothing in
// SQLite, the API reads it back, and `vigil replay --postgres` compares
// the demo's own lexicon with the stored verdicts: all unchanged.
func TestDemoPostgres(t *testing.T) {
	dsn := testPostgres(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	err := fs.WalkDir(examples.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(examples.FS, p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(conf, filepath.Dir(p)), 0o700)
		return os.WriteFile(filepath.Join(conf, p), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(conf, defaultConfigName)
	cfg, err := loadConfig(cfgPath, func(k string) string {
		if k == "VIGIL_POSTGRES" {
			return dsn
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	r := MustRunMain(t, cfg, dataDir, targetAll)

	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Postgres: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	posts := countLines(t, conf, "posts.jsonl")
	eventually(t, 60*time.Second, "every demo post stored in PostgreSQL", func() (bool, string) {
		n := countPosts(t, db)
		return n == posts, fmt.Sprintf("%d posts of %d", n, posts)
	})
	var acc accountsResp
	get(t, r.base, "/api/v1/accounts?flagged=true&limit=1000", &acc)
	handles := map[string]bool{}
	for _, a := range acc.Accounts {
		handles[a.Handle] = a.FlagCount > 0
	}
	if !handles["angry_patriot_88"] || !handles["example_general_7"] {
		t.Errorf("flagged accounts from the API: %d, without the demo's", len(acc.Accounts))
	}
	if _, err := os.Stat(filepath.Join(dataDir, "vigil.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite database was made in the data directory (%v)", err)
	}

	rep := replayJSON(t, "--config", cfgPath, "--lexicon", filepath.Join(conf, "lexicon.yaml"), "--data-dir", dataDir, "--postgres", dsn)
	if rep.Posts != posts || rep.Unchanged.Count != posts || rep.NotInStore.Count != 0 {
		t.Errorf("replay against PostgreSQL: %d posts, %d unchanged, %d not stored; want all %d unchanged",
			rep.Posts, rep.Unchanged.Count, rep.NotInStore.Count, posts)
	}
	// The audit commands choose the store as vigil run does:
	// VIGIL_POSTGRES, with no flag, is PostgreSQL.
	code, out, errs := runVigilEnv(t, map[string]string{"VIGIL_POSTGRES": dsn}, "audit", "verify", "--config", cfgPath, "--json")
	if code != exitOK || !strings.Contains(out, `"ok": true`) {
		t.Errorf("audit verify with VIGIL_POSTGRES: exit %d\n%s%s", code, out, errs)
	}
	r.stop(t)
}
