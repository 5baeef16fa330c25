package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// memReview is an in-memory event.ReviewService: it hands out the flags
// it holds and remembers what the API asked of it. Flag 404 is not
// found; flag 409 is someone else's.
type memReview struct {
	mu        sync.Mutex
	flags     []event.Flag
	claims    []claimCall
	released  []int64
	decisions []event.DecisionRequest
	bulks     int
}

type claimCall struct {
	reviewer string
	limit    int
	filter   event.QueueFilter
	sort     string
}

var _ event.ReviewService = (*memReview)(nil)

var leaseEnd = time.Date(2026, 11, 1, 15, 0, 0, 0, yangon)

func (m *memReview) Claim(_ context.Context, reviewer string, limit int, f event.QueueFilter, sort string) (event.Claim, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = append(m.claims, claimCall{reviewer, limit, f, sort})
	if limit == 0 {
		limit = event.DefaultClaimLimit
	}
	c := event.Claim{LeaseExpiresAt: leaseEnd}
	for _, fl := range m.flags[:min(limit, len(m.flags))] {
		fl.Status, fl.ClaimedBy, fl.LeaseExpiresAt = event.StatusClaimed, reviewer, leaseEnd
		c.Flags = append(c.Flags, fl)
	}
	return c, nil
}

func (m *memReview) Release(_ context.Context, _ string, ids []int64) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.released = append(m.released, ids...)
	var out []int64
	for _, id := range ids {
		if id != 409 {
			out = append(out, id)
		}
	}
	return out, nil
}

func (m *memReview) decide(r event.DecisionRequest) (event.Flag, error) {
	m.decisions = append(m.decisions, r)
	switch r.FlagID {
	case 404:
		return event.Flag{}, event.Errorf(event.ENOTFOUND, "flag %d not found", r.FlagID)
	case 409:
		return event.Flag{}, event.Errorf(event.ECONFLICT, "flag %d is claimed by another monitor", r.FlagID)
	case 500:
		return event.Flag{}, context.DeadlineExceeded
	}
	fl := event.Flag{ID: r.FlagID, Platform: "x", PostID: "p1", AuthorID: "44", Score: 3,
		Lexicon: "example@2026-11-26", Pipeline: "test", Status: event.DecisionStatus(r.Decision),
		CreatedAt: leaseEnd.Add(-time.Hour),
		Decision: &event.Decision{FlagID: r.FlagID, Decision: r.Decision, Note: r.Note, Translation: r.Translation,
			Reviewer: r.Reviewer, DecidedAt: leaseEnd.Add(-time.Minute)}}
	return fl, nil
}

func (m *memReview) Decide(_ context.Context, r event.DecisionRequest) (event.Flag, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := r.Validate(); err != nil {
		return event.Flag{}, err
	}
	return m.decide(r)
}

func (m *memReview) DecideBulk(_ context.Context, rs []event.DecisionRequest) ([]event.DecisionResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bulks++
	out := make([]event.DecisionResult, len(rs))
	for i, r := range rs {
		out[i].FlagID = r.FlagID
		if err := r.Validate(); err != nil {
			out[i].Err = err
			continue
		}
		fl, err := m.decide(r)
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Flag = &fl
	}
	return out, nil
}

// reviewFixture is a server with the queue and tokens of every role; it
// returns the server, the queue and each role's Authorization header and
// pseudonym.
func reviewFixture(t *testing.T) (*fixture, *memReview, map[string]string, map[string]string) {
	t.Helper()
	tokens := newMemTokens()
	auth, pseudonyms := map[string]string{}, map[string]string{}
	for _, role := range event.Roles {
		tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: role})
		auth[role], pseudonyms[role] = "Bearer "+secret, tok.Pseudonym
	}
	review := &memReview{}
	for id := int64(1); id <= 3; id++ {
		review.flags = append(review.flags, event.Flag{ID: id, Platform: "x", PostID: "p", AuthorID: "44",
			Score: float64(4 - id), Categories: []string{"hate"}, Lexicon: "example@2026-11-26", Pipeline: "test",
			Status: event.StatusPending, CreatedAt: leaseEnd.Add(-time.Hour)})
	}
	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, adminToken)
		d.Review = review
	})
	return f, review, auth, pseudonyms
}

