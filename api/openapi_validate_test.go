package api_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// This file checks responses against api/openapi.yaml. The fixture's
// request helpers (get, getJSON, do) pass every response they receive to
// checkResponse, so that every api test also checks that the document
// says what the server does: the status is documented for the operation,
// the Content-Type is one the document gives, required headers are there,
// and a JSON body matches the schema.
//
// The schema check covers the OpenAPI 3.0 subset the document uses: type,
// format (date-time, in UTC as the document says; date, byte, int32,
// int64), nullable, enum, required,
// properties, additionalProperties, items, allOf/oneOf/anyOf, $ref,
// minimum/maximum, minLength/maxLength, minItems/maxItems and pattern. It
// is stricter than OpenAPI in one way: an object may hold only the
// properties its schema lists (with those of its allOf branches) unless
// the schema declares additionalProperties, so that a field a handler
// adds without documenting it fails the tests.

// openAPIDoc is the parsed document, with its paths ready for matching.
type openAPIDoc struct {
	root  map[string]any
	paths []openAPIPath
}

type openAPIPath struct {
	template string
	re       *regexp.Regexp
	literals int // segments without a parameter; more wins a tie
	item     map[string]any
}

var (
	docOnce   sync.Once
	docParsed *openAPIDoc
	docErr    error
)

// loadOpenAPI parses openapi.yaml once per test binary.
func loadOpenAPI(tb testing.TB) *openAPIDoc {
	tb.Helper()
	docOnce.Do(func() {
		b, err := os.ReadFile("openapi.yaml")
		if err != nil {
			docErr = err
			return
		}
		docParsed, docErr = parseOpenAPI(b)
	})
	if docErr != nil {
		tb.Fatalf("openapi.yaml: %v", docErr)
	}
	return docParsed
}

// parseOpenAPI parses an OpenAPI 3.0 document in YAML.
func parseOpenAPI(b []byte) (*openAPIDoc, error) {
	var raw any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	root, ok := normalizeYAML(raw).(map[string]any)
	if !ok {
		return nil, errors.New("the document is not a mapping")
	}
	d := &openAPIDoc{root: root}
	paths, _ := root["paths"].(map[string]any)
	for template, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("paths > %s is not a mapping", template)
		}
		literals := 0
		for seg := range strings.SplitSeq(template, "/") {
			if !strings.Contains(seg, "{") {
				literals++
			}
		}
		d.paths = append(d.paths, openAPIPath{
			template: template,
			re:       regexp.MustCompile("^" + templateRegexp(template) + "$"),
			literals: literals,
			item:     item,
		})
	}
	slices.SortFunc(d.paths, func(a, b openAPIPath) int {
		if a.literals != b.literals {
			return b.literals - a.literals
		}
		return strings.Compare(a.template, b.template)
	})
	return d, nil
}

// templateRegexp turns "/a/{id}/b" into a regular expression of the
// paths it matches.
func templateRegexp(template string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(template, '{')
		if open < 0 {
			b.WriteString(regexp.QuoteMeta(template))
			return b.String()
		}
		end := strings.IndexByte(template[open:], '}')
		if end < 0 {
			b.WriteString(regexp.QuoteMeta(template))
			return b.String()
		}
		b.WriteString(regexp.QuoteMeta(template[:open]))
		b.WriteString(`[^/]+`)
		template = template[open+end+1:]
	}
}

// normalizeYAML turns yaml.v3's map[any]any (a mapping with a non-string
// key, such as an unquoted status code) into map[string]any, all the way
// down.
func normalizeYAML(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeYAML(x)
		}
		return v
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = normalizeYAML(x)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = normalizeYAML(x)
		}
		return v
	default:
		return v
	}
}

// lookup follows a local $ref ("#/components/schemas/Flag").
func (d *openAPIDoc) lookup(ref string) (map[string]any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only local references are supported", ref)
	}
	var node any = d.root
	for part := range strings.SplitSeq(pointer, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not in a mapping", ref, part)
		}
		if node, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	m, ok := node.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q is not a mapping", ref)
	}
	return m, nil
}

