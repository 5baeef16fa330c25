package lexicon

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxSeverity is the highest severity a category may have.
const MaxSeverity = 10

// parser walks the YAML node tree by hand rather than decoding into structs,
// so that every problem, including an unknown or misspelt key, can be
// reported with its line, and so that one problem does not hide the next.
type parser struct {
	file  string
	probs Problems
}

func (p *parser) add(line int, format string, args ...any) {
	p.probs.Add(p.file, line, format, args...)
}

func (p *parser) parse(data []byte) *Lexicon {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(0, "empty file: want a lexicon with name, version, categories and terms")
		} else {
			p.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.add(extra.Line, "a second YAML document: a lexicon file holds one")
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.add(doc.Line, "not a YAML document")
		return nil
	}
	root := p.fields(doc.Content[0], "lexicon", "name", "version", "categories", "terms", "rules")
	if root == nil {
		return nil
	}
	line := deref(doc.Content[0]).Line
	lex := &Lexicon{File: p.file}
	lex.Name = p.ref(root, "name", line)
	lex.Version = p.ref(root, "version", line)

	// Categories first, whatever their place in the file, because terms and
	// rules refer to them.
	cats := map[string]Category{}
	for _, n := range p.list(root, "categories", line, true) {
		if c, ok := p.category(n, cats); ok {
			cats[c.ID] = c
			lex.Categories = append(lex.Categories, c)
		}
	}
	termLines := map[string]int{}
	for _, n := range p.list(root, "terms", line, true) {
		if t, ok := p.term(n, cats, termLines); ok {
			lex.Terms = append(lex.Terms, t)
		}
	}
	ruleLines := map[string]int{}
	for _, n := range p.list(root, "rules", line, false) {
		if r, ok := p.rule(n, cats, ruleLines); ok {
			lex.Rules = append(lex.Rules, r)
		}
	}
	return lex
}

