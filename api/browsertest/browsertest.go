// Package browsertest is test support, for tests only: it drives a real
// headless Chromium from Go tests, so that the review console and the
// evidence report are checked the way people see them, in a browser, not
// by reading HTML. It is public, not internal, because the end-to-end
// tests in the cmd module (`vigil run` with the demo data) use it too;
// no program should import it. A test opens a tab with New, runs chromedp
// actions in it, and gets, for free:
//
//   - a tab of its own, in a browser context of its own (no cookie or
//     storage shared with another test), with a deadline;
//   - a record of every request to a host that is not loopback, which
//     fails the test: the console and the reports must work offline and
//     must not tell a third party who is reading them. Such requests are
//     also blocked, so no test reaches the internet;
//   - a record of console errors, uncaught exceptions and failed requests,
//     which fail the test too unless it allows them;
//   - on failure, a full-page screenshot (PNG) and the page's HTML kept in
//     the artifacts directory (VIGIL_TEST_ARTIFACTS, default
//     vigil-test-artifacts under os.TempDir()).
//
// For example:
//
//	b := browsertest.New(t)
//	b.Navigate(srv.URL + "/")
//	b.Run(chromedp.SendKeys(chromedp.CSS("#token"), token),
//		chromedp.Click(chromedp.CSS(`button[type="submit"]`)))
//	title := browsertest.Get(b, chromedp.Title())
//	b.CheckFont(".text", unicode.Myanmar, "Myanmar")
//
// Protocol commands without an action (the accessibility tree, key
// events) go through chromedp.Call(b.Context(), ...). PDFText and PDFFonts
// read a printed page with poppler-utils.
//
// A test binary that calls Main from TestMain shares one browser process
// between its tests (Chromium takes about two seconds to start on a small
// machine, a tab half a second); without Main each test starts its own.
//
// A missing Chromium fails the test, never skips it: install Debian's
// chromium package (scripts/services does it), or point
// VIGIL_TEST_CHROMIUM at a Chromium or Chrome binary.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

const (
	// StartTimeout is how long the browser may take to start: minutes are
	// not unusual on a loaded two-core CI machine.
	StartTimeout = 60 * time.Second
	// DefaultTimeout is how long a test may use its tab, unless Timeout
	// says otherwise or the test's own deadline comes first.
	DefaultTimeout = 2 * time.Minute
	// artifactTimeout bounds the screenshot and HTML taken after a
	// failure, which must work even when the test failed by timing out.
	artifactTimeout = 20 * time.Second
)

// Option changes how New opens a tab.
type Option func(*config)

type config struct {
	timeout     time.Duration
	allowErrors bool
	width       int64
	height      int64
}

// Timeout sets how long the test may use its tab (DefaultTimeout when not
// given). Actions still running then fail with a deadline error.
func Timeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// AllowConsoleErrors stops console errors, uncaught exceptions and failed
// requests to 127.0.0.1 from failing the test, for a test that causes them
// on purpose (a wrong password answered with 401, say). They are still
// recorded. External requests fail the test regardless.
func AllowConsoleErrors() Option { return func(c *config) { c.allowErrors = true } }

// Viewport sets the tab's viewport in CSS pixels (default 1280×900).
func Viewport(width, height int) Option {
	return func(c *config) { c.width, c.height = int64(width), int64(height) }
}

// Browser is one test's tab. Its methods fail the test on error, so they
// must be called from the test's goroutine; Context gives the tab to code
// that runs elsewhere.
type Browser struct {
	tb        testing.TB
	cfg       config
	proc      *process
	tabCtx    context.Context // the tab's lifetime, no deadline
	ctx       context.Context // the test's deadline
	artifacts string

	mu       sync.Mutex
	urls     map[network.RequestID]string
	external []string
	console  []string
	failed   []string
}

