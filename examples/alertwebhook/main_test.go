package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// notification is a version 4 payload as Alertmanager sends it (the shape
// of its documentation's example), with two alerts.
const notification = `{
  "version": "4",
  "groupKey": "{}/{severity=\"critical\"}:{alertname=\"VigilIndicatorSurgeInRegion\", category=\"dehumanisation\", region=\"Sagaing\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "vigil-critical",
  "groupLabels": {"alertname": "VigilIndicatorSurgeInRegion", "category": "dehumanisation", "region": "Sagaing"},
  "commonLabels": {"alertname": "VigilIndicatorSurgeInRegion", "category": "dehumanisation", "region": "Sagaing", "severity": "critical"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "VigilIndicatorSurgeInRegion", "category": "dehumanisation", "region": "Sagaing", "severity": "critical", "indicator": "region"},
      "annotations": {"summary": "dehumanisation surging in Sagaing", "description": "42 posts in the last hour"},
      "startsAt": "2026-12-01T08:00:00.123Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=x",
      "fingerprint": "0a1b2c3d4e5f6071"
    },
    {
      "status": "resolved",
      "labels": {"alertname": "VigilIngestSourceStalled", "source": "demo feed", "severity": "critical"},
      "annotations": {},
      "startsAt": "2026-12-01T06:00:00Z",
      "endsAt": "2026-12-01T07:30:00Z",
      "generatorURL": "",
      "fingerprint": "1122334455667788"
    }
  ]
}`

var received = time.Date(2026, 12, 1, 8, 0, 5, 0, time.UTC)

func newReceiver(token string, maxBody int64) (*Receiver, *bytes.Buffer, *bytes.Buffer) {
	var stdout, records bytes.Buffer
	return &Receiver{Token: token, MaxBody: maxBody, Stdout: &stdout, Records: &records, Now: func() time.Time { return received }}, &stdout, &records
}

func post(t *testing.T, h http.Handler, method, auth, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/alerts", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestReceiverPrintsAndRecordsEachAlert(t *testing.T) {
	rv, stdout, records := newReceiver("", DefaultMaxBody)
	rec := post(t, rv, http.MethodPost, "", notification)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := `firing VigilIndicatorSurgeInRegion {category="dehumanisation", indicator="region", region="Sagaing", severity="critical"} summary="dehumanisation surging in Sagaing" starts_at=2026-12-01T08:00:00Z receiver=vigil-critical
resolved VigilIngestSourceStalled {severity="critical", source="demo feed"} starts_at=2026-12-01T06:00:00Z ends_at=2026-12-01T07:30:00Z receiver=vigil-critical
`
	if stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	var got []Record
	sc := bufio.NewScanner(records)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != 2 {
		t.Fatalf("%d records, want 2:\n%s", len(got), records)
	}
	r := got[0]
	if r.Receiver != "vigil-critical" || !r.ReceivedAt.Equal(received) || r.Labels["region"] != "Sagaing" ||
		r.Annotations["description"] != "42 posts in the last hour" || r.Fingerprint != "0a1b2c3d4e5f6071" ||
		!strings.Contains(r.GroupKey, "VigilIndicatorSurgeInRegion") ||
		!r.StartsAt.Equal(time.Date(2026, 12, 1, 8, 0, 0, 123e6, time.UTC)) {
		t.Errorf("record 0: %+v", r)
	}
	if got[1].Status != "resolved" || got[1].Labels["source"] != "demo feed" {
		t.Errorf("record 1: %+v", got[1])
	}
}

