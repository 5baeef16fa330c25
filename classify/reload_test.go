package classify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/bus/kafkatest"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

const reloadLexHead = `name: reload
version: "1"
categories:
  - {id: dehumanisation, label: Dehumanising language, severity: 3}
terms:
  - {id: vermin, term: vermin, category: dehumanisation, lang: en}
`

// zorblaxTerm is the term the edits add: no other lexicon here has it.
const zorblaxTerm = "  - {id: zorblax, term: zorblax, category: dehumanisation, lang: en}\n"

// reloadFixture is a classify role whose lexicon file lives in a temporary
// directory, with a Reloader watching it.
type reloadFixture struct {
	dir, path string
	role      *Role
	rl        *Reloader
	reg       *prometheus.Registry
	logs      *lockedBuffer
	builds    atomic.Int32
	done      chan struct{}
}

// newReloadFixture writes lexicon, builds the role from it and starts a
// Reloader polling every 10ms. build, when not nil, wraps the real build.
func newReloadFixture(t *testing.T, lexicon string, wrap func(build func() (*Classifier, error)) func() (*Classifier, error)) *reloadFixture {
	t.Helper()
	f := &reloadFixture{dir: t.TempDir(), reg: prometheus.NewRegistry(), logs: &lockedBuffer{}, done: make(chan struct{})}
	f.path = filepath.Join(f.dir, "lexicon.yaml")
	writeFile(t, f.path, lexicon)
	build := func() (*Classifier, error) {
		f.builds.Add(1)
		return buildFromDir(f.dir)
	}
	if wrap != nil {
		build = wrap(build)
	}
	c, err := buildFromDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	kcfg := kafkatest.Cluster(t, 1)
	f.role, err = NewConsumer(c, ConsumerConfig{}, kcfg, bus.NewDeadLetters(kcfg, "classify", f.reg), nil, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.role.Close() })
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.rl, err = NewReloader(ReloaderConfig{Build: build, Files: []string{f.path}, Swap: f.role.Swap, Current: c, Interval: 10 * time.Millisecond}, log, f.reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { defer close(f.done); f.rl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-f.done })
	return f
}

func buildFromDir(dir string) (*Classifier, error) {
	l, err := lexicon.Load(os.DirFS(dir), "lexicon.yaml")
	if err != nil {
		return nil, err
	}
	return New([]*lexicon.Lexicon{l}, nil, Options{Pipeline: "test"})
}

// flags says whether the role's classifier in service flags text.
func (f *reloadFixture) flags(text string) bool {
	v := f.role.Classifier().Classify(reloadPost(text))
	return v.Flagged
}

func (f *reloadFixture) reloads(result string, trigger Trigger) int {
	return int(testutil.ToFloat64(f.rl.reloads.WithLabelValues(result, string(trigger))))
}

// waitFor polls cond for up to 10 s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reloadPost(text string) *event.Post {
	return &event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: text}
}

// writeFile replaces path with body at once (write a temporary file,
// rename it over), so that no poll sees it half-written and the counts of
// reloads are exact.
func writeFile(tb testing.TB, path, body string) {
	tb.Helper()
	tmp := path + ".tmp"
	writeInPlace(tb, tmp, body)
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
}

