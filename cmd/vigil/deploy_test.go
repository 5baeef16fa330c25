package main

// Tests of the deployment files (Dockerfile, .dockerignore, deploy/compose,
// deploy/k8s, deploy/alertmanager) against the real binary: no Docker
// engine or cluster is needed, and nothing touches the network. Each file
// is read as the tool that uses it would read it (compose's YAML with its
// merge keys and ${VAR} interpolation, `kubectl kustomize` output, the
// Dockerfile's build command run by sh), and what it would hand to vigil
// (arguments, environment, configuration) is handed to vigil's own parser.

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// roles are the Vigil roles each deployment runs as its own service.
var roles = []string{targetIngest, targetClassify, targetStore, targetAPI}

// repoRoot is the repository's root (the tests run in cmd/vigil).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.work")); err != nil {
		tb.Fatalf("repository root: %v", err)
	}
	return root
}

// needBinary returns the path of a program a test runs, and fails (never
// skips) naming the Debian package that has it when it is missing.
func needBinary(tb testing.TB, name, pkg string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		tb.Fatalf("%s is missing: install Debian's %s package (scripts/services does)", name, pkg)
	}
	return p
}

// --- The Dockerfile ---

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	stage string // the name of the stage it is in (FROM ... AS NAME)
	cmd   string // upper case: FROM, RUN, COPY, ...
	args  string
}

func parseDockerfile(tb testing.TB, path string) []instruction {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var (
		out   []instruction
		stage string
		cur   strings.Builder
	)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{stage: stage, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stage = f[2]
			} else {
				stage = ""
			}
			in.stage = stage
		}
		out = append(out, in)
	}
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") { // comments, also inside a continued instruction
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return out
}

// dockerfile is what the tests need from the Dockerfile.
type dockerfile struct {
	all        []instruction
	final      string            // the last stage: what `docker build .` makes
	env        map[string]string // ENV of the final stage
	entrypoint []string
	user       string
	expose     []string
	examples   string // where the final stage puts the demo data
	buildCmd   string // the shell command of the RUN that builds ./cmd/vigil
	buildOut   string // its -o path
}

func readDockerfile(tb testing.TB, root string) dockerfile {
	tb.Helper()
	d := dockerfile{all: parseDockerfile(tb, filepath.Join(root, "Dockerfile")), env: map[string]string{}}
	for _, in := range d.all {
		if in.cmd == "FROM" {
			d.final = in.stage
		}
	}
	for _, in := range d.all {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") && strings.Contains(in.args, "./cmd/vigil") {
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") { // --mount=... and other RUN flags
				f = f[1:]
			}
			d.buildCmd = strings.Join(f, " ")
			if m := regexp.MustCompile(`-o (\S+) \./cmd/vigil`).FindStringSubmatch(d.buildCmd); m != nil {
				d.buildOut = m[1]
			}
		}
		if in.stage != d.final {
			continue
		}
		switch in.cmd {
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					tb.Fatalf("Dockerfile: ENV %q: want KEY=VALUE", in.args)
				}
				d.env[k] = v
			}
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &d.entrypoint); err != nil {
				tb.Fatalf("Dockerfile: ENTRYPOINT %s: want the exec form: %v", in.args, err)
			}
		case "USER":
			d.user = in.args
		case "EXPOSE":
			d.expose = append(d.expose, strings.Fields(in.args)...)
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) >= 2 && strings.HasSuffix(f[len(f)-2], "/out/examples") {
				d.examples = f[len(f)-1]
			}
		}
	}
	return d
}

func TestDeployDockerfile(t *testing.T) {
	root := repoRoot(t)
	d := readDockerfile(t, root)

	if d.final != "vigil" {
		t.Errorf("the last stage is %q: want vigil, so that `docker build .` makes Vigil's image", d.final)
	}
	if !slices.Equal(d.entrypoint, []string{"/vigil"}) {
		t.Errorf("ENTRYPOINT %q, want [\"/vigil\"]", d.entrypoint)
	}
	if uid, _, _ := strings.Cut(d.user, ":"); uid == "" || uid == "0" || strings.Trim(uid, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric user other than root (Kubernetes' runAsNonRoot checks it)", d.user)
	}
	if !slices.Contains(d.expose, "8080") {
		t.Errorf("EXPOSE %v: want 8080", d.expose)
	}
	// `docker run IMAGE run` must serve on the container's interface and
	// write where the image lets it.
	if d.env["VIGIL_HTTP_ADDR"] != "0.0.0.0:8080" || d.env["VIGIL_DATA_DIR"] == "" {
		t.Errorf("ENV %v: want VIGIL_HTTP_ADDR=0.0.0.0:8080 and a VIGIL_DATA_DIR", d.env)
	}
	if d.examples == "" {
		t.Errorf("the final stage does not copy the demo data (/out/examples)")
	}
	for name := range d.env {
		checkKnownEnv(t, "Dockerfile ENV", name)
	}

	// Every module of the workspace has its module files copied before the
	// download, so that none is missing from the build.
	copied := map[string]bool{}
	for _, in := range d.all {
		if in.cmd == "COPY" && in.stage != d.final && !strings.HasPrefix(in.args, "--from") {
			f := strings.Fields(in.args)
			for _, src := range f[:len(f)-1] {
				copied[src] = true
			}
		}
	}
	for _, mod := range workspaceModules(t, root) {
		files := []string{mod + "/go.mod"}
		if _, err := os.Stat(filepath.Join(root, mod, "go.sum")); err == nil {
			files = append(files, mod+"/go.sum")
		}
		for _, f := range files {
			if !copied[f] {
				t.Errorf("Dockerfile: no build stage COPYs %s (go.work uses ./%s)", f, mod)
			}
		}
	}
	if !copied["go.work"] || !copied["go.work.sum"] {
		t.Errorf("Dockerfile: no build stage COPYs go.work and go.work.sum")
	}

	if d.buildCmd == "" || d.buildOut == "" {
		t.Fatalf("Dockerfile: no RUN builds ./cmd/vigil with -o (found %q)", d.buildCmd)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-ldflags", "-s -w", "-X main.Version="} {
		if !strings.Contains(d.buildCmd, want) {
			t.Errorf("Dockerfile build command %q: no %s", d.buildCmd, want)
		}
	}
	t.Run("static binary", func(t *testing.T) { testDockerBuildStatic(t, root, d) })
}

// workspaceModules are the directories go.work uses.
func workspaceModules(tb testing.TB, root string) []string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(root, "go.work"))
	if err != nil {
		tb.Fatal(err)
	}
	var mods []string
	for _, m := range regexp.MustCompile(`(?m)^\s*\./(\S+)\s*$`).FindAllStringSubmatch(string(b), -1) {
		mods = append(mods, m[1])
	}
	if len(mods) < 5 {
		tb.Fatalf("go.work: found modules %v", mods)
	}
	return mods
}

