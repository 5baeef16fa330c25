package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/vigilhq/vigil/event"
)

// The account view and cases: GET /api/v1/accounts/{platform}/{id}
// (viewer) and /api/v1/cases... (viewer reads, advocate changes). Every
// change is made as the caller's pseudonym, which the store writes to the
// case and its audit entry.

// maxCaseLimit is event.CaseFilter's largest page.
const maxCaseLimit = 1000

func (s *Server) accountViews() (event.AccountViewService, error) {
	if s.accounts == nil {
		return nil, event.Errorf(event.EUNAVAILABLE, "this server has no account view (no store configured for it)")
	}
	return s.accounts, nil
}

func (s *Server) caseStore() (event.CaseService, error) {
	if s.cases == nil {
		return nil, event.Errorf(event.EUNAVAILABLE, "this server keeps no cases (no case store configured)")
	}
	return s.cases, nil
}

// actor is the pseudonym the caller acts as.
func actor(r *http.Request) string {
	p, _ := PrincipalFrom(r.Context())
	return p.Pseudonym
}

// handleAccount serves GET /api/v1/accounts/{platform}/{id}.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	store, err := s.accountViews()
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	platform, id := r.PathValue("platform"), r.PathValue("id")
	v, err := store.FindAccount(r.Context(), platform, id)
	if err == nil && v == nil {
		err = event.Errorf(event.ENOTFOUND, "account %s/%s not found", platform, id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, accountViewJSON(*v))
}

type casesResponse struct {
	Cases []event.Case `json:"cases"`
}

