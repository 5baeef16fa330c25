package browsertest

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// An automated check of the accessibility basics (issue 7), run in the
// page as it is drawn: a11y.js, a checker of our own (no npm, no
// axe-core), judges names, images, structure, contrast and ids from the
// DOM and computed styles, and the Go side walks the focus order with real
// Tab key presses sent through the DevTools protocol. It catches the
// common, mechanical faults; it is no audit, and a page that passes can
// still be hard to use.

//go:embed a11y.js
var a11yScript string

// The rules a Violation can break.
const (
	// RuleLabel: a form control (input other than hidden, submit, reset,
	// button or image; select; textarea) without a <label for>, a
	// wrapping <label>, aria-label or aria-labelledby.
	RuleLabel = "label"
	// RuleName: a button, link or role="button" without an accessible
	// name (text, aria-label, aria-labelledby, title, or the alt of an
	// image inside).
	RuleName = "name"
	// RuleImgAlt: an img without an alt attribute.
	RuleImgAlt = "img-alt"
	// RuleSVGName: an svg with role="img" without a <title> or aria-label.
	RuleSVGName = "svg-name"
	// RuleLang: <html> without lang.
	RuleLang = "lang"
	// RuleH1: not exactly one <h1>.
	RuleH1 = "h1"
	// RuleHeadingOrder: a heading more than one level below the one
	// before it.
	RuleHeadingOrder = "heading-order"
	// RuleContrast: text whose colour against its background is under
	// 4.5:1 (3:1 for text of 24px, or 18.66px bold, and over).
	RuleContrast = "contrast"
	// RuleDuplicateID: an id on more than one element.
	RuleDuplicateID = "duplicate-id"
	// RuleDuplicateLabel: form controls sharing one label (within one
	// fieldset legend).
	RuleDuplicateLabel = "duplicate-label"
	// RuleTabindex: a positive tabindex.
	RuleTabindex = "tabindex"
	// RuleFocusMissed: a focusable, visible element that Tab never
	// reaches.
	RuleFocusMissed = "focus-missed"
	// RuleFocusRepeated: an element reached twice before the focus order
	// comes round again (a trap, or a loop in the order).
	RuleFocusRepeated = "focus-repeated"
	// RuleFocusVisible: an element that shows no focus indicator when
	// focused: no outline (style other than none, width over 0) and no
	// box-shadow, or the same as when it is not focused.
	RuleFocusVisible = "focus-visible"
)

// MaxTabs is how many Tab presses the focus walk sends at most.
const MaxTabs = 200

// maxInnerStops is how many Tab stops in a row one element may take: a
// date or time input's fields are stops inside the one element (seven for
// datetime-local in Chromium 156: month, day, year, hour, minute, AM/PM
// and the picker button). More than that is Tab held by the element.
const maxInnerStops = 8

// Violation is one failed check: the rule, the element (tag, id or
// classes, a bit of its text and a CSS path to it) and what is wrong.
type Violation struct {
	Rule    string `json:"rule"`
	Element string `json:"element"`
	Message string `json:"message"`
}

func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s: %s", v.Rule, v.Element, v.Message)
}

// focusStyle is an element's outline and box-shadow, as computed.
type focusStyle struct {
	OutlineStyle string  `json:"outlineStyle"`
	OutlineWidth float64 `json:"outlineWidth"`
	OutlineColor string  `json:"outlineColor"`
	BoxShadow    string  `json:"boxShadow"`
}

// shows reports whether the style draws something around the element.
func (s focusStyle) shows() bool {
	return (s.OutlineStyle != "none" && s.OutlineWidth > 0) || (s.BoxShadow != "" && s.BoxShadow != "none")
}

func (s focusStyle) String() string {
	return fmt.Sprintf("outline %s %gpx %s, box-shadow %s", s.OutlineStyle, s.OutlineWidth, s.OutlineColor, s.BoxShadow)
}

type tabbable struct {
	Element string `json:"element"`
	// Group is a radio button's group: Tab stops on one button of it.
	Group string `json:"group"`
}

type focusStep struct {
	Outside bool        `json:"outside"`
	Index   int         `json:"index"`
	Seen    int         `json:"seen"`
	Element string      `json:"element"`
	Focused *focusStyle `json:"focused"`
}

// a11yCall evaluates method of the checker in b's tab, the checker being
// defined first if the document does not have it yet.
func a11yCall[T any](b *Browser, method string) T {
	b.tb.Helper()
	return Get(b, chromedp.Evaluate[T](a11yScript+"."+method+"()"))
}

