package api_test

import (
	"bytes"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/api"
)

// yamlKey matches a line that opens a mapping key in block-style YAML.
var yamlKey = regexp.MustCompile(`^( *)([^\s#:-][^:]*|"[^"]*"):(?: |$)`)

// outline reads a block-style YAML document, as openapi.yaml is written,
// into its mapping keys, each as the keys leading to it joined by " > "
// ("components > schemas > Account"), with the lines nested under it. It is
// not a YAML parser: it is enough to check that the document and the
// router agree, without a YAML dependency.
func outline(tb testing.TB, doc string) map[string][]string {
	tb.Helper()
	type open struct {
		indent int
		key    string
	}
	var stack []open
	join := func(stack []open) string {
		keys := make([]string, len(stack))
		for i, o := range stack {
			keys[i] = o.key
		}
		return strings.Join(keys, " > ")
	}
	out := map[string][]string{}
	for n, line := range strings.Split(doc, "\n") {
		if strings.Contains(line, "\t") {
			tb.Fatalf("openapi.yaml:%d: a tab", n+1)
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		for i := range stack {
			key := join(stack[:i+1])
			out[key] = append(out[key], trimmed)
		}
		if m := yamlKey.FindStringSubmatch(line); m != nil {
			stack = append(stack, open{indent, strings.Trim(m[2], `"`)})
			out[join(stack)] = nil
		}
	}
	return out
}

func TestOpenAPI(t *testing.T) {
	f := newFixture(t)
	resp, served := f.get(t, "/api/v1/openapi.yaml", "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	onDisk, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served, onDisk) {
		t.Fatal("the served document is not openapi.yaml")
	}
	doc := string(served)
	if !strings.HasPrefix(doc, "openapi: 3.0.") {
		t.Errorf("the document does not start with an OpenAPI 3.0 version")
	}
	keys := outline(t, doc)

	// Every route is documented, with its method, its path parameters and
	// whether it needs a token; every documented operation is a route.
	documented := map[string]bool{}
	for _, rt := range api.Routes(f.api) {
		if rt.Pattern == "GET /api/v1/" {
			continue // the JSON 404 for unknown API paths
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = strings.TrimSuffix(path, "{$}")
		op := "paths > " + path + " > " + strings.ToLower(method)
		documented[op] = true
		lines, ok := keys[op]
		if !ok {
			t.Errorf("route %q: no %s in the document", rt.Pattern, op)
			continue
		}
		public := slices.Contains(lines, "security: []")
		if public != (rt.Role == "") {
			t.Errorf("route %q: documented as public=%v, but its role is %q", rt.Pattern, public, rt.Role)
		}
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(path, -1) {
			if !slices.Contains(lines, "- name: "+m[1]) || !slices.Contains(lines, "in: path") {
				t.Errorf("route %q: path parameter %s is not documented", rt.Pattern, m[1])
			}
		}
		// Every route behind a token can refuse it (401), refuse its role
		// (403) and refuse a token whose budget is spent (429).
		if rt.Role != "" {
			for _, status := range []string{"401", "403", "429"} {
				if _, ok := keys[op+" > responses > "+status]; !ok {
					t.Errorf("route %q: no %s response documented", rt.Pattern, status)
				}
			}
		}
		if !slices.ContainsFunc([]string{"200", "201", "204"}, func(status string) bool {
			_, ok := keys[op+" > responses > "+status]
			return ok
		}) {
			t.Errorf("route %q: no success (200, 201 or 204) response documented", rt.Pattern)
		}
	}
	for key := range keys {
		parts := strings.Split(key, " > ")
		if len(parts) == 3 && parts[0] == "paths" && !documented[key] {
			t.Errorf("the document has %s %s, which is no route", parts[2], parts[1])
		}
	}

	// The bearer scheme is defined and required by default.
	for key, want := range map[string]string{
		"security": "- bearerAuth: []",
		"components > securitySchemes > bearerAuth": "scheme: bearer",
	} {
		if !slices.Contains(keys[key], want) {
			t.Errorf("%s does not hold %q", key, want)
		}
	}

	// Every $ref points at a component that exists.
	for _, m := range regexp.MustCompile(`\$ref: "#/([^"]+)"`).FindAllStringSubmatch(doc, -1) {
		if _, ok := keys[strings.ReplaceAll(m[1], "/", " > ")]; !ok {
			t.Errorf("$ref to #/%s, which is not defined", m[1])
		}
	}
}
