package sqlstore

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
)

// All data here is synthetic: accounts example_account_N, placeholder text.

// evidenceNote is a reviewer's note that must never reach a pack.
const evidenceNote = "team-only note 9c41e7 about this synthetic post"

func withLexiconHash(h string) option { return func(v *event.Verdict) { v.LexiconHash = h } }

// withoutPlatformTime drops the platform's time: the post is captured at
// minute minute and has no created_at.
func withoutPlatformTime(minute int) option {
	return func(v *event.Verdict) {
		v.Post.CreatedAt = time.Time{}
		v.Post.CapturedAt = t0.Add(time.Duration(minute) * time.Minute)
	}
}

// flagID returns the id of the flag on post platform/id.
func flagID(tb testing.TB, s *Store, platform, id string) int64 {
	tb.Helper()
	var fid int64
	if err := s.queryRow(`SELECT id FROM flags WHERE platform = ? AND post_id = ?`, platform, id).Scan(&fid); err != nil {
		tb.Fatalf("flag of %s/%s: %v", platform, id, err)
	}
	return fid
}

// decideOne claims every flag of queue level as reviewer, decides flag id
// and releases the others: a decision made through the review path.
func decideOne(tb testing.TB, r *Review, reviewer, level string, id int64, decision, note, translation string) {
	tb.Helper()
	c := mustClaim(tb, r, reviewer, event.MaxClaimLimit, event.QueueFilter{Status: level}, event.SortAge)
	if !slices.Contains(flagIDs(c.Flags), id) {
		tb.Fatalf("flag %d not claimed from the %s queue (claimed %v)", id, level, flagIDs(c.Flags))
	}
	mustDecide(tb, r, event.DecisionRequest{FlagID: id, Decision: decision, Note: note, Translation: translation, Reviewer: reviewer})
	others := slices.DeleteFunc(flagIDs(c.Flags), func(f int64) bool { return f == id })
	if _, err := r.Release(context.Background(), reviewer, others); err != nil {
		tb.Fatal(err)
	}
}

// evidenceFixture writes, on x, author 1's posts p0 (minute 0), p1 (not
// flagged), p2 (minute 10), p3 (20), p4 (30) and p5 (no platform time,
// captured at minute 2), first as old_handle then as new_handle; author
// 2's q0 and author 3's unflagged q1; and mastodon author 1's m0. It
// reviews them through the queue: p0 confirmed, p2 escalated and then
// confirmed, p3 dismissed, p4 left pending, p5 confirmed, q0 confirmed,
// m0 escalated; every decision with evidenceNote. It returns the
// verdicts by post id.
func evidenceFixture(tb testing.TB, db testDB) (*Store, map[string]event.Verdict) {
	tb.Helper()
	s := db.open(tb)
	hash := withLexiconHash("sha256:" + strings.Repeat("a", 64))
	vs := []event.Verdict{
		newVerdict("x", "p0", "1", 0, flagged("hate"), withHandle("old_handle"), hash),
		newVerdict("x", "p1", "1", 5, withHandle("old_handle"), hash),
		newVerdict("x", "p2", "1", 10, flagged("hate", "incitement"), withHandle("new_handle"), hash, withRaw([]byte("<html>\x00\xff raw bytes as captured</html>"))),
		newVerdict("x", "p3", "1", 20, flagged("incitement"), withHandle("new_handle"), hash),
		newVerdict("x", "p4", "1", 30, flagged("hate"), withHandle("new_handle"), hash),
		newVerdict("x", "p5", "1", 0, flagged("hate"), withHandle("new_handle"), withoutPlatformTime(2)),
		newVerdict("x", "q0", "2", 3, flagged("hate")),
		newVerdict("x", "q1", "3", 4),
		newVerdict("mastodon", "m0", "1", 7, flagged("hate")),
	}
	write(tb, s, vs...)
	byID := map[string]event.Verdict{}
	for _, v := range vs {
		byID[v.Post.ID] = v
	}
	r := NewReview(s, leases.NewMemory(), time.Minute)
	tb.Cleanup(func() { r.Close() })
	const tr = "synthetic translation"
	decideOne(tb, r, "monitor-a", event.StatusPending, flagID(tb, s, "x", "p0"), event.DecisionConfirm, evidenceNote, tr+" p0")
	decideOne(tb, r, "monitor-a", event.StatusPending, flagID(tb, s, "x", "p2"), event.DecisionEscalate, evidenceNote, "")
	decideOne(tb, r, "admin-b", event.StatusEscalated, flagID(tb, s, "x", "p2"), event.DecisionConfirm, evidenceNote, tr+" p2")
	decideOne(tb, r, "monitor-a", event.StatusPending, flagID(tb, s, "x", "p3"), event.DecisionDismiss, evidenceNote, "")
	decideOne(tb, r, "monitor-c", event.StatusPending, flagID(tb, s, "x", "p5"), event.DecisionConfirm, evidenceNote, "")
	decideOne(tb, r, "monitor-c", event.StatusPending, flagID(tb, s, "x", "q0"), event.DecisionConfirm, evidenceNote, "")
	decideOne(tb, r, "monitor-c", event.StatusPending, flagID(tb, s, "mastodon", "m0"), event.DecisionEscalate, evidenceNote, "")
	return s, byID
}

