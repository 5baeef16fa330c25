// Package problem is how the classifier's data files (lexicons, account
// lists) report what is wrong with them: every problem with its file and
// line, all at once, so that a user fixes every line in one pass and
// `vigil lexicon check` can print the whole list.
package problem

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Problem is one thing wrong in a file, with the line it is on.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem is about the file as a whole
	Msg  string
}

// Error formats the problem as "file:line: msg", the form editors and CI
// logs recognise.
func (p Problem) Error() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
}

// List is every problem found in one or more files.
type List []Problem

// Error lists the problems one per line.
func (ps List) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Add records a problem.
func (ps *List) Add(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Err returns the problems, ordered by file and line (keeping the order of
// discovery within a line), as an error; nil when there are none.
func (ps List) Err() error {
	if len(ps) == 0 {
		return nil
	}
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return ps
}

// Place says where something was first seen, for a message about a
// duplicate found at a later place in file here: "line N" in the same file,
// "FILE:N" in another.
func Place(file string, line int, here string) string {
	if file == here {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s:%d", file, line)
}

// LoadAll loads every named file with load, gathering the problems of all
// of them (as one List) before it fails, so that a user fixes
// every file in one pass.
func LoadAll[T any](fsys fs.FS, names []string, load func(fs.FS, string) (T, error)) ([]T, error) {
	var (
		all   []T
		probs List
	)
	for _, name := range names {
		v, err := load(fsys, name)
		var ps List
		switch {
		case errors.As(err, &ps):
			probs = append(probs, ps...)
		case err != nil:
			return nil, err
		default:
			all = append(all, v)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return all, nil
}
