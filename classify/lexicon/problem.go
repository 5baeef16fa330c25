package lexicon

import (
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong in a lexicon file, with the line it is on.
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

// Problems is every problem found in one or more lexicon files. Parse
// returns all of them at once, so that `vigil lexicon check` can print the
// whole list rather than one error per run.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

func (ps *Problems) add(file string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// sort orders problems by file and line, keeping the order of discovery
// within a line.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
}

// err returns ps as an error, or nil when there are none.
func (ps Problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.sort()
	return ps
}
