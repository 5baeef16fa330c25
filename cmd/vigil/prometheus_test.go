package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/event"
)

// deployDir is the repository's deploy/ folder, from this package.
const deployDir = "../../deploy"

// prometheusBinary is Debian's prometheus (or VIGIL_TEST_PROMETHEUS).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIL_TEST_PROMETHEUS"); p != "" {
		return p
	}
	p, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus is not installed: run scripts/services (it installs Debian's prometheus package), or set VIGIL_TEST_PROMETHEUS")
	}
	return p
}

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// promServer is a real Prometheus started by a test.
type promServer struct {
	base string
	log  *bytes.Buffer
}

// startPrometheus runs Prometheus with the repository's configuration
// (deploy/prometheus/prometheus.yml: its rule files and the vigil job),
// rewritten for a test: the vigil job scrapes target (labelled role=all)
// every second, rules are evaluated every second where their group does
// not say otherwise, and nothing is sent to an Alertmanager.
func startPrometheus(t *testing.T, target string) *promServer {
	t.Helper()
	bin := prometheusBinary(t)
	raw, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var repo struct {
		RuleFiles     []string         `yaml:"rule_files"`
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(raw, &repo); err != nil {
		t.Fatalf("deploy/prometheus/prometheus.yml: %v", err)
	}
	var job map[string]any
	for _, sc := range repo.ScrapeConfigs {
		if sc["job_name"] == "vigil" {
			job = sc
		}
	}
	if job == nil || len(repo.RuleFiles) == 0 {
		t.Fatalf("deploy/prometheus/prometheus.yml: want a vigil job and rule files, have %s", raw)
	}
	promDir, err := filepath.Abs(filepath.Join(deployDir, "prometheus"))
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, r := range repo.RuleFiles {
		rules = append(rules, filepath.Join(promDir, r))
	}
	job["scrape_interval"] = "1s"
	job["scrape_timeout"] = "1s"
	// The job's own discovery (DNS names of the compose services) gives
	// way to the one target; its relabelling stays.
	for k := range job {
		if strings.HasSuffix(k, "_sd_configs") {
			delete(job, k)
		}
	}
	job["static_configs"] = []map[string]any{{"targets": []string{target}, "labels": map[string]string{"role": "all"}}}
	cfg := map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"},
		"rule_files":     rules,
		"scrape_configs": []any{job},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	p := &promServer{base: "http://" + addr, log: &bytes.Buffer{}}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", p.log)
		}
	})
	eventually(t, 30*time.Second, "prometheus ready", func() (bool, string) {
		select {
		case <-done:
			t.Fatalf("prometheus exited: %s", p.log)
		default:
		}
		res, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == 200, res.Status
	})
	return p
}

// promResult is the data of a Prometheus query answer.
type promResult struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  []any             `json:"value"`  // instant: [time, "v"]
		Values [][]any           `json:"values"` // range: [[time, "v"], ...]
	} `json:"result"`
}

// values are every sample value of r.
func (r promResult) values() []float64 {
	var vs []float64
	add := func(s []any) {
		if len(s) == 2 {
			if str, ok := s[1].(string); ok {
				if f, err := strconv.ParseFloat(str, 64); err == nil {
					vs = append(vs, f)
				}
			}
		}
	}
	for _, s := range r.Result {
		add(s.Value)
		for _, v := range s.Values {
			add(v)
		}
	}
	return vs
}

// numbers counts the values of r that are numbers (not NaN or infinite).
func (r promResult) numbers() int {
	n := 0
	for _, v := range r.values() {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			n++
		}
	}
	return n
}

// api calls one of Prometheus's HTTP API endpoints and returns its data, or
// the error Prometheus gave (a query that does not parse, say).
func (p *promServer) api(path string, q url.Values, out any) error {
	res, err := http.Get(p.base + path + "?" + q.Encode())
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var body struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return fmt.Errorf("%s: %d: %v", path, res.StatusCode, err)
	}
	if body.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, body.ErrorType, body.Error)
	}
	return json.Unmarshal(body.Data, out)
}

