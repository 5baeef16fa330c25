package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
)

// The console's reading pages (a post, an account, cases, takedown
// requests) and the advocates' forms on them. Every form calls the same
// service, after the same checks, as its JSON route.

// maxAccountFlags bounds the flags an account or post page reads (one
// page of the store's listing): the chart says when there are more.
const maxAccountFlags = maxFlagLimit

// matchView is one match as the post page explains it.
type matchView struct {
	event.Match
	Text string // the span as written, when it is in the text
}

// postData is the post page's data.
type postData struct {
	Post       event.StoredPost
	View       string // "", "invisible" or "normalized"
	Text       []textRun
	Lang       string
	Invisible  int
	Normalized string
	Transforms []string
	// NormalizeMissing says that this server cannot normalise.
	NormalizeMissing bool
	Matches          []matchView
	Flag             *event.Flag
	Others           []event.Flag
	MoreOthers       bool
}

// handlePostPage is GET /posts/{platform}/{id} (viewer).
func (s *Server) handlePostPage(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "view")
	view := q.oneOf("view", "invisible", "normalized")
	if q.err != nil {
		s.renderError(w, r, q.err)
		return
	}
	platform, id := r.PathValue("platform"), r.PathValue("id")
	ctx := r.Context()
	p, err := s.read.FindPost(ctx, platform, id)
	if err == nil && p == nil {
		err = event.Errorf(event.ENOTFOUND, "post %s/%s not found", platform, id)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := postData{Post: *p, View: view, Lang: textLang(p.Lang, p.Text), Invisible: countInvisible(p.Text)}
	var ms []event.Match
	if p.Verdict != nil {
		ms = p.Verdict.Matches
	}
	d.Text = textRuns(p.Text, ms, view == "invisible")
	for _, m := range ms {
		mv := matchView{Match: m}
		if (m.Field == "" || m.Field == "text") && m.Start >= 0 && m.Start < m.End && m.End <= len(p.Text) {
			mv.Text = p.Text[m.Start:m.End]
		}
		d.Matches = append(d.Matches, mv)
	}
	if view == "normalized" {
		if s.normalize == nil {
			d.NormalizeMissing = true
		} else {
			d.Normalized, d.Transforms = s.normalize(p.Text)
		}
	}
	// The author's flags: this post's own (with its decision) and the
	// others, from one bounded page.
	flags, next, err := s.read.ListFlags(ctx, event.FlagFilter{Platform: platform, AuthorID: p.Author.ID, Limit: maxAccountFlags})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for i := range flags {
		if flags[i].ID == p.FlagID || flags[i].PostID == p.ID {
			f := flags[i]
			d.Flag = &f
			continue
		}
		if len(d.Others) < 20 {
			d.Others = append(d.Others, flags[i])
		} else {
			d.MoreOthers = true
		}
	}
	d.MoreOthers = d.MoreOthers || next != 0
	s.render(w, r, http.StatusOK, "post", s.page(r, "Post "+platform+"/"+id, d))
}

// chartRow is one category's row of the account's timeline: a bar per
// month. The SVG uses presentation attributes only (the console's CSP
// allows no style attribute).
type chartRow struct {
	Category string
	Y, TextY int
	Bars     []chartBar
	Total    int
}

type chartBar struct {
	X, Y, W, H int
	Month      string
	Count      int
}

// timeline is an account's flags by category and month, as an inline SVG
// chart and as the table a screen reader reads instead.
type timeline struct {
	Width, Height int
	Months        []string
	From, To      string
	Rows          []chartRow
	Peak          int
	AxisY         int
	// Cells[i][j] is Rows[i]'s count in Months[j], for the table.
	Cells     [][]int
	Truncated bool
}

const (
	chartLabel = 160
	chartRowH  = 24
	chartPlot  = 480
)

