package api_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// memTakedowns is an in-memory event.TakedownService with the store's
// rules (store/sqlstore/takedowns.go): required and one-line fields,
// accounts, packs and cases that must exist, no move to the status a
// request has, no time before the request was sent, actioned_at kept only
// while actioned, and reappearance judged by capture time after the latest
// action. It hands out times in Yangon's zone so that the tests see the
// API turn them into UTC, and records each change as "actor change id" in
// log, as the store's audit log would.
type memTakedowns struct {
	mu        sync.Mutex
	handles   map[event.AccountRef]string               // each known account's handle now
	firstSeen map[event.AccountRef]map[string]time.Time // when each of its handles was first seen
	captures  []memCapture
	packs     map[string]bool
	cases     map[int64]bool
	takedowns []*event.Takedown // by id - 1
	atRequest []map[event.AccountRef]string
	log       []string
	statsErr  error // returned by TakedownStats when set
}

// memCapture is a post of an account captured at a time.
type memCapture struct {
	account event.AccountRef
	at      time.Time
}

var _ event.TakedownService = (*memTakedowns)(nil)

// takedownEpoch is when the synthetic accounts were first seen.
var takedownEpoch = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

func newMemTakedowns() *memTakedowns {
	m := &memTakedowns{
		handles:   map[event.AccountRef]string{},
		firstSeen: map[event.AccountRef]map[string]time.Time{},
		packs:     map[string]bool{"pack-7f3a": true},
		cases:     map[int64]bool{1: true},
	}
	m.capture(event.AccountRef{Platform: "x", ID: "44"}, "someone", takedownEpoch)
	m.capture(event.AccountRef{Platform: "x", ID: "45"}, "another_synthetic", takedownEpoch)
	m.capture(event.AccountRef{Platform: "mastodon", ID: "7"}, "", takedownEpoch)
	return m
}

// capture records a post of account, under handle, captured at.
func (m *memTakedowns) capture(account event.AccountRef, handle string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handles[account] = handle
	if m.firstSeen[account] == nil {
		m.firstSeen[account] = map[string]time.Time{}
	}
	if _, ok := m.firstSeen[account][handle]; !ok && handle != "" {
		m.firstSeen[account][handle] = at
	}
	m.captures = append(m.captures, memCapture{account, at})
}

func (m *memTakedowns) setStatsErr(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.statsErr = err
}

func (m *memTakedowns) changes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

func memOneLine(name, v string, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return event.Errorf(event.EINVALID, "%s is required", name)
	case len(v) > event.MaxTakedownTextBytes:
		return event.Errorf(event.EINVALID, "%s is longer than %d bytes", name, event.MaxTakedownTextBytes)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return event.Errorf(event.EINVALID, "%s holds a control character (a line break?)", name)
	}
	return nil
}

func memNote(note string) error {
	if len(note) > event.MaxTakedownTextBytes {
		return event.Errorf(event.EINVALID, "note is longer than %d bytes", event.MaxTakedownTextBytes)
	}
	if strings.IndexFunc(note, func(r rune) bool { return unicode.IsControl(r) && !strings.ContainsRune("\n\r\t", r) }) >= 0 {
		return event.Errorf(event.EINVALID, "note holds a control character")
	}
	return nil
}

func (m *memTakedowns) CreateTakedown(_ context.Context, n event.NewTakedown, by string) (event.Takedown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, err := range []error{
		memOneLine("platform", n.Platform, true), memOneLine("channel", n.Channel, true),
		memOneLine("reference", n.Reference, false), memNote(n.Note),
	} {
		if err != nil {
			return event.Takedown{}, err
		}
	}
	switch {
	case n.CaseID < 0:
		return event.Takedown{}, event.Errorf(event.EINVALID, "case id %d must be positive", n.CaseID)
	case len(n.Accounts) == 0:
		return event.Takedown{}, event.Errorf(event.EINVALID, "a takedown request names at least one account")
	case len(n.Accounts) > event.MaxTakedownAccounts:
		return event.Takedown{}, event.Errorf(event.EINVALID, "%d accounts: at most %d in one request", len(n.Accounts), event.MaxTakedownAccounts)
	case n.PackID != "" && !m.packs[n.PackID]:
		return event.Takedown{}, event.Errorf(event.ENOTFOUND, "pack %s not found", n.PackID)
	case n.CaseID != 0 && !m.cases[n.CaseID]:
		return event.Takedown{}, event.Errorf(event.ENOTFOUND, "case %d not found", n.CaseID)
	}
	handles := map[event.AccountRef]string{}
	for _, a := range n.Accounts {
		if _, dup := handles[a]; dup {
			return event.Takedown{}, event.Errorf(event.EINVALID, "account %s/%s is named twice", a.Platform, a.ID)
		}
		h, ok := m.handles[a]
		if !ok {
			return event.Takedown{}, event.Errorf(event.ENOTFOUND, "account %s/%s not found", a.Platform, a.ID)
		}
		handles[a] = h
	}
	if by == "" {
		by = event.AuditActorSystem
	}
	now := time.Now().In(yangon)
	sent := n.SentAt
	if sent.IsZero() {
		sent = now
	}
	sent = sent.In(yangon)
	accounts := slices.Clone(n.Accounts)
	slices.SortFunc(accounts, func(a, b event.AccountRef) int {
		return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.ID, b.ID))
	})
	t := &event.Takedown{
		ID: int64(len(m.takedowns) + 1), Platform: n.Platform, Channel: n.Channel, PackID: n.PackID, CaseID: n.CaseID,
		Accounts: accounts, SentAt: sent, Reference: n.Reference, Status: event.TakedownSent, StatusAt: sent,
		CreatedBy: by, CreatedAt: now,
		History: []event.TakedownChange{{Status: event.TakedownSent, At: sent, By: by, Note: n.Note}},
	}
	m.takedowns = append(m.takedowns, t)
	m.atRequest = append(m.atRequest, handles)
	m.log = append(m.log, by+" create "+strconv.FormatInt(t.ID, 10))
	return clone(t), nil
}

