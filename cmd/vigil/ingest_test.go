package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest/sources"
)

// feedServer serves an RSS 2.0 feed of n synthetic items at /feed.xml,
// or a 500 while broken is set.
type feedServer struct {
	*httptest.Server
	mu     sync.Mutex
	n      int
	broken bool
}

func newFeedServer(t *testing.T, n int) *feedServer {
	f := &feedServer{n: n}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.broken || r.URL.Path != "/feed.xml" {
			http.Error(w, "upstream unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example State Media</title><link>https://state-media.example/</link><description>synthetic</description>`)
		for i := f.n; i >= 1; i-- { // newest first, as feeds list them
			fmt.Fprintf(&b, `<item><title>Bulletin %d</title><link>https://state-media.example/news/%d</link><guid>https://state-media.example/news/%d</guid><pubDate>Mon, 02 Nov 2026 08:%02d:00 +0000</pubDate><description>Synthetic bulletin number %d.</description></item>`, i, i, i, i%60, i)
		}
		b.WriteString(`</channel></rss>`)
		io.WriteString(w, b.String())
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) set(n int, broken bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.broken = n, broken
}

// ingestConfig writes a config with an rss source per URL (named feed0,
// feed1, ...) and a minimal lexicon, and returns its path.
func ingestConfig(t *testing.T, dir string, urls ...string) string {
	t.Helper()
	writeTestFile(t, filepath.Join(dir, "lexicon.yaml"), "name: t\nversion: \"1\"\ncategories:\n  - {id: violence_call, label: Call to violence, severity: 3}\nterms:\n  - {id: t1, term: exterminate, category: violence_call, lang: en}\n")
	var b strings.Builder
	b.WriteString("sources:\n")
	for i, u := range urls {
		fmt.Fprintf(&b, "  - type: rss\n    name: feed%d\n    feeds: [%q]\n    allow_private: true\n    backoff: {min: 1ms, max: 5ms}\n    retries: 1\n", i, u)
	}
	b.WriteString("classify:\n  lexicons: [lexicon.yaml]\n")
	path := filepath.Join(dir, "vigil.yaml")
	writeTestFile(t, path, b.String())
	return path
}

func runIngest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), append([]string{"ingest"}, args...),
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func readPosts(t *testing.T, path string) []event.Post {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []event.Post
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p event.Post
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, p)
	}
	return out
}

// TestIngestOnceToFile polls a feed three times with `vigil ingest --once
// --out`: every item once, new items on the next run, nothing repeated
// (the cursor in the data directory), and a failing source makes the
// command fail while the other still delivers.
func TestIngestOnceToFile(t *testing.T) {
	dir := t.TempDir()
	feed := newFeedServer(t, 3)
	broken := newFeedServer(t, 0)
	broken.set(0, true)
	cfg := ingestConfig(t, dir, feed.URL+"/feed.xml")
	out := filepath.Join(dir, "posts.jsonl")
	data := filepath.Join(dir, "data")

	code, _, stderr := runIngest(t, "--once", "--config", cfg, "--out", out, "--data-dir", data)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	posts := readPosts(t, out)
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3: %s", len(posts), stderr)
	}
	for _, p := range posts {
		if p.Platform != "rss" || p.Source != "feed0" || len(p.Raw) == 0 || p.RawSHA256 != event.SHA256Hex(p.Raw) || p.CapturedAt.IsZero() {
			t.Errorf("post %+v: want platform rss, source feed0, the raw item and its hash, a capture time", p)
		}
		if !strings.Contains(string(p.Raw), "<item>") {
			t.Errorf("raw %q is not the feed's item", p.Raw)
		}
	}
	if !strings.Contains(stderr, "feed0: 3 posts") {
		t.Errorf("summary %q does not say feed0: 3 posts", stderr)
	}

	// Again: nothing new. Then two more items: exactly those.
	if code, _, stderr = runIngest(t, "--once", "--config", cfg, "--out", out, "--data-dir", data); code != exitOK {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	feed.set(5, false)
	if code, _, stderr = runIngest(t, "--once", "--config", cfg, "--out", out, "--data-dir", data); code != exitOK {
		t.Fatalf("third run: exit %d: %s", code, stderr)
	}
	posts = readPosts(t, out)
	seen := map[string]int{}
	for _, p := range posts {
		seen[p.ID]++
	}
	if len(posts) != 5 || len(seen) != 5 {
		t.Fatalf("after three runs: %d posts, %d distinct; want 5 and 5", len(posts), len(seen))
	}

	// A second source that fails: the command fails and names it; the
	// good one still delivered.
	cfg = ingestConfig(t, dir, feed.URL+"/feed.xml", broken.URL+"/feed.xml")
	feed.set(6, false)
	code, _, stderr = runIngest(t, "--once", "--config", cfg, "--out", out, "--data-dir", data)
	if code != exitFail || !strings.Contains(stderr, "feed1") || !strings.Contains(stderr, "FAILED") || !strings.Contains(stderr, "server") {
		t.Fatalf("exit %d, stderr %q: want 1, naming feed1 as FAILED with a server error", code, stderr)
	}
	if got := len(readPosts(t, out)); got != 6 {
		t.Errorf("%d posts after the failing run, want 6 (the good source's new item)", got)
	}
}