func mustEvidence(tb testing.TB, s *Store, req event.EvidenceRequest) *event.EvidenceSet {
	tb.Helper()
	set, err := s.Evidence(context.Background(), req)
	if err != nil {
		tb.Fatalf("Evidence(%+v): %v", req, err)
	}
	// Whatever the request: no note, in any field.
	b, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	if strings.Contains(string(b), "9c41e7") {
		tb.Fatalf("the evidence set holds a reviewer's note: %s", b)
	}
	if strings.Contains(string(b), `"note"`) {
		tb.Fatalf("the evidence set has a note field: %s", b)
	}
	return set
}

func postIDs(set *event.EvidenceSet) []string {
	var out []string
	for _, p := range set.Posts {
		out = append(out, p.Post.Platform+"/"+p.Post.ID)
	}
	return out
}

func accountKeys(set *event.EvidenceSet) []string {
	var out []string
	for _, a := range set.Accounts {
		out = append(out, a.Platform+"/"+a.ID)
	}
	return out
}

// checkEvidencePosts checks each post against the verdict written: the
// post as captured, byte for byte, and its lexicon hash.
func checkEvidencePosts(tb testing.TB, set *event.EvidenceSet, written map[string]event.Verdict) {
	tb.Helper()
	for _, ep := range set.Posts {
		v := written[ep.Post.ID]
		if got, want := string(mustJSON(ep.Post)), string(mustJSON(v.Post)); got != want {
			tb.Errorf("post %s:\n got %s\nwant %s", ep.Post.ID, got, want)
		}
		if string(ep.Post.Raw) != string(v.Post.Raw) || ep.RawSHA256 != v.Post.RawSHA256 || ep.RawSHA256 != event.SHA256Hex(ep.Post.Raw) {
			tb.Errorf("post %s: raw %q (sha256 %s), want %q (%s)", ep.Post.ID, ep.Post.Raw, ep.RawSHA256, v.Post.Raw, v.Post.RawSHA256)
		}
		if ep.LexiconHash != v.LexiconHash {
			tb.Errorf("post %s: lexicon hash %q, want %q", ep.Post.ID, ep.LexiconHash, v.LexiconHash)
		}
		if ep.StoredAt.IsZero() || ep.Flag.PostID != ep.Post.ID || ep.Flag.Platform != ep.Post.Platform || ep.Trail == nil {
			tb.Errorf("post %s: stored at %v, flag %+v, trail %v", ep.Post.ID, ep.StoredAt, ep.Flag, ep.Trail)
		}
	}
}