func TestQueueClaim(t *testing.T) {
	f, review, auth, pseudonyms := reviewFixture(t)
	resp, body := f.do(t, "POST", "/api/v1/queue/claim", auth[event.RoleMonitor],
		`{"limit":2,"category":"hate","platform":"x","list":"watch","region":"sagaing","group":"journalists","min_score":1.5,
		"since":"2026-11-01T00:00:00Z","until":"2026-11-02T00:00:00+06:30","sort":"age"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("claim: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Flags          []event.Flag `json:"flags"`
		LeaseExpiresAt string       `json:"lease_expires_at"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Flags) != 2 || got.LeaseExpiresAt != "2026-11-01T08:30:00Z" ||
		got.Flags[0].ClaimedBy != pseudonyms[event.RoleMonitor] || got.Flags[0].Status != event.StatusClaimed {
		t.Fatalf("claim: %s", body)
	}
	call := review.claims[0]
	want := event.QueueFilter{Category: "hate", Platform: "x", List: "watch", Region: "sagaing", Group: "journalists", MinScore: 1.5,
		Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC)}
	if call.reviewer != pseudonyms[event.RoleMonitor] || call.limit != 2 || call.sort != event.SortAge ||
		!call.filter.Since.Equal(want.Since) || !call.filter.Until.Equal(want.Until) {
		t.Errorf("claim call %+v", call)
	}
	call.filter.Since, call.filter.Until, want.Since, want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if call.filter != want {
		t.Errorf("filter %+v, want %+v", call.filter, want)
	}

	// An empty body claims with the defaults; an empty queue is [].
	review.flags = nil
	resp, body = f.do(t, "POST", "/api/v1/queue/claim", auth[event.RoleMonitor], `{}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"flags":[]`) {
		t.Fatalf("empty claim: %d %s", resp.StatusCode, body)
	}
	if c := review.claims[1]; c.limit != 0 || c.sort != "" || c.filter != (event.QueueFilter{}) {
		t.Errorf("default claim call %+v", c)
	}

	for _, bad := range []struct{ body, want string }{
		{`{"limit":101}`, "limit"},
		{`{"limit":-1}`, "limit"},
		{`{"sort":"random"}`, "sort"},
		{`{"status":"confirmed"}`, "status"},
		{`{"min_score":-1}`, "min_score"},
		{`{"since":"yesterday"}`, "malformed"},
		{`{"since":"2026-11-02T00:00:00Z","until":"2026-11-01T00:00:00Z"}`, "since must be before until"},
		{`{"reviewer":"someone-else"}`, "unknown field"},
		{``, "JSON body is required"},
	} {
		resp, body := f.do(t, "POST", "/api/v1/queue/claim", auth[event.RoleMonitor], bad.body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("claim %s: %d %s, want 400", bad.body, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.EINVALID, bad.want)
	}
	if len(review.claims) != 2 {
		t.Errorf("%d claims reached the queue, want the 2 valid ones", len(review.claims))
	}

	// The escalated queue is for admins.
	resp, body = f.do(t, "POST", "/api/v1/queue/claim", auth[event.RoleMonitor], `{"status":"escalated"}`)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a monitor claims escalated flags: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/api/v1/queue/claim", auth[event.RoleAdmin], `{"status":"escalated"}`)
	if resp.StatusCode != http.StatusOK || review.claims[2].reviewer != pseudonyms[event.RoleAdmin] ||
		review.claims[2].filter.Status != event.StatusEscalated {
		t.Errorf("an admin claims escalated flags: %d %s (%+v)", resp.StatusCode, body, review.claims)
	}
	// Viewers and advocates do not claim.
	for _, role := range []string{event.RoleViewer, event.RoleAdvocate} {
		if resp, _ := f.do(t, "POST", "/api/v1/queue/claim", auth[role], `{}`); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s claims: %d, want 403", role, resp.StatusCode)
		}
	}
}

