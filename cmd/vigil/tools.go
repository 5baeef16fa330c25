package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vigilhq/vigil/classify"
	"github.com/vigilhq/vigil/classify/accounts"
	"github.com/vigilhq/vigil/classify/brands"
	"github.com/vigilhq/vigil/classify/domains"
	"github.com/vigilhq/vigil/classify/gazetteer"
	"github.com/vigilhq/vigil/classify/lexicon"
	"github.com/vigilhq/vigil/classify/problem"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdClassify(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("classify", "Classify posts (JSON Lines on standard input) offline: one verdict per line on\n"+
		"standard output, in input order. Lines that are not valid posts are reported\n"+
		"on standard error with their line number, and the exit status is then 1.",
		"  vigil classify --lexicon examples/lexicon.yaml --accounts examples/accounts.csv \\\n"+
			"      --domains examples/domains.csv --brands examples/brands.csv \\\n"+
			"      --gazetteer examples/gazetteer.yaml < examples/posts.jsonl\n"+
			"  vigil classify --lexicon lexicon.yaml --all < posts.jsonl | jq 'select(.flagged)'", sio.Stderr)
	var lexs, accs, doms, brs, gazs stringList
	fs.Var(&lexs, "lexicon", "Lexicon file (YAML); repeatable, at least one.")
	fs.Var(&accs, "accounts", "Account-list file (CSV); repeatable.")
	fs.Var(&doms, "domains", "Domain-list file (CSV); repeatable. Links to a listed site match its category.")
	fs.Var(&brs, "brands", "Brand-list file (CSV: brand,owner,category,note,source); repeatable. A brand named in a post matches its category.")
	fs.Var(&gazs, "gazetteer", "Gazetteer file (YAML); repeatable. A place named in a post adds its region to \"regions\" (it never flags the post).")
	all := fs.Bool("all", false, "Print a verdict for unflagged posts too.")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(lexs) == 0 {
		return fmt.Errorf("%w: at least one --lexicon is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (posts are read from standard input)", errUsage, fs.Args())
	}
	c, err := loadClassifier(lexs, accs, doms, brs, gazs)
	if err != nil {
		return err
	}
	sum, err := classify.RunCLI(ctx, c, sio.Stdin, sio.Stdout, sio.Stderr, classify.CLIOptions{All: *all})
	if err != nil {
		return err
	}
	if sum.Invalid > 0 {
		return fmt.Errorf("%d of %d lines were not valid posts", sum.Invalid, sum.Read)
	}
	return nil
}

// loadClassifier builds a classifier from files on disk.
func loadClassifier(lexPaths, accPaths, domPaths, brandPaths, gazPaths []string) (*classify.Classifier, error) {
	var lexs []*lexicon.Lexicon
	for _, p := range lexPaths {
		l, err := lexicon.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			return nil, err
		}
		lexs = append(lexs, l)
	}
	var parts []*accounts.Lists
	for _, p := range accPaths {
		l, err := accounts.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			return nil, err
		}
		parts = append(parts, l)
	}
	lists, err := accounts.Merge(parts...)
	if err != nil {
		return nil, err
	}
	var domParts []*domains.Lists
	for _, p := range domPaths {
		l, err := domains.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			return nil, err
		}
		domParts = append(domParts, l)
	}
	doms, err := domains.Merge(domParts...)
	if err != nil {
		return nil, err
	}
	var brandParts []*brands.Lists
	for _, p := range brandPaths {
		l, err := brands.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			return nil, err
		}
		brandParts = append(brandParts, l)
	}
	brs, err := brands.Merge(brandParts...)
	if err != nil {
		return nil, err
	}
	gazs, err := loadGazetteers(gazPaths)
	if err != nil {
		return nil, err
	}
	return classify.New(lexs, lists, classify.Options{Pipeline: "vigil " + version(), Domains: doms, Brands: brs, Gazetteers: gazs})
}

