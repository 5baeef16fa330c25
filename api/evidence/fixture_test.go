package evidence

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/event"
)

// realName is a reviewer's real name, kept where the store keeps such
// things (a decision's note): it must appear in no file of a pack.
const realName = "Daw Thiri Realname-Example"

// otherCaseTitle is the title of another case that holds an account: the
// team's own work, which accounts.json must not show.
const otherCaseTitle = "Internal: informant network Kappa"

// demoPost builds one synthetic post with its raw payload (the JSON line
// as imported) and the matches of terms, found by their text.
type demoPost struct {
	account    event.Author
	id, lang   string
	text       string
	at         time.Time
	terms      []demoTerm
	categories []string
	tags       []string
	groups     []string
	regions    []string
	places     []string
	lists      []event.ListHit
	raw        []byte // nil: the post's JSON line
	trail      []event.ReviewStep
	status     string
}

type demoTerm struct {
	id, category, text, rule string
	field                    string
	transforms               []string
}

var (
	demoRumour = event.Author{ID: "4400000777", Handle: "demo_rumour_mill", Name: "Demo Rumour Mill"}
	demoDoxer  = event.Author{ID: "4400000778", Handle: "demo_doxer_2", Name: "Demo Doxer Two"}
)

func demoPosts() []demoPost {
	t0 := time.Date(2026, 9, 3, 8, 15, 0, 0, time.UTC)
	step := func(flag int64, level, decision, reviewer string, at time.Time, tr string) event.ReviewStep {
		return event.ReviewStep{FlagID: flag, Level: level, Decision: decision, Reviewer: reviewer, DecidedAt: at, Translation: tr}
	}
	return []demoPost{
		{
			account: demoRumour, id: "1999000000000000901", lang: "my", at: t0,
			text: "ဘင်္ဂါလီတွေကို သတ်ပစ်ရမယ်။ သူတို့က ပိုးမွှားတွေ။",
			terms: []demoTerm{
				{id: "t43", category: "target_group", text: "ဘင်္ဂါလီ", rule: "r1"},
				{id: "t10", category: "violence_call", text: "သတ်ပစ်", rule: "r1"},
				{id: "t07", category: "dehumanisation", text: "ပိုးမွှား", transforms: []string{"zawgyi"}},
			},
			categories: []string{"dehumanisation", "violence_call"}, tags: []string{"target_group"},
			trail:  []event.ReviewStep{step(101, "pending", "confirm", "monitor-3f9c", t0.Add(5*time.Hour), "The Bengalis must be killed. They are vermin.")},
			status: "confirmed",
		},
		{
			account: demoRumour, id: "1999000000000000902", lang: "en", at: t0.Add(24 * time.Hour),
			text: "They are vermin. Drive them out of Example Town before they take our land.",
			terms: []demoTerm{
				{id: "t01", category: "dehumanisation", text: "vermin"},
				{id: "t13", category: "violence_call", text: "Drive them out"},
				{id: "t21", category: "threat_to_group", text: "take our land"},
				{id: "t22", category: "threat_to_group", text: "our land"}, // overlaps t21
				{id: "t60", category: "place", text: "Example Town"},
			},
			categories: []string{"dehumanisation", "threat_to_group", "violence_call"}, tags: []string{"place"},
			groups: []string{"minority"}, regions: []string{"example_region", "other_region"}, places: []string{"example_town"},
			trail: []event.ReviewStep{
				step(102, "pending", "escalate", "monitor-3f9c", t0.Add(26*time.Hour), ""),
				step(102, "escalated", "confirm", "lead-a1b2", t0.Add(30*time.Hour), ""),
			},
			status: "confirmed",
		},
		{
			account: demoRumour, id: "1999000000000000903", lang: "en", at: t0.Add(40 * 24 * time.Hour),
			text: "=HYPERLINK(\"https://disinfo-news.example/x\",\"They are arming in the camps\") <script>alert(1)</script>",
			terms: []demoTerm{
				{id: "d01", category: "disinformation", field: "links[0]"},
				{id: "t31", category: "accusation_in_mirror", text: "They are arming"},
			},
			categories: []string{"accusation_in_mirror", "disinformation"},
			trail:      []event.ReviewStep{step(103, "pending", "confirm", "monitor-77aa", t0.Add(41*24*time.Hour), "")},
			status:     "confirmed",
		},
		{
			account: demoDoxer, id: "1999000000000000904", lang: "en", at: t0.Add(3 * time.Hour),
			text:       "The journalist from Example News lives at 12 Sample Street, Example Town. Pay her a visit.",
			terms:      []demoTerm{{id: "t51", category: "doxing", text: "lives at 12 Sample Street"}, {id: "t45", category: "target_group", text: "journalist"}},
			lists:      []event.ListHit{{List: "doxing_channels", Note: "illustrative entry", Source: "synthetic"}},
			categories: []string{"doxing", "threat"}, tags: []string{"target_group"},
			trail: []event.ReviewStep{
				step(104, "pending", "escalate", "monitor-77aa", t0.Add(4*time.Hour), ""),
				step(104, "escalated", "confirm", "lead-a1b2", t0.Add(6*time.Hour), ""),
			},
			status: "confirmed",
		},
		{
			account: demoDoxer, id: "c1001234567890:905+é", lang: "my", at: t0.Add(50 * time.Hour),
			text:       "သတင်းထောက် ရဲ့ အိမ်လိပ်စာ ဒီမှာ",
			terms:      []demoTerm{{id: "t46", category: "target_group", text: "သတင်းထောက်"}, {id: "t52", category: "doxing", text: "အိမ်လိပ်စာ"}},
			categories: []string{"doxing"},
			raw:        []byte("<!DOCTYPE html>\n<html><body><div class=\"tgme_widget_message_text\">သတင်းထောက် ရဲ့ အိမ်လိပ်စာ ဒီမှာ</div></body></html>\n"),
			trail:      []event.ReviewStep{step(105, "pending", "escalate", "monitor-3f9c", t0.Add(51*time.Hour), "The journalist's home address is here")},
			status:     "escalated",
		},
	}
}

