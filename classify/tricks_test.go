package classify

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/brands"
	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// trickTests is the classifier's table of tricks: synthetic posts (none is
// a real person's), each named after the trick it plays or the mistake it
// tempts, judged against testdata/tricks (a lexicon of English stand-ins
// and Burmese terms, with rules, account, domain and brand lists). span is
// the text of the post a match must point at; categories and lists, when
// given, are the verdict's.
var trickTests = []trickTest{

	// Compatibility characters (NFKC).
	{trick: "latin, fullwidth", text: "they are ｖｅｒｍｉｎ", matches: []trickMatch{{"vermin", "ｖｅｒｍｉｎ", []string{"nfkc"}}}},
	{trick: "latin, fullwidth upper case", text: "ＶＥＲＭＩＮ!", matches: []trickMatch{{"vermin", "ＶＥＲＭＩＮ", []string{"nfkc", "casefold"}}}},
	{trick: "latin, math bold", text: "such 𝐯𝐞𝐫𝐦𝐢𝐧.", matches: []trickMatch{{"vermin", "𝐯𝐞𝐫𝐦𝐢𝐧", []string{"nfkc"}}}},
	{trick: "latin, math double-struck", text: "𝕧𝕖𝕣𝕞𝕚𝕟 all", matches: []trickMatch{{"vermin", "𝕧𝕖𝕣𝕞𝕚𝕟", []string{"nfkc"}}}},
	{trick: "latin, ligature", text: "every inﬁdel", matches: []trickMatch{{"infidel", "inﬁdel", []string{"nfkc"}}}},
	// Accents.
	{trick: "latin, accents, precomposed", text: "vérmín", matches: []trickMatch{{"vermin", "vérmín", []string{"accents"}}}},
	{trick: "latin, accents, combining", text: "ve\u0301rmi\u0301n here", matches: []trickMatch{{"vermin", "ve\u0301rmi\u0301n", []string{"accents"}}}},
	{trick: "latin, accent after the last letter belongs to the match", text: "kil\u0300l\u0301 them", matches: []trickMatch{{"kill", "kil\u0300l\u0301", []string{"accents"}}}},
	{trick: "latin, zalgo marks", text: "k\u0337\u031bi\u0335l\u0338l\u0336 now", matches: []trickMatch{{"kill", "k\u0337\u031bi\u0335l\u0338l\u0336", []string{"accents"}}}},
	// Look-alikes.
	{trick: "latin, Cyrillic look-alikes", text: "v\u0435rm\u0456n", matches: []trickMatch{{"vermin", "v\u0435rm\u0456n", []string{"confusable"}}}},
	{trick: "latin, Cyrillic capital look-alike", text: "V\u0415RMIN", matches: []trickMatch{{"vermin", "V\u0415RMIN", []string{"casefold", "confusable"}}}},
	{trick: "latin, Cyrillic o between Latin letters", text: "a c\u043ep", matches: []trickMatch{{"cop", "c\u043ep", []string{"confusable"}}}},
	{trick: "latin, Greek look-alikes", text: "\u03bdermin and r\u03b1t", matches: []trickMatch{
		{"vermin", "\u03bdermin", []string{"confusable"}}, {"rat", "r\u03b1t", []string{"confusable"}}}},
	// Leetspeak.
	{trick: "latin, leet digits", text: "v3rm1n", matches: []trickMatch{{"vermin", "v3rm1n", []string{"leet"}}}},
	{trick: "latin, leet one for i", text: "k1ll them", matches: []trickMatch{{"kill", "k1ll", []string{"leet"}}}},
	{trick: "latin, leet at sign inside", text: "r@t", matches: []trickMatch{{"rat", "r@t", []string{"leet"}}}},
	{trick: "latin, leet dollars at the end", text: "what an a$$", matches: []trickMatch{{"ass", "a$$", []string{"leet"}}}},
	{trick: "latin, leet exclamation mark inside", text: "exterm!nate", matches: []trickMatch{{"exterminate", "exterm!nate", []string{"leet"}}}},
	{trick: "latin, leet four and five", text: "4ss", matches: []trickMatch{{"ass", "4ss", []string{"leet"}}}},
	{trick: "latin, trailing exclamation mark is punctuation", text: "vermin!!", matches: []trickMatch{{"vermin", "vermin", nil}}},
	{trick: "latin, mention sign is not a letter", text: "@vermin", matches: []trickMatch{{"vermin", "vermin", nil}}},
	// Repeated letters.
	{trick: "latin, repeated letter", text: "veeeermin", matches: []trickMatch{{"vermin", "veeeermin", []string{"repeat"}}}},
	{trick: "latin, repeated letter next to a double one", text: "kiiiill", matches: []trickMatch{{"kill", "kiiiill", []string{"repeat"}}}},
	{trick: "latin, repeated, upper case", text: "VEEERMIIIN", matches: []trickMatch{{"vermin", "VEEERMIIIN", []string{"casefold", "repeat"}}}},
	// Letters written apart.
	{trick: "latin, spaced", text: "the v e r m i n are here", matches: []trickMatch{{"vermin", "v e r m i n", []string{"spaced"}}}},
	{trick: "latin, dotted", text: "v.e.r.m.i.n.", matches: []trickMatch{{"vermin", "v.e.r.m.i.n", []string{"spaced"}}}},
	{trick: "latin, hyphenated", text: "k-i-l-l them", matches: []trickMatch{{"kill", "k-i-l-l", []string{"spaced"}}}},
	{trick: "latin, underscored", text: "r_a_t", matches: []trickMatch{{"rat", "r_a_t", []string{"spaced"}}}},
	{trick: "latin, spaced with a leet digit", text: "k 1 l l them", matches: []trickMatch{{"kill", "k 1 l l", []string{"leet", "spaced"}}}},
	// Several tricks at once.
	{trick: "latin, mixed: leet and repeat", text: "v333rm1n", matches: []trickMatch{{"vermin", "v333rm1n", []string{"leet", "repeat"}}}},
	{trick: "latin, mixed: math bold and accent", text: "𝐯é𝐫𝐦𝐢𝐧", matches: []trickMatch{{"vermin", "𝐯é𝐫𝐦𝐢𝐧", []string{"nfkc", "accents"}}}},
	{trick: "latin, mixed: Cyrillic capital, leet", text: "\u041a1LL", matches: []trickMatch{{"kill", "\u041a1LL", []string{"casefold", "confusable", "leet"}}}},
	{trick: "latin, mixed: fullwidth, repeat", text: "ＫＩＩＩＩＬＬ", matches: []trickMatch{{"kill", "ＫＩＩＩＩＬＬ", []string{"nfkc", "casefold", "repeat"}}}},
	{trick: "latin, mixed: invisible and Cyrillic", text: "v\u200B\u0435rmin", matches: []trickMatch{{"vermin", "v\u200B\u0435rmin", []string{"invisible", "confusable"}}}},
	{trick: "latin, mixed: fullwidth spaced", text: "ｖ ｅ ｒ ｍ ｉ ｎ", matches: []trickMatch{{"vermin", "ｖ ｅ ｒ ｍ ｉ ｎ", []string{"nfkc", "spaced"}}}},
	{trick: "latin, mixed: two words, leet in both", text: "r@t p3ople", matches: []trickMatch{
		{"rat", "r@t", []string{"leet"}}, {"rat-people", "r@t p3ople", []string{"leet"}}}},
	// Near-misses.
	{trick: "latin, near-miss: separate is not rat", text: "separate the rations"},
	{trick: "latin, near-miss: skill is not kill", text: "a skill to learn"},
	{trick: "latin, near-miss: exterminator is not exterminate", text: "call the exterminator"},
	{trick: "latin, near-miss: classic is not ass", text: "a classic glass, assorted"},
	{trick: "latin, near-miss: as is not ass (double letters kept)", text: "as good as new"},
	{trick: "latin, near-miss: Russian stays Russian", text: "Не выносите сор из избы"},
	{trick: "latin, near-miss: Greek stays Greek", text: "ο ρατ ο νους"},
	{trick: "latin, near-miss: a number is not leet", text: "455 and 1337"},
	{trick: "latin, near-miss: spaced letters of a longer word", text: "k i l l e r"},
	{trick: "latin, near-miss: two single letters are not spaced", text: "r a-te"},
	{trick: "latin, near-miss: digits between two letters are not spaced letters", text: "c 0 9 p"},
	// Burmese, written to slip past a filter.
	{trick: "burmese, zero-width space between syllables", text: "ကု\u200Bလား", matches: []trickMatch{{"kalar", "ကု\u200Bလား", []string{"invisible"}}}},
	{trick: "burmese, zero-width non-joiner inside a syllable", text: "ပိုး\u200Cမွှား", matches: []trickMatch{{"vermin-my", "ပိုး\u200Cမွှား", []string{"invisible"}}}},
	{trick: "burmese, syllables spaced apart", text: "ဒီ ကု လား တွေ", matches: []trickMatch{{"kalar", "ကု လား", nil}}},
	{trick: "burmese, medials typed out of order", text: "ပိုးမှွား", matches: []trickMatch{{"vermin-my", "ပိုးမှွား", []string{"myanmar-order"}}}},
	{trick: "burmese, digit zero for the letter wa", text: "၀က်တွေ", matches: []trickMatch{{"pig-my", "၀က်တွေ", []string{"myanmar-order"}}}},
	{trick: "burmese, digit seven for the letter ra", text: "၇ွာ ကို သွား", matches: []trickMatch{{"village-my", "၇ွာ", []string{"myanmar-order"}}}},
	{trick: "burmese, term against Latin letters", text: "abcကုလားdef", matches: []trickMatch{{"kalar", "ကုလား", nil}}},
	{trick: "burmese, term inside a run without spaces", text: "ဒီကုလားတွေ", matches: []trickMatch{{"kalar", "ကုလား", nil}}},
	// Zawgyi.
	// A match in converted text is reported as the whole phrase it was
	// converted from (between spaces): conversion moves letters around.
	{trick: "zawgyi, a call to expel a group", text: zgExpel, categories: []string{"incitement", "violence_call"}, matches: []trickMatch{
		{"minority-my", "လူနည္းစုေတြကို", []string{"zawgyi"}}, {"village-my", "ဒီ႐ြာက", []string{"zawgyi"}}, {"expel-my", "ေမာင္းထုတ္ရမယ္။", []string{"zawgyi"}},
	}},
	{trick: "zawgyi, dehumanisation and arson", text: zgVermin, categories: []string{"dehumanisation", "violence_call"}, matches: []trickMatch{
		{"vermin-my", "ဒီပိုးမႊားေတြရဲ႕", []string{"zawgyi"}}, {"burn-my", "မီးရႈိ႕ပစ္ၾက။", []string{"zawgyi"}},
	}},
	{trick: "zawgyi, the harmless compound chair", text: zgChair},
	// Harmless compounds and near-misses in Burmese.
	{trick: "near-miss: ကုလားထိုင် (chair) is not the slur", text: "ကုလားထိုင်ပေါ်မှာ ထိုင်ပါ"},
	{trick: "near-miss: ကုလားပဲ (chickpea) is not the slur", text: "ကုလားပဲ ဟင်း ချက်မယ်"},
	{trick: "near-miss: chair written with its syllables apart is still a chair", text: "ကုလား ထိုင် အသစ်"},
	{trick: "near-miss: the compound excepts only its own match", text: "ကုလားထိုင် ကုလား", matches: []trickMatch{{"kalar", "ကုလား", nil}}},
	{trick: "near-miss: term ending inside a syllable (killed consonant)", text: "ကုလားန် ပါ"},
	{trick: "near-miss: term starting on a stacked consonant", text: "သတ္ကုလား"},
	{trick: "near-miss: သတ္တဝါ (creature) is not သတ် (kill)", text: "သတ္တဝါ အားလုံး"},
	{trick: "near-miss: သတ်မှတ် (to set) is not သတ် (kill)", text: "စည်းကမ်း သတ်မှတ်ချက်"},
	// Rules.
	{trick: "rule: a call to violence near a target group", text: "burn them? kill them all, the northfolk", categories: []string{"incitement", "violence_call"},
		matches: []trickMatch{{"kill", "kill", nil}, {"northfolk", "northfolk", nil}}},
	{trick: "rule: too far apart to fire", text: "kill time, they said, at the market, all day long, and then the northfolk came home",
		categories: []string{"violence_call"}, matches: []trickMatch{{"kill", "kill", nil}, {"northfolk", "northfolk", nil}}},
	{trick: "rule: counted in Burmese syllables", text: "လူနည်းစုတွေကို ရွာက မောင်းထုတ်", categories: []string{"incitement", "violence_call"},
		matches: []trickMatch{{"minority-my", "လူနည်းစု", nil}, {"village-my", "ရွာ", nil}, {"expel-my", "မောင်းထုတ်", nil}}},
	{trick: "rule: more than eight syllables apart does not fire", text: "လူနည်းစု အကြောင်း ပြောကြတဲ့ အစည်းအဝေး ပြီးမှ မောင်းထုတ်",
		categories: []string{"violence_call"}, matches: []trickMatch{{"minority-my", "လူနည်းစု", nil}, {"expel-my", "မောင်းထုတ်", nil}}},
	{trick: "rule: across scripts", text: "northfolk ကို သတ်", categories: []string{"incitement", "violence_call"},
		matches: []trickMatch{{"northfolk", "northfolk", nil}, {"kill-my", "သတ်", nil}}},
	{trick: "rule: a target group alone only tags", text: "the northfolk market opens", matches: []trickMatch{{"northfolk", "northfolk", nil}}},
	// Lists.
	{trick: "list: author on an account list, harmless text", author: "900", text: "a quiet morning", lists: []string{"military_figures"}},
	{trick: "list: author on two lists", author: "901", text: "new flavour", lists: []string{"military_brands", "proxy_network"}},
	{trick: "list: another platform's account of the same id is not listed", platform: "mastodon", author: "900", text: "a quiet morning"},
	// Domains.
	{trick: "domain: link to a listed site", text: "read https://disinfo-news.example/today", categories: []string{"disinformation"},
		matches: []trickMatch{{"domain:disinfo-news.example", "disinfo-news.example", nil}}},
	{trick: "domain: upper-case subdomain of a listed site", text: "see HTTP://Live.State-Media.example/x", categories: []string{"disinformation"},
		matches: []trickMatch{{"domain:state-media.example", "Live.State-Media.example", nil}}},
	{trick: "domain: bare domain glued to Burmese", text: "ဒီမှာ state-media.example/news ဖတ်ပါ", categories: []string{"disinformation"},
		matches: []trickMatch{{"domain:state-media.example", "state-media.example", nil}}},
	{trick: "near-miss: a domain that only ends like a listed one", text: "https://notstate-media.example/"},
	{trick: "domain: a listed site behind a shortened link (the post's links)", text: "must read https://t.co/Ab12Cd", links: []string{"https://www.disinfo-news.example/2026/story"},
		categories: []string{"disinformation"}, matches: []trickMatch{{"domain:disinfo-news.example", "links[0]:www.disinfo-news.example", nil}}},
	{trick: "domain: a listed site in the text and again in the links counts once", text: "read https://disinfo-news.example/today", links: []string{"https://disinfo-news.example/today"},
		categories: []string{"disinformation"}, matches: []trickMatch{{"domain:disinfo-news.example", "disinfo-news.example", nil}}},
	// Brands.
	{trick: "brand: named in a post", text: "Cold Golden Tiger Beer for sale", categories: []string{"military_business"},
		matches: []trickMatch{{"brand:Golden Tiger Beer", "Golden Tiger Beer", []string{"casefold"}}}},
	{trick: "brand: upper case and leet", text: "G0LDEN TIGER BEER!", categories: []string{"military_business"},
		matches: []trickMatch{{"brand:Golden Tiger Beer", "G0LDEN TIGER BEER", []string{"casefold", "leet"}}}},
	{trick: "brand: in Burmese", text: "ရွှေကျားဘီယာ ဈေးချို", categories: []string{"military_business"},
		matches: []trickMatch{{"brand:ရွှေကျားဘီယာ", "ရွှေကျားဘီယာ", nil}}},
	{trick: "near-miss: part of a brand name", text: "a golden tiger at the zoo"},
}

