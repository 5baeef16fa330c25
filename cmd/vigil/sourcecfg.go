package main

import (
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/sources"
)

// SourceConfig is one entry of `sources:`: its type and name, and the
// type's own settings, decoded into that type's config (Settings).
type SourceConfig struct {
	Type string
	Name string
	// Settings points to the type's config (a *mastodon.Config, ...).
	Settings any
	// Line is where the entry starts in the config file.
	Line int
}

// UnmarshalYAML decodes an entry into its type's config, refusing keys
// the type does not have, with their lines.
func (s *SourceConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a source is a mapping with type and name", n.Line)}}
	}
	s.Line = n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "type":
			s.Type = n.Content[i+1].Value
		case "name":
			s.Name = n.Content[i+1].Value
		}
	}
	t, err := sources.Lookup(s.Type)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: sources: %v", n.Line, err)}}
	}
	cfg := t.NewConfig()
	if errs := unknownKeys(n, reflect.TypeOf(cfg).Elem(), map[string]bool{"type": true}); len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	if err := n.Decode(cfg); err != nil {
		return err
	}
	s.Settings = cfg
	return nil
}

// unknownKeys lists the keys of mapping n that struct type t has no field
// for (by yaml tag, inline structs included, nested structs checked too),
// as yaml.v3 words them, so that decodeStrict names their file and line.
func unknownKeys(n *yaml.Node, t reflect.Type, allow map[string]bool) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct {
		return nil
	}
	fields := map[string]reflect.Type{}
	collectFields(t, fields)
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		switch {
		case allow[k.Value]:
		case !ok:
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t.String()))
		default:
			errs = append(errs, unknownKeys(v, ft, nil)...)
			if ft.Kind() == reflect.Slice && v.Kind == yaml.SequenceNode {
				for _, e := range v.Content {
					errs = append(errs, unknownKeys(e, ft.Elem(), nil)...)
				}
			}
		}
	}
	return errs
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case strings.Contains(opts, "inline"):
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, into)
			}
		case !f.IsExported():
		case name == "":
			into[strings.ToLower(f.Name)] = f.Type
		default:
			into[name] = f.Type
		}
	}
}

// MarshalYAML writes the entry back as one mapping (for `vigil config
// check --show`, and tests).
func (s SourceConfig) MarshalYAML() (any, error) {
	var n yaml.Node
	if err := n.Encode(s.Settings); err != nil {
		return nil, err
	}
	n.Content = append([]*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "type"}, {Kind: yaml.ScalarNode, Value: s.Type},
	}, n.Content...)
	return &n, nil
}

// buildSource makes the source of one entry.
func buildSource(sc SourceConfig, env ingest.Env) (ingest.Source, error) {
	t, err := sources.Lookup(sc.Type)
	if err != nil {
		return nil, err
	}
	return t.Build(sc.Settings, env)
}
