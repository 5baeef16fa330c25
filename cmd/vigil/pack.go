package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilhq/vigil/api"
	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/event"
)

// Evidence packs on the command line: vigil keys generate|list, vigil pack
// export|verify. export works on the store directly, like vigil audit;
// verify needs nothing but the pack (and, to check who signed it, the
// public keys that /api/v1/keys lists).

// cmdKeys runs `vigil keys generate` and `vigil keys list`.
func cmdKeys(ctx context.Context, args []string, sio IO) error {
	return runSubcommand("keys", args, sio, `"vigil keys generate" or "vigil keys list"`,
		"  vigil keys generate [flags]   make a new signing key, the active one from now on\n"+
			"  vigil keys list [flags]       list the signing keys, active and retired\n",
		subcommand{"generate", func(args []string) error { return cmdKeysGenerate(args, sio) }},
		subcommand{"list", func(args []string) error { return cmdKeysList(args, sio) }})
}

// keyFlags name the keyring: --keys-dir, else evidence.keys_dir, else
// DATA_DIR/keys.
type keyFlags struct {
	config, dataDir, keysDir *string
	asJSON                   *bool
}

func newKeyFlags(fs *flag.FlagSet) keyFlags {
	return keyFlags{
		config:  fs.String("config", "", "Configuration file (YAML), for data_dir and evidence.keys_dir."),
		dataDir: fs.String("data-dir", "", "Data directory; the keyring is DATA_DIR/keys unless evidence.keys_dir says otherwise (env VIGIL_DATA_DIR)."),
		keysDir: fs.String("keys-dir", "", "The keyring directory, over the configuration."),
		asJSON:  fs.Bool("json", false, "Print the result as JSON."),
	}
}

// parse parses args, which take no positional argument, and returns the
// keyring's directory.
func (f keyFlags) parse(fs *flag.FlagSet, args []string, sio IO) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return f.dir(sio)
}

func (f keyFlags) dir(sio IO) (string, error) {
	if *f.keysDir != "" {
		return *f.keysDir, nil
	}
	cfg, err := loadConfig(*f.config, sio.Getenv)
	if err != nil {
		return "", err
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	return cfg.keysDir(), nil
}

func cmdKeysGenerate(args []string, sio IO) error {
	fs := newFlagSet("keys generate", "Make a new Ed25519 signing key for evidence packs and make it the active one.\n"+
		"The keys it replaces stay in the keyring as retired: their public keys are still\n"+
		"listed (vigil keys list, GET /api/v1/keys), so packs they signed still verify.\n"+
		"The private key is written to KEYS_DIR/KEYID.key, readable by its owner only.\n"+
		"A running api picks the new key up when it restarts.",
		"  vigil keys generate --data-dir /var/lib/vigil", sio.Stderr)
	f := newKeyFlags(fs)
	dir, err := f.parse(fs, args, sio)
	if err != nil {
		return err
	}
	k, err := evidence.Generate(dir)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return auditJSON(sio.Stdout, k)
	}
	fmt.Fprintf(sio.Stdout, "generated signing key %s in %s: it signs every pack from now on\n", k.KeyID, dir)
	return nil
}

func cmdKeysList(args []string, sio IO) error {
	fs := newFlagSet("keys list", "List the signing keys of the keyring: the active one and those rotated out.",
		"  vigil keys list --data-dir /var/lib/vigil --json > keys.json   # for vigil pack verify --keys", sio.Stderr)
	f := newKeyFlags(fs)
	dir, err := f.parse(fs, args, sio)
	if err != nil {
		return err
	}
	kr, err := evidence.OpenKeyring(dir)
	if err != nil {
		return err
	}
	keys := kr.PublicKeys()
	if *f.asJSON {
		// The shape of GET /api/v1/keys, which pack verify --keys reads.
		return auditJSON(sio.Stdout, map[string]any{"keys": keys})
	}
	for _, k := range keys {
		fmt.Fprintf(sio.Stdout, "%s\t%s\t%s\t%s\n", k.KeyID, k.Status, k.CreatedAt.UTC().Format(time.RFC3339), k.PublicKey)
	}
	return nil
}