// checkAccountViews checks that the set's accounts are those FindAccount
// gives, one by one.
func checkAccountViews(tb testing.TB, s *Store, set *event.EvidenceSet) {
	tb.Helper()
	for _, a := range set.Accounts {
		v, err := s.FindAccount(context.Background(), a.Platform, a.ID)
		if err != nil {
			tb.Fatal(err)
		}
		if !reflect.DeepEqual(*v, a) {
			tb.Errorf("account %s/%s in the set:\n%+v\nFindAccount:\n%+v", a.Platform, a.ID, a, *v)
		}
	}
}

func TestEvidenceAccount(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, written := evidenceFixture(t, db)
		before := time.Now().Add(-time.Second)
		set := mustEvidence(t, s, event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: "1"}})
		if set.Subject != "account:x:1" || set.Case != nil || set.Truncated || set.GatheredAt.Before(before) {
			t.Errorf("set %q, case %v, truncated %v, gathered at %v", set.Subject, set.Case, set.Truncated, set.GatheredAt)
		}
		// Confirmed and escalated by default; by the post's time, p5
		// by its capture time.
		if got, want := postIDs(set), []string{"x/p0", "x/p5", "x/p2"}; !slices.Equal(got, want) {
			t.Fatalf("posts %v, want %v", got, want)
		}
		if got := accountKeys(set); !slices.Equal(got, []string{"x/1"}) {
			t.Errorf("accounts %v", got)
		}
		checkEvidencePosts(t, set, written)
		checkAccountViews(t, s, set)

		p2 := set.Posts[2]
		if p2.Flag.Status != event.StatusConfirmed || !slices.Equal(p2.Flag.Categories, []string{"hate", "incitement"}) {
			t.Errorf("p2's flag %+v", p2.Flag)
		}
		if len(p2.Trail) != 2 {
			t.Fatalf("p2's trail %+v, want two steps", p2.Trail)
		}
		first, second := p2.Trail[0], p2.Trail[1]
		if first.Level != event.StatusPending || first.Decision != event.DecisionEscalate || first.Reviewer != "monitor-a" ||
			first.FlagID != p2.Flag.ID || first.Translation != "" || first.DecidedAt.IsZero() {
			t.Errorf("p2's first step %+v", first)
		}
		if second.Level != event.StatusEscalated || second.Decision != event.DecisionConfirm || second.Reviewer != "admin-b" ||
			second.Translation != "synthetic translation p2" || second.DecidedAt.Before(first.DecidedAt) {
			t.Errorf("p2's second step %+v", second)
		}
		d := p2.Flag.Decision
		if d == nil || d.Decision != event.DecisionConfirm || d.Reviewer != "admin-b" || d.Note != "" ||
			d.Translation != "synthetic translation p2" || !d.DecidedAt.Equal(second.DecidedAt) {
			t.Errorf("p2's decision %+v, want the latest step without its note", d)
		}
		// The flag is the one ListFlags gives, but for the note.
		listed := statusOf(t, s, p2.Flag.ID)
		if listed.Decision == nil || listed.Decision.Note != evidenceNote {
			t.Fatalf("p2 listed with decision %+v", listed.Decision)
		}
		listed.Decision.Note = ""
		if !reflect.DeepEqual(listed, p2.Flag) {
			t.Errorf("p2's flag in the set:\n%+v\nListFlags:\n%+v", p2.Flag, listed)
		}
		if len(set.Posts[0].Trail) != 1 || set.Posts[0].Trail[0].Translation != "synthetic translation p0" {
			t.Errorf("p0's trail %+v", set.Posts[0].Trail)
		}

		// Other statuses; repeated ones count once.
		set = mustEvidence(t, s, event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: "1"},
			Statuses: []string{event.StatusPending, event.StatusDismissed, event.StatusPending}})
		if got, want := postIDs(set), []string{"x/p3", "x/p4"}; !slices.Equal(got, want) {
			t.Errorf("pending and dismissed posts %v, want %v", got, want)
		}
		if p4 := set.Posts[1]; p4.Flag.Decision != nil || len(p4.Trail) != 0 || p4.Flag.Status != event.StatusPending {
			t.Errorf("pending p4: %+v", p4)
		}
		checkEvidencePosts(t, set, written)

		// An account with nothing matching is still the pack's account.
		set = mustEvidence(t, s, event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: "3"}})
		if len(set.Posts) != 0 || !slices.Equal(accountKeys(set), []string{"x/3"}) || set.Posts == nil {
			t.Errorf("quiet account: posts %v, accounts %v", postIDs(set), accountKeys(set))
		}
	})
}

