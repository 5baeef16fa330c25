package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vigilhq/vigil/classify/reload/redisnotify"
)

// cmdLexiconTools is `vigil lexicon`: check (offline, cmdLexicon) and
// reload (a notice to every running classify replica).
func cmdLexiconTools(ctx context.Context, args []string, sio IO) error {
	return runSubcommand("lexicon", args, sio, `"vigil lexicon check [--gazetteer FILE] FILE..." or "vigil lexicon reload"`,
		"  vigil lexicon check [--json] [--gazetteer FILE]... FILE...\n"+
			"                                          validate lexicons (and gazetteers) and compile them together\n"+
			"  vigil lexicon reload [flags]            make every running classify replica reload its lexicons\n"+
			"\nRun \"vigil lexicon check --help\" or \"vigil lexicon reload --help\" for flags and an example.\n",
		// check parses its arguments with "check" in front, as `vigil lexicon check` always has.
		subcommand{"check", func([]string) error { return cmdLexicon(ctx, args, sio) }},
		subcommand{"reload", func(args []string) error { return cmdLexiconReload(ctx, args, sio) }})
}

// lexiconReloadTimeout bounds `vigil lexicon reload`, dialling included.
const lexiconReloadTimeout = 10 * time.Second

func cmdLexiconReload(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("lexicon reload", "Publish a reload notice on Redis: every classify replica subscribed to the\n"+
		"channel (vigil run with redis.addr set) rebuilds its classifier from its\n"+
		"lexicon, account-list, domain-list, brand-list and gazetteer files, and keeps the one in service\n"+
		"if they have a problem (see its log and vigil_classify_lexicon_reloads_total).\n"+
		"A replica also reloads by itself when its files change, and on SIGHUP.",
		"  VIGIL_REDIS_ADDR=redis:6379 vigil lexicon reload --reason \"lexicon 2026-11-26 deployed\"\n"+
			"  vigil lexicon reload --redis-addr 127.0.0.1:6379 --json", sio.Stderr)
	var (
		addr    = fs.String("redis-addr", "", "Redis address, host:port (env VIGIL_REDIS_ADDR).")
		channel = fs.String("channel", redisnotify.DefaultChannel, "Pub/sub channel the replicas listen on (their redis.reload_channel).")
		reason  = fs.String("reason", "vigil lexicon reload", "Why, for the replicas' logs.")
		asJSON  = fs.Bool("json", false, "Print {\"channel\",\"receivers\",\"notice\"} on standard output.")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *addr == "" {
		*addr = sio.Getenv("VIGIL_REDIS_ADDR")
	}
	if *addr == "" {
		return fmt.Errorf("%w: no Redis address: give --redis-addr or set VIGIL_REDIS_ADDR", errUsage)
	}
	if *channel == "" {
		return fmt.Errorf("%w: --channel is empty", errUsage)
	}
	ctx, cancel := context.WithTimeout(ctx, lexiconReloadTimeout)
	defer cancel()
	client := newRedisClient(*addr, newLogger(sio.Stderr, slog.LevelWarn))
	defer client.Close()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis at %s: %v (is it running? the address comes from --redis-addr or VIGIL_REDIS_ADDR)", *addr, err)
	}
	n := redisnotify.NewNotice(*reason)
	receivers, err := redisnotify.Publish(ctx, client, *channel, n)
	if err != nil {
		return fmt.Errorf("redis %s: %w", *addr, err)
	}
	if *asJSON {
		enc := json.NewEncoder(sio.Stdout)
		return enc.Encode(struct {
			Channel   string             `json:"channel"`
			Receivers int64              `json:"receivers"`
			Notice    redisnotify.Notice `json:"notice"`
		}{*channel, receivers, n})
	}
	fmt.Fprintf(sio.Stderr, "reload notice published on %s (redis %s): %d subscriber(s) received it\n", *channel, *addr, receivers)
	if receivers == 0 {
		fmt.Fprintf(sio.Stderr, "warning: no classify replica is subscribed to %s: none will reload (is redis.addr set in their config, with the same reload_channel?)\n", *channel)
	}
	return nil
}

// newRedisClient returns a client of the Redis server at addr. go-redis's
// own log lines (pool dial failures, which Vigil reports itself) go to log
// at debug level instead of to standard error.
func newRedisClient(addr string, log *slog.Logger) *redis.Client {
	redis.SetLogger(redisLogger{log})
	return redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 5 * time.Second, MaxRetries: 1})
}

// redisLogger passes go-redis's log lines to slog.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
