// Package file is the file source: posts as JSON Lines (the import format
// of DESIGN.md), read from a file once or followed as it grows, or rows of
// a CSV export (a research tool's, or any with a header row) mapped to
// posts column by column. Its cursor is the byte offset after the last
// line or row made durable, so a restart resumes where it stopped.
package file

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
)

// MaxLineBytes is the longest line read whole. A longer line is reported
// (its first bytes go to the dead-letter topic) and skipped.
const MaxLineBytes = 16 << 20

// Config configures one file source.
type Config struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
	// Format is "jsonl" (JSON Lines, the import format) or "csv"; the
	// default follows the extension: .csv is csv, anything else jsonl.
	Format string `yaml:"format"`
	// Follow keeps reading as the file grows, polling every Poll (JSON
	// Lines only).
	Follow bool          `yaml:"follow"`
	Poll   time.Duration `yaml:"poll"`

	// CSV only: see csv.go.

	// Preset maps the columns of a known export: crowdtangle,
	// meta_content_library or 4cat.
	Preset string `yaml:"preset"`
	// Columns maps post fields (platform, id, author_id, author_handle,
	// author_name, text, created_at, url, lang, links) to header names,
	// over the preset's.
	Columns map[string]string `yaml:"columns"`
	// Platform is the platform of every row that has no platform column
	// (or an empty cell there): an export from one platform.
	Platform string `yaml:"platform"`
	// TimeFormat is the Go layout of created_at ("unix" for Unix
	// seconds); by default RFC 3339, "2006-01-02 15:04:05" (UTC) and a
	// few more, and Unix seconds are tried.
	TimeFormat string `yaml:"time_format"`
	// Delimiter separates the fields; default ",".
	Delimiter string `yaml:"delimiter"`

	// Limits bound each post.
	Limits event.Limits `yaml:"-"`
	// FS, when set, is where Path is opened (the demo data embedded in
	// the binary); nil means the operating system's files.
	FS fs.FS `yaml:"-"`
}

// file is what Run needs of an open file: *os.File and the files of an
// embed.FS both have it.
type file interface {
	io.ReadSeeker
	Stat() (fs.FileInfo, error)
	Close() error
}

func (c *Config) open() (file, error) {
	if c.FS == nil {
		return os.Open(c.Path)
	}
	f, err := c.FS.Open(c.Path)
	if err != nil {
		return nil, err
	}
	if rs, ok := f.(file); ok {
		return rs, nil
	}
	f.Close()
	return nil, fmt.Errorf("%s: not seekable", c.Path)
}

// Validate checks the config.
func (c *Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("file source: name is required")
	case c.Path == "":
		return fmt.Errorf("file source %s: path is required", c.Name)
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	switch c.Format {
	case "":
		c.Format = FormatJSONL
		if strings.EqualFold(path.Ext(c.Path), ".csv") {
			c.Format = FormatCSV
		}
	case FormatJSONL, FormatCSV:
	default:
		return fmt.Errorf("file source %s: format %q: want jsonl or csv", c.Name, c.Format)
	}
	if c.Format == FormatJSONL {
		if c.Preset != "" || len(c.Columns) > 0 || c.Platform != "" || c.TimeFormat != "" || c.Delimiter != "" {
			return fmt.Errorf("file source %s: preset, columns, platform, time_format and delimiter are for format csv, and %s is read as jsonl (set format: csv)", c.Name, c.Path)
		}
		return nil
	}
	if c.Follow {
		return fmt.Errorf("file source %s: follow is for JSON Lines; a CSV export is read whole (restart to read rows appended since: the cursor resumes after the last row)", c.Name)
	}
	_, err := c.csvSpec()
	return err
}

// The formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Source reads posts from a JSON Lines or CSV file.
type Source struct {
	cfg     Config
	csv     *csvSpec // format csv
	cursors ingest.Cursors
	acked   atomic.Int64 // offset after the last acknowledged line
	saveMu  sync.Mutex
}

// New returns a file source; cursors may be nil (always start at the top).
func New(cfg Config, cursors ingest.Cursors) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, cursors: cursors}
	if cfg.Format == FormatCSV {
		spec, err := cfg.csvSpec()
		if err != nil {
			return nil, err
		}
		s.csv = spec
	}
	return s, nil
}

// Name implements ingest.Source.
func (s *Source) Name() string { return s.cfg.Name }

func (s *Source) cursorKey() string { return "file:" + s.cfg.Name }