// TestEvidenceClaims: a claim that lapsed reads as the status it came
// from, one still running as claimed, as in ListFlags.
func TestEvidenceClaims(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, _ := evidenceFixture(t, db)
		m0 := flagID(t, s, "mastodon", "m0")
		account := &event.AccountRef{Platform: "mastodon", ID: "1"}
		set := mustEvidence(t, s, event.EvidenceRequest{Account: account})
		if len(set.Posts) != 1 || set.Posts[0].Flag.Status != event.StatusEscalated ||
			set.Posts[0].Flag.Decision == nil || set.Posts[0].Flag.Decision.Decision != event.DecisionEscalate {
			t.Fatalf("escalated m0: %+v", set.Posts)
		}
		s.exec(t, `UPDATE flags SET status = 'claimed', claimed_by = 'admin-b', claimed_from = 'escalated',
	lease_until = '2000-01-01T00:00:00.000000000Z' WHERE id = ?`, m0)
		set = mustEvidence(t, s, event.EvidenceRequest{Account: account})
		if len(set.Posts) != 1 || set.Posts[0].Flag.Status != event.StatusEscalated || set.Posts[0].Flag.ClaimedBy != "" {
			t.Fatalf("lapsed claim of m0: %+v", set.Posts)
		}
		s.exec(t, `UPDATE flags SET lease_until = '9999-01-01T00:00:00.000000000Z' WHERE id = ?`, m0)
		set = mustEvidence(t, s, event.EvidenceRequest{Account: account})
		if len(set.Posts) != 0 {
			t.Fatalf("running claim of m0 taken in as escalated: %+v", set.Posts)
		}
		set = mustEvidence(t, s, event.EvidenceRequest{Account: account, Statuses: []string{event.StatusClaimed}})
		if len(set.Posts) != 1 || set.Posts[0].Flag.Status != event.StatusClaimed || set.Posts[0].Flag.ClaimedBy != "admin-b" {
			t.Fatalf("claimed m0: %+v", set.Posts)
		}
	})
}

