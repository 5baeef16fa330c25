package sqlstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// All data here is synthetic: accounts example_account_N, placeholder text.

const advocate = "reviewer-0a1b2c3d"

// accountFixture writes author 1's posts on x: a flagged post as
// old_handle at minute 0, an unflagged one at minute 5, then as new_handle
// flagged posts at minutes 10, 20 and 30 (one on list-a, one on list-b),
// and author 2's and mastodon author 1's posts beside them. The flag of
// minute 20 is confirmed, then a later verdict from other lexicons stops
// flagging its post: the flag is kept with its review, unflagged. The flag
// of minute 30 is escalated.
func accountFixture(tb testing.TB, db testDB) *Store {
	tb.Helper()
	s := db.open(tb)
	write(tb, s,
		newVerdict("x", "p0", "1", 0, flagged("hate"), withHandle("old_handle")),
		newVerdict("x", "p1", "1", 5, withHandle("old_handle")),
		newVerdict("x", "p2", "1", 10, flagged("hate", "incitement"), withHandle("new_handle"), onLists("list-a")),
		newVerdict("x", "p3", "1", 20, flagged("incitement"), withHandle("new_handle")),
		newVerdict("x", "p4", "1", 30, flagged("hate"), withHandle("new_handle"), onLists("list-b")),
		newVerdict("x", "q0", "2", 3, flagged("hate"), onLists("list-a")),
		newVerdict("x", "q1", "3", 4),
		newVerdict("mastodon", "m0", "1", 7, flagged("hate"), onLists("list-a")),
	)
	s.exec(tb, `UPDATE flags SET status = 'confirmed' WHERE post_id = 'p3'`)
	s.exec(tb, `UPDATE flags SET status = 'escalated' WHERE post_id = 'p4'`)
	write(tb, s, newVerdict("x", "p3", "1", 20, withHandle("new_handle"), judged("example@2026-12-01", "sha256:"+strings.Repeat("b", 64), 0)))
	return s
}

func TestFindAccount(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := accountFixture(t, db)
		ctx := context.Background()
		v, err := s.FindAccount(ctx, "x", "1")
		if err != nil {
			t.Fatal(err)
		}
		at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
		wantHandles := []event.HandleSeen{
			{Handle: "old_handle", FirstSeen: at(0), LastSeen: at(5)},
			{Handle: "new_handle", FirstSeen: at(10), LastSeen: at(30)},
		}
		if !reflect.DeepEqual(v.HandleHistory, wantHandles) {
			t.Errorf("handle history %+v, want %+v", v.HandleHistory, wantHandles)
		}
		if !slices.Equal(v.Handles, []string{"old_handle", "new_handle"}) || v.Handle != "new_handle" {
			t.Errorf("handles %v (current %q)", v.Handles, v.Handle)
		}
		if !v.FirstSeen.Equal(at(0)) || !v.LastSeen.Equal(at(30)) || v.PostCount != 5 {
			t.Errorf("seen %v to %v, %d posts; want %v to %v, 5", v.FirstSeen, v.LastSeen, v.PostCount, at(0), at(30))
		}
		// p3 no longer flagged: three flags count, in hate (3) and
		// incitement (1, p2's).
		if v.FlagCount != 3 || !reflect.DeepEqual(v.Categories, map[string]int{"hate": 3, "incitement": 1}) {
			t.Errorf("flag count %d, categories %v", v.FlagCount, v.Categories)
		}
		if !slices.Equal(v.Lists, []string{"list-a", "list-b"}) {
			t.Errorf("lists %v", v.Lists)
		}
		wantStatus := map[string]int{"pending": 2, "claimed": 0, "confirmed": 0, "dismissed": 0, "escalated": 1}
		if !reflect.DeepEqual(v.FlagsByStatus, wantStatus) || v.UnflaggedReviewed != 1 {
			t.Errorf("flags by status %v, unflagged reviewed %d; want %v, 1", v.FlagsByStatus, v.UnflaggedReviewed, wantStatus)
		}
		if len(v.Cases) != 0 {
			t.Errorf("cases %v, want none", v.Cases)
		}

		// The aggregate is the one ListAccounts gives.
		for _, a := range allAccounts(t, s, event.AccountFilter{}) {
			if a.Platform == "x" && a.ID == "1" && !reflect.DeepEqual(a, v.Account) {
				t.Errorf("FindAccount's aggregate %+v, ListAccounts' %+v", v.Account, a)
			}
		}

		// The cases it is in, oldest first; not those of others.
		c1 := mustCreateCase(t, s, "network one")
		c2 := mustCreateCase(t, s, "network two")
		c3 := mustCreateCase(t, s, "unrelated")
		for _, c := range []event.Case{c2, c1} {
			if _, err := s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x", ID: "1"}}, advocate); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddAccounts(ctx, c3.ID, []event.AccountRef{{Platform: "mastodon", ID: "1"}}, advocate); err != nil {
			t.Fatal(err)
		}
		closed := event.CaseClosed
		if _, err := s.UpdateCase(ctx, c2.ID, event.CaseUpdate{Status: &closed}, advocate); err != nil {
			t.Fatal(err)
		}
		v, err = s.FindAccount(ctx, "x", "1")
		if err != nil {
			t.Fatal(err)
		}
		want := []event.CaseRef{{ID: c1.ID, Title: "network one", Status: "open"}, {ID: c2.ID, Title: "network two", Status: "closed"}}
		if !reflect.DeepEqual(v.Cases, want) {
			t.Errorf("cases %+v, want %+v", v.Cases, want)
		}

		// An account without flags or cases: every status 0, lists empty.
		v, err = s.FindAccount(ctx, "x", "3")
		if err != nil {
			t.Fatal(err)
		}
		if v.FlagCount != 0 || v.FlagsByStatus["pending"] != 0 || len(v.FlagsByStatus) != 5 || len(v.Cases) != 0 ||
			len(v.HandleHistory) != 1 || v.Categories == nil {
			t.Errorf("quiet account %+v", v)
		}

		_, err = s.FindAccount(ctx, "x", "404")
		wantCode(t, err, event.ENOTFOUND)
		_, err = s.FindAccount(ctx, "telegram", "1")
		wantCode(t, err, event.ENOTFOUND)
		_, err = s.FindAccount(ctx, "", "1")
		wantCode(t, err, event.EINVALID)
	})
}

