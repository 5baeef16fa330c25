// Command alertwebhook is an example receiver for Alertmanager's webhook
// notifications: the end of the early-warning path (Prometheus alert rules
// in deploy/prometheus → Alertmanager, deploy/alertmanager/alertmanager.yml
// → here). It checks each notification, prints one line per alert on
// standard output and, with -out, appends each alert as a JSON line to a
// file, for a script (a chat bot, an SMS gateway, a ticket) to take from
// there. It uses the standard library only, so it is a starting point to
// copy and change, not a product.
//
//	alertwebhook -addr 127.0.0.1:9095 -out alerts.jsonl
//	ALERTWEBHOOK_TOKEN=secret alertwebhook     # requests need "Authorization: Bearer secret"
//
// A line on standard output:
//
//	firing VigilIndicatorSurgeInRegion {category="dehumanisation", region="Sagaing", severity="critical"} summary="dehumanisation surging in Sagaing" starts_at=2026-12-01T08:00:00Z receiver=vigil-critical
//
// The payload is Alertmanager's webhook format, version 4. A body that is
// not such a payload is refused with 400 and a message saying why, a body
// over -max-body bytes with 413, a missing or wrong token with 401;
// Alertmanager retries a notification that was not answered with 2xx.
package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Notification is Alertmanager's webhook payload, version 4.
type Notification struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a notification.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Record is one alert as written to the -out file: the alert with the
// notification's receiver and group, and when it arrived.
type Record struct {
	ReceivedAt time.Time `json:"received_at"`
	Receiver   string    `json:"receiver"`
	GroupKey   string    `json:"group_key"`
	Alert
}

// Validate says what is wrong with a notification, or nil.
func (n *Notification) Validate() error {
	var errs []error
	if n.Version != "4" {
		errs = append(errs, fmt.Errorf("version %q: want \"4\" (Alertmanager's webhook format)", n.Version))
	}
	if !validStatus(n.Status) {
		errs = append(errs, fmt.Errorf("status %q: want firing or resolved", n.Status))
	}
	if len(n.Alerts) == 0 {
		errs = append(errs, errors.New("alerts: empty"))
	}
	for i, a := range n.Alerts {
		if !validStatus(a.Status) {
			errs = append(errs, fmt.Errorf("alerts[%d].status %q: want firing or resolved", i, a.Status))
		}
		if a.Labels["alertname"] == "" {
			errs = append(errs, fmt.Errorf("alerts[%d].labels: no alertname", i))
		}
		if a.StartsAt.IsZero() {
			errs = append(errs, fmt.Errorf("alerts[%d].startsAt: missing", i))
		}
	}
	return errors.Join(errs...)
}

func validStatus(s string) bool { return s == "firing" || s == "resolved" }

// Line is the alert's line on standard output: status, alert name, the
// other labels sorted by name, the summary annotation, when it started
// (and ended, once resolved) and the receiver.
func (a Alert) Line(receiver string) string {
	var b strings.Builder
	b.WriteString(a.Status + " " + a.Labels["alertname"] + " {")
	names := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		if k != "alertname" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + strconv.Quote(a.Labels[k]))
	}
	b.WriteString("}")
	if s := a.Annotations["summary"]; s != "" {
		b.WriteString(" summary=" + strconv.Quote(s))
	}
	b.WriteString(" starts_at=" + a.StartsAt.UTC().Format(time.RFC3339))
	if a.Status == "resolved" && !a.EndsAt.IsZero() {
		b.WriteString(" ends_at=" + a.EndsAt.UTC().Format(time.RFC3339))
	}
	if receiver != "" {
		b.WriteString(" receiver=" + receiver)
	}
	return b.String()
}

// Receiver is the webhook's HTTP handler.
type Receiver struct {
	// Token, when set, is the bearer token every request must carry.
	Token string
	// MaxBody is the largest body accepted, in bytes.
	MaxBody int64
	// Stdout receives one line per alert; Records, when set, one JSON
	// object per alert.
	Stdout  io.Writer
	Records io.Writer
	// Now is the clock of received_at.
	Now func() time.Time

	mu sync.Mutex // one notification's lines stay together
}

// DefaultMaxBody bounds a notification: Alertmanager sends every alert of
// a group in one body, and 1 MiB holds some thousands of them.
const DefaultMaxBody = 1 << 20

func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: POST an Alertmanager webhook notification", http.StatusMethodNotAllowed)
		return
	}
	if rv.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(rv.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="alertwebhook"`)
			http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rv.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("body over %d bytes", rv.MaxBody), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		http.Error(w, "not a JSON notification: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := n.Validate(); err != nil {
		http.Error(w, "invalid notification: "+strings.ReplaceAll(err.Error(), "\n", "; "), http.StatusBadRequest)
		return
	}
	if err := rv.write(&n); err != nil {
		// Alertmanager retries: the alert is not lost.
		http.Error(w, "write alerts: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rv *Receiver) write(n *Notification) error {
	now := time.Now
	if rv.Now != nil {
		now = rv.Now
	}
	received := now().UTC()
	var lines strings.Builder
	var records []byte
	for _, a := range n.Alerts {
		lines.WriteString(a.Line(n.Receiver) + "\n")
		if rv.Records != nil {
			b, err := json.Marshal(Record{ReceivedAt: received, Receiver: n.Receiver, GroupKey: n.GroupKey, Alert: a})
			if err != nil {
				return err
			}
			records = append(append(records, b...), '\n')
		}
	}
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if rv.Records != nil {
		if _, err := rv.Records.Write(records); err != nil {
			return err
		}
	}
	_, err := io.WriteString(rv.Stdout, lines.String())
	return err
}

// errUsage marks a usage error: exit status 2.
var errUsage = errors.New("usage error")

// run is the program: flags from args, the token from getenv, until ctx
// ends. It says where it listens on stderr once it does.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("alertwebhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9095", "Listen address (env ALERTWEBHOOK_ADDR).")
	path := fs.String("path", "/alerts", "Path Alertmanager posts to.")
	out := fs.String("out", "", "Append each alert as a JSON line to this file (env ALERTWEBHOOK_OUT).")
	maxBody := fs.Int64("max-body", DefaultMaxBody, "Largest notification accepted, in bytes.")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: alertwebhook [flags]\n\nReceives Alertmanager webhook notifications (version 4) on POST PATH and prints\none line per alert. Env ALERTWEBHOOK_TOKEN, when set, is the bearer token\nrequests must carry.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nExample:\n  alertwebhook -addr 0.0.0.0:9095 -out /var/lib/alertwebhook/alerts.jsonl\n")
	}
	if v := getenv("ALERTWEBHOOK_ADDR"); v != "" {
		*addr = v
	}
	if v := getenv("ALERTWEBHOOK_OUT"); v != "" {
		*out = v
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *maxBody < 1 {
		return fmt.Errorf("%w: -max-body %d: want at least 1", errUsage, *maxBody)
	}
	if !strings.HasPrefix(*path, "/") {
		return fmt.Errorf("%w: -path %q: want a path starting with /", errUsage, *path)
	}
	rv := &Receiver{Token: getenv("ALERTWEBHOOK_TOKEN"), MaxBody: *maxBody, Stdout: stdout}
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		defer f.Close()
		rv.Records = f
	}
	mux := http.NewServeMux()
	mux.Handle(*path, rv)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	auth := "no token: any client that reaches it can post (set ALERTWEBHOOK_TOKEN)"
	if rv.Token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(stderr, "alertwebhook: listening on http://%s%s (%s)\n", ln.Addr(), *path, auth)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "alertwebhook:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "alertwebhook:", err)
		os.Exit(1)
	}
}
