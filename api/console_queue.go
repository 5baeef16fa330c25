package api

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
)

// The console's queue: the flags the monitor holds, with the claim form,
// a decision form per flag, a bulk form and the live counts. The page
// reads only the caller's claims (at most event.MaxClaimLimit flags, each
// with its post) and the counts, never the backlog itself, so its cost
// does not grow with the queue.

const (
	// claimedPages bounds how many pages of running claims (of every
	// monitor) the queue page reads looking for the caller's.
	claimedPages = 4
	// countsEvery is how often a live-counts stream reads the counts.
	countsEvery = 2 * time.Second
	// streamMaxAge ends a live-counts stream after a while; EventSource
	// reconnects by itself, and the server never holds a stream forever.
	streamMaxAge = 10 * time.Minute
	// datetimeLocal is the value of an <input type="datetime-local">,
	// read as UTC.
	datetimeLocal = "2006-01-02T15:04"
)

// textRun is a run of a post's text as the console shows it: Mark when a
// match covers it (Title names the terms), split into parts so that
// invisible characters can be shown as markers.
type textRun struct {
	Mark  bool
	Title string
	Parts []textPart
}

type textPart struct {
	Text      string
	Invisible bool
}

// invisibleNames are the characters that change nothing a reader sees
// but can split a word past a filter, or reorder what is shown: zero-width
// and bidi controls, named as a reader can look them up.
var invisibleNames = map[rune]string{
	'\u00AD': "SHY", '\u034F': "CGJ", '\u061C': "ALM", '\u180E': "MVS",
	'\u200B': "ZWSP", '\u200C': "ZWNJ", '\u200D': "ZWJ", '\u200E': "LRM", '\u200F': "RLM",
	'\u202A': "LRE", '\u202B': "RLE", '\u202C': "PDF", '\u202D': "LRO", '\u202E': "RLO",
	'\u2060': "WJ", '\u2061': "FA", '\u2062': "IT", '\u2063': "IS", '\u2064': "IP",
	'\u2066': "LRI", '\u2067': "RLI", '\u2068': "FSI", '\u2069': "PDI", '\uFEFF': "ZWNBSP",
}

// textRuns highlights the matches in text (the evidence report's rule:
// evidence.Highlight) and, when showInvisible, replaces each invisible
// character by a visible marker such as ⟨ZWSP⟩.
func textRuns(text string, ms []event.Match, showInvisible bool) []textRun {
	segs := evidence.Highlight(text, ms)
	out := make([]textRun, 0, len(segs))
	for _, seg := range segs {
		out = append(out, textRun{Mark: seg.Mark, Title: seg.Title, Parts: splitInvisible(seg.Text, showInvisible)})
	}
	return out
}

func splitInvisible(text string, show bool) []textPart {
	if !show {
		return []textPart{{Text: text}}
	}
	var parts []textPart
	start := 0
	for i, r := range text {
		name, ok := invisibleNames[r]
		if !ok {
			continue
		}
		if i > start {
			parts = append(parts, textPart{Text: text[start:i]})
		}
		parts = append(parts, textPart{Text: "⟨" + name + "⟩", Invisible: true})
		start = i + utf8.RuneLen(r)
	}
	if start < len(text) {
		parts = append(parts, textPart{Text: text[start:]})
	}
	return parts
}

// countInvisible counts the invisible characters of text.
func countInvisible(text string) int {
	n := 0
	for _, r := range text {
		if _, ok := invisibleNames[r]; ok {
			n++
		}
	}
	return n
}

// textLang is the lang attribute of a post's text: the platform's
// language when it gave one, "my" for text in Myanmar script (so that a
// Myanmar font is picked), else "" (unknown, which is what it is).
func textLang(lang, text string) string {
	if lang != "" {
		return lang
	}
	for _, r := range text {
		if r >= 0x1000 && r <= 0x109F || r >= 0xA9E0 && r <= 0xA9FF || r >= 0xAA60 && r <= 0xAA7F {
			return "my"
		}
	}
	return ""
}

// flagCard is one flag as the queue shows it, with its post's text.
type flagCard struct {
	event.Flag
	Text    []textRun
	Lang    string
	Missing bool // the post could not be read
}

// queueCounts is the counts as the page and the live stream show them.
type queueCounts struct {
	Pending          int     `json:"pending"`
	Claimed          int     `json:"claimed"`
	Escalated        int     `json:"escalated"`
	Mine             int     `json:"mine"`
	OldestPendingAge float64 `json:"oldest_pending_age_seconds"`
	Text             string  `json:"text"`
	oldest           time.Time
}

