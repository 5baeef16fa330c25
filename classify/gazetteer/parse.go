package gazetteer

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/classify/yamlfile"
)

type parser struct {
	yamlfile.Reader
	// ids and names remember where each place id and each name (folded)
	// was first seen, so that a second one is reported with the first's
	// line.
	ids   map[string]int
	names map[string]nameOwner
}

type nameOwner struct {
	place string
	line  int
}

func (p *parser) parse(data []byte) *Gazetteer {
	top := p.Document(data, "gazetteer", "a gazetteer with name, version and regions")
	if top == nil {
		return nil
	}
	root := p.Fields(top, "gazetteer", "name", "version", "regions")
	if root == nil {
		return nil
	}
	line := yamlfile.Deref(top).Line
	g := &Gazetteer{File: p.File}
	g.Name = p.Ref(root, "name", line)
	g.Version = p.Ref(root, "version", line)
	for _, n := range p.List(root, "regions", line, true) {
		m := p.Fields(n, "region", "id", "type", "names", "exceptions", "note", "townships")
		if m == nil {
			continue
		}
		r, ok := p.place(m, "region", n.Line, "")
		if t := m["type"]; t != nil {
			r.Type, _ = p.Str(t, fmt.Sprintf("region %q: type", r.ID))
			if r.Type != "" && !yamlfile.IsLabelID(r.Type) {
				p.Add(t.Line, "region %q: type %q must be lower-case ASCII letters, digits and '_' (state, region, union_territory)", r.ID, r.Type)
			}
		}
		if ok {
			g.Places = append(g.Places, r)
		}
		for _, tn := range p.List(m, "townships", n.Line, false) {
			tm := p.Fields(tn, "township", "id", "names", "exceptions", "note")
			if tm == nil {
				continue
			}
			if t, ok := p.place(tm, "township", tn.Line, r.ID); ok {
				t.Type = TypeTownship
				g.Places = append(g.Places, t)
			}
		}
	}
	return g
}

// place reads what regions and townships share: id, names, exceptions and
// note. region is the id of the township's region, "" for a region.
func (p *parser) place(m map[string]*yaml.Node, kind string, line int, region string) (Place, bool) {
	pl := Place{Line: line, Region: region}
	id, ok := p.ID(m, kind, line)
	if !ok {
		return pl, false
	}
	pl.ID = id
	if region == "" {
		pl.Region = id
	}
	what := fmt.Sprintf("%s %q", kind, id)
	idLine := yamlfile.LineOr(m["id"], line)
	switch first, dup := p.ids[id]; {
	case !yamlfile.IsLabelID(id):
		p.Add(idLine, "%s: id must be lower-case ASCII letters, digits and '_', starting with a letter (at most 64)", what)
		ok = false
	case id == NoRegion:
		p.Add(idLine, "%s: id %q is reserved: metrics count the posts that name no place under it", what, id)
		ok = false
	case dup:
		p.Add(idLine, "duplicate place id %q (first at line %d): regions and townships share one set of ids", id, first)
		ok = false
	default:
		p.ids[id] = line
	}

	pl.Names = p.placeNames(m["names"], what, line, id)
	if len(pl.Names) == 0 {
		ok = false
	}
	pl.Exceptions = p.Strings(m["exceptions"], what+": exceptions")
	texts := make([]string, len(pl.Names))
	for i, n := range pl.Names {
		texts[i] = n.Text
	}
	for i, x := range pl.Exceptions {
		if x != "" && len(texts) > 0 && !yamlfile.ContainsAnyFold(x, texts) {
			p.Add(m["exceptions"].Content[i].Line, "%s: exception %q does not contain a name of the place, so it can never apply", what, x)
		}
	}
	pl.Note, _ = p.Str(m["note"], what+": note")
	return pl, ok
}

// placeNames reads names: a mapping from a language code to a list of
// names in that language.
func (p *parser) placeNames(n *yaml.Node, what string, line int, id string) []Name {
	if yamlfile.IsAbsent(n) {
		p.Add(yamlfile.LineOr(n, line), "%s: names is required (a list of names per language: {en: [...], my: [...]})", what)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.Add(n.Line, "%s: names must be a mapping of language codes to lists of names, got %s", what, yamlfile.Show(n))
		return nil
	}
	langs := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		langs = append(langs, yamlfile.Deref(n.Content[i]).Value)
	}
	before := len(p.Probs)
	m := p.Fields(n, what+": names", langs...) // duplicate languages
	var out []Name
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlfile.Deref(n.Content[i]), yamlfile.Deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || m[k.Value] != v {
			continue // reported by Fields
		}
		lang := k.Value
		if !yamlfile.IsLangCode(lang) {
			p.Add(k.Line, "%s: names: %q is not an ISO 639-1 or 639-3 code", what, lang)
			continue
		}
		texts := p.Strings(v, fmt.Sprintf("%s: names: %s", what, lang))
		for j, t := range texts {
			if t == "" {
				continue // reported by Strings
			}
			nl := yamlfile.Deref(v.Content[j]).Line
			key := foldName(t)
			if first, dup := p.names[key]; dup {
				if first.place == id {
					p.Add(nl, "%s: name %q is listed twice (first at line %d)", what, t, first.line)
				} else {
					p.Add(nl, "%s: name %q is also a name of %q (line %d): a name must name one place", what, t, first.place, first.line)
				}
				continue
			}
			p.names[key] = nameOwner{id, nl}
			out = append(out, Name{Lang: lang, Text: t, Line: nl})
		}
	}
	if len(out) == 0 && len(p.Probs) == before {
		p.Add(n.Line, "%s: names lists no name", what)
	}
	return out
}

// foldName is the form in which two names count as the same: lower case,
// runs of spaces as one. (The classifier checks again after its own
// normalisation, across files.)
func foldName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}
