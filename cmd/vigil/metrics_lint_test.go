package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// roleFamilies are metric families each role must expose (issue 8's list:
// posts in, flagged by category, region and target group, classification
// latency, consumer lag, dead letters, queue depth and age, decisions,
// packs, takedowns, collector health).
var roleFamilies = map[string][]string{
	targetIngest: {"vigil_ingest_posts_total", "vigil_ingest_last_success_timestamp_seconds", "vigil_ingest_consecutive_failures",
		"vigil_ingest_errors_total", "vigil_deadletter_messages_total", "vigil_build_info"},
	targetClassify: {"vigil_classify_posts_total", "vigil_classify_posts_flagged_total", "vigil_classify_region_posts_flagged_total",
		"vigil_classify_target_group_posts_flagged_total", "vigil_classify_region_posts_total", "vigil_classify_post_duration_seconds",
		"vigil_classify_consumer_lag_messages", "vigil_deadletter_messages_total", "vigil_build_info"},
	targetStore: {"vigil_store_verdicts_written_total", "vigil_store_capture_to_stored_seconds", "vigil_store_consumer_lag_messages",
		"vigil_deadletter_messages_total", "vigil_build_info"},
	targetAPI: {"vigil_api_requests_total", "vigil_api_review_queue_flags", "vigil_api_review_queue_oldest_age_seconds",
		"vigil_api_review_decisions_total", "vigil_api_packs_exported_total", "vigil_takedown_requests",
		"vigil_takedown_time_to_action_seconds", "vigil_build_info"},
}

// forbiddenLabels would name a post, an account or a person.
var forbiddenLabels = regexp.MustCompile(`[{,](id|post_id|post|account|account_id|author|author_id|handle|user|reviewer|pseudonym|token|token_id|flag_id|url)="`)

// promtoolCheckMetrics runs `promtool check metrics` on a scrape.
func promtoolCheckMetrics(t *testing.T, name, scrape string) {
	t.Helper()
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: run scripts/services (it installs Debian's prometheus package)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "" {
		t.Errorf("%s: promtool check metrics: %v\n%s", name, err, out.String())
	}
}

// TestRoleMetricsLint scrapes each role run on its own (ingest, classify
// and store against the embedded broker of a `vigil run`, api on its
// own), checks the scrape with `promtool check metrics`, that it has the
// role's metric families, and that no label names a post, an account or a
// person.
func TestRoleMetricsLint(t *testing.T) {
	all := MustRunMain(t, nil, filepath.Join(t.TempDir(), "all"), targetAll)
	promtoolCheckMetrics(t, "all", scrape(t, all.base))
	for _, role := range []string{targetIngest, targetClassify, targetStore, targetAPI} {
		t.Run(role, func(t *testing.T) {
			r := MustRunMain(t, demoConfigWith(t, all.m.Brokers()), filepath.Join(t.TempDir(), role), role)
			var text string
			eventually(t, 60*time.Second, role+" metrics", func() (bool, string) {
				text = scrape(t, r.base)
				var missing []string
				for _, fam := range roleFamilies[role] {
					if !strings.Contains(text, "\n"+fam+"{") && !strings.Contains(text, "\n"+fam+" ") &&
						!strings.Contains(text, "\n"+fam+"_bucket{") {
						missing = append(missing, fam)
					}
				}
				return len(missing) == 0, "missing " + strings.Join(missing, ", ")
			})
			promtoolCheckMetrics(t, role, text)
			for _, line := range strings.Split(text, "\n") {
				if !strings.HasPrefix(line, "#") && forbiddenLabels.MatchString(line) {
					t.Errorf("%s: a label that names a post, an account or a person: %s", role, line)
				}
			}
		})
	}
}
