package api

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/vigilhq/vigil/event"
)

// query reads a request's query parameters strictly: an unknown or
// repeated parameter, or a value that does not parse, is an EINVALID error
// that names the parameter, so that a script with a typo in it
// (?flaged=true) is told instead of silently getting everything. An empty
// value counts as absent.
type query struct {
	values url.Values
	err    error
}

func parseQuery(r *http.Request, known ...string) *query {
	q := &query{}
	q.values, q.err = url.ParseQuery(r.URL.RawQuery)
	if q.err != nil {
		q.err = event.Errorf(event.EINVALID, "malformed query string")
		return q
	}
	// Sorted, so that the error names the same parameter every time.
	for _, name := range slices.Sorted(maps.Keys(q.values)) {
		switch {
		case !slices.Contains(known, name):
			q.fail("unknown query parameter %q", name)
		case len(q.values[name]) > 1:
			q.fail("%s: given more than once", name)
		}
	}
	return q
}

func (q *query) fail(format string, args ...any) {
	if q.err == nil {
		q.err = event.Errorf(event.EINVALID, format, args...)
	}
}

func (q *query) string(name string) string { return q.values.Get(name) }

// int returns the parameter as an integer in [min, max], or 0 when absent.
func (q *query) int(name string, min, max int) int {
	v := q.values.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		q.fail("%s: %q is not a whole number from %d to %d", name, v, min, max)
		return 0
	}
	return n
}

// int64 returns the parameter as a non-negative int64, or 0 when absent.
func (q *query) int64(name string) int64 {
	v := q.values.Get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		q.fail("%s: %q is not a cursor returned as next by this API", name, v)
		return 0
	}
	return n
}

// bool accepts exactly "true" or "false"; absent is false.
func (q *query) bool(name string) bool {
	switch v := q.values.Get(name); v {
	case "", "false":
		return false
	case "true":
		return true
	default:
		q.fail("%s: %q is neither true nor false", name, v)
		return false
	}
}

// oneOf returns the parameter when it is one of allowed (or absent).
func (q *query) oneOf(name string, allowed ...string) string {
	v := q.values.Get(name)
	if v != "" && !slices.Contains(allowed, v) {
		q.fail("%s: %q is not one of %v", name, v, allowed)
	}
	return v
}