// New opens a tab for tb in a headless Chromium (the shared one when the
// test binary runs Main, else one of tb's own) and arranges for the
// checks and artifacts described in the package comment to happen when tb
// ends.
func New(tb testing.TB, opts ...Option) *Browser {
	tb.Helper()
	b := &Browser{
		tb:        tb,
		cfg:       config{timeout: DefaultTimeout, width: 1280, height: 900},
		urls:      make(map[network.RequestID]string),
		artifacts: filepath.Join(ArtifactRoot(), sanitise(tb.Name())),
	}
	for _, o := range opts {
		o(&b.cfg)
	}
	// Artifacts of an earlier run of this test would only mislead.
	os.RemoveAll(b.artifacts)

	b.proc = sharedProcess(tb)
	if b.proc == nil {
		p, err := startProcess(ExecPath(tb), tb.TempDir())
		if err != nil {
			tb.Fatalf("browsertest: %v", err)
		}
		// Registered before the tab's cleanups, so it runs after them:
		// the tab closes before its browser stops.
		tb.Cleanup(p.stop)
		b.proc = p
	}

	// The tab's browser context sends its requests for other hosts to a
	// proxy of the tab's own, which blocks them and, unlike the page's
	// network events, also sees those of workers and out-of-process
	// frames.
	proxy, err := startProxy(b.noteProxied)
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	tabCtx, cancelTab := chromedp.NewContext(b.proc.ctx,
		chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			p.ProxyServer = "http://" + proxy.addr
		}),
		chromedp.WithListener(b.observe))
	tb.Cleanup(proxy.close)
	b.tabCtx = tabCtx
	tb.Cleanup(cancelTab)
	// The first action on a context opens the tab and binds it to that
	// context's lifetime, so it runs without the test's deadline; a
	// timer bounds it instead.
	if err := withTimeout(StartTimeout, cancelTab, func() error {
		return chromedp.Do(tabCtx, chromedp.EmulateViewport(b.cfg.width, b.cfg.height))
	}); err != nil {
		tb.Fatalf("browsertest: open a tab: %v", err)
	}
	b.proc.attach(b)
	tb.Cleanup(func() { b.proc.detach(b) })

	deadline := time.Now().Add(b.cfg.timeout)
	if d, ok := testDeadline(tb); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(tabCtx, deadline)
	b.ctx = ctx
	tb.Cleanup(cancel)
	tb.Cleanup(b.finish)
	return b
}

// Context returns the tab's chromedp context, with the test's deadline,
// for chromedp.Run, chromedp.Events and the like.
func (b *Browser) Context() context.Context { return b.ctx }

// Run runs the actions in the tab, in order, and fails the test at the
// first error.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.tb.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.tb.Fatalf("browsertest: %v", b.explain(err))
	}
}

// Get runs one action that returns a value in b's tab and returns the
// value, failing the test on error: title := browsertest.Get(b,
// chromedp.Title()). (A method cannot have type parameters.)
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.tb.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.tb.Fatalf("browsertest: %v", b.explain(err))
	}
	return v
}

// Navigate loads url in the tab and waits for its load event.
func (b *Browser) Navigate(url string) {
	b.tb.Helper()
	b.Run(chromedp.Navigate(url))
}

// HTML returns the page's current HTML (the DOM as it is now, not the
// bytes the server sent).
func (b *Browser) HTML() string {
	b.tb.Helper()
	return Get(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// Screenshot takes a full-page PNG screenshot, keeps it in the test's
// artifacts directory as NAME.png and returns its path.
func (b *Browser) Screenshot(name string) string {
	b.tb.Helper()
	png := Get(b, chromedp.FullScreenshot(100))
	return b.Keep(name+".png", png)
}

// Keep writes data as the artifact file name (a PDF, say) in the test's
// artifacts directory, logs and returns its path.
func (b *Browser) Keep(name string, data []byte) string {
	b.tb.Helper()
	path, err := b.keep(name, data)
	if err != nil {
		b.tb.Fatalf("browsertest: %v", err)
	}
	b.tb.Logf("browsertest: kept %s", path)
	return path
}

func (b *Browser) keep(name string, data []byte) (string, error) {
	if err := os.MkdirAll(b.artifacts, 0o755); err != nil {
		return "", fmt.Errorf("artifacts directory: %w", err)
	}
	path := filepath.Join(b.artifacts, sanitise(name))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("keep artifact: %w", err)
	}
	return path, nil
}

// ArtifactDir is where this test's artifacts go (it exists once one was
// kept).
func (b *Browser) ArtifactDir() string { return b.artifacts }

// ExternalRequests returns the URLs of the requests made so far to hosts
// that are not loopback (each was blocked), in order.
func (b *Browser) ExternalRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.external)
}

// ConsoleErrors returns the console errors, uncaught exceptions and
// browser log errors (such as "Failed to load resource") so far, in order.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.console)
}

// FailedRequests returns the requests that failed at the network level so
// far, as "URL: error" (an HTTP error status is not a failure here; it
// shows up in ConsoleErrors).
func (b *Browser) FailedRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.failed)
}

// observe records what the checks need. It runs on the goroutine that
// reads the tab's messages, so it only appends under the lock.
func (b *Browser) observe(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		u := ev.Request.URL
		b.urls[ev.RequestID] = u
		if IsExternal(u) {
			b.external = append(b.external, u)
		}
	case *network.EventLoadingFailed:
		if ev.Canceled {
			return
		}
		b.failed = append(b.failed, b.urls[ev.RequestID]+": "+ev.ErrorText)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			b.console = append(b.console, "console."+string(ev.Type)+": "+argsText(ev.Args))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			return
		}
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			desc, _, _ := strings.Cut(d.Exception.Description, "\n")
			text += " " + desc
		}
		b.console = append(b.console, "exception: "+text+at(d.URL, d.LineNumber))
	case *log.EventEntryAdded:
		if e := ev.Entry; e != nil && e.Level == log.EntryLevelError {
			b.console = append(b.console, string(e.Source)+": "+e.Text+at(e.URL, e.LineNumber))
		}
	}
}

