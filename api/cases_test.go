package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// memCases is an in-memory event.CaseService and event.AccountViewService
// with the store's rules: unknown accounts and flags refused, additions
// idempotent, a closed case's members frozen. It records each change as
// "actor change" in log, as the store's audit log would.
type memCases struct {
	mu       sync.Mutex
	accounts map[event.AccountRef]event.Account
	flags    map[int64]event.Flag
	cases    []*event.CaseDetail
	log      []string
}

var (
	_ event.CaseService        = (*memCases)(nil)
	_ event.AccountViewService = (*memCases)(nil)
)

func newMemCases() *memCases {
	m := &memCases{accounts: map[event.AccountRef]event.Account{}, flags: map[int64]event.Flag{}}
	for _, a := range newMemStore().accounts {
		m.accounts[event.AccountRef{Platform: a.Platform, ID: a.ID}] = a
	}
	for _, f := range newMemStore().flags {
		m.flags[f.ID] = f
	}
	return m
}

func (m *memCases) FindAccount(_ context.Context, platform, id string) (*event.AccountView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.accounts[event.AccountRef{Platform: platform, ID: id}]
	if !ok {
		return nil, event.Errorf(event.ENOTFOUND, "account %s/%s not found", platform, id)
	}
	v := &event.AccountView{Account: a, FlagsByStatus: map[string]int{}}
	for _, h := range a.Handles {
		v.HandleHistory = append(v.HandleHistory, event.HandleSeen{Handle: h, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen})
	}
	for _, f := range m.flags {
		if f.Platform == platform && f.AuthorID == id {
			v.FlagsByStatus[f.Status]++
		}
	}
	for _, c := range m.cases {
		if slices.ContainsFunc(c.Accounts, func(ca event.CaseAccount) bool { return ca.Platform == platform && ca.ID == id }) {
			v.Cases = append(v.Cases, event.CaseRef{ID: c.ID, Title: c.Title, Status: c.Status})
		}
	}
	return v, nil
}

func (m *memCases) CreateCase(_ context.Context, n event.NewCase) (event.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now().In(yangon)
	c := event.Case{ID: int64(len(m.cases) + 1), Title: n.Title, Description: n.Description, Status: event.CaseOpen,
		CreatedAt: now, CreatedBy: n.CreatedBy, UpdatedAt: now}
	m.cases = append(m.cases, &event.CaseDetail{Case: c})
	m.log = append(m.log, n.CreatedBy+" create "+strconv.FormatInt(c.ID, 10))
	return c, nil
}

func (m *memCases) ListCases(_ context.Context, f event.CaseFilter) ([]event.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []event.Case
	for i := len(m.cases) - 1; i >= 0; i-- {
		if f.Status == "" || m.cases[i].Status == f.Status {
			out = append(out, m.cases[i].Case)
		}
	}
	return out, nil
}

