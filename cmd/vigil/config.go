package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/bus"
	"github.com/vigilhq/vigil/classify/reload/redisnotify"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/examples"
	"github.com/vigilhq/vigil/ingest"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// Config is the whole of `vigil.yaml`. Precedence: the file, then VIGIL_*
// environment variables, then flags.
type Config struct {
	Kafka    bus.Config     `yaml:"kafka"`
	Sources  []SourceConfig `yaml:"sources"`
	Ingest   IngestConfig   `yaml:"ingest"`
	Classify ClassifyConfig `yaml:"classify"`
	Store    StoreConfig    `yaml:"store"`
	HTTP     HTTPConfig     `yaml:"http"`
	Redis    RedisConfig    `yaml:"redis"`
	Limits   event.Limits   `yaml:"limits"`
	Evidence EvidenceConfig `yaml:"evidence"`

	// DataDir holds the SQLite database, the embedded broker's log and the
	// source cursors. Flag --data-dir, env VIGIL_DATA_DIR.
	DataDir string `yaml:"data_dir"`

	// file is where the config came from, for messages; fsys is where its
	// relative paths resolve (the embedded demo for the default config);
	// getenv reads the environment (credentials named in the config).
	file   string
	fsys   fs.FS
	getenv func(string) string
}

// IngestConfig configures the ingest role's shared state.
type IngestConfig struct {
	// DedupTTL is how long a written post is remembered, so that a
	// source re-reading it does not write it again. Default 72h.
	DedupTTL time.Duration `yaml:"dedup_ttl"`
	// DedupPrefix and CursorPrefix are the Redis key prefixes (with
	// redis.addr). Defaults "vigil:dedup:" and "vigil:cursor:".
	DedupPrefix  string `yaml:"dedup_prefix"`
	CursorPrefix string `yaml:"cursor_prefix"`
}

// ClassifyConfig names the lexicon, account-list, domain-list, brand-list
// and gazetteer files.
type ClassifyConfig struct {
	Lexicons []string `yaml:"lexicons"`
	Accounts []string `yaml:"accounts"`
	// Domains are domain lists (CSV: domain,list,category,note,source):
	// a post linking to a listed site matches the entry's category.
	Domains []string `yaml:"domains"`
	// Brands are brand lists (CSV: brand,owner,category,note,source): a
	// brand named in a post matches the entry's category.
	Brands []string `yaml:"brands"`
	// Gazetteer are gazetteer files (YAML: regions and their townships,
	// docs/gazetteer.md): a place named in a post tags its verdict with
	// the place and its region, and never flags it.
	Gazetteer []string `yaml:"gazetteer"`
}

// StoreConfig configures the SQL store.
type StoreConfig struct {
	// SQLite is the database file; default DATA_DIR/vigil.db.
	SQLite string `yaml:"sqlite"`
	// Postgres is a PostgreSQL connection string (see sqlstore.Config);
	// when set, the store and api roles use PostgreSQL and SQLite is not
	// used. It holds a password: prefer env VIGIL_POSTGRES (or flag
	// --postgres) to the file. Never logged.
	Postgres string `yaml:"postgres"`
}

// HTTPConfig configures the api role's listener.
type HTTPConfig struct {
	Addr string `yaml:"addr"`
	// RateLimit is each API token's request budget: {requests: 600, per:
	// 1m} by default; requests: -1 turns it off. With redis.addr every api
	// replica spends from one shared budget per token.
	RateLimit api.RateLimit `yaml:"rate_limit"`
}

// RedisConfig configures the Redis server that replicas share. Without
// one, a classify replica reloads its lexicons on a file change or SIGHUP
// only; with one, `vigil lexicon reload` reaches every replica.
type RedisConfig struct {
	// Addr is host:port; empty (the default) means no Redis. Env
	// VIGIL_REDIS_ADDR.
	Addr string `yaml:"addr"`
	// ReloadChannel is the pub/sub channel of lexicon reload notices.
	// Default "vigil:lexicon-reload".
	ReloadChannel string `yaml:"reload_channel"`
}

// EvidenceConfig configures evidence packs.
type EvidenceConfig struct {
	// KeysDir is the signing keyring (vigil keys generate); default
	// DATA_DIR/keys. Env VIGIL_SIGNING_KEY (an Ed25519 private key, PKCS#8
	// PEM), when set, is the signing key instead of the keyring's active
	// one; the keyring's public keys are still listed.
	KeysDir string `yaml:"keys_dir"`
	// Profile is the platform profile of a pack when the request names
	// none (meta, x, youtube, tiktok, telegram); "" picks the profile of
	// the posts' platform.
	Profile string `yaml:"profile"`
	// Notifier is who the DSA Article 16 notice names as sending it: the
	// organisation and a contact address, never a reviewer.
	Notifier struct {
		Name         string `yaml:"name"`
		Email        string `yaml:"email"`
		Organisation string `yaml:"organisation"`
	} `yaml:"notifier"`
	// TSAURL, when set, is an RFC 3161 time-stamping authority that
	// timestamps every pack's manifest (https://freetsa.org/tsr, say).
	TSAURL string `yaml:"tsa_url"`
}

// keysDir is the signing keyring's directory.
func (c *Config) keysDir() string {
	if c.Evidence.KeysDir != "" {
		return c.Evidence.KeysDir
	}
	return filepath.Join(c.DataDir, "keys")
}

// defaultConfigName is the demo configuration embedded in the binary.
const defaultConfigName = "vigil.yaml"

