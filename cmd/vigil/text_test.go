package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
	"github.com/vigilhq/vigil/examples"
)

// TestTextToUnicode runs `vigil text to-unicode` over the text of every
// demo post: the Zawgyi ones come out as Unicode (the detector then calls
// them Unicode), and every other line comes out byte for byte unchanged.
func TestTextToUnicode(t *testing.T) {
	zg := map[string]bool{
		"facebook/100000000000101_900008": true, "telegram/1009": true, "telegram/1022": true,
		"x/1999000000000000044": true, "facebook/100000000000108_900042": true,
		"mastodon/113999000000019": true, "facebook/100000000000106_900049": true, "telegram/1037": true,
	}
	data, err := fs.ReadFile(examples.FS, "posts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	var isZawgyi []bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var p struct{ Platform, ID, Text string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		in.WriteString(strings.ReplaceAll(p.Text, "\n", " ") + "\n")
		isZawgyi = append(isZawgyi, zg[p.Platform+"/"+p.ID])
	}
	inLines := strings.Split(strings.TrimSuffix(in.String(), "\n"), "\n")
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"text", "to-unicode"}, IO{Stdin: &in, Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "200 line(s), 8 converted") {
		t.Errorf("summary: %q", errb.String())
	}
	model, err := zawgyi.Default()
	if err != nil {
		t.Fatal(err)
	}
	outLines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(outLines) != len(inLines) {
		t.Fatalf("%d lines out for %d in", len(outLines), len(inLines))
	}
	for i := range inLines {
		switch {
		case isZawgyi[i]:
			if outLines[i] == inLines[i] || model.Probability(outLines[i]) > zawgyi.ReviewThreshold {
				t.Errorf("line %d: Zawgyi not converted: %q", i+1, outLines[i])
			}
		case outLines[i] != inLines[i]:
			t.Errorf("line %d changed:\n in %q\nout %q", i+1, inLines[i], outLines[i])
		}
	}
}

func TestTextNormalize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		args           []string
	}{
		{"spaced letters", "V E R M I N\n", "vermin\tcasefold,spaced\n", nil},
		{"leetspeak", "v3rm1n\n", "vermin\tleet\n", nil},
		{"Zawgyi", "ဒီပိုးမႊားေတြရဲ႕ အိမ္ေတြကို မီးရႈိ႕ပစ္ၾက။\n", "ဒီပိုးမွှားတွေရဲ့ အိမ်တွေကို မီးရှို့ပစ်ကြ။\tzawgyi\n", nil},
		{"already normal", "plain text\n", "plain text\t\n", nil},
		{"fullwidth as JSON", "ｖｅｒｍｉｎ", `{"input":"ｖｅｒｍｉｎ","text":"vermin","transforms":["nfkc"]}` + "\n", []string{"--json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := execute(context.Background(), append([]string{"text", "normalize"}, tc.args...),
				IO{Stdin: strings.NewReader(tc.in), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if out.String() != tc.want {
				t.Fatalf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}
