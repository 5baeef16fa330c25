package sqlstore

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A PostgreSQL connection string holds a password: these helpers parse it
// and describe it without one, for Validate's errors and for logs.

// parsePostgres parses a connection string as pgx does (which also reads
// the PG* environment variables and ~/.pgpass). Its error wraps
// ErrPostgresDSN and never holds the password.
func parsePostgres(dsn string) (*pgx.ConnConfig, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrPostgresDSN, redactSecrets(err.Error(), dsn))
	}
	return cc, nil
}

// describePostgres returns HOST:PORT/DATABASE of a connection string (the
// first host, with the number of others), without user or password.
func describePostgres(dsn string) string {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "(invalid connection string)"
	}
	addr := func(host string, port uint16) string {
		if strings.HasPrefix(host, "/") { // a Unix socket directory
			return host
		}
		return net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	first := addr(cc.Host, cc.Port)
	// Fallbacks repeat a host for each TLS mode to try (sslmode=prefer).
	others := map[string]bool{}
	for _, f := range cc.Fallbacks {
		if a := addr(f.Host, f.Port); a != first {
			others[a] = true
		}
	}
	if n := len(others); n > 0 {
		first += fmt.Sprintf(" (+%d more hosts)", n)
	}
	return first + "/" + cc.Database
}

var (
	kvPassword    = regexp.MustCompile(`(?i)\b(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s]+)`)
	queryPassword = regexp.MustCompile(`(?i)[?&](?:ssl)?password=([^&#\s]*)`)
)

// redactSecrets replaces in msg every password that dsn holds (in a URL's
// user information, in a password= or sslpassword= parameter, raw or
// percent-decoded) with "xxxxx". It works on strings that do not parse,
// which are the ones that reach error messages.
func redactSecrets(msg, dsn string) string {
	var secrets []string
	add := func(s string) {
		s = strings.Trim(s, "'")
		if len(s) < 1 {
			return
		}
		secrets = append(secrets, s)
		if u, err := url.PathUnescape(s); err == nil && u != s {
			secrets = append(secrets, u)
		}
		if u, err := url.QueryUnescape(s); err == nil && u != s {
			secrets = append(secrets, u)
		}
	}
	if rest, ok := cutScheme(dsn); ok {
		// The user information ends at the last '@' before the path.
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
		for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
			add(m[1])
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[1])
	}
	// Longest first, so that a secret containing another goes whole.
	for i := range secrets {
		for j := i + 1; j < len(secrets); j++ {
			if len(secrets[j]) > len(secrets[i]) {
				secrets[i], secrets[j] = secrets[j], secrets[i]
			}
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

func cutScheme(dsn string) (string, bool) {
	for _, p := range []string{"postgres://", "postgresql://"} {
		if rest, ok := strings.CutPrefix(dsn, p); ok {
			return rest, true
		}
	}
	return "", false
}
