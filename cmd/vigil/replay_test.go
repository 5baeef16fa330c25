package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/examples"
	"github.com/vigilhq/vigil/store"
)

// The replay lexicons: version 2 drops "vermin" and adds "parasites" and
// the threat "torch". All text is synthetic.
const (
	replayLexHead = "categories:\n  - {id: dehumanisation, label: D, severity: 3}\n  - {id: threat, label: T, severity: 4}\nterms:\n"
	replayLexV1   = "name: replaytest\nversion: \"1\"\n" + replayLexHead +
		"  - {id: t1, term: vermin, category: dehumanisation}\n  - {id: t2, term: pests, category: dehumanisation}\n"
	replayLexV2 = "name: replaytest\nversion: \"2\"\n" + replayLexHead +
		"  - {id: t2, term: pests, category: dehumanisation}\n  - {id: t3, term: parasites, category: dehumanisation}\n" +
		"  - {id: t4, term: torch, category: threat}\n"
)

// replayPosts are the posts of the replay test: id, text, and whether the
// store holds a verdict on it from version 1.
var replayPosts = []struct {
	id, text string
	stored   bool
}{
	{"gone", "they are vermin", true},                  // no longer flagged
	{"new", "they are parasites", true},                // newly flagged
	{"changed", "pests, torch their homes", true},      // dehumanisation → dehumanisation, threat
	{"same", "pests everywhere today", true},           // unchanged, flagged
	{"quiet", "a quiet day at the market", true},       // unchanged, not flagged
	{"unstored", "parasites again, not stored", false}, // not in the store
}

func replayFile(tb testing.TB, dir, name, body string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// runVigil runs a vigil command line in-process with an empty environment.
func runVigil(tb testing.TB, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	return runVigilEnv(tb, nil, args...)
}

// runVigilEnv runs vigil with args and the environment env.
func runVigilEnv(tb testing.TB, env map[string]string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), args, IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

// replayJSON runs `vigil replay --json` and decodes its report.
func replayJSON(tb testing.TB, args ...string) replayReport {
	tb.Helper()
	code, out, errs := runVigil(tb, append([]string{"replay", "--json"}, args...)...)
	if code != exitOK {
		tb.Fatalf("vigil replay: exit %d\n%s", code, errs)
	}
	var r replayReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		tb.Fatalf("replay JSON: %v\n%s", err, out)
	}
	return r
}

func exampleIDs(b replayBucket) []string {
	var ids []string
	for _, e := range b.Examples {
		ids = append(ids, e.Platform+"/"+e.ID+": "+strings.Join(e.Old, "+")+" -> "+strings.Join(e.New, "+"))
	}
	return ids
}

