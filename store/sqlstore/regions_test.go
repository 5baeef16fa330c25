package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
)

// The target groups, regions and places a post names (migration 0010):
// written with the verdict on its flag, read back wherever a flag is
// read, changed by re-judgement, and the region filter of ListFlags and
// of claims. The region and place ids are the synthetic gazetteer's kind
// ("sagaing", "monywa"); they name places, never people.

// naming sets the groups, regions and places the verdict's post names.
func naming(groups, regions, places []string) option {
	return func(v *event.Verdict) { v.Groups, v.Regions, v.Places = groups, regions, places }
}

// named is what a flag says its post names.
type named struct{ groups, regions, places []string }

func namedOf(f *event.Flag) named { return named{f.Groups, f.Regions, f.Places} }

func (n named) equal(o named) bool {
	return slices.Equal(n.groups, o.groups) && slices.Equal(n.regions, o.regions) && slices.Equal(n.places, o.places)
}

func (n named) String() string {
	return fmt.Sprintf("groups %q regions %q places %q", n.groups, n.regions, n.places)
}

// checkNamed fails unless flag fl names what want says (nil and empty
// are the same: an empty list is left out of the JSON).
func checkNamed(tb testing.TB, where string, fl *event.Flag, want named) {
	tb.Helper()
	if got := namedOf(fl); !got.equal(want) {
		tb.Errorf("%s: flag %d (%s) %v, want %v", where, fl.ID, fl.PostID, got, want)
	}
}

// regionsFixture writes four flagged posts by account x/1 and one
// unflagged one: r0 names Sagaing (a township in it, Monywa) and
// journalists; r1 names Sagaing and Yangon and two groups; r2 names
// Yangon alone; r3 names nothing; r4 is not flagged but names Sagaing.
func regionsFixture(tb testing.TB, db testDB) (*Store, map[string]named) {
	tb.Helper()
	s := db.open(tb)
	want := map[string]named{
		"r0": {[]string{"journalists"}, []string{"sagaing"}, []string{"monywa", "sagaing"}},
		"r1": {[]string{"activists", "journalists"}, []string{"sagaing", "yangon"}, []string{"monywa", "yangon"}},
		"r2": {nil, []string{"yangon"}, []string{"hlaing"}},
		"r3": {},
	}
	var vs []event.Verdict
	for i, id := range []string{"r0", "r1", "r2", "r3"} {
		n := want[id]
		vs = append(vs, newVerdict("x", id, "1", i, flagged("hate"), naming(n.groups, n.regions, n.places)))
	}
	vs = append(vs, newVerdict("x", "r4", "1", 4, naming(nil, []string{"sagaing"}, []string{"sagaing"})))
	write(tb, s, vs...)
	return s, want
}