func TestListAccountsByList(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := accountFixture(t, db)
		keys := func(as []event.Account) []string {
			var out []string
			for _, a := range as {
				out = append(out, a.Platform+"/"+a.ID)
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			f    event.AccountFilter
			want []string
		}{
			{event.AccountFilter{List: "list-a"}, []string{"mastodon/1", "x/1", "x/2"}},
			{event.AccountFilter{List: "list-b"}, []string{"x/1"}},
			{event.AccountFilter{List: "list-a", Platform: "x"}, []string{"x/1", "x/2"}},
			{event.AccountFilter{List: "list-a", Flagged: true, Platform: "mastodon"}, []string{"mastodon/1"}},
			{event.AccountFilter{List: "list"}, nil}, // exact, not a prefix
			{event.AccountFilter{}, []string{"mastodon/1", "x/1", "x/2", "x/3"}},
		} {
			if got := keys(allAccounts(t, s, tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
			}
		}
		// A page of one account on list-a still carries its lists and
		// categories (the child queries repeat the filter).
		as, err := s.ListAccounts(context.Background(), event.AccountFilter{List: "list-a", Platform: "x", Limit: 1})
		if err != nil || len(as) != 1 || as[0].ID != "1" || !slices.Equal(as[0].Lists, []string{"list-a", "list-b"}) || as[0].Categories["hate"] != 3 {
			t.Fatalf("one page: %+v, %v", as, err)
		}
	})
}

func mustCreateCase(tb testing.TB, s *Store, title string) event.Case {
	tb.Helper()
	c, err := s.CreateCase(context.Background(), event.NewCase{Title: title, Description: "synthetic case", CreatedBy: advocate})
	if err != nil {
		tb.Fatalf("CreateCase(%q): %v", title, err)
	}
	return c
}

// caseAudit returns the audit entries about case id, as "actor details".
func caseAudit(tb testing.TB, s *Store, id int64) []string {
	tb.Helper()
	es, err := s.Audit().List(context.Background(), 0, MaxAuditLimit)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Subject == fmt.Sprintf("case:%d", id) {
			if e.Action != event.AuditCaseUpdate {
				tb.Errorf("entry %d: action %q", e.Seq, e.Action)
			}
			out = append(out, e.Actor+" "+string(e.Details))
		}
	}
	return out
}

