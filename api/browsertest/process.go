package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// process is one running Chromium, the proxy that blocks its requests to
// the internet, and the tabs open in it.
type process struct {
	ctx     context.Context // the browser's chromedp context
	cancel  context.CancelFunc
	release context.CancelFunc // the allocator's
	proxy   *blockingProxy
	output  *lockedBuffer

	mu   sync.Mutex
	tabs map[*Browser]bool
}

// startProcess starts Chromium with a fresh profile in dataDir. The flags
// are those a root user in a container needs (no sandbox, no GPU), with
// everything that phones home switched off, and a proxy that refuses
// whatever still tries to leave the machine.
func startProcess(execPath, dataDir string) (*process, error) {
	p := &process{tabs: make(map[*Browser]bool), output: new(lockedBuffer)}
	proxy, err := startProxy(p.note)
	if err != nil {
		return nil, err
	}
	p.proxy = proxy
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(dataDir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		// Even with the flags above Chromium 156 calls accounts.google.com
		// and optimizationguide-pa.googleapis.com within seconds of
		// starting (and at times update.googleapis.com); this stops the
		// second.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,OptimizationHints,AutofillServerCommunication,PasswordManagerOnboarding"),
		// Chromium 156 asks an autofill server about any page with text
		// fields even with AutofillServerCommunication off; pointed at a
		// closed local port, the question never leaves the machine.
		chromedp.Flag("autofill-server-url", "http://127.0.0.1:9/"),
		// Chromium never sends loopback requests through a proxy, so
		// 127.0.0.1 test servers work and everything else reaches a
		// blocking proxy: each tab's own (see New), or, for Chromium's
		// own traffic, this one. The resolver rule keeps DNS quiet too.
		chromedp.ProxyServer("http://"+proxy.addr),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.CombinedOutput(p.output),
	)
	allocCtx, release := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	p.ctx, p.cancel, p.release = ctx, cancel, release
	// The first action starts the browser and ties it to ctx, which must
	// therefore have no deadline; a timer bounds the start instead.
	if err := withTimeout(StartTimeout, cancel, func() error { return chromedp.Do(ctx) }); err != nil {
		p.stop()
		return nil, fmt.Errorf("start %s: %v%s", execPath, err, p.outputTail())
	}
	return p, nil
}

// stop closes the browser, waits for it to exit, and stops the proxy.
func (p *process) stop() {
	ctx, cancel := context.WithTimeout(p.ctx, artifactTimeout)
	defer cancel()
	chromedp.Cancel(ctx)
	p.cancel()
	p.release()
	p.proxy.close()
}

func (p *process) attach(b *Browser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tabs[b] = true
}

func (p *process) detach(b *Browser) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.tabs, b)
}

// note logs, in every open tab's test, a request the browser-wide proxy
// refused. It came from Chromium itself, not from a page (a tab's requests
// go to the tab's proxy), so it fails no test.
func (p *process) note(u string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for b := range p.tabs {
		b.tb.Logf("browsertest: blocked Chromium's own request to %s (not the page's)", u)
	}
}

func (p *process) outputTail() string {
	out := strings.TrimSpace(p.output.String())
	if out == "" {
		return ""
	}
	if len(out) > 2000 {
		out = "..." + out[len(out)-2000:]
	}
	return "\nbrowser output:\n" + out
}

// The shared browser of a test binary that runs Main.
var shared struct {
	mu      sync.Mutex
	enabled bool
	proc    *process
	dir     string
	err     error
}

// Main runs the tests of a package with one browser shared by all of them
// and closes it at the end:
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
//
// Tests still get a tab and a browser context of their own, so they can
// run in parallel and share no cookies.
func Main(m *testing.M) int {
	shared.mu.Lock()
	shared.enabled = true
	shared.mu.Unlock()
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.proc != nil {
		shared.proc.stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	return code
}

// sharedProcess returns the shared browser, starting it on first use, or
// nil when the test binary does not run Main.
func sharedProcess(tb testing.TB) *process {
	tb.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.enabled {
		return nil
	}
	if shared.proc == nil && shared.err == nil {
		shared.err = func() error {
			path, err := execPath()
			if err != nil {
				return err
			}
			dir, err := os.MkdirTemp("", "vigil-chromium-")
			if err != nil {
				return err
			}
			shared.dir = dir
			shared.proc, err = startProcess(path, dir)
			return err
		}()
	}
	if shared.err != nil {
		tb.Fatalf("browsertest: %v", shared.err)
	}
	return shared.proc
}

// lockedBuffer collects the browser's output, which arrives on another
// goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to explain a failed start
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
