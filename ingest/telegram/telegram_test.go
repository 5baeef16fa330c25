package telegram

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/sourcetest"
)

// The tests run the source against fake (fake_test.go), an httptest
// server on 127.0.0.1 serving preview pages in the markup of
// https://t.me/s/<channel>.

const runTimeout = 10 * time.Second

func testConfig(f *fake, channels ...string) Config {
	return Config{
		Name: "tg",
		Settings: netsrc.Settings{
			BaseURL: f.srv.URL, AllowPrivate: true, Interval: time.Millisecond,
			RateLimit: netsrc.RateLimit{Requests: 1000, Per: time.Second},
			Retries:   3, Backoff: netsrc.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
		},
		Channels: channels,
	}
}

// testEnv is sourcetest.Env with a health record whose metrics the test
// can read.
func testEnv(cursors *sourcetest.Cursors) (ingest.Env, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	env := sourcetest.Env(cursors)
	env.Health = ingest.NewHealth(reg)
	env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return env, reg
}

// errorsOfKind reads vigil_ingest_errors_total{source, kind}.
func errorsOfKind(t *testing.T, reg *prometheus.Registry, source, kind string) float64 {
	t.Helper()
	return sourcetest.ErrorCount(t, reg, source, kind)
}

func newSource(t *testing.T, cfg Config, env ingest.Env) *Source {
	t.Helper()
	s, err := New(cfg, env)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ids returns "ch:from".."ch:to".
func ids(ch string, from, to int64, except ...int64) []string {
	var out []string
	for id := from; id <= to; id++ {
		if !slices.Contains(except, id) {
			out = append(out, fmt.Sprintf("%s:%d", ch, id))
		}
	}
	return out
}

func mustRun(t *testing.T, s *Source) []ingest.Item {
	t.Helper()
	items, err := sourcetest.Run(t, s, runTimeout)
	if err != nil {
		t.Fatalf("round: %v", err)
	}
	return items
}

func TestFixturePage(t *testing.T) {
	f := newFake(t)
	body := readFixture(t, "channel.html")
	f.setBody("/s/yangon_example", string(body))
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	items := mustRun(t, newSource(t, testConfig(f, "@Yangon_Example"), env))
	// 1 ("Channel created") and 3 (a photo) have no text: skipped.
	if got := sourcetest.IDs(items); !slices.Equal(got, []string{"yangon_example:2", "yangon_example:4", "yangon_example:5"}) {
		t.Fatalf("ids %v", got)
	}
	for _, it := range items {
		id := strings.TrimPrefix(it.Post.ID, "yangon_example:")
		if want := wrapOf(t, body, "yangon_example", id); !bytes.Equal(it.Post.Raw, want) {
			t.Errorf("%s: raw is not the exact bytes of the page:\n%s", it.Post.ID, it.Post.Raw)
		}
		if !strings.HasPrefix(it.Origin, "telegram:tg:yangon_example/") {
			t.Errorf("origin %q", it.Origin)
		}
	}
	if !strings.HasPrefix(items[0].Post.Text, "မင်္ဂလာပါ။ ဒီနေ့ ရန်ကုန်") {
		t.Errorf("Burmese text: %q", items[0].Post.Text)
	}
	// The cursor is the highest id read, text or not.
	if got := cursors.All()["telegram:tg:yangon_example"]; got != "5" {
		t.Errorf("cursor %q", got)
	}
	if q := f.pageQueries(); !slices.Equal(q, []string{"/s/yangon_example"}) {
		t.Errorf("requests %v", q)
	}
}

// Paging back with before=, the cursor, and a restart: across every run
// each post arrives exactly once.
func TestPagingCursorRestart(t *testing.T) {
	f := newFake(t)
	const ch = "mandalay_example"
	f.add(ch, 1, 50)
	f.delete(ch, 17) // a deleted message: ids have gaps
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	cfg := testConfig(f, ch)
	cfg.BackfillPages = 2
	s := newSource(t, cfg, env)
	var all []string

	// First round: no cursor, two pages: 31..50 and 10..30 (17 gone).
	items := mustRun(t, s)
	got := sourcetest.IDs(items)
	all = append(all, got...)
	if want := ids(ch, 10, 50, 17); !slices.Equal(got, want) {
		t.Fatalf("first round %v, want %v", got, want)
	}
	if q := f.pageQueries(); !slices.Equal(q, []string{"/s/" + ch, "/s/" + ch + "?before=31"}) {
		t.Fatalf("requests %v", q)
	}
	if c := cursors.All()["telegram:tg:"+ch]; c != "50" {
		t.Fatalf("cursor %q", c)
	}
	for _, it := range items {
		id, _ := strconv.ParseInt(strings.TrimPrefix(it.Post.ID, ch+":"), 10, 64)
		if !it.Post.CreatedAt.Equal(msgTime(id)) || it.Post.Text != fmt.Sprintf("သတင်းစာ %d — message %d of %s", id, id, ch) ||
			it.Post.Author.Name != "Example Channel "+ch || it.Post.URL != fmt.Sprintf("https://t.me/%s/%d", ch, id) {
			t.Fatalf("post %+v", withoutRaw(it.Post))
		}
	}

	// 45 new messages: page back to the cursor (76..95, 56..75, 36..55)
	// and emit 51..95 only, oldest first.
	f.add(ch, 51, 95)
	n := len(f.requests())
	items = mustRun(t, s)
	got = sourcetest.IDs(items)
	all = append(all, got...)
	if want := ids(ch, 51, 95); !slices.Equal(got, want) {
		t.Fatalf("second round %v, want %v", got, want)
	}
	if q := f.pageQueries()[n:]; !slices.Equal(q, []string{"/s/" + ch, "/s/" + ch + "?before=76", "/s/" + ch + "?before=56"}) {
		t.Fatalf("requests %v", q)
	}

	// Nothing new: one request, nothing emitted.
	n = len(f.requests())
	if items = mustRun(t, s); len(items) != 0 {
		t.Fatalf("quiet round: %v", sourcetest.IDs(items))
	}
	if len(f.requests()) != n+1 {
		t.Fatalf("quiet round made %d requests", len(f.requests())-n)
	}

	// Restart: a new source with the same cursors reads only the newer.
	f.add(ch, 96, 98)
	env2, _ := testEnv(cursors)
	items = mustRun(t, newSource(t, cfg, env2))
	got = sourcetest.IDs(items)
	all = append(all, got...)
	if want := ids(ch, 96, 98); !slices.Equal(got, want) {
		t.Fatalf("after restart %v, want %v", got, want)
	}
	if c := cursors.All()["telegram:tg:"+ch]; c != "98" {
		t.Fatalf("cursor %q", c)
	}
	sourcetest.Exactly(t, all, ids(ch, 10, 98, 17))
}

// The saved cursor moves only once the posts are acknowledged; the source
// keeps its own place meanwhile, and a restart before the acks re-reads.
func TestCursorAfterAck(t *testing.T) {
	f := newFake(t)
	const ch = "bago_example"
	f.add(ch, 1, 5)
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	s := newSource(t, testConfig(f, ch), env)
	out := make(chan ingest.Item, 10)
	if err := s.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	close(out)
	var items []ingest.Item
	for it := range out {
		items = append(items, it)
	}
	if len(items) != 5 {
		t.Fatalf("%d items", len(items))
	}
	if _, ok := cursors.All()["telegram:tg:"+ch]; ok {
		t.Fatal("cursor saved before the acks")
	}
	for _, it := range items[:4] {
		if it.Ack != nil {
			it.Ack()
		}
	}
	if _, ok := cursors.All()["telegram:tg:"+ch]; ok {
		t.Fatal("cursor saved before the last ack")
	}
	items[4].Ack()
	if c := cursors.All()["telegram:tg:"+ch]; c != "5" {
		t.Fatalf("cursor %q", c)
	}
}

// max_pages bounds a round; the older new messages are then missed (with a
// warning), and the cursor moves to the newest.
func TestMaxPages(t *testing.T) {
	f := newFake(t)
	const ch = "sagaing_example"
	f.add(ch, 1, 10)
	cursors := &sourcetest.Cursors{}
	cursors.Set(context.Background(), "telegram:tg:"+ch, "10")
	f.add(ch, 11, 110)
	env, _ := testEnv(cursors)
	var logs bytes.Buffer
	env.Log = slog.New(slog.NewTextHandler(&logs, nil))
	cfg := testConfig(f, ch)
	cfg.MaxPages = 2
	items := mustRun(t, newSource(t, cfg, env))
	if got := sourcetest.IDs(items); !slices.Equal(got, ids(ch, 71, 110)) {
		t.Fatalf("ids %v", got)
	}
	if len(f.requests()) != 2 {
		t.Fatalf("%d requests", len(f.requests()))
	}
	if !strings.Contains(logs.String(), "max_pages reached") {
		t.Errorf("no warning: %s", logs.String())
	}
	if c := cursors.All()["telegram:tg:"+ch]; c != "110" {
		t.Errorf("cursor %q", c)
	}
}

// A 429 with Retry-After: the client waits that long, then the round
// gets everything; the health record counts a rate_limited failure.
func TestRateLimited(t *testing.T) {
	f := newFake(t)
	const ch = "magway_example"
	f.add(ch, 1, 30)
	f.failNext(failure{status: http.StatusTooManyRequests, header: http.Header{"Retry-After": {"1"}}, body: "Too Many Requests: retry after 1"})
	env, reg := testEnv(&sourcetest.Cursors{})
	cfg := testConfig(f, ch)
	cfg.BackfillPages = 2
	items := mustRun(t, newSource(t, cfg, env))
	sourcetest.Exactly(t, sourcetest.IDs(items), ids(ch, 1, 30))
	reqs := f.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 950*time.Millisecond {
		t.Errorf("retried after %v, Retry-After said 1s", gap)
	}
	if n := errorsOfKind(t, reg, "tg", ingest.KindRateLimited); n != 1 {
		t.Errorf("rate_limited errors %v", n)
	}
	if h := sourcetest.Failures(env, "tg"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Errorf("health %+v", h)
	}
}

// A 5xx is retried; the round then succeeds with everything. Once the
// retries are spent the round fails, and the next one catches up.
func TestServerError(t *testing.T) {
	f := newFake(t)
	const ch = "kachin_example"
	f.add(ch, 1, 10)
	f.failNext(failure{status: http.StatusBadGateway, body: "bad gateway"})
	cursors := &sourcetest.Cursors{}
	env, reg := testEnv(cursors)
	s := newSource(t, testConfig(f, ch), env)
	items := mustRun(t, s)
	all := sourcetest.IDs(items)
	if !slices.Equal(all, ids(ch, 1, 10)) {
		t.Fatalf("ids %v", all)
	}
	if n := errorsOfKind(t, reg, "tg", ingest.KindServer); n != 1 {
		t.Errorf("server errors %v", n)
	}

	// Every try fails (1 + 3 retries): the round fails, nothing moves.
	f.add(ch, 11, 15)
	for range 4 {
		f.failNext(failure{status: http.StatusServiceUnavailable, body: "down"})
	}
	items, err := sourcetest.Run(t, s, runTimeout)
	if err == nil || netsrc.KindOf(err) != ingest.KindServer || len(items) != 0 {
		t.Fatalf("round: %v, %d items", err, len(items))
	}
	if h := sourcetest.Failures(env, "tg"); h.LastKind != ingest.KindServer || h.Failures != 4 {
		t.Errorf("health %+v", h)
	}
	if c := cursors.All()["telegram:tg:"+ch]; c != "10" {
		t.Errorf("cursor %q", c)
	}
	items = mustRun(t, s)
	all = append(all, sourcetest.IDs(items)...)
	sourcetest.Exactly(t, all, ids(ch, 1, 15))
}

// A page that is not a preview (the info page of a channel without one,
// served at /s/<channel> or reached by a redirect) fails the round as
// malformed, naming the channel; once fixed, the next round gets
// everything.
func TestMalformedPage(t *testing.T) {
	for _, redirect := range []bool{false, true} {
		t.Run(fmt.Sprintf("redirect=%v", redirect), func(t *testing.T) {
			f := newFake(t)
			const ch = "shan_example"
			f.add(ch, 1, 8)
			info := string(readFixture(t, "info_page.html"))
			if redirect {
				f.setRedirect("/s/"+ch, "/"+ch)
				f.setBody("/"+ch, info)
			} else {
				f.setBody("/s/"+ch, info)
			}
			cursors := &sourcetest.Cursors{}
			env, reg := testEnv(cursors)
			s := newSource(t, testConfig(f, ch), env)
			items, err := sourcetest.Run(t, s, runTimeout)
			if err == nil || len(items) != 0 {
				t.Fatalf("round: %v, %d items", err, len(items))
			}
			if netsrc.KindOf(err) != ingest.KindMalformed || !strings.Contains(err.Error(), "channel "+ch) {
				t.Errorf("error %v", err)
			}
			if redirect && !strings.Contains(err.Error(), "no public web preview") {
				t.Errorf("error %v", err)
			}
			if h := sourcetest.Failures(env, "tg"); h.LastKind != ingest.KindMalformed || h.Failures != 1 {
				t.Errorf("health %+v", h)
			}
			if n := errorsOfKind(t, reg, "tg", ingest.KindMalformed); n != 1 {
				t.Errorf("malformed errors %v", n)
			}
			if len(f.requests()) != 1+btoi(redirect) {
				t.Errorf("requests %v (malformed is not retried)", f.pageQueries())
			}
			if len(cursors.All()) != 0 {
				t.Errorf("cursors %v", cursors.All())
			}

			f.setRedirect("/s/"+ch, "")
			f.setBody("/s/"+ch, "")
			items = mustRun(t, s)
			sourcetest.Exactly(t, sourcetest.IDs(items), ids(ch, 1, 8))
			if h := sourcetest.Failures(env, "tg"); h.Failures != 0 || h.LastSuccess.IsZero() {
				t.Errorf("health %+v", h)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Pages that are not the preview at all (JSON, garbage) and a page whose
// messages all lack a data-post are malformed.
func TestMalformedBodies(t *testing.T) {
	for name, body := range map[string]string{
		"json":    `{"ok":false,"error_code":404}`,
		"garbage": "\x00\x01 not html <<<",
		"no ids":  `<html><body><section class="tgme_channel_history">` + renderMsg("x", "X", fakeMsg{wrap: `<div class="tgme_widget_message_wrap"><div class="tgme_widget_message">hello</div></div>`}) + `</section></body></html>`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			f.add("kayin_example", 1, 3)
			f.setBody("/s/kayin_example", body)
			env, _ := testEnv(&sourcetest.Cursors{})
			items, err := sourcetest.Run(t, newSource(t, testConfig(f, "kayin_example"), env), runTimeout)
			if netsrc.KindOf(err) != ingest.KindMalformed || len(items) != 0 || !strings.Contains(err.Error(), "kayin_example") {
				t.Fatalf("round: %v, %d items", err, len(items))
			}
		})
	}
}

// An empty channel (the header, no messages) is an empty page: a
// successful round with nothing in it.
func TestEmptyChannel(t *testing.T) {
	f := newFake(t)
	f.setBody("/s/quiet_example", string(readFixture(t, "empty_channel.html")))
	f.add("also_quiet", 1, 0) // rendered by the fake: no messages
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	s := newSource(t, testConfig(f, "quiet_example", "also_quiet"), env)
	items := mustRun(t, s)
	if len(items) != 0 {
		t.Fatalf("%d items", len(items))
	}
	if h := sourcetest.Failures(env, "tg"); h.LastSuccess.IsZero() || h.Failures != 0 {
		t.Errorf("health %+v", h)
	}
	if len(cursors.All()) != 0 {
		t.Errorf("cursors %v", cursors.All())
	}
	// The first messages then come as a backfill.
	f.add("also_quiet", 1, 2)
	items = mustRun(t, s)
	sourcetest.Exactly(t, sourcetest.IDs(items), ids("also_quiet", 1, 2))
}

// Messages that cannot be read go to dead letters once; one without an id
// waits for the next message that has one; messages without text are
// skipped; nothing is lost or repeated.
func TestBadAndTextlessMessages(t *testing.T) {
	f := newFake(t)
	const ch = "rakhine_example"
	f.add(ch, 1, 3)
	f.addMsg(ch, fakeMsg{id: 4}) // a photo, no text
	badDate := strings.Replace(renderMsg(ch, "T", fakeMsg{id: 5, text: "bad date"}), msgTime(5).Format("2006-01-02T15:04:05-07:00"), "soon", 1)
	f.addMsg(ch, fakeMsg{id: 5, wrap: badDate})
	noID := strings.Replace(renderMsg(ch, "T", fakeMsg{id: 6, text: "no id"}), `data-post="`+ch+`/6"`, "", 1)
	f.addMsg(ch, fakeMsg{id: 6, wrap: noID})
	cursors := &sourcetest.Cursors{}
	env, _ := testEnv(cursors)
	s := newSource(t, testConfig(f, ch), env)

	items := mustRun(t, s)
	if got := sourcetest.IDs(items); !slices.Equal(got, ids(ch, 1, 3)) {
		t.Fatalf("ids %v", got)
	}
	bad := sourcetest.Errors(items)
	if len(bad) != 1 || string(bad[0].Payload) != badDate || bad[0].Origin != "telegram:tg:"+ch+"/5" ||
		!strings.Contains(bad[0].Err.Error(), "date") {
		t.Fatalf("bad items %+v", bad)
	}
	if c := cursors.All()["telegram:tg:"+ch]; c != "5" {
		t.Fatalf("cursor %q", c)
	}

	// The message without an id is the newest: it waits. Another round
	// emits nothing.
	if items = mustRun(t, s); len(items) != 0 {
		t.Fatalf("items %+v", items)
	}
	// A newer message comes: the one without an id goes to dead letters
	// now, once, then the new post.
	f.add(ch, 7, 7)
	items = mustRun(t, s)
	if len(items) != 2 || items[0].Err == nil || string(items[0].Payload) != noID || items[1].Post.ID != ch+":7" ||
		items[0].Origin != "telegram:tg:"+ch+"/before-7" {
		t.Fatalf("items %+v", items)
	}
	f.add(ch, 8, 8)
	items = mustRun(t, s)
	sourcetest.Exactly(t, sourcetest.IDs(items), []string{ch + ":8"})
	if len(sourcetest.Errors(items)) != 0 {
		t.Fatalf("dead letters repeated: %+v", sourcetest.Errors(items))
	}
}

// A post that fails validation (its date far in the future) goes to dead
// letters with its raw HTML.
func TestInvalidPost(t *testing.T) {
	f := newFake(t)
	const ch = "chin_example"
	future := strings.Replace(renderMsg(ch, "T", fakeMsg{id: 1, text: "from the future"}), msgTime(1).Format("2006-01-02T15:04:05-07:00"), "2999-01-01T00:00:00+00:00", 1)
	f.addMsg(ch, fakeMsg{id: 1, wrap: future})
	env, _ := testEnv(&sourcetest.Cursors{})
	items := mustRun(t, newSource(t, testConfig(f, ch), env))
	if len(items) != 1 || items[0].Err == nil || string(items[0].Payload) != future || !strings.Contains(items[0].Err.Error(), "future") {
		t.Fatalf("items %+v", items)
	}
}

// A channel that fails does not hold the others back; the round reports
// it, and the health record counts one failure per failing channel.
func TestChannelsIndependent(t *testing.T) {
	f := newFake(t)
	f.add("good_example", 1, 3)
	f.add("bad_example", 1, 3)
	f.add("worse_example", 1, 3)
	f.setBody("/s/bad_example", string(readFixture(t, "info_page.html")))
	f.setBody("/s/worse_example", `{"oops":true}`)
	env, reg := testEnv(&sourcetest.Cursors{})
	items, err := sourcetest.Run(t, newSource(t, testConfig(f, "bad_example", "good_example", "worse_example"), env), runTimeout)
	sourcetest.Exactly(t, sourcetest.IDs(items), ids("good_example", 1, 3))
	if err == nil || !strings.Contains(err.Error(), "bad_example") || !strings.Contains(err.Error(), "worse_example") ||
		netsrc.KindOf(err) != ingest.KindMalformed {
		t.Fatalf("round: %v", err)
	}
	if n := errorsOfKind(t, reg, "tg", ingest.KindMalformed); n != 2 {
		t.Errorf("malformed errors %v", n)
	}
}

// No credentials: nothing but the user agent identifies the requests.
func TestNoCredentials(t *testing.T) {
	f := newFake(t)
	f.add("ayeyarwady_example", 1, 2)
	env, _ := testEnv(&sourcetest.Cursors{})
	env.Getenv = func(string) string { t.Error("the source read an environment variable"); return "" }
	mustRun(t, newSource(t, testConfig(f, "ayeyarwady_example"), env))
	for _, r := range f.requests() {
		if r.header.Get("Authorization") != "" || r.header.Get("Cookie") != "" {
			t.Errorf("credentials sent: %v", r.header)
		}
		if r.header.Get("User-Agent") != netsrc.DefaultUserAgent {
			t.Errorf("user agent %q", r.header.Get("User-Agent"))
		}
	}
}

func TestNew(t *testing.T) {
	env := sourcetest.Env(nil)
	ok := Config{Name: "tg", Channels: []string{"one_example", "@Two_Example"}}
	s, err := New(ok, env)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.channels, []string{"one_example", "two_example"}) || s.cfg.BackfillPages != 1 || s.cfg.MaxPages != 10 ||
		s.cfg.BaseURL != "https://t.me" || s.cfg.Interval != 5*time.Minute || s.cfg.RateLimit.Requests != 20 || s.cfg.Concurrency != 1 {
		t.Errorf("defaults: %+v %v", s.cfg, s.channels)
	}
	if s.pageURL("one_example", 0) != "https://t.me/s/one_example" || s.pageURL("one_example", 12) != "https://t.me/s/one_example?before=12" {
		t.Errorf("urls %s %s", s.pageURL("one_example", 0), s.pageURL("one_example", 12))
	}
	for name, c := range map[string]Config{
		"name is required":       {Channels: []string{"a"}},
		"at least one channel":   {Name: "tg"},
		"not a channel username": {Name: "tg", Channels: []string{"https://t.me/a"}},
		"listed twice":           {Name: "tg", Channels: []string{"abc", "@ABC"}},
		"backfill_pages -1":      {Name: "tg", Channels: []string{"a"}, BackfillPages: -1},
		"max_pages -2":           {Name: "tg", Channels: []string{"a"}, MaxPages: -2},
		"base_url":               {Name: "tg", Channels: []string{"a"}, Settings: netsrc.Settings{BaseURL: "ftp://x"}},
	} {
		if _, err := New(c, env); err == nil || !strings.Contains(err.Error(), name) || (c.Name != "" && !strings.Contains(err.Error(), "telegram source tg")) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Run without Once polls until the context ends, then returns nil.
func TestRunLoop(t *testing.T) {
	f := newFake(t)
	const ch = "tanintharyi_example"
	f.add(ch, 1, 3)
	env, _ := testEnv(&sourcetest.Cursors{})
	env.Once = false
	s := newSource(t, testConfig(f, ch), env)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan ingest.Item)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, out) }()
	var got []string
	for len(got) < 5 {
		select {
		case it := <-out:
			got = append(got, it.Post.ID)
			if it.Ack != nil {
				it.Ack()
			}
			if len(got) == 3 {
				f.add(ch, 4, 5)
			}
		case <-time.After(runTimeout):
			t.Fatalf("got %v", got)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sourcetest.Exactly(t, got, ids(ch, 1, 5))
}