func TestQueueRelease(t *testing.T) {
	f, review, auth, _ := reviewFixture(t)
	resp, body := f.do(t, "POST", "/api/v1/queue/release", auth[event.RoleMonitor], `{"flag_ids":[3,409,1]}`)
	if resp.StatusCode != http.StatusOK || string(body) != `{"released":[3,1]}`+"\n" {
		t.Fatalf("release: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/api/v1/queue/release", auth[event.RoleMonitor], `{"flag_ids":[409]}`)
	if resp.StatusCode != http.StatusOK || string(body) != `{"released":[]}`+"\n" {
		t.Fatalf("release of nothing held: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"flag_ids":[]}`, `{"flag_ids":[0]}`, `{"flag_ids":["1"]}`, `{}`,
		`{"flag_ids":[` + strings.Repeat("1,", 1000) + `1]}`} {
		if resp, body := f.do(t, "POST", "/api/v1/queue/release", auth[event.RoleMonitor], bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("release %.40s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
	if len(review.released) != 4 {
		t.Errorf("released %v", review.released)
	}
}

func TestDecide(t *testing.T) {
	f, review, auth, pseudonyms := reviewFixture(t)
	resp, body := f.do(t, "POST", "/api/v1/flags/7/decision", auth[event.RoleMonitor],
		`{"decision":"confirm","note":"synthetic note","translation":"synthetic translation"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decide: %d %s", resp.StatusCode, body)
	}
	var fl event.Flag
	if err := json.Unmarshal(body, &fl); err != nil {
		t.Fatal(err)
	}
	if fl.ID != 7 || fl.Status != event.StatusConfirmed || fl.Decision == nil || fl.Decision.Translation != "synthetic translation" ||
		fl.Decision.DecidedAt.Location() != time.UTC {
		t.Fatalf("decided flag %s", body)
	}
	if d := review.decisions[0]; d.Reviewer != pseudonyms[event.RoleMonitor] || d.FlagID != 7 || d.Note != "synthetic note" {
		t.Errorf("decision passed on: %+v", d)
	}
	// The reviewer comes from the token, never the body.
	resp, body = f.do(t, "POST", "/api/v1/flags/7/decision", auth[event.RoleMonitor], `{"decision":"dismiss","reviewer":"someone-else"}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a body naming the reviewer: %d %s", resp.StatusCode, body)
	}
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/api/v1/flags/404/decision", `{"decision":"confirm"}`, 404, event.ENOTFOUND},
		{"/api/v1/flags/409/decision", `{"decision":"escalate"}`, 409, event.ECONFLICT},
		{"/api/v1/flags/7/decision", `{"decision":"approve"}`, 400, event.EINVALID},
		{"/api/v1/flags/7/decision", `{"note":"no decision"}`, 400, event.EINVALID},
		{"/api/v1/flags/7/decision", `{"decision":"confirm","note":"` + strings.Repeat("n", event.MaxDecisionNoteBytes+1) + `"}`, 400, event.EINVALID},
		{"/api/v1/flags/0/decision", `{"decision":"confirm"}`, 400, event.EINVALID},
		{"/api/v1/flags/x1/decision", `{"decision":"confirm"}`, 400, event.EINVALID},
	} {
		resp, body := f.do(t, "POST", c.path, auth[event.RoleMonitor], c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s %.50s: %d %s, want %d", c.path, c.body, resp.StatusCode, body, c.status)
			continue
		}
		checkError(t, body, c.code, "")
	}
	if n := len(review.decisions); n != 3 {
		t.Errorf("%d decisions reached the queue, want 3 (the valid ones)", n)
	}
}

func TestDecideBulk(t *testing.T) {
	f, review, auth, pseudonyms := reviewFixture(t)
	resp, body := f.do(t, "POST", "/api/v1/decisions", auth[event.RoleMonitor], `{"decisions":[
		{"flag_id":1,"decision":"confirm","translation":"synthetic"},
		{"flag_id":409,"decision":"dismiss"},
		{"flag_id":2,"decision":"maybe"},
		{"flag_id":500,"decision":"dismiss"},
		{"flag_id":3,"decision":"escalate","note":"synthetic"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("bulk: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Results []struct {
			FlagID int64       `json:"flag_id"`
			OK     bool        `json:"ok"`
			Flag   *event.Flag `json:"flag"`
			Error  *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id   int64
		code string
	}{{1, ""}, {409, event.ECONFLICT}, {2, event.EINVALID}, {500, event.EINTERNAL}, {3, ""}}
	if len(got.Results) != len(want) {
		t.Fatalf("results %s", body)
	}
	for i, w := range want {
		r := got.Results[i]
		ok := w.code == ""
		if r.FlagID != w.id || r.OK != ok || (r.Flag != nil) != ok || (r.Error != nil) == ok ||
			!ok && r.Error.Code != w.code {
			t.Errorf("result %d: %+v, want %+v", i, r, w)
		}
	}
	if msg := got.Results[3].Error.Message; msg != "internal error" {
		t.Errorf("an internal error's detail reached the caller: %q", msg)
	}
	for _, d := range review.decisions {
		if d.Reviewer != pseudonyms[event.RoleMonitor] {
			t.Errorf("decision by %q", d.Reviewer)
		}
	}
	for _, bad := range []string{`{"decisions":[]}`, `{}`, `{"decisions":[{"flag_id":1,"decision":"confirm","reviewer":"x"}]}`,
		`{"decisions":[` + strings.Repeat(`{"flag_id":1,"decision":"confirm"},`, 100) + `{"flag_id":1,"decision":"confirm"}]}`} {
		if resp, body := f.do(t, "POST", "/api/v1/decisions", auth[event.RoleMonitor], bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("bulk %.50s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
	if review.bulks != 1 {
		t.Errorf("%d bulks reached the queue, want 1", review.bulks)
	}
}

// TestQueueWithoutReview: a server without a queue answers its routes 503.
func TestQueueWithoutReview(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ path, body string }{
		{"/api/v1/queue/claim", `{}`},
		{"/api/v1/queue/release", `{"flag_ids":[1]}`},
		{"/api/v1/flags/1/decision", `{"decision":"confirm"}`},
		{"/api/v1/decisions", `{"decisions":[{"flag_id":1,"decision":"confirm"}]}`},
	} {
		resp, body := f.do(t, "POST", c.path, "Bearer "+adminToken, c.body)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d %s, want 503", c.path, resp.StatusCode, body)
		}
	}
}

// TestFlagsQueryFilters: GET /api/v1/flags passes the new filters and sort
// on, and refuses bad values.
func TestFlagsQueryFilters(t *testing.T) {
	f := newFixture(t)
	f.getJSON(t, "/api/v1/flags?list=watch&region=sagaing&group=journalists&min_score=2.5&since=2026-11-01T00:00:00Z&until=2026-11-02T06:30:00%2B06:30&sort=severity", 200, nil)
	_, got, _ := f.store.filters()
	if got.List != "watch" || got.Region != "sagaing" || got.Group != "journalists" || got.MinScore != 2.5 || got.Sort != event.SortSeverity ||
		!got.Since.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || !got.Until.Equal(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("filter passed on: %+v", got)
	}
	for _, bad := range []string{"min_score=-1", "min_score=lots", "since=yesterday", "until=2026-11-01", "sort=random"} {
		resp, body := f.get(t, "/api/v1/flags?"+bad, "Bearer "+adminToken)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", bad, resp.StatusCode, body)
		}
	}
}