func TestFlagGroupsRegionsPlaces(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, want := regionsFixture(t, db)
		ctx := context.Background()

		// ListFlags carries them; an empty list reads as empty.
		all := allFlags(t, s, event.FlagFilter{})
		if len(all) != 4 {
			t.Fatalf("%d flags, want 4", len(all))
		}
		ids := map[string]int64{}
		for i := range all {
			checkNamed(t, "ListFlags", &all[i], want[all[i].PostID])
			ids[all[i].PostID] = all[i].ID
		}

		// The post's verdict keeps them too, flagged or not.
		for _, id := range []string{"r1", "r4"} {
			v, _ := currentVerdict(t, s, id)
			wantRegions := []string{"sagaing", "yangon"}
			if id == "r4" {
				wantRegions = []string{"sagaing"}
			}
			if !slices.Equal(v.Regions, wantRegions) {
				t.Errorf("FindPost %s: verdict regions %q, want %q", id, v.Regions, wantRegions)
			}
		}

		// The region filter matches one whole region id of the flag,
		// never a tag and never a part of an id or a place.
		for _, tc := range []struct {
			region string
			want   []string
		}{
			{"sagaing", []string{"r1", "r0"}},
			{"yangon", []string{"r2", "r1"}},
			{"saga", nil},
			{"monywa", nil},       // a place, not a region
			{"target_group", nil}, // a tag, as region matched before 0010
		} {
			var got []string
			for _, fl := range allFlags(t, s, event.FlagFilter{Region: tc.region}) {
				got = append(got, fl.PostID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("region %q: flags of %v, want %v", tc.region, got, tc.want)
			}
			// In the queue's order (severity, ties oldest first).
			fs, _, err := s.ListFlags(ctx, event.FlagFilter{Region: tc.region, Sort: event.SortSeverity})
			if err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, fl := range fs {
				got = append(got, fl.PostID)
			}
			slices.Reverse(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("region %q by severity: flags of %v, want those of %v oldest first", tc.region, got, tc.want)
			}
		}
		// The group filter, likewise, on the target groups.
		for _, tc := range []struct {
			group string
			want  []string
		}{
			{"journalists", []string{"r1", "r0"}},
			{"activists", []string{"r1"}},
			{"journalist", nil},
			{"target_group", nil}, // a tag
		} {
			var got []string
			for _, fl := range allFlags(t, s, event.FlagFilter{Group: tc.group}) {
				got = append(got, fl.PostID)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("group %q: flags of %v, want %v", tc.group, got, tc.want)
			}
		}
		if fs := allFlags(t, s, event.FlagFilter{Group: "journalists", Region: "yangon"}); len(fs) != 1 || fs[0].PostID != "r1" {
			t.Errorf("group journalists in yangon: %v, want r1's flag", flagIDs(fs))
		}
		// With a category, the page is read from flag_categories.
		if fs := allFlags(t, s, event.FlagFilter{Region: "yangon", Category: "hate", Limit: 1}); len(fs) != 2 {
			t.Errorf("region and category: %d flags, want 2", len(fs))
		}

		// A claim filters by region and hands the flags out with them.
		r := NewReview(s, leases.NewMemory(), time.Minute)
		if c := mustClaim(t, r, "monitor-b", 10, event.QueueFilter{Group: "activists"}, event.SortAge); !slices.Equal(flagIDs(c.Flags), []int64{ids["r1"]}) {
			t.Fatalf("claimed %v by group, want the flag of r1", flagIDs(c.Flags))
		} else if _, err := r.Release(ctx, "monitor-b", flagIDs(c.Flags)); err != nil {
			t.Fatal(err)
		}
		c := mustClaim(t, r, "monitor-a", 10, event.QueueFilter{Region: "sagaing"}, event.SortAge)
		if got := flagIDs(c.Flags); !slices.Equal(got, []int64{ids["r0"], ids["r1"]}) {
			t.Fatalf("claimed %v, want the flags of r0 and r1", got)
		}
		for i := range c.Flags {
			checkNamed(t, "Claim", &c.Flags[i], want[c.Flags[i].PostID])
		}
		fl := mustDecide(t, r, event.DecisionRequest{FlagID: ids["r1"], Decision: event.DecisionConfirm, Reviewer: "monitor-a"})
		checkNamed(t, "Decide", &fl, want["r1"])

		// A case's flags and an evidence set's flags carry them.
		cs, err := s.CreateCase(ctx, event.NewCase{Title: "Synthetic campaign", CreatedBy: advocate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddFlags(ctx, cs.ID, []int64{ids["r1"], ids["r2"], ids["r3"]}, advocate); err != nil {
			t.Fatal(err)
		}
		d, err := s.GetCase(ctx, cs.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Flags) != 3 {
			t.Fatalf("case flags %+v", d.Flags)
		}
		for i := range d.Flags {
			checkNamed(t, "GetCase", &d.Flags[i].Flag, want[d.Flags[i].PostID])
		}
		set, err := s.Evidence(ctx, event.EvidenceRequest{CaseID: cs.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Posts) != 3 {
			t.Fatalf("evidence posts %d, want 3", len(set.Posts))
		}
		for i := range set.Posts {
			checkNamed(t, "Evidence", &set.Posts[i].Flag, want[set.Posts[i].Flag.PostID])
		}
	})
}

// TestRejudgeGroupsRegionsPlaces: a later verdict replaces what the flag
// names, whether the flag is updated, kept as reviewed, or made anew.
func TestRejudgeGroupsRegionsPlaces(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, want := regionsFixture(t, db)
		flagOfPost := func(id string) *event.Flag {
			t.Helper()
			for _, fl := range allFlags(t, s, event.FlagFilter{}) {
				if fl.PostID == id {
					return &fl
				}
			}
			return nil
		}
		// r0: moves to Mandalay and activists; r1: is reviewed, then
		// names nothing any more; r4: flagged now, with its places.
		setStatus(t, s, flagOfPost("r1").ID, event.StatusConfirmed)
		mandalay := named{[]string{"activists"}, []string{"mandalay"}, []string{"mandalay"}}
		write(t, s,
			newVerdict("x", "r0", "1", 0, flagged("hate"), judged("example@2", "sha256:bb", 0),
				naming(mandalay.groups, mandalay.regions, mandalay.places)),
			newVerdict("x", "r1", "1", 1, flagged("hate", "incitement"), judged("example@2", "sha256:bb", 0)),
			newVerdict("x", "r4", "1", 4, flagged("incitement"), judged("example@2", "sha256:bb", 0),
				naming(nil, []string{"sagaing"}, []string{"sagaing"})),
		)
		checkNamed(t, "re-judged r0", flagOfPost("r0"), mandalay)
		r1 := flagOfPost("r1")
		checkNamed(t, "re-judged r1", r1, named{})
		if r1.Status != event.StatusConfirmed || !slices.Equal(r1.Categories, []string{"hate", "incitement"}) {
			t.Errorf("re-judged r1: status %s, categories %v", r1.Status, r1.Categories)
		}
		r4 := flagOfPost("r4")
		if r4 == nil {
			t.Fatal("r4 is not flagged after re-judgement")
		}
		checkNamed(t, "newly flagged r4", r4, named{nil, []string{"sagaing"}, []string{"sagaing"}})
		checkNamed(t, "r2, not re-judged", flagOfPost("r2"), want["r2"])

		var got []string
		for _, fl := range allFlags(t, s, event.FlagFilter{Region: "sagaing"}) {
			got = append(got, fl.PostID)
		}
		if !slices.Equal(got, []string{"r4"}) {
			t.Errorf("region sagaing after re-judgement: %v, want [r4]", got)
		}
	})
}

