package api_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"

	"github.com/vigilhq/vigil/api/browsertest"
	"github.com/vigilhq/vigil/event"
)

// TestConsoleBrowser is the console's smoke test in headless Chromium:
// sign in, claim, move to the first flag with j, confirm it with c, and
// see the row marked confirmed and the decision reach the queue; Burmese
// is drawn with a Myanmar font, and the page fits 375 px without
// scrolling sideways. The lead's end-to-end tests drive `vigil run`.
func TestConsoleBrowser(t *testing.T) {
	e := consoleFixture(t)
	b := browsertest.New(t, browsertest.Timeout(90*time.Second))
	b.Navigate(e.f.srv.URL + "/")
	b.Run(
		chromedp.SendKeys(chromedp.CSS("#token"), e.secrets[event.RoleMonitor]),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#claim-h")),
		chromedp.Click(chromedp.CSS(`form.claim button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		chromedp.WaitVisible(chromedp.CSS(`#flag-11`)),
	)
	if notice := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector("p.notice").textContent`)); !strings.Contains(notice, "Claimed") {
		t.Fatalf("after the claim the page says %q", notice)
	}
	// The countdown runs.
	poll(b, `document.getElementById("lease").textContent.startsWith("in ")`)

	b.Run(chromedp.KeyEvent("j"))
	poll(b, `document.activeElement.id === "flag-11"`)
	b.Run(chromedp.KeyEvent("c"), chromedp.WaitVisible(chromedp.CSS(`#flag-11[data-decided="confirm"]`)))
	// Focus moves on to the next flag.
	poll(b, `document.activeElement.id === "flag-10"`)
	outcome := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector("#flag-11 .outcome").textContent`))
	if outcome != "Decided: confirmed" {
		t.Errorf("flag 11 says %q", outcome)
	}
	e.review.mu.Lock()
	decisions := append([]event.DecisionRequest(nil), e.review.decisions...)
	e.review.mu.Unlock()
	if len(decisions) != 1 || decisions[0].FlagID != 11 || decisions[0].Decision != event.DecisionConfirm ||
		decisions[0].Reviewer != e.pseudonyms[event.RoleMonitor] {
		t.Errorf("decisions %+v, want flag 11 confirmed by the monitor", decisions)
	}
	// Typing in a field is not a shortcut.
	b.Run(
		chromedp.Focus(chromedp.CSS("#note-10")),
		chromedp.KeyEvent("d"),
	)
	if note := browsertest.Get(b, chromedp.Value(chromedp.CSS("#note-10"))); note != "d" {
		t.Errorf("typing d in the note gave %q", note)
	}

	b.CheckFont("#flag-10 .text", unicode.Myanmar, "Myanmar")

	// 375 px wide: nothing wider than the screen.
	b.Run(chromedp.EmulateViewport(375, 800))
	if wide := browsertest.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		b.Screenshot("queue-375")
		t.Error("the queue scrolls sideways at 375 px")
	}
}

// poll waits until the expression is true in b's page.
func poll(b *browsertest.Browser, expr string) {
	browsertest.Get(b, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(5*time.Second)))
}

// TestConsoleChipsAccessible: the regions and target groups a post names
// show as chips on the queue and on the post page, each chip saying its
// kind in words, and both pages pass the accessibility check with them
// (names, contrast, focus order) and fit 375 px.
func TestConsoleChipsAccessible(t *testing.T) {
	e := consoleFixture(t)
	b := browsertest.New(t, browsertest.Timeout(90*time.Second))
	b.Navigate(e.f.srv.URL + "/")
	b.Run(
		chromedp.SendKeys(chromedp.CSS("#token"), e.secrets[event.RoleMonitor]),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flag-10 .chips")),
	)
	for _, page := range []struct{ name, path, chips string }{
		{"queue", "/queue", "#flag-10 .chips"},
		{"post", "/posts/x/p10", ".chips"},
	} {
		b.Navigate(e.f.srv.URL + page.path)
		b.Run(chromedp.WaitVisible(chromedp.CSS(page.chips)))
		got := browsertest.Get(b, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("`+page.chips+` li")].map(li => li.textContent)`))
		if strings.Join(got, "|") != "Region: sagaing|Group: journalists" {
			t.Errorf("%s: chips %q, want Region: sagaing and Group: journalists", page.name, got)
		}
		if label := browsertest.Get(b, chromedp.Evaluate[string](`document.querySelector("`+page.chips+`").getAttribute("aria-label")`)); label == "" {
			t.Errorf("%s: the chips' list has no name", page.name)
		}
		browsertest.RequireAccessible(t, b)
		b.Run(chromedp.EmulateViewport(375, 800))
		if wide := browsertest.Get(b, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
			b.Screenshot(page.name + "-chips-375")
			t.Errorf("%s: the page scrolls sideways at 375 px", page.name)
		}
		b.Run(chromedp.EmulateViewport(1280, 900))
	}
}
