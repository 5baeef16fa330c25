package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/classify/reload/redisnotify"
	"github.com/vigilhq/vigil/internal/redistest"
)

const reloadLexicon = `name: reload-test
version: "1"
categories:
  - {id: dehumanisation, label: Dehumanising language, severity: 3}
terms:
  - {id: vermin, term: vermin, category: dehumanisation, lang: en}
`

const zorblaxTerm = "  - {id: zorblax, term: zorblax, category: dehumanisation, lang: en}\n"

// reloadSetup writes a config with one lexicon and one followed posts file
// into a temporary directory; extra is appended to the config.
type reloadSetup struct {
	dir, lexicon, posts string
}

func newReloadSetup(t *testing.T, extra string) (*reloadSetup, *Config) {
	t.Helper()
	s := &reloadSetup{dir: t.TempDir()}
	s.lexicon = filepath.Join(s.dir, "lexicon.yaml")
	s.posts = filepath.Join(s.dir, "posts.jsonl")
	writeTestFile(t, s.lexicon, reloadLexicon)
	writeTestFile(t, s.posts, "")
	config := filepath.Join(s.dir, "vigil.yaml")
	writeTestFile(t, config, "sources:\n  - {type: file, name: live, path: posts.jsonl, follow: true}\n"+
		"classify:\n  lexicons: [lexicon.yaml]\n"+extra)
	cfg, err := loadConfig(config, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// post appends a post to the followed posts file.
func (s *reloadSetup) post(t *testing.T, id, text string) {
	t.Helper()
	f, err := os.OpenFile(s.posts, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, `{"platform":"x","id":%q,"author":{"id":"a1","handle":"reload_test"},"text":%q,"created_at":"2026-11-01T08:00:00Z"}`+"\n", id, text)
}

type storedVerdict struct {
	Verdict struct {
		Flagged bool `json:"flagged"`
		Matches []struct {
			TermID string `json:"term_id"`
		} `json:"matches"`
		Regions []string `json:"regions"`
	} `json:"verdict"`
}

// verdict waits until post id is stored and returns its verdict.
func verdict(t *testing.T, r *running, id string) storedVerdict {
	t.Helper()
	var v storedVerdict
	eventually(t, 60*time.Second, "post "+id+" stored", func() (bool, string) {
		code := get(t, r.base, "/api/v1/posts/x/"+id, &v)
		return code == 200, fmt.Sprintf("HTTP %d", code)
	})
	return v
}

// reloads is vigil_classify_lexicon_reloads_total{result,trigger}.
func reloads(t *testing.T, g prometheus.Gatherer, result, trigger string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "vigil_classify_lexicon_reloads_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["result"] == result && labels["trigger"] == trigger {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func waitReloads(t *testing.T, r *running, result, trigger string, want float64) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("reloads{%s,%s} = %v", result, trigger, want), func() (bool, string) {
		n := reloads(t, r.m.Registry, result, trigger)
		return n == want, fmt.Sprintf("%v", n)
	})
}

