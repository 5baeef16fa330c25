package evidence

import (
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/event"
)

// GoodFaithStatement is the statement Article 16(2)(d) of the Digital
// Services Act asks a notice to contain: "a statement confirming the bona
// fide belief of the individual or entity submitting the notice that the
// information and allegations contained therein are accurate and
// complete".
const GoodFaithStatement = "I confirm my bona fide belief that the information and allegations contained in this notice are accurate and complete."

// noticeBlocks returns notice.txt in pieces: a header, then one
// self-contained notice per post with what Article 16(2) asks for (an
// explanation, the exact URL, the notifier, the good-faith statement),
// because platform forms take one URL per notice and each block must make
// sense pasted alone.
func noticeBlocks(set *event.EvidenceSet, prof *PlatformProfile, packID string, n Notifier, labels map[string]string) []string {
	blocks := make([]string, 0, len(set.Posts)+1)
	bw := &strings.Builder{}
	fmt.Fprintf(bw, "NOTICE UNDER ARTICLE 16 OF THE DIGITAL SERVICES ACT (REGULATION (EU) 2022/2065)\n")
	fmt.Fprintf(bw, "Platform: %s\n", prof.Platform)
	fmt.Fprintf(bw, "Subject: %s\n", oneLine(set.Subject))
	if set.Case != nil {
		fmt.Fprintf(bw, "Case: %d, %s\n", set.Case.ID, oneLine(set.Case.Title))
	}
	fmt.Fprintf(bw, "Evidence pack: %s (the posts as captured, signed; see report.html)\n", packID)
	fmt.Fprintf(bw, "Posts: %d (one notice each below; paste each into the platform's form)\n", len(set.Posts))
	for _, d := range prof.Destinations {
		fmt.Fprintf(bw, "Send to: %s: %s", d.Name, d.URL)
		if d.Email != "" {
			fmt.Fprintf(bw, " (%s)", d.Email)
		}
		fmt.Fprintln(bw)
	}
	blocks = append(blocks, bw.String())
	for i := range set.Posts {
		bw = &strings.Builder{}
		ep := &set.Posts[i]
		p := &ep.Post
		fmt.Fprintf(bw, "\n======== Notice %d of %d ========\n\n", i+1, len(set.Posts))
		fmt.Fprintf(bw, "Exact electronic location (URL): %s\n", orNone(p.URL))
		fmt.Fprintf(bw, "Platform and post id: %s %s\n", p.Platform, p.ID)
		fmt.Fprintf(bw, "Account: %s (id %s)\n", handleOf(p), p.Author.ID)
		fmt.Fprintf(bw, "Posted: %s; captured: %s\n", orNone(formatTime(p.CreatedAt)), orNone(formatTime(p.CapturedAt)))
		fmt.Fprintf(bw, "SHA-256 of the post as captured: %s\n\n", ep.RawSHA256)
		fmt.Fprintf(bw, "Explanation of why this content should be removed:\n")
		for _, c := range ep.Flag.Categories {
			pol := prof.Policy(c)
			fmt.Fprintf(bw, "- %s (%s). It breaks %s's policy %q (%s): %s\n", label(labels, c), c, prof.Platform, pol.Name, pol.URL, pol.Summary)
		}
		for _, l := range ep.Flag.Lists {
			pol := prof.ListPolicy(l.List)
			fmt.Fprintf(bw, "- The author's account is on the list %q. It breaks %s's policy %q (%s): %s\n", l.List, prof.Platform, pol.Name, pol.URL, pol.Summary)
		}
		if terms := matchSummary(ep.Flag.Matches, labels); terms != "" {
			fmt.Fprintf(bw, "- Words and signals that show it: %s\n", terms)
		}
		fmt.Fprintf(bw, "\nText as posted:\n%s\n", indent(p.Text))
		if t := translation(ep); t != "" {
			fmt.Fprintf(bw, "\nTranslation (by a reviewer):\n%s\n", indent(t))
		}
		if d := ep.Flag.Decision; d != nil {
			fmt.Fprintf(bw, "\nReviewed by a human monitor: %s on %s.\n", decisionWord(d.Decision), formatTime(d.DecidedAt))
		}
		fmt.Fprintf(bw, "\nNotifier: %s\n", notifierLine(n))
		fmt.Fprintf(bw, "\nStatement: %s\n", GoodFaithStatement)
		blocks = append(blocks, bw.String())
	}
	return blocks
}

// matchSummary lists the matched terms and rules once each, with their
// categories: "t01 (Dehumanising language), rule r1 (Call to violence)".
func matchSummary(ms []event.Match, labels map[string]string) string {
	var parts []string
	seen := map[string]bool{}
	for _, m := range ms {
		s := "term " + m.TermID + " (" + label(labels, m.Category) + ")"
		if m.Field != "" && m.Field != "text" {
			s += " in " + m.Field
		}
		if !seen[s] {
			seen[s] = true
			parts = append(parts, s)
		}
		if m.Rule != "" && !seen["rule "+m.Rule] {
			seen["rule "+m.Rule] = true
			parts = append(parts, "rule "+m.Rule)
		}
	}
	return strings.Join(parts, ", ")
}

func notifierLine(n Notifier) string {
	name := n.Name
	if name == "" {
		name = "[notifier's name]"
	}
	email := n.Email
	if email == "" {
		email = "[email address]"
	}
	s := name + " <" + email + ">"
	if n.Organisation != "" {
		s += ", " + n.Organisation
	}
	return oneLine(s)
}

// label is a category's label from the lexicon, or its id.
func label(labels map[string]string, id string) string {
	if l := labels[id]; l != "" {
		return l
	}
	return id
}

func handleOf(p *event.Post) string {
	if p.Author.Handle != "" {
		return "@" + p.Author.Handle
	}
	return p.Author.ID
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// oneLine keeps a header value on its line: a title with a line break
// must not forge another header.
func oneLine(s string) string { return lineBreaks.Replace(s) }

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func indent(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func decisionWord(d string) string {
	switch d {
	case event.DecisionConfirm:
		return "confirmed"
	case event.DecisionDismiss:
		return "dismissed"
	case event.DecisionEscalate:
		return "escalated"
	}
	return d
}
