package file

// CSV import: the rows of an export, one post each.
//
// A CSV row has no raw JSON as a platform's API item has: the Raw of its
// post is the row itself as one JSON object, {"header": "value", ...}, in
// the header's order, every value a string exactly as the cell holds it
// (encoding/csv turns a quoted "\r\n" into "\n"), no HTML escaping. That
// canonical object is hashed (RawSHA256) like any other payload, so the
// same row always gives the same Raw. A row that cannot become a post
// goes to the dead-letter topic with its bytes exactly as in the file.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/ingest"
)

// The post fields a CSV column can fill, the keys of Config.Columns.
const (
	fPlatform = iota
	fID
	fAuthorID
	fAuthorHandle
	fAuthorName
	fText
	fCreatedAt
	fURL
	fLang
	fLinks
	numFields
)

// Fields are the keys of Config.Columns, in order.
var Fields = [numFields]string{"platform", "id", "author_id", "author_handle", "author_name", "text", "created_at", "url", "lang", "links"}

func fieldIndex(name string) int {
	for i, f := range Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// A Preset maps the columns of a known export to post fields.
type Preset struct {
	// Platform is the platform of every row, unless Config.Platform says
	// otherwise ("" when the export mixes platforms: then Config.Platform
	// is required).
	Platform string
	// Columns maps post fields (Fields) to the export's header names.
	Columns map[string]string
}

// Presets are the exports the file source knows (`preset:`). Their
// column names follow the documented export fields of each tool as best
// known when this was written; exports change, so `columns` overrides any
// of them, and a preset's column missing from a file is simply not read
// (only the post's id, text and author id are needed). A row's ID, when
// the export has no ID column (CrowdTangle), is taken from its URL: the
// story_fbid, fbid or v query parameter, else the URL's last path
// segment.
var Presets = map[string]Preset{
	// CrowdTangle's historical-data CSV of Facebook posts (CrowdTangle
	// closed in August 2024; its exports remain in archives). "Facebook
	// Id" is the Page's or group's ID; there is no post ID column, and
	// "Post Created" carries a zone abbreviation ("2021-03-01 08:15:00
	// EST").
	"crowdtangle": {Platform: "facebook", Columns: map[string]string{
		"author_id": "Facebook Id", "author_handle": "User Name", "author_name": "Page Name",
		"created_at": "Post Created", "text": "Message", "url": "URL", "links": "Link",
	}},
	// Meta Content Library's CSV download: the API's field names, the
	// post owner's expanded in dot notation. It mixes Facebook and
	// Instagram, so platform is required.
	"meta_content_library": {Columns: map[string]string{
		"id": "id", "text": "text", "created_at": "creation_time",
		"author_id": "post_owner.id", "author_name": "post_owner.name", "author_handle": "post_owner.username",
		"url": "url",
	}},
	// 4CAT's CSV of a dataset (any of its data sources, so platform is
	// required): "author" is a user name, "body" the text, "timestamp"
	// "2006-01-02 15:04:05" in UTC.
	"4cat": {Columns: map[string]string{
		"id": "id", "author_id": "author", "author_handle": "author", "text": "body",
		"created_at": "timestamp", "url": "url",
	}},
}

// csvSpec is a CSV source's checked settings.
type csvSpec struct {
	cols     [numFields]column
	platform string
	layouts  []string // tried in order; "unix" is Unix seconds
	custom   bool     // layouts is time_format
	delim    rune
}

type column struct {
	header   string // "" for none
	required bool   // named in columns: the header must have it
}

var platformRE = regexp.MustCompile(`^[a-z0-9_.-]{1,32}$`)

// defaultLayouts are tried when no time_format is set.
var defaultLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05", // UTC
	"2006-01-02 15:04:05", // UTC
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 MST",
	"unix",
}