func (s *Server) readCounts(ctx context.Context, me string) (*queueCounts, error) {
	if s.queue == nil {
		return nil, nil
	}
	c, err := s.queue.QueueCounts(ctx)
	if err != nil {
		return nil, err
	}
	q := &queueCounts{Pending: c.Pending, Claimed: c.Claimed, Escalated: c.Escalated, Mine: c.ClaimedBy[me], oldest: c.OldestPending}
	if !c.OldestPending.IsZero() {
		at := c.At
		if at.IsZero() {
			at = time.Now()
		}
		q.OldestPendingAge = max(at.Sub(c.OldestPending).Seconds(), 0)
	}
	q.Text = fmt.Sprintf("Pending %d · claimed %d (yours %d) · escalated %d", q.Pending, q.Claimed, q.Mine, q.Escalated)
	if !c.OldestPending.IsZero() {
		q.Text += " · oldest pending " + formatSeconds(q.OldestPendingAge)
	}
	return q, nil
}

// queueData is the queue page's data.
type queueData struct {
	Flags  []flagCard
	Counts *queueCounts
	// CountsProblem says why there are no counts.
	CountsProblem string
	LeaseEnds     time.Time
	Form          claimForm
	Sorts         []string
	MaxClaim      int
}

// claimForm is the claim form's values, as given in the query (to keep
// them between claims).
type claimForm struct {
	Limit                                                   int
	Category, Platform, List, Region, Group, MinScore, Sort string
	Since, Until, Status                                    string
}

func (f claimForm) query() string {
	v := url.Values{}
	for k, x := range map[string]string{"category": f.Category, "platform": f.Platform, "list": f.List,
		"region": f.Region, "group": f.Group, "min_score": f.MinScore, "since": f.Since, "until": f.Until, "status": f.Status, "sort": f.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.Limit != 0 {
		v.Set("limit", strconv.Itoa(f.Limit))
	}
	return v.Encode()
}

// readClaimForm reads the claim form from v (a query or a posted form)
// into the queue's request, checked as the JSON route checks it.
func readClaimForm(v url.Values, p Principal) (claimForm, event.ClaimRequest, error) {
	f := claimForm{Category: v.Get("category"), Platform: v.Get("platform"), List: v.Get("list"), Region: v.Get("region"),
		Group: v.Get("group"), MinScore: v.Get("min_score"), Since: v.Get("since"), Until: v.Get("until"), Status: v.Get("status"),
		Sort: v.Get("sort")}
	req := event.ClaimRequest{Sort: f.Sort}
	req.Category, req.Platform, req.List, req.Region, req.Group, req.Status = f.Category, f.Platform, f.List, f.Region, f.Group, f.Status
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return f, req, event.Errorf(event.EINVALID, "limit: %q is not a whole number", l)
		}
		f.Limit, req.Limit = n, n
	}
	if f.MinScore != "" {
		x, err := strconv.ParseFloat(f.MinScore, 64)
		if err != nil || x != x {
			return f, req, event.Errorf(event.EINVALID, "minimum score: %q is not a number", f.MinScore)
		}
		req.MinScore = x
	}
	for _, t := range []struct {
		name, v string
		to      *time.Time
	}{{"since", f.Since, &req.Since}, {"until", f.Until, &req.Until}} {
		if t.v == "" {
			continue
		}
		at, err := time.Parse(datetimeLocal, t.v)
		if err != nil {
			at, err = time.Parse(time.RFC3339, t.v)
		}
		if err != nil {
			return f, req, event.Errorf(event.EINVALID, "%s: %q is not a date and time such as 2026-11-01T08:00", t.name, t.v)
		}
		*t.to = at.UTC()
	}
	if err := checkClaim(&req); err != nil {
		return f, req, err
	}
	if req.Status == event.StatusEscalated && !p.Allows(RoleAdmin) {
		return f, req, event.Errorf(event.EFORBIDDEN, "the escalated queue is for admins")
	}
	return f, req, nil
}

