package ingest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/ingest"
)

// TestHealthSeriesFromRegistration: a source's counters exist, at 0, from
// the moment it is known, so that rates and alerts can read them before
// its first round; then they count.
func TestHealthSeriesFromRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := ingest.NewHealth(reg)
	h.Register("mastodon")
	if n := testutil.CollectAndCount(reg, "vigil_ingest_polls_total"); n != 2 {
		t.Errorf("polls series after Register: %d, want 2 (ok, error)", n)
	}
	if n := testutil.CollectAndCount(reg, "vigil_ingest_errors_total"); n != 7 {
		t.Errorf("error series after Register: %d, want one per kind (7)", n)
	}
	h.Failure("mastodon", ingest.KindAuth, errors.New("401"))
	h.Success("mastodon")
	want := `
# HELP vigil_ingest_polls_total Collection rounds by source and result (ok, error).
# TYPE vigil_ingest_polls_total counter
vigil_ingest_polls_total{result="error",source="mastodon"} 1
vigil_ingest_polls_total{result="ok",source="mastodon"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "vigil_ingest_polls_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "vigil_ingest_errors_total"); n != 7 {
		t.Errorf("error series after a failure: %d, want still 7", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