func (c *Config) csvSpec() (*csvSpec, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("file source %s: "+format, append([]any{c.Name}, args...)...)
	}
	spec := &csvSpec{platform: c.Platform, delim: ',', layouts: defaultLayouts}
	if c.Preset == "" {
		// A header naming the post fields needs no mapping.
		for i, f := range Fields {
			spec.cols[i] = column{header: f}
		}
	} else {
		p, ok := Presets[c.Preset]
		if !ok {
			return nil, fail("preset %q: want one of %s", c.Preset, strings.Join(slices.Sorted(maps.Keys(Presets)), ", "))
		}
		for f, h := range p.Columns {
			spec.cols[fieldIndex(f)] = column{header: h}
		}
		if spec.platform == "" {
			spec.platform = p.Platform
		}
	}
	for f, h := range c.Columns {
		i := fieldIndex(f)
		switch {
		case i < 0:
			return nil, fail("columns: unknown field %q (want %s)", f, strings.Join(Fields[:], ", "))
		case strings.TrimSpace(h) == "":
			return nil, fail("columns: %s: no header name", f)
		}
		spec.cols[i] = column{header: h, required: true}
	}
	if spec.platform != "" && !platformRE.MatchString(spec.platform) {
		return nil, fail("platform %q: want a short lowercase name (a-z, 0-9, '_', '-', '.'), e.g. facebook", spec.platform)
	}
	if spec.platform == "" && spec.cols[fPlatform].header == "" {
		return nil, fail("set platform (the export has no platform column)")
	}
	switch d := c.Delimiter; d {
	case "":
	case `\t`, "tab":
		spec.delim = '\t'
	default:
		r, n := utf8.DecodeRuneInString(d)
		if n != len(d) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
			return nil, fail("delimiter %q: want one character other than a quote or a line break", d)
		}
		spec.delim = r
	}
	if c.TimeFormat != "" {
		spec.layouts, spec.custom = []string{c.TimeFormat}, true
	}
	return spec, nil
}

func (spec *csvSpec) reader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = spec.delim
	cr.FieldsPerRecord = -1 // checked against the header here
	return cr
}

// csvLayout is a spec applied to one file's header.
type csvLayout struct {
	spec *csvSpec
	idx  [numFields]int // column of each field, -1 for none
	keys []string       // the header names, made unique, for Raw
}

// resolve finds the mapped columns in header. A column named in columns
// must be there; a preset's (or the default) is read when it is.
func (spec *csvSpec) resolve(header []string) (*csvLayout, error) {
	lay := &csvLayout{spec: spec, keys: make([]string, len(header))}
	seen := map[string]int{}
	for i, h := range header {
		seen[h]++
		lay.keys[i] = h
		if n := seen[h]; n > 1 {
			lay.keys[i] = h + "#" + strconv.Itoa(n)
		}
	}
	find := func(name string) int {
		name = strings.TrimSpace(name)
		for i, h := range header {
			if strings.TrimSpace(h) == name {
				return i
			}
		}
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i
			}
		}
		return -1
	}
	for f, col := range spec.cols {
		lay.idx[f] = -1
		if col.header == "" {
			continue
		}
		lay.idx[f] = find(col.header)
		if lay.idx[f] < 0 && col.required {
			return nil, fmt.Errorf("the header has no column %q (columns: %s)", col.header, Fields[f])
		}
	}
	need := func(f int) error {
		if lay.idx[f] >= 0 {
			return nil
		}
		if h := spec.cols[f].header; h != "" {
			return fmt.Errorf("the header has no column %q for %s (map it in columns: {%s: <header name>})", h, Fields[f], Fields[f])
		}
		return fmt.Errorf("no column for %s (map it in columns: {%s: <header name>})", Fields[f], Fields[f])
	}
	for _, f := range []int{fText, fAuthorID} {
		if err := need(f); err != nil {
			return nil, err
		}
	}
	if lay.idx[fID] < 0 && lay.idx[fURL] < 0 {
		if err := need(fID); err != nil {
			return nil, fmt.Errorf("%w, or a url column to take the id from", err)
		}
	}
	if lay.idx[fPlatform] < 0 && spec.platform == "" {
		return nil, fmt.Errorf("the header has no platform column %q: set platform", spec.cols[fPlatform].header)
	}
	return lay, nil
}