func clone(t *event.Takedown) event.Takedown {
	c := *t
	c.Accounts, c.History = slices.Clone(t.Accounts), slices.Clone(t.History)
	return c
}

func (m *memTakedowns) find(id int64) (*event.Takedown, error) {
	if id < 1 || int(id) > len(m.takedowns) {
		return nil, event.Errorf(event.ENOTFOUND, "takedown %d not found", id)
	}
	return m.takedowns[id-1], nil
}

func (m *memTakedowns) UpdateTakedown(_ context.Context, id int64, u event.TakedownUpdate, by string) (event.Takedown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.Contains(event.TakedownStatuses, u.Status) {
		return event.Takedown{}, event.Errorf(event.EINVALID, "unknown takedown status %q", u.Status)
	}
	if u.Reference != nil {
		if err := memOneLine("reference", *u.Reference, false); err != nil {
			return event.Takedown{}, err
		}
	}
	if err := memNote(u.Note); err != nil {
		return event.Takedown{}, err
	}
	t, err := m.find(id)
	if err != nil {
		return event.Takedown{}, err
	}
	if u.Status == t.Status {
		return event.Takedown{}, event.Errorf(event.EINVALID, "takedown %d is already %s", id, t.Status)
	}
	if by == "" {
		by = event.AuditActorSystem
	}
	at := u.At
	if at.IsZero() {
		at = time.Now()
	}
	at = at.In(yangon)
	if at.Before(t.SentAt) {
		return event.Takedown{}, event.Errorf(event.EINVALID, "at %s is before the request was sent (%s)",
			at.UTC().Format(time.RFC3339), t.SentAt.UTC().Format(time.RFC3339))
	}
	t.Status, t.StatusAt = u.Status, at
	t.ActionedAt, t.TimeToActionSeconds = time.Time{}, 0
	if u.Status == event.TakedownActioned {
		t.ActionedAt, t.TimeToActionSeconds = at, at.Sub(t.SentAt).Seconds()
	}
	if u.Reference != nil {
		t.Reference = *u.Reference
	}
	t.History = append(t.History, event.TakedownChange{Status: u.Status, At: at, By: by, Note: u.Note})
	m.log = append(m.log, by+" "+u.Status+" "+strconv.FormatInt(id, 10))
	return clone(t), nil
}

func (m *memTakedowns) GetTakedown(_ context.Context, id int64) (event.Takedown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.find(id)
	if err != nil {
		return event.Takedown{}, err
	}
	return clone(t), nil
}

func (m *memTakedowns) ListTakedowns(_ context.Context, f event.TakedownFilter) ([]event.Takedown, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case f.Limit < 0 || f.Offset < 0 || f.CaseID < 0:
		return nil, event.Errorf(event.EINVALID, "negative limit, offset or case id")
	case f.Status != "" && !slices.Contains(event.TakedownStatuses, f.Status):
		return nil, event.Errorf(event.EINVALID, "unknown takedown status %q", f.Status)
	case f.Account != nil && (f.Account.Platform == "" || f.Account.ID == ""):
		return nil, event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	var out []event.Takedown
	for _, t := range m.takedowns {
		switch {
		case f.Status != "" && t.Status != f.Status,
			f.Platform != "" && t.Platform != f.Platform,
			f.CaseID != 0 && t.CaseID != f.CaseID,
			f.Account != nil && !slices.Contains(t.Accounts, *f.Account):
			continue
		}
		out = append(out, clone(t))
	}
	slices.SortFunc(out, func(a, b event.Takedown) int {
		return cmp.Or(b.SentAt.Compare(a.SentAt), cmp.Compare(b.ID, a.ID))
	})
	out = out[min(f.Offset, len(out)):]
	return out[:min(limit, len(out))], nil
}

