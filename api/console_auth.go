package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Console sign-in. A person signs in with an API token; the console keeps
// it in the vigil_session cookie (HttpOnly, so no script reads it;
// SameSite=Strict, so no other site's page sends it) and verifies it on
// every request, so a revoked token stops working at once. Every POST
// carries a CSRF token derived from the session and is refused from
// another origin.

const (
	sessionCookie = "vigil_session"
	// signinCookie holds the random value the sign-in form must echo,
	// before there is a session to derive a CSRF token from.
	signinCookie  = "vigil_signin"
	sessionMaxAge = 12 * time.Hour
	signinMaxAge  = time.Hour
	// maxFormBytes bounds a console form: a bulk decision with its note
	// and translation fits many times over.
	maxFormBytes = 1 << 20
	csrfField    = "csrf"
	csrfHeader   = "X-CSRF-Token"
)

// consoleSession is a signed-in console request's caller and the token it
// signed in with (for its CSRF token; never shown).
type consoleSession struct {
	token     string
	principal Principal
}

type consoleSessionKey struct{}

func consoleSessionFrom(ctx context.Context) (consoleSession, bool) {
	s, ok := ctx.Value(consoleSessionKey{}).(consoleSession)
	return s, ok
}

// csrfToken is the CSRF token of a session: an HMAC of a fixed label
// keyed by the session's token itself. Another site cannot compute it (it
// cannot read the HttpOnly cookie), the token cannot be recovered from it,
// and every replica and restart derives the same one, so a form rendered
// by one api replica posts to another. The key is the token, not its
// SHA-256: that hash is what the store keeps, and a copy of the database
// must not be enough to forge a session's CSRF token.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("vigil console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// equalSecret compares two secrets in constant time.
func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a request that a page of another origin sent: a
// browser says so in Sec-Fetch-Site, and in Origin on every POST. Only
// the host is compared, so that the console works behind a proxy that
// ends TLS.
func sameOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return event.Errorf(event.EFORBIDDEN, "refused: this form was sent from another site")
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return event.Errorf(event.EFORBIDDEN, "refused: this form was sent from another origin")
		}
	}
	return nil
}

// readForm parses a console POST's form, bounded.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return event.Errorf(event.EINVALID, "the form could not be read (too large, or malformed)")
	}
	return nil
}

// setCookie sets one of the console's cookies: HttpOnly, SameSite=Strict,
// and Secure when the request came over TLS. maxAge < 0 deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int(maxAge.Seconds())}
	if maxAge < 0 {
		c.MaxAge, c.Value = -1, ""
	}
	http.SetCookie(w, c)
}

// localPath returns p when it is a path on this server ("/queue?x=1"),
// else "": a sign-in must not send anyone to another site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return ""
	}
	return p
}

// homeOf is where a caller lands after signing in.
func homeOf(p Principal) string {
	if p.Allows(RoleMonitor) {
		return "/queue"
	}
	return "/cases"
}

// signInData is the sign-in page's data.
type signInData struct {
	Next    string
	Problem string
	Nonce   string
}

// handleSignInPage serves GET / and GET /signin: what this server is,
// with its links, and the sign-in form, or, for a signed-in caller, where
// to go.
func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request) {
	if tok, err := r.Cookie(sessionCookie); err == nil {
		if p, err := s.tokens.Verify(r.Context(), tok.Value); err == nil {
			r = r.WithContext(context.WithValue(r.Context(), consoleSessionKey{}, consoleSession{tok.Value, p}))
		}
	}
	s.renderSignIn(w, r, http.StatusOK, "")
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, problem string) {
	d := signInData{Next: localPath(r.FormValue("next")), Problem: problem}
	if _, signedIn := consoleSessionFrom(r.Context()); !signedIn {
		var b [24]byte
		_, _ = rand.Read(b[:])
		d.Nonce = base64.RawURLEncoding.EncodeToString(b[:])
		setCookie(w, r, signinCookie, d.Nonce, "/signin", signinMaxAge)
	}
	s.render(w, r, status, "signin", s.page(r, "Sign in", d))
}