// myClaims returns the flags whose leases the reviewer holds, at most
// event.MaxClaimLimit, highest score first. The store lists running
// claims (every monitor's) newest first; the caller's are picked from a
// bounded number of pages, stopping as soon as all of them (as the counts
// say, when there are counts) are found.
func (s *Server) myClaims(ctx context.Context, reviewer string, want int) ([]event.Flag, error) {
	var mine []event.Flag
	f := event.FlagFilter{Status: event.StatusClaimed, Limit: maxFlagLimit}
	for range claimedPages {
		page, next, err := s.read.ListFlags(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, fl := range page {
			if fl.ClaimedBy == reviewer && len(mine) < event.MaxClaimLimit {
				mine = append(mine, fl)
			}
		}
		if next == 0 || len(mine) >= event.MaxClaimLimit || want >= 0 && len(mine) >= want {
			break
		}
		f.After = next
	}
	slices.SortStableFunc(mine, func(a, b event.Flag) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return mine, nil
}

// cards reads the post of each flag, for its text.
func (s *Server) cards(ctx context.Context, flags []event.Flag) ([]flagCard, error) {
	out := make([]flagCard, 0, len(flags))
	for _, fl := range flags {
		c := flagCard{Flag: fl}
		p, err := s.read.FindPost(ctx, fl.Platform, fl.PostID)
		switch {
		case event.ErrorCode(err) == event.ENOTFOUND || err == nil && p == nil:
			c.Missing = true
		case err != nil:
			return nil, err
		default:
			c.Text = textRuns(p.Text, fl.Matches, false)
			c.Lang = textLang(p.Lang, p.Text)
		}
		out = append(out, c)
	}
	return out, nil
}

// queueNotice is the line the queue page shows after a form's redirect.
// It is built from counts, never from text in the URL, so that a link
// cannot make the console say something.
func queueNotice(q url.Values) string {
	n, _ := strconv.Atoi(q.Get("n"))
	failed, _ := strconv.Atoi(q.Get("failed"))
	var msg string
	switch q.Get("done") {
	case "claimed":
		msg = fmt.Sprintf("Claimed %d flags.", n)
		if n == 0 {
			msg = "Nothing to claim: no flag matches, or every match is claimed by someone else."
		}
	case "decided":
		msg = fmt.Sprintf("Decided %d flags.", n)
	case "released":
		msg = fmt.Sprintf("Released %d flags.", n)
	default:
		return ""
	}
	if failed > 0 {
		msg += fmt.Sprintf(" %d could not be decided (decided already, or the lease lapsed).", failed)
	}
	return msg
}

// handleQueuePage is GET /queue (monitor).
func (s *Server) handleQueuePage(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "category", "platform", "list", "region", "group", "min_score", "since", "until", "status", "sort",
		"limit", "done", "n", "failed")
	if q.err != nil {
		s.renderError(w, r, q.err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	form, _, err := readClaimForm(q.values, p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := queueData{Form: form, Sorts: event.Sorts, MaxClaim: event.MaxClaimLimit}
	if s.review == nil {
		d.CountsProblem = "This server has no review queue."
	}
	ctx := r.Context()
	counts, err := s.readCounts(ctx, p.Pseudonym)
	want := -1
	switch {
	case err != nil:
		d.CountsProblem = "Counts are unavailable just now: " + event.ErrorMessage(err)
		if event.ErrorCode(err) == event.EINTERNAL {
			s.log.WarnContext(ctx, "console queue counts", "err", err)
			d.CountsProblem = "Counts are unavailable just now."
		}
	case counts == nil:
		d.CountsProblem = "Live counts are unavailable on this server."
	default:
		d.Counts, want = counts, counts.Mine
	}
	flags, err := s.myClaims(ctx, p.Pseudonym, want)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Flags, err = s.cards(ctx, flags); err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, f := range flags {
		if d.LeaseEnds.IsZero() || f.LeaseExpiresAt.Before(d.LeaseEnds) {
			d.LeaseEnds = f.LeaseExpiresAt
		}
	}
	pg := s.page(r, "Review queue", d)
	pg.Notice = queueNotice(q.values)
	s.render(w, r, http.StatusOK, "queue", pg)
}

// handleConsoleClaim is POST /queue/claim (monitor).
func (s *Server) handleConsoleClaim(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	form, req, err := readClaimForm(r.PostForm, p)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c, err := review.Claim(r.Context(), p.Pseudonym, req.Limit, req.QueueFilter, req.Sort)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	back := form.query()
	if back != "" {
		back += "&"
	}
	http.Redirect(w, r, "/queue?"+back+"done=claimed&n="+strconv.Itoa(len(c.Flags)), http.StatusSeeOther)
}

// formIDs reads the flag ids of a form's "flag" fields, 1 to most.
func formIDs(v url.Values, most int) ([]int64, error) {
	raw := v["flag"]
	if len(raw) == 0 || len(raw) > most {
		return nil, event.Errorf(event.EINVALID, "select 1 to %d flags", most)
	}
	ids := make([]int64, 0, len(raw))
	for _, x := range raw {
		id, err := strconv.ParseInt(x, 10, 64)
		if err != nil || id <= 0 {
			return nil, event.Errorf(event.EINVALID, "%q is not a flag id", x)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// handleConsoleRelease is POST /queue/release (monitor).
func (s *Server) handleConsoleRelease(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ids, err := formIDs(r.PostForm, maxReleaseIDs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	released, err := review.Release(r.Context(), p.Pseudonym, ids)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/queue?done=released&n="+strconv.Itoa(len(released)), http.StatusSeeOther)
}

// wantsJSON says that the console's script sent the request (fetch with
// Accept: application/json) and wants the outcome as the API's JSON.
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Accept"), "application/json")
}

// decisionResult is the JSON answer to the script's decision.
type decisionResult struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Decision string `json:"decision"`
}

// handleConsoleDecide is POST /flags/{id}/decision (monitor): the form's
// button names the decision. The script posts the same form with
// fetch and gets JSON back; a plain form gets the queue again.
func (s *Server) handleConsoleDecide(w http.ResponseWriter, r *http.Request) {
	fail := s.renderError
	if wantsJSON(r) {
		fail = s.writeError
	}
	review, err := s.reviewService()
	if err != nil {
		fail(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	id, err := pathID(r, "id", "flag")
	if err != nil {
		fail(w, r, err)
		return
	}
	req := event.DecisionRequest{FlagID: id, Decision: r.PostFormValue("decision"), Note: r.PostFormValue("note"),
		Translation: r.PostFormValue("translation"), Reviewer: p.Pseudonym}
	if err := req.Validate(); err != nil {
		fail(w, r, err)
		return
	}
	fl, err := review.Decide(r.Context(), req)
	if err != nil {
		fail(w, r, err)
		return
	}
	if wantsJSON(r) {
		s.writeJSON(w, r, http.StatusOK, decisionResult{ID: fl.ID, Status: fl.Status, Decision: req.Decision})
		return
	}
	http.Redirect(w, r, "/queue?done=decided&n=1", http.StatusSeeOther)
}

// handleConsoleDecideBulk is POST /decisions (monitor): one decision, note
// and translation for every selected flag.
func (s *Server) handleConsoleDecideBulk(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ids, err := formIDs(r.PostForm, event.MaxBulkDecisions)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	reqs := make([]event.DecisionRequest, len(ids))
	for i, id := range ids {
		reqs[i] = event.DecisionRequest{FlagID: id, Decision: r.PostFormValue("decision"), Note: r.PostFormValue("note"),
			Translation: r.PostFormValue("translation"), Reviewer: p.Pseudonym}
		if err := reqs[i].Validate(); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	results, err := review.DecideBulk(r.Context(), reqs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ok, failed := 0, 0
	for _, res := range results {
		if res.Err != nil {
			failed++
			if errorStatus(event.ErrorCode(res.Err)) == http.StatusInternalServerError {
				s.log.ErrorContext(r.Context(), "console bulk decision failed", "route", r.Pattern, "flag", res.FlagID, "err", res.Err)
			}
			continue
		}
		ok++
	}
	http.Redirect(w, r, fmt.Sprintf("/queue?done=decided&n=%d&failed=%d", ok, failed), http.StatusSeeOther)
}

// handleQueueEvents is GET /events/queue (monitor): the live counts as
// server-sent events, one "counts" event when the stream opens and one
// whenever they change, read every countsEvery.
func (s *Server) handleQueueEvents(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFrom(r.Context())
	if s.queue == nil {
		s.renderError(w, r, event.Errorf(event.EUNAVAILABLE, "live counts are unavailable on this server"))
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout; it ends by itself.
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	end := time.NewTimer(streamMaxAge)
	defer end.Stop()
	tick := time.NewTicker(countsEvery)
	defer tick.Stop()
	var last *queueCounts
	for {
		c, err := s.readCounts(ctx, p.Pseudonym)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			// Said once per failure as a comment line, which keeps the
			// stream open for the next read.
			if _, err := fmt.Fprintf(w, ": counts unavailable\n\n"); err != nil {
				return
			}
		case last == nil || c.Pending != last.Pending || c.Claimed != last.Claimed || c.Escalated != last.Escalated ||
			c.Mine != last.Mine || !c.oldest.Equal(last.oldest):
			b, _ := json.Marshal(c)
			if _, err := fmt.Fprintf(w, "event: counts\ndata: %s\n\n", b); err != nil {
				return
			}
			last = c
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.streamsDone:
			return
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}