func checkAudit(tb testing.TB, s *Store, id int64, want ...string) {
	tb.Helper()
	if got := caseAudit(tb, s, id); !slices.Equal(got, want) {
		tb.Fatalf("audit of case %d:\n%s\nwant:\n%s", id, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	res, err := s.Audit().Verify(context.Background())
	if err != nil || !res.OK {
		tb.Fatalf("audit verify: %+v, %v", res, err)
	}
}

// TestCases walks a case through its life: every change in the audit log
// with ids only, repeated changes idempotent and unlogged, unknown members
// refused whole, a closed case's members frozen.
func TestCases(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := accountFixture(t, db)
		ctx := context.Background()
		clock := t0.Add(48 * time.Hour)
		s.now = func() time.Time { clock = clock.Add(time.Second); return clock }

		c, err := s.CreateCase(ctx, event.NewCase{Title: "Campaign against a synthetic group",
			Description: "line one\nline two", CreatedBy: advocate})
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 || c.Status != event.CaseOpen || c.CreatedBy != advocate || !c.CreatedAt.Equal(clock) || !c.UpdatedAt.Equal(clock) {
			t.Fatalf("created %+v", c)
		}
		checkAudit(t, s, c.ID, advocate+` {"change":"create","status":"open"}`)

		// Accounts: duplicates in one call count once, unknown ones fail
		// the whole call, a second add is a no-op.
		n, err := s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x", ID: "2"}, {Platform: "x", ID: "1"}, {Platform: "x", ID: "2"}}, advocate)
		if err != nil || n != 2 {
			t.Fatalf("add accounts: %d, %v", n, err)
		}
		addedAt := clock
		_, err = s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "mastodon", ID: "1"}, {Platform: "x", ID: "404"}}, advocate)
		wantCode(t, err, event.ENOTFOUND)
		if !strings.Contains(err.Error(), "x/404") {
			t.Errorf("error %v does not name the account", err)
		}
		if n, err := s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x", ID: "1"}}, "reviewer-99999999"); err != nil || n != 0 {
			t.Fatalf("add again: %d, %v", n, err)
		}
		_, err = s.AddAccounts(ctx, c.ID+100, []event.AccountRef{{Platform: "x", ID: "1"}}, advocate)
		wantCode(t, err, event.ENOTFOUND)
		_, err = s.AddAccounts(ctx, c.ID, nil, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x"}}, advocate)
		wantCode(t, err, event.EINVALID)

		// Flags: p2's and q0's, and p0's twice.
		flagID := func(post string) int64 {
			var id int64
			if err := s.queryRow(`SELECT id FROM flags WHERE post_id = ?`, post).Scan(&id); err != nil {
				t.Fatalf("flag of %s: %v", post, err)
			}
			return id
		}
		p0, p2, q0 := flagID("p0"), flagID("p2"), flagID("q0")
		if n, err := s.AddFlags(ctx, c.ID, []int64{q0, p2, q0}, advocate); err != nil || n != 2 {
			t.Fatalf("add flags: %d, %v", n, err)
		}
		if n, err := s.AddFlags(ctx, c.ID, []int64{p2}, advocate); err != nil || n != 0 {
			t.Fatalf("add flag again: %d, %v", n, err)
		}
		_, err = s.AddFlags(ctx, c.ID, []int64{p0, 999999}, advocate)
		wantCode(t, err, event.ENOTFOUND)
		_, err = s.AddFlags(ctx, c.ID, []int64{0}, advocate)
		wantCode(t, err, event.EINVALID)

		lo, hi := p2, q0
		if lo > hi {
			lo, hi = hi, lo
		}
		checkAudit(t, s, c.ID,
			advocate+` {"change":"create","status":"open"}`,
			advocate+` {"accounts":[{"id":"1","platform":"x"},{"id":"2","platform":"x"}],"change":"add_accounts"}`,
			advocate+fmt.Sprintf(` {"change":"add_flags","flag_ids":[%d,%d]}`, lo, hi),
		)

		// The case with its members: accounts with their aggregates as
		// ListAccounts gives them, flags newest first.
		d, err := s.GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.AccountCount != 2 || d.FlagCount != 2 || d.Description != "line one\nline two" || !d.UpdatedAt.After(c.UpdatedAt) {
			t.Errorf("case %+v", d.Case)
		}
		every := map[string]event.Account{}
		for _, a := range allAccounts(t, s, event.AccountFilter{}) {
			every[a.Platform+"/"+a.ID] = a
		}
		if len(d.Accounts) != 2 {
			t.Fatalf("accounts %+v", d.Accounts)
		}
		for i, key := range []string{"x/1", "x/2"} {
			a := d.Accounts[i]
			if !reflect.DeepEqual(a.Account, every[key]) || a.AddedBy != advocate || !a.AddedAt.Equal(addedAt) {
				t.Errorf("account %d: %+v, want %s's aggregate %+v added by %s at %v", i, a, key, every[key], advocate, addedAt)
			}
		}
		var gotFlags []int64
		for _, f := range d.Flags {
			gotFlags = append(gotFlags, f.ID)
			if f.AddedBy != advocate || f.AddedAt.IsZero() || len(f.Categories) == 0 || f.Status == "" {
				t.Errorf("flag %+v", f)
			}
		}
		if !slices.Equal(gotFlags, []int64{hi, lo}) || len(d.MissingFlags) != 0 {
			t.Errorf("flags %v (missing %v), want [%d %d]", gotFlags, d.MissingFlags, hi, lo)
		}

		// Updates: only what changes is logged.
		title, same := "Campaign, renamed", "line one\nline two"
		u, err := s.UpdateCase(ctx, c.ID, event.CaseUpdate{Title: &title, Description: &same}, advocate)
		if err != nil || u.Title != title || u.AccountCount != 2 {
			t.Fatalf("update: %+v, %v", u, err)
		}
		if u2, err := s.UpdateCase(ctx, c.ID, event.CaseUpdate{Title: &title}, advocate); err != nil || !u2.UpdatedAt.Equal(u.UpdatedAt) {
			t.Fatalf("no-op update: %+v, %v", u2, err)
		}
		closed, open, bad, empty := event.CaseClosed, event.CaseOpen, "archived", " "
		if _, err := s.UpdateCase(ctx, c.ID, event.CaseUpdate{Status: &closed}, advocate); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateCase(ctx, c.ID, event.CaseUpdate{Status: &bad}, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.UpdateCase(ctx, c.ID, event.CaseUpdate{Title: &empty}, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.UpdateCase(ctx, c.ID, event.CaseUpdate{}, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.UpdateCase(ctx, c.ID+100, event.CaseUpdate{Status: &open}, advocate)
		wantCode(t, err, event.ENOTFOUND)

		// A closed case's members do not change.
		_, err = s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "mastodon", ID: "1"}}, advocate)
		wantCode(t, err, event.ECONFLICT)
		wantCode(t, s.RemoveAccount(ctx, c.ID, event.AccountRef{Platform: "x", ID: "1"}, advocate), event.ECONFLICT)
		_, err = s.AddFlags(ctx, c.ID, []int64{p0}, advocate)
		wantCode(t, err, event.ECONFLICT)
		wantCode(t, s.RemoveFlag(ctx, c.ID, p2, advocate), event.ECONFLICT)

		if _, err := s.UpdateCase(ctx, c.ID, event.CaseUpdate{Status: &open}, advocate); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAccount(ctx, c.ID, event.AccountRef{Platform: "x", ID: "2"}, advocate); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveAccount(ctx, c.ID, event.AccountRef{Platform: "x", ID: "2"}, advocate); err != nil {
			t.Fatalf("remove again: %v", err)
		}
		if err := s.RemoveFlag(ctx, c.ID, q0, advocate); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveFlag(ctx, c.ID, q0, advocate); err != nil {
			t.Fatalf("remove flag again: %v", err)
		}
		wantCode(t, s.RemoveFlag(ctx, c.ID+100, q0, advocate), event.ENOTFOUND)

		checkAudit(t, s, c.ID,
			advocate+` {"change":"create","status":"open"}`,
			advocate+` {"accounts":[{"id":"1","platform":"x"},{"id":"2","platform":"x"}],"change":"add_accounts"}`,
			advocate+fmt.Sprintf(` {"change":"add_flags","flag_ids":[%d,%d]}`, lo, hi),
			advocate+` {"change":"update","fields":["title"]}`,
			advocate+` {"change":"update","fields":["status"],"status":{"from":"open","to":"closed"}}`,
			advocate+` {"change":"update","fields":["status"],"status":{"from":"closed","to":"open"}}`,
			advocate+` {"account":{"id":"2","platform":"x"},"change":"remove_account"}`,
			advocate+fmt.Sprintf(` {"change":"remove_flag","flag_id":%d}`, q0),
		)
		d, err = s.GetCase(ctx, c.ID)
		if err != nil || len(d.Accounts) != 1 || d.Accounts[0].ID != "1" || len(d.Flags) != 1 || d.Flags[0].ID != p2 {
			t.Fatalf("after removals: %+v, %v", d, err)
		}
		_, err = s.GetCase(ctx, c.ID+100)
		wantCode(t, err, event.ENOTFOUND)
	})
}

