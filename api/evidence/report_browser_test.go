package evidence_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/chromedp/chromedp"

	"github.com/vigilhq/vigil/api/browsertest"
	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
)

// Synthetic Burmese posts of one synthetic account, each with the term a
// lexicon matched in it, its translation and the reviewers' pseudonyms.
var burmesePosts = []struct {
	id, text, term, category, translation string
	reviewers                             []string
}{
	{
		id:          "100000000000951_900101",
		text:        "ဒီရွာက လူတွေကို မောင်းထုတ်ပစ်ရမယ်။",
		term:        "မောင်းထုတ်",
		category:    "violence_call",
		translation: "The people of this village must be driven out.",
		reviewers:   []string{"monitor-5e1d"},
	},
	{
		id:          "100000000000951_900102",
		text:        "သူတို့က ပိုးမွှားတွေပဲ၊ ဒီမှာ မနေသင့်ဘူး။",
		term:        "ပိုးမွှား",
		category:    "dehumanisation",
		translation: "They are just vermin; they should not live here.",
		reviewers:   []string{"monitor-5e1d", "lead-c7a0"},
	},
}

// Decoys: a reviewer's real name and an API token, kept where the store
// keeps such things (a decision's note, which is for the team only). The
// report must show neither.
const (
	decoyRealName = "Daw Hnin Decoy-Realname"
	decoyToken    = "vgl_decoytoken_6f1e0c9a2b7d4e3f"
)

func burmeseSet(tb testing.TB) *event.EvidenceSet {
	tb.Helper()
	author := event.Author{ID: "100000000000951", Handle: "demo_village_voice", Name: "နမူနာ ရွာသတင်း"}
	t0 := time.Date(2026, 10, 4, 6, 30, 0, 0, time.UTC)
	set := &event.EvidenceSet{
		Subject:    "account:facebook:" + author.ID,
		GatheredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		Accounts: []event.AccountView{{
			Account: event.Account{Platform: "facebook", ID: author.ID, Handle: author.Handle, Name: author.Name,
				Handles: []string{author.Handle}, PostCount: 12, FlagCount: len(burmesePosts),
				Categories: map[string]int{"violence_call": 1, "dehumanisation": 1},
				FirstSeen:  t0.Add(-90 * 24 * time.Hour), LastSeen: t0.Add(48 * time.Hour)},
			HandleHistory: []event.HandleSeen{{Handle: author.Handle, FirstSeen: t0.Add(-90 * 24 * time.Hour), LastSeen: t0.Add(48 * time.Hour)}},
			FlagsByStatus: map[string]int{"pending": 0, "claimed": 0, "confirmed": len(burmesePosts), "dismissed": 0, "escalated": 0},
		}},
	}
	for i, bp := range burmesePosts {
		at := t0.Add(time.Duration(i) * 26 * time.Hour)
		start := strings.Index(bp.text, bp.term)
		if start < 0 {
			tb.Fatalf("term %q not in post %s", bp.term, bp.id)
		}
		raw := []byte(`{"platform":"facebook","id":"` + bp.id + `","text":"` + bp.text + `"}`)
		p := event.Post{Platform: "facebook", ID: bp.id, Author: author, Text: bp.text, Lang: "my", CreatedAt: at,
			URL:        "https://facebook.example.com/" + author.Handle + "/posts/" + bp.id,
			CapturedAt: at.Add(9 * time.Minute), Source: "demo-facebook", Raw: raw, RawSHA256: event.SHA256Hex(raw)}
		flagID := int64(201 + i)
		var trail []event.ReviewStep
		for j, r := range bp.reviewers {
			level, decision := "pending", "confirm"
			if j < len(bp.reviewers)-1 {
				decision = "escalate"
			} else if j > 0 {
				level = "escalated"
			}
			trail = append(trail, event.ReviewStep{FlagID: flagID, Level: level, Decision: decision, Reviewer: r,
				DecidedAt: at.Add(time.Duration(j+2) * time.Hour), Translation: bp.translation})
		}
		last := trail[len(trail)-1]
		f := event.Flag{ID: flagID, Platform: "facebook", PostID: bp.id, AuthorID: author.ID, Handle: author.Handle,
			Score: 3, Categories: []string{bp.category},
			Matches: []event.Match{{TermID: "t" + bp.category[:3], Category: bp.category, Start: start, End: start + len(bp.term)}},
			Lexicon: "example@2026-11-26", Pipeline: "vigil 0.9.0", Status: "confirmed", CreatedAt: p.CapturedAt.Add(time.Second),
			PostCreatedAt: at,
			Decision: &event.Decision{FlagID: flagID, Decision: last.Decision, Reviewer: last.Reviewer, DecidedAt: last.DecidedAt,
				Translation: bp.translation, Note: "confirmed with " + decoyRealName + " by phone; api token " + decoyToken}}
		set.Posts = append(set.Posts, event.EvidencePost{Post: p, RawSHA256: p.RawSHA256, StoredAt: p.CapturedAt.Add(2 * time.Second),
			Flag: f, Trail: trail})
	}
	return set
}

