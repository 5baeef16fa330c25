package classify

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

const linksLexicon = `name: links
version: "1"
categories:
  - {id: disinformation, label: Known disinformation, severity: 2}
  - {id: military_business, label: Military-owned business, severity: 1}
  - {id: place, label: Place, context: true}
terms:
  - {id: fraud, term: election fraud, category: disinformation, lang: en}
`

const linksDomains = `domain,list,category,note,source
disinfo-news.example,disinformation_sites,disinformation,,
www.state-media.example,state_media,disinformation,,
state-media.example,mirrors,disinformation,,
example.org,test_list,disinformation,,
brand.example,military_business,military_business,,
map.example,places,place,,
`

func TestClassifyDomains(t *testing.T) {
	c := newLinksClassifier(t, linksDomains)
	type match struct{ termID, category, span string }
	tests := []struct {
		name       string
		text       string
		flagged    bool
		score      float64
		categories []string
		tags       []string
		matches    []match
	}{
		{name: "link to a listed domain", text: "read https://disinfo-news.example/story now",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{{"domain:disinfo-news.example", "disinformation", "disinfo-news.example"}}},
		{name: "subdomain, upper case, www", text: "HTTPS://WWW.Live.Disinfo-News.EXAMPLE/a?b=1",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{{"domain:disinfo-news.example", "disinformation", "WWW.Live.Disinfo-News.EXAMPLE"}}},
		{name: "bare domain", text: "see example.org/path.",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{{"domain:example.org", "disinformation", "example.org"}}},
		{name: "port and trailing punctuation", text: "(see https://news.example.org:8443/a).",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{{"domain:example.org", "disinformation", "news.example.org"}}},
		{name: "Burmese around the link", text: "ဒီသတင်းhttps://state-media.example/aကိုဖတ်ပါ",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{{"domain:state-media.example", "disinformation", "state-media.example"}}},
		{name: "two categories", text: "https://brand.example/beer and https://state-media.example/",
			flagged: true, score: 3, categories: []string{"disinformation", "military_business"},
			matches: []match{
				{"domain:brand.example", "military_business", "brand.example"},
				{"domain:state-media.example", "disinformation", "state-media.example"},
			}},
		{name: "a term and a link of one category count once", text: "election fraud: disinfo-news.example/x",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{
				{"fraud", "disinformation", "election fraud"},
				{"domain:disinfo-news.example", "disinformation", "disinfo-news.example"},
			}},
		{name: "the same link twice", text: "example.org and https://example.org/",
			flagged: true, score: 2, categories: []string{"disinformation"},
			matches: []match{
				{"domain:example.org", "disinformation", "example.org"},
				{"domain:example.org", "disinformation", "example.org"},
			}},
		{name: "context category only tags", text: "https://map.example/yangon", tags: []string{"place"},
			matches: []match{{"domain:map.example", "place", "map.example"}}},
		{name: "unlisted domain", text: "https://weather.example.net/today"},
		{name: "suffix not at a label boundary", text: "https://notexample.org/ and badexample.org/x"},
		{name: "listed name inside another domain", text: "https://example.org.mirror.example.net/"},
		{name: "e-mail address", text: "write to desk@disinfo-news.example"},
		{name: "listed name in a file path", text: "/tmp/disinfo-news.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: tt.text}
			v := c.Classify(p)
			if v.Flagged != tt.flagged || v.Score != tt.score ||
				!reflect.DeepEqual(v.Categories, tt.categories) || !reflect.DeepEqual(v.Tags, tt.tags) {
				t.Errorf("Flagged %v, Score %g, Categories %q, Tags %q; want %v, %g, %q, %q",
					v.Flagged, v.Score, v.Categories, v.Tags, tt.flagged, tt.score, tt.categories, tt.tags)
			}
			var got []match
			for _, m := range v.Matches {
				got = append(got, match{m.TermID, m.Category, tt.text[m.Start:m.End]})
			}
			if !reflect.DeepEqual(got, tt.matches) {
				t.Errorf("matches %q, want %q", got, tt.matches)
			}
		})
	}
}

func TestClassifyDomainSpan(t *testing.T) {
	c := newLinksClassifier(t, linksDomains)
	text := "ကြည့် https://state-media.example/a"
	v := c.Classify(&event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: text})
	want := []event.Match{{TermID: "domain:state-media.example", Category: "disinformation", Start: 24, End: 43}}
	if !reflect.DeepEqual(v.Matches, want) {
		t.Errorf("Matches = %+v, want %+v", v.Matches, want)
	}
}

func TestNewDomainCategories(t *testing.T) {
	lex, err := lexicon.Parse("links.yaml", []byte(linksLexicon))
	if err != nil {
		t.Fatal(err)
	}
	l, err := domains.Parse("domains.csv", []byte("domain,list,category\n"+
		"a.example,l,disinformation\n"+
		"b.example,l,state_media\n"+
		"c.example,other,nope\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New([]*lexicon.Lexicon{lex}, nil, Options{Normalizer: SimpleNormalizer{}, Domains: l})
	var probs lexicon.Problems
	if !errors.As(err, &probs) {
		t.Fatalf("New error = %v, want lexicon.Problems", err)
	}
	want := []string{
		`domains.csv:3: domain b.example on list "l": category "state_media" is not declared in any lexicon`,
		`domains.csv:4: domain c.example on list "other": category "nope" is not declared in any lexicon`,
	}
	if got := strings.Split(probs.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestClassifyDomainsConcurrent(t *testing.T) {
	c := newLinksClassifier(t, linksDomains)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				v := c.Classify(&event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: "https://a.example.org/"})
				if !v.Flagged || len(v.Matches) != 1 {
					t.Errorf("verdict %+v", v)
					return
				}
			}
		})
	}
	wg.Wait()
}

func newLinksClassifier(tb testing.TB, csv string) *Classifier {
	tb.Helper()
	lex, err := lexicon.Parse("links.yaml", []byte(linksLexicon))
	if err != nil {
		tb.Fatal(err)
	}
	l, err := domains.Parse("domains.csv", []byte(csv))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New([]*lexicon.Lexicon{lex}, nil, Options{Domains: l})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