// writeInPlace truncates path and writes body: a poll may see it empty.
func writeInPlace(tb testing.TB, path, body string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestReloaderSeesAnEdit(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	if f.flags("the zorblax are coming") {
		t.Fatal("flagged by a term that is not in the lexicon yet")
	}
	before := f.role.Classifier()
	writeFile(t, f.path, reloadLexHead+zorblaxTerm)
	waitFor(t, "the edited lexicon in service", func() bool { return f.flags("the zorblax are coming") })
	if f.role.Classifier() == before {
		t.Fatal("classifier not swapped")
	}
	waitFor(t, "the reload counted", func() bool { return f.reloads("ok", TriggerFile) == 1 })
	if !f.flags("vermin") {
		t.Error("the terms that were there before no longer flag")
	}
	if ts := testutil.ToFloat64(f.rl.last); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("reload timestamp %v is not recent", ts)
	}
	if n := testutil.CollectAndCount(f.rl.info); n != 1 {
		t.Errorf("lexicon_info has %d series, want 1 (the old one reset)", n)
	}
	if c := f.role.Classifier(); c.Hash() == before.Hash() || testutil.ToFloat64(f.rl.info.WithLabelValues(c.Lexicon(), c.Hash())) != 1 {
		t.Errorf("lexicon_info is not {lexicon=%q,hash=%q} (the hash before: %q)", c.Lexicon(), c.Hash(), before.Hash())
	}

	// An editor's save: write a temporary file, then rename it over.
	tmp := filepath.Join(f.dir, ".lexicon.yaml.swp")
	writeFile(t, tmp, reloadLexHead)
	if err := os.Rename(tmp, f.path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the renamed-over lexicon in service", func() bool { return !f.flags("the zorblax are coming") })
	waitFor(t, "the second reload counted", func() bool { return f.reloads("ok", TriggerFile) == 2 })
	problems, err := testutil.GatherAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

func TestReloaderKeepsTheClassifierWhenAnEditIsBroken(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	before := f.role.Classifier()

	// Line 7 names a category the lexicon does not declare.
	writeFile(t, f.path, reloadLexHead+"  - {id: zorblax, term: zorblax, category: nope, lang: en}\n")
	waitFor(t, "the failed reload counted", func() bool { return f.reloads("error", TriggerFile) == 1 })
	if f.role.Classifier() != before || !f.flags("vermin") {
		t.Fatal("a broken edit replaced the classifier in service")
	}
	if logs := f.logs.String(); !strings.Contains(logs, "lexicon.yaml:7:") || !strings.Contains(logs, `\"nope\"`) {
		t.Errorf("the problem is not logged with its file and line:\n%s", logs)
	}
	time.Sleep(100 * time.Millisecond) // ten polls: the broken file is not rebuilt again and again
	if got := f.reloads("error", TriggerFile); got != 1 {
		t.Errorf("reloads{error,file} = %d after the same broken file was polled again, want 1", got)
	}

	// A missing file is a failed reload too.
	if err := os.Remove(f.path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the missing file counted", func() bool { return f.reloads("error", TriggerFile) == 2 })
	if f.role.Classifier() != before {
		t.Fatal("a missing file replaced the classifier in service")
	}

	// Fixed: the next save goes into service.
	writeFile(t, f.path, reloadLexHead+zorblaxTerm)
	waitFor(t, "the fixed lexicon in service", func() bool { return f.flags("zorblax") })
	waitFor(t, "the reload counted", func() bool { return f.reloads("ok", TriggerFile) == 1 })
}

// TestReloaderSeesASymlinkSwap: a Kubernetes ConfigMap volume updates by
// pointing a symlink at a new directory; the path stays the same.
func TestReloaderSeesASymlinkSwap(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	for i, body := range []string{reloadLexHead, reloadLexHead + zorblaxTerm} {
		dir := filepath.Join(f.dir, fmt.Sprintf("..v%d", i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "lexicon.yaml"), body)
	}
	if err := os.Symlink("..v0", filepath.Join(f.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "lexicon.yaml"), f.path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the same content behind a symlink: no reload
	if b := f.builds.Load(); b != 0 {
		t.Fatalf("%d builds when the same content moved behind a symlink, want 0", b)
	}
	tmp := filepath.Join(f.dir, "..data_tmp")
	if err := os.Symlink("..v1", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(f.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the lexicon behind the swapped symlink in service", func() bool { return f.flags("zorblax") })
}

func TestReloaderIgnoresATouch(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	before := f.role.Classifier()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(f.path, later, later); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	writeInPlace(t, f.path, reloadLexHead) // the same bytes again
	time.Sleep(100 * time.Millisecond)
	writeFile(t, f.path, reloadLexHead) // and again, renamed over
	time.Sleep(100 * time.Millisecond)
	if f.builds.Load() != 0 || f.role.Classifier() != before {
		t.Fatalf("%d builds after a touch with identical content, want 0", f.builds.Load())
	}
	// The watcher was alive all along: a real change reloads.
	writeFile(t, f.path, reloadLexHead+zorblaxTerm)
	waitFor(t, "the changed lexicon in service", func() bool { return f.flags("zorblax") })
	if b := f.builds.Load(); b != 1 {
		t.Errorf("%d builds, want 1", b)
	}
}

// TestReloaderSeesAnEditInPlace: a save that truncates and rewrites the
// file may be seen half-written; what ends in service is the whole edit.
func TestReloaderSeesAnEditInPlace(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	writeInPlace(t, f.path, reloadLexHead+zorblaxTerm)
	waitFor(t, "the edited lexicon in service", func() bool { return f.flags("zorblax") && f.flags("vermin") })
}

// TestReloaderSeesSameSizeEditsInQuickSuccession: two writes of the same
// size within one tick of the file system's clock leave size and time as
// they were; the content hash still sees the second.
func TestReloaderSeesSameSizeEditsInQuickSuccession(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	for i, term := range []string{"zorblax", "quuxbar", "zorblax"} {
		writeInPlace(t, f.path, reloadLexHead+strings.ReplaceAll(zorblaxTerm, "zorblax", term))
		waitFor(t, fmt.Sprintf("edit %d (%s) in service", i, term), func() bool { return f.flags(term) })
	}
}

func TestReloaderReloadOnRequest(t *testing.T) {
	f := newReloadFixture(t, reloadLexHead, nil)
	before := f.role.Classifier()
	f.rl.Reload(TriggerSignal, "SIGHUP")
	waitFor(t, "a reload on SIGHUP", func() bool { return f.reloads("ok", TriggerSignal) == 1 })
	if f.role.Classifier() == before {
		t.Error("Reload did not put a new classifier in service")
	}
	// A reload needs no change: a notice rebuilds from the files as they are.
	f.rl.Reload(TriggerNotice, "notice from test")
	waitFor(t, "a reload on a notice", func() bool { return f.reloads("ok", TriggerNotice) == 1 })
	waitFor(t, "the reason logged", func() bool { return strings.Contains(f.logs.String(), "notice from test") })
}

// TestReloaderFoldsConcurrentRequests: requests made while a build runs
// are folded into one more build; never two builds at once.
func TestReloaderFoldsConcurrentRequests(t *testing.T) {
	started := make(chan struct{}, 10)
	release := make(chan struct{})
	var running, overlap atomic.Int32
	wrap := func(build func() (*Classifier, error)) func() (*Classifier, error) {
		return func() (*Classifier, error) {
			if running.Add(1) > 1 {
				overlap.Add(1)
			}
			defer running.Add(-1)
			started <- struct{}{}
			<-release
			return build()
		}
	}
	f := newReloadFixture(t, reloadLexHead, wrap)
	f.rl.Reload(TriggerSignal, "first")
	<-started
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); f.rl.Reload(TriggerNotice, "many") }()
	}
	wg.Wait()
	close(release)
	waitFor(t, "the folded reload", func() bool { return f.reloads("ok", TriggerNotice) == 1 })
	time.Sleep(50 * time.Millisecond)
	if b, s, n := f.builds.Load(), f.reloads("ok", TriggerSignal), f.reloads("ok", TriggerNotice); b != 2 || s != 1 || n != 1 {
		t.Errorf("%d builds (signal %d, notice %d), want 2: the first and one for the 20 requests made meanwhile", b, s, n)
	}
	if overlap.Load() != 0 {
		t.Error("two builds ran at once")
	}
}

func TestReloaderSurvivesAPanickingBuild(t *testing.T) {
	var panicNow atomic.Bool
	wrap := func(build func() (*Classifier, error)) func() (*Classifier, error) {
		return func() (*Classifier, error) {
			if panicNow.Load() {
				panic("boom")
			}
			return build()
		}
	}
	f := newReloadFixture(t, reloadLexHead, wrap)
	before := f.role.Classifier()
	panicNow.Store(true)
	f.rl.Reload(TriggerSignal, "test")
	waitFor(t, "the failed reload counted", func() bool { return f.reloads("error", TriggerSignal) == 1 })
	if f.role.Classifier() != before {
		t.Fatal("classifier replaced")
	}
}

func TestNewReloaderNeedsBuildAndSwap(t *testing.T) {
	if _, err := NewReloader(ReloaderConfig{Swap: func(*Classifier) {}}, nil, nil); err == nil {
		t.Error("no error without Build")
	}
	if _, err := NewReloader(ReloaderConfig{Build: func() (*Classifier, error) { return nil, nil }}, nil, nil); err == nil {
		t.Error("no error without Swap")
	}
}

// lockedBuffer is a bytes.Buffer that a logger and a test can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