// reappeared lists every reappearance, most recently seen first; the
// caller holds m.mu.
func (m *memTakedowns) reappeared() []event.Reappearance {
	// The latest actioned request naming each account (ties: the highest id).
	last := map[event.AccountRef]*event.Takedown{}
	for _, t := range m.takedowns {
		if t.Status != event.TakedownActioned {
			continue
		}
		for _, a := range t.Accounts {
			if l, ok := last[a]; !ok || !t.ActionedAt.Before(l.ActionedAt) {
				last[a] = t
			}
		}
	}
	var out []event.Reappearance
	for a, t := range last {
		r := event.Reappearance{Account: a, TakedownID: t.ID, ActionedAt: t.ActionedAt,
			HandleAtAction: m.atRequest[t.ID-1][a], Handle: m.handles[a], NewHandles: []string{}}
		for _, c := range m.captures {
			if c.account == a && c.at.After(t.ActionedAt) {
				r.PostsSince++
				if c.at.After(r.LastSeen) {
					r.LastSeen = c.at
				}
			}
		}
		if r.PostsSince == 0 {
			continue
		}
		for h, seen := range m.firstSeen[a] {
			if seen.After(t.ActionedAt) {
				r.NewHandles = append(r.NewHandles, h)
			}
		}
		slices.SortFunc(r.NewHandles, func(x, y string) int {
			return cmp.Or(m.firstSeen[a][x].Compare(m.firstSeen[a][y]), strings.Compare(x, y))
		})
		r.ActionedAt, r.LastSeen = r.ActionedAt.In(yangon), r.LastSeen.In(yangon)
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y event.Reappearance) int {
		return cmp.Or(y.LastSeen.Compare(x.LastSeen), strings.Compare(x.Account.Platform, y.Account.Platform),
			strings.Compare(x.Account.ID, y.Account.ID))
	})
	return out
}

func (m *memTakedowns) Reappeared(_ context.Context, limit int) ([]event.Reappearance, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if limit < 0 {
		return nil, event.Errorf(event.EINVALID, "limit %d must not be negative", limit)
	}
	if limit == 0 {
		limit = 100
	}
	out := m.reappeared()
	return out[:min(limit, 1000, len(out))], nil
}

// TakedownStats leaves statuses with no request out of ByStatus, which a
// store may do: the API must fill them in.
func (m *memTakedowns) TakedownStats(context.Context) (event.TakedownStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.statsErr != nil {
		return event.TakedownStats{}, m.statsErr
	}
	st := event.TakedownStats{ByStatus: map[string]int{}, Reappeared: len(m.reappeared())}
	for _, t := range m.takedowns {
		st.ByStatus[t.Status]++
		if t.Status == event.TakedownActioned {
			st.TimeToAction = append(st.TimeToAction, t.TimeToActionSeconds)
		}
	}
	return st, nil
}

// takedownFixture is a server with takedowns and store tokens of every
// role; it returns the Authorization values by role and each role's
// pseudonym.
func takedownFixture(t *testing.T) (*fixture, *memTakedowns, map[string]string, map[string]string) {
	t.Helper()
	tokens := newMemTokens()
	auth, pseudonyms := map[string]string{}, map[string]string{}
	for _, role := range event.Roles {
		tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: role})
		auth[role], pseudonyms[role] = "Bearer "+secret, tok.Pseudonym
	}
	takedowns := newMemTakedowns()
	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, "")
		d.Takedowns = takedowns
	})
	return f, takedowns, auth, pseudonyms
}

// takedownJSON is a takedown as a client reads it, times as sent.
type takedownJSON struct {
	ID                  int64              `json:"id"`
	Platform            string             `json:"platform"`
	Channel             string             `json:"channel"`
	PackID              string             `json:"pack_id"`
	CaseID              int64              `json:"case_id"`
	Accounts            []event.AccountRef `json:"accounts"`
	SentAt              string             `json:"sent_at"`
	Reference           string             `json:"reference"`
	Status              string             `json:"status"`
	StatusAt            string             `json:"status_at"`
	ActionedAt          string             `json:"actioned_at"`
	TimeToActionSeconds float64            `json:"time_to_action_seconds"`
	CreatedBy           string             `json:"created_by"`
	CreatedAt           string             `json:"created_at"`
	History             []struct {
		Status string `json:"status"`
		At     string `json:"at"`
		By     string `json:"by"`
		Note   string `json:"note"`
	} `json:"history"`
}

func decodeTakedown(tb testing.TB, body []byte) takedownJSON {
	tb.Helper()
	var t takedownJSON
	if err := json.Unmarshal(body, &t); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return t
}

// send makes a request that must answer want, and returns its body.
func send(tb testing.TB, f *fixture, method, path, auth, body string, want int) []byte {
	tb.Helper()
	resp, got := f.do(tb, method, path, auth, body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s %s: %d %s, want %d", method, path, body, resp.StatusCode, got, want)
	}
	return got
}

