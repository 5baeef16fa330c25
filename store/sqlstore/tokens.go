package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/vigilhq/vigil/event"
)

var _ event.TokenService = (*Store)(nil)

// pseudonymPattern is what a pseudonym may look like: never a name.
var pseudonymPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{2,63}$`)

// CreateToken implements event.TokenService: it stores the SHA-256 of a
// fresh secret and appends a token_create entry to the audit log in the
// same transaction. A replacement token (t.Pseudonym set) must name an
// existing pseudonym, and revokes that reviewer's live tokens, so that one
// person has one live token.
func (s *Store) CreateToken(ctx context.Context, t event.NewToken) (event.Token, string, error) {
	if !event.ValidRole(t.Role) {
		return event.Token{}, "", event.Errorf(event.EINVALID, "unknown role %q", t.Role)
	}
	if t.CreatedBy == "" {
		return event.Token{}, "", event.Errorf(event.EINVALID, "created_by is required")
	}
	secret := event.NewTokenSecret()
	var tok event.Token
	err := s.inWrite(ctx, func(tx *tx) error {
		replacing := t.Pseudonym != ""
		if replacing {
			if !pseudonymPattern.MatchString(t.Pseudonym) {
				return event.Errorf(event.EINVALID, "pseudonym %q: lowercase letters, digits and '-' only", t.Pseudonym)
			}
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM api_tokens WHERE pseudonym = ?`, t.Pseudonym).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return event.Errorf(event.ENOTFOUND, "no reviewer with pseudonym %q (omit it for a new reviewer)", t.Pseudonym)
			}
			if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE pseudonym = ? AND revoked_at IS NULL`,
				encodeTime(tx.now), t.Pseudonym); err != nil {
				return err
			}
		} else {
			t.Pseudonym = event.NewPseudonym()
		}
		tok = event.Token{Role: t.Role, Pseudonym: t.Pseudonym, Label: t.Label, CreatedAt: tx.now, CreatedBy: t.CreatedBy}
		err := tx.queryRow(ctx, `INSERT INTO api_tokens (token_sha256, role, pseudonym, label, created_at, created_by)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			event.HashToken(secret), t.Role, t.Pseudonym, t.Label, encodeTime(tx.now), t.CreatedBy).Scan(&tok.ID)
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		details := fmt.Sprintf(`{"pseudonym":%q,"replacement":%t,"role":%q}`, t.Pseudonym, replacing, t.Role)
		_, err = appendAuditTx(ctx, tx, event.AuditEntry{Actor: auditActor(t.CreatedBy), Action: event.AuditTokenCreate,
			Subject: "token:" + strconv.FormatInt(tok.ID, 10), Details: []byte(details)})
		return err
	})
	if err != nil {
		return event.Token{}, "", err
	}
	return tok, secret, nil
}

// VerifyToken implements event.TokenService.
func (s *Store) VerifyToken(ctx context.Context, secret string) (event.Token, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return event.Token{}, event.Errorf(event.EUNAVAILABLE, "token store: %v", err)
	}
	defer tx.Rollback()
	toks, err := scanTokens(tx.query(ctx, tokenColumns+` WHERE token_sha256 = ?`, event.HashToken(secret)))
	if err != nil {
		return event.Token{}, event.Errorf(event.EUNAVAILABLE, "token store: %v", err)
	}
	if len(toks) == 0 || !toks[0].RevokedAt.IsZero() {
		return event.Token{}, event.Errorf(event.EUNAUTHORIZED, "invalid bearer token")
	}
	return toks[0], nil
}

// RevokeToken implements event.TokenService; revoking a revoked token
// changes nothing and logs nothing.
func (s *Store) RevokeToken(ctx context.Context, id int64, by string) error {
	if by == "" {
		return event.Errorf(event.EINVALID, "revoked by whom is required")
	}
	return s.inWrite(ctx, func(tx *tx) error {
		var revoked sql.NullString
		var pseudonym string
		err := tx.queryRow(ctx, `SELECT revoked_at, pseudonym FROM api_tokens WHERE id = ?`, id).Scan(&revoked, &pseudonym)
		if errors.Is(err, sql.ErrNoRows) {
			return event.Errorf(event.ENOTFOUND, "no token %d", id)
		}
		if err != nil || revoked.Valid {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, encodeTime(tx.now), id); err != nil {
			return err
		}
		_, err = appendAuditTx(ctx, tx, event.AuditEntry{Actor: auditActor(by), Action: event.AuditTokenRevoke,
			Subject: "token:" + strconv.FormatInt(id, 10), Details: []byte(fmt.Sprintf(`{"pseudonym":%q}`, pseudonym))})
		return err
	})
}

// ListTokens implements event.TokenService: every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]event.Token, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return scanTokens(tx.query(ctx, tokenColumns+` ORDER BY id`))
}

const tokenColumns = `SELECT id, role, pseudonym, label, created_at, created_by, revoked_at FROM api_tokens`

func scanTokens(rows *sql.Rows, err error) ([]event.Token, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []event.Token
	for rows.Next() {
		var t event.Token
		if err := rows.Scan(&t.ID, &t.Role, &t.Pseudonym, &t.Label, timeColumn{&t.CreatedAt}, &t.CreatedBy, timeColumn{&t.RevokedAt}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// auditActor is the actor an audit entry names for a pseudonym: itself,
// or "system" for the command line and the bootstrap admin's own names.
func auditActor(pseudonym string) string {
	if pseudonym == "" {
		return event.AuditActorSystem
	}
	return pseudonym
}

// inWrite runs fn in a write transaction and commits it.
func (s *Store) inWrite(ctx context.Context, fn func(*tx) error) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