// yamlSyntax matches yaml.v3's syntax errors, "yaml: line 3: message".
var yamlSyntax = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	if m := yamlSyntax.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.add(line, "%s", m[2])
		return
	}
	p.add(0, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// ref reads name or version: required, and free of the characters that
// separate them in a verdict's "name@version,name@version".
func (p *parser) ref(m map[string]*yaml.Node, key string, line int) string {
	n := m[key]
	s, ok := p.str(n, key)
	switch {
	case n == nil:
		p.add(line, "%s is required", key)
	case !ok:
		return ""
	case s == "":
		p.add(n.Line, "%s is required", key)
	case strings.ContainsAny(s, ",@ \t\n"):
		p.add(n.Line, "%s %q must not contain spaces, ',' or '@'", key, s)
	}
	return s
}

// list returns the items of the sequence under key.
func (p *parser) list(m map[string]*yaml.Node, key string, line int, required bool) []*yaml.Node {
	n, ok := m[key]
	if !ok {
		if required {
			p.add(line, "%s is required", key)
		}
		return nil
	}
	switch {
	case isNull(n):
		return nil
	case n.Kind != yaml.SequenceNode:
		p.add(n.Line, "%s must be a list", key)
		return nil
	}
	return n.Content
}

func (p *parser) category(n *yaml.Node, seen map[string]Category) (Category, bool) {
	m := p.fields(n, "category", "id", "label", "severity", "context")
	if m == nil {
		return Category{}, false
	}
	c := Category{Line: n.Line}
	var ok bool
	if c.ID, ok = p.id(m, "category", c.Line); !ok {
		return c, false
	}
	what := fmt.Sprintf("category %q", c.ID)
	if first, dup := seen[c.ID]; dup {
		p.add(c.Line, "duplicate category id %q (first at line %d)", c.ID, first.Line)
		return c, false
	}
	c.Label, _ = p.str(m["label"], what+": label")
	if v := m["context"]; v != nil && !isNull(v) {
		if err := v.Decode(&c.Context); err != nil || v.Kind != yaml.ScalarNode {
			p.add(v.Line, "%s: context must be true or false, got %s", what, show(v))
		}
	}
	switch v := m["severity"]; {
	case v == nil || isNull(v):
		if !c.Context {
			p.add(c.Line, "%s: severity is required", what)
		}
	case v.Kind != yaml.ScalarNode || v.Decode(&c.Severity) != nil || math.IsNaN(c.Severity) || math.IsInf(c.Severity, 0):
		p.add(v.Line, "%s: severity must be a number, got %s", what, show(v))
	case c.Severity < 0 || c.Severity > MaxSeverity:
		p.add(v.Line, "%s: severity %s is outside 0..%d", what, v.Value, MaxSeverity)
	}
	// A category that is already declared (even with problems of its own)
	// is not reported again as undeclared by the terms that use it.
	return c, true
}

func (p *parser) term(n *yaml.Node, cats map[string]Category, seen map[string]int) (Term, bool) {
	m := p.fields(n, "term", "id", "term", "category", "lang", "variants", "exceptions", "note", "source")
	if m == nil {
		return Term{}, false
	}
	t := Term{Line: n.Line}
	var ok bool
	if t.ID, ok = p.id(m, "term", t.Line); !ok {
		return t, false
	}
	what := fmt.Sprintf("term %q", t.ID)
	if first, dup := seen[t.ID]; dup {
		p.add(t.Line, "duplicate term id %q (first at line %d)", t.ID, first)
		return t, false
	}
	seen[t.ID] = t.Line
	ok = true
	var isText bool
	if t.Term, isText = p.str(m["term"], what+": term"); t.Term == "" {
		if isText || m["term"] == nil {
			p.add(lineOr(m["term"], t.Line), "%s: term is empty", what)
		}
		ok = false
	}
	var declared bool
	if t.Category, declared = p.categoryRef(m["category"], what, "category", t.Line, cats); !declared {
		ok = false
	}
	if v := m["lang"]; v != nil {
		t.Lang, _ = p.str(v, what+": lang")
		if t.Lang != "" && !isLangCode(t.Lang) {
			p.add(v.Line, "%s: lang %q is not an ISO 639-1 or 639-3 code", what, t.Lang)
		}
	}
	// note and source are free text for the people who maintain the
	// lexicon; either may be left out, but when present it must be text.
	t.Note, _ = p.str(m["note"], what+": note")
	t.Source, _ = p.str(m["source"], what+": source")
	t.Variants = p.strings(m["variants"], what+": variants")
	t.Exceptions = p.strings(m["exceptions"], what+": exceptions")
	if t.Term != "" {
		forms := append([]string{t.Term}, t.Variants...)
		for i, x := range t.Exceptions {
			if !containsAnyFold(x, forms) {
				p.add(m["exceptions"].Content[i].Line, "%s: exception %q does not contain the term or a variant, so it can never apply", what, x)
			}
		}
	}
	return t, ok
}

func (p *parser) rule(n *yaml.Node, cats map[string]Category, seen map[string]int) (Rule, bool) {
	m := p.fields(n, "rule", "id", "category", "all", "any", "within")
	if m == nil {
		return Rule{}, false
	}
	r := Rule{Line: n.Line}
	var ok bool
	if r.ID, ok = p.id(m, "rule", r.Line); !ok {
		return r, false
	}
	what := fmt.Sprintf("rule %q", r.ID)
	if first, dup := seen[r.ID]; dup {
		p.add(r.Line, "duplicate rule id %q (first at line %d)", r.ID, first)
		return r, false
	}
	seen[r.ID] = r.Line
	ok = true
	var declared bool
	if r.Category, declared = p.categoryRef(m["category"], what, "category", r.Line, cats); !declared {
		ok = false
	} else if cats[r.Category].Context {
		p.add(m["category"].Line, "%s: category %q is a context category, which never flags; a rule needs one that does", what, r.Category)
		ok = false
	}

	if isAbsent(m["all"]) && isAbsent(m["any"]) {
		p.add(r.Line, "%s: all or any is required", what)
		ok = false
	}
	for _, key := range []string{"all", "any"} {
		list := &r.All
		if key == "any" {
			list = &r.Any
		}
		switch node := m[key]; {
		case isAbsent(node):
		case node.Kind != yaml.SequenceNode:
			p.add(node.Line, "%s: %s must be a list of category ids", what, key)
			ok = false
		case len(node.Content) == 0:
			p.add(node.Line, "%s: %s must list at least one category", what, key)
			ok = false
		default:
			for _, e := range node.Content {
				id, good := p.categoryRef(e, what, key+": category", e.Line, cats)
				switch {
				case !good:
					ok = false
				case slices.Contains(r.All, id) || slices.Contains(r.Any, id):
					p.add(e.Line, "%s: %s: category %q is listed twice", what, key, id)
					ok = false
				default:
					*list = append(*list, id)
				}
			}
		}
	}

	switch v := m["within"]; {
	case v == nil || isNull(v):
		p.add(r.Line, "%s: within is required", what)
		ok = false
	case !wholeNumber(v, &r.Within):
		p.add(v.Line, "%s: within must be a whole number of words, got %s", what, show(v))
		ok = false
	case r.Within <= 0:
		p.add(v.Line, "%s: within must be greater than 0, got %d", what, r.Within)
		ok = false
	}
	return r, ok
}

// isAbsent reports a key that is missing or null.
func isAbsent(n *yaml.Node) bool { return n == nil || isNull(n) }

// categoryRef reads a reference to a declared category.
func (p *parser) categoryRef(n *yaml.Node, what, key string, line int, cats map[string]Category) (string, bool) {
	id, isText := p.str(n, what+": "+key)
	switch _, declared := cats[id]; {
	case n != nil && !isText:
		return "", false
	case id == "":
		p.add(lineOr(n, line), "%s: %s is required", what, key)
		return "", false
	case !declared:
		p.add(n.Line, "%s: %s %q is not declared", what, key, id)
		return id, false
	}
	return id, true
}

// id reads the id of a category, term or rule.
func (p *parser) id(m map[string]*yaml.Node, what string, line int) (string, bool) {
	n := m["id"]
	id, isText := p.str(n, what+": id")
	switch {
	case n != nil && !isText:
		return "", false
	case id == "":
		p.add(lineOr(n, line), "%s: id is required", what)
		return "", false
	case strings.ContainsAny(id, " \t\n,"):
		p.add(n.Line, "%s: id %q must not contain spaces or ','", what, id)
		return "", false
	}
	return id, true
}

// fields checks that n is a mapping whose keys are all allowed and appear
// once, and returns the values by key.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, "%s must be a mapping, got %s", what, show(n))
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		switch _, dup := m[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			p.add(k.Line, "a key in %s is not a string", what)
		case !slices.Contains(allowed, k.Value):
			p.add(k.Line, "unknown key %q in %s", k.Value, what)
		case dup:
			p.add(k.Line, "duplicate key %q in %s", k.Value, what)
		default:
			m[k.Value] = v
		}
	}
	return m
}