// TestReplay replays a lexicon change over a posts topic against a store
// holding verdicts from the old lexicon: the buckets, then --apply through
// the store role, then a replay that finds nothing left to change.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	kcfg := kafkatest.Cluster(t, 2)
	if err := bus.EnsureTopics(ctx, kcfg, event.TopicPosts, event.TopicFlags, event.TopicDeadLetter); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	v1 := replayFile(t, dir, "v1.yaml", replayLexV1)
	v2 := replayFile(t, dir, "v2.yaml", replayLexV2)
	dataDir := filepath.Join(dir, "data")
	os.MkdirAll(dataDir, 0o700)
	db := openStore(t, dataDir)

	// The posts topic: every post, one of them twice, and a message that
	// is not a post. The store: version 1's verdicts, an hour old.
	old, err := loadClassifier([]string{v1}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []kafka.Message
	var stored []event.Verdict
	for _, rp := range replayPosts {
		m := postMessage(t, fmt.Appendf(nil, `{"platform":"x","id":%q,"author":{"id":"a1","handle":"example_a1"},"text":%q}`, rp.id, rp.text))
		msgs = append(msgs, m)
		if rp.id == "new" {
			msgs = append(msgs, m)
		}
		if rp.stored {
			p, err := event.DecodePost(m.Value, bus.HeaderBytes(m, event.HeaderRaw), event.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			v := old.Classify(&p)
			v.ClassifiedAt = v.ClassifiedAt.Add(-time.Hour)
			stored = append(stored, v)
		}
	}
	msgs = append(msgs, kafka.Message{Key: []byte("x:a1"), Value: []byte("not a post")})
	w := bus.NewWriter(kcfg, event.TopicPosts)
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := db.WriteVerdicts(ctx, stored); err != nil {
		t.Fatal(err)
	}

	brokers := strings.Join(kcfg.Brokers, ",")
	dbPath := filepath.Join(dataDir, "vigil.db")
	r := replayJSON(t, "--lexicon", v2, "--kafka-brokers", brokers, "--sqlite", dbPath, "--show", "10")
	want := map[string][]string{
		bucketNewlyFlagged:      {"x/new:  -> dehumanisation"},
		bucketNoLongerFlagged:   {"x/gone: dehumanisation -> "},
		bucketCategoriesChanged: {"x/changed: dehumanisation -> dehumanisation+threat"},
		bucketUnchanged:         {"x/quiet:  -> ", "x/same: dehumanisation -> dehumanisation"},
		bucketNotInStore:        {"x/unstored:  -> dehumanisation"},
	}
	for _, name := range bucketOrder {
		b := r.bucket(name)
		if got := exampleIDs(*b); b.Count != len(want[name]) || !slices.Equal(got, want[name]) {
			t.Errorf("%s: %d posts %q, want %q", name, b.Count, got, want[name])
		}
	}
	if r.Lexicon != "replaytest@2" || r.Messages != 8 || r.Posts != 6 || r.Duplicates != 1 || r.Invalid != 1 ||
		r.Partitions != 2 || r.Changed != 3 || r.SameLexicon != 0 || r.Applied || r.Written != 0 {
		t.Errorf("report %+v", r)
	}
	kafkatest.ReadAll(t, kcfg, event.TopicFlags, 0) // nothing written

	// The text report, finding the broker through the data directory.
	replayFile(t, dataDir, kafkaAddrFile, brokers+"\n")
	code, out, errs := runVigil(t, "replay", "--lexicon", v2, "--data-dir", dataDir, "--show", "1")
	if code != exitOK {
		t.Fatalf("replay via kafka.addr: exit %d\n%s", code, errs)
	}
	for _, line := range []string{
		"  newly flagged             1\n", "  no longer flagged         1\n", "  categories changed        1\n",
		"  unchanged                 2\n", "  not in the store          1\n",
		"Unchanged (1 of 2):\n  x/", // which of the two comes first depends on the partitions
		"Posts read more than once, counted once: 1.\n",
		"Messages skipped as not valid posts (the classify role dead-letters them): 1.\n",
		"No longer flagged:\n  x/gone                   dehumanisation → -\n",
		"  x/changed                dehumanisation → dehumanisation, threat\n",
		"  x/unstored               (not stored) → dehumanisation\n",
		"Nothing written. --apply writes the 3 changed verdicts to vigil.flags",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("text report lacks %q:\n%s", line, out)
		}
	}
	if !strings.Contains(errs, "replay: 6 posts: 1 newly flagged, 1 no longer flagged, 1 categories changed, 1 not in the store; nothing written") {
		t.Errorf("summary line: %s", errs)
	}

	// --apply writes the three changed verdicts; the store role applies them.
	r = replayJSON(t, "--lexicon", v2, "--kafka-brokers", brokers, "--sqlite", dbPath, "--apply")
	if !r.Applied || r.Written != 3 {
		t.Fatalf("--apply: applied %v, written %d", r.Applied, r.Written)
	}
	var written []string
	for _, m := range kafkatest.ReadAll(t, kcfg, event.TopicFlags, 3) {
		v, err := event.DecodeVerdict(m.Value, bus.HeaderBytes(m, event.HeaderRaw), event.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if v.Lexicon != "replaytest@2" || string(m.Key) != "x:a1" {
			t.Errorf("verdict on %s from %s, key %q", v.Post.Ref(), v.Lexicon, m.Key)
		}
		written = append(written, v.Post.ID)
	}
	sort.Strings(written)
	if !slices.Equal(written, []string{"changed", "gone", "new"}) {
		t.Errorf("verdicts written for %v", written)
	}
	consumer, err := store.NewConsumer(db, store.ConsumerConfig{}, kcfg, bus.NewDeadLetters(kcfg, "store", nil), newLogger(io.Discard, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.Run(cctx) }()
	defer func() { cancel(); <-done }()
	find := func(id string) *event.StoredPost {
		p, err := db.FindPost(ctx, "x", id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	eventually(t, 60*time.Second, "re-judged posts", func() (bool, string) {
		var lexs []string
		for _, id := range []string{"gone", "new", "changed"} {
			lexs = append(lexs, find(id).Verdict.Lexicon)
		}
		return slices.Equal(lexs, []string{"replaytest@2", "replaytest@2", "replaytest@2"}), fmt.Sprint(lexs)
	})
	if p := find("gone"); p.Verdict.Flagged || p.FlagID != 0 {
		t.Errorf("gone: flagged %v, flag %d", p.Verdict.Flagged, p.FlagID)
	}
	if p := find("new"); !p.Verdict.Flagged || p.FlagID == 0 {
		t.Errorf("new: flagged %v, flag %d", p.Verdict.Flagged, p.FlagID)
	}
	if p := find("changed"); !slices.Equal(p.Verdict.Categories, []string{"dehumanisation", "threat"}) {
		t.Errorf("changed: categories %v", p.Verdict.Categories)
	}
	if p := find("same"); p.Verdict.Lexicon != "replaytest@1" {
		t.Errorf("an unchanged post was re-judged: %s", p.Verdict.Lexicon)
	}
	if n := countPosts(t, db); n != 5 {
		t.Errorf("%d posts stored, want 5 (a replay stores no new post)", n)
	}

	// Replayed again, the store already agrees.
	r = replayJSON(t, "--lexicon", v2, "--kafka-brokers", brokers, "--sqlite", dbPath)
	if r.Changed != 0 || r.Unchanged.Count != 5 || r.NotInStore.Count != 1 {
		t.Errorf("after --apply: %d changed, %d unchanged, %d not stored", r.Changed, r.Unchanged.Count, r.NotInStore.Count)
	}

	// Version 2 edited without a new version string: the store re-judges a
	// post only with other lexicons, which the lexicon hash tells apart
	// when the classifier records one; without it, nothing can be applied.
	edited := replayFile(t, dir, "v2-edited.yaml", strings.Replace(replayLexV2, "term: torch", "term: flare", 1))
	r = replayJSON(t, "--lexicon", edited, "--kafka-brokers", brokers, "--sqlite", dbPath, "--apply")
	if got := exampleIDs(r.CategoriesChanged); r.Changed != 1 || !slices.Equal(got, []string{"x/changed: dehumanisation+threat -> dehumanisation"}) {
		t.Errorf("edited lexicon: %d changed %q", r.Changed, got)
	}
	wantSame, wantWritten := 1, 0
	if r.LexiconHash != "" {
		wantSame, wantWritten = 0, 1
	}
	if r.SameLexicon != wantSame || r.Written != wantWritten {
		t.Errorf("edited lexicon (hash %q): %d from the same lexicons, %d written; want %d, %d",
			r.LexiconHash, r.SameLexicon, r.Written, wantSame, wantWritten)
	}
	kafkatest.ReadAll(t, kcfg, event.TopicFlags, 3+wantWritten)
}

func TestReplayUsage(t *testing.T) {
	dir := t.TempDir()
	lex := replayFile(t, dir, "v2.yaml", replayLexV2)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no lexicon", []string{"replay"}, exitUsage, "at least one --lexicon is required"},
		{"negative show", []string{"replay", "--lexicon", lex, "--show", "-1"}, exitUsage, "--show must not be negative"},
		{"no kafka", []string{"replay", "--lexicon", lex, "--data-dir", dir}, exitFail,
			"no Kafka: start `vigil run` or pass --kafka-brokers (no brokers configured, and no " + filepath.Join(dir, "kafka.addr") + ")"},
		{"bad lexicon", []string{"replay", "--lexicon", replayFile(t, dir, "bad.yaml", "name: x\n")}, exitFail, "bad.yaml"},
		{"no store", []string{"replay", "--lexicon", lex, "--kafka-brokers", "127.0.0.1:1", "--sqlite", filepath.Join(dir, "none.db")}, exitFail,
			"no store at " + filepath.Join(dir, "none.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runVigil(t, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d): %s\nwant it to contain %q", code, tc.code, errs, tc.want)
			}
		})
	}
}

// TestReplayBesideRun replays the demo's own lexicon and lists against a
// running `vigil run`, found through the address it writes in the data
// directory: every stored post is unchanged. The address is gone once the
// run stops.
func TestReplayBesideRun(t *testing.T) {
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
	cfg, err := loadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	run := MustRunMain(t, cfg, dataDir, targetAll)
	addr, err := os.ReadFile(filepath.Join(dataDir, kafkaAddrFile))
	if err != nil || strings.TrimSpace(string(addr)) != strings.Join(run.m.Brokers(), ",") {
		t.Fatalf("kafka.addr %q (%v), want %v", addr, err, run.m.Brokers())
	}
	db := openStore(t, dataDir)
	var posts int
	eventually(t, 60*time.Second, "demo posts stored", func() (bool, string) {
		posts = countPosts(t, db)
		return posts > 0 && posts == countLines(t, conf, "posts.jsonl"), fmt.Sprintf("%d posts", posts)
	})

	r := replayJSON(t, "--config", cfgPath, "--lexicon", filepath.Join(conf, "lexicon.yaml"), "--data-dir", dataDir)
	if r.Posts != posts || r.Unchanged.Count != posts || r.Changed != 0 || r.NotInStore.Count != 0 {
		t.Errorf("replaying the running lexicon and lists: %d posts, %d unchanged, %d changed, %d not stored; want all %d unchanged",
			r.Posts, r.Unchanged.Count, r.Changed, r.NotInStore.Count, posts)
	}

	run.stop(t)
	if _, err := os.Stat(filepath.Join(dataDir, kafkaAddrFile)); !os.IsNotExist(err) {
		t.Errorf("kafka.addr left behind after a clean stop (%v)", err)
	}
}

func countLines(tb testing.TB, dir, name string) int {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Count(bytes.TrimSpace(b), []byte("\n")) + 1
}