func (m *memCases) find(id int64) (*event.CaseDetail, error) {
	if id < 1 || int(id) > len(m.cases) {
		return nil, event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	return m.cases[id-1], nil
}

func (m *memCases) findOpen(id int64) (*event.CaseDetail, error) {
	c, err := m.find(id)
	if err == nil && c.Status != event.CaseOpen {
		err = event.Errorf(event.ECONFLICT, "case %d is closed", id)
	}
	return c, err
}

func (m *memCases) GetCase(_ context.Context, id int64) (*event.CaseDetail, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.find(id)
	if err != nil {
		return nil, err
	}
	d := *c
	d.Accounts, d.Flags = slices.Clone(c.Accounts), slices.Clone(c.Flags)
	d.AccountCount, d.FlagCount = len(d.Accounts), len(d.Flags)
	return &d, nil
}

func (m *memCases) UpdateCase(_ context.Context, id int64, u event.CaseUpdate, by string) (event.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.find(id)
	if err != nil {
		return event.Case{}, err
	}
	if u.Title != nil {
		c.Title = *u.Title
	}
	if u.Description != nil {
		c.Description = *u.Description
	}
	if u.Status != nil {
		c.Status = *u.Status
	}
	m.log = append(m.log, by+" update "+strconv.FormatInt(id, 10))
	return c.Case, nil
}

func (m *memCases) AddAccounts(_ context.Context, id int64, refs []event.AccountRef, by string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.findOpen(id)
	if err != nil {
		return 0, err
	}
	for _, r := range refs {
		if _, ok := m.accounts[r]; !ok {
			return 0, event.Errorf(event.ENOTFOUND, "account %s/%s not found", r.Platform, r.ID)
		}
	}
	n := 0
	for _, r := range refs {
		if !slices.ContainsFunc(c.Accounts, func(ca event.CaseAccount) bool { return ca.Platform == r.Platform && ca.ID == r.ID }) {
			c.Accounts = append(c.Accounts, event.CaseAccount{Account: m.accounts[r], AddedAt: time.Now().In(yangon), AddedBy: by})
			n++
		}
	}
	if n > 0 {
		m.log = append(m.log, by+" add_accounts "+strconv.FormatInt(id, 10))
	}
	return n, nil
}

func (m *memCases) RemoveAccount(_ context.Context, id int64, a event.AccountRef, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.findOpen(id)
	if err != nil {
		return err
	}
	before := len(c.Accounts)
	c.Accounts = slices.DeleteFunc(c.Accounts, func(ca event.CaseAccount) bool { return ca.Platform == a.Platform && ca.ID == a.ID })
	if len(c.Accounts) < before {
		m.log = append(m.log, by+" remove_account "+strconv.FormatInt(id, 10))
	}
	return nil
}

func (m *memCases) AddFlags(_ context.Context, id int64, ids []int64, by string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.findOpen(id)
	if err != nil {
		return 0, err
	}
	for _, f := range ids {
		if _, ok := m.flags[f]; !ok {
			return 0, event.Errorf(event.ENOTFOUND, "flag %d not found", f)
		}
	}
	n := 0
	for _, f := range ids {
		if !slices.ContainsFunc(c.Flags, func(cf event.CaseFlag) bool { return cf.ID == f }) {
			c.Flags = append(c.Flags, event.CaseFlag{Flag: m.flags[f], AddedAt: time.Now().In(yangon), AddedBy: by})
			n++
		}
	}
	if n > 0 {
		m.log = append(m.log, by+" add_flags "+strconv.FormatInt(id, 10))
	}
	return n, nil
}

func (m *memCases) RemoveFlag(_ context.Context, id int64, flag int64, by string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.findOpen(id)
	if err != nil {
		return err
	}
	before := len(c.Flags)
	c.Flags = slices.DeleteFunc(c.Flags, func(cf event.CaseFlag) bool { return cf.ID == flag })
	if len(c.Flags) < before {
		m.log = append(m.log, by+" remove_flag "+strconv.FormatInt(id, 10))
	}
	return nil
}

func (m *memCases) changes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.log)
}

// caseFixture is a server with cases and store tokens of every role; it
// returns the Authorization values by role and each role's pseudonym.
func caseFixture(t *testing.T) (*fixture, *memCases, map[string]string, map[string]string) {
	t.Helper()
	tokens := newMemTokens()
	auth, pseudonyms := map[string]string{}, map[string]string{}
	for _, role := range event.Roles {
		tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: role})
		auth[role], pseudonyms[role] = "Bearer "+secret, tok.Pseudonym
	}
	cases := newMemCases()
	f := newFixture(t, func(d *api.Deps) {
		d.Tokens = api.NewStoreTokens(tokens, "")
		d.Cases = cases
		d.Accounts = cases
	})
	return f, cases, auth, pseudonyms
}

