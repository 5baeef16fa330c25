package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestRunCLIGolden runs `vigil classify` over testdata/cli/posts.jsonl,
// whose lines cover flagged and unflagged posts, both scripts, a listed
// author, blank lines, invalid posts, a line over the length limit and a
// last line without a newline.
func TestRunCLIGolden(t *testing.T) {
	tests := []struct {
		name string
		opt  CLIOptions
	}{
		{name: "flagged", opt: CLIOptions{MaxLineBytes: 1024}},
		{name: "all", opt: CLIOptions{All: true, MaxLineBytes: 1024, Workers: 3}},
	}
	c := newTestClassifier(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := os.Open(filepath.Join("testdata", "cli", "posts.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			var out, errOut bytes.Buffer
			sum, err := RunCLI(t.Context(), c, in, &out, &errOut, tt.opt)
			if err != nil {
				t.Fatalf("RunCLI: %v", err)
			}
			got := fmt.Sprintf("# stdout\n%s# stderr\n%s# summary\n%+v\n", out.String(), errOut.String(), sum)
			checkGolden(t, filepath.Join("testdata", "cli", tt.name+".golden"), got)
			checkCLIShape(t, out.Bytes())
		})
	}
}

// checkCLIShape checks the output contract: exactly the documented keys,
// arrays never null; groups and regions only when not empty.
func checkCLIShape(tb testing.TB, out []byte) {
	tb.Helper()
	for line := range bytes.Lines(out) {
		var v map[string]any
		if err := json.Unmarshal(line, &v); err != nil {
			tb.Fatalf("output line %q: %v", line, err)
		}
		keys := 7
		for _, k := range []string{"groups", "regions"} {
			if x, ok := v[k]; ok {
				keys++
				if a, ok := x.([]any); !ok || len(a) == 0 {
					tb.Errorf("%q is %v, want a non-empty array or nothing: %s", k, x, line)
				}
			}
		}
		if len(v) != keys {
			tb.Errorf("output line has %d keys, want %d: %s", len(v), keys, line)
		}
		for _, k := range []string{"categories", "matches", "lists"} {
			if _, ok := v[k].([]any); !ok {
				tb.Errorf("%q is %v, want an array: %s", k, v[k], line)
			}
		}
	}
}

func TestRunCLIKeepsOrder(t *testing.T) {
	c := newTestClassifier(t, Options{})
	var in bytes.Buffer
	const n = 3000
	for i := range n {
		text := "a quiet morning"
		switch i % 3 {
		case 0:
			text = "vermin " + strings.Repeat("filler ", i%50)
		case 1:
			text = strings.Repeat("ဒီကုလားတွေ ", 1+i%7)
		}
		fmt.Fprintf(&in, `{"platform":"x","id":"%d","author":{"id":"1"},"text":%q}`+"\n", i, text)
	}
	var out bytes.Buffer
	sum, err := RunCLI(t.Context(), c, &in, &out, io.Discard, CLIOptions{All: true, Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	if sum != (CLISummary{Read: n, Flagged: 2 * n / 3}) {
		t.Errorf("summary = %+v", sum)
	}
	i := 0
	for line := range bytes.Lines(out.Bytes()) {
		var v struct{ ID string }
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatal(err)
		}
		if v.ID != fmt.Sprint(i) {
			t.Fatalf("line %d has id %s: out of order", i, v.ID)
		}
		i++
	}
	if i != n {
		t.Errorf("%d lines written, want %d", i, n)
	}
}

// TestRunCLILongLines checks the default limit: a line of up to 16 MiB is
// read whole (and judged by the post limits), a longer one is reported and
// skipped without stopping the run.
func TestRunCLILongLines(t *testing.T) {
	c := newTestClassifier(t, Options{})
	post := func(id, text string) string {
		return fmt.Sprintf(`{"platform":"x","id":%q,"author":{"id":"1"},"text":%q}`+"\n", id, text)
	}
	in := io.MultiReader(
		strings.NewReader(post("1", "vermin")),
		strings.NewReader(post("2", strings.Repeat("a", DefaultMaxLineBytes-100))),
		strings.NewReader(post("3", strings.Repeat("b", DefaultMaxLineBytes+1))),
		strings.NewReader(post("4", "v3rmin")),
	)
	var out, errOut bytes.Buffer
	sum, err := RunCLI(t.Context(), c, in, &out, &errOut, CLIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum != (CLISummary{Read: 4, Flagged: 2, Invalid: 2}) {
		t.Errorf("summary = %+v", sum)
	}
	wantErr := "line 2: invalid post: text: 16777171 bytes, over the limit of 65536\nline 3: longer than 16777216 bytes\n"
	if errOut.String() != wantErr {
		t.Errorf("errOut = %q, want %q", errOut.String(), wantErr)
	}
	if got := strings.Count(out.String(), "\n"); got != 2 {
		t.Errorf("%d verdicts, want 2: %s", got, out.String())
	}
}

func TestRunCLIErrors(t *testing.T) {
	c := newTestClassifier(t, Options{})
	const posts = `{"platform":"x","id":"1","author":{"id":"1"},"text":"vermin"}` + "\n"
	tests := []struct {
		name string
		in   io.Reader
		out  io.Writer
		want string
	}{
		{name: "read error", in: io.MultiReader(strings.NewReader(posts), iotest.ErrReader(errors.New("disk gone"))),
			out: io.Discard, want: "read posts: line 2: disk gone"},
		{name: "write error", in: strings.NewReader(posts), out: failingWriter{},
			want: "write verdict: pipe closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RunCLI(t.Context(), c, tt.in, tt.out, io.Discard, CLIOptions{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("RunCLI error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunCLICancel(t *testing.T) {
	c := newTestClassifier(t, Options{})
	pr, pw := io.Pipe() // nothing is ever written: a Read blocks
	defer pw.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := RunCLI(ctx, c, pr, io.Discard, io.Discard, CLIOptions{})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("RunCLI error = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RunCLI did not return after its context ended")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

// checkGolden compares got with the golden file, or rewrites it with
// -update.
func checkGolden(tb testing.TB, path, got string) {
	tb.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("output differs from %s (run go test -update if the change is intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