// handleListCases serves GET /api/v1/cases.
func (s *Server) handleListCases(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := parseQuery(r, "status", "limit", "offset")
	f := event.CaseFilter{
		Status: q.oneOf("status", event.CaseOpen, event.CaseClosed),
		Limit:  q.int("limit", 1, maxCaseLimit),
		Offset: q.int("offset", 0, math.MaxInt32),
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	cs, err := store.ListCases(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := casesResponse{Cases: make([]event.Case, 0, len(cs))}
	for _, c := range cs {
		out.Cases = append(out.Cases, caseJSON(c))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

type createCaseRequest struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// handleCreateCase serves POST /api/v1/cases (advocate).
func (s *Server) handleCreateCase(w http.ResponseWriter, r *http.Request) {
	store, err := s.caseStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createCaseRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkCaseFields(&req.Title, &req.Description); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := store.CreateCase(r.Context(), event.NewCase{Title: req.Title, Description: req.Description, CreatedBy: actor(r)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, caseJSON(c))
}

func checkCaseFields(title, description *string) error {
	if title != nil {
		if err := event.CheckCaseTitle(*title); err != nil {
			return err
		}
	}
	if description != nil {
		return event.CheckCaseDescription(*description)
	}
	return nil
}

// pathID parses the path value name of r as a positive id; what names
// the thing in the error ("case id must be a positive integer").
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, event.Errorf(event.EINVALID, "%s id must be a positive integer", what)
	}
	return id, nil
}

// caseID parses the {id} of a case route.
func caseID(r *http.Request) (int64, error) { return pathID(r, "id", "case") }

// idRoute begins every handler of a route with an {id} and no query
// parameters (/api/v1/cases/{id}..., /api/v1/takedowns/{id}...): the
// service that store gives, and the id of the thing named what; or an
// error already written.
func idRoute[T any](s *Server, w http.ResponseWriter, r *http.Request, store func() (T, error), what string) (T, int64, bool) {
	svc, err := store()
	var id int64
	if err == nil {
		id, err = pathID(r, "id", what)
	}
	if err == nil {
		err = parseQuery(r).err // these routes take no query parameters
	}
	if err != nil {
		s.writeError(w, r, err)
		var none T
		return none, 0, false
	}
	return svc, id, true
}

// caseRoute begins every /api/v1/cases/{id}... handler: the store and the
// case id, or an error already written.
func (s *Server) caseRoute(w http.ResponseWriter, r *http.Request) (event.CaseService, int64, bool) {
	return idRoute(s, w, r, s.caseStore, "case")
}

// handleGetCase serves GET /api/v1/cases/{id}.
func (s *Server) handleGetCase(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	d, err := store.GetCase(r.Context(), id)
	if err == nil && d == nil {
		err = event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, caseDetailJSON(*d))
}

type updateCaseRequest struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
}

// handleUpdateCase serves PATCH /api/v1/cases/{id} (advocate).
func (s *Server) handleUpdateCase(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	var req updateCaseRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	err := checkCaseFields(req.Title, req.Description)
	switch {
	case err != nil:
	case req.Title == nil && req.Description == nil && req.Status == nil:
		err = event.Errorf(event.EINVALID, "nothing to update: give title, description or status")
	case req.Status != nil && !event.ValidCaseStatus(*req.Status):
		err = event.Errorf(event.EINVALID, "status must be %s or %s", event.CaseOpen, event.CaseClosed)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := store.UpdateCase(r.Context(), id, event.CaseUpdate{Title: req.Title, Description: req.Description, Status: req.Status}, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, caseJSON(c))
}

// caseChangeResponse answers an addition: how many were new to the case,
// and the case as it now is.
type caseChangeResponse struct {
	Added int              `json:"added"`
	Case  event.CaseDetail `json:"case"`
}

func (s *Server) writeCaseChange(w http.ResponseWriter, r *http.Request, store event.CaseService, id int64, added int) {
	d, err := store.GetCase(r.Context(), id)
	if err == nil && d == nil {
		err = event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, caseChangeResponse{Added: added, Case: caseDetailJSON(*d)})
}

type addAccountsRequest struct {
	Accounts []event.AccountRef `json:"accounts"`
}

// handleAddCaseAccounts serves POST /api/v1/cases/{id}/accounts (advocate).
func (s *Server) handleAddCaseAccounts(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	var req addAccountsRequest
	err := decodeBody(r, &req)
	switch {
	case err != nil:
	case len(req.Accounts) == 0:
		err = event.Errorf(event.EINVALID, "accounts: give at least one {\"platform\",\"id\"}")
	case len(req.Accounts) > event.MaxCaseBatch:
		err = event.Errorf(event.EINVALID, "accounts: at most %d at once", event.MaxCaseBatch)
	}
	for i, a := range req.Accounts {
		if err == nil && (a.Platform == "" || a.ID == "") {
			err = event.Errorf(event.EINVALID, "accounts[%d]: platform and id are both required", i)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := store.AddAccounts(r.Context(), id, req.Accounts, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeCaseChange(w, r, store, id, n)
}

// handleRemoveCaseAccount serves DELETE
// /api/v1/cases/{id}/accounts/{platform}/{account} (advocate).
func (s *Server) handleRemoveCaseAccount(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	a := event.AccountRef{Platform: r.PathValue("platform"), ID: r.PathValue("account")}
	if err := store.RemoveAccount(r.Context(), id, a, actor(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type addFlagsRequest struct {
	FlagIDs []int64 `json:"flag_ids"`
}

// handleAddCaseFlags serves POST /api/v1/cases/{id}/flags (advocate).
func (s *Server) handleAddCaseFlags(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	var req addFlagsRequest
	err := decodeBody(r, &req)
	switch {
	case err != nil:
	case len(req.FlagIDs) == 0:
		err = event.Errorf(event.EINVALID, "flag_ids: give at least one flag id")
	case len(req.FlagIDs) > event.MaxCaseBatch:
		err = event.Errorf(event.EINVALID, "flag_ids: at most %d at once", event.MaxCaseBatch)
	}
	for i, f := range req.FlagIDs {
		if err == nil && f <= 0 {
			err = event.Errorf(event.EINVALID, "flag_ids[%d]: %d is not a flag id", i, f)
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := store.AddFlags(r.Context(), id, req.FlagIDs, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeCaseChange(w, r, store, id, n)
}

// handleRemoveCaseFlag serves DELETE /api/v1/cases/{id}/flags/{flag}
// (advocate).
func (s *Server) handleRemoveCaseFlag(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.caseRoute(w, r)
	if !ok {
		return
	}
	flag, err := pathID(r, "flag", "flag")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := store.RemoveFlag(r.Context(), id, flag, actor(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// The JSON forms: times in UTC, empty lists as [] and maps as {}.

func accountViewJSON(v event.AccountView) event.AccountView {
	v.Account = accountJSON(v.Account)
	hs := make([]event.HandleSeen, 0, len(v.HandleHistory))
	for _, h := range v.HandleHistory {
		h.FirstSeen, h.LastSeen = h.FirstSeen.UTC(), h.LastSeen.UTC()
		hs = append(hs, h)
	}
	v.HandleHistory = hs
	byStatus := make(map[string]int, len(event.FlagStatuses))
	for _, st := range event.FlagStatuses {
		byStatus[st] = 0
	}
	for st, n := range v.FlagsByStatus {
		byStatus[st] = n
	}
	v.FlagsByStatus = byStatus
	if v.Cases == nil {
		v.Cases = []event.CaseRef{}
	}
	return v
}

func caseJSON(c event.Case) event.Case {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c
}

func caseDetailJSON(d event.CaseDetail) event.CaseDetail {
	d.Case = caseJSON(d.Case)
	as := make([]event.CaseAccount, 0, len(d.Accounts))
	for _, a := range d.Accounts {
		a.Account = accountJSON(a.Account)
		a.AddedAt = a.AddedAt.UTC()
		as = append(as, a)
	}
	fs := make([]event.CaseFlag, 0, len(d.Flags))
	for _, f := range d.Flags {
		f.Flag = flagJSON(f.Flag)
		f.AddedAt = f.AddedAt.UTC()
		fs = append(fs, f)
	}
	ms := make([]event.MissingCaseFlag, 0, len(d.MissingFlags))
	for _, m := range d.MissingFlags {
		m.AddedAt = m.AddedAt.UTC()
		ms = append(ms, m)
	}
	d.Accounts, d.Flags, d.MissingFlags = as, fs, ms
	return d
}