// testDockerBuildStatic runs the Dockerfile's build command on this
// machine, as `sh -c` in the repository (the image's /src), with the
// output path moved to a temporary directory, and checks that it makes a
// static binary that knows its version and commit.
func testDockerBuildStatic(t *testing.T, root string, d dockerfile) {
	out := filepath.Join(t.TempDir(), "vigil")
	script := strings.Replace(d.buildCmd, "-o "+d.buildOut+" ", "-o "+out+" ", 1)
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = root
	// The build args as `docker build --build-arg` gives them, and the
	// workspace (the module tests may run with GOWORK=off).
	cmd.Env = append(os.Environ(), "VERSION=1.2.3-test", "COMMIT=0123456789ab", "GOWORK="+filepath.Join(root, "go.work"), "GOFLAGS=")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, b)
	}
	t.Logf("built the image's binary in %s", time.Since(start).Round(time.Second))

	f, err := elf.Open(out)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (program header %v): distroless/static has no libc", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v)", libs, err)
	}
	if f.Section(".symtab") != nil {
		t.Errorf("the binary has a symbol table: -ldflags -s did not apply")
	}
	v, err := exec.Command(out, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(v)) != "vigil 1.2.3-test+0123456789ab" {
		t.Errorf("vigil version: %q %v, want \"vigil 1.2.3-test+0123456789ab\" (VERSION+COMMIT, so that packs name the commit)", v, err)
	}
}