// TestAccountView: the account's aggregate with its handles, flags by
// status (every status present) and cases, in UTC.
func TestAccountView(t *testing.T) {
	f, _, auth, _ := caseFixture(t)
	resp, body := f.do(t, "POST", "/api/v1/cases", auth[event.RoleAdvocate], `{"title":"network"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "POST", "/api/v1/cases/1/accounts", auth[event.RoleAdvocate], `{"accounts":[{"platform":"x","id":"44"}]}`); resp.StatusCode != 200 {
		t.Fatalf("add: %d %s", resp.StatusCode, body)
	}
	resp, body = f.get(t, "/api/v1/accounts/x/44", auth[event.RoleViewer])
	if resp.StatusCode != 200 {
		t.Fatalf("view: %d %s", resp.StatusCode, body)
	}
	var v struct {
		Platform      string           `json:"platform"`
		ID            string           `json:"id"`
		Handles       []string         `json:"handles"`
		FlagCount     int              `json:"flag_count"`
		Lists         []string         `json:"lists"`
		FirstSeen     string           `json:"first_seen"`
		HandleHistory []map[string]any `json:"handle_history"`
		FlagsByStatus map[string]int   `json:"flags_by_status"`
		Unflagged     *int             `json:"unflagged_reviewed"`
		Cases         []event.CaseRef  `json:"cases"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	if v.Platform != "x" || v.ID != "44" || v.FlagCount != 3 || !slices.Equal(v.Lists, []string{"military-proxies"}) ||
		v.FirstSeen != "2026-11-01T08:00:00Z" || len(v.HandleHistory) != 2 || v.HandleHistory[0]["first_seen"] != "2026-11-01T08:00:00Z" ||
		v.Unflagged == nil {
		t.Errorf("view %s", body)
	}
	want := map[string]int{"pending": 4, "claimed": 0, "confirmed": 0, "dismissed": 0, "escalated": 0}
	if !mapsEqual(v.FlagsByStatus, want) {
		t.Errorf("flags_by_status %v, want %v", v.FlagsByStatus, want)
	}
	if len(v.Cases) != 1 || v.Cases[0].ID != 1 || v.Cases[0].Title != "network" || v.Cases[0].Status != "open" {
		t.Errorf("cases %+v", v.Cases)
	}

	// An account with no handles and no cases: [] not null.
	_, body = f.get(t, "/api/v1/accounts/mastodon/7", auth[event.RoleViewer])
	for _, want := range []string{`"handle_history":[]`, `"cases":[]`, `"categories":{}`, `"confirmed":0`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("quiet account %s: no %s", body, want)
		}
	}
	resp, body = f.get(t, "/api/v1/accounts/x/404", auth[event.RoleViewer])
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown account: %d", resp.StatusCode)
	}
	checkError(t, body, event.ENOTFOUND, "x/404")
	resp, body = f.get(t, "/api/v1/accounts/x/44?full=true", auth[event.RoleViewer])
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown parameter: %d", resp.StatusCode)
	}
	checkError(t, body, event.EINVALID, "full")
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestAccountsListFilter: ?list= reaches the store.
func TestAccountsListFilter(t *testing.T) {
	f := newFixture(t)
	f.getJSON(t, "/api/v1/accounts?list=military-proxies&platform=x", 200, nil)
	if a, _, _ := f.store.filters(); a.List != "military-proxies" || a.Platform != "x" {
		t.Errorf("filter %+v", a)
	}
}

