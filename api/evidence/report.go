package evidence

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// ReportOptions say how report.html is rendered.
type ReportOptions struct {
	// Profile is the id of the platform profile; "" picks the profile
	// that covers the platform of every post.
	Profile   string
	PackID    string
	CreatedAt time.Time
	Notifier  Notifier
	// KeyID is the id of the key that signs the pack, shown so that a
	// reader can check it against the team's published keys.
	KeyID string
	// Labels maps category ids to their lexicon labels.
	Labels map[string]string
}

//go:embed report.html.tmpl
var reportSource string

var reportTemplate = template.Must(template.New("report").Parse(reportSource))

// RenderReport writes the pack's report: one self-contained HTML page
// (inline CSS, no request to anything outside it, a Content Security
// Policy that forbids them) laid out for A4 print. Burmese needs a real
// text shaper, so the page is meant to be read in a browser or printed to
// PDF by one; every string in it is escaped by html/template.
func RenderReport(w io.Writer, set *event.EvidenceSet, o ReportOptions) error {
	if set == nil {
		return event.Errorf(event.EINVALID, "report: no evidence set")
	}
	prof, err := profileFor(o.Profile, set)
	if err != nil {
		return err
	}
	return renderReport(w, set, prof, o, noticeBlocks(set, prof, o.PackID, o.Notifier, o.Labels))
}

// renderReport renders the report with notice, the text of notice.txt in
// blocks (escaped block by block: one escape of a whole notice of
// thousands of posts costs more than the rest of the page).
func renderReport(w io.Writer, set *event.EvidenceSet, prof *PlatformProfile, o ReportOptions, notice []string) error {
	d := reportData{
		Subject: set.Subject, PackID: o.PackID, KeyID: o.KeyID, Profile: prof,
		Truncated: set.Truncated, Notice: notice, Posts: len(set.Posts),
	}
	if !o.CreatedAt.IsZero() {
		d.CreatedAt = formatTime(o.CreatedAt)
	}
	if set.Case != nil {
		d.Case = &ManifestCase{ID: set.Case.ID, Title: set.Case.Title}
	}
	d.Accounts = reportAccounts(set, prof, o.Labels)
	return reportTemplate.Execute(w, &d)
}

type reportData struct {
	Subject   string
	PackID    string
	KeyID     string
	CreatedAt string
	Case      *ManifestCase
	Profile   *PlatformProfile
	Truncated bool
	Posts     int
	Accounts  []*reportAccount
	Notice    []string
}

type reportAccount struct {
	Platform, ID, Handle, Name string
	Handles                    []event.HandleSeen
	FirstSeen, LastSeen        string
	Categories                 []categoryCount
	Lists                      []string
	Posts                      []*reportPost
	Chart                      *chart
	// Policies are the platform policies the account's posts break,
	// each explained once under its posts.
	Policies []Policy
	cited    map[Policy]bool
}

type categoryCount struct {
	// Text is the label and the id, or the id alone when the lexicon
	// gave no label.
	ID, Label, Text string
	N               int
}

// reportPost is one post as the report shows it. Most cells are
// composed here as plain strings, escaped once each by the template: a
// pack of 10,000 posts spends most of its time in template actions.
type reportPost struct {
	N                 int
	Heading, URL      string
	Posted, Captured  string
	Lang              string
	Segments          []segment
	Translation       string
	Why               string
	Matches           []string
	Lists             []string
	Policies          string
	Trail             []string
	Status, RawSHA256 string
	Lexicon           string
}

// segment is a run of a post's text, marked when a match covers it.
type segment struct {
	Text  string
	Mark  bool
	Title string
}