// TestDeployDockerignore checks that .dockerignore keeps every file the
// image build needs: the workspace and module files, the Go and embedded
// files of every package the two binaries are built from, the demo data
// and NOTICE.
func TestDeployDockerignore(t *testing.T) {
	root := repoRoot(t)
	patterns := readDockerignore(t, filepath.Join(root, ".dockerignore"))
	need := []string{"go.work", "go.work.sum", "NOTICE"}
	for _, mod := range workspaceModules(t, root) {
		for _, f := range []string{"go.mod", "go.sum"} {
			if _, err := os.Stat(filepath.Join(root, mod, f)); err == nil {
				need = append(need, mod+"/"+f)
			}
		}
	}
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{with .Module}}{{.Path}}{{end}}|{{.Dir}}|{{join .GoFiles ","}}|{{join .EmbedFiles ","}}`,
		"./cmd/vigil", "./examples/alertwebhook")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"), "GOFLAGS=", "CGO_ENABLED=0")
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	packages := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 4 || !strings.HasPrefix(f[0], "github.com/vigilhq/vigil/") {
			continue
		}
		packages++
		for _, name := range slices.Concat(strings.Split(f[2], ","), strings.Split(f[3], ",")) {
			if name == "" {
				continue
			}
			rel, err := filepath.Rel(root, filepath.Join(f[1], name))
			if err != nil {
				t.Fatal(err)
			}
			need = append(need, filepath.ToSlash(rel))
		}
	}
	if packages < 10 {
		t.Fatalf("go list found %d of the workspace's packages", packages)
	}
	demo, err := filepath.Glob(filepath.Join(root, "examples", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range demo {
		need = append(need, "examples/"+filepath.Base(p))
	}
	for _, p := range need {
		if pat := dockerignored(patterns, p); pat != "" {
			t.Errorf(".dockerignore: %q excludes %s, which the image build needs", pat, p)
		}
	}
	// And it does keep out what must not go into a build context.
	for _, p := range []string{".git/config", "data/vigil.db", "deploy/compose/.env", "deploy/k8s/base/secrets.env"} {
		if dockerignored(patterns, p) == "" {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
}

type ignorePattern struct {
	text    string
	re      *regexp.Regexp
	exclude bool // false for a "!" exception
}

func readDockerignore(tb testing.TB, path string) []ignorePattern {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []ignorePattern
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := ignorePattern{text: line, exclude: true}
		if strings.HasPrefix(line, "!") {
			p.exclude, line = false, strings.TrimSpace(line[1:])
		}
		line = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(line)), "/")
		p.re = regexp.MustCompile("^" + globRegexp(line) + "$")
		out = append(out, p)
	}
	return out
}

// globRegexp translates a .dockerignore pattern as Docker reads it
// (filepath.Match, plus ** for any number of directories).
func globRegexp(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// dockerignored returns the pattern that keeps path out of the build
// context ("" when it is in): the last pattern that matches the path or
// one of its parent directories decides, as in Docker.
func dockerignored(patterns []ignorePattern, path string) string {
	decided := ""
	for _, p := range patterns {
		for dir := path; dir != "." && dir != "/"; dir = filepath.Dir(dir) {
			if p.re.MatchString(dir) {
				decided = ""
				if p.exclude {
					decided = p.text
				}
				break
			}
		}
	}
	return decided
}

func TestDeployDockerignoreMatcher(t *testing.T) {
	pats := readDockerignoreText(t, ".git\n**/testdata\nexamples/tools\n*.md\n!README.md\n")
	for path, want := range map[string]string{
		".git/objects/ab":            ".git",
		"api/testdata/x.json":        "**/testdata",
		"testdata/x":                 "**/testdata",
		"examples/tools/genposts.py": "examples/tools",
		"examples/lexicon.yaml":      "",
		"BENCHMARKS.md":              "*.md",
		"README.md":                  "",
		"docs/sources.md":            "",
		"api/go.mod":                 "",
	} {
		if got := dockerignored(pats, path); got != want {
			t.Errorf("%s: excluded by %q, want %q", path, got, want)
		}
	}
}

func readDockerignoreText(tb testing.TB, text string) []ignorePattern {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), ".dockerignore")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return readDockerignore(tb, p)
}

// --- What vigil is given: arguments, environment, configuration ---

// knownEnv are the VIGIL_* variables vigil reads: every "VIGIL_..."
// string in the non-test sources of cmd/vigil.
var knownEnvNames = map[string]bool{}

func checkKnownEnv(tb testing.TB, where, name string) {
	tb.Helper()
	if !strings.HasPrefix(name, "VIGIL_") {
		return
	}
	if len(knownEnvNames) == 0 {
		files, err := filepath.Glob("*.go")
		if err != nil {
			tb.Fatal(err)
		}
		re := regexp.MustCompile(`"(VIGIL_[A-Z0-9_]+)"`)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				knownEnvNames[m[1]] = true
			}
		}
		if !knownEnvNames["VIGIL_POSTGRES"] {
			tb.Fatalf("found no VIGIL_POSTGRES in cmd/vigil's sources: %v", knownEnvNames)
		}
	}
	if !knownEnvNames[name] {
		tb.Errorf("%s: vigil reads no %s (config.go and the commands read %v)", where, name, sortedKeys(knownEnvNames))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// hostConfig copies a configuration file written for the image, with the
// image's demo data directory (Dockerfile: examples) replaced by the
// repository's examples/, so that vigil can check it here.
func hostConfig(tb testing.TB, root, imageExamples, name string, data []byte) string {
	tb.Helper()
	text := strings.ReplaceAll(string(data), imageExamples+"/", filepath.Join(root, "examples")+"/")
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// sentinelRedis is an invalid redis.addr that the run-argument check sets,
// so that `vigil run` stops at its last check before it starts anything.
const sentinelRedis = "deploy-test-stops-here"

// checkRunArgs hands args (the container's command after the entrypoint)
// to vigil's own `run` command with env (the image's and the service's
// environment), configs mapping the container's config path to a host
// copy. It passes when run gets as far as validating the configuration,
// past every flag, the target and its Kafka brokers, and then finds
// nothing wrong but the sentinel Redis address the check put there: run
// starts nothing.
func checkRunArgs(tb testing.TB, where, role string, args []string, env map[string]string, configs map[string]string) {
	tb.Helper()
	if len(args) == 0 || args[0] != "run" {
		tb.Errorf("%s: command %q: want run ...", where, args)
		return
	}
	if !slices.Contains(args, "--target="+role) {
		tb.Errorf("%s: command %q: want --target=%s", where, args, role)
	}
	hostArgs := slices.Clone(args[1:])
	config := ""
	for i, a := range hostArgs {
		if c, ok := strings.CutPrefix(a, "--config="); ok {
			config = c
			host, ok := configs[c]
			if !ok {
				tb.Errorf("%s: --config=%s: no such file in the container (mounted: %v)", where, c, sortedKeys(configs))
				return
			}
			hostArgs[i] = "--config=" + host
		}
	}
	if config == "" {
		tb.Errorf("%s: command %q: no --config=FILE", where, args)
	}
	getenv := func(k string) string {
		if k == "VIGIL_REDIS_ADDR" {
			return sentinelRedis
		}
		return env[k]
	}
	var stderr bytes.Buffer
	err := cmdRun(context.Background(), hostArgs, IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Getenv: getenv})
	switch {
	case err == nil:
		tb.Fatalf("%s: vigil run %q started although redis.addr was %q", where, args, sentinelRedis)
	case errors.Is(err, errUsage):
		tb.Errorf("%s: vigil run %q: %v", where, args, err)
	case strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), fmt.Sprintf("redis.addr %q", sentinelRedis)):
		tb.Errorf("%s: vigil run %q refused its configuration:\n%v", where, args, err)
	}
}

// checkConfig runs `vigil config check` on a configuration file.
func checkConfig(tb testing.TB, where, path string, env map[string]string) {
	tb.Helper()
	var stderr bytes.Buffer
	code := execute(context.Background(), []string{"config", "check", "--config", path},
		IO{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &stderr, Getenv: func(k string) string { return env[k] }})
	if code != exitOK || !strings.Contains(stderr.String(), ": OK (") {
		tb.Errorf("%s: vigil config check: exit %d\n%s", where, code, stderr.String())
	}
}

// --- deploy/compose ---

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       *composeBuild     `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type composeBuild struct {
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Target     string            `yaml:"target"`
	Args       map[string]string `yaml:"args"`
}

