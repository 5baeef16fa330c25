package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// cmdAudit runs `vigil audit verify` and `vigil audit head`.
func cmdAudit(ctx context.Context, args []string, sio IO) error {
	return runSubcommand("audit", args, sio, `"vigil audit verify" or "vigil audit head"`,
		"  vigil audit verify [flags]   walk the audit log's hash chain; exit 1 at the first broken entry\n"+
			"  vigil audit head [flags]     print the last entry's seq and hash, to write down elsewhere\n"+
			"\nRun \"vigil audit verify --help\" or \"vigil audit head --help\" for flags and an example.\n",
		subcommand{"verify", func(args []string) error { return cmdAuditVerify(ctx, args, sio) }},
		subcommand{"head", func(args []string) error { return cmdAuditHead(ctx, args, sio) }})
}

func auditJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func cmdAuditVerify(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("audit verify", "Walk the audit log (who decided, exported, created or revoked what) in order and\n"+
		"check its hash chain: each entry's hash against its contents, each prev_hash\n"+
		"against the entry before, seq without gaps, and the last entry against the\n"+
		"head the store keeps. Exit 0 when it is intact; exit 1 at the first broken\n"+
		"entry, with why. With --anchor SEQ:HASH (a head printed by `vigil audit head`\n"+
		"or an evidence pack, kept elsewhere) it also checks that entry SEQ still has\n"+
		"that hash, which a rewrite of the whole log and its head cannot fake.",
		"  vigil audit verify --data-dir data\n"+
			"  vigil audit verify --sqlite /var/lib/vigil/vigil.db --anchor 1234:5f0c...e9\n"+
			"  vigil audit verify --postgres postgres://vigil@db/vigil --json", sio.Stderr)
	f := newStoreFlags(fs)
	anchorFlag := fs.String("anchor", "", "A head written down earlier, as SEQ:HASH: entry SEQ must still have this hash.")
	if err := parse(fs, args); err != nil {
		return err
	}
	var anchor *event.AuditHead
	if *anchorFlag != "" {
		a, err := parseAnchor(*anchorFlag)
		if err != nil {
			return fmt.Errorf("%w: --anchor: %v", errUsage, err)
		}
		anchor = &a
	}
	db, err := f.open(ctx, fs, sio, false)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Audit().Verify(ctx)
	if err != nil {
		return err
	}
	if res.OK && anchor != nil {
		checkAnchor(ctx, db, *anchor, &res)
	}

	if *f.asJSON {
		if err := auditJSON(sio.Stdout, res); err != nil {
			return err
		}
	}
	switch {
	case res.OK:
		if !*f.asJSON {
			fmt.Fprintf(sio.Stdout, "audit log intact: %d entries, head %s\n", res.Entries, res.Head.Hash)
			if anchor != nil {
				fmt.Fprintf(sio.Stdout, "anchor %d:%s found\n", anchor.Seq, anchor.Hash)
			}
		}
		return nil
	case res.BrokenAt == 0:
		if !*f.asJSON {
			fmt.Fprintf(sio.Stdout, "audit log broken: %s\n", res.Reason)
		}
		return fmt.Errorf("audit log broken: %s", res.Reason)
	default:
		if !*f.asJSON {
			fmt.Fprintf(sio.Stdout, "audit log broken at entry %d: %s\n", res.BrokenAt, res.Reason)
		}
		return fmt.Errorf("audit log broken at entry %d", res.BrokenAt)
	}
}

// parseAnchor reads SEQ:HASH.
func parseAnchor(s string) (event.AuditHead, error) {
	seqText, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	switch {
	case !ok || err != nil || seq < 0:
		return event.AuditHead{}, fmt.Errorf("%q: want SEQ:HASH, as `vigil audit head` prints", s)
	case len(hash) != 64 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "":
		return event.AuditHead{}, fmt.Errorf("%q: the hash must be 64 hex digits", s)
	}
	return event.AuditHead{Seq: seq, Hash: strings.ToLower(hash)}, nil
}

// checkAnchor marks res broken unless the intact log holds the anchor:
// entry a.Seq with hash a.Hash (seq 0 is the empty log, always held).
func checkAnchor(ctx context.Context, db *sqlstore.Store, a event.AuditHead, res *event.AuditVerifyResult) {
	fail := func(reason string) {
		res.OK, res.BrokenAt, res.Problem, res.Reason = false, a.Seq, event.AuditHeadMismatch, reason
	}
	switch {
	case a.Seq == 0:
		if a.Hash != event.AuditGenesisHash {
			fail("the anchor for entry 0 must be 64 zeros")
		}
		return
	case a.Seq > res.Head.Seq:
		fail(fmt.Sprintf("the anchor is entry %d but the log ends at entry %d (entries were deleted and the head moved back)", a.Seq, res.Head.Seq))
		return
	}
	es, err := db.Audit().List(ctx, a.Seq-1, 1)
	switch {
	case err != nil:
		fail(fmt.Sprintf("reading entry %d: %v", a.Seq, err))
	case len(es) != 1 || es[0].Seq != a.Seq:
		fail(fmt.Sprintf("entry %d, the anchor, is missing", a.Seq))
	case es[0].Hash != a.Hash:
		fail(fmt.Sprintf("hash does not match the anchor (%s): the log was rewritten from here or before", a.Hash))
	}
}

func cmdAuditHead(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("audit head", "Print the audit log's head: its last entry's seq and hash, as SEQ:HASH. Written\n"+
		"down outside the store (a ticket, an email, a printed page), it is an anchor:\n"+
		"`vigil audit verify --anchor SEQ:HASH` later shows whether the log still leads\n"+
		"to it. This reads the head only; `vigil audit verify` checks the chain.",
		"  vigil audit head --data-dir data\n"+
			"  vigil audit head --postgres postgres://vigil@db/vigil --json", sio.Stderr)
	f := newStoreFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, err := f.open(ctx, fs, sio, false)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := db.Audit().Head(ctx)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return auditJSON(sio.Stdout, h)
	}
	fmt.Fprintf(sio.Stdout, "%d:%s\n", h.Seq, h.Hash)
	return nil
}
