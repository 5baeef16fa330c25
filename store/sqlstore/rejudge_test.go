package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/vigilhq/vigil/event"
)

// judged sets the lexicons that judged the verdict and when, as minutes
// after t0 plus an hour (later than newVerdict's default).
func judged(lexicon, hash string, minute int) option {
	return func(v *event.Verdict) {
		v.Lexicon, v.LexiconHash = lexicon, hash
		v.ClassifiedAt = t0.Add(time.Hour + time.Duration(minute)*time.Minute)
	}
}

// current returns the stored post's current verdict and flag id.
func currentVerdict(tb testing.TB, s *Store, id string) (*event.Verdict, int64) {
	tb.Helper()
	p, err := s.FindPost(context.Background(), "x", id)
	if err != nil {
		tb.Fatal(err)
	}
	return p.Verdict, p.FlagID
}

// flagRow is a flag as stored, with the columns event.Flag does not carry.
type flagRow struct {
	ID          int64
	Status      string
	Categories  []string
	Lexicon     string
	LexiconHash string
	Unflagged   bool
}

func flagOf(tb testing.TB, s *Store, id string) *flagRow {
	tb.Helper()
	var f flagRow
	var cats string
	var unflagged sql.NullString
	err := s.queryRow(`SELECT id, status, categories, lexicon, lexicon_hash, unflagged_at
		FROM flags WHERE platform = 'x' AND post_id = ?`, id).Scan(
		&f.ID, &f.Status, &cats, &f.Lexicon, &f.LexiconHash, &unflagged)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cats), &f.Categories); err != nil {
		tb.Fatal(err)
	}
	f.Unflagged = unflagged.Valid
	return &f
}

func setStatus(tb testing.TB, s *Store, flagID int64, status string) {
	tb.Helper()
	s.exec(tb, `UPDATE flags SET status = ? WHERE id = ?`, status, flagID)
}