// TestCasesAPI walks a case through the API as an advocate: the actor is
// always the caller's pseudonym, viewers read, monitors and viewers
// change nothing, and bad input is a 400 that says why.
func TestCasesAPI(t *testing.T) {
	f, cases, auth, pseudonyms := caseFixture(t)
	adv, viewer := auth[event.RoleAdvocate], auth[event.RoleViewer]
	me := pseudonyms[event.RoleAdvocate]

	resp, body := f.do(t, "POST", "/api/v1/cases", adv, `{"title":"Network of synthetic accounts","description":"seen since November"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Location") != "/api/v1/cases/1" {
		t.Fatalf("create: %d %s (Location %q)", resp.StatusCode, body, resp.Header.Get("Location"))
	}
	var c event.Case
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != 1 || c.Status != "open" || c.CreatedBy != me || c.CreatedAt.Location() != time.UTC || !strings.Contains(string(body), `"created_at":"20`) || strings.Contains(string(body), "+06:30") {
		t.Fatalf("created %s", body)
	}
	for _, role := range []string{event.RoleViewer, event.RoleMonitor} {
		if resp, _ := f.do(t, "POST", "/api/v1/cases", auth[role], `{"title":"x"}`); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s creates a case: %d, want 403", role, resp.StatusCode)
		}
	}

	resp, body = f.do(t, "POST", "/api/v1/cases/1/accounts", adv, `{"accounts":[{"platform":"x","id":"44"},{"platform":"mastodon","id":"7"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("add accounts: %d %s", resp.StatusCode, body)
	}
	var change struct {
		Added int `json:"added"`
		Case  struct {
			AccountCount int              `json:"account_count"`
			Accounts     []map[string]any `json:"accounts"`
			Flags        []map[string]any `json:"flags"`
			MissingFlags []map[string]any `json:"missing_flags"`
		} `json:"case"`
	}
	if err := json.Unmarshal(body, &change); err != nil {
		t.Fatal(err)
	}
	if change.Added != 2 || change.Case.AccountCount != 2 || len(change.Case.Accounts) != 2 || change.Case.Flags == nil || change.Case.MissingFlags == nil {
		t.Fatalf("added %s", body)
	}
	if a := change.Case.Accounts[0]; a["added_by"] != me || a["platform"] != "x" || a["flag_count"] != float64(3) ||
		a["first_seen"] != "2026-11-01T08:00:00Z" || !strings.HasSuffix(a["added_at"].(string), "Z") {
		t.Errorf("first account %v", a)
	}
	_, body = f.do(t, "POST", "/api/v1/cases/1/accounts", adv, `{"accounts":[{"platform":"x","id":"44"}]}`)
	if !strings.Contains(string(body), `"added":0`) {
		t.Errorf("added again: %s", body)
	}

	resp, body = f.do(t, "POST", "/api/v1/cases/1/flags", adv, `{"flag_ids":[5,1]}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"added":2`) || !strings.Contains(string(body), `"categories":[]`) {
		t.Fatalf("add flags: %d %s", resp.StatusCode, body)
	}

	// Viewers read.
	resp, body = f.get(t, "/api/v1/cases/1", viewer)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"flag_count":2`) {
		t.Fatalf("get: %d %s", resp.StatusCode, body)
	}
	var list struct {
		Cases []event.Case `json:"cases"`
	}
	getList := func(path string) {
		t.Helper()
		resp, body := f.get(t, path, viewer)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		list.Cases = nil
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
	}
	getList("/api/v1/cases?status=open&limit=10")
	if len(list.Cases) != 1 || list.Cases[0].ID != 1 {
		t.Fatalf("list %+v", list)
	}
	getList("/api/v1/cases?status=closed")
	if len(list.Cases) != 0 {
		t.Fatalf("closed list %+v", list)
	}

	// Removals, then closing: the closed case's members do not change.
	if resp, body := f.do(t, "DELETE", "/api/v1/cases/1/accounts/mastodon/7", adv, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove account: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, "DELETE", "/api/v1/cases/1/flags/1", adv, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("remove flag: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "PATCH", "/api/v1/cases/1", adv, `{"status":"closed"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"closed"`) {
		t.Fatalf("close: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, "POST", "/api/v1/cases/1/flags", adv, `{"flag_ids":[2]}`)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("add to a closed case: %d %s", resp.StatusCode, body)
	}
	checkError(t, body, event.ECONFLICT, "closed")

	wantLog := []string{me + " create 1", me + " add_accounts 1", me + " add_flags 1", me + " remove_account 1", me + " remove_flag 1", me + " update 1"}
	if got := cases.changes(); !slices.Equal(got, wantLog) {
		t.Errorf("changes %v, want %v", got, wantLog)
	}

	for _, bad := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/cases", `{}`, "title is required"},
		{"POST", "/api/v1/cases", `{"title":"a\nb"}`, "control character"},
		{"POST", "/api/v1/cases", `{"title":"` + strings.Repeat("x", 201) + `"}`, "longer than 200"},
		{"POST", "/api/v1/cases", `{"title":"t","owner":"x"}`, "unknown field"},
		{"PATCH", "/api/v1/cases/1", `{}`, "nothing to update"},
		{"PATCH", "/api/v1/cases/1", `{"status":"archived"}`, "status must be"},
		{"PATCH", "/api/v1/cases/abc", `{"status":"open"}`, "case id"},
		{"PATCH", "/api/v1/cases/0", `{"status":"open"}`, "case id"},
		{"POST", "/api/v1/cases/1/accounts", `{"accounts":[]}`, "at least one"},
		{"POST", "/api/v1/cases/1/accounts", `{"accounts":[{"platform":"x"}]}`, "accounts[0]"},
		{"POST", "/api/v1/cases/1/flags", `{"flag_ids":[]}`, "at least one"},
		{"POST", "/api/v1/cases/1/flags", `{"flag_ids":[-3]}`, "flag_ids[0]"},
		{"POST", "/api/v1/cases/1/flags", `{"flag_ids":["3"]}`, "malformed"},
		{"DELETE", "/api/v1/cases/1/flags/x", ``, "flag id"},
		{"GET", "/api/v1/cases?status=archived", ``, "status"},
		{"GET", "/api/v1/cases?limit=1001", ``, "limit"},
		{"GET", "/api/v1/cases/1?x=1", ``, "unknown query parameter"},
	} {
		resp, body := f.do(t, bad.method, bad.path, adv, bad.body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s %s: %d %s, want 400", bad.method, bad.path, bad.body, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.EINVALID, bad.want)
	}

	// Reopen, then unknown members and cases are 404.
	if resp, body := f.do(t, "PATCH", "/api/v1/cases/1", adv, `{"status":"open","title":"renamed"}`); resp.StatusCode != 200 {
		t.Fatalf("reopen: %d %s", resp.StatusCode, body)
	}
	for _, nf := range []struct{ method, path, body, want string }{
		{"POST", "/api/v1/cases/1/accounts", `{"accounts":[{"platform":"x","id":"404"}]}`, "x/404"},
		{"POST", "/api/v1/cases/1/flags", `{"flag_ids":[404]}`, "flag 404"},
		{"GET", "/api/v1/cases/9", ``, "case 9"},
		{"PATCH", "/api/v1/cases/9", `{"title":"t"}`, "case 9"},
		{"DELETE", "/api/v1/cases/9/flags/1", ``, "case 9"},
	} {
		resp, body := f.do(t, nf.method, nf.path, adv, nf.body)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d %s, want 404", nf.method, nf.path, resp.StatusCode, body)
			continue
		}
		checkError(t, body, event.ENOTFOUND, nf.want)
	}
}

