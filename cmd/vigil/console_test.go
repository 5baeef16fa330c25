package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vigilhq/vigil/api/browsertest"
)

// The review console end to end (issue 7): `vigil run` with the demo
// data, driven in a real headless Chromium through api/browsertest. The
// harness fails a test whose page asks anything of a host other than
// 127.0.0.1, or logs an error, and keeps a screenshot and the page's HTML
// when a test fails.

// consoleLabel starts the label of every token these tests make: a
// reviewer's real name as an admin might type it, which no page may show.
const consoleLabel = "Reviewer Real Name"

// consoleRun is a `vigil run` with the demo data and the tokens the
// console tests sign in with.
type consoleRun struct {
	base    string
	secrets map[string]string // by role
	names   map[string]string // pseudonyms, by role
	caseID  int64
}

// startConsoleRun runs the demo pipeline, waits for its flags, and makes
// a monitor, an advocate and a viewer token through the API, plus a case
// and a takedown request so that those pages have something to show.
func startConsoleRun(t *testing.T) *consoleRun {
	t.Helper()
	r := MustRunMain(t, nil, filepath.Join(t.TempDir(), "data"), targetAll)
	eventually(t, 60*time.Second, "demo flags stored", func() (bool, string) {
		var resp struct {
			Flags []json.RawMessage `json:"flags"`
		}
		apiCall(t, "GET", r.base+"/api/v1/flags?status=pending", testToken, "", &resp)
		return len(resp.Flags) >= 4, strconv.Itoa(len(resp.Flags))
	})
	cr := &consoleRun{base: r.base, secrets: map[string]string{}, names: map[string]string{}}
	for _, role := range []string{"monitor", "advocate", "viewer"} {
		var created struct {
			Token struct {
				Pseudonym string `json:"pseudonym"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		body := fmt.Sprintf(`{"role":%q,"label":"%s (%s)"}`, role, consoleLabel, role)
		if code := apiCall(t, "POST", r.base+"/api/v1/tokens", testToken, body, &created); code != 201 {
			t.Fatalf("create %s token: %d", role, code)
		}
		cr.secrets[role], cr.names[role] = created.Secret, created.Token.Pseudonym
	}
	advocate := cr.secrets["advocate"]
	var c struct {
		ID int64 `json:"id"`
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/cases", advocate,
		`{"title":"Synthetic network","description":"Accounts of the demo data."}`, &c); code != 201 {
		t.Fatalf("create case: %d", code)
	}
	cr.caseID = c.ID
	body := fmt.Sprintf(`{"accounts":[{"platform":%q,"id":%q}]}`, packPlatform, packAccount)
	if code := apiCall(t, "POST", r.base+"/api/v1/cases/"+strconv.FormatInt(c.ID, 10)+"/accounts", advocate, body, nil); code != 200 {
		t.Fatalf("add the account to the case: %d", code)
	}
	body = fmt.Sprintf(`{"platform":"x","channel":"X trusted flagger portal","case_id":%d,"accounts":[{"platform":%q,"id":%q}],"sent_at":%q}`,
		c.ID, packPlatform, packAccount, time.Now().Add(-2*time.Hour).UTC().Format(time.RFC3339))
	if code := apiCall(t, "POST", r.base+"/api/v1/takedowns", advocate, body, nil); code != 201 {
		t.Fatalf("takedown request: %d", code)
	}
	return cr
}

// consoleTab opens a browser tab for t and, should t fail, names the
// directory the harness keeps the failure screenshot and HTML in.
func consoleTab(t *testing.T, opts ...browsertest.Option) *browsertest.Browser {
	t.Helper()
	var b *browsertest.Browser
	// Registered before New, so it runs after the harness's own checks
	// (which can fail the test) and artifacts.
	t.Cleanup(func() {
		if t.Failed() && b != nil {
			t.Logf("console test failed: its screenshot and page are in %s", b.ArtifactDir())
		}
	})
	b = browsertest.New(t, append([]browsertest.Option{browsertest.Timeout(4 * time.Minute)}, opts...)...)
	return b
}

// signIn types the token into the sign-in form, sends it with Enter, and
// waits for the page it lands on.
func signIn(t *testing.T, b *browsertest.Browser, base, token string) {
	t.Helper()
	b.Navigate(base + "/signin")
	if status := submit(t, b, chromedp.SendKeys(chromedp.CSS("#token"), token+kb.Enter)); status != 200 {
		t.Fatalf("signing in ended on a page with status %d", status)
	}
}

// submit runs actions that send a form and waits for the page the form
// leads to (after its redirect), returning that page's status.
func submit(t *testing.T, b *browsertest.Browser, actions ...chromedp.Action[chromedp.Void]) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(b.Context(), actions...)
	if err != nil {
		t.Fatalf("send a form: %v", err)
	}
	return resp.Status
}

// pollTrue waits until expr is true in b's page.
func pollTrue(b *browsertest.Browser, expr string) {
	browsertest.Get(b, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second)))
}

// evalJSON evaluates expr (a promise is awaited) and decodes its value
// into a T.
func evalJSON[T any](b *browsertest.Browser, expr string) T {
	return browsertest.Get(b, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// checkPage holds the page now in b's tab to what every console page
// must do: show no token label or secret, pass the accessibility check,
// and at 375 px wide scroll only downwards, with every control that
// controls names (CSS selectors, each matching at least one element)
// on the screen.
// checkCasePages checks the pages monitors and advocates share: the
// cases, one case (caseURL) and the takedowns.
func checkCasePages(t *testing.T, b *browsertest.Browser, cr *consoleRun, caseURL string) {
	t.Helper()
	for _, page := range []struct{ name, url string }{{"cases", cr.base + "/cases"}, {"case", caseURL}, {"takedowns", cr.base + "/takedowns"}} {
		b.Navigate(page.url)
		checkPage(t, b, cr, page.name)
	}
}

func checkPage(t *testing.T, b *browsertest.Browser, cr *consoleRun, name string, controls ...string) {
	t.Helper()
	html := b.HTML()
	if strings.Contains(html, consoleLabel) {
		t.Errorf("%s: the page shows a token's label (%q)", name, consoleLabel)
	}
	for role, secret := range cr.secrets {
		if strings.Contains(html, secret) {
			t.Errorf("%s: the page holds the %s token's secret", name, role)
		}
	}
	if vs := browsertest.CheckAccessibility(b); len(vs) > 0 {
		lines := make([]string, len(vs))
		for i, v := range vs {
			lines[i] = v.String()
		}
		t.Errorf("%s: %d accessibility violation(s):\n\t%s", name, len(vs), strings.Join(lines, "\n\t"))
	}

	b.Run(chromedp.EmulateViewport(375, 800))
	defer b.Run(chromedp.EmulateViewport(1280, 900))
	type width struct {
		Scroll int `json:"scroll"`
		Inner  int `json:"inner"`
	}
	w := evalJSON[width](b, `({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`)
	if w.Inner != 375 {
		t.Fatalf("%s: the viewport is %d px wide, want 375", name, w.Inner)
	}
	if w.Scroll > w.Inner {
		b.Screenshot(name + "-375")
		t.Errorf("%s: at 375 px the page is %d px wide: it scrolls sideways", name, w.Scroll)
	}
	if len(controls) == 0 {
		return
	}
	sels, _ := json.Marshal(controls)
	// An element is on the screen when it has a size, is not hidden, and
	// lies within the viewport's width (the page may scroll down to it).
	off := evalJSON[[]string](b, `(() => {
		const out = [];
		for (const sel of `+string(sels)+`) {
			const els = document.querySelectorAll(sel);
			if (!els.length) { out.push(sel + ": no such element"); continue; }
			els.forEach((el, i) => {
				const r = el.getBoundingClientRect(), st = getComputedStyle(el);
				if (r.width < 1 || r.height < 1 || st.visibility !== "visible" || r.left < 0 || r.right > window.innerWidth + 0.5)
					out.push(sel + " #" + (i + 1) + ": " + Math.round(r.left) + "–" + Math.round(r.right) + " px, " +
						Math.round(r.width) + "×" + Math.round(r.height) + ", " + st.visibility);
			});
		}
		return out;
	})()`)
	if len(off) > 0 {
		b.Screenshot(name + "-375-controls")
		t.Errorf("%s: at 375 px these controls are not on the screen:\n\t%s", name, strings.Join(off, "\n\t"))
	}
}

// apiFlags lists the flags of one status with token.
func apiFlags(t *testing.T, base, token, status string) []consoleFlag {
	t.Helper()
	var resp struct {
		Flags []consoleFlag `json:"flags"`
	}
	if code := apiCall(t, "GET", base+"/api/v1/flags?status="+status+"&limit=500", token, "", &resp); code != 200 {
		t.Fatalf("GET /api/v1/flags?status=%s: %d", status, code)
	}
	return resp.Flags
}

type consoleFlag struct {
	ID       int64  `json:"id"`
	AuthorID string `json:"author_id"`
	Platform string `json:"platform"`
	Status   string `json:"status"`
	Decision *struct {
		Decision string `json:"decision"`
		Reviewer string `json:"reviewer"`
	} `json:"decision"`
}

// The queue's controls, which must be on the screen at 375 px.
var queueControls = []string{
	`form.claim button[type="submit"]`, "#c-limit",
	"article.flag .select input", "article.flag textarea",
	"article.flag form.decide button", "#bulk button",
}

// TestConsoleEndToEnd is issue 7's walk through the console against `vigil
// run` with the demo data. A monitor signs in by typing a token, claims a
// batch, and with key presses alone moves with j and k, confirms one flag
// with c and dismisses the next with d; the API then shows both
// decisions under the monitor's pseudonym. The monitor's account page has
// no export button, and the export form posted by hand with the monitor's
// valid session and CSRF token is refused with 403; an advocate's has
// the button, and its form downloads a signed ZIP that the API's pack
// records know. Every page visited (sign-in, the queue with claims, a
// post, an account, the cases, a case, the takedowns, as each role sees
// them) passes the accessibility check and fits 375 px without sideways
// scrolling, with the queue's controls on the screen; no page asks
// anything of another host, and no token label or secret shows.
func TestConsoleEndToEnd(t *testing.T) {
	cr := startConsoleRun(t)
	base := cr.base
	caseURL := base + "/cases/" + strconv.FormatInt(cr.caseID, 10)

	// What the monitor decided, for the advocate.
	var confirmed, dismissed consoleFlag
	ok := t.Run("monitor", func(t *testing.T) {
		b := consoleTab(t)
		b.Navigate(base + "/signin")
		checkPage(t, b, cr, "sign-in", "#token", `form[action="/signin"] button[type="submit"]`)
		signIn(t, b, base, cr.secrets["monitor"])
		if got := browsertest.Get(b, chromedp.Location()); got != base+"/queue" {
			t.Fatalf("the monitor landed on %s, want the queue", got)
		}
		if who := browsertest.Get(b, chromedp.TextContent(chromedp.CSS(".who"))); !strings.Contains(who, cr.names["monitor"]) {
			t.Errorf("the page names the monitor %q, want the pseudonym %s", who, cr.names["monitor"])
		}

		// A batch of four: enough to move between, and few enough that the
		// focus walk goes round the page within its budget.
		b.Run(chromedp.SetValue(chromedp.CSS("#c-limit"), "4"))
		if status := submit(t, b, chromedp.Click(chromedp.CSS(`form.claim button[type="submit"]`))); status != 200 {
			t.Fatalf("the claim ended on a page with status %d", status)
		}
		ids := browsertest.Get(b, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("article.flag")).map(a => a.dataset.flag)`))
		if len(ids) < 2 {
			t.Fatalf("the monitor holds %d flags after the claim, want at least 2", len(ids))
		}
		pollTrue(b, `document.getElementById("lease").textContent.startsWith("in ")`)
		checkPage(t, b, cr, "queue", queueControls...)

		// The check's focus walk leaves focus outside the page: start the
		// keyboard part from a fresh load, as a monitor would.
		b.Navigate(base + "/queue")
		first, second := "flag-"+ids[0], "flag-"+ids[1]
		key := func(k, wantFocus string) {
			t.Helper()
			b.Run(chromedp.KeyEvent(k))
			pollTrue(b, `document.activeElement && document.activeElement.id === `+strconv.Quote(wantFocus))
		}
		key("j", first)
		key("j", second)
		key("k", first)
		// c confirms the focused flag and moves on to the next one.
		key("c", second)
		pollTrue(b, `document.getElementById(`+strconv.Quote(first)+`).dataset.decided === "confirm"`)
		b.Run(chromedp.KeyEvent("d"))
		pollTrue(b, `document.getElementById(`+strconv.Quote(second)+`).dataset.decided === "dismiss"`)
		for id, want := range map[string]string{first: "Decided: confirmed", second: "Decided: dismissed"} {
			if got := browsertest.Get(b, chromedp.TextContent(chromedp.CSS("#"+id+" .outcome"))); got != want {
				t.Errorf("%s says %q, want %q", id, got, want)
			}
		}

		// The API has both decisions, by the monitor's pseudonym.
		find := func(status, id string) consoleFlag {
			t.Helper()
			for _, f := range apiFlags(t, base, cr.secrets["monitor"], status) {
				if strconv.FormatInt(f.ID, 10) == id {
					return f
				}
			}
			t.Fatalf("flag %s is not among the %s flags in the API", id, status)
			return consoleFlag{}
		}
		confirmed, dismissed = find("confirmed", ids[0]), find("dismissed", ids[1])
		for _, c := range []struct {
			f    consoleFlag
			want string
		}{{confirmed, "confirm"}, {dismissed, "dismiss"}} {
			if d := c.f.Decision; d == nil || d.Decision != c.want || d.Reviewer != cr.names["monitor"] {
				t.Errorf("flag %d: decision %+v, want %s by %s", c.f.ID, d, c.want, cr.names["monitor"])
			}
		}

		// The confirmed flag's post, as written and normalised.
		post := base + "/posts/" + confirmed.Platform + "/"
		postHref := browsertest.Get(b, chromedp.Evaluate[string](
			`document.querySelector("#`+first+` a[href^='/posts/']").getAttribute("href")`))
		if !strings.HasPrefix(base+postHref, post) {
			t.Fatalf("flag %s links to %s", ids[0], postHref)
		}
		b.Navigate(base + postHref)
		checkPage(t, b, cr, "post")
		b.Navigate(base + postHref + "?view=normalized")
		checkPage(t, b, cr, "post-normalized")

		// The account page: no export for a monitor, not even an element.
		b.Navigate(base + "/accounts/" + confirmed.Platform + "/" + confirmed.AuthorID)
		checkPage(t, b, cr, "account")
		if n := browsertest.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/pack"], #export-h').length +
			Array.from(document.querySelectorAll("button")).filter(e => /export/i.test(e.textContent)).length`)); n != 0 {
			t.Errorf("the monitor's account page has %d export elements, want none", n)
		}

		checkCasePages(t, b, cr, caseURL)
	})
	if !ok {
		return
	}
	account := base + "/accounts/" + confirmed.Platform + "/" + confirmed.AuthorID

	t.Run("monitor posts the export form anyway", func(t *testing.T) {
		// The refusal is an error page with status 403, which Chromium
		// logs as a failed resource: allowed here, and checked below to
		// be the only error.
		b := consoleTab(t, browsertest.AllowConsoleErrors())
		signIn(t, b, base, cr.secrets["monitor"])
		b.Navigate(account)
		type answer struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		}
		// The form an advocate's page would have, posted by the page with
		// the monitor's cookie and the page's own (valid) CSRF token.
		got := evalJSON[answer](b, `(async () => {
			const csrf = document.querySelector('meta[name="csrf-token"]').content;
			const resp = await fetch(location.pathname + "/pack", {method: "POST", credentials: "same-origin",
				body: new URLSearchParams({csrf: csrf, profile: ""})});
			return {status: resp.status, body: await resp.text()};
		})()`)
		if got.Status != 403 {
			t.Errorf("the monitor's export POST: status %d, want 403", got.Status)
		}
		// Refused for the role, so not for a stale CSRF token.
		if !strings.Contains(got.Body, "needs the advocate role") {
			t.Errorf("the refusal does not say the advocate role is needed:\n%s", got.Body)
		}
		for _, e := range b.ConsoleErrors() {
			if !strings.Contains(e, "403") {
				t.Errorf("unexpected page error: %s", e)
			}
		}
		if f := b.FailedRequests(); len(f) > 0 {
			t.Errorf("failed requests: %v", f)
		}
	})

	t.Run("advocate", func(t *testing.T) {
		b := consoleTab(t)
		signIn(t, b, base, cr.secrets["advocate"])
		b.Navigate(account)
		b.Run(chromedp.WaitVisible(chromedp.CSS(`form[action$="/pack"] button[type="submit"]`)))
		checkPage(t, b, cr, "account", `form[action$="/pack"] button[type="submit"]`)

		type download struct {
			Status int    `json:"status"`
			Type   string `json:"type"`
			PackID string `json:"pack"`
			Size   int    `json:"size"`
			Magic  string `json:"magic"`
		}
		// The export form as the button sends it; fetch keeps the ZIP in
		// the page instead of the downloads folder.
		got := evalJSON[download](b, `(async () => {
			const form = document.querySelector('form[action$="/pack"]');
			const resp = await fetch(form.action, {method: "POST", credentials: "same-origin",
				body: new URLSearchParams(new FormData(form))});
			const bytes = new Uint8Array(await resp.arrayBuffer());
			return {status: resp.status, type: resp.headers.get("Content-Type") || "", pack: resp.headers.get("X-Vigil-Pack-Id") || "",
				size: bytes.length, magic: String.fromCharCode(...bytes.slice(0, 4))};
		})()`)
		if got.Status != 200 || got.Type != "application/zip" || got.Magic != "PK\x03\x04" || got.PackID == "" {
			t.Fatalf("the advocate's export: %+v, want 200, application/zip, a ZIP and a pack id", got)
		}
		var rec struct {
			ID        string `json:"id"`
			Subject   string `json:"subject"`
			CreatedBy string `json:"created_by"`
			Posts     int    `json:"posts"`
		}
		if code := apiCall(t, "GET", base+"/api/v1/packs/"+got.PackID, cr.secrets["viewer"], "", &rec); code != 200 {
			t.Fatalf("GET /api/v1/packs/%s: %d", got.PackID, code)
		}
		if rec.CreatedBy != cr.names["advocate"] || rec.Posts < 1 || !strings.Contains(rec.Subject, confirmed.AuthorID) {
			t.Errorf("pack record %+v, want one of account %s by %s with the confirmed post", rec, confirmed.AuthorID, cr.names["advocate"])
		}
		t.Logf("the advocate's export: pack %s, %d bytes, %d posts", got.PackID, got.Size, rec.Posts)

		checkCasePages(t, b, cr, caseURL)
	})

	t.Run("viewer", func(t *testing.T) {
		b := consoleTab(t)
		signIn(t, b, base, cr.secrets["viewer"])
		if got := browsertest.Get(b, chromedp.Location()); got != base+"/cases" {
			t.Errorf("the viewer landed on %s, want the cases", got)
		}
		for _, page := range []struct{ name, url string }{{"cases", base + "/cases"}, {"case", caseURL}, {"account", account}} {
			b.Navigate(page.url)
			checkPage(t, b, cr, page.name)
			// A viewer reads: the only form is the sign-out, and there is
			// no link to the queue.
			if n := browsertest.Get(b, chromedp.Evaluate[int](`document.querySelectorAll('form:not(.signout), a[href="/queue"]').length`)); n != 0 {
				t.Errorf("%s: the viewer's page has %d forms or queue links, want none", page.name, n)
			}
		}
	})
}