func TestEvidenceCase(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, written := evidenceFixture(t, db)
		ctx := context.Background()
		c := mustCreateCase(t, s, "synthetic network")
		if _, err := s.AddAccounts(ctx, c.ID, []event.AccountRef{{Platform: "x", ID: "2"}, {Platform: "x", ID: "3"}}, advocate); err != nil {
			t.Fatal(err)
		}
		// Author 1's pending, dismissed and confirmed flags, and author
		// 2's confirmed one, which the case's accounts bring in too.
		if _, err := s.AddFlags(ctx, c.ID, []int64{flagID(t, s, "x", "p4"), flagID(t, s, "x", "p3"),
			flagID(t, s, "x", "p0"), flagID(t, s, "x", "q0")}, advocate); err != nil {
			t.Fatal(err)
		}
		set := mustEvidence(t, s, event.EvidenceRequest{CaseID: c.ID})
		if set.Subject != "case:"+itoa(int(c.ID)) || set.Case == nil || set.Case.ID != c.ID || set.Case.Title != "synthetic network" ||
			set.Case.AccountCount != 2 || set.Case.FlagCount != 4 {
			t.Errorf("subject %q, case %+v", set.Subject, set.Case)
		}
		if got, want := postIDs(set), []string{"x/p0", "x/p3", "x/p4", "x/q0"}; !slices.Equal(got, want) {
			t.Fatalf("posts %v, want %v", got, want)
		}
		// The case's accounts, x/3 without a post in it, and the author
		// of its flags.
		if got, want := accountKeys(set), []string{"x/1", "x/2", "x/3"}; !slices.Equal(got, want) {
			t.Errorf("accounts %v, want %v", got, want)
		}
		checkEvidencePosts(t, set, written)
		checkAccountViews(t, s, set)
		if got := set.Accounts[1].Cases; len(got) != 1 || got[0].ID != c.ID {
			t.Errorf("x/2's cases %+v", got)
		}

		// The accounts' flags follow the statuses asked; the case's own
		// are taken in whatever their status.
		set = mustEvidence(t, s, event.EvidenceRequest{CaseID: c.ID, Statuses: []string{event.StatusPending}})
		if got, want := postIDs(set), []string{"x/p0", "x/p3", "x/p4", "x/q0"}; !slices.Equal(got, want) {
			t.Errorf("posts %v, want %v", got, want)
		}
		if err := s.RemoveFlag(ctx, c.ID, flagID(t, s, "x", "q0"), advocate); err != nil {
			t.Fatal(err)
		}
		set = mustEvidence(t, s, event.EvidenceRequest{CaseID: c.ID, Statuses: []string{event.StatusPending}})
		if got, want := postIDs(set), []string{"x/p0", "x/p3", "x/p4"}; !slices.Equal(got, want) {
			t.Errorf("posts %v, want %v", got, want)
		}
		// x/2 stays: it is the case's.
		if got, want := accountKeys(set), []string{"x/1", "x/2", "x/3"}; !slices.Equal(got, want) {
			t.Errorf("accounts %v, want %v", got, want)
		}
	})
}

func TestEvidenceLimit(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, _ := evidenceFixture(t, db)
		account := &event.AccountRef{Platform: "x", ID: "1"}
		all := mustEvidence(t, s, event.EvidenceRequest{Account: account})
		newest := slices.Sorted(slices.Values(flagIDsOf(all)))[1:]
		// The newest two flags, in the set's order.
		want := slices.DeleteFunc(flagIDsOf(all), func(id int64) bool { return !slices.Contains(newest, id) })
		set := mustEvidence(t, s, event.EvidenceRequest{Account: account, Limit: 2})
		if !set.Truncated || !slices.Equal(flagIDsOf(set), want) {
			t.Fatalf("limit 2: flags %v, truncated %v; want %v, truncated", flagIDsOf(set), set.Truncated, want)
		}
		set = mustEvidence(t, s, event.EvidenceRequest{Account: account, Limit: 3})
		if set.Truncated || len(set.Posts) != 3 {
			t.Errorf("limit 3: %d posts, truncated %v", len(set.Posts), set.Truncated)
		}
	})
}

func flagIDsOf(set *event.EvidenceSet) []int64 {
	var out []int64
	for _, p := range set.Posts {
		out = append(out, p.Flag.ID)
	}
	return out
}

func TestEvidenceErrors(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, _ := evidenceFixture(t, db)
		x1 := &event.AccountRef{Platform: "x", ID: "1"}
		for _, tc := range []struct {
			name string
			req  event.EvidenceRequest
			code string
		}{
			{"nothing", event.EvidenceRequest{}, event.EINVALID},
			{"both", event.EvidenceRequest{Account: x1, CaseID: 1}, event.EINVALID},
			{"no account id", event.EvidenceRequest{Account: &event.AccountRef{Platform: "x"}}, event.EINVALID},
			{"negative case", event.EvidenceRequest{CaseID: -1}, event.EINVALID},
			{"unknown status", event.EvidenceRequest{Account: x1, Statuses: []string{"approved"}}, event.EINVALID},
			{"negative limit", event.EvidenceRequest{Account: x1, Limit: -1}, event.EINVALID},
			{"unknown account", event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: "404"}}, event.ENOTFOUND},
			{"account on another platform", event.EvidenceRequest{Account: &event.AccountRef{Platform: "telegram", ID: "1"}}, event.ENOTFOUND},
			{"unknown case", event.EvidenceRequest{CaseID: 404}, event.ENOTFOUND},
		} {
			_, err := s.Evidence(context.Background(), tc.req)
			if got := event.ErrorCode(err); got != tc.code {
				t.Errorf("%s: error %v, code %q, want %q", tc.name, err, got, tc.code)
			}
		}
	})
}

