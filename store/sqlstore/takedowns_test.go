package sqlstore

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// All data here is synthetic: accounts example_account_N, placeholder text.

// takedownNote is an advocate's note that the audit log must not hold.
const takedownNote = "called the synthetic platform contact 5b8e"

// takedownFixture is accountFixture with the store's clock fixed two days
// after t0, a recorded pack and a case.
func takedownFixture(tb testing.TB, db testDB) (*Store, event.PackRecord, event.Case) {
	tb.Helper()
	s := accountFixture(tb, db)
	s.now = func() time.Time { return t0.Add(48 * time.Hour) }
	p := event.PackRecord{ID: "pack-td1", Subject: "account:x:1", Profile: "meta", CreatedBy: advocate,
		KeyID: "0123456789abcdef", ManifestSHA256: strings.Repeat("c", 64), Posts: 3}
	if err := s.RecordPack(context.Background(), p); err != nil {
		tb.Fatal(err)
	}
	return s, p, mustCreateCase(tb, s, "synthetic takedown case")
}

func mustCreateTakedown(tb testing.TB, s *Store, n event.NewTakedown) event.Takedown {
	tb.Helper()
	td, err := s.CreateTakedown(context.Background(), n, advocate)
	if err != nil {
		tb.Fatalf("CreateTakedown(%+v): %v", n, err)
	}
	return td
}

func mustUpdateTakedown(tb testing.TB, s *Store, id int64, u event.TakedownUpdate) event.Takedown {
	tb.Helper()
	td, err := s.UpdateTakedown(context.Background(), id, u, advocate)
	if err != nil {
		tb.Fatalf("UpdateTakedown(%d, %+v): %v", id, u, err)
	}
	return td
}

// takedownAudit returns the audit entries about takedown id, their
// details only.
func takedownAudit(tb testing.TB, s *Store, id int64) []string {
	tb.Helper()
	es, err := s.Audit().List(context.Background(), 0, MaxAuditLimit)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.Contains(string(e.Details), "5b8e") {
			tb.Errorf("entry %d holds the note's text: %s", e.Seq, e.Details)
		}
		if e.Subject == "takedown:"+itoa(int(id)) {
			if e.Action != event.AuditTakedown || e.Actor != advocate {
				tb.Errorf("entry %d: action %q by %q", e.Seq, e.Action, e.Actor)
			}
			out = append(out, string(e.Details))
		}
	}
	return out
}

