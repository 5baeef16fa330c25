package sqlstore

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/vigilhq/vigil/event"
)

// flagFixture writes 40 posts, 30 of them flagged, over two platforms and
// three authors, with categories whose names share prefixes, and confirms
// every third flag. It returns the store and the verdicts written.
func flagFixture(tb testing.TB, db testDB) (*Store, []event.Verdict) {
	tb.Helper()
	s := db.open(tb)
	cats := [][]string{{"hate"}, {"hate_speech"}, {"hate", "incitement"}, {"incitement"}, {"dehumanisation", "hate_speech"}}
	var vs []event.Verdict
	for i := range 40 {
		platform := "x"
		if i%4 == 3 {
			platform = "mastodon"
		}
		var opts []option
		if i%4 != 1 {
			opts = append(opts, flagged(cats[i%len(cats)]...))
		}
		vs = append(vs, newVerdict(platform, itoa(1000+i), itoa(i%3), i, opts...))
	}
	// Three batches, so that ids come from more than one transaction.
	write(tb, s, vs[:13]...)
	write(tb, s, vs[13:29]...)
	write(tb, s, vs[29:]...)
	s.exec(tb, "UPDATE flags SET status = 'confirmed' WHERE id % 3 = 0")
	return s, vs
}

func TestListFlags(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, vs := flagFixture(t, db)

		// Every flag, newest first, as the oracle for the filters.
		every := allFlags(t, s, event.FlagFilter{Limit: MaxFlagLimit})
		var wantPosts []string
		for i := len(vs) - 1; i >= 0; i-- {
			if vs[i].Flagged {
				wantPosts = append(wantPosts, vs[i].Post.ID)
			}
		}
		var gotPosts []string
		for _, f := range every {
			gotPosts = append(gotPosts, f.PostID)
		}
		if !slices.Equal(gotPosts, wantPosts) {
			t.Fatalf("all flags, newest first: posts %v, want %v", gotPosts, wantPosts)
		}

		for _, tc := range []struct {
			name   string
			filter event.FlagFilter
			keep   func(event.Flag) bool
		}{
			{"all", event.FlagFilter{}, func(event.Flag) bool { return true }},
			{"platform", event.FlagFilter{Platform: "mastodon"}, func(f event.Flag) bool { return f.Platform == "mastodon" }},
			{"category hate is not hate_speech", event.FlagFilter{Category: "hate"},
				func(f event.Flag) bool { return slices.Contains(f.Categories, "hate") }},
			{"category hate_speech", event.FlagFilter{Category: "hate_speech"},
				func(f event.Flag) bool { return slices.Contains(f.Categories, "hate_speech") }},
			{"category that matches nothing", event.FlagFilter{Category: "hat"}, func(event.Flag) bool { return false }},
			{"status", event.FlagFilter{Status: event.StatusConfirmed}, func(f event.Flag) bool { return f.Status == event.StatusConfirmed }},
			{"author", event.FlagFilter{AuthorID: "2"}, func(f event.Flag) bool { return f.AuthorID == "2" }},
			{"everything at once", event.FlagFilter{Platform: "x", Category: "incitement", Status: event.StatusPending, AuthorID: "0"},
				func(f event.Flag) bool {
					return f.Platform == "x" && slices.Contains(f.Categories, "incitement") && f.Status == event.StatusPending && f.AuthorID == "0"
				}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				var want []event.Flag
				for _, f := range every {
					if tc.keep(f) {
						want = append(want, f)
					}
				}
				if tc.name != "category that matches nothing" && len(want) == 0 {
					t.Fatal("the fixture has no flag for this filter")
				}
				// Page sizes that divide the result and ones that do not; the
				// helper checks order, page size and the cursor on each page.
				for _, limit := range []int{1, 2, 3, 7, len(want), 0, MaxFlagLimit} {
					f := tc.filter
					f.Limit = limit
					got := allFlags(t, s, f)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("limit %d: got %d flags %v, want %d %v", limit, len(got), ids(got), len(want), ids(want))
					}
				}
			})
		}
	})
}