// loadConfig reads the config file at path, or the embedded demo config
// when path is empty, then applies the environment.
func loadConfig(path string, env func(string) string) (*Config, error) {
	var (
		data []byte
		err  error
		cfg  = &Config{Kafka: bus.Defaults(), DataDir: "data", HTTP: HTTPConfig{Addr: "127.0.0.1:8080"},
			Redis:  RedisConfig{ReloadChannel: redisnotify.DefaultChannel},
			Ingest: IngestConfig{DedupTTL: 72 * time.Hour, DedupPrefix: "vigil:dedup:", CursorPrefix: "vigil:cursor:"}}
	)
	if path == "" {
		cfg.file, cfg.fsys = "examples/"+defaultConfigName+" (embedded)", examples.FS
		data, err = fs.ReadFile(examples.FS, defaultConfigName)
	} else {
		cfg.file = path
		data, err = os.ReadFile(path)
		abs, aerr := filepath.Abs(filepath.Dir(path))
		if aerr != nil {
			return nil, aerr
		}
		cfg.fsys = dirFS(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := decodeStrict(cfg.file, data, cfg); err != nil {
		return nil, err
	}
	cfg.applyEnv(env)
	cfg.getenv = env
	return cfg, nil
}

// dirFS opens names relative to a directory, like os.DirFS, but also
// accepts absolute paths and "../" (a config may name files anywhere: the
// names come from the operator, not from a post).
type dirFS string

func (d dirFS) Open(name string) (fs.File, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(string(d), name)
	}
	return os.Open(name)
}

var yamlLineErr = regexp.MustCompile(`^line (\d+): field (\S+) not found in type (\S+)$`)

// decodeStrict decodes YAML refusing unknown keys, with errors that name
// the file and line: "vigil.yaml:3: unknown key \"sorces\"".
func decodeStrict(file string, data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if err == nil || errors.Is(err, io.EOF) { // an empty file is the defaults
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var msgs []string
		for _, e := range te.Errors {
			if m := yamlLineErr.FindStringSubmatch(e); m != nil {
				msgs = append(msgs, fmt.Sprintf("%s:%s: unknown key %q", file, m[1], m[2]))
			} else {
				msgs = append(msgs, file+":"+strings.TrimPrefix(e, "line "))
			}
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
}

// applyEnv applies VIGIL_* overrides.
func (c *Config) applyEnv(env func(string) string) {
	if v := env("VIGIL_DATA_DIR"); v != "" {
		c.DataDir = v
	}
	if v := env("VIGIL_HTTP_ADDR"); v != "" {
		c.HTTP.Addr = v
	}
	if v := env("VIGIL_KAFKA_BROKERS"); v != "" {
		c.Kafka.Brokers = strings.Split(v, ",")
	}
	if v := env("VIGIL_SQLITE"); v != "" {
		c.Store.SQLite = v
	}
	if v := env("VIGIL_POSTGRES"); v != "" {
		c.Store.Postgres = v
	}
	if v := env("VIGIL_REDIS_ADDR"); v != "" {
		c.Redis.Addr = v
	}
}

// Validate checks what can be checked without starting anything: the
// sources, and that the lexicon and account files exist.
func (c *Config) Validate() error {
	var errs []error
	names := map[string]bool{}
	for i, s := range c.Sources {
		where := fmt.Sprintf("%s: sources[%d]", c.file, i)
		if s.Line > 0 {
			where = fmt.Sprintf("%s:%d", c.file, s.Line)
		}
		switch {
		case s.Name == "":
			errs = append(errs, fmt.Errorf("%s: a source needs a name", where))
		case names[s.Name]:
			errs = append(errs, fmt.Errorf("%s: source name %q is used twice", where, s.Name))
		default:
			// Building checks the settings (and that the credentials
			// they name are set); nothing starts until Run.
			if _, err := buildSource(s, ingest.Env{Getenv: c.getenv, FS: c.fsys, Once: true}); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
		names[s.Name] = true
	}
	for _, p := range slices.Concat(c.Classify.Lexicons, c.Classify.Accounts, c.Classify.Domains, c.Classify.Brands, c.Classify.Gazetteer) {
		if _, err := fs.Stat(c.fsys, p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.file, err))
		}
	}
	if len(c.Classify.Lexicons) == 0 {
		errs = append(errs, fmt.Errorf("%s: classify.lexicons: at least one lexicon is required", c.file))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory is empty"))
	}
	if c.Redis.ReloadChannel == "" {
		errs = append(errs, fmt.Errorf("%s: redis.reload_channel: must not be empty (default %q)", c.file, redisnotify.DefaultChannel))
	}
	if c.Redis.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Redis.Addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: redis.addr %q: want host:port (%v)", c.file, c.Redis.Addr, err))
		}
	}
	if c.Evidence.Profile != "" {
		if _, err := evidence.Profile(c.Evidence.Profile); err != nil {
			errs = append(errs, fmt.Errorf("%s: evidence.profile: %w", c.file, err))
		}
	}
	if u := c.Evidence.TSAURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s: evidence.tsa_url %q: want an http(s) URL", c.file, u))
		}
	}
	if c.Store.Postgres != "" {
		sc := c.storeConfig()
		if err := sc.Validate(); err != nil { // the message holds no password
			errs = append(errs, fmt.Errorf("%s: store.postgres (or VIGIL_POSTGRES, --postgres): %w", c.file, err))
		}
	}
	return errors.Join(errs...)
}

// storeConfig is the SQL store's config: PostgreSQL when store.postgres is
// set, else SQLite at sqlitePath.
func (c *Config) storeConfig() sqlstore.Config {
	if c.Store.Postgres != "" {
		return sqlstore.Config{Postgres: c.Store.Postgres}
	}
	return sqlstore.Config{Path: c.sqlitePath()}
}

func (c *Config) sqlitePath() string {
	if c.Store.SQLite != "" {
		return c.Store.SQLite
	}
	return filepath.Join(c.DataDir, "vigil.db")
}