// demoSet is a case pack of two synthetic X accounts: Burmese and English
// posts, overlapping matches, a link match, an account list hit, a
// spreadsheet formula and an HTML payload.
func demoSet(tb testing.TB) *event.EvidenceSet {
	tb.Helper()
	set := &event.EvidenceSet{
		Subject:    "case:7",
		Case:       &event.Case{ID: 7, Title: "Demo network: rumour mill", Status: "open", CreatedBy: "advocate-9d0e"},
		GatheredAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
	}
	for _, a := range []event.Author{demoRumour, demoDoxer} {
		set.Accounts = append(set.Accounts, event.AccountView{
			Account: event.Account{Platform: "x", ID: a.ID, Handle: a.Handle, Name: a.Name, Handles: []string{a.Handle + "_old", a.Handle},
				PostCount: 40, FlagCount: 3, Categories: map[string]int{"dehumanisation": 2, "violence_call": 1},
				FirstSeen: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
			HandleHistory: []event.HandleSeen{
				{Handle: a.Handle + "_old", FirstSeen: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)},
				{Handle: a.Handle, FirstSeen: time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC), LastSeen: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
			},
			FlagsByStatus: map[string]int{"pending": 0, "claimed": 0, "confirmed": 3, "dismissed": 0, "escalated": 0},
			Cases:         []event.CaseRef{{ID: 7, Title: "Demo network: rumour mill", Status: "open"}, {ID: 3, Title: otherCaseTitle, Status: "open"}},
		})
	}
	for i, d := range demoPosts() {
		set.Posts = append(set.Posts, buildPost(tb, int64(101+i), d))
	}
	return set
}

// demoAccountSet is the pack of one account: demo_rumour_mill.
func demoAccountSet(tb testing.TB) *event.EvidenceSet {
	tb.Helper()
	set := demoSet(tb)
	set.Subject, set.Case = "account:x:"+demoRumour.ID, nil
	set.Accounts = set.Accounts[:1]
	var posts []event.EvidencePost
	for _, p := range set.Posts {
		if p.Post.Author.ID == demoRumour.ID {
			posts = append(posts, p)
		}
	}
	set.Posts = posts
	return set
}

func buildPost(tb testing.TB, flagID int64, d demoPost) event.EvidencePost {
	tb.Helper()
	p := event.Post{
		Platform: "x", ID: d.id, Author: d.account, Text: d.text, CreatedAt: d.at, Lang: d.lang,
		URL:        "https://x.example.com/" + d.account.Handle + "/status/" + d.id,
		CapturedAt: d.at.Add(7 * time.Minute), Source: "demo-x",
	}
	if strings.Contains(d.text, "disinfo-news") {
		p.Links = []string{"https://disinfo-news.example/x"}
	}
	raw := d.raw
	if raw == nil {
		var err error
		raw, err = json.Marshal(map[string]any{"platform": p.Platform, "id": p.ID, "author": p.Author, "text": p.Text,
			"created_at": p.CreatedAt, "url": p.URL, "lang": p.Lang, "extra": map[string]int{"likes": 12}})
		if err != nil {
			tb.Fatal(err)
		}
	}
	p.Raw, p.RawSHA256 = raw, event.SHA256Hex(raw)
	var ms []event.Match
	for _, t := range d.terms {
		m := event.Match{TermID: t.id, Category: t.category, Rule: t.rule, Transforms: t.transforms, Field: t.field}
		if t.field == "" {
			i := strings.Index(d.text, t.text)
			if i < 0 {
				tb.Fatalf("post %s: term %q not in its text", d.id, t.text)
			}
			m.Start, m.End = i, i+len(t.text)
		} else {
			m.Start, m.End = 8, 26
		}
		ms = append(ms, m)
	}
	f := event.Flag{
		ID: flagID, Platform: "x", PostID: d.id, AuthorID: d.account.ID, Handle: d.account.Handle,
		Score: float64(3 * len(d.categories)), Categories: d.categories, Tags: d.tags, Matches: ms, Lists: d.lists,
		Groups: d.groups, Regions: d.regions, Places: d.places,
		Lexicon: "example@2026-11-26", Pipeline: "vigil 0.9.0", Status: d.status, CreatedAt: p.CapturedAt.Add(time.Second),
		PostCreatedAt: d.at, ClaimedBy: "monitor-3f9c",
	}
	for i := range d.trail {
		d.trail[i].FlagID = flagID
	}
	if n := len(d.trail); n > 0 {
		last := d.trail[n-1]
		f.Decision = &event.Decision{FlagID: flagID, Decision: last.Decision, Reviewer: last.Reviewer, DecidedAt: last.DecidedAt,
			Translation: last.Translation, Note: "checked with " + realName + " by phone"}
	}
	return event.EvidencePost{Post: p, RawSHA256: p.RawSHA256, StoredAt: p.CapturedAt.Add(2 * time.Second),
		LexiconHash: "sha256:" + strings.Repeat("ab", 32), Flag: f, Trail: d.trail}
}