func ids(fs []event.Flag) []int64 {
	var out []int64
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestListFlagsCursor(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s, _ := flagFixture(t, db)
		ctx := context.Background()
		every := allFlags(t, s, event.FlagFilter{Limit: MaxFlagLimit})
		n := len(every) // 30

		for _, tc := range []struct {
			name     string
			filter   event.FlagFilter
			wantLen  int
			wantNext int64
		}{
			{"first page", event.FlagFilter{Limit: 10}, 10, every[9].ID},
			{"last page exactly full", event.FlagFilter{Limit: 10, After: every[19].ID}, 10, 0},
			{"short last page", event.FlagFilter{Limit: 25, After: every[9].ID}, n - 10, 0},
			{"after the oldest", event.FlagFilter{After: every[n-1].ID}, 0, 0},
			{"after an id above all", event.FlagFilter{After: every[0].ID + 100, Limit: n}, n, 0},
			{"default limit", event.FlagFilter{}, n, 0},
		} {
			fs, next, err := s.ListFlags(ctx, tc.filter)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if len(fs) != tc.wantLen || next != tc.wantNext {
				t.Errorf("%s: %d flags, next %d; want %d, %d", tc.name, len(fs), next, tc.wantLen, tc.wantNext)
			}
			if fs == nil {
				t.Errorf("%s: nil slice (encodes as null)", tc.name)
			}
		}
	})
}

func TestListFlagsContent(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		v := newVerdict("x", "1", "7", 0, flagged("hate", "incitement"), onLists("watch"), withHandle("example_account_7"),
			naming([]string{"journalists"}, []string{"sagaing"}, []string{"monywa", "sagaing"}))
		write(t, s, v)
		fs, _, err := s.ListFlags(context.Background(), event.FlagFilter{})
		if err != nil || len(fs) != 1 {
			t.Fatalf("ListFlags = %v, %v", fs, err)
		}
		want := event.Flag{
			ID: fs[0].ID, Platform: "x", PostID: "1", AuthorID: "7", Handle: "example_account_7",
			Score: v.Score, Categories: v.Categories, Tags: v.Tags, Groups: v.Groups, Regions: v.Regions, Places: v.Places,
			Matches: v.Matches, Lists: v.Lists,
			Lexicon: v.Lexicon, Pipeline: v.Pipeline, Status: event.StatusPending,
			CreatedAt: v.ClassifiedAt, PostCreatedAt: v.Post.CreatedAt,
		}
		if !reflect.DeepEqual(fs[0], want) {
			t.Errorf("flag\n got %+v\nwant %+v", fs[0], want)
		}
	})
}

func TestListInvalidFilters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		for _, tc := range []struct {
			name string
			f    event.FlagFilter
		}{
			{"negative limit", event.FlagFilter{Limit: -1}},
			{"negative cursor", event.FlagFilter{After: -5}},
			{"unknown status", event.FlagFilter{Status: "bogus"}},
		} {
			_, _, err := s.ListFlags(ctx, tc.f)
			if event.ErrorCode(err) != event.EINVALID {
				t.Errorf("ListFlags %s: %v, want EINVALID", tc.name, err)
			}
		}
		for _, tc := range []struct {
			name string
			f    event.AccountFilter
		}{
			{"negative limit", event.AccountFilter{Limit: -1}},
			{"negative offset", event.AccountFilter{Offset: -1}},
		} {
			_, err := s.ListAccounts(ctx, tc.f)
			if event.ErrorCode(err) != event.EINVALID {
				t.Errorf("ListAccounts %s: %v, want EINVALID", tc.name, err)
			}
		}
	})
}

func TestPageLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		limit, def, most, want int
		invalid                bool
	}{
		{0, 50, 500, 50, false},
		{1, 50, 500, 1, false},
		{500, 50, 500, 500, false},
		{501, 50, 500, 500, false},
		{1 << 40, 100, 1000, 1000, false},
		{-1, 50, 500, 0, true},
	} {
		got, err := pageLimit(tc.limit, tc.def, tc.most)
		if got != tc.want || (err != nil) != tc.invalid {
			t.Errorf("pageLimit(%d, %d, %d) = %d, %v", tc.limit, tc.def, tc.most, got, err)
		}
	}
}