// resolve follows node's $ref, if any, to the node it names (OpenAPI 3.0
// ignores the siblings of a $ref).
func (d *openAPIDoc) resolve(node map[string]any) (map[string]any, error) {
	for range 32 {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node, nil
		}
		var err error
		if node, err = d.lookup(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("$ref chain too long (a loop?)")
}

// operation finds the documented operation of method and path. pathKnown
// reports whether some documented path matches, whatever its methods.
func (d *openAPIDoc) operation(method, path string) (op map[string]any, template string, pathKnown bool) {
	for _, p := range d.paths {
		if !p.re.MatchString(path) {
			continue
		}
		pathKnown = true
		if op, ok := p.item[strings.ToLower(method)].(map[string]any); ok {
			return op, p.template, true
		}
	}
	return nil, "", pathKnown
}

// checkResponse checks one response to method path against the document.
func (d *openAPIDoc) checkResponse(method, path string, status int, header http.Header, body []byte) error {
	op, template, pathKnown := d.operation(method, path)
	if op == nil {
		return d.checkUndocumented(method, path, status, header, body, pathKnown)
	}
	name := fmt.Sprintf("%s %s (%d)", strings.ToUpper(method), template, status)
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(status)
	resp, ok := responses[code].(map[string]any)
	if !ok {
		resp, ok = responses[code[:1]+"XX"].(map[string]any)
	}
	if !ok {
		resp, ok = responses["default"].(map[string]any)
	}
	if !ok {
		return fmt.Errorf("%s: status %d is not documented for the operation", name, status)
	}
	resp, err := d.resolve(resp)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	var problems []string
	if headers, ok := resp["headers"].(map[string]any); ok {
		for h, v := range headers {
			hv, _ := v.(map[string]any)
			if hv, err = d.resolve(hv); err != nil {
				return fmt.Errorf("%s: header %s: %v", name, h, err)
			}
			value := header.Get(h)
			if req, _ := hv["required"].(bool); req && value == "" {
				problems = append(problems, fmt.Sprintf("the required header %s is missing", h))
			}
			if hs, ok := hv["schema"].(map[string]any); ok && value != "" {
				sv := &schemaValidator{doc: d}
				sv.validate(hs, headerValue(d, hs, value), "header "+h, 0)
				problems = append(problems, sv.problems...)
			}
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(body) > 0 {
			problems = append(problems, fmt.Sprintf("a body (%.80q) where the document gives none", body))
		}
		return joinProblems(name, problems)
	}
	ct := header.Get("Content-Type")
	mediaType, _, _ := strings.Cut(ct, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	media, ok := content[mediaType].(map[string]any)
	if !ok {
		for key, m := range content {
			if prefix, ok := strings.CutSuffix(key, "/*"); (ok && strings.HasPrefix(mediaType, prefix+"/")) || key == "*/*" {
				media, _ = m.(map[string]any)
				break
			}
		}
	}
	if media == nil {
		problems = append(problems, fmt.Sprintf("Content-Type %q is none of the documented %v", ct, slices.Sorted(mapKeys(content))))
		return joinProblems(name, problems)
	}
	schema, _ := media["schema"].(map[string]any)
	if schema == nil || !isJSON(mediaType) {
		return joinProblems(name, problems)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		problems = append(problems, fmt.Sprintf("the body is not JSON: %v: %.200q", err, body))
		return joinProblems(name, problems)
	}
	if dec.More() {
		problems = append(problems, "data after the JSON value")
	}
	sv := &schemaValidator{doc: d}
	sv.validate(schema, v, "$", 0)
	problems = append(problems, sv.problems...)
	if len(problems) > 0 && len(body) < 2000 {
		problems = append(problems, fmt.Sprintf("(the body: %s)", bytes.TrimSpace(body)))
	}
	return joinProblems(name, problems)
}

// checkUndocumented checks a response to a request that no documented
// operation matches. Under /api/v1/ it is the API's JSON error (the JSON
// 404 for an unknown path, or what authentication answers before it);
// elsewhere it is the router's 404, or a 405 for a documented path with
// a method that is not documented.
func (d *openAPIDoc) checkUndocumented(method, path string, status int, header http.Header, body []byte, pathKnown bool) error {
	name := fmt.Sprintf("%s %s (%d, no documented operation)", method, path, status)
	switch {
	case pathKnown:
		if status != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s: the path is documented, the method is not, and the status is not 405", name)
		}
		return nil
	case strings.HasPrefix(path, "/api/v1/"):
		if status < 400 {
			return fmt.Errorf("%s: an undocumented API path answered with success", name)
		}
		return d.checkErrorBody(name, header, body)
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return nil
	default:
		return fmt.Errorf("%s: a path outside the document answered other than 404 or 405", name)
	}
}

// headerValue reads a header's text as its schema's type: a number for
// an integer or a number, the text otherwise (and when it is no number,
// so that the schema check says so).
func headerValue(d *openAPIDoc, schema map[string]any, value string) any {
	if s, err := d.resolve(schema); err == nil {
		if t := schemaType(s); t == "integer" || t == "number" {
			if _, err := strconv.ParseFloat(value, 64); err == nil {
				return json.Number(value)
			}
		}
	}
	return value
}

// checkErrorBody checks that a response is the API's JSON error, as
// components/schemas/Error describes it.
func (d *openAPIDoc) checkErrorBody(name string, header http.Header, body []byte) error {
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("%s: Content-Type %q, want the API's JSON error", name, ct)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s: the body is not JSON: %v", name, err)
	}
	sv := &schemaValidator{doc: d}
	sv.validate(map[string]any{"$ref": "#/components/schemas/Error"}, v, "$", 0)
	return joinProblems(name, sv.problems)
}

func joinProblems(name string, problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	const most = 12
	if len(problems) > most {
		problems = append(problems[:most], fmt.Sprintf("... and %d more", len(problems)-most))
	}
	return fmt.Errorf("%s does not match openapi.yaml:\n\t%s", name, strings.Join(problems, "\n\t"))
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// schemaValidator checks a JSON value against a schema and collects the
// problems, each with the path of the value ("$.flags[0].created_at").
type schemaValidator struct {
	doc      *openAPIDoc
	problems []string
}

func (v *schemaValidator) fail(at, format string, args ...any) {
	v.problems = append(v.problems, at+": "+fmt.Sprintf(format, args...))
}

// schemaType is a schema's type, or the one its keywords imply.
func schemaType(s map[string]any) string {
	if t, ok := s["type"].(string); ok {
		return t
	}
	for _, k := range []string{"properties", "required", "additionalProperties"} {
		if _, ok := s[k]; ok {
			return "object"
		}
	}
	if _, ok := s["items"]; ok {
		return "array"
	}
	return ""
}

// validate checks val against schema. inAllOf is set for an allOf
// branch, whose object is checked for undocumented properties by the
// schema that holds the allOf, against all the branches' properties.
func (v *schemaValidator) validate(schema map[string]any, val any, at string, depth int) {
	v.validateIn(schema, val, at, depth, false)
}

func (v *schemaValidator) validateIn(schema map[string]any, val any, at string, depth int, inAllOf bool) {
	if depth > 64 {
		v.fail(at, "schema nested too deeply (a $ref loop?)")
		return
	}
	schema, err := v.doc.resolve(schema)
	if err != nil {
		v.fail(at, "%v", err)
		return
	}
	typ := schemaType(schema)
	if val == nil {
		if nullable, _ := schema["nullable"].(bool); nullable {
			return
		}
		if typ != "" {
			v.fail(at, "null, but the schema (type %s) is not nullable", typ)
			return
		}
	}
	for _, sub := range schemaList(schema["allOf"]) {
		v.validateIn(sub, val, at, depth+1, true)
	}
	if branches := schemaList(schema["oneOf"]); len(branches) > 0 {
		if n := v.matching(branches, val, at, depth); n != 1 {
			v.fail(at, "matches %d of the oneOf schemas, want exactly 1", n)
		}
	}
	if branches := schemaList(schema["anyOf"]); len(branches) > 0 {
		if v.matching(branches, val, at, depth) == 0 {
			v.fail(at, "matches none of the anyOf schemas")
		}
	}
	if val == nil {
		return
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, val) }) {
		v.fail(at, "%s is not one of the enum %v", short(val), enum)
	}
	switch typ {
	case "object":
		obj, ok := val.(map[string]any)
		if !ok {
			v.fail(at, "%s, want an object", kind(val))
			return
		}
		v.object(schema, obj, at, depth, inAllOf)
	case "array":
		arr, ok := val.([]any)
		if !ok {
			v.fail(at, "%s, want an array", kind(val))
			return
		}
		if n, ok := number(schema["minItems"]); ok && float64(len(arr)) < n {
			v.fail(at, "%d items, want at least %g", len(arr), n)
		}
		if n, ok := number(schema["maxItems"]); ok && float64(len(arr)) > n {
			v.fail(at, "%d items, want at most %g", len(arr), n)
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, x := range arr {
				v.validateIn(items, x, fmt.Sprintf("%s[%d]", at, i), depth+1, false)
			}
		}
	case "string":
		s, ok := val.(string)
		if !ok {
			v.fail(at, "%s, want a string", kind(val))
			return
		}
		v.stringValue(schema, s, at)
	case "integer", "number":
		n, ok := val.(json.Number)
		if !ok {
			v.fail(at, "%s, want a %s", kind(val), typ)
			return
		}
		v.numberValue(schema, typ, n, at)
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.fail(at, "%s, want a boolean", kind(val))
		}
	case "":
		// A schema of allOf branches only: the object's properties are
		// those of its branches.
		if obj, ok := val.(map[string]any); ok && len(schemaList(schema["allOf"])) > 0 && !inAllOf {
			v.undocumented(schema, obj, at, depth)
		}
	default:
		v.fail(at, "the schema has the unknown type %q", typ)
	}
}

