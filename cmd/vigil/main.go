// Command vigil is the Vigil binary: every role of the pipeline (ingest,
// classify, store, api) in one process by default, or one role at a time
// against real Kafka, plus the offline tools (classify, lexicon check,
// config check, bench).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// errUsage marks a usage error: exit status 2.
var errUsage = errors.New("usage error")

// Version is the Vigil version, set with -ldflags "-X main.Version=...".
var Version = "dev"

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return Version + "+" + s.Value[:12]
			}
		}
	}
	return Version
}

// IO is the process's standard streams and environment, so commands can be
// run in-process by tests.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, sio IO) error
}

func commands() []command {
	return []command{
		{"run", "run the pipeline (every role, embedded, by default)", cmdRun},
		{"classify", "classify posts from standard input, offline", cmdClassify},
		{"ingest", "poll every configured source once (--once), to Kafka or a file", cmdIngest},
		{"sources", "list the source types and their settings", cmdSources},
		{"replay", "replay the posts topic through new lexicons: what would change", cmdReplay},
		{"lexicon", "lexicon tools: check, reload (every running classify replica)", cmdLexiconTools},
		{"config", "configuration tools: check", cmdConfig},
		{"token", "API tokens: create (the secret shown once), list, revoke", cmdToken},
		{"audit", "audit log tools: verify (the hash chain), head (the anchor to keep)", cmdAudit},
		{"keys", "evidence signing keys: generate (rotate), list", cmdKeys},
		{"pack", "evidence packs: export (of an account or a case), verify", cmdPack},
		{"text", "text tools: to-unicode (Zawgyi to Unicode), normalize", cmdText},
		{"bench", "benchmarks: pipeline, pack", cmdBench},
		{"version", "print the version", func(_ context.Context, _ []string, sio IO) error {
			fmt.Fprintln(sio.Stdout, "vigil", version())
			return nil
		}},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `vigil watches public social media for incitement and dehumanising speech
and turns what it finds into evidence.

Usage: vigil COMMAND [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "vigil COMMAND --help" for a command's flags and an example.
Example:
  vigil run                      # the demo, embedded, on http://127.0.0.1:8080
`)
}

// execute runs the command line and returns the exit status.
func execute(ctx context.Context, args []string, sio IO) int {
	if sio.Getenv == nil {
		sio.Getenv = os.Getenv
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(sio.Stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], sio)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errUsage):
			fmt.Fprintln(sio.Stderr, "vigil "+c.name+":", err)
			return exitUsage
		default:
			fmt.Fprintln(sio.Stderr, "vigil "+c.name+":", err)
			return exitFail
		}
	}
	fmt.Fprintf(sio.Stderr, "vigil: unknown command %q\n\n", args[0])
	usage(sio.Stderr)
	return exitUsage
}

// newFlagSet returns a flag set whose --help prints the summary, the
// flags and an example, and whose errors are usage errors.
func newFlagSet(name, summary, example string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vigil "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: vigil %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
		fmt.Fprintf(w, "\nExample:\n%s\n", example)
	}
	return fs
}

// parse parses flags, turning a bad flag into errUsage.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// newLogger logs text on a terminal and JSON otherwise.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func main() { main2(os.Args[1:]) }

// main2 runs the command line in this process and exits with its status.
// SIGINT and SIGTERM stop it gracefully.
func main2(args []string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, args, IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// subcommand is one command of a group ("verify" of `vigil audit`).
type subcommand struct {
	name string
	run  func(args []string) error // args are those after the name
}

// runSubcommand runs the command of group (audit, token, ...) that args[0]
// names. Without one, the usage error says it wants missing; -h, --help
// and help print usage (the lines after "Usage:"); any other name is a
// usage error listing the commands.
func runSubcommand(group string, args []string, sio IO, missing, usage string, cmds ...subcommand) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: want %s", errUsage, missing)
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		if c.name == args[0] {
			return c.run(args[1:])
		}
		names[i] = c.name
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(sio.Stderr, "Usage:\n"+usage)
		return flag.ErrHelp
	}
	want := names[len(names)-1]
	if len(names) > 1 {
		want = strings.Join(names[:len(names)-1], ", ") + " or " + want
	}
	return fmt.Errorf("%w: unknown %s command %q: want %s", errUsage, group, args[0], want)
}
