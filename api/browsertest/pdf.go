package browsertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PDFText returns the text layer of a PDF as poppler's pdftotext reads it
// (UTF-8, layout not kept), which is what a platform's reviewer gets when
// they copy from the report or search it.
func PDFText(tb testing.TB, pdf []byte) string {
	tb.Helper()
	out := poppler(tb, "pdftotext", pdf, "-enc", "UTF-8", "-nopgbrk")
	return out
}

// PDFFont is one line of pdffonts' table.
type PDFFont struct {
	// Name is the font's PostScript name with the subset prefix
	// ("ABCDEF+NotoSansMyanmar-Regular").
	Name     string
	Type     string
	Embedded bool
	Subset   bool
}

// PDFFonts lists the fonts of a PDF as poppler's pdffonts reports them.
func PDFFonts(tb testing.TB, pdf []byte) []PDFFont {
	tb.Helper()
	out := poppler(tb, "pdffonts", pdf)
	lines := strings.Split(out, "\n")
	// The second line is dashes whose runs give the column widths; names
	// and types contain spaces, so fields are cut by position.
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "---") {
		tb.Fatalf("browsertest: unexpected pdffonts output:\n%s", out)
	}
	var cols [][2]int
	start := -1
	for i, c := range lines[1] + " " {
		switch {
		case c == '-' && start < 0:
			start = i
		case c != '-' && start >= 0:
			cols = append(cols, [2]int{start, i})
			start = -1
		}
	}
	if len(cols) < 5 {
		tb.Fatalf("browsertest: unexpected pdffonts columns:\n%s", out)
	}
	field := func(line string, i int) string {
		a, b := cols[i][0], cols[i][1]
		if a >= len(line) {
			return ""
		}
		return strings.TrimSpace(line[a:min(b, len(line))])
	}
	var fonts []PDFFont
	for _, line := range lines[2:] {
		if strings.TrimSpace(line) == "" {
			continue
		}
		fonts = append(fonts, PDFFont{
			Name:     field(line, 0),
			Type:     field(line, 1),
			Embedded: field(line, 3) == "yes",
			Subset:   field(line, 4) == "yes",
		})
	}
	return fonts
}

// poppler runs one of poppler-utils' tools on pdf (written to a file:
// they need to seek) and returns what it wrote to standard output.
func poppler(tb testing.TB, tool string, pdf []byte, args ...string) string {
	tb.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		tb.Fatalf("browsertest: %s not found: install Debian's poppler-utils package (scripts/services does it)", tool)
	}
	in := filepath.Join(tb.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		tb.Fatal(err)
	}
	args = append(args, in)
	if tool == "pdftotext" {
		args = append(args, "-") // the text to standard output
	}
	out, err := exec.Command(path, args...).Output()
	if err != nil {
		msg := err.Error()
		if ee, ok := err.(*exec.ExitError); ok {
			msg += ": " + strings.TrimSpace(string(ee.Stderr))
		}
		tb.Fatalf("browsertest: %s: %s", tool, msg)
	}
	return string(out)
}