// noteProxied records a request that reached the tab's blocking proxy, if
// the page's network events did not show it already (a worker's, an
// out-of-process frame's).
func (b *Browser) noteProxied(u string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.external {
		if sameTarget(e, u) {
			return
		}
	}
	b.external = append(b.external, u)
}

// finish runs when the test ends: it fails the test on external requests
// (and on errors, unless allowed), then keeps a screenshot and the HTML
// if the test failed.
func (b *Browser) finish() {
	if ext := b.ExternalRequests(); len(ext) > 0 {
		b.tb.Errorf("browsertest: the page made %d request(s) to hosts other than 127.0.0.1 (blocked; "+
			"pages must not load anything from the internet):\n\t%s", len(ext), strings.Join(ext, "\n\t"))
	}
	console, failed := b.ConsoleErrors(), b.localFailures()
	if !b.cfg.allowErrors && len(console)+len(failed) > 0 {
		b.tb.Errorf("browsertest: the page reported errors (use browsertest.AllowConsoleErrors if the test causes them):\n\t%s",
			strings.Join(append(console, failed...), "\n\t"))
	}
	if !b.tb.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(b.tabCtx, artifactTimeout)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		b.tb.Logf("browsertest: no failure screenshot: %v", err)
	} else if path, err := b.keep("failure.png", png); err != nil {
		b.tb.Logf("browsertest: %v", err)
	} else {
		b.tb.Logf("browsertest: failure screenshot: %s", path)
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err != nil {
		b.tb.Logf("browsertest: no failure HTML: %v", err)
	} else if path, err := b.keep("failure.html", []byte("<!DOCTYPE html>\n"+html)); err != nil {
		b.tb.Logf("browsertest: %v", err)
	} else {
		b.tb.Logf("browsertest: page HTML at failure: %s", path)
	}
}

// localFailures are the failed requests that were not external (those
// are reported once, above).
func (b *Browser) localFailures() []string {
	var out []string
	for _, f := range b.FailedRequests() {
		u, _, _ := strings.Cut(f, ": ")
		if !IsExternal(u) {
			out = append(out, "failed request: "+f)
		}
	}
	return out
}

// explain adds to a deadline error which deadline it was, since "context
// deadline exceeded" alone sends people looking in the wrong place.
func (b *Browser) explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (the tab's deadline: browsertest.Timeout, default %v, or the test's -timeout)", err, DefaultTimeout)
	}
	return err
}

// IsExternal reports whether a request to u leaves the machine: an
// http(s) or ws(s) URL whose host is not loopback. data:, blob: and
// about: URLs are not requests to anyone.
func IsExternal(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return true // cannot tell, so do not let it pass
	}
	switch p.Scheme {
	case "http", "https", "ws", "wss", "ftp":
	default:
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// sameTarget says whether two request descriptions name the same host and
// port; the proxy sees only "host:443" for an HTTPS request.
func sameTarget(a, b string) bool {
	return hostPort(a) == hostPort(b)
}

func hostPort(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	port := p.Port()
	if port == "" {
		switch p.Scheme {
		case "https", "wss":
			port = "443"
		default:
			port = "80"
		}
	}
	return net.JoinHostPort(p.Hostname(), port)
}

// ExecPath returns the Chromium binary the tests use: VIGIL_TEST_CHROMIUM,
// else /usr/bin/chromium, else chromium or chromium-browser in PATH. It
// fails tb when there is none.
func ExecPath(tb testing.TB) string {
	tb.Helper()
	path, err := execPath()
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	return path
}

func execPath() (string, error) {
	if p := os.Getenv("VIGIL_TEST_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("VIGIL_TEST_CHROMIUM=%s: %v", p, err)
		}
		return found, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if found, err := exec.LookPath(name); err == nil {
			return found, nil
		}
	}
	return "", errors.New("no Chromium found (looked at VIGIL_TEST_CHROMIUM, /usr/bin/chromium, chromium and " +
		"chromium-browser in PATH): install Debian's chromium package (scripts/services does it)")
}

// ArtifactRoot is where tests keep screenshots and pages:
// VIGIL_TEST_ARTIFACTS, else vigil-test-artifacts under os.TempDir().
// Each test has a directory of its own inside.
func ArtifactRoot() string {
	if d := os.Getenv("VIGIL_TEST_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "vigil-test-artifacts")
}

// sanitise turns a test or file name into one path element.
func sanitise(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == ':' || r == ' ' || r < ' ':
			return '_'
		}
		return r
	}, name)
}

