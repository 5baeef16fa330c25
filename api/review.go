package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// The review queue (monitors): claim a batch of flags under a lease,
// decide them one at a time or in bulk, give back what is left. The
// reviewer is always the caller's pseudonym, from the token, never from a
// body. Claiming from the escalated queue (the second-level review of
// escalated flags) is for admins.

// maxReleaseIDs bounds a release's body.
const maxReleaseIDs = 1000

func (s *Server) reviewService() (event.ReviewService, error) {
	if s.review == nil {
		return nil, event.Errorf(event.EUNAVAILABLE, "this server has no review queue (no store configured for it)")
	}
	return s.review, nil
}

// reviewer returns the caller's pseudonym, the name its decisions carry.
func reviewer(r *http.Request) (Principal, error) {
	p, _ := PrincipalFrom(r.Context())
	if p.Pseudonym == "" {
		return p, event.Errorf(event.EFORBIDDEN, "this token has no reviewer pseudonym: ask an admin for a monitor token")
	}
	return p, nil
}

type claimResponse struct {
	Flags          []event.Flag `json:"flags"`
	LeaseExpiresAt time.Time    `json:"lease_expires_at"`
}

// handleClaim is POST /api/v1/queue/claim (monitor).
func (s *Server) handleClaim(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req event.ClaimRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkClaim(&req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Status == event.StatusEscalated && !p.Allows(RoleAdmin) {
		s.writeError(w, r, event.Errorf(event.EFORBIDDEN, "the escalated queue is for admins"))
		return
	}
	c, err := review.Claim(r.Context(), p.Pseudonym, req.Limit, req.QueueFilter, req.Sort)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := claimResponse{Flags: make([]event.Flag, 0, len(c.Flags)), LeaseExpiresAt: c.LeaseExpiresAt.UTC()}
	for _, f := range c.Flags {
		out.Flags = append(out.Flags, flagJSON(f))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// checkClaim refuses a claim the queue would refuse, with the API's
// names for the fields.
func checkClaim(req *event.ClaimRequest) error {
	switch {
	case req.Limit < 0 || req.Limit > event.MaxClaimLimit:
		return event.Errorf(event.EINVALID, "limit: %d is not a whole number from 1 to %d", req.Limit, event.MaxClaimLimit)
	case !event.ValidSort(req.Sort):
		return event.Errorf(event.EINVALID, "sort: %q is not one of %s", req.Sort, strings.Join(event.Sorts, ", "))
	}
	return req.QueueFilter.Validate()
}

type releaseRequest struct {
	FlagIDs []int64 `json:"flag_ids"`
}

type releaseResponse struct {
	Released []int64 `json:"released"`
}

// handleRelease is POST /api/v1/queue/release (monitor).
func (s *Server) handleRelease(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req releaseRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.FlagIDs) == 0 || len(req.FlagIDs) > maxReleaseIDs {
		s.writeError(w, r, event.Errorf(event.EINVALID, "flag_ids: give 1 to %d flag ids", maxReleaseIDs))
		return
	}
	for _, id := range req.FlagIDs {
		if id <= 0 {
			s.writeError(w, r, event.Errorf(event.EINVALID, "flag_ids: %d is not a flag id", id))
			return
		}
	}
	released, err := review.Release(r.Context(), p.Pseudonym, req.FlagIDs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if released == nil {
		released = []int64{}
	}
	s.writeJSON(w, r, http.StatusOK, releaseResponse{Released: released})
}

// decisionBody is one decision as a monitor sends it. There is no
// reviewer field: a body naming one is refused as an unknown field.
type decisionBody struct {
	FlagID      int64  `json:"flag_id"`
	Decision    string `json:"decision"`
	Note        string `json:"note"`
	Translation string `json:"translation"`
}

type decisionRequest struct {
	Decision    string `json:"decision"`
	Note        string `json:"note"`
	Translation string `json:"translation"`
}

// handleDecide is POST /api/v1/flags/{id}/decision (monitor).
func (s *Server) handleDecide(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := pathID(r, "id", "flag")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body decisionRequest
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	req := event.DecisionRequest{FlagID: id, Decision: body.Decision, Note: body.Note,
		Translation: body.Translation, Reviewer: p.Pseudonym}
	if err := req.Validate(); err != nil {
		s.writeError(w, r, err)
		return
	}
	fl, err := review.Decide(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, flagJSON(fl))
}

type bulkRequest struct {
	Decisions []decisionBody `json:"decisions"`
}

// bulkResult is the outcome of one decision of a bulk: the flag, or the
// error as the API writes errors.
type bulkResult struct {
	FlagID int64       `json:"flag_id"`
	OK     bool        `json:"ok"`
	Flag   *event.Flag `json:"flag,omitempty"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type bulkResponse struct {
	Results []bulkResult `json:"results"`
}

// handleDecideBulk is POST /api/v1/decisions (monitor): 200 with a result
// per decision, in order, whatever each one's fate.
func (s *Server) handleDecideBulk(w http.ResponseWriter, r *http.Request) {
	review, err := s.reviewService()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := reviewer(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body bulkRequest
	if err := decodeBody(r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(body.Decisions) == 0 || len(body.Decisions) > event.MaxBulkDecisions {
		s.writeError(w, r, event.Errorf(event.EINVALID, "decisions: give 1 to %d decisions", event.MaxBulkDecisions))
		return
	}
	reqs := make([]event.DecisionRequest, len(body.Decisions))
	for i, d := range body.Decisions {
		reqs[i] = event.DecisionRequest{FlagID: d.FlagID, Decision: d.Decision, Note: d.Note,
			Translation: d.Translation, Reviewer: p.Pseudonym}
	}
	results, err := review.DecideBulk(r.Context(), reqs)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := bulkResponse{Results: make([]bulkResult, 0, len(results))}
	for _, res := range results {
		b := bulkResult{FlagID: res.FlagID}
		switch {
		case res.Err != nil:
			code := event.ErrorCode(res.Err)
			if errorStatus(code) == http.StatusInternalServerError {
				s.log.ErrorContext(r.Context(), "api bulk decision failed", "route", r.Pattern, "flag", res.FlagID, "err", res.Err)
				code = event.EINTERNAL
			}
			b.Error = &struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{code, event.ErrorMessage(res.Err)}
		case res.Flag != nil:
			fl := flagJSON(*res.Flag)
			b.OK, b.Flag = true, &fl
		}
		out.Results = append(out.Results, b)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// Query parameters of GET /api/v1/flags beyond query.go's kinds.

// score returns the parameter as a non-negative number, or 0 when absent.
func (q *query) score(name string) float64 {
	v := q.values.Get(name)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != f || f > 1e9 {
		q.fail("%s: %q is not a non-negative number", name, v)
		return 0
	}
	return f
}

// rfc3339 returns the parameter as a time, or the zero time when absent.
func (q *query) rfc3339(name string) time.Time {
	v := q.values.Get(name)
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		q.fail("%s: %q is not an RFC 3339 time such as 2026-11-01T08:00:00Z", name, v)
		return time.Time{}
	}
	return t
}
