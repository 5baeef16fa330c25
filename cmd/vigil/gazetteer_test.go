package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/examples"
)

func gazetteerTestEnv(string) string { return "" }

// TestClassifyGazetteer runs `vigil classify --gazetteer` over the example
// lexicon and gazetteer: a township in English and in Burmese tags its
// region, "Mon" alone does not, groups and regions are in the output only
// when the post names some; a bad gazetteer is refused with its file and
// line.
func TestClassifyGazetteer(t *testing.T) {
	ex := filepath.Join("..", "..", "examples")
	in := `{"platform":"x","id":"1","author":{"id":"9"},"text":"Burn them in Monywa, those people"}` + "\n" +
		`{"platform":"x","id":"2","author":{"id":"9"},"text":"မုံရွာမြို့မှာ မိုးရွာတယ်"}` + "\n" +
		`{"platform":"x","id":"3","author":{"id":"9"},"text":"Mon to Fri, keep your chin up"}` + "\n" +
		`{"platform":"x","id":"4","author":{"id":"9"},"text":"the journalists of Chin State and Mon State"}` + "\n"
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"),
		"--gazetteer", filepath.Join(ex, "gazetteer.yaml"), "--all"},
		IO{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: gazetteerTestEnv})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := `{"platform":"x","id":"1","flagged":true,"score":4,"categories":["violence_call"],"matches":[` +
		`{"term_id":"t08","category":"violence_call","start":0,"end":9},` +
		`{"term_id":"place:monywa","category":"place","start":13,"end":19},` +
		`{"term_id":"t30","category":"target_group","start":21,"end":33}],"lists":[],"groups":["minority"],"regions":["sagaing"]}` + "\n" +
		`{"platform":"x","id":"2","flagged":false,"score":0,"categories":[],"matches":[{"term_id":"place:monywa","category":"place","start":0,"end":18}],"lists":[],"regions":["sagaing"]}` + "\n" +
		`{"platform":"x","id":"3","flagged":false,"score":0,"categories":[],"matches":[],"lists":[]}` + "\n" +
		`{"platform":"x","id":"4","flagged":false,"score":0,"categories":[],"matches":[` +
		`{"term_id":"t32","category":"target_group","start":4,"end":15},` +
		`{"term_id":"place:chin","category":"place","start":19,"end":29},` +
		`{"term_id":"place:mon","category":"place","start":34,"end":43}],"lists":[],"groups":["journalists"],"regions":["chin","mon"]}` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "g.yaml")
	writeTestFile(t, bad, "name: g\nversion: \"1\"\nregions:\n  - id: Yangon\n    names: {en: [Yangon]}\n")
	errb.Reset()
	code = execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"), "--gazetteer", bad},
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: gazetteerTestEnv})
	if code != exitFail || !strings.Contains(errb.String(), bad+`:4: region "Yangon": id must be lower-case ASCII letters`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestLexiconCheckGazetteer: `vigil lexicon check --gazetteer` checks the
// gazetteer with the lexicons: the examples pass without a warning, a bad
// file fails with its lines, and a place named like a lexicon term warns.
func TestLexiconCheckGazetteer(t *testing.T) {
	ex := filepath.Join("..", "..", "examples")
	lex, gaz := filepath.Join(ex, "lexicon.yaml"), filepath.Join(ex, "gazetteer.yaml")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeTestFile(t, bad, "name: g\nversion: \"1\"\nregions:\n  - id: mon\n    names: {en: [Mon State, mon state]}\n  - id: chin\n    names: {xx1: [Chin State]}\n")
	clash := filepath.Join(dir, "clash.yaml")
	writeTestFile(t, clash, "name: clash\nversion: \"1\"\nregions:\n  - id: zorbland\n    names: {en: [Vermin]}\n    townships: []\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  []string // lines the output must contain
		err  string
	}{
		{"the examples", []string{"--gazetteer", gaz, lex}, exitOK, nil, "1 lexicon file(s) and 1 gazetteer file(s) OK, 0 warning(s)"},
		{"a gazetteer alone", []string{"--gazetteer", gaz}, exitOK, nil, "0 lexicon file(s) and 1 gazetteer file(s) OK"},
		{"a bad gazetteer", []string{"--gazetteer", bad, lex}, exitFail, []string{
			bad + `:5: region "mon": name "mon state" is listed twice (first at line 5)`,
			bad + `:7: region "chin": names: "xx1" is not an ISO 639-1 or 639-3 code`,
		}, "2 problem(s) in 2 file(s)"},
		{"a place named like a term", []string{"--gazetteer", clash, lex}, exitOK, []string{
			clash + `:5: warning: place "zorbland": name "Vermin" normalises to "vermin", as term "t01" does`,
		}, "1 warning(s)"},
		{"two gazetteers that overlap", []string{"--gazetteer", gaz, "--gazetteer", gaz, lex}, exitFail, []string{
			gaz + `: gazetteer myanmar-example@2026-12-07 is loaded twice`,
		}, ""},
		{"nothing to check", nil, exitUsage, nil, "no lexicon or gazetteer file given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(context.Background(), append([]string{"lexicon", "check"}, tc.args...),
				IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: gazetteerTestEnv})
			if code != tc.code || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("exit %d (want %d), output:\n%s%s\nwant standard error to contain %q", code, tc.code, out.String(), errb.String(), tc.err)
			}
			for _, w := range tc.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output:\n%s\nwant it to contain %q", out.String(), w)
				}
			}
		})
	}
}