func TestListAccounts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		write(t, s, baseVerdicts()...)

		key := func(as []event.Account) []string {
			var out []string
			for _, a := range as {
				out = append(out, a.Platform+"/"+a.ID)
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    event.AccountFilter
			want []string
		}{
			// x/1 and x/2 have 2 flags each; x/2 was seen last (minute 40).
			{"all, most flagged then latest", event.AccountFilter{}, []string{"x/2", "x/1", "x/4", "mastodon/3"}},
			{"flagged", event.AccountFilter{Flagged: true}, []string{"x/2", "x/1", "x/4", "mastodon/3"}},
			{"platform", event.AccountFilter{Platform: "mastodon"}, []string{"mastodon/3"}},
			{"platform with no accounts", event.AccountFilter{Platform: "telegram"}, nil},
			{"page", event.AccountFilter{Limit: 2, Offset: 1}, []string{"x/1", "x/4"}},
			{"past the end", event.AccountFilter{Offset: 10}, nil},
		} {
			as, err := s.ListAccounts(context.Background(), tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := key(as); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
			if as == nil {
				t.Errorf("%s: nil slice (encodes as null)", tc.name)
			}
		}

		// An account with no flags is left out by the flagged filter.
		write(t, s, newVerdict("x", "900", "5", 50))
		if got := key(allAccounts(t, s, event.AccountFilter{Flagged: true})); slices.Contains(got, "x/5") {
			t.Errorf("flagged accounts include an account without flags: %v", got)
		}
		a5 := allAccounts(t, s, event.AccountFilter{Platform: "x"})[3]
		if a5.ID != "5" || a5.Categories == nil || len(a5.Categories) != 0 || a5.Handles[0] != "example_account_5" {
			t.Errorf("unflagged account %+v", a5)
		}

		// Paging one at a time gives the whole list, without gaps or repeats.
		full := allAccounts(t, s, event.AccountFilter{})
		var paged []event.Account
		for off := 0; ; off++ {
			as, err := s.ListAccounts(context.Background(), event.AccountFilter{Limit: 1, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if len(as) == 0 {
				break
			}
			paged = append(paged, as...)
		}
		if !reflect.DeepEqual(paged, full) {
			t.Errorf("paged accounts %v, want %v", key(paged), key(full))
		}

		// Ties in flag count and last seen (three accounts flagged once at
		// the same minute, on two platforms) are ordered by platform, then
		// id, descending; paging by cursor, one or two at a time, gives
		// every filter's whole list, without gaps or repeats.
		write(t, s, newVerdict("x", "950", "7", 60, flagged("hate")), newVerdict("x", "951", "6", 60, flagged("hate")),
			newVerdict("mastodon", "952", "7", 60, flagged("hate")))
		if got := key(allAccounts(t, s, event.AccountFilter{Flagged: true})); !slices.Equal(got[2:5], []string{"x/7", "x/6", "mastodon/7"}) {
			t.Errorf("ties: %v, want x/7, x/6, mastodon/7 after the two most flagged", got)
		}
		for _, f := range []event.AccountFilter{{}, {Flagged: true}, {Platform: "x"}, {Flagged: true, Platform: "x"}, {Flagged: true, Platform: "mastodon"}} {
			full := allAccounts(t, s, f)
			for _, size := range []int{1, 2} {
				var paged []event.Account
				g := f
				g.Limit = size
				for range 100 {
					as, err := s.ListAccounts(context.Background(), g)
					if err != nil {
						t.Fatal(err)
					}
					paged = append(paged, as...)
					if len(as) < size {
						break
					}
					g.After = event.CursorOf(as[len(as)-1])
				}
				if !reflect.DeepEqual(paged, full) {
					t.Errorf("%+v by cursor, %d a page: %v, want %v", f, size, key(paged), key(full))
				}
			}
		}
	})
}

func TestFindPost(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		flaggedV := newVerdict("x", "1", "1", 0, flagged("hate"), onLists("watch"))
		plain := newVerdict("x", "2", "1", 1)
		write(t, s, flaggedV, plain)

		fs, _, err := s.ListFlags(ctx, event.FlagFilter{})
		if err != nil || len(fs) != 1 {
			t.Fatalf("ListFlags: %v, %v", fs, err)
		}
		for _, tc := range []struct {
			name   string
			v      event.Verdict
			flagID int64
		}{
			{"flagged", flaggedV, fs[0].ID},
			{"not flagged", plain, 0},
		} {
			p, err := s.FindPost(ctx, tc.v.Post.Platform, tc.v.Post.ID)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !reflect.DeepEqual(p.Post, tc.v.Post) {
				t.Errorf("%s: post\n got %+v\nwant %+v", tc.name, p.Post, tc.v.Post)
			}
			if p.Verdict == nil || !reflect.DeepEqual(*p.Verdict, tc.v) {
				t.Errorf("%s: verdict\n got %+v\nwant %+v", tc.name, p.Verdict, tc.v)
			}
			if p.FlagID != tc.flagID {
				t.Errorf("%s: FlagID %d, want %d", tc.name, p.FlagID, tc.flagID)
			}
			if p.StoredAt.IsZero() {
				t.Errorf("%s: StoredAt not set", tc.name)
			}
		}

		_, err = s.FindPost(ctx, "x", "404")
		wantCode(t, err, event.ENOTFOUND)
		if got, want := event.ErrorMessage(err), "post x/404 not found"; got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		_, err = s.FindPost(ctx, "", "1")
		wantCode(t, err, event.EINVALID)
	})
}

func TestPingAfterClose(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		s2, err := Open(context.Background(), db.config(t))
		if err != nil {
			t.Fatal(err)
		}
		s2.Close()
		if err := s2.Ping(context.Background()); err == nil {
			t.Error("Ping on a closed store succeeded")
		}
	})
}