// runCSV reads the rows after the header, from the cursor on.
func (s *Source) runCSV(ctx context.Context, f file, out chan<- ingest.Item) error {
	where := fmt.Sprintf("file source %s: %s", s.cfg.Name, s.cfg.Path)
	// A spreadsheet's byte order mark, before the header's first quote,
	// is not the header's.
	br := bufio.NewReader(f)
	bom := 0
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		bom, _ = br.Discard(3)
	}
	hr := s.csv.reader(br)
	header, err := hr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil // an empty file: nothing to read
	case err != nil:
		return fmt.Errorf("%s: header row: %w", where, err)
	}
	lay, err := s.csv.resolve(header)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	start, err := s.saved(ctx, f)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	start = max(start, int64(bom)+hr.InputOffset())
	// Count the lines before start (so that a row's origin is its line
	// after a resume too), leaving f at start.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	lines, err := countLines(io.LimitReader(f, start))
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	s.acked.Store(start)
	stopSaving := s.saveEvery(ctx, time.Second)
	defer stopSaving()

	rec := &recorder{r: f, base: start, max: MaxLineBytes + 1<<16}
	r := s.csv.reader(rec)
	prev, lastLine := start, lines
	for {
		row, err := r.Read()
		end := start + r.InputOffset()
		var it ingest.Item
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &pe):
			it = ingest.Item{Err: &event.ValidationError{Reason: "malformed CSV: " + pe.Err.Error(), Kind: event.KindMalformed}}
			lastLine = lines + pe.StartLine
		case err != nil:
			return fmt.Errorf("%s: after line %d: %w", where, lastLine, err)
		default:
			line, _ := r.FieldPos(0)
			lastLine = lines + line
			it = lay.item(row, s.cfg.Limits)
		}
		payload := rec.take(prev, end, it.Err != nil)
		prev = end
		it.Origin = "file:" + s.cfg.Path + ":" + strconv.Itoa(lastLine)
		it.Ack = func() { s.ackTo(end) }
		if it.Err != nil {
			// The row's bytes, without the blank lines before it.
			it.Payload = bytes.TrimLeft(bytes.TrimRight(payload, "\r\n"), "\r\n")
		}
		select {
		case out <- it:
		case <-ctx.Done():
			return nil
		}
	}
}

// item turns one row into a post, or a bad item (Err set; the caller
// adds the payload).
func (lay *csvLayout) item(row []string, lim event.Limits) ingest.Item {
	bad := func(err error) ingest.Item { return ingest.Item{Err: err} }
	if len(row) != len(lay.keys) {
		return bad(&event.ValidationError{Reason: fmt.Sprintf("malformed CSV: %d fields, the header has %d", len(row), len(lay.keys)), Kind: event.KindMalformed})
	}
	for i, v := range row {
		if !utf8.ValidString(v) {
			return bad(&event.ValidationError{Reason: fmt.Sprintf("column %q: not valid UTF-8", lay.keys[i]), Kind: event.KindEncoding})
		}
	}
	get := func(f int) string {
		if lay.idx[f] < 0 {
			return ""
		}
		return row[lay.idx[f]]
	}
	p := event.Post{
		Platform: strings.ToLower(strings.TrimSpace(get(fPlatform))),
		ID:       strings.TrimSpace(get(fID)),
		Author: event.Author{
			ID:     strings.TrimSpace(get(fAuthorID)),
			Handle: strings.TrimSpace(get(fAuthorHandle)),
			Name:   strings.TrimSpace(get(fAuthorName)),
		},
		Text: get(fText),
		URL:  strings.TrimSpace(get(fURL)),
		Lang: strings.TrimSpace(get(fLang)),
		Links: strings.FieldsFunc(get(fLinks), func(r rune) bool {
			return r == ',' || unicode.IsSpace(r)
		}),
	}
	if len(p.Links) == 0 {
		p.Links = nil
	}
	if p.Platform == "" {
		p.Platform = lay.spec.platform
	}
	if lay.idx[fID] < 0 {
		p.ID = idFromURL(p.URL)
	}
	if v := strings.TrimSpace(get(fCreatedAt)); v != "" {
		t, err := lay.spec.parseTime(v)
		if err != nil {
			return bad(&event.ValidationError{Field: "created_at", Reason: err.Error(), Kind: event.KindInvalid})
		}
		p.CreatedAt = t.UTC()
	}
	p.Raw = encodeRow(lay.keys, row)
	p.RawSHA256 = event.SHA256Hex(p.Raw)
	if err := p.Validate(lim, time.Now()); err != nil {
		return bad(err)
	}
	return ingest.Item{Post: p}
}

