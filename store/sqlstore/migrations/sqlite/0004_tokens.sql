-- 0004: API tokens. Only the SHA-256 of a token's secret is stored; the
-- secret is shown once, when the token is made. pseudonym is the name a
-- reviewer's decisions and exports show; label (who holds the token) is for
-- the admins and never leaves the system. Several tokens may share a
-- pseudonym (a reviewer's replaced tokens); at most one of them is live.
--
-- Conventions as in 0001. The PostgreSQL migration has the same columns.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_sha256 TEXT    NOT NULL UNIQUE,
    role         TEXT    NOT NULL CHECK (role IN ('viewer', 'monitor', 'advocate', 'admin')),
    pseudonym    TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    revoked_at   TEXT
) STRICT;

CREATE INDEX api_tokens_by_pseudonym ON api_tokens (pseudonym, id);