// matching counts the branches val matches, each checked on its own.
func (v *schemaValidator) matching(branches []map[string]any, val any, at string, depth int) int {
	n := 0
	for _, b := range branches {
		sub := &schemaValidator{doc: v.doc}
		sub.validateIn(b, val, at, depth+1, false)
		if len(sub.problems) == 0 {
			n++
		}
	}
	return n
}

func (v *schemaValidator) object(schema, obj map[string]any, at string, depth int, inAllOf bool) {
	props, _ := schema["properties"].(map[string]any)
	if req, ok := schema["required"].([]any); ok {
		for _, r := range req {
			name, _ := r.(string)
			if _, ok := obj[name]; !ok {
				v.fail(at, "the required property %q is missing", name)
			}
		}
	}
	for name, sub := range props {
		if x, ok := obj[name]; ok {
			s, _ := sub.(map[string]any)
			v.validateIn(s, x, at+"."+name, depth+1, false)
		}
	}
	if !inAllOf {
		v.undocumented(schema, obj, at, depth)
	}
}

// undocumented checks obj's properties that neither schema nor its allOf
// branches list: against additionalProperties where it is a schema,
// refused where it is false, and refused where it is not declared, as
// this validator is stricter than OpenAPI.
func (v *schemaValidator) undocumented(schema, obj map[string]any, at string, depth int) {
	known, open, extra := v.properties(schema, 0)
	for _, name := range slices.Sorted(mapKeys(obj)) {
		if known[name] {
			continue
		}
		switch {
		case extra != nil:
			v.validateIn(extra, obj[name], at+"."+name, depth+1, false)
		case schema["additionalProperties"] == false:
			v.fail(at, "the property %q is not allowed (additionalProperties: false)", name)
		case !open:
			v.fail(at, "the property %q is not documented", name)
		}
	}
}

