package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

func cmdText(_ context.Context, args []string, sio IO) error {
	if len(args) == 0 || args[0] != "to-unicode" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(sio.Stderr, "Usage: vigil text to-unicode [--threshold P] [--all]")
			return flag.ErrHelp
		}
		return fmt.Errorf("%w: want \"vigil text to-unicode\"", errUsage)
	}
	fs := newFlagSet("text to-unicode", "Read lines on standard input; write each line that the Zawgyi detector judges\n"+
		"to be Zawgyi converted to standard Unicode, and every other line unchanged.",
		"  vigil text to-unicode < zawgyi-posts.txt > unicode-posts.txt", sio.Stderr)
	threshold := fs.Float64("threshold", zawgyi.ConvertThreshold, "Zawgyi probability above which a line is converted.")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *threshold <= 0 || *threshold >= 1 {
		return fmt.Errorf("%w: --threshold must be between 0 and 1", errUsage)
	}
	model, err := zawgyi.Default()
	if err != nil {
		return err
	}
	n, converted, err := toUnicode(sio.Stdin, sio.Stdout, model, *threshold)
	if err != nil {
		return err
	}
	fmt.Fprintf(sio.Stderr, "%d line(s), %d converted from Zawgyi\n", n, converted)
	return nil
}

// toUnicode copies lines from in to out, converting the Zawgyi ones. Line
// endings are kept as they were.
func toUnicode(in io.Reader, out io.Writer, model *zawgyi.Model, threshold float64) (lines, converted int, err error) {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	for {
		line, rerr := r.ReadString('\n')
		if len(line) > 0 {
			lines++
			body := strings.TrimRight(line, "\r\n")
			if p := model.Probability(body); p > threshold {
				converted++
				line = convert.ZawgyiToUnicode(body) + line[len(body):]
			}
			if _, err := w.WriteString(line); err != nil {
				return lines, converted, err
			}
		}
		if errors.Is(rerr, io.EOF) {
			return lines, converted, w.Flush()
		}
		if rerr != nil {
			return lines, converted, rerr
		}
	}
}
