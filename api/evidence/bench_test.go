package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// bigSet is a synthetic set of n posts on accounts accounts: half Burmese,
// half English, each with a raw payload of about 1 KB, two matches and
// one or two decisions.
func bigSet(tb testing.TB, n, accounts int) *event.EvidenceSet {
	tb.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	set := &event.EvidenceSet{Subject: "case:1", Case: &event.Case{ID: 1, Title: "Benchmark network"}, GatheredAt: t0}
	for a := 0; a < accounts; a++ {
		set.Accounts = append(set.Accounts, event.AccountView{Account: event.Account{Platform: "x", ID: fmt.Sprint(4400001000 + a),
			Handle: fmt.Sprintf("bench_%d", a), Categories: map[string]int{"violence_call": n / accounts}, FirstSeen: t0, LastSeen: t0.Add(300 * 24 * time.Hour)}})
	}
	my := "ဘင်္ဂါလီတွေကို သတ်ပစ်ရမယ်။ ဒီရွာကနေ မောင်းထုတ်ရမယ်။ "
	en := "They are vermin and must be driven out of Example Town before they take our land. "
	for i := 0; i < n; i++ {
		a := i % accounts
		author := event.Author{ID: fmt.Sprint(4400001000 + a), Handle: fmt.Sprintf("bench_%d", a)}
		text, lang, t1, t2 := my+my, "my", "ဘင်္ဂါလီ", "သတ်ပစ်"
		if i%2 == 1 {
			text, lang, t1, t2 = en+en, "en", "vermin", "driven out"
		}
		at := t0.Add(time.Duration(i) * 37 * time.Minute)
		p := event.Post{Platform: "x", ID: fmt.Sprint(1999000000000000000 + i), Author: author, Text: text, Lang: lang, CreatedAt: at,
			URL: fmt.Sprintf("https://x.example.com/%s/status/%d", author.Handle, 1999000000000000000+i), CapturedAt: at.Add(time.Minute)}
		raw, _ := json.Marshal(map[string]any{"id": p.ID, "author": author, "text": text, "created_at": at, "lang": lang,
			"padding": strings.Repeat("x", max(0, 1000-len(text)-200))})
		p.Raw, p.RawSHA256 = raw, event.SHA256Hex(raw)
		s1, s2 := strings.Index(text, t1), strings.Index(text, t2)
		f := event.Flag{ID: int64(i + 1), Platform: "x", PostID: p.ID, AuthorID: author.ID, Score: 7, Categories: []string{"dehumanisation", "violence_call"},
			Matches: []event.Match{{TermID: "t01", Category: "dehumanisation", Start: s1, End: s1 + len(t1)}, {TermID: "t10", Category: "violence_call", Start: s2, End: s2 + len(t2)}},
			Lexicon: "example@2026-11-26", Pipeline: "vigil 0.9.0", Status: "confirmed"}
		trail := []event.ReviewStep{{FlagID: f.ID, Level: "pending", Decision: "confirm", Reviewer: "monitor-3f9c", DecidedAt: at.Add(time.Hour), Translation: "They must be killed."}}
		if i%3 == 0 {
			trail = []event.ReviewStep{{FlagID: f.ID, Level: "pending", Decision: "escalate", Reviewer: "monitor-3f9c", DecidedAt: at.Add(time.Hour)},
				{FlagID: f.ID, Level: "escalated", Decision: "confirm", Reviewer: "lead-a1b2", DecidedAt: at.Add(2 * time.Hour)}}
		}
		last := trail[len(trail)-1]
		f.Decision = &event.Decision{FlagID: f.ID, Decision: last.Decision, Reviewer: last.Reviewer, DecidedAt: last.DecidedAt, Translation: last.Translation}
		set.Posts = append(set.Posts, event.EvidencePost{Post: p, RawSHA256: p.RawSHA256, StoredAt: p.CapturedAt, LexiconHash: "sha256:00", Flag: f, Trail: trail})
	}
	return set
}

// BenchmarkWrite10k writes a pack of 10,000 posts on 50 accounts; the
// issue asks for the whole export under 2 s, the writer alone is meant to
// take under 1 s.
func BenchmarkWrite10k(b *testing.B) {
	set := bigSet(b, 10000, 50)
	_, signer, _ := testKeyring(b)
	var buf bytes.Buffer
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		buf.Reset()
		if _, err := Write(context.Background(), &buf, set, Options{CreatedAt: packTime, Profile: "x", Signer: signer}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB/pack")
	// CPU time as well as wall time: on a shared machine the wall time
	// says more about the neighbours than about the writer.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
}

// TestWriteManyVerifies: a pack like the benchmark's, smaller, is a
// valid pack.
func TestWriteManyVerifies(t *testing.T) {
	set := bigSet(t, 500, 50)
	_, signer, _ := testKeyring(t)
	var buf bytes.Buffer
	start := time.Now()
	if _, err := Write(context.Background(), &buf, set, Options{CreatedAt: packTime, Profile: "x", Signer: signer}); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d posts in %v: %.1f MB", len(set.Posts), time.Since(start), float64(buf.Len())/1e6)
	start = time.Now()
	if res := verifyBytes(t, buf.Bytes(), nil); !res.OK || res.Files != 500+9 {
		t.Fatalf("Verify = %+v %+v", res, res.Failure)
	}
	t.Logf("verified in %v", time.Since(start))
}

// BenchmarkReport10k renders report.html alone for the 10,000 posts of
// BenchmarkWrite10k: the slowest part of a pack.
func BenchmarkReport10k(b *testing.B) {
	set := bigSet(b, 10000, 50)
	var buf bytes.Buffer
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		buf.Reset()
		if err := RenderReport(&buf, set, ReportOptions{Profile: "x", PackID: "p", CreatedAt: packTime}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB/report")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(n), "cpu-s/op")
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