// properties returns the properties schema and its allOf branches list;
// open reports whether one of them declares additionalProperties true (or
// a schema: extra is the first such schema).
func (v *schemaValidator) properties(schema map[string]any, depth int) (known map[string]bool, open bool, extra map[string]any) {
	known = map[string]bool{}
	if depth > 32 {
		return known, true, nil
	}
	schema, err := v.doc.resolve(schema)
	if err != nil {
		return known, true, nil
	}
	props, _ := schema["properties"].(map[string]any)
	for name := range props {
		known[name] = true
	}
	switch ap := schema["additionalProperties"].(type) {
	case bool:
		open = ap
	case map[string]any:
		open, extra = true, ap
	}
	for _, sub := range schemaList(schema["allOf"]) {
		k, o, e := v.properties(sub, depth+1)
		for name := range k {
			known[name] = true
		}
		open = open || o
		if extra == nil {
			extra = e
		}
	}
	return known, open, extra
}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func (v *schemaValidator) stringValue(schema map[string]any, s, at string) {
	switch format, _ := schema["format"].(string); format {
	case "date-time":
		// The document says that times are UTC: a time with an offset
		// is a handler that forgot to convert one.
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			v.fail(at, "%q is not an RFC 3339 date-time", s)
		} else if !strings.HasSuffix(s, "Z") {
			v.fail(at, "%q is not in UTC (Z), as the document says every time is", s)
		}
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil || !datePattern.MatchString(s) {
			v.fail(at, "%q is not an RFC 3339 full-date", s)
		}
	case "byte":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			v.fail(at, "%.40q is not base64", s)
		}
	}
	n := float64(utf8.RuneCountInString(s))
	if m, ok := number(schema["minLength"]); ok && n < m {
		v.fail(at, "%.40q is shorter than %g", s, m)
	}
	if m, ok := number(schema["maxLength"]); ok && n > m {
		v.fail(at, "%.40q is longer than %g", s, m)
	}
	if p, ok := schema["pattern"].(string); ok {
		re, err := regexp.Compile(p)
		if err != nil {
			v.fail(at, "the schema's pattern %q does not compile: %v", p, err)
		} else if !re.MatchString(s) {
			v.fail(at, "%.40q does not match the pattern %q", s, p)
		}
	}
}

