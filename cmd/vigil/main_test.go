package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/examples"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// TestMain lets the test binary stand in for the vigil binary: with
// VIGIL_TEST_MAIN=1 it runs Main on its arguments, so the crash test can
// start and SIGKILL a real role process without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("VIGIL_TEST_MAIN") == "1" {
		args := os.Args[1:]
		for i, a := range args {
			if a == "--" {
				args = args[i+1:]
				break
			}
		}
		main2(args)
		return
	}
	os.Exit(m.Run())
}

const testToken = "test-admin-token-0123456789abcdef0123456789"

// running is a Vigil process started in-process by a test.
type running struct {
	m      *Main
	base   string
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned, with err set
	err    error
}

// stop ends the process and waits for it to drain and close.
func (r *running) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			tb.Fatalf("vigil run: %v", r.err)
		}
	case <-time.After(60 * time.Second):
		tb.Fatal("vigil run did not stop within 60s")
	}
}

// MustRunMain runs the whole program in-process on port 0 with the given
// config (nil: the embedded demo) and data directory, like `vigil run`.
func MustRunMain(tb testing.TB, cfg *Config, dataDir, target string) *running {
	tb.Helper()
	if cfg == nil {
		var err error
		if cfg, err = loadConfig("", func(string) string { return "" }); err != nil {
			tb.Fatal(err)
		}
	}
	cfg.DataDir = dataDir
	cfg.HTTP.Addr = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	m := &Main{Config: cfg, Target: target, Log: newLogger(io.Discard, 0), AdminToken: testToken}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{m: m, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = m.Run(ctx); close(r.done) }()
	select {
	case <-m.Ready():
	case <-r.done:
		tb.Fatalf("vigil run failed to start: %v", r.err)
	case <-time.After(60 * time.Second):
		tb.Fatal("vigil run not ready within 60s")
	}
	if a := m.HTTPAddr(); a != nil {
		r.base = "http://" + a.String()
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
		}
	})
	return r
}

// get fetches an API path with the admin token and decodes the JSON.
func get(tb testing.TB, base, path string, out any) int {
	tb.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return res.StatusCode
}

// eventually polls cond until it holds or the deadline passes.
func eventually(tb testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(d)
	var last string
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatalf("%s: not within %s (last: %s)", what, d, last)
}

type accountsResp struct {
	Accounts []struct {
		Platform   string         `json:"platform"`
		ID         string         `json:"id"`
		Handle     string         `json:"handle"`
		FlagCount  int            `json:"flag_count"`
		PostCount  int            `json:"post_count"`
		Categories map[string]int `json:"categories"`
		Lists      []string       `json:"lists"`
	} `json:"accounts"`
}

func TestHelpAndUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, exitUsage, "Commands:"},
		{"unknown command", []string{"nope"}, exitUsage, `unknown command "nope"`},
		{"run help", []string{"run", "--help"}, exitOK, "Example:"},
		{"classify help", []string{"classify", "--help"}, exitOK, "Example:"},
		{"bad flag", []string{"run", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{"bad target", []string{"run", "--target=bogus"}, exitUsage, "want all, ingest"},
		{"role without brokers", []string{"run", "--target=store"}, exitUsage, "needs --kafka-brokers"},
		{"classify without lexicon", []string{"classify"}, exitUsage, "--lexicon is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(context.Background(), tc.args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String()+out.String(), tc.want) {
				t.Fatalf("output lacks %q:\n%s%s", tc.want, out.String(), errb.String())
			}
		})
	}
}

func TestConfigErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(path, []byte("sources:\n  - type: file\n    name: a\n    pth: x.jsonl\nclassify:\n  lexicons: [l.yaml]\n"), 0o600)
	_, err := loadConfig(path, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), path+`:4: unknown key "pth"`) {
		t.Fatalf("got %v, want %s:4: unknown key \"pth\"", err, path)
	}
	os.WriteFile(path, []byte("sources:\n  - {type: myspace, name: a}\nclassify:\n  lexicons: [l.yaml]\n"), 0o600)
	if _, err := loadConfig(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), path+`:2: sources: unknown source type "myspace"`) {
		t.Errorf("got %v, want %s:2: sources: unknown source type \"myspace\"", err, path)
	}
	os.WriteFile(path, []byte("sources:\n  - {type: twitter, name: a}\nclassify:\n  lexicons: [missing.yaml]\n"), 0o600)
	cfg, err := loadConfig(path, func(k string) string {
		if k == "VIGIL_DATA_DIR" {
			return "/tmp/from-env"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/tmp/from-env" {
		t.Errorf("VIGIL_DATA_DIR not applied: %q", cfg.DataDir)
	}
	err = cfg.Validate()
	for _, want := range []string{path + `:2: twitter source a: give at least one of accounts or queries`, "missing.yaml"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
}

func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	r := MustRunMain(t, nil, dir, targetAll)
	var acc accountsResp
	eventually(t, 60*time.Second, "flagged demo accounts listed", func() (bool, string) {
		acc = accountsResp{}
		get(t, r.base, "/api/v1/accounts?flagged=true&limit=1000", &acc)
		handles := map[string]bool{}
		for _, a := range acc.Accounts {
			handles[a.Handle] = true
		}
		return handles["angry_patriot_88"] && handles["example_general_7"] && handles["demo_doxx_channel"], fmt.Sprintf("%d accounts", len(acc.Accounts))
	})
	for _, a := range acc.Accounts {
		if a.FlagCount == 0 {
			t.Errorf("account %s listed as flagged with no flags", a.Handle)
		}
		if a.Handle == "example_general_7" && !contains(a.Lists, "military_figures") {
			t.Errorf("example_general_7 lists = %v, want military_figures", a.Lists)
		}
	}
	// Every demo post is stored once the pipeline settles.
	db := openStore(t, dir)
	eventually(t, 60*time.Second, "all 200 demo posts stored", func() (bool, string) {
		n := countPosts(t, db)
		return n == 200, fmt.Sprintf("%d posts", n)
	})

	var p struct {
		Text      string `json:"text"`
		RawSHA256 string `json:"raw_sha256"`
		RawText   string `json:"raw_text"`
		Verdict   struct {
			Flagged    bool     `json:"flagged"`
			Categories []string `json:"categories"`
			Matches    []struct {
				TermID string `json:"term_id"`
				Start  int    `json:"start"`
				End    int    `json:"end"`
			} `json:"matches"`
		} `json:"verdict"`
	}
	if code := get(t, r.base, "/api/v1/posts/x/1999000000000000037", &p); code != 200 {
		t.Fatalf("GET post: %d", code)
	}
	if !p.Verdict.Flagged || !contains(p.Verdict.Categories, "dehumanisation") {
		t.Errorf("vermin post verdict = %+v, want flagged as dehumanisation", p.Verdict)
	}
	spans := map[string]bool{}
	for _, m := range p.Verdict.Matches {
		spans[p.Text[m.Start:m.End]] = true
	}
	if !spans["vermin"] || !spans["Those people"] {
		t.Errorf("match spans %+v do not point at \"vermin\" and \"Those people\" in %q", p.Verdict.Matches, p.Text)
	}
	if p.RawSHA256 == "" || !strings.Contains(p.RawText, `"id":"1999000000000000037"`) {
		t.Errorf("raw payload not kept: sha %q raw %q", p.RawSHA256, p.RawText)
	}
	// The chair (ကုလားထိုင်) is not the slur it contains.
	p.Verdict.Flagged = false
	get(t, r.base, "/api/v1/posts/x/1999000000000000048", &p)
	if p.Verdict.Flagged {
		t.Errorf("the chair post was flagged: %+v", p.Verdict)
	}
	if code := get(t, r.base, "/api/v1/posts/x/does-not-exist", nil); code != 404 {
		t.Errorf("missing post: %d, want 404", code)
	}
	var flags struct {
		Flags []struct {
			ID int64 `json:"id"`
		} `json:"flags"`
		Next string `json:"next"`
	}
	get(t, r.base, "/api/v1/flags?limit=5", &flags)
	if len(flags.Flags) != 5 || flags.Next == "" {
		t.Errorf("first page of flags: %d flags, next %q", len(flags.Flags), flags.Next)
	}
	flagCount := countFlags(t, db)

	// Every role's metrics are exposed and follow Prometheus's conventions.
	problems, err := testutil.GatherAndLint(r.m.Registry)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
	for name, want := range map[string]float64{"vigil_classify_posts_total": 200, "vigil_store_verdicts_written_total": 200} {
		if got := gathered(t, r.m.Registry, name); got < want {
			t.Errorf("%s = %v, want at least %v", name, got, want)
		}
	}

	// Stop and start again on the same data directory: nothing stored
	// twice, nothing lost.
	r.stop(t)
	r2 := MustRunMain(t, nil, dir, targetAll)
	time.Sleep(3 * time.Second)
	if n := countPosts(t, db); n != 200 {
		t.Errorf("after a restart the store holds %d posts, want 200", n)
	}
	if n := countFlags(t, db); n != flagCount {
		t.Errorf("after a restart the store holds %d flags, want %d", n, flagCount)
	}
	var acc2 accountsResp
	get(t, r2.base, "/api/v1/accounts?limit=1000", &acc2)
	total := 0
	for _, a := range acc2.Accounts {
		total += a.PostCount
	}
	if total != 200 {
		t.Errorf("account post counts add up to %d, want 200", total)
	}
}

// gathered sums the samples of a counter family.
func gathered(tb testing.TB, g prometheus.Gatherer, name string) float64 {
	tb.Helper()
	mfs, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func openStore(tb testing.TB, dataDir string) *sqlstore.Store {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Config{Path: filepath.Join(dataDir, "vigil.db")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func countPosts(tb testing.TB, db *sqlstore.Store) int {
	tb.Helper()
	n, err := db.CountPosts(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func countFlags(tb testing.TB, db *sqlstore.Store) int {
	tb.Helper()
	n, err := db.CountFlags(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestRunRefusesBadLexicon: a lexicon problem stops `vigil run` before any
// role starts, with the file and line in the message and exit status 1.
func TestRunRefusesBadLexicon(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lex.yaml"), []byte("name: x\nversion: \"1\"\ncategories:\n  - {id: a, label: A, severity: 3}\nterms:\n  - {id: t1, term: vermin, category: nope}\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "vigil.yaml"), []byte("classify:\n  lexicons: [lex.yaml]\n"), 0o600)
	var out, errb bytes.Buffer
	start := time.Now()
	code := execute(context.Background(), []string{"run", "--config", filepath.Join(dir, "vigil.yaml"), "--data-dir", filepath.Join(dir, "data"), "--http-addr", "127.0.0.1:0"},
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitFail {
		t.Fatalf("exit %d, want %d; stderr: %s", code, exitFail, errb.String())
	}
	if !strings.Contains(errb.String(), "lex.yaml:6:") || !strings.Contains(errb.String(), `"nope"`) {
		t.Fatalf("stderr does not name the file, line and category:\n%s", errb.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("refusing took %s", d)
	}
}

// TestConfigPathsRelativeToTheFile: paths in a config resolve against the
// config's own directory, including "../".
func TestConfigPathsRelativeToTheFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o700)
	os.MkdirAll(filepath.Join(dir, "lex"), 0o700)
	lex, _ := fs.ReadFile(examples.FS, "lexicon.yaml")
	os.WriteFile(filepath.Join(dir, "lex", "l.yaml"), lex, 0o600)
	os.WriteFile(filepath.Join(dir, "conf", "vigil.yaml"), []byte("classify:\n  lexicons: [../lex/l.yaml]\n"), 0o600)
	var errb bytes.Buffer
	code := execute(context.Background(), []string{"config", "check", "--config", filepath.Join(dir, "conf", "vigil.yaml")},
		IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitOK || !strings.Contains(errb.String(), "OK (0 source(s), 1 lexicon(s)") {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
}

func TestLexiconCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	head := "name: w\nversion: \"1\"\ncategories:\n  - {id: d, label: D, severity: 3}\nterms:\n"
	warn := write("warn.yaml", head+"  - {id: a, term: vermin, category: d}\n  - {id: b, term: VERMIN, category: d}\n")
	bad := write("bad.yaml", head+"  - {id: a, term: vermin, category: nope}\n")
	clash := write("clash.yaml", "name: x\nversion: \"1\"\ncategories:\n  - {id: d, label: D, severity: 4}\nterms:\n  - {id: z, term: pest, category: d}\n")
	for _, tc := range []struct {
		name  string
		files []string
		code  int
		want  string
	}{
		{"warning only", []string{warn}, exitOK, warn + `:7: warning: term "b": "VERMIN" normalises to "vermin", as term "a" does`},
		{"undeclared category", []string{bad}, exitFail, bad + `:6:`},
		{"files that disagree", []string{warn, clash}, exitFail, clash + `:4: category "d"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(context.Background(), append([]string{"lexicon", "check"}, tc.files...),
				IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != tc.code || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("exit %d (want %d), output:\n%s%s\nwant it to contain %q", code, tc.code, out.String(), errb.String(), tc.want)
			}
		})
	}
}