// TestCaseAuditAtomic: a change whose audit entry is refused (a real name
// as the actor) is not made at all.
func TestCaseAuditAtomic(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := accountFixture(t, db)
		ctx := context.Background()
		_, err := s.CreateCase(ctx, event.NewCase{Title: "t", CreatedBy: "Jane Doe"})
		wantCode(t, err, event.EINVALID)
		if cs, err := s.ListCases(ctx, event.CaseFilter{}); err != nil || len(cs) != 0 {
			t.Fatalf("cases after a refused create: %v, %v", cs, err)
		}
		c := mustCreateCase(t, s, "t")
		_, err = s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x", ID: "1"}}, "Jane Doe")
		wantCode(t, err, event.EINVALID)
		d, err := s.GetCase(ctx, c.ID)
		if err != nil || len(d.Accounts) != 0 || !d.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("case after a refused add: %+v, %v", d, err)
		}
		for _, bad := range []event.NewCase{
			{Title: "", CreatedBy: advocate},
			{Title: "two\nlines", CreatedBy: advocate},
			{Title: strings.Repeat("x", event.MaxCaseTitleBytes+1), CreatedBy: advocate},
			{Title: "ok", Description: strings.Repeat("x", event.MaxCaseDescriptionBytes+1), CreatedBy: advocate},
			{Title: "bad \xff utf-8", CreatedBy: advocate},
		} {
			_, err := s.CreateCase(ctx, bad)
			wantCode(t, err, event.EINVALID)
		}
		checkAudit(t, s, c.ID, advocate+` {"change":"create","status":"open"}`)
	})
}