// Run implements ingest.Source.
func (s *Source) Run(ctx context.Context, out chan<- ingest.Item) error {
	f, err := s.cfg.open()
	if err != nil {
		return fmt.Errorf("file source %s: %w", s.cfg.Name, err)
	}
	defer f.Close()
	if s.csv != nil {
		return s.runCSV(ctx, f, out)
	}
	start, err := s.resume(ctx, f)
	if err != nil {
		return err
	}
	s.acked.Store(start)
	stopSaving := s.saveEvery(ctx, time.Second)
	defer stopSaving()

	r := bufio.NewReaderSize(f, 1<<20)
	offset, line := start, 0
	if start > 0 {
		line = -1 // line numbers are unknown after a resume
	}
	for {
		b, n, err := readLine(r)
		if errors.Is(err, io.EOF) && n > 0 && s.cfg.Follow {
			// A line still being written: wait for its newline.
			if _, err := f.Seek(offset, io.SeekStart); err != nil {
				return fmt.Errorf("file source %s: %w", s.cfg.Name, err)
			}
			r.Reset(f)
			n = 0
		}
		if n > 0 {
			offset += int64(n)
			if line >= 0 {
				line++
			}
			if it, ok := s.item(b, n, line, offset); ok {
				select {
				case out <- it:
				case <-ctx.Done():
					return nil
				}
			} else {
				s.ackTo(offset) // blank line: nothing to wait for
			}
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF) && s.cfg.Follow:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(s.cfg.Poll):
			}
		case errors.Is(err, io.EOF):
			return nil
		default:
			return fmt.Errorf("file source %s: read: %w", s.cfg.Name, err)
		}
	}
}

// item turns one line into an item. ok is false for a blank line.
func (s *Source) item(b []byte, n, line int, end int64) (ingest.Item, bool) {
	origin := "file:" + s.cfg.Path + ":" + strconv.Itoa(line)
	if line < 0 {
		origin = "file:" + s.cfg.Path + "@" + strconv.FormatInt(end-int64(n), 10)
	}
	it := ingest.Item{Origin: origin, Ack: func() { s.ackTo(end) }}
	if n > MaxLineBytes {
		it.Err = &event.ValidationError{Reason: fmt.Sprintf("line of %d bytes, over the limit of %d", n, MaxLineBytes), Kind: event.KindTooLarge}
		it.Payload = b
		return it, true
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return it, false
	}
	p, err := event.ParsePost(b, s.cfg.Limits)
	if err != nil {
		it.Err, it.Payload = err, b
		return it, true
	}
	it.Post = p
	return it, true
}

func (s *Source) ackTo(off int64) {
	for {
		cur := s.acked.Load()
		if off <= cur || s.acked.CompareAndSwap(cur, off) {
			return
		}
	}
}

// resume seeks to the saved cursor; a file now shorter than the cursor
// was replaced, and is read from the top.
func (s *Source) resume(ctx context.Context, f file) (int64, error) {
	off, err := s.saved(ctx, f)
	if err != nil || off == 0 {
		return 0, err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return off, nil
}

// saved returns the saved cursor, 0 when there is none or the file is now
// shorter than it.
func (s *Source) saved(ctx context.Context, f file) (int64, error) {
	if s.cursors == nil {
		return 0, nil
	}
	v, ok, err := s.cursors.Get(ctx, s.cursorKey())
	if err != nil || !ok {
		return 0, err
	}
	off, err := strconv.ParseInt(v, 10, 64)
	if err != nil || off < 0 {
		return 0, nil
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if off > st.Size() {
		return 0, nil
	}
	return off, nil
}

// saveEvery persists the acknowledged offset every d and once more when
// stopped.
func (s *Source) saveEvery(ctx context.Context, d time.Duration) (stop func()) {
	if s.cursors == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.Save(context.WithoutCancel(ctx))
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		s.Save(context.WithoutCancel(ctx))
	}
}

// Save persists the acknowledged offset now. The ingester calls it after
// the final flush, so that a clean stop loses no position.
func (s *Source) Save(ctx context.Context) error {
	if s.cursors == nil {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return s.cursors.Set(ctx, s.cursorKey(), strconv.FormatInt(s.acked.Load(), 10))
}

// readLine reads one line (without its newline). n is the number of bytes
// consumed including the newline. A line longer than MaxLineBytes is
// consumed whole, but only its first MaxLineBytes are returned.
func readLine(r *bufio.Reader) (line []byte, n int, err error) {
	var buf []byte
	for {
		frag, err := r.ReadSlice('\n')
		n += len(frag)
		if len(buf)+len(frag) <= MaxLineBytes+1 {
			buf = append(buf, frag...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		if err != nil && n > 0 && errors.Is(err, io.EOF) {
			return buf, n, io.EOF
		}
		return buf, n, err
	}
}
