// Package csvfile reads the classifier's CSV data files (account lists,
// domain lists): a header row naming known columns in any order, comment
// lines starting with #, an optional byte order mark (spreadsheet exports
// start with one), and every problem reported with its file and line.
package csvfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/vigilhq/vigil/classify/problem"
)

// Schema names a file's columns.
type Schema struct {
	// Columns are the known columns, in their documented order.
	Columns []string
	// Required are the columns the header must have.
	Required []string
}

// Row is one data row of a file.
type Row struct {
	// Line is the row's line in the file, 1-based.
	Line int
	rec  []string
	cols map[string]int
}

// Field returns the value of column name, trimmed; "" when the file has
// no such column.
func (r Row) Field(name string) string {
	if i, ok := r.cols[name]; ok {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// Read parses data, calling each for every data row that has as many
// fields as the header, and adds every problem found to probs. file names
// the file in problems.
func Read(file string, data []byte, s Schema, probs *problem.List, each func(Row)) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.ReuseRecord = true
	var (
		cols  map[string]int // column name → field index
		width int
	)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				probs.Add(file, pe.Line, "%v", pe.Err)
				if pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote {
					// The reader cannot resynchronise after a broken quote.
					break
				}
				continue
			}
			probs.Add(file, 0, "%v", err)
			break
		}
		line, _ := r.FieldPos(0)
		if cols == nil {
			if cols, width = header(file, line, rec, s, probs); cols == nil {
				break
			}
			continue
		}
		if len(rec) != width {
			probs.Add(file, line, "%d fields, but the header has %d", len(rec), width)
			continue
		}
		each(Row{Line: line, rec: rec, cols: cols})
	}
	if cols == nil && len(*probs) == 0 {
		probs.Add(file, 1, "header required: %s", strings.Join(s.Columns, ","))
	}
}

// header reads the header row: known column names, each once, with the
// required ones present.
func header(file string, line int, rec []string, s Schema, probs *problem.List) (map[string]int, int) {
	cols := make(map[string]int, len(rec))
	known := 0
	n := len(*probs)
	for i, name := range rec {
		name = strings.ToLower(strings.TrimSpace(name))
		switch _, dup := cols[name]; {
		case !slices.Contains(s.Columns, name):
			probs.Add(file, line, "unknown column %q (want %s)", name, strings.Join(s.Columns, ","))
		case dup:
			probs.Add(file, line, "column %q appears twice", name)
		default:
			cols[name] = i
			known++
		}
	}
	if known == 0 {
		// Most likely a data row where the header should be.
		*probs = (*probs)[:n]
		probs.Add(file, line, "header required: %s", strings.Join(s.Columns, ","))
		return nil, 0
	}
	for _, name := range s.Required {
		if _, ok := cols[name]; !ok {
			probs.Add(file, line, "column %q is required", name)
		}
	}
	if len(*probs) > n {
		return nil, 0
	}
	return cols, len(rec)
}

// CheckCategory reports a list entry's lexicon category that is empty or
// could not be a category id (spaces, ',').
func CheckCategory(probs *problem.List, file string, line int, category string) {
	switch {
	case category == "":
		probs.Add(file, line, "category is empty")
	case strings.IndexFunc(category, func(r rune) bool { return unicode.IsSpace(r) || r == ',' }) >= 0:
		probs.Add(file, line, "category %q must not contain spaces or ','", category)
	}
}
