package zawgyi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The model file is big-endian throughout:
//
//	int64  magic "UZMODEL "
//	int32  version (1 or 2)
//	int32  state set (version 2 only): 0 = U+2000..U+200B are states, 1 = they are not
//	int64  magic "BMARKOV "
//	int32  Markov version (0)
//	int16  N, the number of states
//	N rows, each:
//	  int16 entry count E
//	  if E > 0: float32 default for the row, then E pairs (int16 column, float32 value)
//
// Columns within a row are strictly increasing, as in every file upstream ships.
const (
	modelMagic    = 0x555A4D4F44454C20 // "UZMODEL "
	markovMagic   = 0x424D41524B4F5620 // "BMARKOV "
	markovVersion = 0
)

// Errors a malformed model file can produce, wrapped in a *FormatError that
// says where in the file the problem was found. Test with errors.Is.
var (
	ErrTruncated = errors.New("truncated")
	ErrMagic     = errors.New("wrong magic")
	ErrVersion   = errors.New("unsupported version")
	ErrCorrupt   = errors.New("corrupt")
)

// FormatError reports a model file that cannot be parsed.
type FormatError struct {
	Offset int    // byte offset of the field that failed
	Field  string // what was being read there
	Detail string // optional specifics, such as the value found
	Err    error  // one of ErrTruncated, ErrMagic, ErrVersion, ErrCorrupt
}

func (e *FormatError) Error() string {
	msg := fmt.Sprintf("zawgyi model: %s at offset %d: %v", e.Field, e.Offset, e.Err)
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *FormatError) Unwrap() error { return e.Err }

// decoder reads big-endian fields from a byte slice and remembers the first
// failure, so the parser can read a block and check once.
type decoder struct {
	b   []byte
	off int
	row int // Markov row being read, or -1 in the headers
	err error
}

func (d *decoder) fail(field string, err error, detail string, args ...any) {
	if d.err != nil {
		return
	}
	if d.row >= 0 {
		field = fmt.Sprintf("row %d %s", d.row, field)
	}
	fe := &FormatError{Offset: d.off, Field: field, Err: err}
	if detail != "" {
		fe.Detail = fmt.Sprintf(detail, args...)
	}
	d.err = fe
}

func (d *decoder) take(field string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.off < n {
		d.fail(field, ErrTruncated, "need %d bytes, have %d", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) uint64(field string) uint64 {
	if p := d.take(field, 8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) int32(field string) int32 {
	if p := d.take(field, 4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

func (d *decoder) int16(field string) int16 {
	if p := d.take(field, 2); p != nil {
		return int16(binary.BigEndian.Uint16(p))
	}
	return 0
}

// float32 reads a log-odds value and rejects NaN and infinities, which would
// let Probability return NaN.
func (d *decoder) float32(field string) float32 {
	start := d.off
	p := d.take(field, 4)
	if p == nil {
		return 0
	}
	f := math.Float32frombits(binary.BigEndian.Uint32(p))
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		d.off = start
		d.fail(field, ErrCorrupt, "non-finite value %v", f)
		return 0
	}
	return f
}

// ParseModel parses a model file in the format of upstream's
// zawgyiUnicodeModel.dat. It returns a *FormatError for a file that is
// truncated, has a wrong magic number or version, is internally
// inconsistent, or has bytes after the Markov block.
func ParseModel(data []byte) (*Model, error) {
	d := &decoder{b: data, row: -1}

	if magic := d.uint64("model magic"); d.err == nil && magic != modelMagic {
		d.off -= 8
		d.fail("model magic", ErrMagic, "got %#016x, want %#016x (%q)", magic, uint64(modelMagic), "UZMODEL ")
	}
	version := d.int32("model version")
	punctStates := true // version 1: U+2000..U+200B are states
	switch {
	case d.err != nil:
	case version == 1:
	case version == 2:
		switch set := d.int32("state set"); {
		case d.err != nil:
		case set == 0:
		case set == 1:
			punctStates = false
		default:
			d.off -= 4
			d.fail("state set", ErrVersion, "got %d, want 0 or 1", set)
		}
	default:
		d.off -= 4
		d.fail("model version", ErrVersion, "got %d, want 1 or 2", version)
	}

	if magic := d.uint64("Markov magic"); d.err == nil && magic != markovMagic {
		d.off -= 8
		d.fail("Markov magic", ErrMagic, "got %#016x, want %#016x (%q)", magic, uint64(markovMagic), "BMARKOV ")
	}
	if v := d.int32("Markov version"); d.err == nil && v != markovVersion {
		d.off -= 4
		d.fail("Markov version", ErrVersion, "got %d, want %d", v, markovVersion)
	}
	n := int(d.int16("state count"))
	want := numStates(punctStates)
	if d.err == nil && n != want {
		d.off -= 2
		d.fail("state count", ErrCorrupt, "got %d, want %d for this state set", n, want)
	}
	if d.err != nil {
		return nil, d.err
	}

	delta := make([]float32, n*n)
	for row := range n {
		d.row = row
		entries := int(d.int16("entry count"))
		if d.err == nil && (entries < 0 || entries > n) {
			d.off -= 2
			d.fail("entry count", ErrCorrupt, "got %d, want 0..%d", entries, n)
		}
		if d.err != nil {
			return nil, d.err
		}
		if entries == 0 {
			continue // all zero
		}
		cells := delta[row*n : (row+1)*n]
		def := d.float32("default")
		for i := range cells {
			cells[i] = def
		}
		prev := -1
		for range entries {
			col := int(d.int16("column"))
			if d.err == nil && (col <= prev || col >= n) {
				d.off -= 2
				d.fail("column", ErrCorrupt, "got %d, want %d..%d in increasing order", col, prev+1, n-1)
			}
			v := d.float32("value")
			if d.err != nil {
				return nil, d.err
			}
			cells[col] = v
			prev = col
		}
	}
	d.row = -1
	if d.off != len(data) {
		d.fail("end of Markov block", ErrCorrupt, "%d trailing bytes", len(data)-d.off)
		return nil, d.err
	}

	// Transitions from 0 to 0 are not scored; a zero here lets the hot loop
	// add every transition without a branch.
	delta[0] = 0
	return &Model{n: n, punctStates: punctStates, delta: delta}, nil
}