func (v *schemaValidator) numberValue(schema map[string]any, typ string, n json.Number, at string) {
	f, ok := new(big.Float).SetString(n.String())
	if !ok {
		v.fail(at, "%s is not a number", n)
		return
	}
	if typ == "integer" {
		i, ok := new(big.Int).SetString(n.String(), 10)
		if !ok {
			v.fail(at, "%s is not an integer", n)
			return
		}
		var lo, hi int64 = -1 << 63, 1<<63 - 1
		if format, _ := schema["format"].(string); format == "int32" {
			lo, hi = -1<<31, 1<<31-1
		}
		if i.Cmp(big.NewInt(lo)) < 0 || i.Cmp(big.NewInt(hi)) > 0 {
			v.fail(at, "%s is out of the integer's range", n)
		}
	}
	if m, ok := number(schema["minimum"]); ok && f.Cmp(big.NewFloat(m)) < 0 {
		v.fail(at, "%s is below the minimum %g", n, m)
	}
	if m, ok := number(schema["maximum"]); ok && f.Cmp(big.NewFloat(m)) > 0 {
		v.fail(at, "%s is above the maximum %g", n, m)
	}
}

func schemaList(v any) []map[string]any {
	list, _ := v.([]any)
	var out []map[string]any
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// number reads a YAML number (int or float64).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// jsonEqual compares a YAML enum value with a JSON one.
func jsonEqual(yamlVal, jsonVal any) bool {
	if n, ok := jsonVal.(json.Number); ok {
		f, err := n.Float64()
		y, isNum := number(yamlVal)
		return err == nil && isNum && f == y
	}
	return reflect.DeepEqual(yamlVal, jsonVal)
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string " + short(v)
	case json.Number:
		return "a number " + short(v)
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