var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}`)

// interpolate expands compose's ${VAR}, ${VAR:-default} and ${VAR:?error}
// with env, as `docker compose` does with .env; a required variable that
// is unset is an error.
func interpolate(s string, env map[string]string) (string, error) {
	var missing []string
	out := composeVar.ReplaceAllStringFunc(s, func(m string) string {
		g := composeVar.FindStringSubmatch(m)
		v, set := env[g[1]]
		switch g[2] {
		case ":-":
			if v == "" {
				return g[3]
			}
		case "-":
			if !set {
				return g[3]
			}
		case ":?", "?":
			if v == "" {
				missing = append(missing, g[1]+": "+g[3])
			}
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("unset: %s", strings.Join(missing, "; "))
	}
	return out, nil
}

func readEnvFile(tb testing.TB, path string) map[string]string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	env := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			tb.Fatalf("%s:%d: want NAME=VALUE", path, i+1)
		}
		env[k] = v
	}
	return env
}

func TestDeployCompose(t *testing.T) {
	root := repoRoot(t)
	dir := filepath.Join(root, "deploy", "compose")
	d := readDockerfile(t, root)
	raw, err := os.ReadFile(filepath.Join(dir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dotenv := readEnvFile(t, filepath.Join(dir, ".env.example"))

	// Every secret comes from .env, and .env.example holds none.
	for _, m := range composeVar.FindAllStringSubmatch(string(raw), -1) {
		if strings.HasSuffix(m[2], "?") {
			v, ok := dotenv[m[1]]
			if !ok {
				t.Errorf("compose.yaml requires %s, which .env.example does not list", m[1])
			} else if !strings.HasPrefix(v, "change-me") {
				t.Errorf(".env.example: %s=%q: a required secret's example must read change-me...", m[1], v)
			}
		}
	}
	text, err := interpolate(string(raw), dotenv)
	if err != nil {
		t.Fatalf("compose.yaml with .env.example: %v", err)
	}
	if _, err := interpolate(string(raw), map[string]string{}); err == nil {
		t.Errorf("compose.yaml starts without a .env: want its secrets required (${VAR:?...})")
	}
	var c composeFile
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(false)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}

	want := []string{"kafka", "postgres", "redis", "prometheus", "alertmanager", "grafana", "alertwebhook"}
	for _, r := range roles {
		want = append(want, "vigil-"+r)
	}
	for _, name := range want {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("compose.yaml: no service %s", name)
		}
	}

	// Bind mounts name files of the repository; named volumes are declared.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, ".") {
				if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
					t.Errorf("service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("service %s mounts volume %s, which volumes: does not declare", name, src)
			}
		}
		for dep, cond := range s.DependsOn {
			if cond.Condition == "service_healthy" && (c.Services[dep].Healthcheck == nil || len(c.Services[dep].Healthcheck.Test) == 0) {
				t.Errorf("service %s waits for %s to be healthy, which has no healthcheck", name, dep)
			}
		}
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %s on every interface: want 127.0.0.1 (a TLS proxy goes in front)", name, p)
			}
		}
	}

	// Kafka: KRaft, one node, advertised where the roles look for it.
	kafka := c.Services["kafka"]
	checkKafkaImage(t, kafka.Image)
	if kafka.Environment["KAFKA_PROCESS_ROLES"] != "broker,controller" || !strings.Contains(kafka.Environment["KAFKA_ADVERTISED_LISTENERS"], "//kafka:9092") {
		t.Errorf("kafka: %v: want a combined KRaft node advertising kafka:9092", kafka.Environment)
	}
	if prom := c.Services["prometheus"]; !slices.Contains(prom.Command, "--config.file=/etc/prometheus/prometheus.yml") ||
		!slices.Contains(prom.Volumes, "../prometheus:/etc/prometheus:ro") {
		t.Errorf("prometheus: command %q, volumes %q", prom.Command, prom.Volumes)
	}
	if am := c.Services["alertmanager"]; !slices.Contains(am.Command, "--config.file=/etc/alertmanager/alertmanager.yml") ||
		!slices.Contains(am.Volumes, "../alertmanager:/etc/alertmanager:ro") {
		t.Errorf("alertmanager: command %q, volumes %q", am.Command, am.Volumes)
	}
	if g := c.Services["grafana"]; !slices.Contains(g.Volumes, "../grafana/provisioning:/etc/grafana/provisioning:ro") ||
		!slices.Contains(g.Volumes, "../grafana/dashboards:/var/lib/grafana/dashboards:ro") || g.Environment["GF_SECURITY_ADMIN_PASSWORD"] == "" {
		t.Errorf("grafana: volumes %q, environment %v", g.Volumes, g.Environment)
	}

	// The roles: built from the Dockerfile, each its --target with the
	// config and environment vigil accepts.
	for _, r := range roles {
		name := "vigil-" + r
		s := c.Services[name]
		if s.Build == nil || filepath.Clean(filepath.Join(dir, s.Build.Context)) != root || s.Build.Target != d.final {
			t.Errorf("%s: build %+v: want the repository's Dockerfile, target %s", name, s.Build, d.final)
		}
		env := map[string]string{}
		for k, v := range d.env {
			env[k] = v
		}
		for k, v := range s.Environment {
			checkKnownEnv(t, "compose.yaml "+name, k)
			env[k] = v
		}
		configs := map[string]string{}
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			if strings.HasSuffix(src, ".yaml") {
				b, err := os.ReadFile(filepath.Join(dir, src))
				if err != nil {
					t.Fatal(err)
				}
				configs[dst] = hostConfig(t, root, d.examples, filepath.Base(src), b)
			}
		}
		if r != targetAPI && !slices.Contains(s.Command, "--kafka-brokers=kafka:9092") {
			t.Errorf("%s: command %q: want --kafka-brokers=kafka:9092", name, s.Command)
		}
		if (r == targetStore || r == targetAPI) && !strings.Contains(env["VIGIL_POSTGRES"], "@postgres:5432/") {
			t.Errorf("%s: VIGIL_POSTGRES %q: want the postgres service", name, env["VIGIL_POSTGRES"])
		}
		if r == targetAPI && env["VIGIL_ADMIN_TOKEN"] == "" {
			t.Errorf("%s: no VIGIL_ADMIN_TOKEN: each start would make its own", name)
		}
		checkRunArgs(t, "compose.yaml "+name, r, s.Command, env, configs)
	}

	// The config file itself, as `vigil config check` sees it.
	b, err := os.ReadFile(filepath.Join(dir, "vigil.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, "deploy/compose/vigil.yaml", hostConfig(t, root, d.examples, "vigil.yaml", b),
		map[string]string{"VIGIL_POSTGRES": "postgres://vigil:dummy@postgres:5432/vigil?sslmode=disable"})
	checkDocumentedImages(t, root, c)
}

// checkKafkaImage: kafka-go's JoinGroup v1 is refused by Kafka 4.0.0.
func checkKafkaImage(tb testing.TB, image string) {
	tb.Helper()
	m := regexp.MustCompile(`^apache/kafka:(\d+)\.(\d+)\.(\d+)$`).FindStringSubmatch(image)
	if m == nil {
		tb.Errorf("kafka image %q: want apache/kafka:X.Y.Z", image)
		return
	}
	v := [3]int{}
	for i := range v {
		v[i], _ = strconv.Atoi(m[i+1])
	}
	if v[0] < 4 || (v[0] == 4 && v[1] == 0 && v[2] < 1) {
		tb.Errorf("kafka image %q: want 4.0.1 or newer (kafka-go's JoinGroup v1 is refused by 4.0.0)", image)
	}
}

// checkDocumentedImages: docs/deployment.md names the versions compose
// runs.
func checkDocumentedImages(tb testing.TB, root string, c composeFile) {
	tb.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "deployment.md"))
	if err != nil {
		tb.Fatal(err)
	}
	for name, s := range c.Services {
		if s.Build != nil {
			continue
		}
		if !strings.Contains(string(doc), "`"+s.Image+"`") {
			tb.Errorf("docs/deployment.md does not name %s's image `%s`", name, s.Image)
		}
	}
}

// --- deploy/k8s ---

// k8sObject is the part of a Kubernetes object the tests read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		// Selector is a Service's label map, or a Deployment's or a
		// PodDisruptionBudget's label selector (matchLabels): see labels.
		Selector     map[string]any `yaml:"selector"`
		MinAvailable any            `yaml:"minAvailable"`
		Template     struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec k8sPodSpec `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
			Name       string `yaml:"name"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sPodSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []k8sContainer `yaml:"containers"`
	Volumes    []struct {
		Name      string `yaml:"name"`
		ConfigMap *struct {
			Name string `yaml:"name"`
		} `yaml:"configMap"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
			Optional   bool   `yaml:"optional"`
		} `yaml:"secret"`
		EmptyDir any `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type k8sContainer struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef    *k8sKeyRef `yaml:"secretKeyRef"`
			ConfigMapKeyRef *k8sKeyRef `yaml:"configMapKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *k8sKeyRef `yaml:"configMapRef"`
		SecretRef    *k8sKeyRef `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sKeyRef struct {
	Name     string `yaml:"name"`
	Key      string `yaml:"key"`
	Optional bool   `yaml:"optional"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// kustomize builds a kustomization with `kubectl kustomize` and returns
