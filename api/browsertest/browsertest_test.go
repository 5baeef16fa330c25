package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"
)

// The tests share one browser, as a package with many browser tests
// should; TestOwnBrowser covers the other way.
func TestMain(m *testing.M) { os.Exit(Main(m)) }

// burmese is a synthetic sentence in the style of examples/posts.jsonl:
// "The exam is over; I'm going to sleep well."
const burmese = "စာမေးပွဲ ပြီးသွားပြီ၊ အိပ်ရေးဝဝ အိပ်တော့မယ်။"

// serve serves pages (path → HTML) from 127.0.0.1 until t ends.
func serve(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		html, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func page(body string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>test</title>` +
		`<link rel="icon" href="data:,"></head><body>` + body + `</body></html>`
}

// recorder is a testing.TB whose errors are recorded instead of failing
// the test, so that the failure path of New's checks can run inside a
// passing test. Fatal still fails for real: it must stop the goroutine.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) { r.Errorf("%s", fmt.Sprint(args...)) }

func (r *recorder) Fail() { r.Errorf("Fail called") }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.errors) > 0
}

func (r *recorder) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errors)
}

// runRecorded runs f as a subtest with a recorder as its TB and returns
// the recorder once the subtest, and so every cleanup of New, is done.
func runRecorded(t *testing.T, f func(tb testing.TB)) *recorder {
	t.Helper()
	var r *recorder
	t.Run("recorded", func(t *testing.T) {
		r = &recorder{TB: t}
		f(r)
	})
	return r
}

// useArtifacts sends the artifacts of t (and its subtests) to a fresh
// directory and returns it.
func useArtifacts(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("VIGIL_TEST_ARTIFACTS", dir)
	return dir
}

func TestBurmesePage(t *testing.T) {
	srv := serve(t, map[string]string{
		"/": page(`<p id="my" lang="my">` + burmese + `</p><p id="en">Plain English.</p>`),
	})
	b := New(t)
	b.Navigate(srv.URL + "/")

	if got := Get(b, chromedp.Text(chromedp.CSS("#my"))); got != burmese {
		t.Errorf("text = %q, want %q", got, burmese)
	}
	b.CheckFont("#my", unicode.Myanmar, "Myanmar")

	pdf := Get(b, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	b.Keep("page.pdf", pdf)
	text := PDFText(t, pdf)
	if !strings.Contains(strings.Join(strings.Fields(text), " "), burmese) {
		t.Errorf("pdftotext lost the Burmese sentence; got:\n%s", text)
	}
	var myanmar bool
	for _, f := range PDFFonts(t, pdf) {
		t.Logf("pdf font %+v", f)
		if strings.Contains(f.Name, "Myanmar") && f.Embedded {
			myanmar = true
		}
	}
	if !myanmar {
		t.Error("no embedded Myanmar font in the PDF")
	}
	png := b.Screenshot("page")
	if data, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(data), "\x89PNG") {
		t.Errorf("screenshot %s is not a PNG (%v)", png, err)
	}
	if ext := b.ExternalRequests(); len(ext) != 0 {
		t.Errorf("external requests: %v", ext)
	}
}

// TestCheckFontCatchesMissingGlyphs draws Burmese with a font that has no
// Myanmar glyphs and no fallback (the box glyphs count against the page's
// first font), and checks that CheckFont notices.
func TestCheckFontCatchesMissingGlyphs(t *testing.T) {
	useArtifacts(t)
	srv := serve(t, map[string]string{
		"/": page(`<p id="latin" lang="my" style="font-family: 'Liberation Serif'">` + burmese + `</p>`),
	})
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb)
		b.Navigate(srv.URL + "/")
		b.CheckFont("#latin", unicode.Myanmar, "Liberation Mono")
	})
	if errs := r.Errors(); len(errs) == 0 || !strings.Contains(errs[0], "not drawn with Liberation Mono") {
		t.Errorf("CheckFont on a page without the font: errors %q", errs)
	}
}

func TestExternalRequestFailsTheTest(t *testing.T) {
	artifacts := useArtifacts(t)
	srv := serve(t, map[string]string{
		"/": page(`<p>An image from the internet:</p><img src="https://example.com/x.png" alt="">`),
	})
	var ext []string
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb, AllowConsoleErrors())
		b.Navigate(srv.URL + "/")
		ext = b.ExternalRequests()
	})
	if !slices.Contains(ext, "https://example.com/x.png") {
		t.Errorf("ExternalRequests() = %q, want https://example.com/x.png among them", ext)
	}
	errs := r.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "https://example.com/x.png") ||
		!strings.Contains(errs[0], "other than 127.0.0.1") {
		t.Errorf("the test was failed with %q, want one error naming the external request", errs)
	}
	// A failed test keeps its screenshot and HTML.
	dir := filepath.Join(artifacts, sanitise(t.Name()+"/recorded"))
	png, err := os.ReadFile(filepath.Join(dir, "failure.png"))
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
		t.Errorf("no failure screenshot in %s: %v", dir, err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "failure.html"))
	if err != nil || !strings.Contains(string(html), `src="https://example.com/x.png"`) {
		t.Errorf("no failure HTML with the page in %s: %v", dir, err)
	}
}

// TestWorkerRequestIsCaught has a worker, whose requests the page's network
// events do not show, fetch from the internet: the tab's proxy sees it.
func TestWorkerRequestIsCaught(t *testing.T) {
	useArtifacts(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/worker.js":
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `fetch("https://example.org/beacon").catch(() => {}).finally(() => postMessage("done"))`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page(`<script>new Worker("/worker.js").onmessage = () => { document.body.dataset.done = "1" }</script>`))
		}
	}))
	t.Cleanup(srv.Close)
	var ext []string
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb, AllowConsoleErrors())
		b.Navigate(srv.URL + "/")
		b.Run(chromedp.WaitReady(chromedp.CSS("body[data-done]")))
		ext = b.ExternalRequests()
	})
	if !slices.ContainsFunc(ext, func(u string) bool { return strings.Contains(u, "example.org") }) {
		t.Errorf("ExternalRequests() = %q, want the worker's request to example.org", ext)
	}
	if errs := r.Errors(); len(errs) != 1 || !strings.Contains(errs[0], "example.org") {
		t.Errorf("the test was failed with %q, want one error naming example.org", errs)
	}
}

func TestFailureKeepsScreenshotAndHTML(t *testing.T) {
	artifacts := useArtifacts(t)
	srv := serve(t, map[string]string{"/": page(`<h1 lang="my">` + burmese + `</h1>`)})
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb)
		b.Navigate(srv.URL + "/")
		tb.Errorf("deliberate failure")
	})
	if errs := r.Errors(); len(errs) != 1 || errs[0] != "deliberate failure" {
		t.Errorf("errors = %q, want only the deliberate one", errs)
	}
	dir := filepath.Join(artifacts, sanitise(t.Name()+"/recorded"))
	png, err := os.ReadFile(filepath.Join(dir, "failure.png"))
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG\r\n\x1a\n") {
		t.Errorf("no failure screenshot in %s: %v", dir, err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "failure.html"))
	if err != nil || !strings.Contains(string(html), burmese) {
		t.Errorf("no failure HTML with the page in %s: %v", dir, err)
	}
}

func TestPassingTestKeepsNothing(t *testing.T) {
	artifacts := useArtifacts(t)
	srv := serve(t, map[string]string{"/": page(`<p>fine</p>`)})
	r := runRecorded(t, func(tb testing.TB) {
		New(tb).Navigate(srv.URL + "/")
	})
	if errs := r.Errors(); len(errs) != 0 {
		t.Errorf("errors = %q, want none", errs)
	}
	entries, _ := os.ReadDir(artifacts)
	if len(entries) != 0 {
		t.Errorf("a passing test left artifacts: %v", entries)
	}
}

func TestConsoleErrors(t *testing.T) {
	useArtifacts(t)
	srv := serve(t, map[string]string{
		"/": page(`<script>console.error("ledger", 42); console.log("fine");</script>` +
			`<script>throw new TypeError("broken handler")</script>` +
			`<img src="/missing.png" alt="">`),
	})
	var console []string
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb)
		b.Navigate(srv.URL + "/")
		console = b.ConsoleErrors()
	})
	want := []string{"console.error: ledger 42", "TypeError: broken handler", "404"}
	for _, w := range want {
		if !slices.ContainsFunc(console, func(c string) bool { return strings.Contains(c, w) }) {
			t.Errorf("ConsoleErrors() = %q, want one containing %q", console, w)
		}
	}
	if slices.ContainsFunc(console, func(c string) bool { return strings.Contains(c, "fine") }) {
		t.Errorf("console.log recorded as an error: %q", console)
	}
	if errs := r.Errors(); len(errs) != 1 || !strings.Contains(errs[0], "broken handler") {
		t.Errorf("the test was failed with %q, want one error listing the console errors", errs)
	}

	// A test that causes errors on purpose can allow them.
	r = runRecorded(t, func(tb testing.TB) {
		New(tb, AllowConsoleErrors()).Navigate(srv.URL + "/")
	})
	if errs := r.Errors(); len(errs) != 0 {
		t.Errorf("with AllowConsoleErrors the test was failed with %q", errs)
	}
}

func TestTabsAreIsolated(t *testing.T) {
	srv := serve(t, map[string]string{"/": page(`<p>cookie jar</p>`)})
	a := New(t)
	a.Navigate(srv.URL + "/")
	a.Run(chromedp.Evaluate[chromedp.Void](`document.cookie = "session=a; path=/"; localStorage.setItem("k", "a")`))
	b := New(t)
	b.Navigate(srv.URL + "/")
	if c := Get(b, chromedp.Evaluate[string](`document.cookie`)); c != "" {
		t.Errorf("second tab sees cookie %q", c)
	}
	if v := Get(b, chromedp.Evaluate[*string](`localStorage.getItem("k")`)); v != nil {
		t.Errorf("second tab sees local storage %q", *v)
	}
}

func TestTimeout(t *testing.T) {
	useArtifacts(t)
	srv := serve(t, map[string]string{"/": page(`<p>no button here</p>`)})
	var err error
	runRecorded(t, func(tb testing.TB) {
		b := New(tb, Timeout(2*time.Second))
		b.Navigate(srv.URL + "/")
		start := time.Now()
		err = chromedp.Do(b.Context(), chromedp.WaitVisible(chromedp.CSS("#button")))
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("waited %v, want about 2s", d)
		}
	})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("waiting for a missing element: %v, want a deadline error", err)
	}
}

// TestOwnBrowser covers a test binary without Main: each test starts a
// browser of its own, with its profile in t.TempDir().
func TestOwnBrowser(t *testing.T) {
	shared.mu.Lock()
	shared.enabled = false
	shared.mu.Unlock()
	t.Cleanup(func() {
		shared.mu.Lock()
		shared.enabled = true
		shared.mu.Unlock()
	})
	srv := serve(t, map[string]string{"/": page(`<p lang="my">` + burmese + `</p>`)})
	b := New(t)
	if b.proc == shared.proc {
		t.Fatal("New used the shared browser")
	}
	b.Navigate(srv.URL + "/")
	if got := Get(b, chromedp.Text(chromedp.CSS("p"))); got != burmese {
		t.Errorf("text = %q", got)
	}
}

func TestExecPath(t *testing.T) {
	t.Setenv("VIGIL_TEST_CHROMIUM", "/nonexistent/chromium")
	if _, err := execPath(); err == nil || !strings.Contains(err.Error(), "VIGIL_TEST_CHROMIUM") {
		t.Errorf("execPath with a missing VIGIL_TEST_CHROMIUM: %v", err)
	}
	t.Setenv("VIGIL_TEST_CHROMIUM", "")
	t.Setenv("PATH", t.TempDir())
	_, err := execPath()
	if _, statErr := os.Stat("/usr/bin/chromium"); statErr == nil {
		if err != nil {
			t.Errorf("execPath: %v, want /usr/bin/chromium", err)
		}
	} else if err == nil || !strings.Contains(err.Error(), "install Debian's chromium package") {
		t.Errorf("execPath without Chromium: %v, want the install hint", err)
	}
}

func TestIsExternal(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8080/x", false},
		{"http://127.0.0.2/x", false},
		{"http://[::1]:80/", false},
		{"http://localhost:3000/", false},
		{"data:image/png;base64,AAAA", false},
		{"blob:http://127.0.0.1/1234", false},
		{"about:blank", false},
		{"https://example.com/x.png", true},
		{"http://10.0.0.1/", true},
		{"wss://example.org/socket", true},
		{"https://fonts.googleapis.com/css?family=Padauk", true},
	} {
		if got := IsExternal(tc.url); got != tc.want {
			t.Errorf("IsExternal(%q) = %v, want %v", tc.url, got, tc.want)
		}
	}
}