func testDeadline(tb testing.TB) (time.Time, bool) {
	d, ok := tb.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Time{}, false
	}
	t, ok := d.Deadline()
	if !ok {
		return t, false
	}
	// Leave time for the failure artifacts and the other cleanups.
	return t.Add(-artifactTimeout - 5*time.Second), true
}

func at(url string, line int64) string {
	if url == "" {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", url, line+1)
}

// argsText renders console arguments roughly as the DevTools console does:
// strings as they are, other values by their description.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Type == runtime.RemoteObjectTypeString && len(a.Value) > 0:
			var s string
			if err := json.Unmarshal(a.Value, &s); err != nil {
				s = string(a.Value)
			}
			parts = append(parts, s)
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

// withTimeout runs f, and calls cancel when f has not returned within d
// (f's context must be one that cancel ends).
func withTimeout(d time.Duration, cancel func(), f func() error) error {
	timer := time.AfterFunc(d, cancel)
	err := f()
	if !timer.Stop() {
		return fmt.Errorf("gave up after %v: %w", d, err)
	}
	return err
}

// blockingProxy is a proxy Chromium sends every non-loopback request to
// (it never proxies loopback): it answers each with 403, so the request
// fails, and calls note with its URL (only scheme, host and port for
// HTTPS, which is all a proxy sees).
type blockingProxy struct {
	srv  *http.Server
	addr string
	note func(u string)
}

func startProxy(note func(string)) (*blockingProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("blocking proxy: %w", err)
	}
	p := &blockingProxy{addr: ln.Addr().String(), note: note}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *blockingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := r.URL.String()
	if r.Method == http.MethodConnect {
		// An HTTPS (or WSS) request: the proxy learns only host and port.
		u = "https://" + r.Host + "/"
	}
	p.note(u)
	http.Error(w, "vigil browsertest: requests to the internet are blocked", http.StatusForbidden)
}

func (p *blockingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.srv.Shutdown(ctx)
}

// Fonts returns the platform fonts Chromium used to draw the text directly
// inside the first element that matches the CSS selector sel, with the
// number of glyphs drawn in each. A script with no installed font shows as
// a fallback family, or as glyphs drawn with a font that lacks them.
func (b *Browser) Fonts(sel string) []*css.PlatformFontUsage {
	b.tb.Helper()
	ids := Get(b, chromedp.QueryNodeIDs(chromedp.CSS(sel)))
	if len(ids) == 0 {
		b.tb.Fatalf("browsertest: no element matches %s", sel)
	}
	res, err := chromedp.Call(b.ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: ids[0]})
	if err != nil {
		b.tb.Fatalf("browsertest: fonts of %s: %v", sel, b.explain(err))
	}
	return res.Fonts
}

// CheckFont fails the test unless the text directly inside the first
// element matching sel that is in script (unicode.Myanmar, say) was drawn
// with a font whose family name contains family, and logs the fonts used.
//
// A character that no installed font has is drawn as a box with the
// element's first font, so it adds to that font's glyph count: the check
// is that fonts other than family drew no more glyphs than there are
// characters outside script (spaces, punctuation, Latin).
func (b *Browser) CheckFont(sel string, script *unicode.RangeTable, family string) {
	b.tb.Helper()
	text := Get(b, chromedp.Evaluate[string](`Array.from(document.querySelector(`+jsString(sel)+`).childNodes)`+
		`.filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.data).join("")`))
	// As CSS's white-space: normal draws it.
	text = strings.Join(strings.Fields(text), " ")
	var inScript, outside int
	for _, r := range text {
		if unicode.Is(script, r) {
			inScript++
		} else {
			outside++
		}
	}
	if inScript == 0 {
		b.tb.Fatalf("browsertest: %s holds no text in the script to check: %q", sel, text)
	}
	var familyGlyphs, otherGlyphs float64
	var used []string
	for _, f := range b.Fonts(sel) {
		used = append(used, fmt.Sprintf("%s (%s): %v glyphs", f.FamilyName, f.PostScriptName, f.GlyphCount))
		if strings.Contains(f.FamilyName, family) {
			familyGlyphs += f.GlyphCount
		} else {
			otherGlyphs += f.GlyphCount
		}
	}
	b.tb.Logf("browsertest: fonts of %s: %s", sel, strings.Join(used, "; "))
	switch {
	case familyGlyphs == 0:
		b.tb.Errorf("browsertest: %s was not drawn with %s at all (fonts: %s)", sel, family, strings.Join(used, "; "))
	case otherGlyphs > float64(outside):
		b.tb.Errorf("browsertest: %s: other fonts drew %v glyphs but only %d characters are outside the script: "+
			"some characters have no glyph in %s (fonts: %s)", sel, otherGlyphs, outside, family, strings.Join(used, "; "))
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