// loadGazetteers loads gazetteer files from disk, reporting the problems
// of every file at once, each named as given.
func loadGazetteers(paths []string) ([]*gazetteer.Gazetteer, error) {
	var (
		out   []*gazetteer.Gazetteer
		probs problem.List
	)
	for _, p := range paths {
		g, err := gazetteer.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		var ps problem.List
		switch {
		case errors.As(err, &ps):
			for _, x := range ps {
				x.File = p
				probs = append(probs, x)
			}
		case err != nil:
			return nil, err
		default:
			g.File = p
			out = append(out, g)
		}
	}
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func cmdLexicon(_ context.Context, args []string, sio IO) error {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(sio.Stderr, "Usage: vigil lexicon check [--json] [--gazetteer FILE]... FILE...")
			return flag.ErrHelp
		}
		return fmt.Errorf("%w: want \"vigil lexicon check FILE...\"", errUsage)
	}
	fs := newFlagSet("lexicon check", "Validate lexicon files, and gazetteer files given with --gazetteer, and compile\n"+
		"them together as the classifier will; print every problem as FILE:LINE: message\n"+
		"and exit 1 when there is any. Warnings (two terms, or a term and a place name,\n"+
		"that normalise to the same string) are printed too, and do not fail.",
		"  vigil lexicon check examples/lexicon.yaml\n"+
			"  vigil lexicon check --gazetteer examples/gazetteer.yaml examples/lexicon.yaml", sio.Stderr)
	asJSON := fs.Bool("json", false, "Print the problems as a JSON array of {file, line, message, severity}.")
	var gazPaths stringList
	fs.Var(&gazPaths, "gazetteer", "Gazetteer file (YAML) to check with the lexicons; repeatable.")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 && len(gazPaths) == 0 {
		return fmt.Errorf("%w: no lexicon or gazetteer file given", errUsage)
	}
	type problem struct {
		File     string `json:"file"`
		Line     int    `json:"line"`
		Message  string `json:"message"`
		Severity string `json:"severity"` // "error" or "warning"
	}
	problems := []problem{}
	// fileProblems records what is wrong with file p: each problem with
	// its line, or the error itself when it is not about lines.
	fileProblems := func(p string, err error) {
		var ps lexicon.Problems
		if !errors.As(err, &ps) {
			problems = append(problems, problem{File: p, Message: err.Error(), Severity: "error"})
			return
		}
		for _, x := range ps {
			problems = append(problems, problem{File: p, Line: x.Line, Message: x.Msg, Severity: "error"})
		}
	}
	var lexs []*lexicon.Lexicon
	for _, p := range fs.Args() {
		l, err := lexicon.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			fileProblems(p, err)
			continue
		}
		l.File = p
		lexs = append(lexs, l)
	}
	var gazs []*gazetteer.Gazetteer
	for _, p := range gazPaths {
		g, err := gazetteer.Load(dirFS(filepath.Dir(p)), filepath.Base(p))
		if err != nil {
			fileProblems(p, err)
			continue
		}
		g.File = p
		gazs = append(gazs, g)
	}
	// The files that parse are compiled together, as the classifier will
	// use them: terms and place names are normalised, and conflicts between
	// files show.
	if len(problems) == 0 {
		c, err := classify.New(lexs, nil, classify.Options{Gazetteers: gazs})
		var ps lexicon.Problems
		switch {
		case errors.As(err, &ps):
			for _, x := range ps {
				problems = append(problems, problem{File: x.File, Line: x.Line, Message: x.Msg, Severity: "error"})
			}
		case err != nil:
			return err
		default:
			for _, x := range c.Warnings() {
				problems = append(problems, problem{File: x.File, Line: x.Line, Message: x.Msg, Severity: "warning"})
			}
		}
	}
	errs := 0
	for _, x := range problems {
		if x.Severity == "error" {
			errs++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(sio.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(problems)
	} else {
		for _, x := range problems {
			msg := x.Message
			if x.Severity == "warning" {
				msg = "warning: " + msg
			}
			if x.Line > 0 {
				fmt.Fprintf(sio.Stdout, "%s:%d: %s\n", x.File, x.Line, msg)
			} else {
				fmt.Fprintf(sio.Stdout, "%s: %s\n", x.File, msg)
			}
		}
	}
	if errs > 0 {
		return fmt.Errorf("%d problem(s) in %d file(s)", errs, fs.NArg()+len(gazPaths))
	}
	if !*asJSON {
		fmt.Fprintf(sio.Stderr, "%d lexicon file(s) and %d gazetteer file(s) OK, %d warning(s)\n", fs.NArg(), len(gazPaths), len(problems))
	}
	return nil
}

func cmdConfig(_ context.Context, args []string, sio IO) error {
	if len(args) == 0 || args[0] != "check" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(sio.Stderr, "Usage: vigil config check [--config FILE]")
			return flag.ErrHelp
		}
		return fmt.Errorf("%w: want \"vigil config check [--config FILE]\"", errUsage)
	}
	fs := newFlagSet("config check", "Validate a configuration file (and the lexicons, account, domain and brand\n"+
		"lists and gazetteers it names) without starting anything.", "  vigil config check --config deploy/vigil.yaml", sio.Stderr)
	path := fs.String("config", "", "Configuration file. Default: the embedded demo configuration.")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, sio.Getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	m := &Main{Config: cfg}
	if _, err := m.classifier(); err != nil {
		return err
	}
	fmt.Fprintf(sio.Stderr, "%s: OK (%d source(s), %d lexicon(s), %d account list(s), %d domain list(s), %d brand list(s), %d gazetteer(s))\n",
		cfg.file, len(cfg.Sources), len(cfg.Classify.Lexicons), len(cfg.Classify.Accounts), len(cfg.Classify.Domains), len(cfg.Classify.Brands), len(cfg.Classify.Gazetteer))
	return nil
}
