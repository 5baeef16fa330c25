package api_test

import (
	"errors"
	"flag"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/ratelimit"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     api.Config
		wantIs  error
		wantMsg string
	}{
		{"zero value", api.Config{}, nil, ""},
		{"loopback", api.Config{Addr: "127.0.0.1:8080"}, nil, ""},
		{"any port", api.Config{Addr: ":0"}, nil, ""},
		{"ipv6", api.Config{Addr: "[::1]:9000"}, nil, ""},
		{"no port", api.Config{Addr: "localhost"}, api.ErrInvalidAddr,
			`invalid addr "localhost": address localhost: missing port in address`},
		{"port name", api.Config{Addr: "localhost:http"}, api.ErrInvalidAddr,
			`invalid addr "localhost:http": port "http" is not a number from 0 to 65535`},
		{"port too big", api.Config{Addr: "localhost:65536"}, api.ErrInvalidAddr,
			`invalid addr "localhost:65536": port "65536" is not a number from 0 to 65535`},
		{"negative read timeout", api.Config{ReadTimeout: -time.Second}, api.ErrInvalidTimeout,
			"invalid timeout: read_timeout is negative (-1s)"},
		{"negative shutdown timeout", api.Config{ShutdownTimeout: -time.Millisecond}, api.ErrInvalidTimeout,
			"invalid timeout: shutdown_timeout is negative (-1ms)"},
		{"rate limit off", api.Config{RateLimit: api.RateLimit{Requests: -1}}, nil, ""},
		{"rate limit", api.Config{RateLimit: api.RateLimit{Requests: 10, Per: time.Second}}, nil, ""},
		{"negative rate limit period", api.Config{RateLimit: api.RateLimit{Per: -time.Second}}, ratelimit.ErrInvalidLimit,
			"rate_limit: invalid rate limit: per is negative (-1s)"},
		{"rate limit too fast", api.Config{RateLimit: api.RateLimit{Requests: 5000, Per: time.Millisecond}}, ratelimit.ErrInvalidLimit,
			"rate_limit: invalid rate limit: 5000 requests per 1ms is more than one a microsecond"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantIs == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) || err.Error() != tt.wantMsg {
				t.Errorf("Validate = %v, want %q (wrapping %v)", err, tt.wantMsg, tt.wantIs)
			}
		})
	}
}

func TestConfigRegisterFlags(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		args   []string
		want   api.Config
	}{
		{"defaults", "http", nil, api.Config{
			Addr: api.DefaultAddr, ReadTimeout: api.DefaultReadTimeout, WriteTimeout: api.DefaultWriteTimeout,
			IdleTimeout: api.DefaultIdleTimeout, ShutdownTimeout: api.DefaultShutdownTimeout,
			RateLimit: api.RateLimit{Requests: 600, Per: time.Minute},
		}},
		{"prefixed", "http", []string{"-http.addr=0.0.0.0:9000", "-http.read-timeout=3s", "-http.write-timeout=4s",
			"-http.idle-timeout=5s", "-http.shutdown-timeout=6s", "-http.rate-limit=30", "-http.rate-limit-per=1s"}, api.Config{
			Addr: "0.0.0.0:9000", ReadTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second,
			IdleTimeout: 5 * time.Second, ShutdownTimeout: 6 * time.Second,
			RateLimit: api.RateLimit{Requests: 30, Per: time.Second},
		}},
		{"no prefix", "", []string{"-addr=:0", "-rate-limit=-1"}, api.Config{
			Addr: ":0", ReadTimeout: api.DefaultReadTimeout, WriteTimeout: api.DefaultWriteTimeout,
			IdleTimeout: api.DefaultIdleTimeout, ShutdownTimeout: api.DefaultShutdownTimeout,
			RateLimit: api.RateLimit{Requests: -1, Per: time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg api.Config
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			cfg.RegisterFlags(tt.prefix, fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if cfg != tt.want {
				t.Errorf("config %+v, want %+v", cfg, tt.want)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	store := newMemStore()
	good := func() api.Deps {
		reg := prometheus.NewRegistry()
		return api.Deps{Read: store, Tokens: api.NewStaticTokens(""), Gatherer: reg}
	}
	tests := []struct {
		name    string
		cfg     api.Config
		edit    func(*api.Deps)
		wantMsg string
	}{
		{"bad config", api.Config{Addr: "nowhere"}, nil, `api config: invalid addr "nowhere": address nowhere: missing port in address`},
		{"no store", api.Config{}, func(d *api.Deps) { d.Read = nil }, "api: Deps.Read is required"},
		{"no tokens", api.Config{}, func(d *api.Deps) { d.Tokens = nil }, "api: Deps.Tokens is required"},
		{"no gatherer", api.Config{}, func(d *api.Deps) { d.Gatherer = nil }, "api: Deps.Gatherer is required (it is what /metrics serves)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := good()
			if tt.edit != nil {
				tt.edit(&deps)
			}
			s, err := api.New(tt.cfg, deps)
			if err == nil || err.Error() != tt.wantMsg {
				t.Errorf("New = %v, %v; want error %q", s, err, tt.wantMsg)
			}
		})
	}
	if _, err := api.New(api.Config{}, good()); err != nil {
		t.Errorf("New with the minimum deps: %v", err)
	}
}