func TestTakedownLifecycle(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, pack, c := takedownFixture(t, db)
		ctx := context.Background()
		sent := t0.Add(time.Hour)
		td := mustCreateTakedown(t, s, event.NewTakedown{Platform: "meta", Channel: "trusted flagger portal",
			PackID: pack.ID, CaseID: c.ID, SentAt: sent, Note: takedownNote,
			Accounts: []event.AccountRef{{Platform: "x", ID: "2"}, {Platform: "x", ID: "1"}}})
		want := event.Takedown{ID: td.ID, Platform: "meta", Channel: "trusted flagger portal", PackID: pack.ID, CaseID: c.ID,
			Accounts: []event.AccountRef{{Platform: "x", ID: "1"}, {Platform: "x", ID: "2"}},
			SentAt:   sent, Status: event.TakedownSent, StatusAt: sent, CreatedBy: advocate, CreatedAt: s.now(),
			History: []event.TakedownChange{{Status: event.TakedownSent, At: sent, By: advocate, Note: takedownNote}}}
		if !reflect.DeepEqual(td, want) {
			t.Fatalf("created:\n%+v\nwant:\n%+v", td, want)
		}
		if got, err := s.GetTakedown(ctx, td.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("GetTakedown: %+v, %v", got, err)
		}
		var handle string
		if err := s.queryRow(`SELECT handle_at_request FROM takedown_accounts WHERE takedown_id = ? AND account_id = '1'`, td.ID).Scan(&handle); err != nil || handle != "new_handle" {
			t.Errorf("handle at request %q, %v; want new_handle", handle, err)
		}

		// To the status it has: refused; before it was sent: refused.
		_, err := s.UpdateTakedown(ctx, td.ID, event.TakedownUpdate{Status: event.TakedownSent, At: sent.Add(time.Minute)}, advocate)
		wantCode(t, err, event.EINVALID)
		if !strings.Contains(event.ErrorMessage(err), "already sent") {
			t.Errorf("same status: %q", event.ErrorMessage(err))
		}
		_, err = s.UpdateTakedown(ctx, td.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: sent.Add(-time.Second)}, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.UpdateTakedown(ctx, td.ID, event.TakedownUpdate{Status: "done", At: sent.Add(time.Minute)}, advocate)
		wantCode(t, err, event.EINVALID)
		_, err = s.UpdateTakedown(ctx, 404, event.TakedownUpdate{Status: event.TakedownActioned}, advocate)
		wantCode(t, err, event.ENOTFOUND)
		_, err = s.UpdateTakedown(ctx, td.ID, event.TakedownUpdate{Status: event.TakedownActioned}, "Jane Example")
		wantCode(t, err, event.EINVALID)

		ref := "META-REF-0001"
		td = mustUpdateTakedown(t, s, td.ID, event.TakedownUpdate{Status: event.TakedownAcknowledged, At: sent.Add(30 * time.Minute), Reference: &ref})
		if td.Status != event.TakedownAcknowledged || td.Reference != ref || !td.StatusAt.Equal(sent.Add(30*time.Minute)) ||
			!td.ActionedAt.IsZero() || td.TimeToActionSeconds != 0 {
			t.Errorf("acknowledged: %+v", td)
		}
		td = mustUpdateTakedown(t, s, td.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: sent.Add(2 * time.Hour), Note: takedownNote})
		if td.Status != event.TakedownActioned || !td.ActionedAt.Equal(sent.Add(2*time.Hour)) || td.TimeToActionSeconds != 7200 || td.Reference != ref {
			t.Errorf("actioned: %+v", td)
		}
		// A reversal clears actioned_at; at zero is the store's now.
		td = mustUpdateTakedown(t, s, td.ID, event.TakedownUpdate{Status: event.TakedownRejected})
		if td.Status != event.TakedownRejected || !td.ActionedAt.IsZero() || td.TimeToActionSeconds != 0 || !td.StatusAt.Equal(s.now()) {
			t.Errorf("rejected: %+v", td)
		}
		td = mustUpdateTakedown(t, s, td.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: sent.Add(3 * time.Hour)})
		if td.TimeToActionSeconds != 3*3600 {
			t.Errorf("actioned again: %+v", td)
		}
		wantHistory := []event.TakedownChange{
			{Status: event.TakedownSent, At: sent, By: advocate, Note: takedownNote},
			{Status: event.TakedownAcknowledged, At: sent.Add(30 * time.Minute), By: advocate},
			{Status: event.TakedownActioned, At: sent.Add(2 * time.Hour), By: advocate, Note: takedownNote},
			{Status: event.TakedownRejected, At: s.now(), By: advocate},
			{Status: event.TakedownActioned, At: sent.Add(3 * time.Hour), By: advocate},
		}
		if !reflect.DeepEqual(td.History, wantHistory) {
			t.Errorf("history %+v, want %+v", td.History, wantHistory)
		}

		caseID := itoa(int(c.ID))
		wantAudit := []string{
			`{"accounts":2,"case_id":` + caseID + `,"change":"create","channel":"trusted flagger portal","has_note":true,"pack_id":"pack-td1","platform":"meta","status":"sent"}`,
			`{"change":"update","has_note":false,"reference_changed":true,"status":{"from":"sent","to":"acknowledged"}}`,
			`{"change":"update","has_note":true,"reference_changed":false,"status":{"from":"acknowledged","to":"actioned"}}`,
			`{"change":"update","has_note":false,"reference_changed":false,"status":{"from":"actioned","to":"rejected"}}`,
			`{"change":"update","has_note":false,"reference_changed":false,"status":{"from":"rejected","to":"actioned"}}`,
		}
		if got := takedownAudit(t, s, td.ID); !slices.Equal(got, wantAudit) {
			t.Errorf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantAudit, "\n"))
		}
		if res, err := s.Audit().Verify(ctx); err != nil || !res.OK {
			t.Errorf("audit verify: %+v, %v", res, err)
		}

		// Without a pack or a case.
		bare := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "email to a synthetic address",
			Accounts: []event.AccountRef{{Platform: "x", ID: "3"}}})
		if bare.PackID != "" || bare.CaseID != 0 || !bare.SentAt.Equal(s.now()) {
			t.Errorf("bare request: %+v", bare)
		}
		if got := takedownAudit(t, s, bare.ID); len(got) != 1 ||
			got[0] != `{"accounts":1,"change":"create","channel":"email to a synthetic address","has_note":false,"platform":"x","status":"sent"}` {
			t.Errorf("bare request's audit: %v", got)
		}
		_, err = s.GetTakedown(ctx, 404)
		wantCode(t, err, event.ENOTFOUND)
	})
}