// TestIngestOnceToKafka polls a feed once into the posts topic of a real
// (kfake) broker, through kafka-go.
func TestIngestOnceToKafka(t *testing.T) {
	kcfg := kafkatest.Cluster(t, 4) // the config's default partition count, which ingest creates the topic with
	dir := t.TempDir()
	feed := newFeedServer(t, 4)
	cfg := ingestConfig(t, dir, feed.URL+"/feed.xml")
	code, stdout, stderr := runIngest(t, "--once", "--config", cfg, "--data-dir", filepath.Join(dir, "data"),
		"--kafka-brokers", strings.Join(kcfg.Brokers, ","), "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var sum struct {
		Sources []struct {
			Source string `json:"source"`
			Posts  int    `json:"posts"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || len(sum.Sources) != 1 || sum.Sources[0].Posts != 4 {
		t.Fatalf("summary %s (%v): want one source with 4 posts", stdout, err)
	}
	msgs := kafkatest.ReadAll(t, kcfg, event.TopicPosts, 4)
	if len(msgs) != 4 {
		t.Fatalf("%d messages on %s, want 4", len(msgs), event.TopicPosts)
	}
}

func TestIngestUsage(t *testing.T) {
	if code, _, stderr := runIngest(t, "--config", "x.yaml"); code != exitUsage || !strings.Contains(stderr, "--once") {
		t.Errorf("without --once: exit %d %q, want 2 naming --once", code, stderr)
	}
	dir := t.TempDir()
	cfg := ingestConfig(t, dir, "http://127.0.0.1:1/feed.xml")
	if code, _, stderr := runIngest(t, "--once", "--config", cfg, "--source", "nope", "--out", filepath.Join(dir, "o.jsonl")); code != exitUsage || !strings.Contains(stderr, `"nope"`) {
		t.Errorf("unknown --source: exit %d %q, want 2 naming it", code, stderr)
	}
}

// TestSourceConfigStrict: a source's settings are checked against its
// type, with the file and line of a mistake.
func TestSourceConfigStrict(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "l.yaml"), "name: t\nversion: \"1\"\ncategories: [{id: c, label: C, severity: 1}]\nterms: [{id: t1, term: x, category: c}]\n")
	cases := []struct{ name, yaml, want string }{
		{"unknown key of the type", "sources:\n  - type: mastodon\n    name: m\n    hashtag: [x]\n", `vigil.yaml:4: unknown key "hashtag"`},
		{"unknown key in a nested setting", "sources:\n  - type: rss\n    name: r\n    feeds: [https://news.example/feed]\n    rate_limit: {requests: 5, pre: 1m}\n", `vigil.yaml:5: unknown key "pre"`},
		{"unknown type", "sources:\n  - type: myspace\n    name: m\n", `vigil.yaml:2: sources: unknown source type "myspace"`},
		{"a setting of another type", "sources:\n  - type: telegram\n    name: t\n    channels: [example_channel]\n    hashtags: [x]\n", `vigil.yaml:5: unknown key "hashtags"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "vigil.yaml")
			writeTestFile(t, path, tc.yaml+"classify:\n  lexicons: [l.yaml]\n")
			_, err := loadConfig(path, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	// A good one decodes into the type's own config and validates.
	path := filepath.Join(dir, "vigil.yaml")
	writeTestFile(t, path, "sources:\n  - type: telegram\n    name: t\n    channels: [example_channel]\n    interval: 10m\nclassify:\n  lexicons: [l.yaml]\n")
	cfg, err := loadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := yaml.Marshal(cfg.Sources[0])
	if !strings.Contains(string(b), "interval: 10m0s") || !strings.Contains(string(b), "example_channel") {
		t.Errorf("decoded settings:\n%s", b)
	}
}

// TestExampleSourcesConfig: examples/sources.yaml uses every source type
// and validates once its credentials are in the environment, and says
// which variable is missing when one is not.
func TestExampleSourcesConfig(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "sources.yaml")
	env := map[string]string{"VIGIL_X_BEARER_TOKEN": "x-token", "VIGIL_MASTODON_TOKEN": "m-token", "VIGIL_FACEBOOK_TOKEN": "fb-token"}
	cfg, err := loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, s := range cfg.Sources {
		types[s.Type] = true
	}
	for _, name := range sources.Names() {
		if !types[name] {
			t.Errorf("examples/sources.yaml has no %s source", name)
		}
	}
	delete(env, "VIGIL_FACEBOOK_TOKEN")
	cfg, err = loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "VIGIL_FACEBOOK_TOKEN") {
		t.Errorf("without the Facebook token: %v, want an error naming VIGIL_FACEBOOK_TOKEN", err)
	}
}

