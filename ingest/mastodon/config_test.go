package mastodon

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/ingest/netsrc"
)

func TestDefaults(t *testing.T) {
	d := Defaults()
	if d.BaseURL != "https://mastodon.social" || d.Interval != time.Minute ||
		d.RateLimit != (netsrc.RateLimit{Requests: 300, Per: 5 * time.Minute}) || d.Concurrency != 1 {
		t.Fatalf("defaults %+v", d)
	}
	s, err := New(Config{Name: "m", Hashtags: []string{"x"}}, newEnv(nil, nil).Env)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Limit != 40 || s.cfg.MaxPages != 10 || s.cfg.BackfillPages != 1 || !s.reblogs || s.cfg.BaseURL != "https://mastodon.social" {
		t.Fatalf("filled config %+v", s.cfg)
	}
	if len(Settings) == 0 || Summary == "" || Type != "mastodon" {
		t.Fatal("package documentation constants missing")
	}
}

func TestNewRefuses(t *testing.T) {
	ok := func(c *Config) {}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no name", func(c *Config) { c.Name = "" }, "name is required"},
		{"nothing to follow", func(c *Config) { c.Hashtags = nil }, "nothing to follow"},
		{"limit over 40", func(c *Config) { c.Limit = 41 }, "limit 41"},
		{"negative max_pages", func(c *Config) { c.MaxPages = -1 }, "max_pages"},
		{"negative backfill_pages", func(c *Config) { c.BackfillPages = -2 }, "backfill_pages"},
		{"empty hashtag", func(c *Config) { c.Hashtags = []string{"#"} }, "hashtag"},
		{"hashtag with slash", func(c *Config) { c.Hashtags = []string{"a/b"} }, "hashtag"},
		{"bad account", func(c *Config) { c.Hashtags = nil; c.Accounts = []string{"a@b@c"} }, "account"},
		{"account without domain", func(c *Config) { c.Hashtags = nil; c.Accounts = []string{"alice@"} }, "account"},
		{"local_only without public", func(c *Config) { c.LocalOnly = true }, "local_only"},
		{"local and remote", func(c *Config) { c.Public = Public{Enabled: true, Local: true, Remote: true} }, "exclude"},
		{"websocket base", func(c *Config) { c.BaseURL = "wss://example.social" }, "http(s)"},
		{"base with query", func(c *Config) { c.BaseURL = "https://example.social/?x=1" }, "without a query"},
		{"unset token", func(c *Config) { c.TokenEnv = "VIGIL_NOPE" }, "VIGIL_NOPE"},
		{"fine", ok, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Name: "m", Hashtags: []string{"x"}}
			tc.mod(&cfg)
			_, err := New(cfg, newEnv(nil, nil).Env)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			case tc.want != "" && cfg.Name != "" && !strings.Contains(err.Error(), "mastodon source m"):
				t.Fatalf("error %q does not name the source", err)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	s, err := New(Config{Name: "m", Hashtags: []string{"#Myanmar", "myanmar", "မြန်မာ"}, Public: Public{Enabled: true, Remote: true},
		Accounts: []string{"@Alice", "bob@Other.Example"}, IncludeReblogs: new(false)}, newEnv(nil, nil).Env)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range s.targets {
		got = append(got, s.cursorKey(&tg)+" "+tg.path+"?"+tg.query.Encode())
	}
	want := []string{
		"mastodon:m:tag:myanmar api/v1/timelines/tag/myanmar?limit=40",
		"mastodon:m:tag:မြန်မာ api/v1/timelines/tag/%E1%80%99%E1%80%BC%E1%80%94%E1%80%BA%E1%80%99%E1%80%AC?limit=40",
		"mastodon:m:public api/v1/timelines/public?limit=40&remote=true",
		"mastodon:m:account:alice ?exclude_reblogs=true&limit=40",
		"mastodon:m:account:bob@other.example ?exclude_reblogs=true&limit=40",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("targets:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPublicUnmarshal drives UnmarshalYAML as a YAML decoder does, with
// encoding/json standing in for it (the callback contract is the same).
func TestPublicUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Public
		err  bool
	}{
		{`true`, Public{Enabled: true}, false},
		{`false`, Public{}, false},
		{`{"enabled": true, "local": true}`, Public{Enabled: true, Local: true}, false},
		{`{"remote": true}`, Public{Enabled: true, Remote: true}, false},
		{`{"enabled": false, "local": true}`, Public{Local: true}, false},
		{`"yes please"`, Public{}, true},
	} {
		var p Public
		err := p.UnmarshalYAML(func(v any) error { return json.Unmarshal([]byte(tc.in), v) })
		if (err != nil) != tc.err || p != tc.want {
			t.Errorf("%s: %+v, %v; want %+v (error %v)", tc.in, p, err, tc.want, tc.err)
		}
	}
}