// TestMigrationGroupsRegions migrates a database with flags, written with
// the migrations before 0010, to 0010: every flag names nothing, the
// store reads and filters them, and a re-judging verdict fills them.
func TestMigrationGroupsRegions(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, tdb testDB) {
		ctx := context.Background()
		db, cfg := tdb.rawWriter(t)
		d := tdb.d
		dir := "migrations/" + d.name
		entries, err := fs.ReadDir(migrationsFS, dir)
		if err != nil {
			t.Fatal(err)
		}
		before := fstest.MapFS{}
		for _, e := range entries {
			if e.Name() >= "0010" {
				continue
			}
			b, err := fs.ReadFile(migrationsFS, path.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			before[path.Join(dir, e.Name())] = &fstest.MapFile{Data: b}
		}
		if got, err := migrate(ctx, db, d, before); err != nil || len(got) != 9 {
			t.Fatalf("migrate to 0009: %v, %v", got, err)
		}
		// Two posts of account x/7 as a store at 0009 wrote them, one
		// flagged and claimed, one flagged and pending.
		raw := []byte(`{"synthetic":true}`)
		for i, id := range []string{"m1", "m2"} {
			_, err := db.Exec(d.rebind(`INSERT INTO posts (platform, post_id, author_id, text, raw, raw_sha256,
				lexicon, lexicon_hash, pipeline, flagged, verdict, classified_at, stored_at)
				VALUES ('x', ?, '7', 'synthetic text', ?, ?, 'lex@1', 'sha256:aa', 'p', ?, ?, ?, ?)`),
				id, raw, event.SHA256Hex(raw), true,
				`{"flagged":true,"score":3,"categories":["hate"],"tags":["place"],"lexicon":"lex@1","lexicon_hash":"sha256:aa","pipeline":"p","classified_at":"2026-11-01T08:06:00Z"}`,
				"2026-11-01T08:06:00.000000000Z", "2026-11-01T09:00:00.000000000Z")
			if err != nil {
				t.Fatal(err)
			}
			status := []string{"claimed", "pending"}[i]
			_, err = db.Exec(d.rebind(`INSERT INTO flags (platform, post_id, author_id, score, categories, tags,
				lexicon, lexicon_hash, pipeline, status, claimed_by, claimed_from, lease_until, created_at)
				VALUES ('x', ?, '7', 3, '["hate"]', '["place"]', 'lex@1', 'sha256:aa', 'p', ?, ?, ?, ?,
				'2026-11-01T08:06:00.000000000Z')`),
				id, status, map[bool]any{true: "monitor-a"}[i == 0], map[bool]any{true: "pending"}[i == 0],
				map[bool]any{true: "2099-01-01T00:00:00.000000000Z"}[i == 0])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(d.rebind(`INSERT INTO flag_categories (category, flag_id)
				SELECT 'hate', id FROM flags WHERE post_id = ?`), id); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := migrate(ctx, db, d, migrationsFS); err != nil || !slices.Equal(got, []int{10}) {
			t.Fatalf("migrate an existing database: applied %v, %v; want [10]", got, err)
		}
		var cols string
		if err := db.QueryRow(`SELECT target_groups || regions || places FROM flags WHERE post_id = 'm1'`).Scan(&cols); err != nil || cols != "[][][]" {
			t.Errorf("the new columns of an existing flag: %q, %v; want [][][]", cols, err)
		}
		db.Close()

		s := openConfig(t, cfg)
		flags := allFlags(t, s, event.FlagFilter{})
		if len(flags) != 2 {
			t.Fatalf("%d flags after the migration, want 2", len(flags))
		}
		for i := range flags {
			checkNamed(t, "migrated", &flags[i], named{})
			if !slices.Equal(flags[i].Tags, []string{"place"}) {
				t.Errorf("migrated flag %s: tags %v", flags[i].PostID, flags[i].Tags)
			}
		}
		if n := len(allFlags(t, s, event.FlagFilter{Region: "sagaing"})); n != 0 {
			t.Errorf("region filter on migrated flags: %d flags, want 0", n)
		}
		// Re-judged with a gazetteer, both flags name Sagaing; the
		// claimed one keeps its claim.
		var vs []event.Verdict
		for _, id := range []string{"m1", "m2"} {
			vs = append(vs, newVerdict("x", id, "7", 0, flagged("hate"), withRaw(raw), judged("lex@2", "sha256:bb", 0),
				naming([]string{"journalists"}, []string{"sagaing"}, []string{"monywa"})))
		}
		write(t, s, vs...)
		flags = allFlags(t, s, event.FlagFilter{Region: "sagaing"})
		if len(flags) != 2 {
			t.Fatalf("region sagaing after re-judgement: %d flags, want 2", len(flags))
		}
		for i := range flags {
			fl := &flags[i]
			checkNamed(t, "re-judged", fl, named{[]string{"journalists"}, []string{"sagaing"}, []string{"monywa"}})
			wantStatus := map[string]string{"m1": event.StatusClaimed, "m2": event.StatusPending}[fl.PostID]
			if fl.Status != wantStatus || fl.Lexicon != "lex@2" {
				t.Errorf("re-judged %s: status %s, lexicon %s; want %s, lex@2", fl.PostID, fl.Status, fl.Lexicon, wantStatus)
			}
		}
	})
}
