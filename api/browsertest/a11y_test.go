package browsertest

import (
	"slices"
	"strings"
	"testing"
)

// a11yHead is the head of every checker test page: lang set, and focus
// styles that show (the browser's own ring, and a box-shadow on the
// buttons of class "soft").
const a11yHead = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>a11y test</title>
<link rel="icon" href="data:,">
<style>
body { font: 16px sans-serif; color: #222; background: #fff; }
.soft:focus-visible { outline: none; box-shadow: 0 0 0 3px #1a5fb4; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.banner { background: rgba(0, 0, 0, 0.8); color: #fff; padding: 4px; }
.banner a { color: #fff; }
.big { font-size: 24px; color: #888; }
.boldish { font-size: 19px; font-weight: 700; color: #888; }
</style></head>`

// a11yGood is a page that passes every check, using each accepted way of
// passing: every way of labelling a control and of naming a button, alt
// text, a named svg, headings going down one level at a time and up
// several, contrast over a translucent background, large text at 3:1, a
// radio group (one Tab stop), a date and time input (a Tab stop for each
// of its fields), a screen-reader-only text, and custom focus styles.
const a11yGood = `<body>
<header class="banner"><a href="#main">Skip to the queue</a></header>
<main id="main">
<h1>Review queue</h1>
<p>Pending flags wait here. <span class="sr-only">Counts update live.</span></p>
<p class="big">Large grey text at 3.5:1</p>
<p class="boldish">Bold grey text at 3.5:1</p>
<h2>Claim</h2>
<form>
  <label for="limit">How many</label> <input id="limit" type="number" value="25">
  <label for="since">Flagged from</label> <input id="since" type="datetime-local">
  <label>Category <select><option>hate</option><option>incitement</option></select></label>
  <input type="search" aria-label="Search the queue">
  <span id="note-label">Note</span> <textarea aria-labelledby="note-label"></textarea>
  <input type="hidden" name="csrf" value="x">
  <fieldset><legend>Sort</legend>
    <label><input type="radio" name="sort" value="age" checked> Oldest first</label>
    <label><input type="radio" name="sort" value="score"> Highest score</label>
  </fieldset>
  <fieldset><legend>Escalated queue</legend>
    <label><input type="checkbox" name="only"> Only</label>
  </fieldset>
  <fieldset><legend>Pending queue</legend>
    <label><input type="checkbox" name="only2"> Only</label>
  </fieldset>
  <button type="submit">Claim</button>
  <input type="submit">
  <button type="button" class="soft" aria-label="Refresh counts">↻</button>
  <button type="button" title="Help">?</button>
  <button type="button"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Settings" width="16" height="16"></button>
  <span role="button" tabindex="0">Release all</span>
</form>
<h3>Chart</h3>
<svg role="img" width="40" height="20"><title>Flags over time</title><rect width="40" height="20" fill="#1a5fb4"/></svg>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="" width="8" height="8">
<h2>Help</h2>
<p>Read the <a href="/guide">guide</a>.</p>
</main>
`

func a11yPage(body string) string { return a11yHead + a11yGood + body + "</body></html>" }

// TestAccessibilityPasses: the good page passes, and RequireAccessible
// agrees.
func TestAccessibilityPasses(t *testing.T) {
	srv := serve(t, map[string]string{"/": a11yPage("")})
	b := New(t)
	b.Navigate(srv.URL + "/")
	if vs := CheckAccessibility(b); len(vs) != 0 {
		t.Fatalf("the good page fails:\n%s", violationList(vs))
	}
	// Twice: the walk leaves the page as it found it, up to focus.
	RequireAccessible(t, b)
}

// TestAccessibilityNothingToFocus: a page with nothing to focus passes
// the focus walk (focus leaves the page and never comes back).
func TestAccessibilityNothingToFocus(t *testing.T) {
	srv := serve(t, map[string]string{"/": a11yHead + `<body><h1>Report</h1><p>Nothing to press.</p></body></html>`})
	b := New(t)
	b.Navigate(srv.URL + "/")
	RequireAccessible(t, b)
}

// TestAccessibilityRules: each page breaks one rule of the good page,
// and the checker reports that rule alone, naming the element.
func TestAccessibilityRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		// body is added to the good page, or page replaces it.
		body, page string
		rule       string
		count      int
		// in must appear in the violation's element or message.
		in []string
	}{
		{name: "unlabelled input", body: `<input id="bad" type="text" placeholder="a placeholder is no label">`,
			rule: RuleLabel, in: []string{"input#bad"}},
		{name: "unlabelled select", body: `<select id="bad"><option>a</option></select>`,
			rule: RuleLabel, in: []string{"select#bad"}},
		{name: "label for a missing id", body: `<label for="nowhere">Lost</label><textarea id="bad"></textarea>`,
			rule: RuleLabel, in: []string{"textarea#bad"}},
		{name: "empty button", body: `<button id="bad" type="button"></button>`,
			rule: RuleName, in: []string{"button#bad", "button has no accessible name"}},
		{name: "icon link", body: `<a id="bad" href="/x"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="" width="8" height="8"></a>`,
			rule: RuleName, in: []string{"a#bad", "link has no accessible name"}},
		{name: "role button without name", body: `<div id="bad" role="button" tabindex="0" style="width:20px;height:20px"></div>`,
			rule: RuleName, in: []string{"div#bad"}},
		{name: "input button without value", body: `<input id="bad" type="button">`,
			rule: RuleName, in: []string{"input#bad"}},
		{name: "image without alt", body: `<img id="bad" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="8" height="8">`,
			rule: RuleImgAlt, in: []string{"img#bad"}},
		{name: "svg image without title", body: `<svg id="bad" role="img" width="10" height="10"><rect width="10" height="10"/></svg>`,
			rule: RuleSVGName, in: []string{"svg#bad"}},
		{name: "no lang", page: strings.Replace(a11yPage(""), `<html lang="en">`, `<html>`, 1),
			rule: RuleLang},
		{name: "two h1", body: `<h1 id="bad">Another title</h1>`,
			rule: RuleH1, in: []string{"2 <h1>", "h1#bad"}},
		{name: "no h1", page: strings.Replace(a11yPage(""), `<h1>Review queue</h1>`, ``, 1),
			rule: RuleH1, in: []string{"0 <h1>"}},
		{name: "skipped heading level", body: `<h2>Settings</h2><h4 id="bad">Details</h4>`,
			rule: RuleHeadingOrder, in: []string{"h4#bad", "level 4 follows level 2"}},
		{name: "grey text", body: `<p id="bad" style="color:#999">Faint</p>`,
			rule: RuleContrast, in: []string{"p#bad", "#999999 on #ffffff", "2.85:1"}},
		{name: "grey large text under 3:1", body: `<p id="bad" style="font-size:30px;color:#aaa">Faint and big</p>`,
			rule: RuleContrast, in: []string{"p#bad", "2.32:1", "want at least 3:1"}},
		{name: "bold text just under large", body: `<p id="bad" style="font-size:18px;font-weight:700;color:#888">Bold</p>`,
			rule: RuleContrast, in: []string{"p#bad", "3.54:1", "want at least 4.5:1"}},
		{name: "white on a faint translucent background", body: `<p id="bad" style="background:rgba(0,0,0,0.2);color:#fff">Pale</p>`,
			rule: RuleContrast, in: []string{"p#bad", "on #cccccc"}},
		{name: "translucent text", body: `<p id="bad" style="color:rgba(34,34,34,0.3)">Ghost</p>`,
			rule: RuleContrast, in: []string{"p#bad"}},
		{name: "duplicate id", body: `<span id="twice">a</span><span id="twice">b</span>`,
			rule: RuleDuplicateID, in: []string{`id "twice"`}},
		{name: "duplicate label", body: `<label>Name <input id="bad1"></label><label>Name <input id="bad2"></label>`,
			rule: RuleDuplicateLabel, in: []string{"bad1", "bad2", `"Name"`}},
		{name: "positive tabindex", body: `<span id="bad" tabindex="2">Jump</span>`,
			rule: RuleTabindex, in: []string{"span#bad", `tabindex="2"`}},
		{name: "focus skips an element", body: `<button id="from" type="button">From</button><button id="bad" type="button">Skipped</button><button id="to" type="button">To</button>
<script>document.getElementById("from").addEventListener("keydown", e => {
	if (e.key === "Tab" && !e.shiftKey) { e.preventDefault(); document.getElementById("to").focus(); }
});</script>`,
			rule: RuleFocusMissed, in: []string{"button#bad"}},
		{name: "keyboard trap", body: `<button id="bad" type="button">Trap</button>
<script>document.getElementById("bad").addEventListener("keydown", e => { if (e.key === "Tab") e.preventDefault(); });</script>`,
			rule: RuleFocusRepeated, in: []string{"button#bad"}},
		{name: "focus loop", body: `<button id="bad" type="button">Here</button><button id="back" type="button">Back</button>
<script>document.getElementById("back").addEventListener("keydown", e => {
	if (e.key === "Tab" && !e.shiftKey) { e.preventDefault(); document.getElementById("bad").focus(); }
});</script>`,
			rule: RuleFocusRepeated, in: []string{"button#bad", `button#back "Back" at #back → button#bad`}},
		{name: "outline removed", body: `<button id="bad" type="button" style="outline:none">Plain</button>`,
			rule: RuleFocusVisible, in: []string{"button#bad", "outline none"}},
		{name: "outline unchanged by focus", body: `<style>#bad, #bad:focus-visible { outline: 2px solid #222; }</style><button id="bad" type="button">Always</button>`,
			rule: RuleFocusVisible, in: []string{"button#bad", "same focused and not"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			html := tc.page
			if html == "" {
				html = a11yPage(tc.body)
			}
			srv := serve(t, map[string]string{"/": html})
			b := New(t)
			b.Navigate(srv.URL + "/")
			vs := CheckAccessibility(b)
			count := max(tc.count, 1)
			if len(vs) != count || vs[0].Rule != tc.rule {
				t.Fatalf("want %d %s violation(s), got:\n%s", count, tc.rule, violationList(vs))
			}
			text := vs[0].Element + " " + vs[0].Message
			for _, s := range tc.in {
				if !strings.Contains(text, s) {
					t.Errorf("violation %s does not say %q", vs[0], s)
				}
			}
		})
	}
}

// TestRequireAccessibleFails: RequireAccessible fails the test and lists
// each violation.
func TestRequireAccessibleFails(t *testing.T) {
	useArtifacts(t)
	srv := serve(t, map[string]string{"/": a11yPage(`<img id="a" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="8" height="8"><p id="b" style="color:#aaa">Faint</p>`)})
	r := runRecorded(t, func(tb testing.TB) {
		b := New(tb)
		b.Navigate(srv.URL + "/")
		RequireAccessible(tb, b)
	})
	errs := r.Errors()
	if len(errs) != 1 || !strings.Contains(errs[0], "2 accessibility violation(s)") ||
		!strings.Contains(errs[0], "[img-alt] img#a") || !strings.Contains(errs[0], "[contrast] p#b") {
		t.Errorf("RequireAccessible on a page with two faults: errors %q", errs)
	}
}

func violationList(vs []Violation) string {
	if len(vs) == 0 {
		return "\t(none)"
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = "\t" + v.String()
	}
	return strings.Join(slices.Clip(lines), "\n")
}