// TestConfigGazetteer: classify.gazetteer names files relative to the
// config, config check counts and checks them, the classifier `vigil run`
// builds tags regions with them, and the reloader watches them.
func TestConfigGazetteer(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "conf"), 0o700)
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	for _, name := range []string{"lexicon.yaml", "gazetteer.yaml"} {
		b, err := fs.ReadFile(examples.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "data", name), string(b))
	}
	path := filepath.Join(dir, "conf", "vigil.yaml")
	writeTestFile(t, path, "classify:\n  lexicons: [../data/lexicon.yaml]\n  gazetteer: [../data/gazetteer.yaml]\n")
	var errb bytes.Buffer
	code := execute(context.Background(), []string{"config", "check", "--config", path},
		IO{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &errb, Getenv: gazetteerTestEnv})
	if code != exitOK || !strings.Contains(errb.String(), "1 lexicon(s), 0 account list(s), 0 domain list(s), 0 brand list(s), 1 gazetteer(s))") {
		t.Fatalf("config check: exit %d: %s", code, errb.String())
	}
	cfg, err := loadConfig(path, gazetteerTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	m := &Main{Config: cfg}
	c, err := m.classifier()
	if err != nil {
		t.Fatal(err)
	}
	v := c.Classify(&event.Post{Platform: "x", ID: "1", Author: event.Author{ID: "1"}, Text: "ရခိုင်ပြည်နယ်နဲ့ Insein"})
	if !slices.Equal(v.Regions, []string{"rakhine", "yangon"}) || !slices.Equal(v.Places, []string{"insein", "rakhine"}) {
		t.Errorf("regions %q, places %q", v.Regions, v.Places)
	}
	if files := m.classifierFiles(); !slices.Contains(files, filepath.Join(dir, "conf", "..", "data", "gazetteer.yaml")) {
		t.Errorf("classifierFiles() = %q: the gazetteer is not watched", files)
	}

	// A missing gazetteer, and an unknown key beside it.
	writeTestFile(t, path, "classify:\n  lexicons: [../data/lexicon.yaml]\n  gazetteer: [nope.yaml]\n")
	if cfg, err = loadConfig(path, gazetteerTestEnv); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("Validate() = %v, want it to name nope.yaml", err)
	}
	writeTestFile(t, path, "classify:\n  lexicons: [../data/lexicon.yaml]\n  gazeteer: [../data/gazetteer.yaml]\n")
	if _, err := loadConfig(path, gazetteerTestEnv); err == nil || !strings.Contains(err.Error(), path+`:3: unknown key "gazeteer"`) {
		t.Errorf("got %v, want %s:3: unknown key \"gazeteer\"", err, path)
	}
}