// CheckAccessibility runs the checks on the page now in b's tab and returns
// what fails, in order: the page's rules (names, images, structure,
// contrast, ids, tabindex), then the focus walk. The walk presses Tab from
// the top of the page until focus comes round to its first element again
// or leaves the page, at most MaxTabs times, so it moves the focus: run it
// when the page is in the state to check, and expect nothing focused
// afterwards.
//
// Known limits: text over a background image or gradient is not judged
// for contrast; opacity below 1 on an ancestor is not composited; a
// focus indicator drawn by a border or background change alone does not
// count, and one reached through a CSS transition may be read mid-way.
func CheckAccessibility(b *Browser) []Violation {
	b.tb.Helper()
	vs := a11yCall[[]Violation](b, "check")
	return append(vs, focusWalk(b)...)
}

// focusWalk presses Tab through the page and checks the focus order and
// the focus indicators.
//
// The walk starts at the top of the document, but Tab from there goes to
// the first element in document order, after any element with a positive
// tabindex. So it goes in two passes: to the end of the page, where focus
// leaves the page for the browser's own controls, and then once round the
// whole order, from where the browser brings focus back in, until it
// leaves again. Focus coming back to the first element of a pass without
// leaving the page has gone round the order too: Chromium at times skips
// the stop outside the page (seen on the console's pages, in a tab whose
// earlier pages were walked). Any other element reached twice within a
// pass is a loop or a trap, except a date or time input, whose fields are
// Tab stops of their own, one after the other.
func focusWalk(b *Browser) []Violation {
	b.tb.Helper()
	want := a11yCall[[]tabbable](b, "focusStart")
	var steps []focusStep // each element as first reached, in order
	reached := map[int]bool{}
	var vs []Violation
	pass, done, away := 0, false, 0
	inPass := map[int]bool{}
	var order []focusStep // this pass's stops
	inner := 0            // stops in a row on the last element
	for range MaxTabs {
		b.Run(chromedp.KeyEvent(kb.Tab))
		st := a11yCall[focusStep](b, "focusStep")
		if st.Outside {
			if len(order) == 0 && pass == 1 {
				// Not back in the page yet; a page with nothing to
				// focus never comes back.
				if away++; away == 3 {
					done = true
					break
				}
				continue
			}
			if pass == 1 {
				done = true
				break
			}
			pass, order, inPass, inner = 1, nil, map[int]bool{}, 0
			continue
		}
		if inPass[st.Seen] && order[len(order)-1].Seen == st.Seen {
			if inner++; inner < maxInnerStops {
				continue
			}
		} else {
			inner = 0
		}
		if inPass[st.Seen] && order[0].Seen == st.Seen && len(order) > 1 {
			// Round to where the pass began: the whole order seen.
			done = true
			break
		}
		if inPass[st.Seen] {
			vs = append(vs, Violation{Rule: RuleFocusRepeated, Element: st.Element,
				Message: fmt.Sprintf("Tab reached this element a second time before focus left the page; the order so far: %s",
					stepNames(append(order, st)))})
			done = true
			break
		}
		inPass[st.Seen] = true
		order = append(order, st)
		if st.Seen == len(steps) {
			steps = append(steps, st)
		}
		if st.Index >= 0 {
			reached[st.Index] = true
		}
	}
	if !done {
		vs = append(vs, Violation{Rule: RuleFocusRepeated, Element: "document",
			Message: fmt.Sprintf("focus did not go round the page and leave it within %d Tab presses", MaxTabs)})
	}
	unfocused := a11yCall[[]focusStyle](b, "focusEnd")

	groups := map[string]bool{}
	for i, t := range want {
		if reached[i] && t.Group != "" {
			groups[t.Group] = true
		}
	}
	for i, t := range want {
		if !reached[i] && (t.Group == "" || !groups[t.Group]) {
			vs = append(vs, Violation{Rule: RuleFocusMissed, Element: t.Element,
				Message: "focusable and visible, but Tab never reached it"})
		}
	}
	for _, st := range steps {
		if st.Focused == nil || st.Seen >= len(unfocused) {
			continue
		}
		f, u := *st.Focused, unfocused[st.Seen]
		switch {
		case !f.shows():
			vs = append(vs, Violation{Rule: RuleFocusVisible, Element: st.Element,
				Message: "no focus indicator: focused, it has " + f.String()})
		case f == u:
			vs = append(vs, Violation{Rule: RuleFocusVisible, Element: st.Element,
				Message: "no focus indicator: it looks the same focused and not (" + f.String() + ")"})
		}
	}
	return vs
}

func stepNames(steps []focusStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Element
	}
	return strings.Join(names, " → ")
}

// RequireAccessible fails tb, listing every violation, unless the page now
// in b's tab passes CheckAccessibility.
func RequireAccessible(tb testing.TB, b *Browser) {
	tb.Helper()
	vs := CheckAccessibility(b)
	if len(vs) == 0 {
		return
	}
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.String()
	}
	tb.Errorf("browsertest: %d accessibility violation(s):\n\t%s", len(vs), strings.Join(lines, "\n\t"))
}