func writeTestFile(tb testing.TB, path, body string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// TestLexiconReloadInPipeline runs the pipeline without Redis, edits its
// lexicon, and sees a post ingested after the edit flagged by the new term
// while the post before it stays as it was judged; then SIGHUP reloads,
// and a broken edit keeps the lexicon in service.
func TestLexiconReloadInPipeline(t *testing.T) {
	s, cfg := newReloadSetup(t, "")
	r := MustRunMain(t, cfg, filepath.Join(s.dir, "data"), targetAll)

	s.post(t, "before", "a zorblax was seen downtown")
	if v := verdict(t, r, "before"); v.Verdict.Flagged {
		t.Fatalf("flagged before the term was added: %+v", v)
	}

	writeTestFile(t, s.lexicon, reloadLexicon+zorblaxTerm)
	waitReloads(t, r, "ok", "file", 1)
	s.post(t, "after", "a zorblax was seen downtown again")
	v := verdict(t, r, "after")
	if !v.Verdict.Flagged || len(v.Verdict.Matches) != 1 || v.Verdict.Matches[0].TermID != "zorblax" {
		t.Fatalf("the post after the edit: %+v, want flagged by zorblax", v)
	}
	if v := verdict(t, r, "before"); v.Verdict.Flagged {
		t.Errorf("the post before the edit was judged again: %+v", v)
	}

	// SIGHUP reloads (Main has SIGHUP in hand while classify runs).
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitReloads(t, r, "ok", "signal", 1)

	// A broken edit: counted, and the lexicon in service still flags.
	writeTestFile(t, s.lexicon, reloadLexicon+"  - {id: zorblax, term: zorblax, category: nope, lang: en}\n")
	waitReloads(t, r, "error", "file", 1)
	s.post(t, "broken", "one more zorblax")
	if v := verdict(t, r, "broken"); !v.Verdict.Flagged {
		t.Errorf("after a broken edit the post was not flagged: the old lexicon was not kept: %+v", v)
	}
}

// TestLexiconReloadCommand: `vigil lexicon reload` against the real Redis
// reaches a running pipeline configured with the same channel, which
// reloads; an unreachable Redis is exit status 1 with a clear message.
func TestLexiconReloadCommand(t *testing.T) {
	addr := redistest.Addr(t)
	channel := redistest.Channel(t)
	s, cfg := newReloadSetup(t, fmt.Sprintf("redis:\n  addr: %q\n  reload_channel: %q\n", addr, channel))
	if cfg.Redis.Addr != addr || cfg.Redis.ReloadChannel != channel {
		t.Fatalf("redis config %+v", cfg.Redis)
	}
	r := MustRunMain(t, cfg, filepath.Join(s.dir, "data"), targetAll)
	redistest.WaitSubscribers(t, redistest.Client(t), channel, 1)

	run := func(env map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := execute(context.Background(), append([]string{"lexicon", "reload"}, args...),
			IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
		return code, out.String(), errb.String()
	}
	code, out, errOut := run(nil, "--redis-addr", addr, "--channel", channel, "--reason", "test deploy", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Channel   string             `json:"channel"`
		Receivers int64              `json:"receivers"`
		Notice    redisnotify.Notice `json:"notice"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Channel != channel || res.Receivers != 1 || res.Notice.Reason != "test deploy" || res.Notice.Host == "" {
		t.Errorf("output %+v, want the channel, 1 receiver and the notice", res)
	}
	waitReloads(t, r, "ok", "notice", 1)

	// The address from the environment; the text form.
	code, _, errOut = run(map[string]string{"VIGIL_REDIS_ADDR": addr}, "--channel", channel)
	if code != exitOK || !strings.Contains(errOut, "1 subscriber(s) received it") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	waitReloads(t, r, "ok", "notice", 2)

	// Nobody listening: published, with a warning.
	code, _, errOut = run(nil, "--redis-addr", addr, "--channel", channel+":nobody")
	if code != exitOK || !strings.Contains(errOut, "no classify replica is subscribed") {
		t.Errorf("exit %d: %s", code, errOut)
	}

	// Unreachable: exit 1, saying where it looked.
	start := time.Now()
	code, _, errOut = run(nil, "--redis-addr", "127.0.0.1:1", "--channel", channel)
	if code != exitFail || !strings.Contains(errOut, "cannot reach Redis at 127.0.0.1:1") {
		t.Errorf("unreachable Redis: exit %d, stderr %q", code, errOut)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("giving up on an unreachable Redis took %s", d)
	}
	// No address at all: a usage error.
	if code, _, errOut = run(nil); code != exitUsage || !strings.Contains(errOut, "--redis-addr") {
		t.Errorf("no address: exit %d, stderr %q", code, errOut)
	}
}

func TestLexiconCommandUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"lexicon"}, exitUsage, `"vigil lexicon reload"`},
		{"unknown subcommand", []string{"lexicon", "nope"}, exitUsage, `unknown lexicon command "nope"`},
		{"help", []string{"lexicon", "--help"}, exitOK, "vigil lexicon reload [flags]"},
		{"reload help", []string{"lexicon", "reload", "--help"}, exitOK, "Example:"},
		{"reload arguments", []string{"lexicon", "reload", "--redis-addr", "x:1", "extra"}, exitUsage, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(context.Background(), tc.args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.want) {
				t.Fatalf("exit %d (want %d), output:\n%s%s\nwant it to contain %q", code, tc.code, out.String(), errb.String(), tc.want)
			}
		})
	}
}

func TestRedisConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	noEnv := func(string) string { return "" }

	writeTestFile(t, path, "classify:\n  lexicons: [l.yaml]\nredis:\n  adr: 127.0.0.1:6379\n")
	if _, err := loadConfig(path, noEnv); err == nil || !strings.Contains(err.Error(), path+`:4: unknown key "adr"`) {
		t.Errorf("got %v, want %s:4: unknown key \"adr\"", err, path)
	}

	writeTestFile(t, path, "classify:\n  lexicons: [l.yaml]\n")
	cfg, err := loadConfig(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redis.Addr != "" || cfg.Redis.ReloadChannel != "vigil:lexicon-reload" {
		t.Errorf("defaults %+v, want no address and channel vigil:lexicon-reload", cfg.Redis)
	}
	cfg, err = loadConfig(path, func(k string) string {
		if k == "VIGIL_REDIS_ADDR" {
			return "redis.example:6379"
		}
		return ""
	})
	if err != nil || cfg.Redis.Addr != "redis.example:6379" {
		t.Errorf("VIGIL_REDIS_ADDR not applied: %+v, %v", cfg.Redis, err)
	}

	writeTestFile(t, path, "classify:\n  lexicons: [l.yaml]\nredis: {addr: no-port, reload_channel: \"\"}\n")
	if cfg, err = loadConfig(path, noEnv); err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	for _, want := range []string{`redis.addr "no-port": want host:port`, "redis.reload_channel: must not be empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %s", err, want)
		}
	}
}
