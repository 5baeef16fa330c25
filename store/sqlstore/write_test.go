package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// baseVerdicts is a small history: four accounts on two platforms, some
// flagged, one account changing its handle, one on a list.
func baseVerdicts() []event.Verdict {
	return []event.Verdict{
		0:  newVerdict("x", "100", "1", 0),
		1:  newVerdict("x", "101", "1", 10, flagged("hate")),
		2:  newVerdict("x", "102", "1", 20, flagged("hate", "incitement"), withHandle("example_account_1_new")),
		3:  newVerdict("x", "103", "2", 5, flagged("dehumanisation"), onLists("watch")),
		4:  newVerdict("x", "104", "2", 15),
		5:  newVerdict("mastodon", "200", "3", 1),
		6:  newVerdict("mastodon", "201", "3", 2, flagged("hate_speech")),
		7:  newVerdict("x", "105", "4", 30, onLists("watch", "brands")),
		8:  newVerdict("x", "106", "4", 31, flagged("incitement")),
		9:  newVerdict("x", "107", "1", 25),
		10: newVerdict("mastodon", "202", "3", 3, withName("")),
		11: newVerdict("x", "108", "2", 40, flagged("hate")),
	}
}

// state is everything a reader can see, for comparing two stores.
type state struct {
	Posts, Flags int
	Accounts     []event.Account
	FlagList     []event.Flag
	Stored       []*event.StoredPost
}

func readState(tb testing.TB, s *Store, vs []event.Verdict) state {
	tb.Helper()
	var st state
	st.Posts, st.Flags = counts(tb, s)
	st.Accounts = allAccounts(tb, s, event.AccountFilter{})
	st.FlagList = allFlags(tb, s, event.FlagFilter{Limit: 5})
	for _, v := range vs {
		p, err := s.FindPost(context.Background(), v.Post.Platform, v.Post.ID)
		if err != nil {
			tb.Fatal(err)
		}
		p.StoredAt = time.Time{} // the one field that depends on when it ran
		st.Stored = append(st.Stored, p)
	}
	return st
}

func TestWriteVerdictsIdempotent(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		base := baseVerdicts()
		pick := func(idx ...int) []event.Verdict {
			vs := make([]event.Verdict, len(idx))
			for i, j := range idx {
				vs[i] = base[j]
			}
			return vs
		}
		all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
		reversed := slices.Clone(all)
		slices.Reverse(reversed)

		// The reference: every verdict written once, in order.
		ref := db.open(t)
		write(t, ref, base...)
		want := readState(t, ref, base)
		if want.Posts != 12 || want.Flags != 6 {
			t.Fatalf("reference store: %d posts, %d flags; want 12, 6", want.Posts, want.Flags)
		}

		for _, tc := range []struct {
			name    string
			batches [][]int
		}{
			{"same batch twice", [][]int{all, all}},
			{"overlapping batches", [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {4, 5, 6, 7, 8, 9, 10, 11}}},
			{"duplicates within a batch", [][]int{{0, 1, 1, 2, 0, 3, 4, 5, 6, 6, 6, 7, 8, 9, 10, 11, 11}}},
			{"one at a time, then all again", [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, all}},
			{"all, then redelivered in reverse", [][]int{all, reversed, {11}, {0, 0}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				for _, b := range tc.batches {
					write(t, s, pick(b...)...)
				}
				got := readState(t, s, base)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("state differs from writing each verdict once:\n got %+v\nwant %+v", got, want)
				}
			})
		}
	})
}

func TestWriteVerdictsAggregates(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		base := baseVerdicts()
		// Out of order across batches: the newest post of account 1 first.
		write(t, s, base[2], base[9])
		write(t, s, base[:2]...)
		write(t, s, base[3:9]...)
		write(t, s, base[10:]...)

		as := allAccounts(t, s, event.AccountFilter{})
		byID := map[string]event.Account{}
		for _, a := range as {
			byID[a.Platform+"/"+a.ID] = a
		}
		a1 := byID["x/1"]
		if a1.PostCount != 4 || a1.FlagCount != 2 {
			t.Errorf("account 1: %d posts, %d flags; want 4, 2", a1.PostCount, a1.FlagCount)
		}
		if want := map[string]int{"hate": 2, "incitement": 1}; !reflect.DeepEqual(a1.Categories, want) {
			t.Errorf("account 1 categories %v, want %v", a1.Categories, want)
		}
		if a1.Handle != "example_account_1" {
			// Post 107 (minute 25, old handle) is later than post 102 (minute 20, new handle).
			t.Errorf("account 1 handle %q, want the handle of its latest post", a1.Handle)
		}
		if want := []string{"example_account_1", "example_account_1_new"}; !slices.Equal(a1.Handles, want) {
			t.Errorf("account 1 handles %v, want %v (oldest first)", a1.Handles, want)
		}
		if !a1.FirstSeen.Equal(t0) || !a1.LastSeen.Equal(t0.Add(25*60e9)) {
			t.Errorf("account 1 seen %v to %v", a1.FirstSeen, a1.LastSeen)
		}
		if a2 := byID["x/2"]; !slices.Equal(a2.Lists, []string{"watch"}) || a2.FlagCount != 2 {
			t.Errorf("account 2: lists %v, flags %d", a2.Lists, a2.FlagCount)
		}
		if a4 := byID["x/4"]; !slices.Equal(a4.Lists, []string{"brands", "watch"}) {
			t.Errorf("account 4 lists %v, want [brands watch]", a4.Lists)
		}
		if a3 := byID["mastodon/3"]; a3.Name != "Example Account 3" || a3.Categories["hate_speech"] != 1 || a3.Categories["hate"] != 0 {
			t.Errorf("account 3: name %q, categories %v", a3.Name, a3.Categories)
		}
	})
}