func (p *promServer) query(expr string) (promResult, error) {
	var r promResult
	err := p.api("/api/v1/query", url.Values{"query": {expr}}, &r)
	return r, err
}

func (p *promServer) queryRange(expr string, start, end time.Time, step time.Duration) (promResult, error) {
	var r promResult
	err := p.api("/api/v1/query_range", url.Values{"query": {expr},
		"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}, &r)
	return r, err
}

// dashboard is what the test reads of a Grafana dashboard's JSON.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name     string          `json:"name"`
			Type     string          `json:"type"`
			Query    json.RawMessage `json:"query"`
			AllValue string          `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		RefID   string `json:"refId"`
		Expr    string `json:"expr"`
		Instant bool   `json:"instant"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// loadDashboards reads every dashboard in deploy/grafana/dashboards.
func loadDashboards(t *testing.T) map[string]dashboard {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in deploy/grafana/dashboards (%v)", err)
	}
	out := map[string]dashboard{}
	uids := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: a dashboard needs a uid and a title", f)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s and %s share uid %s", f, other, d.UID)
		}
		uids[d.UID] = f
		out[filepath.Base(f)] = d
	}
	return out
}

// flatPanels lists the panels of d, rows' panels included.
func flatPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, flatPanels(p.Panels)...)
	}
	return out
}

// labelValuesQuery matches Grafana's label_values(metric, label).
var labelValuesQuery = regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)

// unknownVariable matches a Grafana variable left in a query ($name,
// ${name}); "$1" in label_replace is not one.
var unknownVariable = regexp.MustCompile(`\$\{?[a-zA-Z_]`)

// ruleFile is what the test reads of a Prometheus rule file.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// feedDemo writes the demo posts again, under new ids, to the posts topic
// at about perSecond posts a second until ctx ends, so that the rates the
// dashboards show are not all zero.
func feedDemo(ctx context.Context, t *testing.T, brokers []string, perSecond int) {
	f, err := os.Open("../../examples/posts.jsonl")
	if err != nil {
		t.Error(err)
		return
	}
	var posts []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p map[string]any
		if json.Unmarshal(sc.Bytes(), &p) == nil && p["id"] != nil {
			posts = append(posts, p)
		}
	}
	f.Close()
	if len(posts) == 0 {
		t.Error("no demo posts")
		return
	}
	kcfg := bus.Defaults()
	kcfg.Brokers = brokers
	w := bus.NewWriter(kcfg, event.TopicPosts)
	defer w.Close()
	tick := time.NewTicker(250 * time.Millisecond) // a batch at a time: one write waits for its batch
	defer tick.Stop()
	for i := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var batch []kafka.Message
		for range max(1, perSecond/4) {
			p := maps.Clone(posts[i%len(posts)])
			p["id"] = fmt.Sprintf("%v-again-%d", p["id"], i)
			i++
			line, _ := json.Marshal(p)
			m, err := encodePostMessage(line, "demo-again")
			if err != nil {
				t.Errorf("feed: %v", err)
				return
			}
			batch = append(batch, m)
		}
		if err := w.Write(ctx, batch...); err != nil && ctx.Err() == nil {
			t.Errorf("feed: %v", err)
			return
		}
	}
}

