// Package sources is the catalogue of source types: what `sources:` in
// the config may name, each type's settings (for `vigil sources`), and how
// to build one from its decoded settings.
package sources

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/ingest/bluesky"
	"github.com/vigilhq/vigil/ingest/facebook"
	"github.com/vigilhq/vigil/ingest/file"
	"github.com/vigilhq/vigil/ingest/mastodon"
	"github.com/vigilhq/vigil/ingest/netsrc"
	"github.com/vigilhq/vigil/ingest/rss"
	"github.com/vigilhq/vigil/ingest/telegram"
	"github.com/vigilhq/vigil/ingest/twitter"
)

// Type is one kind of source.
type Type struct {
	// Name is the value of `type:` in the config.
	Name string
	// Summary is one line on what it collects.
	Summary string
	// Settings are the type's own settings: name, meaning and default.
	Settings [][2]string
	// Network reports whether the type takes the common network
	// settings (base_url, interval, rate_limit, ...).
	Network bool
	// Defaults are the type's defaults of those settings.
	Defaults netsrc.Settings
	// NewConfig returns a pointer to a zero config of the type, to decode
	// the YAML entry into.
	NewConfig func() any
	// Build makes the source from a config NewConfig returned, decoded.
	Build func(cfg any, env ingest.Env) (ingest.Source, error)
}

func network[C any, S ingest.Source](name, summary string, settings [][2]string, defaults netsrc.Settings, build func(C, ingest.Env) (S, error)) Type {
	return Type{
		Name: name, Summary: summary, Settings: settings, Network: true, Defaults: defaults,
		NewConfig: func() any { return new(C) },
		Build: func(cfg any, env ingest.Env) (ingest.Source, error) {
			s, err := build(*cfg.(*C), env)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}

// All returns every source type, by name.
func All() []Type {
	return []Type{
		network(bluesky.Type, bluesky.Summary, bluesky.Settings, bluesky.Defaults(), bluesky.New),
		network(facebook.Type, facebook.Summary, facebook.Settings, facebook.Defaults(), facebook.New),
		{
			Name: file.Type, Summary: file.Summary, Settings: file.Settings,
			NewConfig: func() any { return new(file.Config) },
			Build: func(cfg any, env ingest.Env) (ingest.Source, error) {
				c := *cfg.(*file.Config)
				c.Limits = env.Limits
				if !filepath.IsAbs(c.Path) {
					c.FS = env.FS
				}
				return file.New(c, env.Cursors)
			},
		},
		network(mastodon.Type, mastodon.Summary, mastodon.Settings, mastodon.Defaults(), mastodon.New),
		network(rss.Type, rss.Summary, rss.Settings, rss.Defaults(), rss.New),
		network(telegram.Type, telegram.Summary, telegram.Settings, telegram.Defaults(), telegram.New),
		network(twitter.Type, twitter.Summary, twitter.Settings, twitter.Defaults(), twitter.New),
	}
}

// Lookup returns the type named name.
func Lookup(name string) (Type, error) {
	all := All()
	if i := slices.IndexFunc(all, func(t Type) bool { return t.Name == name }); i >= 0 {
		return all[i], nil
	}
	return Type{}, fmt.Errorf("unknown source type %q (this version reads: %s)", name, strings.Join(Names(), ", "))
}

// Names returns the type names.
func Names() []string {
	var out []string
	for _, t := range All() {
		out = append(out, t.Name)
	}
	return out
}

// Common documents the settings every network source takes.
var Common = [][2]string{
	{"base_url", "the API's root: an instance, a compatible API or a test server (default: the platform's)"},
	{"interval", "time between polling rounds, e.g. 1m"},
	{"timeout", "bound on one request, e.g. 30s"},
	{"rate_limit", "{requests: N, per: DURATION}: the most requests sent, whatever the platform allows"},
	{"concurrency", "requests in flight at once"},
	{"retries", "retries of a 429, 5xx or network error within a round"},
	{"backoff", "{min, max}: the wait after a failure doubles from min to max, with jitter"},
	{"allow_private", "reach loopback, private and link-local addresses (default false: refused)"},
	{"user_agent", "the User-Agent sent"},
}