// packSettings reads the signing key and the pack settings for the api or
// vigil pack export: the key from VIGIL_SIGNING_KEY when set, else the
// keyring's active key. With generate, an empty keyring gets its first
// key (vigil run, so that the embedded demo exports packs at once).
// Without a key, Signer is nil and the api answers its export routes 503.
func packSettings(cfg *Config, generate bool) (api.PackSettings, []string, error) {
	var notes []string
	ps := api.PackSettings{
		Profile: cfg.Evidence.Profile,
		Notifier: evidence.Notifier{Name: cfg.Evidence.Notifier.Name, Email: cfg.Evidence.Notifier.Email,
			Organisation: cfg.Evidence.Notifier.Organisation},
		Commit: commit(),
	}
	if ps.Profile != "" {
		if _, err := evidence.Profile(ps.Profile); err != nil {
			return ps, nil, fmt.Errorf("%s: evidence.profile: %w", cfg.file, err)
		}
	}
	if cfg.Evidence.TSAURL != "" {
		ps.TSA = &evidence.TSAClient{URL: cfg.Evidence.TSAURL}
	}
	labels, err := categoryLabels(cfg)
	if err != nil {
		return ps, nil, err
	}
	ps.Labels = labels

	dir := cfg.keysDir()
	kr, err := evidence.OpenKeyring(dir)
	if err != nil {
		return ps, nil, err
	}
	pem := cfg.getenv("VIGIL_SIGNING_KEY")
	if len(kr.PublicKeys()) == 0 && pem == "" && generate {
		k, err := evidence.Generate(dir)
		if err != nil {
			return ps, nil, err
		}
		notes = append(notes, fmt.Sprintf("generated the first signing key %s in %s", k.KeyID, dir))
		if kr, err = evidence.OpenKeyring(dir); err != nil {
			return ps, nil, err
		}
	}
	ps.Keys = kr.PublicKeys()
	if pem != "" {
		s, err := evidence.SignerFromPEM([]byte(pem))
		if err != nil {
			return ps, nil, fmt.Errorf("VIGIL_SIGNING_KEY: %w", err)
		}
		ps.Signer = s
		if !containsKey(ps.Keys, s.KeyID()) {
			// Listed too, so that its packs verify against /api/v1/keys.
			ps.Keys = append(ps.Keys, evidence.KeyInfo{KeyID: s.KeyID(), Algorithm: "ed25519",
				PublicKey: base64.StdEncoding.EncodeToString(s.PublicKey()), Status: evidence.KeyActive})
		}
		return ps, notes, nil
	}
	s, err := kr.Signer()
	if err != nil {
		// No key yet: the api answers its export routes 503 until one
		// is made; everything else runs.
		notes = append(notes, err.Error())
		return ps, notes, nil
	}
	ps.Signer = s
	return ps, notes, nil
}

func containsKey(keys []evidence.KeyInfo, id string) bool {
	for _, k := range keys {
		if k.KeyID == id {
			return true
		}
	}
	return false
}

// categoryLabels maps the configured lexicons' category ids to their
// labels, for the report.
func categoryLabels(cfg *Config) (map[string]string, error) {
	labels := map[string]string{}
	for _, p := range cfg.Classify.Lexicons {
		l, err := lexicon.Load(cfg.fsys, p)
		if err != nil {
			return nil, err
		}
		for _, c := range l.Categories {
			if _, ok := labels[c.ID]; !ok && c.Label != "" {
				labels[c.ID] = c.Label
			}
		}
	}
	return labels, nil
}

// cmdPack runs `vigil pack export` and `vigil pack verify`.
func cmdPack(ctx context.Context, args []string, sio IO) error {
	return runSubcommand("pack", args, sio, `"vigil pack export" or "vigil pack verify"`,
		"  vigil pack export [flags]        write a signed evidence pack of an account or a case\n"+
			"  vigil pack verify FILE [flags]   check a pack's hashes and signature; exit 1 naming the first file that fails\n",
		subcommand{"export", func(args []string) error { return cmdPackExport(ctx, args, sio) }},
		subcommand{"verify", func(args []string) error { return cmdPackVerify(args, sio) }})
}