// listTakedownIDs lists path's takedowns as viewer and returns their ids.
func listTakedownIDs(tb testing.TB, f *fixture, viewer, path string) []int64 {
	tb.Helper()
	var list struct {
		Takedowns []takedownJSON `json:"takedowns"`
	}
	if err := json.Unmarshal(send(tb, f, "GET", path, viewer, "", 200), &list); err != nil {
		tb.Fatal(err)
	}
	ids := []int64{}
	for _, t := range list.Takedowns {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestTakedownsAPI records takedown requests and moves them through the
// funnel as an advocate: the actor is always the caller's pseudonym, times
// come out in UTC, viewers read, monitors and viewers change nothing.
func TestTakedownsAPI(t *testing.T) {
	f, takedowns, auth, pseudonyms := takedownFixture(t)
	adv, viewer := auth[event.RoleAdvocate], auth[event.RoleViewer]
	me := pseudonyms[event.RoleAdvocate]

	resp, body := f.do(t, "POST", "/api/v1/takedowns", adv, `{"platform":"meta","channel":"trusted flagger portal",
		"accounts":[{"platform":"x","id":"45"},{"platform":"x","id":"44"}],"sent_at":"2026-11-01T00:00:00Z",
		"pack_id":"pack-7f3a","case_id":1,"note":"first report\nwith the pack"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/takedowns/1" {
		t.Fatalf("create: %d %s (Location %q)", resp.StatusCode, body, resp.Header.Get("Location"))
	}
	td := decodeTakedown(t, body)
	if td.ID != 1 || td.Status != "sent" || td.CreatedBy != me || td.SentAt != "2026-11-01T00:00:00Z" ||
		td.StatusAt != td.SentAt || td.PackID != "pack-7f3a" || td.CaseID != 1 || td.ActionedAt != "" ||
		!strings.HasSuffix(td.CreatedAt, "Z") || strings.Contains(string(body), "+06:30") {
		t.Fatalf("created %s", body)
	}
	if want := []event.AccountRef{{Platform: "x", ID: "44"}, {Platform: "x", ID: "45"}}; !slices.Equal(td.Accounts, want) {
		t.Errorf("accounts %v, want %v", td.Accounts, want)
	}
	if len(td.History) != 1 || td.History[0].Status != "sent" || td.History[0].By != me ||
		td.History[0].At != "2026-11-01T00:00:00Z" || td.History[0].Note != "first report\nwith the pack" {
		t.Errorf("history %+v", td.History)
	}
	for _, role := range []string{event.RoleViewer, event.RoleMonitor} {
		resp, body := f.do(t, "POST", "/api/v1/takedowns", auth[role], `{"platform":"x","channel":"form","accounts":[{"platform":"x","id":"44"}]}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s records a takedown: %d, want 403", role, resp.StatusCode)
		} else {
			checkError(t, body, event.EFORBIDDEN, "advocate")
		}
		resp, _ = f.do(t, "POST", "/api/v1/takedowns/1/status", auth[role], `{"status":"actioned"}`)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s updates a takedown: %d, want 403", role, resp.StatusCode)
		}
	}
	if resp, _ := f.get(t, "/api/v1/takedowns", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("list without a token: %d, want 401", resp.StatusCode)
	}

	// Two more: sent_at defaults to now, which is the newest.
	send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"x","channel":"email to a trust and safety team",
		"accounts":[{"platform":"mastodon","id":"7"}],"sent_at":"2026-11-02T06:30:00+06:30","reference":"X-1"}`, 201)
	body = send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"x","channel":"form","accounts":[{"platform":"x","id":"44"}]}`, 201)
	if td := decodeTakedown(t, body); time.Since(mustTime(t, td.SentAt)) > time.Minute || td.PackID != "" || td.CaseID != 0 ||
		strings.Contains(string(body), `"pack_id"`) || strings.Contains(string(body), `"case_id"`) {
		t.Errorf("defaults %s", body)
	}

	// The platform answers: acknowledged with its reference, then actioned.
	body = send(t, f, "POST", "/api/v1/takedowns/1/status", adv, `{"status":"acknowledged","at":"2026-11-01T06:00:00Z","reference":"META-88"}`, 200)
	if td := decodeTakedown(t, body); td.Status != "acknowledged" || td.Reference != "META-88" || td.StatusAt != "2026-11-01T06:00:00Z" || len(td.History) != 2 {
		t.Errorf("acknowledged %s", body)
	}
	body = send(t, f, "POST", "/api/v1/takedowns/1/status", adv, `{"status":"actioned","at":"2026-11-03T00:00:00Z","note":"both accounts gone"}`, 200)
	td = decodeTakedown(t, body)
	if td.Status != "actioned" || td.ActionedAt != "2026-11-03T00:00:00Z" || td.TimeToActionSeconds != 2*86400 ||
		td.Reference != "META-88" || len(td.History) != 3 || td.History[2].By != me || td.History[2].Note != "both accounts gone" {
		t.Errorf("actioned %s", body)
	}
	body = send(t, f, "POST", "/api/v1/takedowns/2/status", adv, `{"status":"rejected","reference":""}`, 200)
	if td := decodeTakedown(t, body); td.Status != "rejected" || td.Reference != "" || td.ActionedAt != "" || strings.Contains(string(body), "time_to_action") {
		t.Errorf("rejected %s", body)
	}

	// Viewers read.
	body = send(t, f, "GET", "/api/v1/takedowns/1", viewer, "", 200)
	if got := decodeTakedown(t, body); got.ID != 1 || len(got.History) != 3 || got.History[1].Status != "acknowledged" {
		t.Errorf("get %s", body)
	}
	for _, tt := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{3, 2, 1}},
		{"?status=actioned", []int64{1}},
		{"?status=no_response", []int64{}},
		{"?platform=x", []int64{3, 2}},
		{"?case=1", []int64{1}},
		{"?account=x/44", []int64{3, 1}},
		{"?account=mastodon/7&platform=x", []int64{2}},
		{"?account=x/7", []int64{}},
		{"?limit=2", []int64{3, 2}},
		{"?limit=2&offset=2", []int64{1}},
	} {
		if got := listTakedownIDs(t, f, viewer, "/api/v1/takedowns"+tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("list%s: %v, want %v", tt.query, got, tt.want)
		}
	}

	wantLog := []string{me + " create 1", me + " create 2", me + " create 3", me + " acknowledged 1", me + " actioned 1", me + " rejected 2"}
	if got := takedowns.changes(); !slices.Equal(got, wantLog) {
		t.Errorf("changes %v, want %v", got, wantLog)
	}
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

