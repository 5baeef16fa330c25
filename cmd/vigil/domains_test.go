package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClassifyDomains runs `vigil classify --domains` over the example
// lexicon and domain list, and checks that a bad domain list is refused
// with its file and line.
func TestClassifyDomains(t *testing.T) {
	ex := filepath.Join("..", "..", "examples")
	in := `{"platform":"x","id":"1","author":{"id":"9"},"text":"ဖတ်ပါ https://news.state-media.example/a (see disinfo-news.example/x)."}` + "\n" +
		`{"platform":"x","id":"2","author":{"id":"9"},"text":"https://notstate-media.example/ e.g. report.pdf"}` + "\n"
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"),
		"--domains", filepath.Join(ex, "domains.csv"), "--all"},
		IO{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := `{"platform":"x","id":"1","flagged":true,"score":2,"categories":["disinformation"],"matches":[` +
		`{"term_id":"domain:state-media.example","category":"disinformation","start":24,"end":48},` +
		`{"term_id":"domain:disinfo-news.example","category":"disinformation","start":56,"end":76}],"lists":[]}` + "\n" +
		`{"platform":"x","id":"2","flagged":false,"score":0,"categories":[],"matches":[],"lists":[]}` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "d.csv"), []byte("domain,list,category\nx.example,l,nope\n"), 0o600)
	errb.Reset()
	code = execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"),
		"--domains", filepath.Join(dir, "d.csv")},
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitFail || !strings.Contains(errb.String(), `d.csv:2: domain x.example on list "l": category "nope" is not declared`) {
		t.Errorf("exit %d, stderr: %s", code, errb.String())
	}
}

// TestClassifyBrands runs `vigil classify --brands` over the example
// lexicon and brand list, and checks that a brand list naming a category
// no lexicon declares is refused with its file and line.
func TestClassifyBrands(t *testing.T) {
	ex := filepath.Join("..", "..", "examples")
	in := `{"platform":"x","id":"1","author":{"id":"9"},"text":"Cold GOLDEN DEMO LAGER tonight"}` + "\n" +
		`{"platform":"x","id":"2","author":{"id":"9"},"text":"a golden morning"}` + "\n"
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"),
		"--brands", filepath.Join(ex, "brands.csv"), "--all"},
		IO{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := `{"platform":"x","id":"1","flagged":true,"score":2,"categories":["military_business"],"matches":[` +
		`{"term_id":"brand:Golden Demo Lager","category":"military_business","start":5,"end":22}],"lists":[]}` + "\n" +
		`{"platform":"x","id":"2","flagged":false,"score":0,"categories":[],"matches":[],"lists":[]}` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "b.csv"), []byte("brand,owner,category\nSome Beer,Some Owner,nope\n"), 0o600)
	errb.Reset()
	code = execute(context.Background(), []string{"classify", "--lexicon", filepath.Join(ex, "lexicon.yaml"),
		"--brands", filepath.Join(dir, "b.csv")},
		IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitFail || !strings.Contains(errb.String(), `b.csv:2: brand "Some Beer": category "nope" is not declared`) {
		t.Errorf("exit %d, stderr: %s", code, errb.String())
	}
}