// str reads a scalar as text, trimmed. A number or date is taken as
// written (version: 2026-11-26 needs no quotes); null is "". ok is false
// when n is absent or not a scalar (reported).
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	switch {
	case n == nil:
		return "", false
	case isNull(n):
		return "", true
	case n.Kind != yaml.ScalarNode:
		p.add(n.Line, "%s must be text, got %s", what, show(n))
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// strings reads a list of non-empty texts.
func (p *parser) strings(n *yaml.Node, what string) []string {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "%s must be a list, got %s", what, show(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, e := range n.Content {
		e = deref(e)
		s, ok := p.str(e, what)
		if ok && s == "" {
			p.add(e.Line, "%s: entry %d is empty", what, i+1)
		}
		out = append(out, s)
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// wholeNumber decodes an integer; yaml.v3 would truncate 2.5 into 2.
func wholeNumber(n *yaml.Node, out *int) bool {
	var f float64
	if n.Kind != yaml.ScalarNode || n.Decode(&f) != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return false
	}
	*out = int(f)
	return true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func lineOr(n *yaml.Node, line int) int {
	if n != nil {
		return n.Line
	}
	return line
}

// show describes a node in a message: its text when a scalar, else its kind.
func show(n *yaml.Node) string {
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

// isLangCode accepts an ISO 639-1 or 639-3 code: two or three lowercase
// ASCII letters.
func isLangCode(s string) bool {
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

func containsAnyFold(s string, subs []string) bool {
	s = strings.ToLower(s)
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}
