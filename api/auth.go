package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/vigilhq/vigil/event"
)

// Roles, from least to most trusted. Monitors review flags and advocates
// build evidence packs: neither role includes the other, both include
// viewer, and admin includes every role.
const (
	RoleViewer   = event.RoleViewer
	RoleMonitor  = event.RoleMonitor
	RoleAdvocate = event.RoleAdvocate
	RoleAdmin    = event.RoleAdmin
)

// Principal is the caller a token stands for.
type Principal struct {
	ID   string
	Role string
	// Pseudonym is the stable name that review decisions and exports
	// show, never a real name.
	Pseudonym string
}

// Allows reports whether p's role includes role. An unknown role
// includes nothing.
func (p Principal) Allows(role string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleMonitor, RoleAdvocate:
		return role == p.Role || role == RoleViewer
	case RoleViewer:
		return role == RoleViewer
	default:
		return false
	}
}

// TokenVerifier turns a bearer token into the principal it stands for. It
// returns an error with code event.EUNAUTHORIZED for a token it does not
// know; any other error is reported with its own code (a store that is down
// is event.EUNAVAILABLE, not a wrong token).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// StaticTokens accepts one token: the bootstrap admin token
// (VIGIL_ADMIN_TOKEN). It keeps only the token's SHA-256, so that neither
// a memory dump nor a stray %v shows the token, and compares hashes in
// constant time.
type StaticTokens struct {
	admin [sha256.Size]byte
	set   bool
}

// NewStaticTokens returns a verifier for adminToken. An empty adminToken
// accepts no token at all.
func NewStaticTokens(adminToken string) *StaticTokens {
	if adminToken == "" {
		return &StaticTokens{}
	}
	return &StaticTokens{admin: sha256.Sum256([]byte(adminToken)), set: true}
}

// Verify implements TokenVerifier.
func (t *StaticTokens) Verify(_ context.Context, token string) (Principal, error) {
	sum := sha256.Sum256([]byte(token))
	if !t.set || subtle.ConstantTimeCompare(sum[:], t.admin[:]) != 1 {
		return Principal{}, event.Errorf(event.EUNAUTHORIZED, "invalid bearer token")
	}
	return Principal{ID: "admin", Role: RoleAdmin, Pseudonym: "admin"}, nil
}

// String keeps the hash out of logs and test output.
func (t *StaticTokens) String() string { return "api.StaticTokens{redacted}" }

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request handled by
// the Server; ok is false on public routes.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	p, ok = ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// authorize wraps h so that it runs only for a caller whose bearer token
// verifies, whose token's request budget is not spent (see allow) and
// whose role includes role.
func (s *Server) authorize(role string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		if !ok {
			s.writeError(w, r, event.Errorf(event.EUNAUTHORIZED, "missing bearer token"))
			return
		}
		p, err := s.tokens.Verify(r.Context(), token)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// Every authenticated request spends from its token's budget,
		// one refused for its role included.
		if !s.allow(w, r, p) {
			return
		}
		if !p.Allows(role) {
			s.writeError(w, r, event.Errorf(event.EFORBIDDEN, "this needs the %s role", role))
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// bearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive, RFC 9110 section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