type trickTest struct {
	trick            string
	platform, author string   // default x, 1
	links            []string // the post's links beside its text
	text             string
	matches          []trickMatch
	// categories and lists, when given, are the verdict's exactly; when
	// nil, the categories are those of the flagging matches.
	categories, lists []string
}

type trickMatch struct {
	term       string
	span       string
	transforms []string
}

func trickClassifier(tb testing.TB) *Classifier {
	tb.Helper()
	dir := os.DirFS("testdata/tricks")
	lists, err := accounts.Load(dir, "accounts.csv")
	if err != nil {
		tb.Fatal(err)
	}
	doms, err := domains.Load(dir, "domains.csv")
	if err != nil {
		tb.Fatal(err)
	}
	brs, err := brands.Load(dir, "brands.csv")
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile("testdata/tricks/tricks.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	lex, err := lexicon.Parse("tricks.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{lex}, lists, Options{Domains: doms, Brands: brs})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestTricks(t *testing.T) {
	if len(trickTests) < 60 {
		t.Errorf("the table has %d cases; the issue asks for 60 at least", len(trickTests))
	}
	c := trickClassifier(t)
	for _, tt := range trickTests {
		t.Run(tt.trick, func(t *testing.T) {
			p := testPost(cmpOr(tt.author, "1"), tt.text)
			p.Platform = cmpOr(tt.platform, "x")
			p.Links = tt.links
			v := c.Classify(p)
			checkVerdict(t, p, v)
			var got []trickMatch
			for _, m := range v.Matches {
				if m.Rule != "" && slices.ContainsFunc(v.Matches, func(o event.Match) bool {
					return o.Rule == "" && o.TermID == m.TermID && o.Start == m.Start
				}) {
					continue // the same match, once more for a second rule
				}
				span := tt.text
				if m.Field != "" {
					var k int
					fmt.Sscanf(m.Field, "links[%d]", &k)
					span = m.Field + ":" + tt.links[k][m.Start:m.End]
				} else {
					span = span[m.Start:m.End]
				}
				got = append(got, trickMatch{m.TermID, span, m.Transforms})
			}
			if !slices.EqualFunc(got, tt.matches, func(a, b trickMatch) bool {
				return a.term == b.term && a.span == b.span && slices.Equal(a.transforms, b.transforms)
			}) {
				t.Errorf("matches = %+q, want %+q", got, tt.matches)
			}
			var lists []string
			for _, l := range v.Lists {
				lists = append(lists, l.List)
			}
			if !slices.Equal(lists, tt.lists) {
				t.Errorf("lists = %q, want %q", lists, tt.lists)
			}
			want := tt.categories
			if want == nil {
				for _, m := range tt.matches {
					if cat := c.categoryOf(m.term); cat != "" && !c.categories[cat].context && !slices.Contains(want, cat) {
						want = append(want, cat)
					}
				}
				slices.Sort(want)
			}
			if !slices.Equal(v.Categories, want) {
				t.Errorf("categories = %q, want %q", v.Categories, want)
			}
			if v.Flagged != (len(want) > 0 || len(tt.lists) > 0) {
				t.Errorf("flagged = %v with categories %q and lists %q", v.Flagged, want, tt.lists)
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// categoryOf returns the category of a term id (or list match id) in the
// tricks classifier.
func (c *Classifier) categoryOf(termID string) string {
	for _, ts := range c.table.terms {
		for _, t := range ts {
			if t.id == termID {
				return t.category
			}
		}
	}
	if strings.HasPrefix(termID, DomainTermID) {
		return "disinformation"
	}
	return ""
}