func TestSourcesCommand(t *testing.T) {
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"sources"}, IO{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, name := range append(sources.Names(), "base_url", "rate_limit", "allow_private") {
		if !strings.Contains(out.String(), name) {
			t.Errorf("vigil sources does not mention %s:\n%s", name, out.String())
		}
	}
	out.Reset()
	if code := execute(context.Background(), []string{"sources", "nosuch"}, IO{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != exitUsage {
		t.Errorf("vigil sources nosuch: exit %d, want 2", code)
	}
}

// TestFailingCollectorShows: a source that keeps failing shows in /readyz
// (as degraded, still 200) and in /metrics, both in the embedded pipeline
// (the api role's listener) and in an ingest replica alone (its own
// metrics and probes listener).
func TestFailingCollectorShows(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testFailingCollectorShows(t, nil, targetAll) })
	t.Run("ingest role alone", func(t *testing.T) {
		testFailingCollectorShows(t, kafkatest.Cluster(t, 4).Brokers, targetIngest)
	})
}

func testFailingCollectorShows(t *testing.T, brokers []string, target string) {
	dir := t.TempDir()
	cfg := demoConfigWith(t, brokers)
	var sc SourceConfig
	if err := yaml.Unmarshal([]byte("{type: rss, name: broken-feed, feeds: [\"http://127.0.0.1:1/feed.xml\"], allow_private: true, interval: 20ms, retries: 1, backoff: {min: 1ms, max: 5ms}}"), &sc); err != nil {
		t.Fatal(err)
	}
	cfg.Sources = append(cfg.Sources, sc)
	r := MustRunMain(t, cfg, filepath.Join(dir, "data"), target)
	eventually(t, 30*time.Second, "readyz names the failing source", func() (bool, string) {
		res, err := http.Get(r.base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode == 200 && strings.Contains(string(b), "degraded: source broken-feed:") && strings.Contains(string(b), "network"), string(b)
	})
	res, err := http.Get(r.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, want := range []string{`vigil_ingest_consecutive_failures{source="broken-feed"}`, `vigil_ingest_errors_total{kind="network",source="broken-feed"}`, `vigil_ingest_last_success_timestamp_seconds{source="broken-feed"} 0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