// TestTakedownsRefused: bad input is a 400 that says why, whether the API
// or the store refuses it; what does not exist is a 404; and neither
// changes anything.
func TestTakedownsRefused(t *testing.T) {
	f, takedowns, auth, _ := takedownFixture(t)
	adv := auth[event.RoleAdvocate]
	send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"meta","channel":"portal","accounts":[{"platform":"x","id":"44"}],"sent_at":"2026-11-01T00:00:00Z"}`, 201)
	send(t, f, "POST", "/api/v1/takedowns/1/status", adv, `{"status":"actioned","at":"2026-11-02T00:00:00Z"}`, 200)
	before := takedowns.changes()

	account := `"accounts":[{"platform":"x","id":"44"}]`
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	many := strings.Repeat(`{"platform":"x","id":"44"},`, event.MaxTakedownAccounts) + `{"platform":"x","id":"45"}`
	for _, bad := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/takedowns", ``, "JSON body is required"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c",` + account + `,"status":"actioned"}`, "unknown field"},
		{"POST", "/api/v1/takedowns", `{"channel":"c",` + account + `}`, "platform is required"},
		{"POST", "/api/v1/takedowns", `{"platform":" ","channel":"c",` + account + `}`, "platform is required"},
		{"POST", "/api/v1/takedowns", `{"platform":"x",` + account + `}`, "channel is required"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c"}`, "at least one"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[]}`, "at least one"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[{"platform":"x"}]}`, "accounts[0]"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[{"platform":"x","id":"44"},{"platform":"x","id":"44"}]}`, "accounts[1]: x/44 is accounts[0] again"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[` + many + `]}`, "at most 1000"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","case_id":-1,` + account + `}`, "case_id"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","case_id":"1",` + account + `}`, "malformed"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","sent_at":"yesterday",` + account + `}`, "malformed"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","sent_at":"` + future + `",` + account + `}`, "in the future"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"a\nb",` + account + `}`, "control character"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","note":"` + strings.Repeat("n", 2001) + `",` + account + `}`, "longer than 2000"},
		{"POST", "/api/v1/takedowns?dry_run=true", `{"platform":"x","channel":"c",` + account + `}`, "unknown query parameter"},
		{"POST", "/api/v1/takedowns/1/status", `{}`, "status is required"},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"done"}`, `"done" is not one of`},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"actioned"}`, "already actioned"},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"rejected","at":"2026-10-31T23:00:00Z"}`, "before the request was sent"},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"rejected","at":"` + future + `"}`, "in the future"},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"rejected","reference":"a\tb"}`, "control character"},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"rejected","by":"someone"}`, "unknown field"},
		{"POST", "/api/v1/takedowns/abc/status", `{"status":"rejected"}`, "takedown id"},
		{"POST", "/api/v1/takedowns/0/status", `{"status":"rejected"}`, "takedown id"},
		{"GET", "/api/v1/takedowns/-1", ``, "takedown id"},
		{"GET", "/api/v1/takedowns/1?history=false", ``, "unknown query parameter"},
		{"GET", "/api/v1/takedowns?status=pending", ``, "status"},
		{"GET", "/api/v1/takedowns?case=0", ``, "case"},
		{"GET", "/api/v1/takedowns?case=one", ``, "case"},
		{"GET", "/api/v1/takedowns?account=x", ``, "PLATFORM/ID"},
		{"GET", "/api/v1/takedowns?account=/44", ``, "PLATFORM/ID"},
		{"GET", "/api/v1/takedowns?account=x/", ``, "PLATFORM/ID"},
		{"GET", "/api/v1/takedowns?account_platform=x&account_id=44", ``, "unknown query parameter"},
		{"GET", "/api/v1/takedowns?limit=0", ``, "limit"},
		{"GET", "/api/v1/takedowns?limit=1001", ``, "limit"},
		{"GET", "/api/v1/takedowns?offset=-1", ``, "offset"},
		{"GET", "/api/v1/takedowns?status=sent&status=actioned", ``, "more than once"},
		{"GET", "/api/v1/takedowns/reappeared?limit=1001", ``, "limit"},
		{"GET", "/api/v1/takedowns/reappeared?since=2026-11-01", ``, "unknown query parameter"},
		{"GET", "/api/v1/takedowns/stats?platform=x", ``, "unknown query parameter"},
	} {
		resp, body := f.do(t, bad.method, bad.path, adv, bad.body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s %.80s: %d %s, want 400", bad.method, bad.path, bad.body, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.EINVALID, bad.want)
	}

	for _, nf := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[{"platform":"x","id":"404"}]}`, "x/404"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","pack_id":"pack-0000",` + account + `}`, "pack-0000"},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","case_id":9,` + account + `}`, "case 9"},
		{"GET", "/api/v1/takedowns/9", ``, "takedown 9"},
		{"POST", "/api/v1/takedowns/9/status", `{"status":"actioned"}`, "takedown 9"},
	} {
		resp, body := f.do(t, nf.method, nf.path, adv, nf.body)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d %s, want 404", nf.method, nf.path, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.ENOTFOUND, nf.want)
	}
	if got := takedowns.changes(); !slices.Equal(got, before) {
		t.Errorf("refused requests changed something: %v, want %v", got, before)
	}
}

