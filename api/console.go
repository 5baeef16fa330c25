package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// The review console: server-rendered HTML pages for monitors and
// advocates, at / beside the JSON API. It lives in package api so that it
// calls the same services, with the same checks, as the JSON routes, and
// verifies the same tokens: the console keeps the API token a person signs
// in with in an HttpOnly cookie, and only console routes read that cookie
// (the JSON API stays bearer-only). Every page works without JavaScript;
// console.js adds the keyboard, the lease countdown and the live counts.
// Nothing is loaded from anywhere but this server: no CDN, no web font.

//go:embed console/templates/*.html console/static/*
var consoleFiles embed.FS

// consoleCSP is the policy of every console page: only this origin's
// script, style and connections, no inline script or style, no framing.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// staticMaxAge is how long a browser keeps a static asset: its URL holds
// its content hash, so a new build is a new URL.
const staticMaxAge = 365 * 24 * time.Hour

// console is what the console renders with: one template set per page
// (the layout and the page), and the static assets by hashed name.
type console struct {
	pages  map[string]*template.Template
	assets map[string]asset // by hashed name: console.1a2b3c4d.css
	urls   map[string]string
}

type asset struct {
	body        []byte
	contentType string
}

// newConsole parses the templates and hashes the assets once, at New.
func newConsole() (*console, error) {
	c := &console{assets: map[string]asset{}, urls: map[string]string{}, pages: map[string]*template.Template{}}
	static, err := fs.Sub(consoleFiles, "console/static")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(static, "*")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ct := "application/octet-stream"
		switch ext {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		c.assets[hashed] = asset{body: b, contentType: ct}
		c.urls[name] = "/static/" + hashed
	}
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			u, ok := c.urls[name]
			if !ok {
				return "", fmt.Errorf("no static asset %q", name)
			}
			return u, nil
		},
		"utc":      formatUTC,
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":      ago,
		"duration": formatSeconds,
		"score":    func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) },
		"join":     strings.Join,
		"pathEsc":  escapePathSegment,
		"accountURL": func(platform, id string) string {
			return "/accounts/" + escapePathSegment(platform) + "/" + escapePathSegment(id)
		},
		"postURL": func(platform, id string) string {
			return "/posts/" + escapePathSegment(platform) + "/" + escapePathSegment(id)
		},
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(consoleFiles, "console/templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console layout: %w", err)
	}
	pages, err := fs.Glob(consoleFiles, "console/templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(consoleFiles, p)
		if err != nil {
			return nil, fmt.Errorf("console page %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return c, nil
}

// escapePathSegment escapes s for one segment of a console URL (an
// account id may hold a slash or a space).
func escapePathSegment(s string) string { return url.PathEscape(s) }

func formatUTC(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// ago says how long before now t was, in the largest whole unit.
func ago(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return formatSeconds(time.Since(t).Seconds())
}

// formatSeconds writes a duration for people: "45 s", "12 min",
// "3 h 20 min", "4 d 2 h".
func formatSeconds(sec float64) string {
	if sec < 0 || math.IsNaN(sec) {
		sec = 0
	}
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// navItem is one link of the console's navigation.
type navItem struct {
	Href, Label string
	Current     bool
}

// consolePage is what every page template gets: who is signed in, the
// CSRF token its forms carry, the navigation, and the page's own data.
type consolePage struct {
	Title   string
	User    *Principal
	CSRF    string
	Nav     []navItem
	Version string
	// Notice is a one-line message shown above the page (what a form just
	// did); Status is the response's status, for the error page.
	Notice string
	Status int
	Data   any
}

func (p consolePage) CanReview() bool   { return p.User != nil && p.User.Allows(RoleMonitor) }
func (p consolePage) CanAdvocate() bool { return p.User != nil && p.User.Allows(RoleAdvocate) }
func (p consolePage) IsAdmin() bool     { return p.User != nil && p.User.Allows(RoleAdmin) }

// page starts the data of a page for the request's caller.
func (s *Server) page(r *http.Request, title string, data any) consolePage {
	pg := consolePage{Title: title, Version: s.version, Data: data}
	if sess, ok := consoleSessionFrom(r.Context()); ok {
		p := sess.principal
		pg.User = &p
		pg.CSRF = csrfToken(sess.token)
		items := []navItem{}
		if p.Allows(RoleMonitor) {
			items = append(items, navItem{Href: "/queue", Label: "Queue"})
		}
		items = append(items, navItem{Href: "/cases", Label: "Cases"}, navItem{Href: "/takedowns", Label: "Takedowns"})
		for i := range items {
			items[i].Current = r.URL.Path == items[i].Href || strings.HasPrefix(r.URL.Path, items[i].Href+"/")
		}
		pg.Nav = items
	}
	return pg
}

// bufPool keeps page buffers: a page is rendered whole before anything is
// sent, so that a template error becomes an error page, not half a page.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes page name with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg consolePage) {
	t, ok := s.console.pages[name]
	if !ok {
		s.renderError(w, r, fmt.Errorf("console: no page %q", name))
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout.html", pg); err != nil {
		if name == "error" {
			// The error page itself failed: say so in plain text.
			s.log.ErrorContext(r.Context(), "console error page failed", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		s.renderError(w, r, fmt.Errorf("console page %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("Cache-Control", "no-store")
	// The API's no-referrer would make a browser send "Origin: null" with
	// the console's own forms, which sameOrigin must refuse; same-origin
	// still tells no other site where a monitor came from.
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderError writes err as an error page with the status of its code.
// An internal error is logged and shown only as "internal error": never a
// stack, a query or a token.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := event.ErrorCode(err)
	status := errorStatus(code)
	msg := event.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "console request failed", "method", r.Method, "route", r.Pattern, "err", err)
		msg = "internal error"
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	pg := s.page(r, http.StatusText(status), msg)
	pg.Status = status
	s.render(w, r, status, "error", pg)
}

// handleStatic serves an embedded asset by its hashed name, cached for a
// year: the name changes whenever the content does.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := s.console.assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(staticMaxAge.Seconds()))+", immutable")
	_, _ = w.Write(a.body)
}

// consoleRoutes are the console's routes. They are HTML, not the JSON
// API, so they are kept out of Server.routes and the OpenAPI document;
// role is the least role that may use one, "" for a public one. Every
// POST behind a role is checked for its CSRF token and origin before its
// handler runs.
func (s *Server) consoleRoutes() []route {
	return []route{
		{"GET /static/{name}", "", http.HandlerFunc(s.handleStatic)},
		{"GET /signin", "", http.HandlerFunc(s.handleSignInPage)},
		{"POST /signin", "", http.HandlerFunc(s.handleSignIn)},
		{"POST /signout", "", http.HandlerFunc(s.handleSignOut)},

		{"GET /queue", RoleMonitor, http.HandlerFunc(s.handleQueuePage)},
		{"POST /queue/claim", RoleMonitor, http.HandlerFunc(s.handleConsoleClaim)},
		{"POST /queue/release", RoleMonitor, http.HandlerFunc(s.handleConsoleRelease)},
		{"POST /flags/{id}/decision", RoleMonitor, http.HandlerFunc(s.handleConsoleDecide)},
		{"POST /decisions", RoleMonitor, http.HandlerFunc(s.handleConsoleDecideBulk)},
		{"GET /events/queue", RoleMonitor, http.HandlerFunc(s.handleQueueEvents)},

		{"GET /posts/{platform}/{id}", RoleViewer, http.HandlerFunc(s.handlePostPage)},
		{"GET /accounts/{platform}/{id}", RoleViewer, http.HandlerFunc(s.handleAccountPage)},
		{"POST /accounts/{platform}/{id}/pack", RoleAdvocate, http.HandlerFunc(s.handleConsoleAccountPack)},
		{"POST /accounts/{platform}/{id}/case", RoleAdvocate, http.HandlerFunc(s.handleConsoleAccountToCase)},

		{"GET /cases", RoleViewer, http.HandlerFunc(s.handleCasesPage)},
		{"POST /cases", RoleAdvocate, http.HandlerFunc(s.handleConsoleCreateCase)},
		{"GET /cases/{id}", RoleViewer, http.HandlerFunc(s.handleCasePage)},
		{"POST /cases/{id}/accounts", RoleAdvocate, http.HandlerFunc(s.handleConsoleCaseAccounts)},
		{"POST /cases/{id}/pack", RoleAdvocate, http.HandlerFunc(s.handleConsoleCasePack)},

		{"GET /takedowns", RoleViewer, http.HandlerFunc(s.handleTakedownsPage)},
		{"POST /takedowns", RoleAdvocate, http.HandlerFunc(s.handleConsoleCreateTakedown)},
		{"POST /takedowns/{id}/status", RoleAdvocate, http.HandlerFunc(s.handleConsoleTakedownStatus)},
	}
}
