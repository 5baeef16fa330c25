-- 0004: API tokens. Only the SHA-256 of a token's secret is stored; the
-- secret is shown once, when the token is made. pseudonym is the name a
-- reviewer's decisions and exports show; label (who holds the token) is for
-- the admins and never leaves the system. Several tokens may share a
-- pseudonym (a reviewer's replaced tokens); at most one of them is live.
--
-- Conventions as in 0001 (times as fixed-width text, text COLLATE "C").
CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_sha256 TEXT   COLLATE "C" NOT NULL UNIQUE,
    role         TEXT   COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'monitor', 'advocate', 'admin')),
    pseudonym    TEXT   COLLATE "C" NOT NULL,
    label        TEXT   COLLATE "C" NOT NULL DEFAULT '',
    created_at   TEXT   COLLATE "C" NOT NULL,
    created_by   TEXT   COLLATE "C" NOT NULL,
    revoked_at   TEXT   COLLATE "C"
);

CREATE INDEX api_tokens_by_pseudonym ON api_tokens (pseudonym, id);
