package classify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/vigilhq/vigil/classify/problem"
)

// Trigger says what asked for a reload. It is the trigger label of
// vigil_classify_lexicon_reloads_total.
type Trigger string

// Triggers.
const (
	// TriggerFile: the content of a watched file changed.
	TriggerFile Trigger = "file"
	// TriggerSignal: the process was sent SIGHUP.
	TriggerSignal Trigger = "signal"
	// TriggerNotice: a reload notice reached this replica (Redis pub/sub
	// in `vigil run`), as it reaches every other.
	TriggerNotice Trigger = "notice"
)

// DefaultReloadInterval is how often a Reloader looks at its files unless
// ReloaderConfig.Interval says otherwise.
const DefaultReloadInterval = 2 * time.Second

// ReloaderConfig configures a Reloader.
type ReloaderConfig struct {
	// Build compiles a classifier from the lexicon, account-list and
	// domain-list files. Required. A Reloader calls it from Run only,
	// never twice at once.
	Build func() (*Classifier, error)
	// Files are the files Build reads, as paths on disk. A change to the
	// content of any of them reloads; none (the embedded demo) means only
	// Reload does.
	Files []string
	// Swap puts a newly built classifier in service: (*Role).Swap.
	// Required.
	Swap func(*Classifier)
	// Current is the classifier in service when the Reloader is made; it
	// is what vigil_classify_lexicon_info shows until the first reload.
	// Make the Reloader right after building Current: the files are read
	// for comparison then, so an edit between the two is seen only with
	// the next one (or a Reload).
	Current *Classifier
	// Interval is how often the files are looked at. Default
	// DefaultReloadInterval.
	Interval time.Duration
}

// Reloader rebuilds the classifier and swaps it into the role when a
// watched file's content changes or when Reload is called (SIGHUP, a
// reload notice). A build that fails (a lexicon problem, a missing file)
// leaves the classifier in service as it is: every problem is logged and
// the failure counted. One build runs at a time; triggers that arrive
// meanwhile are folded into one more build after it.
//
// Files are polled rather than watched with inotify: it sees an editor's
// write-to-a-temporary-file-then-rename and a Kubernetes ConfigMap's
// symlink swap alike, at the cost of up to Interval of delay. A file whose
// size and modification time are unchanged is not read; one whose content
// hashes the same (a touch, a rewrite of the same bytes) does not reload.
type Reloader struct {
	cfg ReloaderConfig
	log *slog.Logger

	// kick wakes Run for a pending Reload; pending (under mu) is what
	// asked, the first of the triggers folded together.
	kick    chan struct{}
	mu      sync.Mutex
	pending *reloadRequest

	// files are the files as they were read for the last build; only Run
	// uses them once NewReloader has returned.
	files []fileState

	reloads *prometheus.CounterVec
	last    prometheus.Gauge
	info    *prometheus.GaugeVec
}

type reloadRequest struct {
	trigger Trigger
	reason  string
	folded  int // further requests folded into this one
}

// NewReloader returns a Reloader; it reads the files once, as the baseline
// that changes are measured against. log and reg may be nil.
func NewReloader(cfg ReloaderConfig, log *slog.Logger, reg prometheus.Registerer) (*Reloader, error) {
	if cfg.Build == nil || cfg.Swap == nil {
		return nil, errors.New("lexicon reloader: Build and Swap are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultReloadInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := promauto.With(reg)
	r := &Reloader{
		cfg:  cfg,
		log:  log,
		kick: make(chan struct{}, 1),
		reloads: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "lexicon_reloads_total",
			Help: "Lexicon reloads, by result (ok, error: the classifier in service was kept) and trigger (file, signal, notice).",
		}, []string{"result", "trigger"}),
		last: f.NewGauge(prometheus.GaugeOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "lexicon_reload_timestamp_seconds",
			Help: "When the classifier in service was built (start or last successful reload), in seconds since the Unix epoch.",
		}),
		info: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "vigil", Subsystem: "classify", Name: "lexicon_info",
			Help: "The lexicon set in service (name@version list and hash), as a series set to 1.",
		}, []string{"lexicon", "hash"}),
	}
	for _, result := range []string{"ok", "error"} {
		for _, t := range []Trigger{TriggerFile, TriggerSignal, TriggerNotice} {
			r.reloads.WithLabelValues(result, string(t))
		}
	}
	r.files = readFiles(cfg.Files, nil)
	r.last.SetToCurrentTime()
	if cfg.Current != nil {
		r.setInfo(cfg.Current)
	}
	return r, nil
}

// Reload asks for a rebuild now; it does not wait for it. reason is
// logged (who or what asked). While a build runs, further requests are
// folded into one more build after it.
func (r *Reloader) Reload(trigger Trigger, reason string) {
	r.mu.Lock()
	if r.pending == nil {
		r.pending = &reloadRequest{trigger: trigger, reason: reason}
	} else {
		r.pending.folded++
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default: // Run has a wake-up pending already
	}
}

// Run polls the files and serves Reload until ctx ends.
func (r *Reloader) Run(ctx context.Context) error {
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
			r.mu.Lock()
			req := r.pending
			r.pending = nil
			r.mu.Unlock()
			if req != nil {
				if req.folded > 0 {
					r.log.Debug("lexicon reload requests folded into one", "trigger", req.trigger, "folded", req.folded)
				}
				r.reload(req.trigger, req.reason)
			}
		case <-tick.C:
			if changed := r.changedFiles(ctx); len(changed) > 0 {
				r.reload(TriggerFile, "changed: "+strings.Join(changed, ", "))
			}
		}
	}
}