func TestWriteVerdictsFirstVerdictWins(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		first := newVerdict("x", "1", "1", 0)
		second := newVerdict("x", "1", "1", 0, flagged("hate"))
		write(t, s, first, second)
		write(t, s, second)
		p, err := s.FindPost(context.Background(), "x", "1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Verdict.Flagged || p.FlagID != 0 {
			t.Errorf("a later verdict replaced the first: flagged %v, flag %d", p.Verdict.Flagged, p.FlagID)
		}
		if posts, flags := counts(t, s); posts != 1 || flags != 0 {
			t.Errorf("%d posts, %d flags; want 1, 0", posts, flags)
		}
		if as := allAccounts(t, s, event.AccountFilter{}); len(as) != 1 || as[0].PostCount != 1 || as[0].FlagCount != 0 {
			t.Errorf("accounts %+v", as)
		}
	})
}

func TestWriteVerdictsRawRoundTrip(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		for i, tc := range []struct {
			name string
			raw  []byte
			text string
		}{
			{"compact JSON", []byte(`{"id":"1","text":"a"}`), "a"},
			{"odd whitespace", []byte("  {\"text\" :\t\"a  b\" ,\r\n\n \"id\": 1 }\r\n\t \n"), " a  b\t\r\n"},
			{"Burmese and emoji", []byte(`{"text":"မင်္ဂလာပါ 👋🏽 နေကောင်းလား"}`), "မင်္ဂလာပါ 👋🏽 နေကောင်းလား"},
			{"invisible and bidi characters", []byte("{\"text\":\"a\u200bb\u200dc\u202ed\ufeff\"}"), "a\u200bb\u200dc\u202ed\ufeff"},
			{"escaped and unescaped forms", []byte(`{"text":"\u1019\u1004\u103a","alt":"မင်"}`), "မင်"},
			{"not UTF-8, with NUL bytes", []byte{0xff, 0xfe, 0x00, 'x', 0x00, 0xc3, 0x28, '\n'}, "x"},
			{"one byte", []byte{'\n'}, "y"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := itoa(i)
				v := newVerdict("x", id, "1", i, withRaw(tc.raw), withText(tc.text))
				write(t, s, v)
				p, err := s.FindPost(context.Background(), "x", id)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(p.Raw, tc.raw) {
					t.Errorf("raw came back as %q, want %q", p.Raw, tc.raw)
				}
				if p.RawSHA256 != event.SHA256Hex(tc.raw) {
					t.Errorf("raw_sha256 %s does not match the raw payload", p.RawSHA256)
				}
				if p.Text != tc.text {
					t.Errorf("text came back as %q, want %q", p.Text, tc.text)
				}
				var blob []byte
				if err := s.queryRow("SELECT raw FROM posts WHERE platform = 'x' AND post_id = ? AND "+db.rawIsBinary, id).Scan(&blob); err != nil {
					t.Fatalf("raw not stored as binary: %v", err)
				}
			})
		}
	})
}

func TestWriteVerdictsBadVerdict(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		for _, tc := range []struct {
			name  string
			index int
			bad   func(*event.Verdict)
			want  string
		}{
			{"hash of other bytes", 1, func(v *event.Verdict) { v.Post.RawSHA256 = event.SHA256Hex([]byte("other")) },
				"post x/1: raw_sha256"},
			{"raw changed after hashing", 2, func(v *event.Verdict) { v.Post.Raw = append(v.Post.Raw, ' ') },
				"post x/2: raw_sha256"},
			{"uppercase hash", 1, func(v *event.Verdict) { v.Post.RawSHA256 = strings.ToUpper(v.Post.RawSHA256) },
				"does not match the raw payload"},
			{"no raw payload", 0, func(v *event.Verdict) { v.Post.Raw, v.Post.RawSHA256 = nil, event.SHA256Hex(nil) },
				"post x/0: no raw payload"},
			{"no author", 2, func(v *event.Verdict) { v.Post.Author.ID = "" }, `post "x"/"2" by "": platform, id and author.id are required`},
			{"score not a number", 0, func(v *event.Verdict) { v.Score = math.NaN() }, "post x/0: verdict cannot be encoded"},
			{"time out of range", 1, func(v *event.Verdict) { v.Post.CapturedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
				"post x/1: captured_at"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				vs := []event.Verdict{
					newVerdict("x", "0", "1", 0, flagged("hate")),
					newVerdict("x", "1", "1", 1),
					newVerdict("x", "2", "2", 2, flagged("hate")),
				}
				tc.bad(&vs[tc.index])
				err := s.WriteVerdicts(context.Background(), vs)
				var bad *BadVerdictError
				if !errors.As(err, &bad) {
					t.Fatalf("err %v, want a *BadVerdictError", err)
				}
				if bad.Index != tc.index {
					t.Errorf("Index %d, want %d", bad.Index, tc.index)
				}
				wantCode(t, err, event.EINVALID)
				if msg := event.ErrorMessage(err); !strings.Contains(msg, tc.want) {
					t.Errorf("message %q does not contain %q", msg, tc.want)
				}
				if posts, flags := counts(t, s); posts != 0 || flags != 0 {
					t.Errorf("%d posts and %d flags written from a batch with a bad verdict", posts, flags)
				}
				if as := allAccounts(t, s, event.AccountFilter{}); len(as) != 0 {
					t.Errorf("%d accounts written from a batch with a bad verdict", len(as))
				}
			})
		}
	})
}