// reportAccounts groups the posts by author under the set's accounts (in
// the set's order); posts by an account the set does not describe come
// last, under an account built from the post.
func reportAccounts(set *event.EvidenceSet, prof *PlatformProfile, labels map[string]string) []*reportAccount {
	byKey := map[string]*reportAccount{}
	var out []*reportAccount
	for _, a := range set.Accounts {
		ra := &reportAccount{Platform: a.Platform, ID: a.ID, Handle: a.Handle, Name: a.Name,
			Handles: a.HandleHistory, FirstSeen: formatTime(a.FirstSeen), LastSeen: formatTime(a.LastSeen), Lists: a.Lists}
		for id, n := range a.Categories {
			ra.Categories = append(ra.Categories, categoryCount{ID: id, Label: label(labels, id), Text: labelAndID(labels, id), N: n})
		}
		sort.Slice(ra.Categories, func(i, j int) bool { return ra.Categories[i].ID < ra.Categories[j].ID })
		byKey[a.Platform+":"+a.ID] = ra
		out = append(out, ra)
	}
	var extra []*reportAccount
	for i := range set.Posts {
		ep := &set.Posts[i]
		p := &ep.Post
		key := p.Platform + ":" + p.Author.ID
		ra := byKey[key]
		if ra == nil {
			ra = &reportAccount{Platform: p.Platform, ID: p.Author.ID, Handle: p.Author.Handle, Name: p.Author.Name}
			byKey[key] = ra
			extra = append(extra, ra)
		}
		if ra.cited == nil {
			ra.cited = map[Policy]bool{}
		}
		ra.Posts = append(ra.Posts, reportPostOf(i, ep, prof, labels, ra.cited))
	}
	out = append(out, extra...)
	for _, ra := range out {
		ra.Chart = chartOf(set, ra, labels)
		for pol := range ra.cited {
			ra.Policies = append(ra.Policies, pol)
		}
		sort.Slice(ra.Policies, func(i, j int) bool {
			a, b := ra.Policies[i], ra.Policies[j]
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			if a.URL != b.URL {
				return a.URL < b.URL
			}
			return a.Summary < b.Summary
		})
	}
	return out
}

func reportPostOf(i int, ep *event.EvidencePost, prof *PlatformProfile, labels map[string]string, cited map[Policy]bool) *reportPost {
	p := &ep.Post
	rp := &reportPost{
		N: i + 1, Heading: fmt.Sprintf("Post %d: %s %s by %s", i+1, p.Platform, p.ID, handleOf(p)), URL: p.URL,
		Posted: orUnknown(formatTime(p.CreatedAt)), Captured: orUnknown(formatTime(p.CapturedAt)),
		Lang: p.Lang, Segments: highlight(p.Text, ep.Flag.Matches), Translation: translation(ep),
		Status: ep.Flag.Status, RawSHA256: ep.RawSHA256, Lexicon: ep.Flag.Lexicon,
	}
	var why []string
	for _, c := range ep.Flag.Categories {
		why = append(why, labelAndID(labels, c))
	}
	rp.Why = strings.Join(why, "; ") + "; score " + strconv.FormatFloat(ep.Flag.Score, 'f', -1, 64)
	for _, m := range ep.Flag.Matches {
		s := "term " + m.TermID + ": " + label(labels, m.Category)
		if m.Field != "" && m.Field != "text" {
			s += " in " + m.Field
		}
		if m.Rule != "" {
			s += ", rule " + m.Rule
		}
		if len(m.Transforms) > 0 {
			s += ", seen after " + strings.Join(m.Transforms, ", ")
		}
		rp.Matches = append(rp.Matches, s)
	}
	for _, l := range ep.Flag.Lists {
		s := l.List
		if l.Note != "" {
			s += ": " + l.Note
		}
		rp.Lists = append(rp.Lists, s)
	}
	var names []string
	for _, pol := range flagPolicies(prof, &ep.Flag) {
		cited[pol] = true
		if !contains(names, pol.Name) {
			names = append(names, pol.Name)
		}
	}
	rp.Policies = strings.Join(names, "; ")
	for _, s := range ep.Trail {
		step := formatTime(s.DecidedAt) + ": " + decisionWord(s.Decision) + " by " + s.Reviewer + " (from " + s.Level + ")"
		if s.Translation != "" {
			step += ", with a translation"
		}
		rp.Trail = append(rp.Trail, step)
	}
	return rp
}