// reload builds a classifier and puts it in service, or keeps the one in
// service when the build fails.
func (r *Reloader) reload(trigger Trigger, reason string) {
	start := time.Now()
	// Read the files before building, so that an edit made while Build
	// runs shows as a change at the next poll rather than being lost.
	r.files = readFiles(r.cfg.Files, r.files)
	c, err := r.build()
	// Logs first, then metrics: whoever sees the count change finds the
	// log lines written.
	if err != nil {
		r.logFailure(err, trigger, reason)
		r.reloads.WithLabelValues("error", string(trigger)).Inc()
		return
	}
	r.cfg.Swap(c)
	hash := r.setInfo(c)
	r.log.Info("lexicons reloaded", "trigger", trigger, "reason", reason,
		"lexicon", c.Lexicon(), "hash", hash, "duration", time.Since(start).Round(time.Millisecond).String())
	for _, w := range c.Warnings() {
		r.log.Warn("lexicon warning", "problem", w.Error())
	}
	r.last.SetToCurrentTime()
	r.reloads.WithLabelValues("ok", string(trigger)).Inc()
}

// build calls Build, turning a panic into an error: a bad edit must not
// take down the classifier in service.
func (r *Reloader) build() (c *Classifier, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("building the classifier panicked: %v", p)
		}
	}()
	c, err = r.cfg.Build()
	if err == nil && c == nil {
		err = errors.New("building the classifier returned nothing")
	}
	return c, err
}

// logFailure logs every problem of a failed build, each with its file and
// line, so the whole edit can be fixed in one pass.
func (r *Reloader) logFailure(err error, trigger Trigger, reason string) {
	r.log.Error("lexicon reload failed: the classifier in service is kept",
		"trigger", trigger, "reason", reason, "lexicon", r.inService())
	var ps problem.List
	if errors.As(err, &ps) {
		for _, p := range ps {
			r.log.Error("lexicon reload problem", "problem", p.Error(), "file", p.File, "line", p.Line)
		}
		return
	}
	r.log.Error("lexicon reload problem", "problem", err.Error())
}

func (r *Reloader) inService() string {
	if r.cfg.Current == nil {
		return ""
	}
	return r.cfg.Current.Lexicon()
}

// setInfo makes c the one series of vigil_classify_lexicon_info and
// remembers it as the classifier in service; it returns the hash label.
func (r *Reloader) setInfo(c *Classifier) string {
	r.cfg.Current = c
	hash := c.Hash()
	r.info.Reset()
	r.info.WithLabelValues(c.Lexicon(), hash).Set(1)
	return hash
}

// changedFiles returns the files whose content differs from the last
// build's. A file whose content is unchanged has its size and time
// updated, so it is not read again at the next poll.
//
// When something changed, the files are read again after a pause until
// they hold still: a save in place truncates the file and then writes it,
// and a file caught in between would fail to build (or, saved with the
// same bytes, reload for nothing).
func (r *Reloader) changedFiles(ctx context.Context) []string {
	now := readFiles(r.cfg.Files, r.files)
	if r.differs(now) {
		settle := min(r.cfg.Interval/4, maxSettle)
		for range maxSettleRounds {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(settle):
			}
			again := readFiles(r.cfg.Files, now)
			if slices.EqualFunc(again, now, fileState.same) {
				break
			}
			now = again
		}
	}
	var changed []string
	for i := range now {
		if now[i].sameContent(r.files[i]) {
			r.files[i] = now[i]
		} else {
			changed = append(changed, now[i].path)
		}
	}
	return changed
}

// How long changedFiles waits for files being written to hold still: a
// quarter of the interval, at most maxSettle, at most maxSettleRounds
// times.
const (
	maxSettle       = 250 * time.Millisecond
	maxSettleRounds = 10
)

func (r *Reloader) differs(now []fileState) bool {
	for i := range now {
		if !now[i].sameContent(r.files[i]) {
			return true
		}
	}
	return false
}

// fileState is what a file was when last looked at.
type fileState struct {
	path  string
	size  int64
	mtime time.Time
	sum   [sha256.Size]byte
	// err is why the file could not be read ("" when it could).
	err string
	// racy: the file was modified too shortly before it was read for size
	// and time to show a later change (a second write within the file
	// system's clock tick), so its content is hashed at the next look.
	racy bool
}

func (f fileState) sameContent(g fileState) bool {
	return f.err == g.err && f.sum == g.sum
}

// same: nothing about the file changed between two looks.
func (f fileState) same(g fileState) bool {
	return f.sameContent(g) && f.size == g.size && f.mtime.Equal(g.mtime)
}

// racyWindow: a file modified within this long of being read is read
// again at the next look even when its size and time have not changed.
const racyWindow = 2 * time.Second

// readFiles looks at paths; a file whose size and time match prev (and
// that was not racy) keeps prev's hash without being read.
func readFiles(paths []string, prev []fileState) []fileState {
	out := make([]fileState, len(paths))
	for i, p := range paths {
		var old *fileState
		if i < len(prev) && prev[i].path == p {
			old = &prev[i]
		}
		out[i] = readFile(p, old)
	}
	return out
}

func readFile(path string, prev *fileState) fileState {
	f := fileState{path: path}
	checked := time.Now()
	st, err := os.Stat(path)
	if err != nil {
		f.err = err.Error()
		return f
	}
	f.size, f.mtime = st.Size(), st.ModTime()
	f.racy = checked.Sub(f.mtime) < racyWindow
	if prev != nil && prev.err == "" && !prev.racy && prev.size == f.size && prev.mtime.Equal(f.mtime) {
		f.sum = prev.sum
		return f
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.err = err.Error()
		return f
	}
	if int64(len(b)) != f.size { // written between stat and read: look again next time
		f.size, f.racy = int64(len(b)), true
	}
	f.sum = sha256.Sum256(b)
	return f
}
