package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/api/evidence"
	"github.com/vigilhq/vigil/event"
	"github.com/vigilhq/vigil/store/leases"
	"github.com/vigilhq/vigil/store/sqlstore"
)

// packBenchResult is what `vigil bench pack --json` prints. Times are in
// seconds; each phase's figure is the median of the runs.
type packBenchResult struct {
	Posts       int       `json:"posts"`
	Accounts    int       `json:"accounts"`
	Store       string    `json:"store"`
	Runs        int       `json:"runs"`
	SeedSeconds float64   `json:"seed_seconds"`
	Gather      float64   `json:"gather_seconds"`
	Write       float64   `json:"write_seconds"`
	Record      float64   `json:"record_seconds"`
	Total       float64   `json:"total_seconds"`
	Totals      []float64 `json:"total_seconds_each"`
	PackBytes   int64     `json:"pack_bytes"`
	GOMAXPROCS  int       `json:"gomaxprocs"`
}

// cmdBenchPack runs `vigil bench pack`.
func cmdBenchPack(ctx context.Context, args []string, sio IO) error {
	fs := newFlagSet("bench pack", "Measure the export of an evidence pack as the API makes it: a store is seeded with\n"+
		"synthetic flagged posts (about 1 KB payloads, Burmese and English text), every flag\n"+
		"is claimed and confirmed through the review queue, then the pack is exported --runs\n"+
		"times: gathered from the store, written and signed, and recorded. It reports each\n"+
		"phase (the median of the runs) and the whole.",
		"  vigil bench pack --posts 10000                  # one account's pack, SQLite\n"+
			"  vigil bench pack --posts 10000 --accounts 50    # a case of 50 accounts", sio.Stderr)
	var (
		n        = fs.Int("posts", 10_000, "Posts in the pack.")
		accounts = fs.Int("accounts", 1, "Accounts the posts come from: 1 exports the account's pack, more a case holding them all.")
		runs     = fs.Int("runs", 3, "Exports to time.")
		postgres = fs.String("postgres", "", "A PostgreSQL connection string to seed and export from instead of a temporary SQLite store (its tables must be empty: use a database of its own).")
		asJSON   = fs.Bool("json", false, "Print the result as JSON.")
	)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > event.MaxEvidencePosts || *accounts < 1 || *accounts > *n || *runs < 1 {
		return fmt.Errorf("%w: want 1 <= --accounts <= --posts <= %d and --runs >= 1", errUsage, event.MaxEvidencePosts)
	}
	dir, err := os.MkdirTemp("", "vigil-bench-pack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sc := sqlstore.Config{Path: filepath.Join(dir, "vigil.db")}
	kind := "sqlite"
	if *postgres != "" {
		sc, kind = sqlstore.Config{Postgres: *postgres}, "postgres"
	}
	db, err := sqlstore.Open(ctx, sc)
	if err != nil {
		return err
	}
	defer db.Close()
	progress := progressWriter(sio.Stderr)

	start := time.Now()
	req, err := seedPackBench(ctx, db, *n, *accounts, progress)
	if err != nil {
		return err
	}
	res := packBenchResult{Posts: *n, Accounts: *accounts, Store: kind, Runs: *runs,
		SeedSeconds: time.Since(start).Seconds(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if _, err := evidence.Generate(filepath.Join(dir, "keys")); err != nil {
		return err
	}
	kr, err := evidence.OpenKeyring(filepath.Join(dir, "keys"))
	if err != nil {
		return err
	}
	signer, err := kr.Signer()
	if err != nil {
		return err
	}
	var gathers, writes, records, totals []float64
	for i := range *runs {
		t0 := time.Now()
		set, err := db.Evidence(ctx, req)
		if err != nil {
			return err
		}
		if len(set.Posts) != *n {
			return fmt.Errorf("the pack holds %d posts, want %d", len(set.Posts), *n)
		}
		t1 := time.Now()
		f, err := os.Create(filepath.Join(dir, "pack-"+strconv.Itoa(i)+".zip"))
		if err != nil {
			return err
		}
		m, err := evidence.Write(ctx, f, set, evidence.Options{Signer: signer, Version: version(), Commit: commit(),
			Notifier: evidence.Notifier{Name: "Benchmark", Email: "bench@example.org"}})
		if err == nil {
			res.PackBytes, err = f.Seek(0, io.SeekCurrent)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		t2 := time.Now()
		if err := db.RecordPack(ctx, event.PackRecord{ID: m.PackID, Subject: m.Subject, Profile: m.Profile,
			CreatedAt: m.CreatedAt, CreatedBy: "bench", KeyID: m.Signer.KeyID, ManifestSHA256: m.SHA256,
			Posts: m.Counts.Posts}); err != nil {
			return err
		}
		t3 := time.Now()
		gathers = append(gathers, t1.Sub(t0).Seconds())
		writes = append(writes, t2.Sub(t1).Seconds())
		records = append(records, t3.Sub(t2).Seconds())
		totals = append(totals, t3.Sub(t0).Seconds())
		if progress != nil {
			fmt.Fprintf(progress, "export %d: %.2fs\n", i+1, t3.Sub(t0).Seconds())
		}
	}
	res.Gather, res.Write, res.Record, res.Total = median(gathers), median(writes), median(records), median(totals)
	res.Totals = totals
	if *asJSON {
		return json.NewEncoder(sio.Stdout).Encode(res)
	}
	fmt.Fprintf(sio.Stdout, "pack of %d posts from %d accounts (%s, %.1f MB): %.2fs median of %d (gather %.2fs, write and sign %.2fs, record %.3fs); each %s\n",
		res.Posts, res.Accounts, kind, float64(res.PackBytes)/1e6, res.Total, res.Runs, res.Gather, res.Write, res.Record, secondsList(totals))
	return nil
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

func secondsList(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.2fs", x))
	}
	return strings.Join(parts, " ")
}

// seedPackBench writes n synthetic flagged posts from the given number of
// accounts, confirms every flag through the review queue, and returns the
// request of the pack: the account's, or a case of all of them.
func seedPackBench(ctx context.Context, db *sqlstore.Store, n, accounts int, progress io.Writer) (event.EvidenceRequest, error) {
	base := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	const batch = 500
	for first := 0; first < n; first += batch {
		var vs []event.Verdict
		for k := first; k < min(first+batch, n); k++ {
			vs = append(vs, packBenchVerdict(k, accounts, base))
		}
		if err := db.WriteVerdicts(ctx, vs); err != nil {
			return event.EvidenceRequest{}, err
		}
		if progress != nil {
			fmt.Fprintf(progress, "\rseeding: %d of %d posts", min(first+batch, n), n)
		}
	}
	// Every flag confirmed, as monitors would, in bulk.
	r := sqlstore.NewReview(db, leases.NewMemory(), time.Hour)
	defer r.Close()
	done := 0
	for done < n {
		c, err := r.Claim(ctx, "bench-monitor", event.MaxClaimLimit, event.QueueFilter{}, event.SortAge)
		if err != nil {
			return event.EvidenceRequest{}, err
		}
		if len(c.Flags) == 0 {
			return event.EvidenceRequest{}, fmt.Errorf("the queue ran dry after %d of %d flags", done, n)
		}
		var ds []event.DecisionRequest
		for _, f := range c.Flags {
			ds = append(ds, event.DecisionRequest{FlagID: f.ID, Decision: event.DecisionConfirm, Reviewer: "bench-monitor",
				Translation: "A synthetic translation of a synthetic post."})
		}
		results, err := r.DecideBulk(ctx, ds)
		if err != nil {
			return event.EvidenceRequest{}, err
		}
		for _, res := range results {
			if res.Err != nil {
				return event.EvidenceRequest{}, res.Err
			}
		}
		done += len(ds)
		if progress != nil {
			fmt.Fprintf(progress, "\rconfirming: %d of %d flags", done, n)
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if accounts == 1 {
		return event.EvidenceRequest{Account: &event.AccountRef{Platform: "x", ID: packBenchAuthor(0)}}, nil
	}
	c, err := db.CreateCase(ctx, event.NewCase{Title: "Benchmark network", CreatedBy: "bench"})
	if err != nil {
		return event.EvidenceRequest{}, err
	}
	var refs []event.AccountRef
	for a := range accounts {
		refs = append(refs, event.AccountRef{Platform: "x", ID: packBenchAuthor(a)})
	}
	for len(refs) > 0 {
		k := min(len(refs), event.MaxCaseBatch)
		if _, err := db.AddAccounts(ctx, c.ID, refs[:k], "bench"); err != nil {
			return event.EvidenceRequest{}, err
		}
		refs = refs[k:]
	}
	return event.EvidenceRequest{CaseID: c.ID}, nil
}

func packBenchAuthor(a int) string { return strconv.Itoa(4400000000 + a) }

// packBenchVerdict is synthetic post k: a Burmese or English sentence
// with two matched spans, and a payload shaped like an X v1.1 tweet of
// about 1 KB.
func packBenchVerdict(k, accounts int, base time.Time) event.Verdict {
	author := packBenchAuthor(k % accounts)
	id := strconv.Itoa(1999000000000000000 + k)
	text, spans := "Synthetic post "+strconv.Itoa(k)+": they are vermin, drive them out of the township.", [][2]int{}
	if k%2 == 1 {
		text = "ဒါက စမ်းသပ်စာ " + strconv.Itoa(k) + " ဖြစ်ပါတယ်။ သူတို့ကို မောင်းထုတ်ကြ။"
	}
	for _, w := range []string{"vermin", "drive them out", "စမ်းသပ်စာ", "မောင်းထုတ်"} {
		if i := strings.Index(text, w); i >= 0 {
			spans = append(spans, [2]int{i, i + len(w)})
		}
	}
	at := base.Add(time.Duration(k) * time.Second)
	raw, _ := json.Marshal(map[string]any{
		"created_at": at.Format(time.RubyDate), "id_str": id, "full_text": text, "lang": "en",
		"user":     map[string]any{"id_str": author, "screen_name": "bench_account_" + author, "name": "Benchmark account"},
		"entities": map[string]any{"hashtags": []any{}, "urls": []any{}, "user_mentions": []any{}},
		"metadata": map[string]any{"padding": strings.Repeat("x", 600)},
	})
	v := event.Verdict{
		Post: event.Post{Platform: "x", ID: id, Author: event.Author{ID: author, Handle: "bench_account_" + author},
			Text: text, CreatedAt: at, URL: "https://x.com/bench_account_" + author + "/status/" + id,
			CapturedAt: at.Add(time.Minute), Raw: raw, RawSHA256: event.SHA256Hex(raw)},
		Flagged: true, Score: 3 + float64(k%7), Categories: []string{"dehumanisation", "violence_call"},
		Lexicon: "bench@1", Pipeline: "vigil bench", ClassifiedAt: at.Add(2 * time.Minute),
	}
	for i, s := range spans {
		cat := "dehumanisation"
		if i == 1 {
			cat = "violence_call"
		}
		v.Matches = append(v.Matches, event.Match{TermID: "t" + strconv.Itoa(i+1), Category: cat, Start: s[0], End: s[1]})
	}
	return v
}