// TestPrometheusDashboards is issue 8's check of the dashboards and alert
// rules: a real Prometheus, with the repository's configuration and rules,
// scrapes `vigil run` with the demo data (posts keep arriving, a monitor
// confirms flags, an advocate exports a pack and records a takedown to
// its action); then every query of every dashboard panel is run through
// Prometheus's HTTP API, as Grafana runs it, and must parse and return
// numbers; every dashboard variable must list values; and every alert and
// recording rule must be loaded and evaluate without error.
func TestPrometheusDashboards(t *testing.T) {
	dashboards := loadDashboards(t)
	r := MustRunMain(t, nil, filepath.Join(t.TempDir(), "data"), targetAll)
	prom := startPrometheus(t, strings.TrimPrefix(r.base, "http://"))

	ctx, stopFeed := context.WithCancel(context.Background())
	fed := make(chan struct{})
	go func() { defer close(fed); feedDemo(ctx, t, r.m.Brokers(), 20) }()
	defer func() { stopFeed(); <-fed }()

	// Prometheus sees the pipeline before people act on it, so that their
	// actions show as changes (a rate), not as where the series start.
	eventually(t, 30*time.Second, "prometheus scraping vigil", func() (bool, string) {
		res, err := prom.query(`count_over_time(up{job="vigil"}[1m]) >= 3`)
		if err != nil {
			return false, err.Error()
		}
		return len(res.Result) > 0, fmt.Sprint(res.Result)
	})

	// The people's side: a monitor confirms flags, an advocate exports the
	// pack of a confirmed account and records a takedown that was actioned.
	eventually(t, 60*time.Second, "demo flags stored", func() (bool, string) {
		var resp struct {
			Flags []json.RawMessage `json:"flags"`
		}
		apiCall(t, "GET", r.base+"/api/v1/flags?status=pending", testToken, "", &resp)
		return len(resp.Flags) >= 4, strconv.Itoa(len(resp.Flags))
	})
	secret := func(role string) string {
		var created struct {
			Secret string `json:"secret"`
		}
		if code := apiCall(t, "POST", r.base+"/api/v1/tokens", testToken, `{"role":"`+role+`","label":"prometheus test"}`, &created); code != 201 {
			t.Fatalf("create %s token: %d", role, code)
		}
		return created.Secret
	}
	monitor, advocate := secret("monitor"), secret("advocate")
	var claim struct {
		Flags []struct {
			ID       int64  `json:"id"`
			Platform string `json:"platform"`
			AuthorID string `json:"author_id"`
		} `json:"flags"`
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/queue/claim", monitor, `{"limit":4}`, &claim); code != 200 || len(claim.Flags) != 4 {
		t.Fatalf("claim: %d, %d flags", code, len(claim.Flags))
	}
	for i, f := range claim.Flags {
		decision := []string{"confirm", "confirm", "dismiss", "escalate"}[i]
		if code := apiCall(t, "POST", r.base+"/api/v1/flags/"+strconv.FormatInt(f.ID, 10)+"/decision", monitor, `{"decision":"`+decision+`"}`, nil); code != 200 {
			t.Fatalf("%s flag %d: %d", decision, f.ID, code)
		}
	}
	acct := claim.Flags[0]
	req, _ := http.NewRequest("GET", r.base+"/api/v1/accounts/"+acct.Platform+"/"+acct.AuthorID+"/evidence-pack?profile=x", nil)
	req.Header.Set("Authorization", "Bearer "+advocate)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("export: %d", res.StatusCode)
	}
	var td struct {
		ID int64 `json:"id"`
	}
	body := fmt.Sprintf(`{"platform":"x","channel":"X trusted flagger portal","accounts":[{"platform":%q,"id":%q}],"sent_at":%q}`,
		acct.Platform, acct.AuthorID, time.Now().Add(-30*time.Hour).UTC().Format(time.RFC3339))
	if code := apiCall(t, "POST", r.base+"/api/v1/takedowns", advocate, body, &td); code != 201 {
		t.Fatalf("takedown: %d", code)
	}
	if code := apiCall(t, "POST", r.base+"/api/v1/takedowns/"+strconv.FormatInt(td.ID, 10)+"/status", advocate, `{"status":"actioned"}`, nil); code != 200 {
		t.Fatalf("takedown actioned: %d", code)
	}

	// Wait for Prometheus to hold a few seconds of the pipeline at work:
	// classify counting posts again and again, and the pack counted.
	eventually(t, 90*time.Second, "prometheus has scraped the pipeline at work", func() (bool, string) {
		res, err := prom.query(`increase(vigil_classify_posts_total{job="vigil"}[15s]) > 20 and on () sum(vigil_api_packs_exported_total) > 0 and on () count_over_time(up{job="vigil"}[1m]) >= 10`)
		if err != nil {
			return false, err.Error()
		}
		return len(res.Result) > 0, fmt.Sprint(res.Result)
	})

	// Every panel query, as Grafana would send it with every variable at
	// "All": a range query over the last minute, or an instant query.
	builtins := strings.NewReplacer("$__rate_interval", "1m", "${__rate_interval}", "1m", "$__interval", "5s", "${__interval}", "5s", "$__range", "1m", "${__range}", "1m")
	end := time.Now()
	queries := 0
	names := make([]string, 0, len(dashboards))
	for name := range dashboards {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := dashboards[name]
		vars := map[string]string{}
		for _, v := range d.Templating.List {
			all := v.AllValue
			if all == "" {
				all = ".*"
			}
			vars[v.Name] = all
			// A variable's own query lists its values: it must list some.
			var q string
			if json.Unmarshal(v.Query, &q) != nil {
				var obj struct {
					Query string `json:"query"`
				}
				json.Unmarshal(v.Query, &obj)
				q = obj.Query
			}
			m := labelValuesQuery.FindStringSubmatch(q)
			if v.Type != "query" || m == nil {
				t.Errorf("%s: variable %s: want a label_values(metric, label) query, have %s %q", name, v.Name, v.Type, q)
				continue
			}
			var values []string
			if err := prom.api("/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {m[1]}}, &values); err != nil {
				t.Errorf("%s: variable %s: %v", name, v.Name, err)
			} else if len(values) == 0 {
				t.Errorf("%s: variable %s: %s lists no values", name, v.Name, q)
			}
		}
		for _, p := range flatPanels(d.Panels) {
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != "prometheus" {
				t.Errorf("%s: panel %q: want the provisioned data source (uid prometheus)", name, p.Title)
			}
			for _, tg := range p.Targets {
				expr := builtins.Replace(tg.Expr)
				for v, all := range vars {
					expr = strings.NewReplacer("${"+v+"}", all, "$"+v, all).Replace(expr)
				}
				if unknownVariable.MatchString(expr) {
					t.Errorf("%s: panel %q %s: a variable the test does not know: %s", name, p.Title, tg.RefID, expr)
					continue
				}
				var res promResult
				var err error
				if tg.Instant {
					res, err = prom.query(expr)
				} else {
					res, err = prom.queryRange(expr, end.Add(-time.Minute), end, 5*time.Second)
				}
				queries++
				switch {
				case err != nil:
					t.Errorf("%s: panel %q %s: %v\n%s", name, p.Title, tg.RefID, err, expr)
				case res.numbers() == 0:
					t.Errorf("%s: panel %q %s: no data (%d series, no number among them)\n%s", name, p.Title, tg.RefID, len(res.Result), expr)
				}
			}
		}
	}
	t.Logf("%d dashboards, %d panel queries", len(dashboards), queries)

	// Every rule of every rule file: loaded by Prometheus, evaluating
	// without error, and each expression accepted by the query API.
	files, _ := filepath.Glob(filepath.Join(deployDir, "prometheus", "rules", "*.yml"))
	want := map[string]string{} // rule name -> expr
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rf ruleFile
		if err := yaml.Unmarshal(raw, &rf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, g := range rf.Groups {
			for _, rule := range g.Rules {
				n := rule.Alert + rule.Record
				want[g.Name+"/"+n] = rule.Expr
				if _, err := prom.query(rule.Expr); err != nil {
					t.Errorf("%s: rule %s: %v", filepath.Base(f), n, err)
				}
			}
		}
	}
	var loaded struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := prom.api("/api/v1/rules", nil, &loaded); err != nil {
		t.Fatal(err)
	}
	for _, g := range loaded.Groups {
		for _, rule := range g.Rules {
			key := g.Name + "/" + rule.Name
			if _, ok := want[key]; !ok {
				continue
			}
			delete(want, key)
			if rule.Health == "err" {
				t.Errorf("rule %s: %s", key, rule.LastError)
			}
		}
	}
	for key := range want {
		t.Errorf("rule %s is not loaded by Prometheus", key)
	}
}