func TestTakedownCreateInvalid(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, pack, c := takedownFixture(t, db)
		ctx := context.Background()
		good := event.NewTakedown{Platform: "meta", Channel: "form", PackID: pack.ID, CaseID: c.ID,
			Accounts: []event.AccountRef{{Platform: "x", ID: "1"}}}
		many := make([]event.AccountRef, event.MaxTakedownAccounts+1)
		for i := range many {
			many[i] = event.AccountRef{Platform: "x", ID: itoa(i)}
		}
		for _, tc := range []struct {
			name   string
			edit   func(*event.NewTakedown)
			code   string
			saying string
		}{
			{"no platform", func(n *event.NewTakedown) { n.Platform = " " }, event.EINVALID, "platform"},
			{"no channel", func(n *event.NewTakedown) { n.Channel = "" }, event.EINVALID, "channel"},
			{"channel of two lines", func(n *event.NewTakedown) { n.Channel = "form\nand email" }, event.EINVALID, "channel"},
			{"long channel", func(n *event.NewTakedown) { n.Channel = strings.Repeat("c", event.MaxTakedownTextBytes+1) }, event.EINVALID, "channel"},
			{"long note", func(n *event.NewTakedown) { n.Note = strings.Repeat("n", event.MaxTakedownTextBytes+1) }, event.EINVALID, "note"},
			{"reference of two lines", func(n *event.NewTakedown) { n.Reference = "a\nb" }, event.EINVALID, "reference"},
			{"no accounts", func(n *event.NewTakedown) { n.Accounts = nil }, event.EINVALID, "at least one"},
			{"too many accounts", func(n *event.NewTakedown) { n.Accounts = many }, event.EINVALID, "at most"},
			{"an account twice", func(n *event.NewTakedown) {
				n.Accounts = []event.AccountRef{{Platform: "x", ID: "1"}, {Platform: "x", ID: "2"}, {Platform: "x", ID: "1"}}
			}, event.EINVALID, "x/1"},
			{"an account without id", func(n *event.NewTakedown) { n.Accounts = []event.AccountRef{{Platform: "x"}} }, event.EINVALID, "platform and id"},
			{"negative case", func(n *event.NewTakedown) { n.CaseID = -1 }, event.EINVALID, "case"},
			{"unknown pack", func(n *event.NewTakedown) { n.PackID = "pack-404" }, event.ENOTFOUND, "pack-404"},
			{"unknown case", func(n *event.NewTakedown) { n.CaseID = 404 }, event.ENOTFOUND, "case 404"},
			{"unknown account", func(n *event.NewTakedown) {
				n.Accounts = []event.AccountRef{{Platform: "x", ID: "1"}, {Platform: "x", ID: "405"}, {Platform: "x", ID: "404"}}
			}, event.ENOTFOUND, "x/405"},
		} {
			n := good
			tc.edit(&n)
			_, err := s.CreateTakedown(ctx, n, advocate)
			if event.ErrorCode(err) != tc.code || !strings.Contains(event.ErrorMessage(err), tc.saying) {
				t.Errorf("%s: %v, want %s saying %q", tc.name, err, tc.code, tc.saying)
			}
		}
		_, err := s.CreateTakedown(ctx, good, "Jane Example")
		wantCode(t, err, event.EINVALID)
		if ts, err := s.ListTakedowns(ctx, event.TakedownFilter{}); err != nil || len(ts) != 0 {
			t.Errorf("refused requests were stored: %+v, %v", ts, err)
		}
		// The most accounts one request may hold.
		write(t, s, func() []event.Verdict {
			var vs []event.Verdict
			for i := range event.MaxTakedownAccounts {
				vs = append(vs, newVerdict("telegram", "t"+itoa(i), itoa(i), i))
			}
			return vs
		}()...)
		all := make([]event.AccountRef, event.MaxTakedownAccounts)
		for i := range all {
			all[i] = event.AccountRef{Platform: "telegram", ID: itoa(i)}
		}
		td := mustCreateTakedown(t, s, event.NewTakedown{Platform: "telegram", Channel: "abuse form", Accounts: all})
		if len(td.Accounts) != event.MaxTakedownAccounts {
			t.Errorf("%d accounts stored", len(td.Accounts))
		}
	})
}

