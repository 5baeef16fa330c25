package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/event"
)

// backlogStore is a read store holding a large backlog the way an indexed
// store does: listing the running claims costs what the claims cost, not
// what the backlog costs. It counts the calls the queue page makes, so
// that a test can hold the page to a bounded amount of work.
type backlogStore struct {
	*memStore
	claimed              []event.Flag
	pending              int
	listCalls, postCalls atomic.Int64
}

func (b *backlogStore) ListFlags(ctx context.Context, f event.FlagFilter) ([]event.Flag, int64, error) {
	b.listCalls.Add(1)
	if f.Status == event.StatusClaimed {
		return b.claimed, 0, nil
	}
	return b.memStore.ListFlags(ctx, f)
}

func (b *backlogStore) FindPost(ctx context.Context, platform, id string) (*event.StoredPost, error) {
	b.postCalls.Add(1)
	return b.memStore.FindPost(ctx, platform, id)
}

// backlogServer is a server whose store has pending flags in its backlog
// and 25 flags claimed by the monitor; it returns the handler and the
// monitor's session cookie.
func backlogServer(tb testing.TB, pending int) (http.Handler, *backlogStore, *http.Cookie) {
	tb.Helper()
	tokens := newMemTokens()
	tok, secret, _ := tokens.CreateToken(context.Background(), event.NewToken{Role: event.RoleMonitor})
	store := &backlogStore{memStore: newMemStore(), pending: pending}
	now := time.Now()
	for i := range pending {
		store.memStore.flags = append(store.memStore.flags, event.Flag{ID: int64(1000 + i), Platform: "x", PostID: "b" + strconv.Itoa(i),
			AuthorID: "99", Score: 3, Categories: []string{"hate"}, Status: event.StatusPending, CreatedAt: now})
	}
	for i := range 25 {
		post := "c" + strconv.Itoa(i)
		text := strings.Repeat("ဒီကုလားတွေကို မောင်းထုတ်ကြ ", 4)
		store.claimed = append(store.claimed, event.Flag{ID: int64(100 + i), Platform: "x", PostID: post, AuthorID: "44", Handle: "someone",
			Score: float64(i % 5), Categories: []string{"dehumanisation", "violence_call"},
			Matches: []event.Match{{TermID: "t1", Category: "dehumanisation", Start: 6, End: 21}, {TermID: "t2", Category: "violence_call", Start: 40, End: 67}},
			Status:  event.StatusClaimed, ClaimedBy: tok.Pseudonym, LeaseExpiresAt: now.Add(10 * time.Minute), CreatedAt: now})
		store.memStore.posts["x/"+post] = &event.StoredPost{Post: event.Post{Platform: "x", ID: post, Author: event.Author{ID: "44"}, Text: text}}
	}
	counts := &memCounts{c: event.QueueCounts{Pending: pending, Claimed: 25, ClaimedBy: map[string]int{tok.Pseudonym: 25}, OldestPending: now.Add(-time.Hour)}}
	// No rate limit: the benchmark asks thousands of pages with one token.
	f := newFixtureConfig(tb, api.Config{RateLimit: api.RateLimit{Requests: -1}}, func(d *api.Deps) {
		d.Read = store
		d.Tokens = api.NewStoreTokens(tokens, "")
		d.Review = &memReview{}
		d.Queue = counts
	})
	return f.api.Handler(), store, &http.Cookie{Name: "vigil_session", Value: secret}
}

func queuePage(tb testing.TB, h http.Handler, session *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "/queue", nil)
	req.AddCookie(session)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET /queue: %d\n%s", rec.Code, rec.Body)
	}
	return rec
}

// TestQueuePageBounded: whatever the backlog, the queue page reads the
// running claims once and the post of each of the caller's flags.
func TestQueuePageBounded(t *testing.T) {
	for _, pending := range []int{0, 10000} {
		h, store, session := backlogServer(t, pending)
		rec := queuePage(t, h, session)
		if got := strings.Count(rec.Body.String(), `<article class="flag"`); got != 25 {
			t.Errorf("%d pending: %d flags shown, want the 25 claimed", pending, got)
		}
		if l, p := store.listCalls.Load(), store.postCalls.Load(); l != 1 || p != 25 {
			t.Errorf("%d pending: %d listings and %d post reads, want 1 and 25", pending, l, p)
		}
	}
}

// BenchmarkQueuePage is the queue page of a monitor holding 25 flags on a
// store with 10,000 pending: template, highlighting, counts and the
// store's calls (in memory here; the lead measures it on SQLite).
func BenchmarkQueuePage(b *testing.B) {
	h, _, session := backlogServer(b, 10000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		size = queuePage(b, h, session).Body.Len()
	}
	b.ReportMetric(float64(size), "page-bytes")
}