// encodeRow returns the row as a JSON object in the header's order.
func encodeRow(keys, row []string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	str := func(s string) {
		enc.Encode(s) // a string always encodes
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		str(k)
		b.WriteByte(':')
		str(row[i])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// idFromURL is the post ID in a permalink: its story_fbid, fbid or v
// parameter (Facebook's permalink.php, photo.php, watch), else its last
// path segment (.../posts/<id>).
func idFromURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return ""
	}
	q := u.Query()
	for _, k := range []string{"story_fbid", "fbid", "v"} {
		if v := q.Get(k); v != "" {
			return v
		}
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if len(segs) == 0 {
		return ""
	}
	return segs[len(segs)-1]
}

// zones are the offsets of the zone abbreviations the exports write
// (CrowdTangle's are its dashboard's zone). Go reads an abbreviation
// unknown to the local zone as UTC, which would shift the time silently;
// one not here is refused. CST is the US Central zone.
var zones = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"WET": 0, "WEST": 3600, "CET": 3600, "CEST": 2 * 3600, "EET": 2 * 3600, "EEST": 3 * 3600,
	"MMT": 6*3600 + 1800, "ICT": 7 * 3600, "WIB": 7 * 3600, "SGT": 8 * 3600, "HKT": 8 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600, "AEST": 10 * 3600, "AEDT": 11 * 3600,
}

func (spec *csvSpec) parseTime(v string) (time.Time, error) {
	var zoneErr error
	for _, layout := range spec.layouts {
		if layout == "unix" {
			if t, ok := parseUnix(v); ok {
				return t, nil
			}
			continue
		}
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if strings.Contains(layout, "MST") {
			name, off := t.Zone()
			want, known := zones[strings.ToUpper(name)]
			switch {
			case known && want != off:
				t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone(name, want))
			case !known && off == 0:
				zoneErr = fmt.Errorf("%q: unknown time zone abbreviation %q (set time_format with a numeric offset, -0700)", v, name)
				continue
			}
		}
		return t, nil
	}
	switch {
	case zoneErr != nil:
		return time.Time{}, zoneErr
	case spec.custom:
		return time.Time{}, fmt.Errorf("%q does not match time_format %q", v, spec.layouts[0])
	}
	return time.Time{}, fmt.Errorf("%q is not a time in a known format (RFC 3339, \"2006-01-02 15:04:05\" in UTC, Unix seconds; set time_format)", v)
}

// parseUnix reads Unix seconds, with a fraction or not; twelve digits or
// more are milliseconds (seconds would be past the year 5000).
func parseUnix(v string) (time.Time, bool) {
	intPart, frac, _ := strings.Cut(v, ".")
	if intPart == "" || strings.Trim(intPart, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, false
	}
	if len(intPart) >= 12 {
		return time.UnixMilli(int64(f)).UTC(), true
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
}

// countLines counts the newlines r holds.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// recorder keeps the bytes read through it from base on, so that a row's
// bytes can be taken once the CSV reader has passed them, and refuses to
// hold more than max (a row that long is an unclosed quote).
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64 // offset of buf[0]
	max  int
}

var errRowTooLong = errors.New("a CSV row runs over the size limit (an unclosed quote?)")

func (rc *recorder) Read(p []byte) (int, error) {
	if len(rc.buf) > rc.max {
		return 0, errRowTooLong
	}
	n, err := rc.r.Read(p)
	rc.buf = append(rc.buf, p[:n]...)
	return n, err
}

// take forgets the bytes before to, returning (with keep) those from
// from on.
func (rc *recorder) take(from, to int64, keep bool) []byte {
	from = max(from, rc.base)
	if to < from || to-rc.base > int64(len(rc.buf)) {
		return nil
	}
	var out []byte
	if keep {
		out = bytes.Clone(rc.buf[from-rc.base : to-rc.base])
	}
	rc.buf = rc.buf[to-rc.base:]
	rc.base = to
	return out
}
