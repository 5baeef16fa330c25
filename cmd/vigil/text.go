package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vigilhq/vigil/classify"
	"github.com/vigilhq/vigil/classify/myanmar/convert"
	"github.com/vigilhq/vigil/classify/myanmar/zawgyi"
)

func cmdText(_ context.Context, args []string, sio IO) error {
	if len(args) > 0 && args[0] == "normalize" {
		return cmdTextNormalize(args[1:], sio)
	}
	if len(args) == 0 || args[0] != "to-unicode" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(sio.Stderr, "Usage: vigil text to-unicode [--threshold P]\n       vigil text normalize [--json]")
			return flag.ErrHelp
		}
		return fmt.Errorf("%w: want \"vigil text to-unicode\" or \"vigil text normalize\"", errUsage)
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

// cmdTextNormalize shows what the classifier matches: each line of standard
// input normalised as a post would be, with the steps that changed it.
func cmdTextNormalize(args []string, sio IO) error {
	fs := newFlagSet("text normalize", "Read lines on standard input and write each one as the classifier sees it:\n"+
		"invisible characters removed, evasions folded, Zawgyi converted, Burmese marks\n"+
		"in order. Each line is followed by a tab and the steps that changed it.",
		"  echo 'V E R M I N' | vigil text normalize\n  vigil text normalize --json < posts.txt", sio.Stderr)
	asJSON := fs.Bool("json", false, "Print {\"input\",\"text\",\"transforms\"} per line instead.")
	if err := parse(fs, args); err != nil {
		return err
	}
	norm, err := classify.NewMyanmarNormalizer()
	if err != nil {
		return err
	}
	r := bufio.NewReaderSize(sio.Stdin, 1<<20)
	w := bufio.NewWriter(sio.Stdout)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for {
		line, rerr := r.ReadString('\n')
		if len(line) > 0 {
			in := strings.TrimRight(line, "\r\n")
			n := norm.Normalize(in)
			transforms := n.Transforms
			if transforms == nil {
				transforms = []string{}
			}
			if *asJSON {
				if err := enc.Encode(struct {
					Input      string   `json:"input"`
					Text       string   `json:"text"`
					Transforms []string `json:"transforms"`
				}{in, n.Text, transforms}); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(w, "%s\t%s\n", n.Text, strings.Join(transforms, ","))
			}
		}
		if errors.Is(rerr, io.EOF) {
			return w.Flush()
		}
		if rerr != nil {
			return rerr
		}
	}
}
