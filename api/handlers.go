package api

import (
	"context"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// Paging limits, as event.AccountFilter and event.FlagFilter define them.
const (
	maxAccountLimit = 1000
	// defaultAccountLimit is the store's page when a request names none.
	defaultAccountLimit = 100
	maxFlagLimit        = 500
)

// readyTimeout bounds one readiness check, well under a probe's timeout.
const readyTimeout = 2 * time.Second

type accountsResponse struct {
	Accounts []event.Account `json:"accounts"`
	// Next is the cursor of the page after this one, "" after the last.
	Next string `json:"next"`
}

// The accounts cursor is the last account's position, opaque to clients:
// base64url of "flag_count|last_seen|platform|id" (a platform has no '|';
// the id, last, may).
func encodeAccountCursor(c *event.AccountCursor) string {
	raw := strconv.Itoa(c.FlagCount) + "|" + c.LastSeen.UTC().Format(time.RFC3339Nano) + "|" + c.Platform + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeAccountCursor(s string) (*event.AccountCursor, error) {
	bad := event.Errorf(event.EINVALID, "after %q is not a cursor this API gave (use the next of the page before)", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.SplitN(string(b), "|", 4)
	if len(parts) != 4 {
		return nil, bad
	}
	n, err1 := strconv.Atoi(parts[0])
	t, err2 := time.Parse(time.RFC3339Nano, parts[1])
	if err1 != nil || err2 != nil || n < 0 {
		return nil, bad
	}
	return &event.AccountCursor{FlagCount: n, LastSeen: t, Platform: parts[2], ID: parts[3]}, nil
}

// handleAccounts serves GET /api/v1/accounts.
func (s *Server) handleAccounts(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "flagged", "platform", "list", "limit", "offset", "after")
	f := event.AccountFilter{
		Flagged:  q.bool("flagged"),
		Platform: q.string("platform"),
		List:     q.string("list"),
		Limit:    q.int("limit", 1, maxAccountLimit),
		Offset:   q.int("offset", 0, math.MaxInt32),
	}
	if after := q.string("after"); after != "" && q.err == nil {
		f.After, q.err = decodeAccountCursor(after)
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	accounts, err := s.read.ListAccounts(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := accountsResponse{Accounts: make([]event.Account, 0, len(accounts))}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, accountJSON(a))
	}
	limit := f.Limit
	if limit == 0 {
		limit = defaultAccountLimit
	}
	if len(accounts) >= limit && len(accounts) > 0 {
		out.Next = encodeAccountCursor(event.CursorOf(accounts[len(accounts)-1]))
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

type flagsResponse struct {
	Flags []event.Flag `json:"flags"`
	// Next is the cursor of the next page as a string (an int64 does not
	// survive a JavaScript number), empty after the last page.
	Next string `json:"next"`
}

// handleFlags serves GET /api/v1/flags.
func (s *Server) handleFlags(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r, "platform", "category", "status", "author", "list", "region", "group", "min_score",
		"since", "until", "sort", "limit", "after")
	f := event.FlagFilter{
		Platform: q.string("platform"),
		Category: q.string("category"),
		Status: q.oneOf("status", event.StatusPending, event.StatusClaimed,
			event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated),
		AuthorID: q.string("author"),
		List:     q.string("list"),
		Region:   q.string("region"),
		Group:    q.string("group"),
		MinScore: q.score("min_score"),
		Since:    q.rfc3339("since"),
		Until:    q.rfc3339("until"),
		Sort:     q.oneOf("sort", event.Sorts...),
		Limit:    q.int("limit", 1, maxFlagLimit),
		After:    q.int64("after"),
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	flags, next, err := s.read.ListFlags(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := flagsResponse{Flags: make([]event.Flag, 0, len(flags))}
	for _, fl := range flags {
		out.Flags = append(out.Flags, flagJSON(fl))
	}
	if next != 0 {
		out.Next = strconv.FormatInt(next, 10)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// postResponse is a stored post with its raw payload also as text, when it
// is text, so that a person can read what was captured without decoding
// base64. Raw stays, byte for byte, for checking against raw_sha256.
type postResponse struct {
	event.StoredPost
	RawText string `json:"raw_text,omitempty"`
}

// handlePost serves GET /api/v1/posts/{platform}/{id}.
func (s *Server) handlePost(w http.ResponseWriter, r *http.Request) {
	if err := parseQuery(r).err; err != nil {
		s.writeError(w, r, err)
		return
	}
	platform, id := r.PathValue("platform"), r.PathValue("id")
	p, err := s.read.FindPost(r.Context(), platform, id)
	if err == nil && p == nil {
		err = event.Errorf(event.ENOTFOUND, "post %s/%s not found", platform, id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := postResponse{StoredPost: storedPostJSON(*p)}
	if len(p.Raw) > 0 && utf8.Valid(p.Raw) {
		out.RawText = string(p.Raw)
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleNotFound answers, in JSON, for a path under /api/v1/ that is no
// route.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, event.Errorf(event.ENOTFOUND, "no such API route"))
}

// handleOpenAPI serves the OpenAPI document.
func (s *Server) handleOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPI)
}

// handleHealthz says that the process is serving: a liveness probe.
func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// handleReadyz says whether the role can serve reads: a readiness probe.
// The reason of a failure is shown so that an operator can act on it.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
	}
	var b strings.Builder
	b.WriteString("ready\n")
	if s.detail != nil {
		for _, d := range s.detail() {
			b.WriteString("degraded: " + d + "\n")
		}
	}
	_, _ = w.Write([]byte(b.String()))
}

// The functions below put what the store returned into the API's JSON
// form: times in UTC and lists that are empty as [] rather than null. They
// work on copies, so that a store handing out shared values is safe.

func accountJSON(a event.Account) event.Account {
	a.FirstSeen, a.LastSeen = a.FirstSeen.UTC(), a.LastSeen.UTC()
	if a.Categories == nil {
		a.Categories = map[string]int{}
	}
	return a
}

func flagJSON(f event.Flag) event.Flag {
	f.CreatedAt, f.PostCreatedAt = f.CreatedAt.UTC(), f.PostCreatedAt.UTC()
	f.LeaseExpiresAt = f.LeaseExpiresAt.UTC()
	if f.Decision != nil {
		d := *f.Decision
		d.DecidedAt = d.DecidedAt.UTC()
		f.Decision = &d
	}
	if f.Categories == nil {
		f.Categories = []string{}
	}
	if f.Matches == nil {
		f.Matches = []event.Match{}
	}
	return f
}

func postJSON(p event.Post) event.Post {
	p.CreatedAt, p.CapturedAt = p.CreatedAt.UTC(), p.CapturedAt.UTC()
	return p
}

func storedPostJSON(p event.StoredPost) event.StoredPost {
	p.Post = postJSON(p.Post)
	p.StoredAt = p.StoredAt.UTC()
	if p.Verdict != nil {
		v := *p.Verdict
		v.Post = postJSON(v.Post)
		v.ClassifiedAt = v.ClassifiedAt.UTC()
		p.Verdict = &v
	}
	return p
}
