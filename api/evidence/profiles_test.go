package evidence

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// exampleCategories reads the categories of examples/lexicon.yaml that
// flag a post (not the context ones).
func exampleCategories(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile("../../examples/lexicon.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var lex struct {
		Categories []struct {
			ID      string `yaml:"id"`
			Context bool   `yaml:"context"`
		} `yaml:"categories"`
	}
	if err := yaml.Unmarshal(b, &lex); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, c := range lex.Categories {
		if !c.Context {
			out = append(out, c.ID)
		}
	}
	if len(out) < 9 {
		tb.Fatalf("examples/lexicon.yaml: only %d categories: %v", len(out), out)
	}
	return out
}

// exampleLists reads the list names of examples/accounts.csv.
func exampleLists(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("../../examples/accounts.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, row := range rows[1:] {
		if !contains(out, row[3]) {
			out = append(out, row[3])
		}
	}
	return out
}

func TestProfiles(t *testing.T) {
	cats := exampleCategories(t)
	lists := exampleLists(t)
	ps := Profiles()
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "meta,telegram,tiktok,x,youtube" {
		t.Fatalf("profiles = %v", ids)
	}
	https := func(where, url string) {
		if !strings.HasPrefix(url, "https://") || strings.ContainsAny(url, " \n") {
			t.Errorf("%s: %q is not an https URL", where, url)
		}
	}
	for _, p := range ps {
		src, err := profileFiles.ReadFile("profiles/" + p.ID + ".yaml")
		if err != nil {
			t.Fatalf("profile %s is not in profiles/%s.yaml", p.ID, p.ID)
		}
		if head := string(src[:min(len(src), 800)]); !strings.Contains(head, "as of 2026") || !strings.Contains(head, "check every entry against the live pages") {
			t.Errorf("profiles/%s.yaml: the header does not say when it was written and that it must be checked", p.ID)
		}
		if p.Platform == "" || len(p.Platforms) == 0 || len(p.Destinations) == 0 {
			t.Errorf("%s: platform, platforms and destinations are required", p.ID)
		}
		for _, d := range p.Destinations {
			https(p.ID+" destination "+d.Name, d.URL)
			if d.Name == "" || d.Notes == "" {
				t.Errorf("%s: destination %+v lacks a name or notes", p.ID, d)
			}
		}
		check := func(where string, pol Policy) {
			if pol.Name == "" || pol.Summary == "" {
				t.Errorf("%s %s: name and summary are required: %+v", p.ID, where, pol)
			}
			if !strings.HasSuffix(pol.Summary, ".") || strings.Count(pol.Summary, ". ") > 0 {
				t.Errorf("%s %s: the summary should be one sentence: %q", p.ID, where, pol.Summary)
			}
			https(p.ID+" "+where, pol.URL)
		}
		for _, c := range cats {
			pol, ok := p.Policies[c]
			if !ok {
				t.Errorf("%s: category %s of examples/lexicon.yaml is not mapped", p.ID, c)
			}
			check("category "+c, pol)
		}
		for c := range p.Policies {
			if !contains(cats, c) {
				t.Errorf("%s: maps %s, which examples/lexicon.yaml does not define", p.ID, c)
			}
		}
		for _, l := range lists {
			pol, ok := p.Lists[l]
			if !ok {
				t.Errorf("%s: list %s of examples/accounts.csv is not mapped", p.ID, l)
			}
			check("list "+l, pol)
		}
		check("default", p.Default)
		check("list_default", p.ListDefault)
		if p.Policy("no_such_category") != p.Default || p.ListPolicy("no_such_list") != p.ListDefault {
			t.Errorf("%s: unknown categories and lists do not get the defaults", p.ID)
		}
	}

	if p, err := Profile("meta"); err != nil || !contains(p.Platforms, "facebook") {
		t.Errorf("Profile(meta) = %+v, %v", p, err)
	}
	if _, err := Profile("myspace"); err == nil || !strings.Contains(err.Error(), "known profiles are meta, telegram, tiktok, x, youtube") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestParseProfileStrict(t *testing.T) {
	_, err := parseProfile("bad.yaml", []byte("id: bad\nplatform: Bad\npolicys: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "line 3: field policys not found") {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := parseProfile("bad.yaml", []byte("id: bad\n")); err == nil {
		t.Error("a profile without platform and defaults was accepted")
	}
}