// handleSignIn is POST /signin: the token is verified as the API verifies
// a bearer token, then kept in the session cookie.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	if err := sameOrigin(r); err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := readForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	nonce, err := r.Cookie(signinCookie)
	if err != nil || !equalSecret(r.PostFormValue(csrfField), nonce.Value) {
		s.renderError(w, r, event.Errorf(event.EFORBIDDEN,
			"refused: the sign-in form was stale or not this server's; open the sign-in page again"))
		return
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		s.renderSignIn(w, r, http.StatusBadRequest, "Enter an API token.")
		return
	}
	p, err := s.tokens.Verify(r.Context(), token)
	if event.ErrorCode(err) == event.EUNAUTHORIZED {
		s.renderSignIn(w, r, http.StatusUnauthorized, "That token was not accepted: it is wrong, expired or revoked.")
		return
	}
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	setCookie(w, r, sessionCookie, token, "/", sessionMaxAge)
	setCookie(w, r, signinCookie, "", "/signin", -1)
	next := localPath(r.PostFormValue("next"))
	if next == "" {
		next = homeOf(p)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleSignOut is POST /signout: the cookie is cleared. The CSRF token
// is checked against the cookie alone, so that a revoked token can still
// sign out.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if err := sameOrigin(r); err != nil {
		s.renderError(w, r, err)
		return
	}
	if err := readForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	tok, err := r.Cookie(sessionCookie)
	if err == nil && !equalSecret(r.PostFormValue(csrfField), csrfToken(tok.Value)) {
		s.renderError(w, r, event.Errorf(event.EFORBIDDEN, "refused: the form's CSRF token is missing or wrong; reload the page"))
		return
	}
	setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// consoleAuthorize wraps a console handler: the session cookie must hold
// a token that verifies and whose budget is not spent; a POST must come
// from this origin with the session's CSRF token; and the caller's role
// must include role, checked on every request whatever the page showed.
func (s *Server) consoleAuthorize(role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var p Principal
		if err == nil {
			p, err = s.tokens.Verify(r.Context(), c.Value)
			if err != nil && event.ErrorCode(err) != event.EUNAUTHORIZED {
				s.renderError(w, r, err) // the token store is down: not the caller's fault
				return
			}
			if err != nil {
				setCookie(w, r, sessionCookie, "", "/", -1)
			}
		}
		if err != nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.renderError(w, r, event.Errorf(event.EUNAUTHORIZED, "sign in first (or again: the session has ended)"))
			return
		}
		if !s.consoleAllow(w, r, p) {
			return
		}
		ctx := context.WithValue(r.Context(), consoleSessionKey{}, consoleSession{c.Value, p})
		ctx = context.WithValue(ctx, principalKey{}, p)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost {
			if err := sameOrigin(r); err != nil {
				s.renderError(w, r, err)
				return
			}
			if err := readForm(w, r); err != nil {
				s.renderError(w, r, err)
				return
			}
			got := r.Header.Get(csrfHeader)
			if got == "" {
				got = r.PostFormValue(csrfField)
			}
			if !equalSecret(got, csrfToken(c.Value)) {
				s.renderError(w, r, event.Errorf(event.EFORBIDDEN, "refused: the form's CSRF token is missing or wrong; reload the page and try again"))
				return
			}
		}
		if !p.Allows(role) {
			s.renderError(w, r, event.Errorf(event.EFORBIDDEN, "this needs the %s role; you are signed in as %s", role, p.Role))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// consoleAllow spends one request of p's budget, as the API does, and
// answers a spent budget with an error page.
func (s *Server) consoleAllow(w http.ResponseWriter, r *http.Request, p Principal) bool {
	return s.spend(w, r, p, s.renderError)
}
