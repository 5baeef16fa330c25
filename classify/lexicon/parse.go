package lexicon

import (
	"fmt"
	"math"
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/classify/yamlfile"
)

// MaxSeverity is the highest severity a category may have.
const MaxSeverity = 10

// parser walks the YAML node tree by hand (package yamlfile) rather than
// decoding into structs, so that every problem, including an unknown or
// misspelt key, can be reported with its line, and so that one problem
// does not hide the next.
type parser struct {
	yamlfile.Reader
}

func (p *parser) parse(data []byte) *Lexicon {
	top := p.Document(data, "lexicon", "a lexicon with name, version, categories and terms")
	if top == nil {
		return nil
	}
	root := p.Fields(top, "lexicon", "name", "version", "categories", "terms", "rules")
	if root == nil {
		return nil
	}
	line := yamlfile.Deref(top).Line
	lex := &Lexicon{File: p.File}
	lex.Name = p.Ref(root, "name", line)
	lex.Version = p.Ref(root, "version", line)

	// Categories first, whatever their place in the file, because terms and
	// rules refer to them.
	cats := map[string]Category{}
	for _, n := range p.List(root, "categories", line, true) {
		if c, ok := p.category(n, cats); ok {
			cats[c.ID] = c
			lex.Categories = append(lex.Categories, c)
		}
	}
	termLines := map[string]int{}
	for _, n := range p.List(root, "terms", line, true) {
		if t, ok := p.term(n, cats, termLines); ok {
			lex.Terms = append(lex.Terms, t)
		}
	}
	ruleLines := map[string]int{}
	for _, n := range p.List(root, "rules", line, false) {
		if r, ok := p.rule(n, cats, ruleLines); ok {
			lex.Rules = append(lex.Rules, r)
		}
	}
	return lex
}

func (p *parser) category(n *yaml.Node, seen map[string]Category) (Category, bool) {
	m := p.Fields(n, "category", "id", "label", "severity", "context")
	if m == nil {
		return Category{}, false
	}
	c := Category{Line: n.Line}
	var ok bool
	if c.ID, ok = p.ID(m, "category", c.Line); !ok {
		return c, false
	}
	what := fmt.Sprintf("category %q", c.ID)
	if first, dup := seen[c.ID]; dup {
		p.Add(c.Line, "duplicate category id %q (first at line %d)", c.ID, first.Line)
		return c, false
	}
	c.Label, _ = p.Str(m["label"], what+": label")
	if v := m["context"]; v != nil && !yamlfile.IsNull(v) {
		if err := v.Decode(&c.Context); err != nil || v.Kind != yaml.ScalarNode {
			p.Add(v.Line, "%s: context must be true or false, got %s", what, yamlfile.Show(v))
		}
	}
	switch v := m["severity"]; {
	case v == nil || yamlfile.IsNull(v):
		if !c.Context {
			p.Add(c.Line, "%s: severity is required", what)
		}
	case v.Kind != yaml.ScalarNode || v.Decode(&c.Severity) != nil || math.IsNaN(c.Severity) || math.IsInf(c.Severity, 0):
		p.Add(v.Line, "%s: severity must be a number, got %s", what, yamlfile.Show(v))
	case c.Severity < 0 || c.Severity > MaxSeverity:
		p.Add(v.Line, "%s: severity %s is outside 0..%d", what, v.Value, MaxSeverity)
	}
	// A category that is already declared (even with problems of its own)
	// is not reported again as undeclared by the terms that use it.
	return c, true
}

