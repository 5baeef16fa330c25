package event

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Roles, from least to most trusted. Monitors review flags and advocates
// build evidence packs: neither role includes the other, both include
// viewer, and admin includes every role.
const (
	RoleViewer   = "viewer"
	RoleMonitor  = "monitor"
	RoleAdvocate = "advocate"
	RoleAdmin    = "admin"
)

// Roles lists the roles, least trusted first.
var Roles = []string{RoleViewer, RoleMonitor, RoleAdvocate, RoleAdmin}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Token is an API token as the store keeps it: never the secret itself,
// only its SHA-256. Pseudonym is the name decisions, exports and the audit
// log show; Label (who holds the token, for the admins) never leaves the
// system.
type Token struct {
	ID        int64     `json:"id"`
	Role      string    `json:"role"`
	Pseudonym string    `json:"pseudonym"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is the pseudonym of the admin who made it ("bootstrap"
	// for the admin token of the environment, "cli" for vigil token
	// create).
	CreatedBy string    `json:"created_by"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// NewToken is what CreateToken needs.
type NewToken struct {
	Role  string
	Label string
	// Pseudonym, when set, gives the new token an existing reviewer's
	// pseudonym (a replaced token); empty makes a new one.
	Pseudonym string
	CreatedBy string
}

// TokenService keeps API tokens. Implementations store only the SHA-256
// of a secret and append an audit entry for every change.
type TokenService interface {
	// CreateToken makes a token and returns it with its secret, which
	// is shown once and never stored.
	CreateToken(ctx context.Context, t NewToken) (Token, string, error)
	// VerifyToken returns the live token whose secret this is; an
	// unknown or revoked secret is EUNAUTHORIZED.
	VerifyToken(ctx context.Context, secret string) (Token, error)
	// RevokeToken revokes token id (ENOTFOUND if there is none).
	RevokeToken(ctx context.Context, id int64, by string) error
	ListTokens(ctx context.Context) ([]Token, error)
}

// TokenPrefix starts every secret, so that a leaked one is recognisable
// (by secret scanners, too).
const TokenPrefix = "vigil_"

// NewTokenSecret returns a fresh secret: TokenPrefix and 32 random bytes
// in hex.
func NewTokenSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return TokenPrefix + hex.EncodeToString(b)
}

// HashToken returns the lowercase hex SHA-256 of a secret, as stored.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	return hex.EncodeToString(sum[:])
}

// NewPseudonym returns a fresh reviewer pseudonym, "reviewer-" and eight
// random hex digits.
func NewPseudonym() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "reviewer-" + hex.EncodeToString(b)
}