// labelAndID is "Label (id)", or "id" when the lexicon gave no label.
func labelAndID(labels map[string]string, id string) string {
	if l := label(labels, id); l != id {
		return l + " (" + id + ")"
	}
	return id
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// Segment is a run of a post's text: Mark is set when a match covers it,
// and Title then names the terms and categories that fired there.
type Segment struct {
	Text  string
	Mark  bool
	Title string
}

// Highlight cuts text into runs, marking the spans of the matches that
// point into it, as the report does; the review console uses it so that
// both show the same spans. Offsets that do not fit the text are skipped.
func Highlight(text string, ms []event.Match) []Segment {
	segs := highlight(text, ms)
	out := make([]Segment, len(segs))
	for i, s := range segs {
		out[i] = Segment(s)
	}
	return out
}

// highlight cuts text into runs, marking the spans of the matches that
// point into it (field "" or "text"). A match whose offsets fall outside
// the text or inside a UTF-8 sequence is skipped rather than trusted;
// overlapping spans are merged so that no byte is marked twice.
func highlight(text string, ms []event.Match) []segment {
	type span struct {
		start, end int
		titles     []string
	}
	var spans []span
	for _, m := range ms {
		if m.Field != "" && m.Field != "text" {
			continue
		}
		if m.Start < 0 || m.End <= m.Start || m.End > len(text) {
			continue
		}
		if !utf8.RuneStart(text[m.Start]) || m.End < len(text) && !utf8.RuneStart(text[m.End]) {
			continue
		}
		spans = append(spans, span{m.Start, m.End, []string{m.TermID + " " + m.Category}})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end < spans[j].end
	})
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start < merged[n-1].end {
			last := &merged[n-1]
			last.end = max(last.end, s.end)
			for _, t := range s.titles {
				if !contains(last.titles, t) {
					last.titles = append(last.titles, t)
				}
			}
			continue
		}
		merged = append(merged, s)
	}
	var out []segment
	pos := 0
	for _, s := range merged {
		if s.start > pos {
			out = append(out, segment{Text: text[pos:s.start]})
		}
		out = append(out, segment{Text: text[s.start:s.end], Mark: true, Title: strings.Join(s.titles, "; ")})
		pos = s.end
	}
	if pos < len(text) {
		out = append(out, segment{Text: text[pos:]})
	}
	return out
}

// chart is an account's flagged posts over time by category: one row of
// bars per category on a shared scale, labelled in text so that it reads
// without colour.
type chart struct {
	Width, Height int
	Rows          []chartRow
	From, To      string
	Max           int
	AxisY         int
}

type chartRow struct {
	Label string
	Y     int
	TextY int
	Bars  []chartBar
}

type chartBar struct {
	X, Y, W, H int
	Title      string
}

const (
	chartLabelWidth = 170
	chartPlotWidth  = 480
	chartRowHeight  = 22
)

func chartOf(set *event.EvidenceSet, ra *reportAccount, labels map[string]string) *chart {
	type key struct {
		cat    string
		bucket int
	}
	counts := map[key]int{}
	cats := map[string]bool{}
	var first, last time.Time
	var times []time.Time
	var postCats [][]string
	for i := range set.Posts {
		ep := &set.Posts[i]
		if ep.Post.Platform != ra.Platform || ep.Post.Author.ID != ra.ID {
			continue
		}
		t := ep.Post.CreatedAt
		if t.IsZero() {
			t = ep.Post.CapturedAt
		}
		if t.IsZero() {
			continue
		}
		t = t.UTC()
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		times = append(times, t)
		postCats = append(postCats, ep.Flag.Categories)
	}
	if len(times) == 0 {
		return nil
	}
	// Months, or years when the posts span more than five years.
	bucketOf := func(t time.Time) int { return (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month()) }
	name := func(b int) string {
		return time.Date(first.Year(), first.Month()+time.Month(b), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
	n := bucketOf(last) + 1
	if n > 60 {
		bucketOf = func(t time.Time) int { return t.Year() - first.Year() }
		name = func(b int) string { return fmt.Sprint(first.Year() + b) }
		n = bucketOf(last) + 1
	}
	for i, t := range times {
		for _, c := range postCats[i] {
			counts[key{c, bucketOf(t)}]++
			cats[c] = true
		}
	}
	if len(cats) == 0 {
		return nil
	}
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	peak := 1
	for _, v := range counts {
		peak = max(peak, v)
	}
	barW := max(1, min(24, chartPlotWidth/n))
	// At least 160 pixels of plot, so that the first and last period's
	// names do not overlap.
	ch := &chart{Width: chartLabelWidth + max(n*barW, 160) + 10, Max: peak, From: name(0), To: name(n - 1)}
	for r, c := range names {
		row := chartRow{Label: label(labels, c), Y: r * chartRowHeight, TextY: r*chartRowHeight + 15}
		for b := 0; b < n; b++ {
			v := counts[key{c, b}]
			if v == 0 {
				continue
			}
			h := max(2, v*(chartRowHeight-4)/peak)
			row.Bars = append(row.Bars, chartBar{X: chartLabelWidth + b*barW, Y: row.Y + chartRowHeight - 2 - h, W: max(1, barW-1), H: h,
				Title: fmt.Sprintf("%s, %s: %d", label(labels, c), name(b), v)})
		}
		ch.Rows = append(ch.Rows, row)
	}
	ch.AxisY = len(names)*chartRowHeight + 14
	ch.Height = ch.AxisY + 6
	return ch
}
