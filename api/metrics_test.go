package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vigilhq/vigil/api"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	for _, req := range []struct{ path, auth string }{
		{"/api/v1/posts/x/1790", "Bearer " + adminToken},
		{"/api/v1/posts/x/1790", "Bearer " + adminToken},
		{"/api/v1/posts/x/404", "Bearer " + adminToken},
		{"/api/v1/posts/x/1790", ""},
		{"/api/v1/accounts?limit=abc", "Bearer " + adminToken},
		{"/random/path/1790", ""},
	} {
		f.get(t, req.path, req.auth)
	}

	tests := []struct {
		route, code string
		want        float64
	}{
		{"GET /api/v1/posts/{platform}/{id}", "200", 2},
		{"GET /api/v1/posts/{platform}/{id}", "404", 1},
		{"GET /api/v1/posts/{platform}/{id}", "401", 1},
		{"GET /api/v1/accounts", "400", 1},
		{"unmatched", "404", 1},
	}
	for _, tt := range tests {
		if got := counterValue(t, f.reg, tt.route, tt.code); got != tt.want {
			t.Errorf("vigil_api_requests_total{route=%q,code=%q} = %g, want %g", tt.route, tt.code, got, tt.want)
		}
	}

	problems, err := testutil.GatherAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for _, c := range api.Collectors(f.api) {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}

	if n, err := testutil.GatherAndCount(f.reg, "vigil_api_request_duration_seconds"); err != nil || n == 0 {
		t.Errorf("vigil_api_request_duration_seconds: %d series (%v), want some", n, err)
	}
	resp, body := f.get(t, "/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	exposition := string(body)
	for _, want := range []string{
		`vigil_api_requests_total{code="200",route="GET /api/v1/posts/{platform}/{id}"} 2`,
		`vigil_api_request_duration_seconds_bucket{route="GET /api/v1/accounts",le="+Inf"} 1`,
	} {
		if !strings.Contains(exposition, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// No post or account ID may become a label.
	if strings.Contains(exposition, "1790") {
		t.Errorf("/metrics holds a post ID:\n%s", exposition)
	}
}

// counterValue returns vigil_api_requests_total{route,code} from reg, 0
// when the series does not exist.
func counterValue(tb testing.TB, reg prometheus.Gatherer, route, code string) float64 {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "vigil_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestMetricsWithoutRegisterer(t *testing.T) {
	f := newFixture(t, func(d *api.Deps) { d.Registerer = nil })
	f.get(t, "/healthz", "")
	if n, err := testutil.GatherAndCount(f.reg); err != nil || n != 0 {
		t.Errorf("%d series (%v) exported with no Registerer, want 0", n, err)
	}
}
