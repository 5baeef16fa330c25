package api

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Takedown requests: /api/v1/takedowns... (viewer reads, advocate
// changes). An advocate records each report sent to a platform and moves
// it through the funnel (sent, acknowledged, actioned, rejected,
// no_response) as the platform answers; every change is made as the
// caller's pseudonym, which the store writes to the request's history
// and its audit entry. The store checks everything again; the checks here
// are those that can name the field the caller got wrong.

// maxTakedownLimit is event.TakedownFilter's largest page, and that of
// the reappeared accounts.
const maxTakedownLimit = 1000

// maxClockSkew is how far in the future a sent_at or at may be: a little,
// for a clock that runs ahead of the server's; more is a mistyped date,
// which would make time to action wrong in every report that uses it.
const maxClockSkew = 5 * time.Minute

func (s *Server) takedownStore() (event.TakedownService, error) {
	if s.takedowns == nil {
		return nil, event.Errorf(event.EUNAVAILABLE, "this server tracks no takedown requests (no takedown store configured)")
	}
	return s.takedowns, nil
}

type takedownsResponse struct {
	Takedowns []event.Takedown `json:"takedowns"`
}

// handleListTakedowns serves GET /api/v1/takedowns.
func (s *Server) handleListTakedowns(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := parseQuery(r, "status", "platform", "case", "account", "limit", "offset")
	f := event.TakedownFilter{
		Status:   q.oneOf("status", event.TakedownStatuses...),
		Platform: q.string("platform"),
		CaseID:   positiveID(q, "case"),
		Account:  accountParam(q, "account"),
		Limit:    q.int("limit", 1, maxTakedownLimit),
		Offset:   q.int("offset", 0, math.MaxInt32),
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	ts, err := store.ListTakedowns(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := takedownsResponse{Takedowns: make([]event.Takedown, 0, len(ts))}
	for _, t := range ts {
		out.Takedowns = append(out.Takedowns, takedownJSON(t))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// positiveID returns the parameter as an id (a positive int64), or 0 when
// absent.
func positiveID(q *query, name string) int64 {
	v := q.string(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		q.fail("%s: %q is not an id (a positive integer)", name, v)
		return 0
	}
	return n
}

// accountParam reads an account named as PLATFORM/ID ("x/44"), nil when
// absent. It splits at the first slash: platform names have none, and an
// account ID keeps whatever follows, as in the path of
// /api/v1/accounts/{platform}/{id}.
func accountParam(q *query, name string) *event.AccountRef {
	v := q.string(name)
	if v == "" {
		return nil
	}
	platform, id, ok := strings.Cut(v, "/")
	if !ok || platform == "" || id == "" {
		q.fail("%s: %q is not PLATFORM/ID, such as x/44", name, v)
		return nil
	}
	return &event.AccountRef{Platform: platform, ID: id}
}

// handleCreateTakedown serves POST /api/v1/takedowns (advocate).
func (s *Server) handleCreateTakedown(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var n event.NewTakedown
	if err := decodeBody(r, &n); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkNewTakedown(n, time.Now()); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := store.CreateTakedown(r.Context(), n, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/takedowns/"+strconv.FormatInt(t.ID, 10))
	s.writeJSON(w, r, http.StatusCreated, takedownJSON(t))
}

// checkNewTakedown refuses what the store would refuse for want of a
// field, with the field's name; lengths and characters are the store's to
// check.
func checkNewTakedown(n event.NewTakedown, now time.Time) error {
	switch {
	case strings.TrimSpace(n.Platform) == "":
		return event.Errorf(event.EINVALID, "platform is required: the platform the request went to (meta, x, youtube, tiktok, telegram, ...)")
	case strings.TrimSpace(n.Channel) == "":
		return event.Errorf(event.EINVALID, "channel is required: how the request was sent (a portal, an email address, a form)")
	case n.CaseID < 0:
		return event.Errorf(event.EINVALID, "case_id: %d is not a case id", n.CaseID)
	case len(n.Accounts) == 0:
		return event.Errorf(event.EINVALID, "accounts: give at least one {\"platform\",\"id\"}")
	case len(n.Accounts) > event.MaxTakedownAccounts:
		return event.Errorf(event.EINVALID, "accounts: at most %d in one request", event.MaxTakedownAccounts)
	case n.SentAt.After(now.Add(maxClockSkew)):
		return event.Errorf(event.EINVALID, "sent_at %s is in the future", n.SentAt.UTC().Format(time.RFC3339))
	}
	for i, a := range n.Accounts {
		if a.Platform == "" || a.ID == "" {
			return event.Errorf(event.EINVALID, "accounts[%d]: platform and id are both required", i)
		}
		if j := slices.Index(n.Accounts[:i], a); j >= 0 {
			return event.Errorf(event.EINVALID, "accounts[%d]: %s/%s is accounts[%d] again", i, a.Platform, a.ID, j)
		}
	}
	return nil
}

// takedownID parses the {id} of a takedown route.
func takedownID(r *http.Request) (int64, error) { return pathID(r, "id", "takedown") }

// takedownRoute begins every /api/v1/takedowns/{id}... handler: the
// store and the request's id, or an error already written.
func (s *Server) takedownRoute(w http.ResponseWriter, r *http.Request) (event.TakedownService, int64, bool) {
	return idRoute(s, w, r, s.takedownStore, "takedown")
}

// handleGetTakedown serves GET /api/v1/takedowns/{id}.
func (s *Server) handleGetTakedown(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.takedownRoute(w, r)
	if !ok {
		return
	}
	t, err := store.GetTakedown(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, takedownJSON(t))
}

// handleUpdateTakedown serves POST /api/v1/takedowns/{id}/status
// (advocate): the platform's answer, or the lack of one.
func (s *Server) handleUpdateTakedown(w http.ResponseWriter, r *http.Request) {
	store, id, ok := s.takedownRoute(w, r)
	if !ok {
		return
	}
	var u event.TakedownUpdate
	if err := decodeBody(r, &u); err != nil {
		s.writeError(w, r, err)
		return
	}
	var err error
	switch {
	case u.Status == "":
		err = event.Errorf(event.EINVALID, "status is required: one of %s", strings.Join(event.TakedownStatuses, ", "))
	case !slices.Contains(event.TakedownStatuses, u.Status):
		err = event.Errorf(event.EINVALID, "status: %q is not one of %s", u.Status, strings.Join(event.TakedownStatuses, ", "))
	case u.At.After(time.Now().Add(maxClockSkew)):
		err = event.Errorf(event.EINVALID, "at %s is in the future", u.At.UTC().Format(time.RFC3339))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := store.UpdateTakedown(r.Context(), id, u, actor(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, takedownJSON(t))
}

type reappearedResponse struct {
	Reappeared []event.Reappearance `json:"reappeared"`
}

// handleReappeared serves GET /api/v1/takedowns/reappeared: accounts
// posting again after a platform actioned them, the evidence that a
// takedown did not hold.
func (s *Server) handleReappeared(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := parseQuery(r, "limit")
	limit := q.int("limit", 1, maxTakedownLimit)
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	rs, err := store.Reappeared(r.Context(), limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := reappearedResponse{Reappeared: make([]event.Reappearance, 0, len(rs))}
	for _, re := range rs {
		re.ActionedAt, re.LastSeen = re.ActionedAt.UTC(), re.LastSeen.UTC()
		if re.NewHandles == nil {
			re.NewHandles = []string{}
		}
		out.Reappeared = append(out.Reappeared, re)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleTakedownStats serves GET /api/v1/takedowns/stats.
func (s *Server) handleTakedownStats(w http.ResponseWriter, r *http.Request) {
	store, err := s.takedownStore()
	if err == nil {
		err = parseQuery(r).err
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := store.TakedownStats(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, takedownStatsJSON(st))
}

// The JSON forms: times in UTC, empty lists as [] and every status in
// by_status.

func takedownJSON(t event.Takedown) event.Takedown {
	t.SentAt, t.StatusAt, t.CreatedAt = t.SentAt.UTC(), t.StatusAt.UTC(), t.CreatedAt.UTC()
	if !t.ActionedAt.IsZero() {
		t.ActionedAt = t.ActionedAt.UTC()
	}
	if t.Accounts == nil {
		t.Accounts = []event.AccountRef{}
	}
	hs := make([]event.TakedownChange, 0, len(t.History))
	for _, c := range t.History {
		c.At = c.At.UTC()
		hs = append(hs, c)
	}
	t.History = hs
	return t
}

func takedownStatsJSON(st event.TakedownStats) event.TakedownStats {
	byStatus := make(map[string]int, len(event.TakedownStatuses))
	for _, status := range event.TakedownStatuses {
		byStatus[status] = 0
	}
	for status, n := range st.ByStatus {
		byStatus[status] = n
	}
	st.ByStatus = byStatus
	if st.TimeToAction == nil {
		st.TimeToAction = []float64{}
	}
	return st
}