func (p *parser) term(n *yaml.Node, cats map[string]Category, seen map[string]int) (Term, bool) {
	m := p.Fields(n, "term", "id", "term", "category", "lang", "group", "variants", "exceptions", "note", "source")
	if m == nil {
		return Term{}, false
	}
	t := Term{Line: n.Line}
	var ok bool
	if t.ID, ok = p.ID(m, "term", t.Line); !ok {
		return t, false
	}
	what := fmt.Sprintf("term %q", t.ID)
	if first, dup := seen[t.ID]; dup {
		p.Add(t.Line, "duplicate term id %q (first at line %d)", t.ID, first)
		return t, false
	}
	seen[t.ID] = t.Line
	ok = true
	var isText bool
	if t.Term, isText = p.Str(m["term"], what+": term"); t.Term == "" {
		if isText || m["term"] == nil {
			p.Add(yamlfile.LineOr(m["term"], t.Line), "%s: term is empty", what)
		}
		ok = false
	}
	var declared bool
	if t.Category, declared = p.categoryRef(m["category"], what, "category", t.Line, cats); !declared {
		ok = false
	}
	if v := m["lang"]; v != nil {
		t.Lang, _ = p.Str(v, what+": lang")
		if t.Lang != "" && !yamlfile.IsLangCode(t.Lang) {
			p.Add(v.Line, "%s: lang %q is not an ISO 639-1 or 639-3 code", what, t.Lang)
		}
	}
	if v := m["group"]; v != nil {
		t.Group, _ = p.Str(v, what+": group")
		switch {
		case t.Group == "":
		case !yamlfile.IsLabelID(t.Group):
			p.Add(v.Line, "%s: group %q must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)", what, t.Group)
		case t.Group == NoGroup:
			p.Add(v.Line, "%s: group %q is reserved: metrics count the posts that name no group under it", what, t.Group)
		}
	}
	// note and source are free text for the people who maintain the
	// lexicon; either may be left out, but when present it must be text.
	t.Note, _ = p.Str(m["note"], what+": note")
	t.Source, _ = p.Str(m["source"], what+": source")
	t.Variants = p.Strings(m["variants"], what+": variants")
	t.Exceptions = p.Strings(m["exceptions"], what+": exceptions")
	if t.Term != "" {
		forms := append([]string{t.Term}, t.Variants...)
		for i, x := range t.Exceptions {
			if !yamlfile.ContainsAnyFold(x, forms) {
				p.Add(m["exceptions"].Content[i].Line, "%s: exception %q does not contain the term or a variant, so it can never apply", what, x)
			}
		}
	}
	return t, ok
}

func (p *parser) rule(n *yaml.Node, cats map[string]Category, seen map[string]int) (Rule, bool) {
	m := p.Fields(n, "rule", "id", "category", "all", "any", "within")
	if m == nil {
		return Rule{}, false
	}
	r := Rule{Line: n.Line}
	var ok bool
	if r.ID, ok = p.ID(m, "rule", r.Line); !ok {
		return r, false
	}
	what := fmt.Sprintf("rule %q", r.ID)
	if first, dup := seen[r.ID]; dup {
		p.Add(r.Line, "duplicate rule id %q (first at line %d)", r.ID, first)
		return r, false
	}
	seen[r.ID] = r.Line
	ok = true
	var declared bool
	if r.Category, declared = p.categoryRef(m["category"], what, "category", r.Line, cats); !declared {
		ok = false
	} else if cats[r.Category].Context {
		p.Add(m["category"].Line, "%s: category %q is a context category, which never flags; a rule needs one that does", what, r.Category)
		ok = false
	}

	if yamlfile.IsAbsent(m["all"]) && yamlfile.IsAbsent(m["any"]) {
		p.Add(r.Line, "%s: all or any is required", what)
		ok = false
	}
	for _, key := range []string{"all", "any"} {
		list := &r.All
		if key == "any" {
			list = &r.Any
		}
		switch node := m[key]; {
		case yamlfile.IsAbsent(node):
		case node.Kind != yaml.SequenceNode:
			p.Add(node.Line, "%s: %s must be a list of category ids", what, key)
			ok = false
		case len(node.Content) == 0:
			p.Add(node.Line, "%s: %s must list at least one category", what, key)
			ok = false
		default:
			for _, e := range node.Content {
				id, good := p.categoryRef(e, what, key+": category", e.Line, cats)
				switch {
				case !good:
					ok = false
				case slices.Contains(r.All, id) || slices.Contains(r.Any, id):
					p.Add(e.Line, "%s: %s: category %q is listed twice", what, key, id)
					ok = false
				default:
					*list = append(*list, id)
				}
			}
		}
	}

	switch v := m["within"]; {
	case v == nil || yamlfile.IsNull(v):
		p.Add(r.Line, "%s: within is required", what)
		ok = false
	case !yamlfile.WholeNumber(v, &r.Within):
		p.Add(v.Line, "%s: within must be a whole number of words, got %s", what, yamlfile.Show(v))
		ok = false
	case r.Within <= 0:
		p.Add(v.Line, "%s: within must be greater than 0, got %d", what, r.Within)
		ok = false
	}
	return r, ok
}

// categoryRef reads a reference to a declared category.
func (p *parser) categoryRef(n *yaml.Node, what, key string, line int, cats map[string]Category) (string, bool) {
	id, isText := p.Str(n, what+": "+key)
	switch _, declared := cats[id]; {
	case n != nil && !isText:
		return "", false
	case id == "":
		p.Add(yamlfile.LineOr(n, line), "%s: %s is required", what, key)
		return "", false
	case !declared:
		p.Add(n.Line, "%s: %s %q is not declared", what, key, id)
		return id, false
	}
	return id, true
}