// its objects, or the command's error.
func kustomize(tb testing.TB, dir string) ([]k8sObject, error) {
	tb.Helper()
	kubectl := needBinary(tb, "kubectl", "kubernetes-client")
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kubectl kustomize %s: %v: %s", dir, err, stderr.String())
	}
	var objs []k8sObject
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o k8sObject
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			tb.Fatalf("kubectl kustomize %s: %v", dir, err)
		}
		if o.Kind != "" {
			objs = append(objs, o)
		}
	}
	return objs, nil
}

func copyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestDeployKubernetes(t *testing.T) {
	root := repoRoot(t)
	d := readDockerfile(t, root)
	tree := t.TempDir()
	copyTree(t, filepath.Join(root, "deploy", "k8s"), tree)
	base := filepath.Join(tree, "base")

	// secrets.env is not committed: the build says it needs it...
	if _, err := kustomize(t, base); err == nil || !strings.Contains(err.Error(), "secrets.env") {
		t.Errorf("kubectl kustomize without secrets.env: %v, want an error naming secrets.env", err)
	}
	// ...and builds with the example's values in it.
	example, err := os.ReadFile(filepath.Join(base, "secrets.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "secrets.env"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := kustomize(t, base)
	if err != nil {
		t.Fatal(err)
	}

	byKind := map[string]map[string]k8sObject{}
	for _, o := range objs {
		if byKind[o.Kind] == nil {
			byKind[o.Kind] = map[string]k8sObject{}
		}
		byKind[o.Kind][o.Metadata.Name] = o
		if o.Kind != "Namespace" && o.Metadata.Namespace != "vigil" {
			t.Errorf("%s %s is in namespace %q, want vigil", o.Kind, o.Metadata.Name, o.Metadata.Namespace)
		}
	}
	if _, ok := byKind["Namespace"]["vigil"]; !ok {
		t.Errorf("no Namespace vigil")
	}
	// Generated objects carry a hash of their content in their name.
	generated := func(kind, prefix string) k8sObject {
		for name, o := range byKind[kind] {
			if strings.HasPrefix(name, prefix+"-") {
				return o
			}
		}
		t.Fatalf("no %s %s-HASH among %v", kind, prefix, sortedKeys(byKind[kind]))
		return k8sObject{}
	}
	secret := generated("Secret", "vigil-secrets")
	for k := range secret.Data {
		checkKnownEnv(t, "secrets.env.example", k)
	}
	config := generated("ConfigMap", "vigil-config")
	if config.Data["vigil.yaml"] == "" {
		t.Fatalf("ConfigMap %s has no vigil.yaml", config.Metadata.Name)
	}
	envMap := generated("ConfigMap", "vigil-env")
	for k := range envMap.Data {
		checkKnownEnv(t, "ConfigMap vigil-env", k)
	}
	hostCfg := hostConfig(t, root, d.examples, "vigil.yaml", []byte(config.Data["vigil.yaml"]))
	dummies := map[string]string{}
	for k, v := range secret.Data {
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(v, "\n", ""))
		if err != nil {
			t.Fatalf("Secret %s: %s: %v", secret.Metadata.Name, k, err)
		}
		dummies[k] = string(b)
	}
	checkConfig(t, "deploy/k8s/base/vigil.yaml", hostCfg, dummies)

	image := ""
	for _, r := range roles {
		name := "vigil-" + r
		dep, ok := byKind["Deployment"][name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		pod := dep.Spec.Template.Spec
		if len(pod.Containers) != 1 {
			t.Errorf("%s: %d containers, want 1", name, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		where := "Deployment " + name
		if image == "" {
			image = c.Image
		}
		if c.Image != image || c.Image == "vigil" || !strings.Contains(c.Image, ":") {
			t.Errorf("%s: image %q: want the kustomization's images: entry, the same for every role", where, c.Image)
		}
		if sel := dep.selector(); sel["app.kubernetes.io/component"] != r || !subset(sel, dep.Spec.Template.Metadata.Labels) {
			t.Errorf("%s: selector %v, pod labels %v", where, sel, dep.Spec.Template.Metadata.Labels)
		}
		if a := dep.Spec.Template.Metadata.Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "8080" || a["prometheus.io/path"] != "/metrics" {
			t.Errorf("%s: annotations %v: want prometheus.io/scrape, port 8080 and path /metrics", where, a)
		}

		// The environment, resolved as the kubelet would.
		env := map[string]string{}
		for k, v := range d.env {
			env[k] = v
		}
		for _, ef := range c.EnvFrom {
			switch {
			case ef.ConfigMapRef != nil:
				cm, ok := byKind["ConfigMap"][ef.ConfigMapRef.Name]
				if !ok && !ef.ConfigMapRef.Optional {
					t.Errorf("%s: envFrom ConfigMap %s does not exist", where, ef.ConfigMapRef.Name)
				}
				for k, v := range cm.Data {
					env[k] = v
				}
			case ef.SecretRef != nil:
				if _, ok := byKind["Secret"][ef.SecretRef.Name]; !ok && !ef.SecretRef.Optional {
					t.Errorf("%s: envFrom Secret %s does not exist", where, ef.SecretRef.Name)
				}
			}
		}
		for _, e := range c.Env {
			checkKnownEnv(t, where, e.Name)
			switch {
			case e.ValueFrom == nil:
				env[e.Name] = e.Value
			case e.ValueFrom.SecretKeyRef != nil:
				ref := e.ValueFrom.SecretKeyRef
				if ref.Name != secret.Metadata.Name {
					t.Errorf("%s: %s from Secret %s, which the kustomization does not make", where, e.Name, ref.Name)
				}
				v, ok := dummies[ref.Key]
				if !ok {
					t.Errorf("%s: %s from key %s, which secrets.env.example does not have", where, e.Name, ref.Key)
				}
				env[e.Name] = v
			default:
				t.Errorf("%s: %s: only values and Secret keys are expected", where, e.Name)
			}
		}
		if env["VIGIL_KAFKA_BROKERS"] == "" && r != targetAPI {
			t.Errorf("%s: no VIGIL_KAFKA_BROKERS", where)
		}
		if env["VIGIL_REDIS_ADDR"] == "" {
			t.Errorf("%s: no VIGIL_REDIS_ADDR: replicas share dedup, cursors, leases and rate limits through Redis", where)
		}
		if (r == targetStore || r == targetAPI) && env["VIGIL_POSTGRES"] == "" {
			t.Errorf("%s: no VIGIL_POSTGRES", where)
		}
		if r == targetAPI && env["VIGIL_ADMIN_TOKEN"] == "" {
			t.Errorf("%s: no VIGIL_ADMIN_TOKEN: each replica would make its own", where)
		}

		// Mounts: the config, and a writable data directory (the root
		// file system is read-only).
		volumes := map[string]int{}
		for i, v := range pod.Volumes {
			volumes[v.Name] = i
		}
		configs := map[string]string{}
		dataMounted := false
		for _, m := range c.VolumeMounts {
			i, ok := volumes[m.Name]
			if !ok {
				t.Errorf("%s: mount %s of no volume", where, m.Name)
				continue
			}
			v := pod.Volumes[i]
			if v.ConfigMap != nil && v.ConfigMap.Name == config.Metadata.Name {
				configs[m.MountPath+"/vigil.yaml"] = hostCfg
			}
			if m.MountPath == env["VIGIL_DATA_DIR"] && v.EmptyDir != nil {
				dataMounted = true
			}
		}
		if !dataMounted {
			t.Errorf("%s: the data directory %s is not an emptyDir (the root file system is read-only)", where, env["VIGIL_DATA_DIR"])
		}
		checkRunArgs(t, where, r, c.Args, env, configs)

		// Probes on the port vigil listens on.
		port8080 := func(p any) bool {
			switch p := p.(type) {
			case int:
				return p == 8080
			case string:
				for _, cp := range c.Ports {
					if cp.Name == p {
						return cp.ContainerPort == 8080
					}
				}
			}
			return false
		}
		for _, pr := range []struct {
			name  string
			probe *k8sProbe
			path  string
		}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}, {"startup", c.StartupProbe, "/healthz"}} {
			if pr.probe == nil || pr.probe.HTTPGet == nil {
				if pr.name != "startup" {
					t.Errorf("%s: no HTTP %s probe", where, pr.name)
				}
				continue
			}
			if pr.probe.HTTPGet.Path != pr.path || !port8080(pr.probe.HTTPGet.Port) {
				t.Errorf("%s: %s probe %+v, want %s on 8080", where, pr.name, *pr.probe.HTTPGet, pr.path)
			}
		}
		for _, res := range []string{"cpu", "memory"} {
			if c.Resources.Requests[res] == "" || c.Resources.Limits[res] == "" {
				t.Errorf("%s: resources %+v: want requests and limits of cpu and memory", where, c.Resources)
			}
		}
		sc := c.SecurityContext
		if pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
			sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			!slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
			t.Errorf("%s: security context %+v / %+v: want runAsNonRoot, readOnlyRootFilesystem, no privilege escalation, drop ALL", where, pod.SecurityContext, sc)
		}
		if svc, ok := byKind["Service"][name]; !ok || !subset(svc.selector(), dep.Spec.Template.Metadata.Labels) {
			t.Errorf("Service %s (for its metrics, or the api's traffic) is missing or does not select the role's pods: %+v", name, svc.Spec.Selector)
		}
	}

	// The api's Service and disruption budget select the api's pods.
	apiLabels := byKind["Deployment"]["vigil-api"].Spec.Template.Metadata.Labels
	for _, kind := range []string{"Service", "PodDisruptionBudget"} {
		if _, ok := byKind[kind]["vigil-api"]; !ok {
			t.Errorf("no %s vigil-api", kind)
		}
	}
	if pdb := byKind["PodDisruptionBudget"]["vigil-api"]; !subset(pdb.selector(), apiLabels) || pdb.Spec.MinAvailable == nil {
		t.Errorf("PodDisruptionBudget vigil-api: %+v does not keep api pods (%v)", pdb.Spec.Selector, apiLabels)
	}
}

// selector returns the labels an object selects pods by: a Service's
// spec.selector, or the matchLabels of a Deployment's or a
// PodDisruptionBudget's.
func (o k8sObject) selector() map[string]string {
	m := o.Spec.Selector
	if o.Kind != "Service" {
		m, _ = m["matchLabels"].(map[string]any)
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// subset: every label of sel is in labels, and sel has some.
func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// --- deploy/alertmanager and the example webhook ---

func TestAlertmanagerConfigCheck(t *testing.T) {
	amtool := needBinary(t, "amtool", "prometheus-alertmanager")
	path := filepath.Join(repoRoot(t), "deploy", "alertmanager", "alertmanager.yml")
	out, err := exec.Command(amtool, "check-config", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("amtool check-config %s: %v\n%s", path, err, out)
	}
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess starts a program whose output goes to a file, and stops it
// when the test ends.
func startProcess(tb testing.TB, logPath, name string, args ...string) *exec.Cmd {
	tb.Helper()
	log, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
	return cmd
}

func readLog(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestAlertmanagerDeliversToWebhook runs the real Alertmanager (Debian's
// prometheus-alertmanager) with the repository's alertmanager.yml, its
// webhook URL pointed at the example receiver (examples/alertwebhook,
// built and run as its own process) and its waits shortened, posts three
// alerts to Alertmanager's API and checks what reaches the receiver: the
// critical one through vigil-critical, a warning about another region
// through vigil-warning, and not the warning that the critical one
// inhibits. The bearer token the receiver requires travels too.
func TestAlertmanagerDeliversToWebhook(t *testing.T) {
	alertmanager := needBinary(t, "prometheus-alertmanager", "prometheus-alertmanager")
	root := repoRoot(t)
	dir := t.TempDir()

	// The receiver, built from the examples module as the image builds it.
	hook := filepath.Join(dir, "alertwebhook")
	build := exec.Command("go", "build", "-o", hook, "./examples/alertwebhook")
	build.Dir = root
	build.Env = append(os.Environ(), "GOWORK="+filepath.Join(root, "go.work"), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/alertwebhook: %v\n%s", err, out)
	}
	const token = "deploy-test-webhook-token"
	records := filepath.Join(dir, "alerts.jsonl")
	hookLog := filepath.Join(dir, "alertwebhook.log")
	hookPort := freePort(t)
	hookCmd := exec.Command(hook, "-addr", fmt.Sprintf("127.0.0.1:%d", hookPort), "-out", records)
	hookCmd.Env = append(os.Environ(), "ALERTWEBHOOK_TOKEN="+token)
	hl, err := os.Create(hookLog)
	if err != nil {
		t.Fatal(err)
	}
	hookCmd.Stdout, hookCmd.Stderr = hl, hl
	if err := hookCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hookCmd.Process.Signal(os.Interrupt); hookCmd.Wait(); hl.Close() })
	hookURL := fmt.Sprintf("http://127.0.0.1:%d/alerts", hookPort)

	// The repository's config, with the receiver's address and token, and
	// seconds instead of minutes.
	b, err := os.ReadFile(filepath.Join(root, "deploy", "alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	hooks := 0
	for _, r := range cfg["receivers"].([]any) {
		for _, w := range asSlice(r.(map[string]any)["webhook_configs"]) {
			wc := w.(map[string]any)
			if wc["url"] != "http://alertwebhook:9095/alerts" {
				t.Errorf("receiver %v: webhook url %v, want the compose service alertwebhook", r.(map[string]any)["name"], wc["url"])
			}
			wc["url"] = hookURL
			wc["http_config"] = map[string]any{"authorization": map[string]any{"credentials_file": tokenFile}}
			hooks++
		}
	}
	if hooks < 2 {
		t.Fatalf("alertmanager.yml: %d webhook receivers, want one per severity", hooks)
	}
	var shorten func(route map[string]any)
	shorten = func(route map[string]any) {
		route["group_wait"], route["group_interval"], route["repeat_interval"] = "1s", "1s", "1h"
		for _, sub := range asSlice(route["routes"]) {
			shorten(sub.(map[string]any))
		}
	}
	shorten(cfg["route"].(map[string]any))
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, out, 0o600); err != nil {
		t.Fatal(err)
	}

	amPort := freePort(t)
	amURL := fmt.Sprintf("http://127.0.0.1:%d", amPort)
	amLog := filepath.Join(dir, "alertmanager.log")
	startProcess(t, amLog, alertmanager,
		"--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", amPort),
		"--cluster.listen-address=", // no gossip port
	)
	waitHTTP(t, amURL+"/-/ready", amLog)
	waitHTTP(t, strings.TrimSuffix(hookURL, "/alerts")+"/healthz", hookLog)

	// The critical alert first, then the warnings, which start now: their
	// groups wait group_wait (1s) before they are sent, time enough for the
	// inhibition to know the critical one. (Alertmanager sends a group at
	// once when its alert started more than group_wait ago.)
	alert := func(name, severity, region, summary string, startsAt time.Time) map[string]any {
		return map[string]any{
			"labels": map[string]string{"alertname": name, "severity": severity, "indicator": "region",
				"category": "dehumanisation", "region": region},
			"annotations": map[string]string{"summary": summary},
			"startsAt":    startsAt.UTC().Format(time.RFC3339Nano),
		}
	}
	postAlerts := func(alerts ...map[string]any) {
		t.Helper()
		body, _ := json.Marshal(alerts)
		res, err := http.Post(amURL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("POST /api/v2/alerts: %s", res.Status)
		}
	}
	postAlerts(alert("VigilIndicatorSurgeInRegion", "critical", "Sagaing", "dehumanisation surging in Sagaing", time.Now().Add(-time.Minute)))
	eventually(t, 10*time.Second, "Alertmanager lists the critical alert", func() (bool, string) {
		res, err := http.Get(amURL + "/api/v2/alerts?active=true")
		if err != nil {
			return false, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return strings.Contains(string(b), "VigilIndicatorSurgeInRegion"), string(b)
	})
	postAlerts(
		alert("VigilIndicatorSpikeInRegion", "warning", "Sagaing", "dehumanisation rising in Sagaing", time.Now()),
		alert("VigilIndicatorSpikeInRegion", "warning", "Magway", "dehumanisation rising in Magway", time.Now()),
	)

	type record struct {
		Receiver    string            `json:"receiver"`
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
	read := func() []record {
		var rs []record
		for _, line := range strings.Split(strings.TrimSpace(readLog(records)), "\n") {
			var r record
			if line != "" && json.Unmarshal([]byte(line), &r) == nil {
				rs = append(rs, r)
			}
		}
		return rs
	}
	find := func(rs []record, name, region string) *record {
		for i := range rs {
			if rs[i].Labels["alertname"] == name && rs[i].Labels["region"] == region {
				return &rs[i]
			}
		}
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		rs := read()
		if find(rs, "VigilIndicatorSurgeInRegion", "Sagaing") != nil && find(rs, "VigilIndicatorSpikeInRegion", "Magway") != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the alerts did not reach the webhook within 30s; received %+v\nalertmanager:\n%s\nalertwebhook:\n%s", rs, readLog(amLog), readLog(hookLog))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Two more group intervals for anything that should not come.
	time.Sleep(3 * time.Second)
	rs := read()
	crit := find(rs, "VigilIndicatorSurgeInRegion", "Sagaing")
	if crit.Receiver != "vigil-critical" || crit.Status != "firing" || crit.Labels["category"] != "dehumanisation" ||
		crit.Labels["severity"] != "critical" || crit.Annotations["summary"] != "dehumanisation surging in Sagaing" {
		t.Errorf("critical alert arrived as %+v", *crit)
	}
	if warn := find(rs, "VigilIndicatorSpikeInRegion", "Magway"); warn.Receiver != "vigil-warning" {
		t.Errorf("warning about Magway arrived through %q, want vigil-warning", warn.Receiver)
	}
	if inhibited := find(rs, "VigilIndicatorSpikeInRegion", "Sagaing"); inhibited != nil {
		t.Errorf("the warning about Sagaing arrived (%+v) although the critical alert of the same indicator inhibits it", *inhibited)
	}
	if !strings.Contains(readLog(hookLog), `firing VigilIndicatorSurgeInRegion {category="dehumanisation", indicator="region", region="Sagaing", severity="critical"}`) {
		t.Errorf("the receiver did not print the critical alert's line:\n%s", readLog(hookLog))
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// waitHTTP waits until url answers 200, for up to 30 seconds.
func waitHTTP(tb testing.TB, url, logPath string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not answer 200 within 30s (%v)\n%s", url, err, readLog(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