func historyCount(tb testing.TB, s *Store, id string) int {
	tb.Helper()
	var n int
	if err := s.queryRow(`SELECT COUNT(*) FROM verdict_history WHERE platform = 'x' AND post_id = ?`, id).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// checkConsistent recounts the account aggregates from the posts' current
// verdicts and checks them, and checks that the flags agree with those
// verdicts: a flagged post has one flag not marked no longer flagged, with
// the verdict's categories (also in flag_categories); any other flag was
// reviewed and is marked.
func checkConsistent(tb testing.TB, db testDB, s *Store) {
	tb.Helper()
	type acct struct {
		flags int
		cats  map[string]int
	}
	want := map[string]*acct{}
	rows, err := s.read.Query(`SELECT p.platform, p.post_id, p.author_id, p.flagged, p.verdict,
		f.id, f.status, f.categories, f.unflagged_at
		FROM posts p LEFT JOIN flags f ON f.platform = p.platform AND f.post_id = p.post_id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var platform, id, author, verdict string
		var flagged bool
		var flagID sql.NullInt64
		var status, cats, unflagged sql.NullString
		if err := rows.Scan(&platform, &id, &author, &flagged, &verdict, &flagID, &status, &cats, &unflagged); err != nil {
			tb.Fatal(err)
		}
		var v event.Verdict
		if err := json.Unmarshal([]byte(verdict), &v); err != nil {
			tb.Fatal(err)
		}
		if v.Flagged != flagged {
			tb.Errorf("post %s/%s: flagged column %v, verdict %v", platform, id, flagged, v.Flagged)
		}
		a := want[platform+"/"+author]
		if a == nil {
			a = &acct{cats: map[string]int{}}
			want[platform+"/"+author] = a
		}
		switch {
		case flagged:
			a.flags++
			for _, c := range v.Categories {
				a.cats[c]++
			}
			var fc []string
			json.Unmarshal([]byte(cats.String), &fc)
			if !flagID.Valid || unflagged.Valid || !slices.Equal(fc, v.Categories) {
				tb.Errorf("post %s/%s is flagged in %v: flag %v, categories %v, unflagged_at %v", platform, id, v.Categories, flagID, fc, unflagged)
			}
		case flagID.Valid && (status.String == event.StatusPending || !unflagged.Valid):
			tb.Errorf("post %s/%s is not flagged but has flag %d, %s, unflagged_at %v", platform, id, flagID.Int64, status.String, unflagged)
		}
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	for _, a := range allAccounts(tb, s, event.AccountFilter{}) {
		w := want[a.Platform+"/"+a.ID]
		if w == nil {
			tb.Errorf("account %s/%s has no posts", a.Platform, a.ID)
			continue
		}
		if a.FlagCount != w.flags || !maps.Equal(a.Categories, w.cats) {
			tb.Errorf("account %s/%s: %d flags %v; the posts' current verdicts give %d %v", a.Platform, a.ID, a.FlagCount, a.Categories, w.flags, w.cats)
		}
	}
	// flag_categories holds exactly each flag's categories.
	var n int
	err = s.queryRow(`SELECT
		(SELECT COUNT(*) FROM (` + db.flagCategory + `
			EXCEPT SELECT flag_id, category FROM flag_categories) a) +
		(SELECT COUNT(*) FROM (SELECT flag_id, category FROM flag_categories
			EXCEPT ` + db.flagCategory + `) b)`).Scan(&n)
	if err != nil || n != 0 {
		tb.Errorf("flag_categories differs from the flags' categories in %d rows (%v)", n, err)
	}
}

func account(tb testing.TB, s *Store, id string) event.Account {
	tb.Helper()
	for _, a := range allAccounts(tb, s, event.AccountFilter{}) {
		if a.Platform == "x" && a.ID == id {
			return a
		}
	}
	tb.Fatalf("account x/%s not found", id)
	return event.Account{}
}

func TestRejudgeFlaggedUnflaggedFlagged(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		v1 := newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@1", "sha256:aa", 0))
		other := newVerdict("x", "2", "7", 1, flagged("hate", "incitement"), judged("lex@1", "sha256:aa", 0))
		write(t, s, v1, other)
		_, id1 := currentVerdict(t, s, "1")

		v2 := newVerdict("x", "1", "7", 0, judged("lex@2", "sha256:bb", 10)) // no longer flagged
		write(t, s, v2)
		got, flagID := currentVerdict(t, s, "1")
		if got.Flagged || got.Lexicon != "lex@2" || got.LexiconHash != "sha256:bb" || flagID != 0 {
			t.Fatalf("after the unflagging verdict: %v lexicon %s %s, flag %d", got, got.Lexicon, got.LexiconHash, flagID)
		}
		if f := flagOf(t, s, "1"); f != nil {
			t.Errorf("pending flag kept: %+v", f)
		}
		if a := account(t, s, "7"); a.PostCount != 2 || a.FlagCount != 1 || !maps.Equal(a.Categories, map[string]int{"hate": 1, "incitement": 1}) {
			t.Errorf("account after unflagging: %d posts, %d flags, %v", a.PostCount, a.FlagCount, a.Categories)
		}
		if fs, _, _ := s.ListFlags(ctx, event.FlagFilter{Status: event.StatusPending}); len(fs) != 1 || fs[0].PostID != "2" {
			t.Errorf("pending queue %+v, want only post 2", fs)
		}
		checkConsistent(t, db, s)

		v3 := newVerdict("x", "1", "7", 0, flagged("dehumanisation"), judged("lex@3", "sha256:cc", 20))
		write(t, s, v3)
		got, flagID = currentVerdict(t, s, "1")
		if !got.Flagged || got.Lexicon != "lex@3" || flagID == 0 || flagID == id1 {
			t.Fatalf("after flagging again: %v, flag %d (first flag was %d)", got, flagID, id1)
		}
		if f := flagOf(t, s, "1"); f.Status != event.StatusPending || !slices.Equal(f.Categories, []string{"dehumanisation"}) || f.LexiconHash != "sha256:cc" {
			t.Errorf("new flag %+v", f)
		}
		if a := account(t, s, "7"); a.FlagCount != 2 || !maps.Equal(a.Categories, map[string]int{"dehumanisation": 1, "hate": 1, "incitement": 1}) {
			t.Errorf("account after flagging again: %d flags, %v", a.FlagCount, a.Categories)
		}
		if fs, _, _ := s.ListFlags(ctx, event.FlagFilter{Category: "dehumanisation"}); len(fs) != 1 || fs[0].ID != flagID {
			t.Errorf("category filter: %+v", fs)
		}
		if n := historyCount(t, s, "1"); n != 3 {
			t.Errorf("%d verdicts in the history, want 3", n)
		}
		checkConsistent(t, db, s)
	})
}

func TestRejudgeCategoriesChange(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		write(t, s, newVerdict("x", "1", "7", 0, flagged("hate", "incitement"), onLists("watch"), judged("lex@1", "", 0)))
		_, id := currentVerdict(t, s, "1")
		write(t, s, newVerdict("x", "1", "7", 0, flagged("hate", "dehumanisation"), onLists("brands"), judged("lex@2", "", 5)))
		f := flagOf(t, s, "1")
		if f.ID != id || !slices.Equal(f.Categories, []string{"hate", "dehumanisation"}) || f.Lexicon != "lex@2" {
			t.Errorf("flag %+v, want flag %d updated in place", f, id)
		}
		if fs, _, _ := s.ListFlags(ctx, event.FlagFilter{Category: "incitement"}); len(fs) != 0 {
			t.Errorf("flag still listed under its old category: %+v", fs)
		}
		if fs, _, _ := s.ListFlags(ctx, event.FlagFilter{Category: "dehumanisation"}); len(fs) != 1 {
			t.Errorf("flag not listed under its new category: %+v", fs)
		}
		a := account(t, s, "7")
		if a.FlagCount != 1 || !maps.Equal(a.Categories, map[string]int{"hate": 1, "dehumanisation": 1}) {
			t.Errorf("account: %d flags, %v", a.FlagCount, a.Categories)
		}
		if !slices.Equal(a.Lists, []string{"brands", "watch"}) {
			t.Errorf("account lists %v: a list once seen stays recorded", a.Lists)
		}
		checkConsistent(t, db, s)
	})
}

// TestRejudgeReviewedFlagIsKept: a flag a monitor has reviewed is never
// deleted when the post stops being flagged.
func TestRejudgeReviewedFlagIsKept(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		for _, status := range []string{event.StatusClaimed, event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated} {
			t.Run(status, func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				ctx := context.Background()
				write(t, s, newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@1", "", 0)))
				_, id := currentVerdict(t, s, "1")
				setStatus(t, s, id, status)

				write(t, s, newVerdict("x", "1", "7", 0, judged("lex@2", "", 5)))
				f := flagOf(t, s, "1")
				if f == nil || f.ID != id || f.Status != status || !f.Unflagged || !slices.Equal(f.Categories, []string{"hate"}) || f.Lexicon != "lex@1" {
					t.Fatalf("reviewed flag after unflagging: %+v; want it kept as reviewed and marked", f)
				}
				if fs, _, _ := s.ListFlags(ctx, event.FlagFilter{Status: status}); len(fs) != 1 || fs[0].ID != id {
					t.Errorf("reviewed flag no longer listed: %+v", fs)
				}
				if a := account(t, s, "7"); a.FlagCount != 0 || len(a.Categories) != 0 {
					t.Errorf("account counts a post that is no longer flagged: %d, %v", a.FlagCount, a.Categories)
				}
				v, flagID := currentVerdict(t, s, "1")
				if v.Flagged || flagID != id {
					t.Errorf("post: flagged %v, flag %d; want unflagged, with the kept flag %d", v.Flagged, flagID, id)
				}
				checkConsistent(t, db, s)

				write(t, s, newVerdict("x", "1", "7", 0, flagged("incitement"), judged("lex@3", "", 10)))
				f = flagOf(t, s, "1")
				if f.ID != id || f.Status != status || f.Unflagged || !slices.Equal(f.Categories, []string{"incitement"}) {
					t.Errorf("reviewed flag after flagging again: %+v", f)
				}
				if a := account(t, s, "7"); a.FlagCount != 1 || !maps.Equal(a.Categories, map[string]int{"incitement": 1}) {
					t.Errorf("account: %d, %v", a.FlagCount, a.Categories)
				}
				checkConsistent(t, db, s)
			})
		}
	})
}

func TestRejudgeNotReplaced(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		base := newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@2", "sha256:bb", 10))
		for _, tc := range []struct {
			name    string
			v       event.Verdict
			history int // verdicts in the history afterwards
		}{
			{"redelivery", base, 1},
			{"same lexicons, classified again later", newVerdict("x", "1", "7", 0, judged("lex@2", "sha256:bb", 30)), 2},
			{"older, from other lexicons", newVerdict("x", "1", "7", 0, judged("lex@1", "sha256:aa", 5)), 2},
			{"other lexicons, same time", newVerdict("x", "1", "7", 0, judged("lex@3", "sha256:cc", 10)), 2},
			{"other payload", newVerdict("x", "1", "7", 0, withRaw([]byte(`{"id":"1","edited":true}`)), judged("lex@3", "sha256:cc", 30)), 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				write(t, s, base)
				before := readState(t, s, []event.Verdict{base})
				write(t, s, tc.v)
				write(t, s, tc.v)
				if got := readState(t, s, []event.Verdict{base}); !reflect.DeepEqual(got, before) {
					t.Errorf("the verdict changed the store:\n got %+v\nwant %+v", got, before)
				}
				if n := historyCount(t, s, "1"); n != tc.history {
					t.Errorf("%d verdicts in the history, want %d", n, tc.history)
				}
			})
		}
	})
}

// TestRejudgeOutOfOrder: whatever the order in which a post's verdicts
// arrive, and however often each is redelivered, the store ends with the
// latest one when each comes from other lexicons than the one before.
func TestRejudgeOutOfOrder(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		vs := []event.Verdict{
			newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@1", "", 0)),
			newVerdict("x", "1", "7", 0, judged("lex@2", "", 10)),
			newVerdict("x", "1", "7", 0, flagged("incitement", "hate"), judged("lex@3", "", 20)),
		}
		for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {2, 0, 1, 2, 0}, {1, 0, 1, 2, 1}} {
			t.Run(fmt.Sprint(order), func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				for _, i := range order {
					write(t, s, vs[i])
					checkConsistent(t, db, s)
				}
				got, _ := currentVerdict(t, s, "1")
				if got.Lexicon != "lex@3" || !slices.Equal(got.Categories, []string{"incitement", "hate"}) {
					t.Errorf("current verdict from %s, %v; want the latest (lex@3)", got.Lexicon, got.Categories)
				}
				if a := account(t, s, "7"); a.PostCount != 1 || a.FlagCount != 1 || !maps.Equal(a.Categories, map[string]int{"hate": 1, "incitement": 1}) {
					t.Errorf("account: %d posts, %d flags, %v", a.PostCount, a.FlagCount, a.Categories)
				}
				if n := historyCount(t, s, "1"); n != 3 {
					t.Errorf("%d verdicts in the history, want 3", n)
				}
			})
		}
	})
}

// TestRejudgeWithinBatch: verdicts on one post in one batch apply in
// order: the post, its flag's content and the aggregates end as they
// would had each verdict come in a batch of its own.
func TestRejudgeWithinBatch(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		first := newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@1", "", 0))
		second := newVerdict("x", "1", "7", 0, judged("lex@2", "", 10))
		third := newVerdict("x", "1", "7", 0, flagged("incitement"), judged("lex@3", "", 20))
		other := newVerdict("x", "2", "7", 1, judged("lex@1", "", 0))
		ref := db.open(t)
		for _, v := range []event.Verdict{first, second, third, other} {
			write(t, ref, v)
		}
		want := readState(t, ref, []event.Verdict{first, other})

		s := db.open(t)
		write(t, s, first, second, first, third, second, other)
		write(t, s, first, third)
		got := readState(t, s, []event.Verdict{first, other})
		// The one thing that differs: in one batch the flag is updated in
		// place (keeping its id and creation time) rather than deleted by the
		// second verdict and made again by the third.
		for _, st := range []*state{&got, &want} {
			st.Stored[0].FlagID = 0
			for i := range st.FlagList {
				st.FlagList[i].ID, st.FlagList[i].CreatedAt = 0, time.Time{}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("one batch:\n got %+v\nwant %+v", got, want)
		}
		checkConsistent(t, db, s)
	})
}

// TestRejudgeKeepsPostAsCaptured: the payload, its hash, the capture and
// store times never change.
func TestRejudgeKeepsPostAsCaptured(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		v1 := newVerdict("x", "1", "7", 0, judged("lex@1", "", 0))
		write(t, s, v1)
		before, err := s.FindPost(context.Background(), "x", "1")
		if err != nil {
			t.Fatal(err)
		}
		v2 := newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@2", "", 10))
		v2.Post.CapturedAt = v2.Post.CapturedAt.Add(time.Hour) // a second capture of the same payload
		v2.Post.Text = "the text as a later capture normalised it"
		write(t, s, v2)
		after, err := s.FindPost(context.Background(), "x", "1")
		if err != nil {
			t.Fatal(err)
		}
		if !after.Verdict.Flagged {
			t.Fatal("not re-judged")
		}
		if !bytes.Equal(after.Raw, before.Raw) || after.RawSHA256 != before.RawSHA256 ||
			!after.CapturedAt.Equal(before.CapturedAt) || !after.StoredAt.Equal(before.StoredAt) || after.Text != before.Text {
			t.Errorf("the post as captured changed:\n got %+v\nwant %+v", after.Post, before.Post)
		}
	})
}

// TestRejudgeRandom writes random sequences of verdicts, redeliveries
// included, over a few posts and accounts, and checks after every batch
// that flags and aggregates agree with the posts' current verdicts.
func TestRejudgeRandom(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		r := rand.New(rand.NewPCG(1, 2))
		catSets := [][]string{nil, {"hate"}, {"incitement"}, {"hate", "incitement"}, {"dehumanisation", "hate"}}
		for run := range 5 {
			s := db.open(t)
			var sent []event.Verdict
			for range 40 {
				var batch []event.Verdict
				for range 1 + r.IntN(6) {
					if len(sent) > 0 && r.IntN(4) == 0 {
						batch = append(batch, sent[r.IntN(len(sent))]) // a redelivery
						continue
					}
					id := r.IntN(6)
					opts := []option{judged(fmt.Sprintf("lex@%d", r.IntN(4)), "", r.IntN(30))}
					if cats := catSets[r.IntN(len(catSets))]; cats != nil {
						opts = append(opts, flagged(cats...))
					}
					batch = append(batch, newVerdict("x", itoa(id), itoa(id%3), id, opts...))
				}
				write(t, s, batch...)
				sent = append(sent, batch...)
				if r.IntN(5) == 0 {
					if fs, _, _ := s.ListFlags(context.Background(), event.FlagFilter{Status: event.StatusPending, Limit: 1}); len(fs) > 0 {
						setStatus(t, s, fs[0].ID, event.StatusConfirmed)
					}
				}
				checkConsistent(t, db, s)
				if t.Failed() {
					t.Fatalf("run %d: inconsistent after %d verdicts", run, len(sent))
				}
			}
		}
	})
}

// TestMigrationBackfill migrates a database written by 0001 alone: the
// lexicon hash and classification time of each current verdict move to
// their columns, in the store's time form, and each verdict enters the
// history.
func TestMigrationBackfill(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, tdb testDB) { testMigrationBackfill(t, tdb) })
}

func testMigrationBackfill(t *testing.T, tdb testDB) {
	ctx := context.Background()
	db, cfg := tdb.rawWriter(t)
	d := tdb.d
	name := "migrations/" + d.name + "/0001_init.sql"
	first, err := fs.ReadFile(migrationsFS, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, db, d, fstest.MapFS{name: {Data: first}}); err != nil {
		t.Fatal(err)
	}
	var checks []func()
	for _, tc := range []struct {
		id, classified, hash, want string
	}{
		{"1", `"2026-11-01T08:06:00Z"`, `"sha256:aa"`, "2026-11-01T08:06:00.000000000Z"},
		{"2", `"2026-11-01T08:06:00.123456789Z"`, `null`, "2026-11-01T08:06:00.123456789Z"},
		{"3", `"2026-11-01T08:06:59.99999Z"`, `""`, "2026-11-01T08:06:59.999990000Z"},
		{"4", `"2026-11-01T14:36:00.5+06:30"`, `"sha256:bb"`, "2026-11-01T08:06:00.500000000Z"},
		{"5", `"2026-11-01T03:06:00-05:00"`, `null`, "2026-11-01T08:06:00.000000000Z"},
		{"6", `"0001-01-01T00:00:00Z"`, `null`, ""},
	} {
		hash := ""
		if tc.hash != "null" {
			hash = fmt.Sprintf(`,"lexicon_hash":%s`, tc.hash)
		}
		flagged := tc.id == "1"
		verdict := fmt.Sprintf(`{"flagged":%v,"score":%d,"categories":%s,"lexicon":"lex@1"%s,"pipeline":"p","classified_at":%s}`,
			flagged, map[bool]int{true: 3}[flagged], map[bool]string{true: `["hate"]`, false: `null`}[flagged], hash, tc.classified)
		_, err := db.Exec(d.rebind(`INSERT INTO posts (platform, post_id, author_id, text, raw, raw_sha256, lexicon, pipeline, flagged, verdict, stored_at)
			VALUES ('x', ?, '7', 't', ?, ?, 'lex@1', 'p', ?, ?, '2026-11-01T09:00:00.000000000Z')`),
			tc.id, []byte("{}"), event.SHA256Hex([]byte("{}")), flagged, verdict)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, func() {
			var at sql.NullString
			var h string
			if err := db.QueryRow(d.rebind(`SELECT classified_at, lexicon_hash FROM posts WHERE post_id = ?`), tc.id).Scan(&at, &h); err != nil {
				t.Fatal(err)
			}
			wantHash := strings.Trim(tc.hash, `"`)
			if wantHash == "null" {
				wantHash = ""
			}
			if at.String != tc.want || h != wantHash {
				t.Errorf("post %s (%s): classified_at %q, lexicon_hash %q; want %q, %q", tc.id, tc.classified, at.String, h, tc.want, wantHash)
			}
			var hat sql.NullString
			var hh, cats string
			if err := db.QueryRow(d.rebind(`SELECT classified_at, lexicon_hash, categories FROM verdict_history WHERE post_id = ?`), tc.id).Scan(&hat, &hh, &cats); err != nil {
				t.Fatalf("post %s: no history: %v", tc.id, err)
			}
			if hat != at || hh != h || (flagged && cats != `["hate"]`) || (!flagged && cats != "[]") {
				t.Errorf("post %s history: %v %q %s", tc.id, hat, hh, cats)
			}
		})
	}
	_, err = db.Exec(`INSERT INTO flags (platform, post_id, author_id, score, categories, lexicon, created_at)
		VALUES ('x', '1', '7', 3, '["hate"]', 'lex@1', '2026-11-01T09:00:00.000000000Z')`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, db, d, migrationsFS); err != nil {
		t.Fatal(err)
	}
	var h string
	if err := db.QueryRow(`SELECT lexicon_hash FROM flags WHERE post_id = '1'`).Scan(&h); err != nil || h != "sha256:aa" {
		t.Errorf("flag lexicon_hash %q (%v), want sha256:aa", h, err)
	}
	for _, check := range checks {
		check()
	}
	db.Close()

	// The store opens it, and a later verdict re-judges a backfilled post.
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, _ := currentVerdict(t, s, "1")
	if v.LexiconHash != "sha256:aa" {
		t.Errorf("FindPost lexicon hash %q", v.LexiconHash)
	}
	later := newVerdict("x", "1", "7", 0, judged("lex@2", "", 0), withRaw([]byte("{}")))
	earlier := newVerdict("x", "2", "7", 0, flagged("hate"), judged("lex@2", "", 0), withRaw([]byte("{}")))
	earlier.ClassifiedAt = time.Date(2026, 11, 1, 8, 5, 0, 0, time.UTC)
	write(t, s, later, earlier)
	if v, _ := currentVerdict(t, s, "1"); v.Lexicon != "lex@2" {
		t.Errorf("post 1 not re-judged by a later verdict: %s", v.Lexicon)
	}
	if v, _ := currentVerdict(t, s, "2"); v.Lexicon != "lex@1" {
		t.Errorf("post 2 re-judged by an earlier verdict: %s", v.Lexicon)
	}
}