func TestRecordPack(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		r := event.PackRecord{ID: "pack-01J9Z8", Subject: "account:x:1", Profile: "meta",
			CreatedAt: t0.Add(time.Hour), CreatedBy: "advocate-4d2e", KeyID: "0123456789abcdef",
			ManifestSHA256: strings.Repeat("ab", 32), Posts: 3}
		if err := s.RecordPack(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := s.Pack(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("Pack: %+v, want %+v", got, r)
		}
		again := r
		again.Posts = 4
		wantCode(t, s.RecordPack(ctx, again), event.ECONFLICT)
		if got, _ := s.Pack(ctx, r.ID); got.Posts != 3 {
			t.Errorf("a refused record changed the pack: %+v", got)
		}

		es, err := s.Audit().List(ctx, 0, MaxAuditLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 1 || es[0].Action != event.AuditExport || es[0].Subject != "pack:pack-01J9Z8" || es[0].Actor != "advocate-4d2e" ||
			string(es[0].Details) != `{"key_id":"0123456789abcdef","manifest_sha256":"`+strings.Repeat("ab", 32)+
				`","posts":3,"profile":"meta","subject":"account:x:1"}` {
			t.Errorf("audit entries %+v", es)
		}
		if res, err := s.Audit().Verify(ctx); err != nil || !res.OK || res.Entries != 1 {
			t.Errorf("audit verify: %+v, %v", res, err)
		}

		// The store's clock when no time is given.
		before := time.Now().Add(-time.Second)
		if err := s.RecordPack(ctx, event.PackRecord{ID: "pack-2", Subject: "case:1", Profile: "x", KeyID: "k1",
			ManifestSHA256: strings.Repeat("0", 64), CreatedBy: "advocate-4d2e"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Pack(ctx, "pack-2"); err != nil || got.CreatedAt.Before(before) || got.Posts != 0 {
			t.Errorf("pack-2: %+v, %v", got, err)
		}

		_, err = s.Pack(ctx, "pack-404")
		wantCode(t, err, event.ENOTFOUND)
		for name, bad := range map[string]func(*event.PackRecord){
			"no id":             func(p *event.PackRecord) { p.ID = "" },
			"id with a space":   func(p *event.PackRecord) { p.ID = "pack 3" },
			"id with a slash":   func(p *event.PackRecord) { p.ID = "../pack" },
			"no subject":        func(p *event.PackRecord) { p.Subject = "" },
			"no key id":         func(p *event.PackRecord) { p.KeyID = " " },
			"subject two lines": func(p *event.PackRecord) { p.Subject = "case:1\ncase:2" },
			"short hash":        func(p *event.PackRecord) { p.ManifestSHA256 = "abc" },
			"uppercase hash":    func(p *event.PackRecord) { p.ManifestSHA256 = strings.Repeat("AB", 32) },
			"negative posts":    func(p *event.PackRecord) { p.Posts = -1 },
			"a real name":       func(p *event.PackRecord) { p.CreatedBy = "Jane Example" },
		} {
			p := r
			p.ID = "pack-3"
			bad(&p)
			if err := s.RecordPack(ctx, p); event.ErrorCode(err) != event.EINVALID {
				t.Errorf("%s: %v, want EINVALID", name, err)
			}
		}
		if _, err := s.Pack(ctx, "pack-3"); event.ErrorCode(err) != event.ENOTFOUND {
			t.Errorf("a refused pack was recorded: %v", err)
		}
	})
}
