package sqlstore

import (
	"context"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/event"
)

// TestTokens: a token is stored as its hash only, verifies until revoked,
// a replacement keeps the reviewer's pseudonym and revokes the old token,
// and every change is in the audit log, which stays intact.
func TestTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		s := db.open(t)
		ctx := context.Background()
		tok, secret, err := s.CreateToken(ctx, event.NewToken{Role: event.RoleMonitor, Label: "monitor one's laptop", CreatedBy: "bootstrap-admin"})
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID == 0 || !strings.HasPrefix(tok.Pseudonym, "reviewer-") || tok.CreatedAt.IsZero() {
			t.Fatalf("token %+v", tok)
		}
		var stored string
		if err := s.read.QueryRowContext(ctx, s.d.rebind(`SELECT token_sha256 FROM api_tokens WHERE id = ?`), tok.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != event.HashToken(secret) || strings.Contains(stored, strings.TrimPrefix(secret, event.TokenPrefix)) {
			t.Fatalf("stored %q: want the secret's SHA-256 only", stored)
		}
		got, err := s.VerifyToken(ctx, secret)
		if err != nil || got.ID != tok.ID || got.Role != event.RoleMonitor || got.Pseudonym != tok.Pseudonym {
			t.Fatalf("VerifyToken = %+v, %v", got, err)
		}
		if _, err := s.VerifyToken(ctx, secret+"x"); event.ErrorCode(err) != event.EUNAUTHORIZED {
			t.Errorf("a wrong secret: %v, want unauthorized", err)
		}

		// A replacement for the same reviewer: same pseudonym, the old
		// token revoked.
		tok2, secret2, err := s.CreateToken(ctx, event.NewToken{Role: event.RoleMonitor, Pseudonym: tok.Pseudonym, CreatedBy: "bootstrap-admin"})
		if err != nil || tok2.Pseudonym != tok.Pseudonym {
			t.Fatalf("replacement %+v, %v", tok2, err)
		}
		if _, err := s.VerifyToken(ctx, secret); event.ErrorCode(err) != event.EUNAUTHORIZED {
			t.Errorf("the replaced token still verifies: %v", err)
		}
		if _, err := s.VerifyToken(ctx, secret2); err != nil {
			t.Errorf("the replacement: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, event.NewToken{Role: event.RoleViewer, Pseudonym: "reviewer-00000000", CreatedBy: "admin"}); event.ErrorCode(err) != event.ENOTFOUND {
			t.Errorf("a replacement for nobody: %v, want not found", err)
		}
		if _, _, err := s.CreateToken(ctx, event.NewToken{Role: event.RoleViewer, Pseudonym: "Jane Doe", CreatedBy: "admin"}); event.ErrorCode(err) != event.EINVALID {
			t.Errorf("a name as pseudonym: %v, want invalid", err)
		}
		if _, _, err := s.CreateToken(ctx, event.NewToken{Role: "root", CreatedBy: "admin"}); event.ErrorCode(err) != event.EINVALID {
			t.Errorf("an unknown role: %v, want invalid", err)
		}

		if err := s.RevokeToken(ctx, tok2.ID, "bootstrap-admin"); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, tok2.ID, "bootstrap-admin"); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if _, err := s.VerifyToken(ctx, secret2); event.ErrorCode(err) != event.EUNAUTHORIZED {
			t.Errorf("a revoked token verifies: %v", err)
		}
		if err := s.RevokeToken(ctx, 999, "bootstrap-admin"); event.ErrorCode(err) != event.ENOTFOUND {
			t.Errorf("revoking no token: %v, want not found", err)
		}
		toks, err := s.ListTokens(ctx)
		if err != nil || len(toks) != 2 || toks[0].RevokedAt.IsZero() || toks[1].RevokedAt.IsZero() || toks[0].Label != "monitor one's laptop" {
			t.Fatalf("ListTokens = %+v, %v", toks, err)
		}

		// Audit: two creations and one revocation (the second revoke and
		// the refused calls log nothing); never the label or the secret.
		entries, err := s.Audit().List(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action+" "+e.Subject)
			if strings.Contains(string(e.Details), "laptop") || strings.Contains(string(e.Details), secret) {
				t.Errorf("audit entry %d holds the label or the secret: %s", e.Seq, e.Details)
			}
		}
		want := []string{"token_create token:1", "token_create token:2", "token_revoke token:2"}
		if strings.Join(actions, ",") != strings.Join(want, ",") {
			t.Errorf("audit log %q, want %q", actions, want)
		}
		res, err := s.Audit().Verify(ctx)
		if err != nil || !res.OK {
			t.Errorf("audit verify: %+v, %v", res, err)
		}
	})
}