func TestListTakedowns(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, pack, c := takedownFixture(t, db)
		ctx := context.Background()
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		x1, x2, m1 := event.AccountRef{Platform: "x", ID: "1"}, event.AccountRef{Platform: "x", ID: "2"}, event.AccountRef{Platform: "mastodon", ID: "1"}
		a := mustCreateTakedown(t, s, event.NewTakedown{Platform: "meta", Channel: "portal", PackID: pack.ID, CaseID: c.ID, SentAt: at(1), Accounts: []event.AccountRef{x1}})
		b := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "form", SentAt: at(3), Accounts: []event.AccountRef{x1, x2}})
		d := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "form", SentAt: at(3), Accounts: []event.AccountRef{m1}})
		e := mustCreateTakedown(t, s, event.NewTakedown{Platform: "meta", Channel: "portal", CaseID: c.ID, SentAt: at(2), Accounts: []event.AccountRef{x2}})
		mustUpdateTakedown(t, s, b.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: at(5)})
		mustUpdateTakedown(t, s, e.ID, event.TakedownUpdate{Status: event.TakedownNoResponse, At: at(20)})
		ids := func(ts []event.Takedown) []int64 {
			var out []int64
			for _, t := range ts {
				out = append(out, t.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    event.TakedownFilter
			want []int64
		}{
			// Most recently sent first; b and d were sent at once.
			{"all", event.TakedownFilter{}, []int64{d.ID, b.ID, e.ID, a.ID}},
			{"status", event.TakedownFilter{Status: event.TakedownSent}, []int64{d.ID, a.ID}},
			{"actioned", event.TakedownFilter{Status: event.TakedownActioned}, []int64{b.ID}},
			{"platform", event.TakedownFilter{Platform: "meta"}, []int64{e.ID, a.ID}},
			{"case", event.TakedownFilter{CaseID: c.ID}, []int64{e.ID, a.ID}},
			{"account", event.TakedownFilter{Account: &x2}, []int64{b.ID, e.ID}},
			{"account on another platform", event.TakedownFilter{Account: &m1}, []int64{d.ID}},
			{"unknown account", event.TakedownFilter{Account: &event.AccountRef{Platform: "x", ID: "404"}}, nil},
			{"filters together", event.TakedownFilter{Platform: "x", Account: &x1}, []int64{b.ID}},
			{"page", event.TakedownFilter{Limit: 2, Offset: 1}, []int64{b.ID, e.ID}},
			{"past the end", event.TakedownFilter{Offset: 4}, nil},
		} {
			ts, err := s.ListTakedowns(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := ids(ts); !slices.Equal(got, tc.want) || ts == nil {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		ts, err := s.ListTakedowns(ctx, event.TakedownFilter{Account: &x1})
		if err != nil || len(ts) != 2 {
			t.Fatal(ts, err)
		}
		got, err := s.GetTakedown(ctx, b.ID)
		if err != nil || !reflect.DeepEqual(ts[0], got) || got.TimeToActionSeconds != 2*3600 || len(got.History) != 2 || len(got.Accounts) != 2 {
			t.Errorf("listed %+v, got %+v (%v)", ts[0], got, err)
		}
		for name, f := range map[string]event.TakedownFilter{
			"status":         {Status: "done"},
			"limit":          {Limit: -1},
			"offset":         {Offset: -1},
			"case":           {CaseID: -2},
			"account no id":  {Account: &event.AccountRef{Platform: "x"}},
			"account no pla": {Account: &event.AccountRef{ID: "1"}},
		} {
			_, err := s.ListTakedowns(ctx, f)
			if event.ErrorCode(err) != event.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
	})
}

func TestTakedownReappeared(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, _, _ := takedownFixture(t, db)
		ctx := context.Background()
		at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
		// x/1 and x/2 actioned at minute 60; m/1 sent and never actioned.
		td := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "form", SentAt: at(40),
			Accounts: []event.AccountRef{{Platform: "x", ID: "1"}, {Platform: "x", ID: "2"}}})
		mustUpdateTakedown(t, s, td.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: at(60)})
		other := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "form", SentAt: at(40),
			Accounts: []event.AccountRef{{Platform: "mastodon", ID: "1"}}})
		mustUpdateTakedown(t, s, other.ID, event.TakedownUpdate{Status: event.TakedownRejected, At: at(70)})

		stats, err := s.TakedownStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := event.TakedownStats{ByStatus: map[string]int{"sent": 0, "acknowledged": 0, "actioned": 1, "rejected": 1, "no_response": 0},
			TimeToAction: []float64{1200}}
		if !reflect.DeepEqual(stats, want) {
			t.Errorf("stats %+v, want %+v", stats, want)
		}
		if rs, err := s.Reappeared(ctx, 0); err != nil || len(rs) != 0 || rs == nil {
			t.Fatalf("before any new post: %+v, %v", rs, err)
		}

		// x/1 posts again under a new name, captured after the action
		// (minute 85 and 95); x/2 posts something written before the
		// action but captured only now (it was still up); m/1, never
		// actioned, posts again too.
		write(t, s,
			newVerdict("x", "r1", "1", 80, withHandle("comeback_handle")),
			newVerdict("x", "r2", "1", 90, flagged("hate"), withHandle("comeback_handle")),
			newVerdict("x", "r3", "2", 50, func(v *event.Verdict) { v.Post.CapturedAt = at(120) }),
			newVerdict("mastodon", "r4", "1", 100),
		)
		rs, err := s.Reappeared(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		wantRs := []event.Reappearance{
			{Account: event.AccountRef{Platform: "x", ID: "2"}, TakedownID: td.ID, ActionedAt: at(60),
				HandleAtAction: "example_account_2", Handle: "example_account_2", NewHandles: []string{}, LastSeen: at(120), PostsSince: 1},
			{Account: event.AccountRef{Platform: "x", ID: "1"}, TakedownID: td.ID, ActionedAt: at(60),
				HandleAtAction: "new_handle", Handle: "comeback_handle", NewHandles: []string{"comeback_handle"}, LastSeen: at(95), PostsSince: 2},
		}
		if !reflect.DeepEqual(rs, wantRs) {
			t.Errorf("reappeared:\n%+v\nwant:\n%+v", rs, wantRs)
		}
		if rs, err := s.Reappeared(ctx, 1); err != nil || len(rs) != 1 || rs[0].Account.ID != "2" {
			t.Errorf("limit 1: %+v, %v", rs, err)
		}
		_, err = s.Reappeared(ctx, -1)
		wantCode(t, err, event.EINVALID)

		// A later action against x/1 counts from its own time: nothing
		// since, so x/1 is gone again.
		again := mustCreateTakedown(t, s, event.NewTakedown{Platform: "x", Channel: "form", SentAt: at(100),
			Accounts: []event.AccountRef{{Platform: "x", ID: "1"}}})
		mustUpdateTakedown(t, s, again.ID, event.TakedownUpdate{Status: event.TakedownActioned, At: at(130)})
		rs, err = s.Reappeared(ctx, 0)
		if err != nil || len(rs) != 1 || rs[0].Account.ID != "2" {
			t.Errorf("after x/1's second action: %+v, %v", rs, err)
		}
		stats, err = s.TakedownStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want = event.TakedownStats{ByStatus: map[string]int{"sent": 0, "acknowledged": 0, "actioned": 2, "rejected": 1, "no_response": 0},
			TimeToAction: []float64{1200, 1800}, Reappeared: 1}
		if !reflect.DeepEqual(stats, want) {
			t.Errorf("stats %+v, want %+v", stats, want)
		}
	})
}