func TestFindVerdicts(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		a := newVerdict("x", "1", "7", 0, flagged("hate"), judged("lex@1", "sha256:aa", 0))
		b := newVerdict("x", "2", "8", 1, judged("lex@1", "sha256:aa", 0))
		write(t, s, a, b)
		got, err := s.FindVerdicts(context.Background(), []PostKey{{"x", "1"}, {"x", "2"}, {"x", "3"}, {"x", "1"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[PostKey{"x", "3"}] != nil {
			t.Fatalf("got %v", got)
		}
		for _, want := range []event.Verdict{a, b} {
			v := got[PostKey{want.Post.Platform, want.Post.ID}]
			want.Post = event.Post{Platform: want.Post.Platform, ID: want.Post.ID, Author: event.Author{ID: want.Post.Author.ID}, RawSHA256: want.Post.RawSHA256}
			if !reflect.DeepEqual(*v, want) {
				t.Errorf("got  %+v\nwant %+v", *v, want)
			}
		}
	})
}

// TestConcurrentRejudge writes random verdicts on a few shared posts from
// several writers at once, while monitors review flags, and checks that
// flags and aggregates agree with the posts' current verdicts. PostgreSQL
// runs the writers' transactions side by side: it passes only if each
// re-judgement starts from what the one before it committed.
func TestConcurrentRejudge(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		catSets := [][]string{nil, {"hate"}, {"incitement"}, {"hate", "incitement"}, {"dehumanisation", "hate"}}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), 7))
				var sent []event.Verdict
				for b := range 25 {
					var batch []event.Verdict
					for range 1 + r.IntN(8) {
						if len(sent) > 0 && r.IntN(5) == 0 {
							batch = append(batch, sent[r.IntN(len(sent))])
							continue
						}
						id := r.IntN(8)
						opts := []option{judged(fmt.Sprintf("lex@%d", r.IntN(5)), "", r.IntN(60))}
						if cats := catSets[r.IntN(len(catSets))]; cats != nil {
							opts = append(opts, flagged(cats...))
						}
						batch = append(batch, newVerdict("x", itoa(id), itoa(id%3), id, opts...))
					}
					if err := s.WriteVerdicts(ctx, batch); err != nil {
						t.Errorf("writer %d, batch %d: %v", w, b, err)
						return
					}
					sent = append(sent, batch...)
					if b%5 == 4 {
						// A monitor's review, racing the re-judgements.
						if fs, _, err := s.ListFlags(ctx, event.FlagFilter{Status: event.StatusPending, Limit: 1}); err == nil && len(fs) > 0 {
							if _, err := s.write.Exec(s.d.rebind(`UPDATE flags SET status = ? WHERE id = ?`), event.StatusClaimed, fs[0].ID); err != nil {
								t.Errorf("review: %v", err)
							}
						}
					}
				}
			}()
		}
		wg.Wait()
		checkConsistent(t, db, s)
		if posts, _ := counts(t, s); posts != 8 {
			t.Errorf("%d posts, want 8", posts)
		}
	})
}