// TestTakedownReappeared: an account that posts after a platform actioned
// it is listed, with the handle it came back under; one whose request was
// reversed, or that stayed quiet, is not.
func TestTakedownReappeared(t *testing.T) {
	f, takedowns, auth, _ := takedownFixture(t)
	adv, viewer := auth[event.RoleAdvocate], auth[event.RoleViewer]
	send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"x","channel":"form","accounts":[{"platform":"x","id":"44"},{"platform":"x","id":"45"}],"sent_at":"2026-11-01T00:00:00Z"}`, 201)
	send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"mastodon","channel":"report","accounts":[{"platform":"mastodon","id":"7"}],"sent_at":"2026-11-01T00:00:00Z"}`, 201)
	send(t, f, "POST", "/api/v1/takedowns/1/status", adv, `{"status":"actioned","at":"2026-11-02T00:00:00Z"}`, 200)
	send(t, f, "POST", "/api/v1/takedowns/2/status", adv, `{"status":"actioned","at":"2026-11-02T00:00:00Z"}`, 200)

	var got struct {
		Reappeared []map[string]any `json:"reappeared"`
	}
	list := func(path string) {
		t.Helper()
		got.Reappeared = nil
		if err := json.Unmarshal(send(t, f, "GET", path, viewer, "", 200), &got); err != nil {
			t.Fatal(err)
		}
	}
	list("/api/v1/takedowns/reappeared")
	if got.Reappeared == nil || len(got.Reappeared) != 0 {
		t.Fatalf("nobody back yet: %v", got.Reappeared)
	}

	x44, x45, m7 := event.AccountRef{Platform: "x", ID: "44"}, event.AccountRef{Platform: "x", ID: "45"}, event.AccountRef{Platform: "mastodon", ID: "7"}
	takedowns.capture(x44, "someone", time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) // before the action
	takedowns.capture(x44, "someone_new", time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	takedowns.capture(x44, "someone_new", time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC))
	takedowns.capture(m7, "", time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC))
	list("/api/v1/takedowns/reappeared")
	if len(got.Reappeared) != 2 {
		t.Fatalf("reappeared %v, want x/44 and mastodon/7", got.Reappeared)
	}
	first := got.Reappeared[0]
	if acc, _ := first["account"].(map[string]any); acc["platform"] != "x" || acc["id"] != "44" ||
		first["takedown_id"] != float64(1) || first["actioned_at"] != "2026-11-02T00:00:00Z" ||
		first["handle_at_action"] != "someone" || first["handle"] != "someone_new" ||
		first["last_seen"] != "2026-11-06T00:00:00Z" || first["posts_since"] != float64(2) {
		t.Errorf("x/44 came back as %v", first)
	}
	if hs, _ := first["new_handles"].([]any); len(hs) != 1 || hs[0] != "someone_new" {
		t.Errorf("new handles %v", first["new_handles"])
	}
	if hs, ok := got.Reappeared[1]["new_handles"].([]any); !ok || len(hs) != 0 {
		t.Errorf("mastodon/7's new handles %v, want []", got.Reappeared[1]["new_handles"])
	}
	list("/api/v1/takedowns/reappeared?limit=1")
	if len(got.Reappeared) != 1 {
		t.Errorf("limit=1: %d accounts", len(got.Reappeared))
	}

	// The platform reinstated mastodon/7 on appeal: no longer actioned, so
	// its posts are not a reappearance.
	send(t, f, "POST", "/api/v1/takedowns/2/status", adv, `{"status":"rejected","note":"reinstated on appeal"}`, 200)
	takedowns.capture(x45, "another_synthetic", time.Date(2026, 11, 1, 23, 0, 0, 0, time.UTC)) // still before
	list("/api/v1/takedowns/reappeared")
	if len(got.Reappeared) != 1 {
		t.Errorf("after the reversal: %v, want x/44 only", got.Reappeared)
	}
}

