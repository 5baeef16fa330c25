// Package yamlfile reads the classifier's YAML data files (lexicons,
// gazetteers) node by node rather than by decoding into structs, so that
// every problem, an unknown or misspelt key included, is reported with its
// file and line, and one problem does not hide the next. It is to the YAML
// files what package csvfile is to the CSV lists.
package yamlfile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/classify/problem"
)

// Reader collects the problems of one file.
type Reader struct {
	// File names the file in problems.
	File  string
	Probs problem.List
}

// Add records a problem at line (0: the file as a whole).
func (r *Reader) Add(line int, format string, args ...any) {
	r.Probs.Add(r.File, line, format, args...)
}

// Document decodes data, which must hold exactly one YAML document, and
// returns its top node, or nil when there is none (reported). kind names
// the file in messages ("lexicon"); empty says what an empty file should
// hold ("a lexicon with name, version, categories and terms").
func (r *Reader) Document(data []byte, kind, empty string) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.Add(0, "empty file: want %s", empty)
		} else {
			r.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		r.Add(extra.Line, "a second YAML document: a %s file holds one", kind)
	case !errors.Is(err, io.EOF):
		r.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		r.Add(doc.Line, "not a YAML document")
		return nil
	}
	return doc.Content[0]
}

// yamlSyntax matches yaml.v3's syntax errors, "yaml: line 3: message".
var yamlSyntax = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (r *Reader) yamlError(err error) {
	if m := yamlSyntax.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		r.Add(line, "%s", m[2])
		return
	}
	r.Add(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// Ref reads name or version: required, and free of the characters that
// separate them in a verdict's "name@version,name@version".
func (r *Reader) Ref(m map[string]*yaml.Node, key string, line int) string {
	n := m[key]
	s, ok := r.Str(n, key)
	switch {
	case n == nil:
		r.Add(line, "%s is required", key)
	case !ok:
		return ""
	case s == "":
		r.Add(n.Line, "%s is required", key)
	case strings.ContainsAny(s, ",@ \t\n"):
		r.Add(n.Line, "%s %q must not contain spaces, ',' or '@'", key, s)
	}
	return s
}

// List returns the items of the sequence under key.
func (r *Reader) List(m map[string]*yaml.Node, key string, line int, required bool) []*yaml.Node {
	n, ok := m[key]
	if !ok {
		if required {
			r.Add(line, "%s is required", key)
		}
		return nil
	}
	switch {
	case IsNull(n):
		return nil
	case n.Kind != yaml.SequenceNode:
		r.Add(n.Line, "%s must be a list", key)
		return nil
	}
	return n.Content
}

// ID reads the id of a category, term, rule or place: required, without
// spaces or ','.
func (r *Reader) ID(m map[string]*yaml.Node, what string, line int) (string, bool) {
	n := m["id"]
	id, isText := r.Str(n, what+": id")
	switch {
	case n != nil && !isText:
		return "", false
	case id == "":
		r.Add(LineOr(n, line), "%s: id is required", what)
		return "", false
	case strings.ContainsAny(id, " \t\n,"):
		r.Add(n.Line, "%s: id %q must not contain spaces or ','", what, id)
		return "", false
	}
	return id, true
}

// Fields checks that n is a mapping whose keys are all allowed and appear
// once, and returns the values by key; nil when n is not a mapping.
func (r *Reader) Fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	n = Deref(n)
	if n.Kind != yaml.MappingNode {
		r.Add(n.Line, "%s must be a mapping, got %s", what, Show(n))
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := Deref(n.Content[i]), Deref(n.Content[i+1])
		switch _, dup := m[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			r.Add(k.Line, "a key in %s is not a string", what)
		case !slices.Contains(allowed, k.Value):
			r.Add(k.Line, "unknown key %q in %s", k.Value, what)
		case dup:
			r.Add(k.Line, "duplicate key %q in %s", k.Value, what)
		default:
			m[k.Value] = v
		}
	}
	return m
}

// Str reads a scalar as text, trimmed. A number or date is taken as
// written (version: 2026-11-26 needs no quotes); null is "". ok is false
// when n is absent or not a scalar (reported).
func (r *Reader) Str(n *yaml.Node, what string) (string, bool) {
	switch {
	case n == nil:
		return "", false
	case IsNull(n):
		return "", true
	case n.Kind != yaml.ScalarNode:
		r.Add(n.Line, "%s must be text, got %s", what, Show(n))
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// Strings reads a list of non-empty texts; an empty entry is reported and
// kept as "".
func (r *Reader) Strings(n *yaml.Node, what string) []string {
	if n == nil || IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.Add(n.Line, "%s must be a list, got %s", what, Show(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		e = Deref(e)
		s, ok := r.Str(e, what)
		if ok && s == "" {
			r.Add(e.Line, "%s: entry %d is empty", what, i+1)
		}
		out = append(out, s)
	}
	return out
}

// Deref follows aliases to the node they name.
func Deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// WholeNumber decodes an integer; yaml.v3 would truncate 2.5 into 2.
func WholeNumber(n *yaml.Node, out *int) bool {
	var f float64
	if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return false
	}
	*out = int(f)
	return true
}

// IsNull reports an explicit null (~, null or nothing after the key).
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// IsAbsent reports a key that is missing or null.
func IsAbsent(n *yaml.Node) bool { return n == nil || IsNull(n) }

// LineOr is n's line, or line when n is absent.
func LineOr(n *yaml.Node, line int) int {
	if n != nil {
		return n.Line
	}
	return line
}

// Show describes a node in a message: its text when a scalar, else its kind.
func Show(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return "nothing"
	}
}

// IsLangCode accepts an ISO 639-1 or 639-3 code: two or three lowercase
// ASCII letters.
func IsLangCode(s string) bool {
	if len(s) < 2 || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// IsLabelID accepts an id that also serves as a Prometheus label value and
// a tag: lower-case ASCII letters, digits and '_', starting with a letter,
// at most 64 bytes ("journalists", "human_rights_defenders", "sagaing").
func IsLabelID(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ContainsAnyFold reports whether s contains one of subs, ignoring case.
func ContainsAnyFold(s string, subs []string) bool {
	s = strings.ToLower(s)
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}