func cmdPackExport(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("pack export", "Write a signed evidence pack (a ZIP) of one account's reviewed posts, or of one case,\n"+
		"for a platform's trust-and-safety team: the posts exactly as captured, why each was\n"+
		"flagged, the review trail (pseudonyms only), a print-ready report.html, a DSA Article 16\n"+
		"notice, SHA256SUMS and an Ed25519-signed manifest. The pack is recorded in the store\n"+
		"and the audit log, as the API's export is. By default only confirmed and escalated\n"+
		"flags go in; a case's own flags go in whatever their status.",
		"  vigil pack export --data-dir /var/lib/vigil --account x/1790000000000000044 --profile x --out pack.zip\n"+
			"  vigil pack export --postgres \"$VIGIL_POSTGRES\" --case 7 --profile meta", sio.Stderr)
	sf := newStoreFlags(fs)
	account := fs.String("account", "", "The account: PLATFORM/ID (the platform's account id, not the handle).")
	caseID := fs.Int64("case", 0, "The case's id (instead of --account).")
	profile := fs.String("profile", "", "Platform profile: meta, x, youtube, tiktok or telegram. Default evidence.profile, else the posts' platform.")
	statuses := fs.String("status", "", "Review statuses taken in, comma-separated. Default confirmed,escalated.")
	limit := fs.Int("limit", 0, fmt.Sprintf("Most posts (newest flags first). Default and most %d.", event.MaxEvidencePosts))
	out := fs.String("out", "", "The pack file. Default vigil-pack-SUBJECT-ID.zip in the current directory.")
	as := fs.String("as", "cli", "The pseudonym the export is recorded under in the audit log (never a real name).")
	if err := parse(fs, args); err != nil {
		return err
	}
	var req event.EvidenceRequest
	switch {
	case (*account == "") == (*caseID == 0):
		return fmt.Errorf("%w: give --account PLATFORM/ID or --case ID", errUsage)
	case *account != "":
		platform, id, ok := strings.Cut(*account, "/")
		if !ok || platform == "" || id == "" {
			return fmt.Errorf("%w: --account %q: want PLATFORM/ID", errUsage, *account)
		}
		req.Account = &event.AccountRef{Platform: platform, ID: id}
	default:
		req.CaseID = *caseID
	}
	if *statuses != "" {
		req.Statuses = strings.Split(*statuses, ",")
	}
	if *limit < 0 || *limit > event.MaxEvidencePosts {
		return fmt.Errorf("%w: --limit %d: want 0 to %d", errUsage, *limit, event.MaxEvidencePosts)
	}
	req.Limit = *limit
	if *profile != "" {
		if _, err := evidence.Profile(*profile); err != nil {
			return fmt.Errorf("%w: --profile: %v", errUsage, err)
		}
	}
	if err := checkActor(*as); err != nil {
		return fmt.Errorf("%w: --as: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg, err := sf.load(sio)
	if err != nil {
		return err
	}
	ps, _, err := packSettings(cfg, false)
	if err != nil {
		return err
	}
	if ps.Signer == nil {
		return fmt.Errorf("no signing key in %s and VIGIL_SIGNING_KEY is not set: run `vigil keys generate` first", cfg.keysDir())
	}
	if *profile == "" {
		*profile = ps.Profile
	}
	db, err := openConfigStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()

	start := time.Now()
	set, err := db.Evidence(ctx, req)
	if err != nil {
		return err
	}
	progress := progressWriter(sio.Stderr)
	// Written beside its final name, then renamed: a pack cut short
	// never stands under a pack's name.
	dir := "."
	if *out != "" {
		dir = filepath.Dir(*out)
	}
	tmp, err := os.CreateTemp(dir, ".vigil-pack-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	opts := evidence.Options{Profile: *profile, Signer: ps.Signer, Version: version(), Commit: ps.Commit,
		Notifier: ps.Notifier, Labels: ps.Labels, TSA: ps.TSA}
	if progress != nil {
		opts.Progress = func(done, total int) {
			if done == total || done%500 == 0 {
				fmt.Fprintf(progress, "\rwriting the pack: %d of %d files", done, total)
			}
			if done == total {
				fmt.Fprintln(progress)
			}
		}
	}
	m, err := evidence.Write(ctx, tmp, set, opts)
	if err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := db.RecordPack(context.WithoutCancel(ctx), event.PackRecord{ID: m.PackID, Subject: m.Subject,
		Profile: m.Profile, CreatedAt: m.CreatedAt, CreatedBy: *as, KeyID: m.Signer.KeyID,
		ManifestSHA256: m.SHA256, Posts: m.Counts.Posts}); err != nil {
		return fmt.Errorf("record the pack: %w", err)
	}
	path := *out
	if path == "" {
		path = "vigil-pack-" + safeName(m.Subject) + "-" + m.PackID + ".zip"
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	res := packExportResult{File: path, PackID: m.PackID, Subject: m.Subject, Profile: m.Profile,
		Posts: m.Counts.Posts, Accounts: m.Counts.Accounts, Truncated: m.Truncated, KeyID: m.Signer.KeyID,
		ManifestSHA256: m.SHA256, Seconds: time.Since(start).Seconds()}
	if *sf.asJSON {
		return auditJSON(sio.Stdout, res)
	}
	more := ""
	if m.Truncated {
		more = fmt.Sprintf(" (truncated: more matched; raise --limit up to %d)", event.MaxEvidencePosts)
	}
	fmt.Fprintf(sio.Stdout, "wrote %s: pack %s of %s for %s, %d posts from %d accounts%s, signed by %s, manifest sha256 %s, in %.1fs\n",
		path, m.PackID, m.Subject, m.Profile, m.Counts.Posts, m.Counts.Accounts, more, m.Signer.KeyID, m.SHA256, res.Seconds)
	return nil
}

type packExportResult struct {
	File           string  `json:"file"`
	PackID         string  `json:"pack_id"`
	Subject        string  `json:"subject"`
	Profile        string  `json:"profile"`
	Posts          int     `json:"posts"`
	Accounts       int     `json:"accounts"`
	Truncated      bool    `json:"truncated"`
	KeyID          string  `json:"key_id"`
	ManifestSHA256 string  `json:"manifest_sha256"`
	Seconds        float64 `json:"seconds"`
}

// checkActor checks a pseudonym as the audit log will.
func checkActor(as string) error {
	return (&event.AuditEntry{Actor: as, Action: event.AuditExport}).Validate()
}

// safeName keeps letters, digits, '-' and '_' of s, '-' for the rest.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}

func cmdPackVerify(args []string, sio IO) error {
	fs := newFlagSet("pack verify FILE", "Check an evidence pack offline: the Ed25519 signature of its manifest, then every\n"+
		"file's SHA-256 against the manifest and SHA256SUMS, and (with --keys or --keys-dir) that\n"+
		"the key that signed it is one of yours, active or retired. Exit 0 only for an intact pack;\n"+
		"otherwise exit 1 and name the first file that is not as it was written.",
		"  vigil pack verify vigil-pack-account-x-44-0f3c.zip\n"+
			"  curl -s https://vigil.example.org/api/v1/keys > keys.json && vigil pack verify --keys keys.json pack.zip", sio.Stderr)
	keysFile := fs.String("keys", "", "Trusted public keys: a JSON file as GET /api/v1/keys or `vigil keys list --json` writes it.")
	keysDir := fs.String("keys-dir", "", "Trusted public keys: a keyring directory (vigil keys generate).")
	asJSON := fs.Bool("json", false, "Print the result as JSON.")
	file, err := parseWithOne(fs, args, "FILE")
	if err != nil {
		return err
	}
	var trusted []evidence.KeyInfo
	if *keysFile != "" {
		b, err := os.ReadFile(*keysFile)
		if err != nil {
			return err
		}
		var doc struct {
			Keys []evidence.KeyInfo `json:"keys"`
		}
		if err := json.Unmarshal(b, &doc); err != nil || len(doc.Keys) == 0 {
			return fmt.Errorf("%w: --keys %s: want {\"keys\": [...]} as GET /api/v1/keys serves it (%v)", errUsage, *keysFile, err)
		}
		trusted = append(trusted, doc.Keys...)
	}
	if *keysDir != "" {
		kr, err := evidence.OpenKeyring(*keysDir)
		if err != nil {
			return err
		}
		trusted = append(trusted, kr.PublicKeys()...)
	}
	res, err := evidence.VerifyFile(file, trusted)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := auditJSON(sio.Stdout, res); err != nil {
			return err
		}
	} else if res.OK {
		who := "its own key " + res.KeyID + " (give --keys to check the key is yours)"
		if len(trusted) > 0 {
			who = "trusted key " + res.KeyID
		}
		ts := ""
		if !res.Timestamp.IsZero() {
			ts = ", timestamped " + res.Timestamp.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(sio.Stdout, "OK %s: pack %s, %d files intact, signed by %s%s\n", file, res.PackID, res.Files, who, ts)
	} else {
		fmt.Fprintf(sio.Stdout, "FAILED %s: %s\n", file, res.Failure)
	}
	if !res.OK {
		return fmt.Errorf("%s is not intact: %s", file, res.Failure)
	}
	return nil
}

// parseWithOne parses flags given before or after one positional
// argument (named what, for messages) and returns it.
func parseWithOne(fs *flag.FlagSet, args []string, what string) (string, error) {
	if err := parse(fs, args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return "", fmt.Errorf("%w: want %s", errUsage, what)
	}
	arg := rest[0]
	if err := parse(fs, rest[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%w: one %s, not %d: %q", errUsage, what, fs.NArg()+1, append([]string{arg}, fs.Args()...))
	}
	return arg, nil
}

// commit is the VCS revision the binary was built from, "" if unknown.
func commit() string {
	v := version()
	if _, c, ok := strings.Cut(v, "+"); ok {
		return c
	}
	return ""
}
