// Package problemtest checks the classifier's bad-file fixtures: every
// testdata file matching a pattern must fail to load with exactly the
// problems a table expects, and every such file must be in the table.
package problemtest

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/classify/problem"
)

// CheckBadFiles loads each file named in want (from dir) with load, which
// reports whether it returned a value besides its error, and checks that
// it returned none, and a problem.List whose lines are exactly want's, each
// naming the file. Every file in dir matching pattern must be in want.
func CheckBadFiles(t *testing.T, dir, pattern string, want map[string][]string, load func(name string) (gotValue bool, err error)) {
	t.Helper()
	for name, lines := range want {
		t.Run(name, func(t *testing.T) {
			gotValue, err := load(name)
			if gotValue {
				t.Error("Load returned a value despite problems")
			}
			var probs problem.List
			if !errors.As(err, &probs) {
				t.Fatalf("Load error = %v (%T), want a problem list", err, err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, lines) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(lines, "\n"))
			}
			for _, p := range probs {
				if p.File != name {
					t.Errorf("problem %q names file %q", p.Error(), p.File)
				}
			}
		})
	}
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := want[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected problems", f)
		}
	}
}