// TestCaseMissingFlag: a pending flag in a case that a re-judgement
// deletes does not make the verdict's write fail; the case names it as
// missing, by its post.
func TestCaseMissingFlag(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := accountFixture(t, db)
		ctx := context.Background()
		c := mustCreateCase(t, s, "t")
		var id int64
		if err := s.queryRow(`SELECT id FROM flags WHERE post_id = 'p0'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddFlags(ctx, c.ID, []int64{id}, advocate); err != nil {
			t.Fatal(err)
		}
		write(t, s, newVerdict("x", "p0", "1", 0, withHandle("old_handle"), judged("example@2026-12-01", "sha256:"+strings.Repeat("c", 64), 0)))
		if _, fid := currentVerdict(t, s, "p0"); fid != 0 {
			t.Fatalf("the pending flag was kept (%d): the fixture no longer tests this", fid)
		}
		d, err := s.GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Flags) != 0 || d.FlagCount != 1 || len(d.MissingFlags) != 1 {
			t.Fatalf("case %+v", d)
		}
		m := d.MissingFlags[0]
		if m.FlagID != id || m.Platform != "x" || m.PostID != "p0" || m.AddedBy != advocate {
			t.Errorf("missing flag %+v", m)
		}
		if err := s.RemoveFlag(ctx, c.ID, id, advocate); err != nil {
			t.Fatal(err)
		}
		if d, err := s.GetCase(ctx, c.ID); err != nil || len(d.MissingFlags) != 0 || d.FlagCount != 0 {
			t.Fatalf("after removing it: %+v, %v", d, err)
		}
	})
}

func TestListCases(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		write(t, s, newVerdict("x", "p0", "1", 0, flagged("hate")))
		ctx := context.Background()
		clock := t0
		s.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
		var cs []event.Case
		for i := range 5 {
			cs = append(cs, mustCreateCase(t, s, fmt.Sprintf("case %d", i)))
		}
		closed := event.CaseClosed
		for _, i := range []int{1, 3} {
			if _, err := s.UpdateCase(ctx, cs[i].ID, event.CaseUpdate{Status: &closed}, advocate); err != nil {
				t.Fatal(err)
			}
		}
		// Case 0 is touched last: it comes first.
		if _, err := s.AddAccounts(ctx, cs[0].ID, []event.AccountRef{{Platform: "x", ID: "1"}}, advocate); err != nil {
			t.Fatal(err)
		}
		titles := func(f event.CaseFilter) []string {
			got, err := s.ListCases(ctx, f)
			if err != nil {
				t.Fatalf("ListCases(%+v): %v", f, err)
			}
			var out []string
			for _, c := range got {
				out = append(out, c.Title)
			}
			return out
		}
		for _, tc := range []struct {
			f    event.CaseFilter
			want []string
		}{
			{event.CaseFilter{}, []string{"case 0", "case 3", "case 1", "case 4", "case 2"}},
			{event.CaseFilter{Status: event.CaseOpen}, []string{"case 0", "case 4", "case 2"}},
			{event.CaseFilter{Status: event.CaseClosed}, []string{"case 3", "case 1"}},
			{event.CaseFilter{Limit: 2, Offset: 1}, []string{"case 3", "case 1"}},
			{event.CaseFilter{Offset: 10}, nil},
		} {
			if got := titles(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.f, got, tc.want)
			}
		}
		all, _ := s.ListCases(ctx, event.CaseFilter{Limit: 1})
		if len(all) != 1 || all[0].AccountCount != 1 || all[0].FlagCount != 0 {
			t.Errorf("first case %+v", all)
		}
		for _, bad := range []event.CaseFilter{{Status: "archived"}, {Limit: -1}, {Offset: -1}} {
			_, err := s.ListCases(ctx, bad)
			wantCode(t, err, event.EINVALID)
		}
	})
}

// TestCasesConcurrent: advocates adding the same accounts and flags to one
// case at once add each once, with one audit entry per call that added
// something, and the chain stays intact.
func TestCasesConcurrent(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		var vs []event.Verdict
		for i := range 20 {
			vs = append(vs, newVerdict("x", itoa(i), itoa(i), i, flagged("hate")))
		}
		write(t, s, vs...)
		ctx := context.Background()
		c := mustCreateCase(t, s, "t")
		var refs []event.AccountRef
		var flags []int64
		for i := range 20 {
			refs = append(refs, event.AccountRef{Platform: "x", ID: itoa(i)})
			var id int64
			if err := s.queryRow(`SELECT id FROM flags WHERE post_id = ?`, itoa(i)).Scan(&id); err != nil {
				t.Fatal(err)
			}
			flags = append(flags, id)
		}
		const workers = 8
		var wg sync.WaitGroup
		addedAccounts := make([]int, workers)
		addedFlags := make([]int, workers)
		errs := make([]error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each worker adds an overlapping window, in its own order.
				mine := slices.Clone(refs[w : w+12])
				if w%2 == 1 {
					slices.Reverse(mine)
				}
				n, err := s.AddAccounts(ctx, c.ID, mine, fmt.Sprintf("reviewer-%08d", w))
				addedAccounts[w] = n
				if err == nil {
					addedFlags[w], err = s.AddFlags(ctx, c.ID, flags[w:w+12], fmt.Sprintf("reviewer-%08d", w))
				}
				errs[w] = err
			}()
		}
		wg.Wait()
		sumA, sumF := 0, 0
		for w := range workers {
			if errs[w] != nil {
				t.Fatalf("worker %d: %v", w, errs[w])
			}
			sumA += addedAccounts[w]
			sumF += addedFlags[w]
		}
		if sumA != 19 || sumF != 19 {
			t.Errorf("added %d accounts and %d flags in all, want 19 and 19", sumA, sumF)
		}
		d, err := s.GetCase(ctx, c.ID)
		if err != nil || len(d.Accounts) != 19 || len(d.Flags) != 19 {
			t.Fatalf("case: %d accounts, %d flags, %v", len(d.Accounts), len(d.Flags), err)
		}
		entries := caseAudit(t, s, c.ID)
		want := 1
		for w := range workers {
			if addedAccounts[w] > 0 {
				want++
			}
			if addedFlags[w] > 0 {
				want++
			}
		}
		if len(entries) != want {
			t.Errorf("%d audit entries, want %d", len(entries), want)
		}
		if res, err := s.Audit().Verify(ctx); err != nil || !res.OK {
			t.Fatalf("verify: %+v, %v", res, err)
		}
	})
}