// timelineOf builds the chart from flags (each counted once per category,
// at its post's time, or its own when the platform gave none).
func timelineOf(flags []event.Flag) *timeline {
	type key struct {
		cat   string
		month string
	}
	counts := map[key]int{}
	cats := map[string]int{}
	var first, last time.Time
	for _, f := range flags {
		t := f.PostCreatedAt
		if t.IsZero() {
			t = f.CreatedAt
		}
		if t.IsZero() || len(f.Categories) == 0 {
			continue
		}
		t = t.UTC()
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
		for _, c := range f.Categories {
			counts[key{c, t.Format("2006-01")}]++
			cats[c]++
		}
	}
	if len(cats) == 0 {
		return nil
	}
	tl := &timeline{}
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		tl.Months = append(tl.Months, m.Format("2006-01"))
	}
	tl.From, tl.To = tl.Months[0], tl.Months[len(tl.Months)-1]
	names := make([]string, 0, len(cats))
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	tl.Peak = 1
	for _, v := range counts {
		tl.Peak = max(tl.Peak, v)
	}
	barW := max(2, min(28, chartPlot/len(tl.Months)))
	tl.Width = chartLabel + max(len(tl.Months)*barW, 160) + 10
	for i, c := range names {
		row := chartRow{Category: c, Y: i * chartRowH, TextY: i*chartRowH + 16, Total: cats[c]}
		cells := make([]int, len(tl.Months))
		for j, m := range tl.Months {
			v := counts[key{c, m}]
			cells[j] = v
			if v == 0 {
				continue
			}
			h := max(2, v*(chartRowH-4)/tl.Peak)
			row.Bars = append(row.Bars, chartBar{X: chartLabel + j*barW, Y: row.Y + chartRowH - 2 - h, W: max(1, barW-2), H: h, Month: m, Count: v})
		}
		tl.Rows = append(tl.Rows, row)
		tl.Cells = append(tl.Cells, cells)
	}
	tl.AxisY = len(names)*chartRowH + 16
	tl.Height = tl.AxisY + 6
	return tl
}

// accountData is the account page's data.
type accountData struct {
	View      event.AccountView
	Statuses  []string
	Flags     []event.Flag
	MoreFlags bool
	Timeline  *timeline
	Takedowns []event.Takedown
	// TakedownsProblem says why takedowns are not shown.
	TakedownsProblem string
	OpenCases        []event.Case
	Profiles         []*evidence.PlatformProfile
	Ref              string // PLATFORM/ID
	CanExport        bool
	Now              string
}

// handleAccountPage is GET /accounts/{platform}/{id} (viewer).
func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	store, err := s.accountViews()
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	platform, id := r.PathValue("platform"), r.PathValue("id")
	ctx := r.Context()
	v, err := store.FindAccount(ctx, platform, id)
	if err == nil && v == nil {
		err = event.Errorf(event.ENOTFOUND, "account %s/%s not found", platform, id)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := accountData{View: accountViewJSON(*v), Statuses: event.FlagStatuses, Ref: platform + "/" + id,
		Now: time.Now().UTC().Format(datetimeLocal)}
	flags, next, err := s.read.ListFlags(ctx, event.FlagFilter{Platform: platform, AuthorID: id, Limit: maxAccountFlags})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Timeline = timelineOf(flags)
	if d.Timeline != nil {
		d.Timeline.Truncated = next != 0
	}
	d.Flags, d.MoreFlags = flags[:min(len(flags), 100)], len(flags) > 100 || next != 0
	if s.takedowns != nil {
		ref := event.AccountRef{Platform: platform, ID: id}
		if d.Takedowns, err = s.takedowns.ListTakedowns(ctx, event.TakedownFilter{Account: &ref, Limit: 100}); err != nil {
			s.renderError(w, r, err)
			return
		}
	} else {
		d.TakedownsProblem = "This server tracks no takedown requests."
	}
	sess, _ := consoleSessionFrom(ctx)
	if sess.principal.Allows(RoleAdvocate) {
		d.CanExport = s.evidence != nil && s.packs.Signer != nil
		d.Profiles = evidence.Profiles()
		if s.cases != nil {
			if d.OpenCases, err = s.cases.ListCases(ctx, event.CaseFilter{Status: event.CaseOpen, Limit: 200}); err != nil {
				s.renderError(w, r, err)
				return
			}
		}
	}
	title := "Account " + d.Ref
	if v.Handle != "" {
		title = "@" + v.Handle + " (" + d.Ref + ")"
	}
	s.render(w, r, http.StatusOK, "account", s.page(r, title, d))
}