func TestWriteVerdictsEmpty(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		if err := s.WriteVerdicts(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWriteVerdictsCanceled(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.WriteVerdicts(ctx, []event.Verdict{newVerdict("x", "1", "1", 0)}); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
		write(t, s, newVerdict("x", "1", "1", 0))
		if posts, _ := counts(t, s); posts != 1 {
			t.Errorf("%d posts after a canceled and a good write, want 1", posts)
		}
	})
}

// TestAccountHandleAndName checks that an account's handle and name are
// those of its latest post whatever the order of arrival, and that its
// handles keep when each was first and last seen.
func TestAccountHandleAndName(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		a := newVerdict("x", "1", "9", 10, withHandle("example_old"), withName("Old Name"))
		b := newVerdict("x", "2", "9", 20, withHandle("example_new"), withName("New Name"))
		c := newVerdict("x", "3", "9", 30, withHandle(""), withName(""))
		d := newVerdict("x", "4", "9", 5, withHandle("example_old"), withName("Oldest Name"))
		for _, tc := range []struct {
			name    string
			batches [][]event.Verdict
		}{
			{"in order", [][]event.Verdict{{d, a, b, c}}},
			{"in order, one per batch", [][]event.Verdict{{d}, {a}, {b}, {c}}},
			{"newest first", [][]event.Verdict{{c}, {b}, {a}, {d}}},
			{"shuffled in one batch", [][]event.Verdict{{b, d, c, a}}},
			{"shuffled across batches", [][]event.Verdict{{a, c}, {d, b}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s := db.open(t)
				for _, vs := range tc.batches {
					write(t, s, vs...)
				}
				as := allAccounts(t, s, event.AccountFilter{})
				if len(as) != 1 {
					t.Fatalf("%d accounts, want 1", len(as))
				}
				got := as[0]
				if got.Handle != "example_new" || got.Name != "New Name" {
					t.Errorf("handle %q, name %q; want those of the latest post that had them", got.Handle, got.Name)
				}
				if want := []string{"example_old", "example_new"}; !slices.Equal(got.Handles, want) {
					t.Errorf("handles %v, want %v", got.Handles, want)
				}
				if got.PostCount != 4 || !got.FirstSeen.Equal(d.Post.CreatedAt) || !got.LastSeen.Equal(c.Post.CreatedAt) {
					t.Errorf("%d posts seen %v to %v", got.PostCount, got.FirstSeen, got.LastSeen)
				}
				var first, last string
				err := s.queryRow(`SELECT first_seen, last_seen FROM account_handles
				WHERE platform = 'x' AND account_id = '9' AND handle = 'example_old'`).Scan(&first, &last)
				if err != nil || first != formatTime(d.Post.CreatedAt) || last != formatTime(a.Post.CreatedAt) {
					t.Errorf("example_old seen %s to %s (%v)", first, last, err)
				}
			})
		}
	})
}

// TestConcurrentWriters writes overlapping batches from several
// goroutines: the one writer connection serialises them and every post
// is stored once.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for b := range 10 {
					var vs []event.Verdict
					for i := range 30 {
						n := (w+b)*10 + i // overlaps the other writers' batches
						var opts []option
						if n%3 == 0 {
							opts = append(opts, flagged("hate"))
						}
						vs = append(vs, newVerdict("x", itoa(n), itoa(n%5), n, opts...))
					}
					if err := s.WriteVerdicts(context.Background(), vs); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		// Posts 0 to (3+9)*10+29 = 149, a third of them flagged.
		if posts, flags := counts(t, s); posts != 150 || flags != 50 {
			t.Errorf("%d posts, %d flags; want 150, 50", posts, flags)
		}
		total := 0
		for _, a := range allAccounts(t, s, event.AccountFilter{}) {
			total += a.PostCount
			if a.FlagCount != a.Categories["hate"] {
				t.Errorf("account %s: %d flags, %d in hate", a.ID, a.FlagCount, a.Categories["hate"])
			}
		}
		if total != 150 {
			t.Errorf("accounts count %d posts, want 150", total)
		}
	})
}