func TestReceiverRefuses(t *testing.T) {
	valid := func(edit func(map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(notification), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	alert0 := func(m map[string]any) map[string]any { return m["alerts"].([]any)[0].(map[string]any) }
	for _, tc := range []struct {
		name, method, auth, body string
		maxBody                  int64
		status                   int
		message                  string
	}{
		{name: "get", method: http.MethodGet, body: "", status: http.StatusMethodNotAllowed, message: "POST"},
		{name: "no token", auth: "", body: notification, status: http.StatusUnauthorized, message: "bearer token"},
		{name: "wrong token", auth: "Bearer nope", body: notification, status: http.StatusUnauthorized, message: "bearer token"},
		{name: "token not bearer", auth: "Basic s3cret-token", body: notification, status: http.StatusUnauthorized, message: "bearer token"},
		{name: "too big", auth: "Bearer s3cret-token", body: notification, maxBody: 100, status: http.StatusRequestEntityTooLarge, message: "over 100 bytes"},
		{name: "not json", auth: "Bearer s3cret-token", body: "alert!", status: http.StatusBadRequest, message: "not a JSON notification"},
		{name: "version 3", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { m["version"] = "3" }),
			status: http.StatusBadRequest, message: `version "3": want "4"`},
		{name: "no alerts", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { m["alerts"] = []any{} }),
			status: http.StatusBadRequest, message: "alerts: empty"},
		{name: "bad status", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { m["status"] = "burning" }),
			status: http.StatusBadRequest, message: `status "burning": want firing or resolved`},
		{name: "no alertname", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { delete(alert0(m)["labels"].(map[string]any), "alertname") }),
			status: http.StatusBadRequest, message: "alerts[0].labels: no alertname"},
		{name: "no startsAt", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { delete(alert0(m), "startsAt") }),
			status: http.StatusBadRequest, message: "alerts[0].startsAt: missing"},
		{name: "bad time", auth: "Bearer s3cret-token", body: valid(func(m map[string]any) { alert0(m)["startsAt"] = "yesterday" }),
			status: http.StatusBadRequest, message: "not a JSON notification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maxBody := tc.maxBody
			if maxBody == 0 {
				maxBody = DefaultMaxBody
			}
			rv, stdout, records := newReceiver("s3cret-token", maxBody)
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			rec := post(t, rv, method, tc.auth, tc.body)
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.message) {
				t.Errorf("%d %q, want %d with %q", rec.Code, rec.Body, tc.status, tc.message)
			}
			if stdout.Len() != 0 || records.Len() != 0 {
				t.Errorf("a refused request wrote %q and %q", stdout, records)
			}
			if tc.status == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: %v", rec.Header())
			}
		})
	}
	t.Run("right token", func(t *testing.T) {
		rv, stdout, _ := newReceiver("s3cret-token", DefaultMaxBody)
		if rec := post(t, rv, http.MethodPost, "Bearer s3cret-token", notification); rec.Code != http.StatusNoContent {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if n := strings.Count(stdout.String(), "\n"); n != 2 {
			t.Errorf("%d lines, want 2", n)
		}
	})
}

// failingWriter fails every write, like a full disk.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestReceiverAnswers500WhenItCannotWrite(t *testing.T) {
	var stdout bytes.Buffer
	rv := &Receiver{MaxBody: DefaultMaxBody, Stdout: &stdout, Records: failingWriter{}}
	rec := post(t, rv, http.MethodPost, "", notification)
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "no space left") {
		t.Errorf("%d %q", rec.Code, rec.Body)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %q although the record was not written (Alertmanager will retry)", stdout.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRun runs the program on a real port, with the token and the -out
// file from the environment.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "alerts.jsonl")
	env := map[string]string{"ALERTWEBHOOK_TOKEN": "s3cret-token", "ALERTWEBHOOK_OUT": out}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr)
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, rest, ok := strings.Cut(stderr.String(), "listening on "); ok {
			url, _, _ = strings.Cut(rest, " ")
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("no listening line: %q (%v)", stderr.String(), <-done)
	}
	if !strings.Contains(stderr.String(), "bearer token required") || strings.Contains(stderr.String(), "s3cret-token") {
		t.Errorf("stderr %q: want the token required, never the token", stderr.String())
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(notification))
	req.Header.Set("Authorization", "Bearer s3cret-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("status %d", res.StatusCode)
	}
	hres, err := http.Get(strings.TrimSuffix(url, "/alerts") + "/healthz")
	if err != nil || hres.StatusCode != http.StatusOK {
		t.Errorf("healthz: %v %v", hres, err)
	} else {
		hres.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "firing VigilIndicatorSurgeInRegion {") {
		t.Errorf("stdout %q", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil || strings.Count(string(b), "\n") != 2 || !strings.Contains(string(b), `"region":"Sagaing"`) {
		t.Errorf("-out file: %q %v", b, err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("-out file mode: %v %v", fi.Mode(), err)
	}
}

func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want error
		msg  string
	}{
		{[]string{"-help"}, flag.ErrHelp, ""},
		{[]string{"-nope"}, errUsage, "flag provided but not defined"},
		{[]string{"extra"}, errUsage, `unexpected argument "extra"`},
		{[]string{"-max-body", "0"}, errUsage, "-max-body 0: want at least 1"},
		{[]string{"-path", "alerts"}, errUsage, `-path "alerts": want a path starting with /`},
		{[]string{"-addr", "127.0.0.1:0", "-out", "/nonexistent-dir/alerts.jsonl"}, nil, "-out: open /nonexistent-dir/alerts.jsonl"},
	} {
		err := run(context.Background(), tc.args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%v: %v, want %v with %q", tc.args, err, tc.want, tc.msg)
		}
	}
}