// exportPack answers a console export form: the pack itself as a
// download, made and recorded by writePack exactly as the JSON route
// makes it.
func (s *Server) exportPack(w http.ResponseWriter, r *http.Request, req event.EvidenceRequest, kind string) {
	profile := r.PostFormValue("profile")
	if profile == "" {
		profile = s.packs.Profile
	}
	if profile != "" {
		if _, err := evidence.Profile(profile); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	if err := s.writePack(w, r, req, kind, profile); err != nil {
		s.renderError(w, r, err)
	}
}

// handleConsoleAccountPack is POST /accounts/{platform}/{id}/pack
// (advocate).
func (s *Server) handleConsoleAccountPack(w http.ResponseWriter, r *http.Request) {
	ref := event.AccountRef{Platform: r.PathValue("platform"), ID: r.PathValue("id")}
	s.exportPack(w, r, event.EvidenceRequest{Account: &ref}, "account")
}

// handleConsoleCasePack is POST /cases/{id}/pack (advocate).
func (s *Server) handleConsoleCasePack(w http.ResponseWriter, r *http.Request) {
	id, err := caseID(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.exportPack(w, r, event.EvidenceRequest{CaseID: id}, "case")
}

// formAccounts reads accounts named PLATFORM/ID from a form's "account"
// fields and from its "accounts" text (one a line).
func formAccounts(v url.Values) ([]event.AccountRef, error) {
	var names []string
	names = append(names, v["account"]...)
	for line := range strings.Lines(v.Get("accounts")) {
		names = append(names, line)
	}
	var out []event.AccountRef
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		platform, id, ok := strings.Cut(n, "/")
		if !ok || platform == "" || id == "" {
			return nil, event.Errorf(event.EINVALID, "account %q: write PLATFORM/ID, such as x/44", n)
		}
		a := event.AccountRef{Platform: platform, ID: id}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// addCaseAccounts adds accounts to a case as the JSON route does.
func (s *Server) addCaseAccounts(r *http.Request, store event.CaseService, id int64, accounts []event.AccountRef) error {
	switch {
	case len(accounts) == 0:
		return event.Errorf(event.EINVALID, "give at least one account")
	case len(accounts) > event.MaxCaseBatch:
		return event.Errorf(event.EINVALID, "at most %d accounts at once", event.MaxCaseBatch)
	}
	_, err := store.AddAccounts(r.Context(), id, accounts, actor(r))
	return err
}

// handleConsoleAccountToCase is POST /accounts/{platform}/{id}/case
// (advocate): the account added to the open case chosen.
func (s *Server) handleConsoleAccountToCase(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("case"), 10, 64)
	if err != nil || id <= 0 {
		s.renderError(w, r, event.Errorf(event.EINVALID, "choose a case"))
		return
	}
	ref := event.AccountRef{Platform: r.PathValue("platform"), ID: r.PathValue("id")}
	if err := s.addCaseAccounts(r, store, id, []event.AccountRef{ref}); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// casesData is the cases page's data.
type casesData struct {
	Cases  []event.Case
	Status string
}

// handleCasesPage is GET /cases (viewer).
func (s *Server) handleCasesPage(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	q := parseQuery(r, "status")
	status := q.oneOf("status", event.CaseOpen, event.CaseClosed)
	if q.err != nil {
		s.renderError(w, r, q.err)
		return
	}
	cs, err := store.ListCases(r.Context(), event.CaseFilter{Status: status, Limit: maxCaseLimit})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases", s.page(r, "Cases", casesData{Cases: cs, Status: status}))
}

// handleConsoleCreateCase is POST /cases (advocate): a new case, with the
// accounts the form names.
func (s *Server) handleConsoleCreateCase(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	title, description := r.PostFormValue("title"), r.PostFormValue("description")
	accounts, err := formAccounts(r.PostForm)
	if err == nil {
		err = checkCaseFields(&title, &description)
	}
	if err == nil && len(accounts) > event.MaxCaseBatch {
		err = event.Errorf(event.EINVALID, "at most %d accounts at once", event.MaxCaseBatch)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c, err := store.CreateCase(r.Context(), event.NewCase{Title: title, Description: description, CreatedBy: actor(r)})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if len(accounts) > 0 {
		if err := s.addCaseAccounts(r, store, c.ID, accounts); err != nil {
			s.renderError(w, r, fmt.Errorf("case %d was opened, but its accounts were not added: %w", c.ID, err))
			return
		}
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// caseData is the case page's data.
type caseData struct {
	Case      event.CaseDetail
	Profiles  []*evidence.PlatformProfile
	CanExport bool
	Takedowns []event.Takedown
}

// handleCasePage is GET /cases/{id} (viewer).
func (s *Server) handleCasePage(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	var id int64
	if err == nil {
		id, err = caseID(r)
	}
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := store.GetCase(ctx, id)
	if err == nil && c == nil {
		err = event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := caseData{Case: caseDetailJSON(*c)}
	if sess, _ := consoleSessionFrom(ctx); sess.principal.Allows(RoleAdvocate) {
		d.CanExport = s.evidence != nil && s.packs.Signer != nil
		d.Profiles = evidence.Profiles()
	}
	if s.takedowns != nil {
		if d.Takedowns, err = s.takedowns.ListTakedowns(ctx, event.TakedownFilter{CaseID: id, Limit: 100}); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "case", s.page(r, "Case "+strconv.FormatInt(id, 10)+": "+c.Title, d))
}

// handleConsoleCaseAccounts is POST /cases/{id}/accounts (advocate).
func (s *Server) handleConsoleCaseAccounts(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	var id int64
	if err == nil {
		id, err = caseID(r)
	}
	var accounts []event.AccountRef
	if err == nil {
		accounts, err = formAccounts(r.PostForm)
	}
	if err == nil {
		err = s.addCaseAccounts(r, store, id, accounts)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// takedownsData is the takedowns page's data.
type takedownsData struct {
	Takedowns  []event.Takedown
	Reappeared []event.Reappearance
	Statuses   []string
	Profiles   []*evidence.PlatformProfile
	Now        string
}

// handleTakedownsPage is GET /takedowns (viewer).
func (s *Server) handleTakedownsPage(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	ctx := r.Context()
	d := takedownsData{Statuses: event.TakedownStatuses, Profiles: evidence.Profiles(), Now: time.Now().UTC().Format(datetimeLocal)}
	if d.Takedowns, err = store.ListTakedowns(ctx, event.TakedownFilter{Limit: 200}); err == nil {
		d.Reappeared, err = store.Reappeared(ctx, 100)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "takedowns", s.page(r, "Takedown requests", d))
}

// formTime reads an optional date and time field (datetime-local, UTC).
func formTime(v url.Values, name string) (time.Time, error) {
	x := v.Get(name)
	if x == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(datetimeLocal, x)
	if err != nil {
		t, err = time.Parse(time.RFC3339, x)
	}
	if err != nil {
		return time.Time{}, event.Errorf(event.EINVALID, "%s: %q is not a date and time such as 2026-11-01T08:00", name, x)
	}
	return t.UTC(), nil
}

// handleConsoleCreateTakedown is POST /takedowns (advocate).
func (s *Server) handleConsoleCreateTakedown(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v := r.PostForm
	n := event.NewTakedown{Platform: strings.TrimSpace(v.Get("platform")), Channel: v.Get("channel"),
		PackID: strings.TrimSpace(v.Get("pack_id")), Reference: v.Get("reference"), Note: v.Get("note")}
	if c := v.Get("case"); c != "" {
		if n.CaseID, err = strconv.ParseInt(c, 10, 64); err != nil {
			err = event.Errorf(event.EINVALID, "case: %q is not a case id", c)
		}
	}
	if err == nil {
		n.Accounts, err = formAccounts(v)
	}
	if err == nil {
		n.SentAt, err = formTime(v, "sent_at")
	}
	if err == nil {
		err = checkNewTakedown(n, time.Now())
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if _, err := store.CreateTakedown(r.Context(), n, actor(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(v.Get("back"), "/takedowns"), http.StatusSeeOther)
}

// backTo is where a form returns: its "back" field when that is a
// console path, else fallback.
func backTo(back, fallback string) string {
	if p := localPath(back); p != "" {
		return p
	}
	return fallback
}

// handleConsoleTakedownStatus is POST /takedowns/{id}/status (advocate).
func (s *Server) handleConsoleTakedownStatus(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	var id int64
	if err == nil {
		id, err = takedownID(r)
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v := r.PostForm
	u := event.TakedownUpdate{Status: v.Get("status"), Note: v.Get("note")}
	if ref := v.Get("reference"); ref != "" {
		u.Reference = &ref
	}
	u.At, err = formTime(v, "at")
	switch {
	case err != nil:
	case !slices.Contains(event.TakedownStatuses, u.Status):
		err = event.Errorf(event.EINVALID, "status: %q is not one of %s", u.Status, strings.Join(event.TakedownStatuses, ", "))
	case u.At.After(time.Now().Add(maxClockSkew)):
		err = event.Errorf(event.EINVALID, "at %s is in the future", u.At.Format(time.RFC3339))
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if _, err := store.UpdateTakedown(r.Context(), id, u, actor(r)); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(v.Get("back"), "/takedowns"), http.StatusSeeOther)
}
