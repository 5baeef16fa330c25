package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/event"
)

// StoreTokens verifies bearer tokens against the token store, and the
// bootstrap admin token (VIGIL_ADMIN_TOKEN) beside it, which lives only in
// the environment.
type StoreTokens struct {
	store     event.TokenService
	bootstrap *StaticTokens
}

// NewStoreTokens returns a verifier of the tokens in store and of
// bootstrapAdmin ("" for none).
func NewStoreTokens(store event.TokenService, bootstrapAdmin string) *StoreTokens {
	return &StoreTokens{store: store, bootstrap: NewStaticTokens(bootstrapAdmin)}
}

// Verify implements TokenVerifier.
func (t *StoreTokens) Verify(ctx context.Context, token string) (Principal, error) {
	if _, err := t.bootstrap.Verify(ctx, token); err == nil {
		return Principal{ID: "bootstrap", Role: RoleAdmin, Pseudonym: "bootstrap-admin"}, nil
	}
	tok, err := t.store.VerifyToken(ctx, token)
	if err != nil {
		if event.ErrorCode(err) == event.ENOTFOUND {
			return Principal{}, event.Errorf(event.EUNAUTHORIZED, "invalid bearer token")
		}
		return Principal{}, err
	}
	return Principal{ID: "token:" + strconv.FormatInt(tok.ID, 10), Role: tok.Role, Pseudonym: tok.Pseudonym}, nil
}

// String keeps the hash out of logs and test output.
func (t *StoreTokens) String() string { return "api.StoreTokens{redacted}" }

// maxBody bounds a request body.
const maxBody = 1 << 20

// decodeBody decodes a JSON request body into v, refusing unknown fields,
// trailing data and bodies over maxBody, as EINVALID errors.
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return event.Errorf(event.EINVALID, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return event.Errorf(event.EINVALID, "a JSON body is required")
		}
		return event.Errorf(event.EINVALID, "malformed JSON body: %v", err)
	}
	if dec.More() {
		return event.Errorf(event.EINVALID, "malformed JSON body: data after the object")
	}
	return nil
}

type createTokenRequest struct {
	Role      string `json:"role"`
	Label     string `json:"label"`
	Pseudonym string `json:"pseudonym"`
}

type createTokenResponse struct {
	Token event.Token `json:"token"`
	// Secret is shown once: the store keeps only its SHA-256.
	Secret string `json:"secret"`
}

func (s *Server) tokenStore() (event.TokenService, error) {
	if s.tokenAdmin == nil {
		return nil, event.Errorf(event.EUNAVAILABLE, "this server keeps no tokens (no token store configured)")
	}
	return s.tokenAdmin, nil
}

// handleCreateToken is POST /api/v1/tokens (admin).
func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	store, err := s.tokenStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req createTokenRequest
	if err := decodeBody(r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !event.ValidRole(req.Role) {
		s.writeError(w, r, event.Errorf(event.EINVALID, "role must be one of %s", strings.Join(event.Roles, ", ")))
		return
	}
	if len(req.Label) > 200 || len(req.Pseudonym) > 64 {
		s.writeError(w, r, event.Errorf(event.EINVALID, "label (200 bytes) or pseudonym (64 bytes) too long"))
		return
	}
	p, _ := PrincipalFrom(r.Context())
	tok, secret, err := store.CreateToken(r.Context(), event.NewToken{Role: req.Role, Label: req.Label, Pseudonym: req.Pseudonym, CreatedBy: p.Pseudonym})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, http.StatusCreated, createTokenResponse{Token: tokenJSON(tok), Secret: secret})
}

// handleListTokens is GET /api/v1/tokens (admin).
func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	store, err := s.tokenStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	toks, err := store.ListTokens(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]event.Token, 0, len(toks))
	for _, t := range toks {
		out = append(out, tokenJSON(t))
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"tokens": out})
}

// handleRevokeToken is DELETE /api/v1/tokens/{id} (admin).
func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	store, err := s.tokenStore()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	id, err := pathID(r, "id", "token")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, _ := PrincipalFrom(r.Context())
	if err := store.RevokeToken(r.Context(), id, p.Pseudonym); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func tokenJSON(t event.Token) event.Token {
	t.CreatedAt, t.RevokedAt = t.CreatedAt.UTC(), t.RevokedAt.UTC()
	return t
}
