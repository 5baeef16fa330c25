package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/vigilhq/vigil/event"
)

// cmdToken runs `vigil token create|list|revoke`: API tokens, kept in the
// store (only their hashes), for people who sign in to the API and the
// console.
func cmdToken(ctx context.Context, args []string, sio IO) error {
	return runSubcommand("token", args, sio, `"vigil token create", "list" or "revoke"`,
		"  vigil token create --role ROLE [--label TEXT] [--pseudonym P]   make a token; its secret is printed once\n"+
			"  vigil token list                                             every token, without secrets\n"+
			"  vigil token revoke ID                                        revoke a token\n"+
			"\nRun \"vigil token create --help\" for flags and an example.\n",
		subcommand{"create", func(args []string) error { return cmdTokenCreate(ctx, args, sio) }},
		subcommand{"list", func(args []string) error { return cmdTokenList(ctx, args, sio) }},
		subcommand{"revoke", func(args []string) error { return cmdTokenRevoke(ctx, args, sio) }})
}

func cmdTokenCreate(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("token create", "Make an API token for a person: the role decides what it may do (viewer reads;\n"+
		"monitor also reviews; advocate also exports evidence; admin does everything).\n"+
		"The secret is printed once, on standard output; the store keeps only its SHA-256.\n"+
		"Decisions, exports and the audit log show the token's pseudonym, never the label.\n"+
		"--pseudonym replaces a reviewer's token (the old one is revoked), keeping the name.",
		"  vigil token create --role monitor --label \"monitor, team A laptop\" --data-dir /var/lib/vigil\n"+
			"  vigil token create --role monitor --pseudonym reviewer-1a2b3c4d     # a replacement\n"+
			"  vigil token create --role admin --postgres \"$VIGIL_POSTGRES\" --json", sio.Stderr)
	f := newStoreFlags(fs)
	role := fs.String("role", "", "viewer, monitor, advocate or admin (required).")
	label := fs.String("label", "", "Who holds the token, for the admins; never exported.")
	pseudonym := fs.String("pseudonym", "", "An existing reviewer's pseudonym: replace that reviewer's token.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !event.ValidRole(*role) {
		return fmt.Errorf("%w: --role must be one of viewer, monitor, advocate, admin", errUsage)
	}
	s, err := f.open(ctx, fs, sio, true)
	if err != nil {
		return err
	}
	defer s.Close()
	tok, secret, err := s.CreateToken(ctx, event.NewToken{Role: *role, Label: *label, Pseudonym: *pseudonym, CreatedBy: "cli"})
	if err != nil {
		return err
	}
	if *f.asJSON {
		return json.NewEncoder(sio.Stdout).Encode(map[string]any{"token": tok, "secret": secret})
	}
	fmt.Fprintln(sio.Stdout, secret)
	fmt.Fprintf(sio.Stderr, "token %d: role %s, pseudonym %s. The secret above is shown once: hand it to its holder now.\n", tok.ID, tok.Role, tok.Pseudonym)
	return nil
}

func cmdTokenList(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("token list", "List the API tokens (never their secrets).", "  vigil token list --data-dir /var/lib/vigil", sio.Stderr)
	f := newStoreFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := f.open(ctx, fs, sio, true)
	if err != nil {
		return err
	}
	defer s.Close()
	toks, err := s.ListTokens(ctx)
	if err != nil {
		return err
	}
	if *f.asJSON {
		if toks == nil {
			toks = []event.Token{}
		}
		return json.NewEncoder(sio.Stdout).Encode(map[string]any{"tokens": toks})
	}
	w := tabwriter.NewWriter(sio.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROLE\tPSEUDONYM\tLABEL\tCREATED\tREVOKED")
	for _, t := range toks {
		revoked := "-"
		if !t.RevokedAt.IsZero() {
			revoked = t.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Pseudonym, t.Label, t.CreatedAt.UTC().Format(time.RFC3339), revoked)
	}
	return w.Flush()
}

func cmdTokenRevoke(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("token revoke", "Revoke an API token by its id (see vigil token list).", "  vigil token revoke 7 --data-dir /var/lib/vigil", sio.Stderr)
	f := newStoreFlags(fs)
	if len(args) == 0 {
		return fmt.Errorf("%w: want a token id", errUsage)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: token id %q: want a positive integer", errUsage, args[0])
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	s, err := f.open(ctx, fs, sio, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeToken(ctx, id, "cli"); err != nil {
		return err
	}
	fmt.Fprintf(sio.Stderr, "token %d revoked\n", id)
	return nil
}