// TestReportInBrowser renders a report of Burmese posts, opens it in
// Chromium from 127.0.0.1 and checks what a platform's reviewer gets: the
// Burmese drawn with a Myanmar font on screen and kept as text in the
// printed PDF, with the font embedded; no request to anyone; no reviewer
// name or token.
func TestReportInBrowser(t *testing.T) {
	var report bytes.Buffer
	err := evidence.RenderReport(&report, burmeseSet(t), evidence.ReportOptions{
		Profile:   "meta",
		PackID:    "0f3c9a7e5b2d4c1e8a6f0b3d5e7c9a1b",
		CreatedAt: time.Date(2026, 11, 20, 10, 5, 0, 0, time.UTC),
		Notifier:  evidence.Notifier{Name: "Example Advocacy Desk", Email: "desk@advocacy.example", Organisation: "Example Rights Group"},
		KeyID:     "ed25519:demo-key-1",
	})
	if err != nil {
		t.Fatalf("RenderReport: %v", err)
	}
	// (e) Neither the decoy real name nor the token is in the report as
	// written, nor in the page as the browser built it (below).
	for _, secret := range []string{decoyRealName, decoyToken} {
		if bytes.Contains(report.Bytes(), []byte(secret)) {
			t.Errorf("report.html contains %q", secret)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/report.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(report.Bytes())
	}))
	defer srv.Close()

	b := browsertest.New(t)
	b.Navigate(srv.URL + "/report.html")
	html := b.HTML()
	for _, secret := range []string{decoyRealName, decoyToken} {
		if strings.Contains(html, secret) {
			t.Errorf("the report page contains %q", secret)
		}
	}
	for _, pseudonym := range []string{"monitor-5e1d", "lead-c7a0"} {
		if !strings.Contains(html, pseudonym) {
			t.Errorf("the report page does not name reviewer %s", pseudonym)
		}
	}

	// (b) Each post's Burmese text, and the matched term in it, is drawn
	// with a Myanmar font, every character with a real glyph.
	n := len(browsertest.Get(b, chromedp.QueryNodeIDs(chromedp.CSSAll(`.text[lang="my"]`))))
	if n != len(burmesePosts) {
		t.Fatalf("%d Burmese post texts on the page, want %d", n, len(burmesePosts))
	}
	for i := range burmesePosts {
		post := `#post-` + string(rune('1'+i)) + ` .text[lang="my"]`
		b.CheckFont(post, unicode.Myanmar, "Myanmar")
		b.CheckFont(post+` mark`, unicode.Myanmar, "Myanmar")
	}

	// (a) Printed to PDF, the Burmese survives as text and its font is
	// embedded.
	pdf := browsertest.Get(b, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
	b.Keep("report.pdf", pdf)
	text := browsertest.PDFText(t, pdf)
	// Chromium's text layer keeps Myanmar in logical order (the order it
	// is typed and stored in: ေ after its consonant, not before it as it
	// is drawn), so no reordering needs undoing. What pdftotext does not
	// give back is the spacing: it puts a space where glyphs leave a gap
	// ("သူတို့က" comes out as "သူတို့ က": the dot below ends a wide
	// syllable) and a line break where a long line wrapped, inside a word
	// for Burmese, which has no spaces between words. So both sides are
	// compared without any white space.
	flat := strings.Join(strings.Fields(text), "")
	for _, bp := range burmesePosts {
		if !strings.Contains(flat, strings.Join(strings.Fields(bp.text), "")) {
			t.Errorf("the PDF's text lacks post %s's Burmese %q", bp.id, bp.text)
		}
		if !strings.Contains(text, bp.translation) {
			t.Errorf("the PDF's text lacks the translation %q", bp.translation)
		}
	}
	var embedded bool
	var fonts []string
	for _, f := range browsertest.PDFFonts(t, pdf) {
		fonts = append(fonts, f.Name)
		if strings.Contains(f.Name, "NotoSansMyanmar") && f.Embedded {
			embedded = true
		}
	}
	if !embedded {
		t.Errorf("no embedded Noto Sans Myanmar in the PDF; its fonts: %s", strings.Join(fonts, ", "))
	}
	if t.Failed() {
		t.Logf("the PDF's text:\n%s", text)
	}

	// (c) A screenshot, kept for people to look at.
	png, err := os.ReadFile(b.Screenshot("report"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("the screenshot is not a PNG: %v", err)
	}

	// (d) No request left 127.0.0.1 (browsertest also fails the test on
	// one when it ends, and on console errors such as a CSP violation).
	if ext := b.ExternalRequests(); len(ext) > 0 {
		t.Errorf("the report made requests to other hosts: %q", ext)
	}
}