// TestTakedownStatsAndMetrics: the funnel through GET
// /api/v1/takedowns/stats and on /metrics, with the time to action as a
// histogram.
func TestTakedownStatsAndMetrics(t *testing.T) {
	f, takedowns, auth, _ := takedownFixture(t)
	adv, viewer := auth[event.RoleAdvocate], auth[event.RoleViewer]

	// Before any request: every status at 0, [] not null.
	body := send(t, f, "GET", "/api/v1/takedowns/stats", viewer, "", 200)
	for _, want := range []string{`"sent":0`, `"acknowledged":0`, `"actioned":0`, `"rejected":0`, `"no_response":0`, `"time_to_action_seconds":[]`, `"reappeared":0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("empty stats %s: no %s", body, want)
		}
	}

	// Three actioned after 2 hours, 2 days and 40 days; one rejected; one
	// no_response; one acknowledged; one sent.
	actions := []struct{ status, at string }{
		{"actioned", "2026-08-01T02:00:00Z"},
		{"actioned", "2026-08-03T00:00:00Z"},
		{"actioned", "2026-09-10T00:00:00Z"},
		{"rejected", "2026-08-05T00:00:00Z"},
		{"no_response", "2026-09-01T00:00:00Z"},
		{"acknowledged", "2026-08-01T01:00:00Z"},
		{"", ""},
	}
	for i, a := range actions {
		send(t, f, "POST", "/api/v1/takedowns", adv, `{"platform":"meta","channel":"portal","accounts":[{"platform":"x","id":"44"}],"sent_at":"2026-08-01T00:00:00Z"}`, 201)
		if a.status != "" {
			send(t, f, "POST", "/api/v1/takedowns/"+strconv.Itoa(i+1)+"/status", adv, `{"status":"`+a.status+`","at":"`+a.at+`"}`, 200)
		}
	}
	takedowns.capture(event.AccountRef{Platform: "x", ID: "44"}, "someone", time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC))

	var st event.TakedownStats
	if err := json.Unmarshal(send(t, f, "GET", "/api/v1/takedowns/stats", viewer, "", 200), &st); err != nil {
		t.Fatal(err)
	}
	wantByStatus := map[string]int{"sent": 1, "acknowledged": 1, "actioned": 3, "rejected": 1, "no_response": 1}
	if !mapsEqual(st.ByStatus, wantByStatus) || !slices.Equal(st.TimeToAction, []float64{7200, 172800, 3456000}) || st.Reappeared != 1 {
		t.Errorf("stats %+v", st)
	}

	// /metrics: a gauge per status, the histogram and the reappeared gauge.
	resp, exposition := f.get(t, "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	for _, want := range []string{
		"# TYPE vigil_takedown_requests gauge",
		`vigil_takedown_requests{status="actioned"} 3`,
		`vigil_takedown_requests{status="sent"} 1`,
		`vigil_takedown_requests{status="no_response"} 1`,
		"# TYPE vigil_takedown_time_to_action_seconds histogram",
		`vigil_takedown_time_to_action_seconds_bucket{le="+Inf"} 3`,
		"vigil_takedown_time_to_action_seconds_count 3",
		"vigil_takedown_reappeared_accounts 1",
		"vigil_api_takedown_stats_errors_total 0",
	} {
		if !strings.Contains(string(exposition), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	wantBuckets := map[float64]uint64{
		3600: 0, 6 * 3600: 1, 86400: 1, 2 * 86400: 2, 3 * 86400: 2, 7 * 86400: 2, 14 * 86400: 2, 30 * 86400: 2, 90 * 86400: 3,
	}
	buckets, count, sum := gatherHistogram(t, f, "vigil_takedown_time_to_action_seconds")
	if !maps.Equal(buckets, wantBuckets) || count != 3 || sum != 7200+172800+3456000 {
		t.Errorf("histogram buckets %v count %d sum %g, want %v, 3 and %d", buckets, count, sum, wantBuckets, 7200+172800+3456000)
	}
	problems, err := testutil.GatherAndLint(f.reg, "vigil_takedown_requests", "vigil_takedown_time_to_action_seconds",
		"vigil_takedown_reappeared_accounts", "vigil_api_takedown_stats_errors_total")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(f.reg, "vigil_takedown_requests"); err != nil || n != len(event.TakedownStatuses) {
		t.Errorf("vigil_takedown_requests: %d series (%v), want one per status", n, err)
	}

	// A store that fails: the scrape still serves the api's own metrics,
	// leaves the funnel out, counts the failure and logs it.
	takedowns.setStatsErr(errors.New("database is locked"))
	resp, exposition = f.get(t, "/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics with a failing store: %d", resp.StatusCode)
	}
	for _, want := range []string{"vigil_api_takedown_stats_errors_total 1", "vigil_api_requests_total"} {
		if !strings.Contains(string(exposition), want) {
			t.Errorf("/metrics with a failing store lacks %s", want)
		}
	}
	if strings.Contains(string(exposition), "\nvigil_takedown_") {
		t.Errorf("/metrics with a failing store shows a funnel:\n%s", exposition)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "database is locked") || !strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("the failure is not logged as a warning:\n%s", logs)
	}
	resp, body = f.get(t, "/api/v1/takedowns/stats", viewer)
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(string(body), "locked") {
		t.Errorf("stats with a failing store: %d %s, want a 500 that does not show the store's error", resp.StatusCode, body)
	}
	takedowns.setStatsErr(nil)
	if _, exposition = f.get(t, "/metrics", ""); !strings.Contains(string(exposition), "vigil_takedown_reappeared_accounts 1") {
		t.Errorf("the funnel did not come back")
	}
}

// gatherHistogram returns the one histogram called name from f's
// registry: its cumulative count by upper bound, its count and its sum.
func gatherHistogram(tb testing.TB, f *fixture, name string) (map[float64]uint64, uint64, float64) {
	tb.Helper()
	families, err := f.reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name || len(mf.GetMetric()) != 1 {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		buckets := map[float64]uint64{}
		for _, b := range h.GetBucket() {
			buckets[b.GetUpperBound()] = b.GetCumulativeCount()
		}
		return buckets, h.GetSampleCount(), h.GetSampleSum()
	}
	tb.Fatalf("no histogram %s", name)
	return nil, 0, 0
}

// TestTakedownRoutesWithoutStore: without a takedown store the routes
// answer 503, not 500, and /metrics shows no funnel.
func TestTakedownRoutesWithoutStore(t *testing.T) {
	f := newFixture(t)
	admin := "Bearer " + adminToken
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/takedowns", ""},
		{"POST", "/api/v1/takedowns", `{"platform":"x","channel":"c","accounts":[{"platform":"x","id":"44"}]}`},
		{"GET", "/api/v1/takedowns/1", ""},
		{"POST", "/api/v1/takedowns/1/status", `{"status":"actioned"}`},
		{"GET", "/api/v1/takedowns/reappeared", ""},
		{"GET", "/api/v1/takedowns/stats", ""},
	} {
		resp, body := f.do(t, r.method, r.path, admin, r.body)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s: %d %s, want 503", r.method, r.path, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.EUNAVAILABLE, "takedown")
	}
	if _, exposition := f.get(t, "/metrics", ""); strings.Contains(string(exposition), "vigil_takedown_") ||
		strings.Contains(string(exposition), "takedown_stats_errors") {
		t.Errorf("/metrics without a takedown store:\n%s", exposition)
	}
}

// filledTakedowns serves a takedown, a reappearance and stats with every
// field set.
type filledTakedowns struct {
	takedown   event.Takedown
	reappeared event.Reappearance
}

func (s *filledTakedowns) CreateTakedown(context.Context, event.NewTakedown, string) (event.Takedown, error) {
	return s.takedown, nil
}

func (s *filledTakedowns) UpdateTakedown(context.Context, int64, event.TakedownUpdate, string) (event.Takedown, error) {
	return s.takedown, nil
}

func (s *filledTakedowns) GetTakedown(context.Context, int64) (event.Takedown, error) {
	return s.takedown, nil
}

func (s *filledTakedowns) ListTakedowns(context.Context, event.TakedownFilter) ([]event.Takedown, error) {
	return []event.Takedown{s.takedown}, nil
}

func (s *filledTakedowns) Reappeared(context.Context, int) ([]event.Reappearance, error) {
	return []event.Reappearance{s.reappeared}, nil
}

func (s *filledTakedowns) TakedownStats(context.Context) (event.TakedownStats, error) {
	return event.TakedownStats{ByStatus: map[string]int{event.TakedownActioned: 1}, TimeToAction: []float64{math.Pi}, Reappeared: 1}, nil
}

// TestTakedownFieldsDocumented serves every takedown route with every
// field set, so that the fixture checks each field against openapi.yaml.
func TestTakedownFieldsDocumented(t *testing.T) {
	stub := &filledTakedowns{}
	fillAll(&stub.takedown)
	fillAll(&stub.reappeared)
	stub.takedown.Status = event.TakedownActioned
	stub.takedown.History[0].Status = event.TakedownSent
	f := newFixture(t, func(d *api.Deps) { d.Takedowns = stub })
	for _, path := range []string{"/api/v1/takedowns", "/api/v1/takedowns/1", "/api/v1/takedowns/reappeared", "/api/v1/takedowns/stats"} {
		body := f.getJSON(t, path, http.StatusOK, nil)
		if strings.Contains(string(body), "+06:30") {
			t.Errorf("%s: a time not in UTC: %s", path, body)
		}
	}
	admin := "Bearer " + adminToken
	send(t, f, "POST", "/api/v1/takedowns", admin, `{"platform":"x","channel":"c","accounts":[{"platform":"x","id":"1"}]}`, 201)
	send(t, f, "POST", "/api/v1/takedowns/1/status", admin, `{"status":"actioned"}`, 200)
}