// TestCaseRoutesWithoutStore: without a case store or an account view the
// routes answer 503, not 500.
func TestCaseRoutesWithoutStore(t *testing.T) {
	f := newFixture(t)
	admin := "Bearer " + adminToken
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/v1/accounts/x/44", ""},
		{"GET", "/api/v1/cases", ""},
		{"POST", "/api/v1/cases", `{"title":"t"}`},
		{"GET", "/api/v1/cases/1", ""},
		{"PATCH", "/api/v1/cases/1", `{"title":"t"}`},
		{"POST", "/api/v1/cases/1/accounts", `{"accounts":[{"platform":"x","id":"44"}]}`},
		{"DELETE", "/api/v1/cases/1/accounts/x/44", ""},
		{"POST", "/api/v1/cases/1/flags", `{"flag_ids":[1]}`},
		{"DELETE", "/api/v1/cases/1/flags/1", ""},
	} {
		resp, body := f.do(t, r.method, r.path, admin, r.body)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s %s: %d %s, want 503", r.method, r.path, resp.StatusCode, body)
		}
	}
}

// filledCases serves one account view and one case with every field set.
type filledCases struct {
	event.CaseService
	view   event.AccountView
	detail event.CaseDetail
}

func (c *filledCases) FindAccount(context.Context, string, string) (*event.AccountView, error) {
	v := c.view
	return &v, nil
}

func (c *filledCases) ListCases(context.Context, event.CaseFilter) ([]event.Case, error) {
	return []event.Case{c.detail.Case}, nil
}

func (c *filledCases) GetCase(context.Context, int64) (*event.CaseDetail, error) {
	d := c.detail
	return &d, nil
}

func (c *filledCases) AddAccounts(context.Context, int64, []event.AccountRef, string) (int, error) {
	return 1, nil
}

// TestCaseFieldsDocumented serves the account view and a case with every
// field set, so that the fixture checks each field against openapi.yaml.
func TestCaseFieldsDocumented(t *testing.T) {
	stub := &filledCases{}
	fillAll(&stub.view)
	fillAll(&stub.detail)
	stub.view.Cases[0].Status = event.CaseOpen
	stub.detail.Status = event.CaseClosed
	for i := range stub.detail.Flags {
		fl := &stub.detail.Flags[i].Flag
		fl.Status = event.StatusPending
		if fl.Decision != nil {
			fl.Decision.Decision = event.DecisionConfirm
		}
	}
	f := newFixture(t, func(d *api.Deps) {
		d.Accounts = stub
		d.Cases = stub
	})
	for _, path := range []string{"/api/v1/accounts/x/1", "/api/v1/cases", "/api/v1/cases/1"} {
		body := f.getJSON(t, path, http.StatusOK, nil)
		if strings.Contains(string(body), "+06:30") {
			t.Errorf("%s: a time not in UTC: %s", path, body)
		}
	}
	resp, body := f.do(t, "POST", "/api/v1/cases/1/accounts", "Bearer "+adminToken, `{"accounts":[{"platform":"x","id":"1"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"added":1`) {
		t.Fatalf("add: %d %s", resp.StatusCode, body)
	}
}