// TestDemoRegionsAndGroups classifies the demo posts with the classifier
// the demo configuration builds (what `vigil run` does with them): the
// flagged posts name places in every region of the gazetteer, in English,
// Burmese and Zawgyi, and every target group, so that the early-warning
// series have data; and the places change no post's flag or score.
func TestDemoRegionsAndGroups(t *testing.T) {
	cfg, err := loadConfig("", gazetteerTestEnv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := (&Main{Config: cfg}).classifier()
	if err != nil {
		t.Fatal(err)
	}
	noPlaces := *cfg
	noPlaces.Classify.Gazetteer = nil
	without, err := (&Main{Config: &noPlaces}).classifier()
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(examples.FS, "posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	regions, groups := map[string]int{}, map[string]int{}
	posts, placed := 0, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		p, err := event.ParsePost(sc.Bytes(), event.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		posts++
		v, w := c.Classify(&p), without.Classify(&p)
		if v.Flagged != w.Flagged || v.Score != w.Score || !slices.Equal(v.Categories, w.Categories) {
			t.Errorf("%s/%s: the gazetteer changed the judgement: %v %g %q, without %v %g %q", p.Platform, p.ID, v.Flagged, v.Score, v.Categories, w.Flagged, w.Score, w.Categories)
		}
		if len(v.Regions) > 0 {
			placed++
		}
		if !v.Flagged {
			continue
		}
		for _, r := range v.Regions {
			regions[r]++
		}
		for _, g := range v.Groups {
			groups[g]++
		}
	}
	for _, r := range c.Regions() {
		if regions[r] == 0 {
			t.Errorf("no flagged demo post names a place in %s", r)
		}
	}
	if len(c.Regions()) != 15 {
		t.Errorf("the demo gazetteer has %d regions, want 15", len(c.Regions()))
	}
	for _, g := range []string{"minority", "journalists", "activists", "human_rights_defenders"} {
		if groups[g] == 0 {
			t.Errorf("no flagged demo post names the group %s", g)
		}
	}
	if posts != 200 || placed < 40 {
		t.Errorf("%d of %d demo posts name a place, want at least 40 of 200", placed, posts)
	}
	// The Zawgyi post naming Kale town (ကလေးမြို့).
	var zg event.Post
	for line := range bytes.Lines(data) {
		if bytes.Contains(line, []byte(`"id":"1037"`)) {
			if zg, err = event.ParsePost(line, event.Limits{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if v := c.Classify(&zg); !slices.Equal(v.Places, []string{"kale"}) || !v.Flagged {
		t.Errorf("the Zawgyi post %q: places %q, flagged %v; want kale, flagged", zg.Text, v.Places, v.Flagged)
	}
}

// TestGazetteerReloadInPipeline runs the pipeline with a gazetteer,
// edits it, and sees a post ingested after the edit tagged with the new
// region, whose series the classify role starts at 0 on the swap.
func TestGazetteerReloadInPipeline(t *testing.T) {
	const gaz = "name: reload-places\nversion: \"1\"\nregions:\n  - id: northland\n    names: {en: [Northland]}\n"
	s, cfg := newReloadSetup(t, "  gazetteer: [places.yaml]\n")
	places := filepath.Join(s.dir, "places.yaml")
	writeTestFile(t, places, gaz)
	r := MustRunMain(t, cfg, filepath.Join(s.dir, "data"), targetAll)

	s.post(t, "before", "vermin in Southland and Northland")
	if v := verdict(t, r, "before"); !v.Verdict.Flagged || !slices.Equal(v.Verdict.Regions, []string{"northland"}) {
		t.Fatalf("before the edit: %+v, want flagged, regions [northland]", v)
	}
	writeTestFile(t, places, gaz+"  - id: southland\n    names: {en: [Southland]}\n")
	waitReloads(t, r, "ok", "file", 1)
	s.post(t, "after", "vermin in Southland and Northland again")
	if v := verdict(t, r, "after"); !slices.Equal(v.Verdict.Regions, []string{"northland", "southland"}) {
		t.Errorf("after the edit: %+v, want regions [northland southland]", v)
	}
	// Both posts counted by region; the new region's other series exist.
	eventually(t, 30*time.Second, "posts counted by region", func() (bool, string) {
		n, _ := testutil.GatherAndCount(r.m.Registry, "vigil_classify_region_posts_total")
		mfs, err := r.m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != "vigil_classify_region_posts_flagged_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				var cat, region string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "category":
						cat = l.GetValue()
					case "region":
						region = l.GetValue()
					}
				}
				if cat == "dehumanisation" {
					got[region] = m.GetCounter().GetValue()
				}
			}
		}
		ok := n == 3 && got["northland"] == 2 && got["southland"] == 1 && got["none"] == 0
		return ok, fmt.Sprintf("%d region series; dehumanisation by region %v", n, got)
	})
	// The edit's bytes are in the hash the verdicts record.
	var before, after struct {
		Verdict event.Verdict `json:"verdict"`
	}
	get(t, r.base, "/api/v1/posts/x/before", &before)
	get(t, r.base, "/api/v1/posts/x/after", &after)
	if before.Verdict.LexiconHash == "" || before.Verdict.LexiconHash == after.Verdict.LexiconHash {
		t.Errorf("lexicon hash before %q, after %q: the gazetteer edit is not in it", before.Verdict.LexiconHash, after.Verdict.LexiconHash)
	}
}
