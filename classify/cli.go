package classify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/vigilhq/vigil/event"
)

// DefaultMaxLineBytes is the longest input line RunCLI reads; a longer line
// is reported and skipped.
const DefaultMaxLineBytes = 16 << 20

// CLIOptions configure RunCLI.
type CLIOptions struct {
	// All writes a verdict for every valid post, not only flagged ones.
	All bool
	// Limits bound each post (event.ParsePost). Zero means
	// event.DefaultLimits.
	Limits event.Limits
	// Workers classify posts in parallel. Default GOMAXPROCS.
	Workers int
	// MaxLineBytes is the longest line read. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// CLISummary counts what RunCLI did.
type CLISummary struct {
	// Read counts the non-blank lines read.
	Read int
	// Flagged counts the flagged posts.
	Flagged int
	// Invalid counts the lines that were not a valid post.
	Invalid int
}

// cliVerdict is one line of `vigil classify` output: a contract (see
// DESIGN.md), so its fields and their order do not change. Fields added
// since are at the end, and only present when not empty.
type cliVerdict struct {
	Platform   string     `json:"platform"`
	ID         string     `json:"id"`
	Flagged    bool       `json:"flagged"`
	Score      float64    `json:"score"`
	Categories []string   `json:"categories"`
	Matches    []cliMatch `json:"matches"`
	Lists      []string   `json:"lists"`
	// Groups and Regions are the verdict's: the target groups and the
	// gazetteer regions the post names.
	Groups  []string `json:"groups,omitempty"`
	Regions []string `json:"regions,omitempty"`
}

type cliMatch struct {
	TermID   string `json:"term_id"`
	Category string `json:"category"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
}

// RunCLI is `vigil classify`: it reads posts as JSON Lines from in and
// writes one verdict per line to out, in input order; only flagged posts
// unless opt.All. A line that is not a valid post is reported on errOut as
// "line N: reason" and skipped. Posts are classified in parallel.
//
// It returns an error only when it cannot go on (reading in or writing out
// failed, or ctx ended), with the summary of what was done until then;
// invalid lines are counted in the summary, not returned as an error.
// When ctx ends, RunCLI returns without waiting for a Read on in that is
// blocked.
func RunCLI(ctx context.Context, c *Classifier, in io.Reader, out, errOut io.Writer, opt CLIOptions) (CLISummary, error) {
	var sum CLISummary
	if c == nil {
		return sum, errors.New("classify: no classifier")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.MaxLineBytes <= 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	ctx, cancel := context.WithCancel(ctx)

	// The reader hands each line to the workers and, in the same order, to
	// the writer, which waits for each line's result in turn: output keeps
	// input order, and at most len(order) lines are in flight.
	order := make(chan *cliJob, 2*opt.Workers)
	work := make(chan *cliJob, opt.Workers)
	go readLines(ctx, in, opt.MaxLineBytes, order, work)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // before wg.Wait: stop the workers
	for range opt.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j, ok := <-work:
					if !ok {
						return
					}
					j.done <- c.cliLine(j, opt)
				}
			}
		})
	}

	w := bufio.NewWriter(out)
	for {
		var j *cliJob
		select {
		case <-ctx.Done():
			return sum, flushed(w, ctx.Err())
		case j = <-order:
		}
		if j == nil {
			return sum, flushed(w, ctx.Err())
		}
		if j.err != nil {
			return sum, flushed(w, fmt.Errorf("read posts: line %d: %w", j.n, j.err))
		}
		var r cliResult
		select {
		case <-ctx.Done():
			return sum, flushed(w, ctx.Err())
		case r = <-j.done:
		}
		sum.Read++
		if r.reason != "" {
			sum.Invalid++
			if _, err := fmt.Fprintf(errOut, "line %d: %s\n", j.n, r.reason); err != nil {
				return sum, flushed(w, fmt.Errorf("report invalid line: %w", err))
			}
			continue
		}
		if r.flagged {
			sum.Flagged++
		}
		if _, err := w.Write(r.out); err != nil {
			return sum, fmt.Errorf("write verdict: %w", err)
		}
		// Flush whenever the workers have nothing ready, so that a reader
		// of a slow stream sees verdicts as they come.
		if len(order) == 0 {
			if err := w.Flush(); err != nil {
				return sum, fmt.Errorf("write verdict: %w", err)
			}
		}
	}
}

// flushed flushes w and returns err, or the flush's error when err is nil.
func flushed(w *bufio.Writer, err error) error {
	if ferr := w.Flush(); ferr != nil && err == nil {
		return fmt.Errorf("write verdict: %w", ferr)
	}
	return err
}

// cliJob is one input line on its way through RunCLI.
type cliJob struct {
	n       int // line number, from 1
	line    []byte
	tooLong bool
	err     error // a read error: the last job
	done    chan cliResult
}

type cliResult struct {
	out     []byte // the verdict line, nil when not written
	flagged bool
	reason  string // why the line is not a valid post
}

// cliLine parses, classifies and encodes one line.
func (c *Classifier) cliLine(j *cliJob, opt CLIOptions) cliResult {
	if j.tooLong {
		return cliResult{reason: fmt.Sprintf("longer than %d bytes", opt.MaxLineBytes)}
	}
	p, err := event.ParsePost(j.line, opt.Limits)
	if err != nil {
		return cliResult{reason: err.Error()}
	}
	v := c.Classify(&p)
	if !v.Flagged && !opt.All {
		return cliResult{}
	}
	out := cliVerdict{
		Platform: v.Post.Platform, ID: v.Post.ID, Flagged: v.Flagged, Score: v.Score,
		Categories: v.Categories, Matches: []cliMatch{}, Lists: []string{},
		Groups: v.Groups, Regions: v.Regions,
	}
	if out.Categories == nil {
		out.Categories = []string{}
	}
	for _, m := range v.Matches {
		cm := cliMatch{TermID: m.TermID, Category: m.Category, Start: m.Start, End: m.End}
		// A match that fed two rules is in v.Matches twice; once here.
		if n := len(out.Matches); n > 0 && out.Matches[n-1] == cm {
			continue
		}
		out.Matches = append(out.Matches, cm)
	}
	for _, l := range v.Lists {
		out.Lists = append(out.Lists, l.List)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return cliResult{reason: fmt.Sprintf("encode verdict: %v", err)}
	}
	return cliResult{out: b.Bytes(), flagged: v.Flagged}
}

// readLines reads in line by line and sends each non-blank line to order
// and then to work, closing both at the end. A read error is sent to order
// as a last job.
func readLines(ctx context.Context, in io.Reader, maxLine int, order, work chan<- *cliJob) {
	defer close(order)
	defer close(work)
	r := bufio.NewReaderSize(in, 64<<10)
	for n := 1; ; n++ {
		line, tooLong, err := readLine(r, maxLine)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			j := &cliJob{n: n, line: line, tooLong: tooLong, done: make(chan cliResult, 1)}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				select {
				case order <- &cliJob{n: n, err: err}:
				case <-ctx.Done():
				}
			}
			return
		}
	}
}

// readLine reads one line without its "\n". A line longer than max is
// consumed to its end and reported as tooLong, without its content, so
// that memory stays bounded whatever the input.
func readLine(r *bufio.Reader, max int) (line []byte, tooLong bool, err error) {
	for {
		frag, err := r.ReadSlice('\n')
		if !tooLong {
			content := bytes.TrimSuffix(frag, []byte("\n"))
			if len(line)+len(content) > max {
				tooLong, line = true, nil
			} else {
				line = append(line, content...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return line, tooLong, err
		default:
			return line, tooLong, nil
		}
	}
}
