package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Format is the manifest's format string; a verifier refuses any other.
const Format = "vigil-evidence-pack/1"

// Names of the files every pack holds besides the raw payloads.
const (
	filePostsJSONL  = "posts.jsonl"
	filePostsCSV    = "posts.csv"
	fileReview      = "review.jsonl"
	fileAccounts    = "accounts.json"
	fileReport      = "report.html"
	fileNotice      = "notice.txt"
	fileManifest    = "manifest.json"
	fileSignature   = "manifest.json.sig"
	fileTimestamp   = "manifest.json.tsr"
	fileChecksums   = "SHA256SUMS"
	rawDir          = "raw/"
	maxSafeIDLength = 64
)

// Notifier is who sends the notice: the individual or organisation a
// platform answers (DSA Article 16(2)(c) asks for a name and an email
// address).
type Notifier struct {
	Name         string `json:"name"`
	Email        string `json:"email"`
	Organisation string `json:"organisation,omitempty"`
}

// Options say how a pack is written. Signer is required.
type Options struct {
	// PackID names the pack; default a random 128-bit hex id. At most 64
	// bytes of [A-Za-z0-9_-].
	PackID string
	// CreatedAt is the pack's time, also the modification time of every
	// entry, so that the same inputs give the same bytes; default now,
	// to the second.
	CreatedAt time.Time
	// Profile is the id of the platform profile; "" picks the profile that
	// covers the platform of every post.
	Profile string
	Signer  *Signer
	// Version and Commit are the Vigil build that wrote the pack.
	Version string
	Commit  string
	// Notifier is named in the notice.
	Notifier Notifier
	// Labels maps category ids to the labels of the lexicon that defined
	// them ("Dehumanising language"); a category without one is shown by
	// its id.
	Labels map[string]string
	// TSA, when set, timestamps manifest.json (RFC 3161); a TSA that
	// fails fails the pack.
	TSA *TSAClient
	// Progress, when set, is called after each file written, with the
	// files done and the files in all.
	Progress func(done, total int)
}

// Manifest describes a pack: manifest.json.
type Manifest struct {
	Format       string        `json:"format"`
	PackID       string        `json:"pack_id"`
	CreatedAt    time.Time     `json:"created_at"`
	VigilVersion string        `json:"vigil_version"`
	VigilCommit  string        `json:"vigil_commit"`
	Subject      string        `json:"subject"`
	Profile      string        `json:"profile"`
	Case         *ManifestCase `json:"case,omitempty"`
	// Lexicons are the distinct lexicon versions and hashes that judged
	// the posts.
	Lexicons  []LexiconRef `json:"lexicons"`
	Counts    Counts       `json:"counts"`
	Truncated bool         `json:"truncated"`
	// Files lists every content file (not the manifest, its signature and
	// timestamp, nor SHA256SUMS), sorted by path.
	Files     []FileEntry   `json:"files"`
	Signer    SignerRef     `json:"signer"`
	Timestamp *TimestampRef `json:"timestamp,omitempty"`

	// SHA256 is the lowercase hex SHA-256 of manifest.json as written
	// (what the store records); it is not part of the file.
	SHA256 string `json:"-"`
}

// ManifestCase names the case a pack is about.
type ManifestCase struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// LexiconRef is one lexicon version ("name@version", joined by commas
// when several judged a post) with the hash of the data it was compiled
// from.
type LexiconRef struct {
	Lexicon     string `json:"lexicon"`
	LexiconHash string `json:"lexicon_hash"`
}

// Counts says how much a pack holds.
type Counts struct {
	Posts     int `json:"posts"`
	Accounts  int `json:"accounts"`
	Decisions int `json:"decisions"`
}

// FileEntry is one file of a pack with its lowercase hex SHA-256 and size.
type FileEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// SignerRef names the key that signed the manifest.
type SignerRef struct {
	KeyID     string `json:"key_id"`
	Algorithm string `json:"algorithm"`
	// PublicKey is the Ed25519 public key in standard base64.
	PublicKey string `json:"public_key"`
}

// TimestampRef says where the manifest's RFC 3161 timestamp came from and
// which file holds it.
type TimestampRef struct {
	TSAURL string `json:"tsa_url"`
	File   string `json:"file"`
}

// Write writes set as a signed evidence pack (a ZIP) to w and returns its
// manifest. Every post's raw payload is checked against the SHA-256
// recorded at capture before anything is written: a mismatch is
// ECONFLICT naming the post, because it means the stored copy changed.
// On any other error w holds part of a pack, to be discarded. ctx bounds
// the call to the TSA.
func Write(ctx context.Context, w io.Writer, set *event.EvidenceSet, o Options) (*Manifest, error) {
	if set == nil {
		return nil, event.Errorf(event.EINVALID, "evidence pack: no evidence set")
	}
	if o.Signer == nil {
		return nil, event.Errorf(event.EINVALID, "evidence pack: no signing key")
	}
	prof, err := profileFor(o.Profile, set)
	if err != nil {
		return nil, err
	}
	if o.PackID == "" {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		o.PackID = hex.EncodeToString(b[:])
	} else if !validPackID(o.PackID) {
		return nil, event.Errorf(event.EINVALID, "evidence pack: pack id %q: at most 64 bytes of A-Z, a-z, 0-9, '_' and '-'", o.PackID)
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = time.Now()
	}
	o.CreatedAt = o.CreatedAt.UTC().Truncate(time.Second)
	for i := range set.Posts {
		ep := &set.Posts[i]
		if got := event.SHA256Hex(ep.Post.Raw); got != ep.RawSHA256 {
			return nil, event.Errorf(event.ECONFLICT, "evidence pack: post %s: its raw payload hashes to %s, not %s as recorded at capture: the stored copy changed", ep.Post.Ref(), got, ep.RawSHA256)
		}
	}

	pw := newPackWriter(w, o.CreatedAt, o.Progress)
	pw.total = 6 + len(set.Posts) + 3 // content, raw, manifest, signature, SHA256SUMS
	if o.TSA != nil {
		pw.total++
	}
	rawNames := make([]string, len(set.Posts))
	for i := range set.Posts {
		rawNames[i] = rawName(i, &set.Posts[i].Post)
	}
	ro := ReportOptions{Profile: prof.ID, PackID: o.PackID, CreatedAt: o.CreatedAt, Notifier: o.Notifier, KeyID: o.Signer.KeyID(), Labels: o.Labels}
	// The notice is both notice.txt and a section of report.html.
	notice := noticeBlocks(set, prof, o.PackID, o.Notifier, o.Labels)
	// The report is the slowest file to make: it is rendered on another
	// core while the others are written, and written after them.
	reportDone := make(chan error, 1)
	var report bytes.Buffer
	report.Grow(4<<10*len(set.Posts) + 64<<10)
	go func() { reportDone <- renderReport(&report, set, prof, ro, notice) }()
	steps := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{filePostsJSONL, func(w io.Writer) error { return writePostsJSONL(w, set, rawNames) }},
		{filePostsCSV, func(w io.Writer) error { return writePostsCSV(w, set, prof) }},
		{fileReview, func(w io.Writer) error { return writeReview(w, set) }},
		{fileAccounts, func(w io.Writer) error { return writeAccounts(w, set) }},
	}
	for _, s := range steps {
		if err := pw.file(s.name, s.fn); err != nil {
			return nil, err
		}
	}
	if err := pw.file(fileNotice, func(w io.Writer) error {
		for _, b := range notice {
			if _, err := io.WriteString(w, b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for i := range set.Posts {
		if err := pw.bytes(rawNames[i], set.Posts[i].Post.Raw); err != nil {
			return nil, err
		}
	}
	if err := <-reportDone; err != nil {
		return nil, fmt.Errorf("evidence pack: %s: %w", fileReport, err)
	}
	if err := pw.bytes(fileReport, report.Bytes()); err != nil {
		return nil, err
	}

	m := &Manifest{
		Format: Format, PackID: o.PackID, CreatedAt: o.CreatedAt,
		VigilVersion: o.Version, VigilCommit: o.Commit,
		Subject: set.Subject, Profile: prof.ID,
		Lexicons:  lexicons(set),
		Counts:    Counts{Posts: len(set.Posts), Accounts: len(set.Accounts)},
		Truncated: set.Truncated,
		Files:     append([]FileEntry(nil), pw.entries...),
		Signer: SignerRef{KeyID: o.Signer.KeyID(), Algorithm: Algorithm,
			PublicKey: base64.StdEncoding.EncodeToString(o.Signer.PublicKey())},
	}
	if set.Case != nil {
		m.Case = &ManifestCase{ID: set.Case.ID, Title: set.Case.Title}
	}
	for i := range set.Posts {
		m.Counts.Decisions += len(set.Posts[i].Trail)
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	if o.TSA != nil {
		m.Timestamp = &TimestampRef{TSAURL: o.TSA.URL, File: fileTimestamp}
	}
	mb, err := marshalJSON(m, true)
	if err != nil {
		return nil, err
	}
	m.SHA256 = event.SHA256Hex(mb)
	if err := pw.bytes(fileManifest, mb); err != nil {
		return nil, err
	}
	sig := base64.StdEncoding.EncodeToString(o.Signer.Sign(mb)) + "\n"
	if err := pw.bytes(fileSignature, []byte(sig)); err != nil {
		return nil, err
	}
	if o.TSA != nil {
		digest := sha256.Sum256(mb)
		tsr, err := o.TSA.Timestamp(ctx, digest[:])
		if err != nil {
			return nil, fmt.Errorf("evidence pack: timestamp: %w", err)
		}
		if err := pw.bytes(fileTimestamp, tsr); err != nil {
			return nil, err
		}
	}
	sums := append([]FileEntry(nil), pw.entries...)
	sort.Slice(sums, func(i, j int) bool { return sums[i].Path < sums[j].Path })
	if err := pw.file(fileChecksums, func(w io.Writer) error {
		for _, e := range sums {
			if _, err := fmt.Fprintf(w, "%s  %s\n", e.SHA256, e.Path); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if err := pw.zw.Close(); err != nil {
		return nil, err
	}
	return m, nil
}

func validPackID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// packWriter writes ZIP entries in order, recording each one's SHA-256
// and size as it goes.
type packWriter struct {
	zw          *zip.Writer
	modified    time.Time
	entries     []FileEntry
	done, total int
	progress    func(done, total int)
	bw          *bufio.Writer
	cw          countingWriter
}

func newPackWriter(w io.Writer, modified time.Time, progress func(done, total int)) *packWriter {
	zw := zip.NewWriter(w)
	// Level 1: a pack is mostly thousands of small raw files, and the
	// default level spends most of the export resetting its large match
	// tables for each of them, for a pack a few per cent smaller.
	var pool sync.Pool
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		if fw, ok := pool.Get().(*flate.Writer); ok {
			fw.Reset(out)
			return &pooledFlate{fw, &pool}, nil
		}
		fw, err := flate.NewWriter(out, flate.BestSpeed)
		return &pooledFlate{fw, &pool}, err
	})
	p := &packWriter{zw: zw, modified: modified, progress: progress, cw: countingWriter{h: sha256.New()}}
	p.bw = bufio.NewWriterSize(&p.cw, 64<<10)
	return p
}

type pooledFlate struct {
	*flate.Writer
	pool *sync.Pool
}

func (f *pooledFlate) Close() error {
	err := f.Writer.Close()
	f.pool.Put(f.Writer)
	return err
}

// file writes one entry with fn.
func (p *packWriter) file(name string, fn func(io.Writer) error) error {
	if err := p.start(name); err != nil {
		return err
	}
	p.bw.Reset(&p.cw)
	if err := fn(p.bw); err != nil {
		return fmt.Errorf("evidence pack: %s: %w", name, err)
	}
	if err := p.bw.Flush(); err != nil {
		return err
	}
	p.end(name)
	return nil
}

// bytes writes one entry holding b.
func (p *packWriter) bytes(name string, b []byte) error {
	if err := p.start(name); err != nil {
		return err
	}
	if _, err := p.cw.Write(b); err != nil {
		return err
	}
	p.end(name)
	return nil
}

func (p *packWriter) start(name string) error {
	ew, err := p.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.modified})
	if err != nil {
		return err
	}
	p.cw.w, p.cw.n = ew, 0
	p.cw.h.Reset()
	return nil
}

func (p *packWriter) end(name string) {
	p.entries = append(p.entries, FileEntry{Path: name, SHA256: hex.EncodeToString(p.cw.h.Sum(nil)), Bytes: p.cw.n})
	p.done++
	if p.progress != nil {
		p.progress(p.done, p.total)
	}
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.h.Write(b)
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// marshalJSON encodes v without HTML escaping (a post's "<" stays "<"),
// indented when asked, ending in a newline.
func marshalJSON(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// rawName is the path of the i-th post's raw payload: raw/NNNNN-ID.EXT,
// NNNNN its line in posts.jsonl (from 1) and ID its id with anything but
// [A-Za-z0-9._-] replaced by '_', at most 64 bytes.
func rawName(i int, p *event.Post) string {
	return fmt.Sprintf("%s%05d-%s.%s", rawDir, i+1, safeID(p.ID), rawExt(p.Raw))
}

func safeID(id string) string {
	b := make([]byte, 0, len(id))
	for i := 0; i < len(id) && len(b) < maxSafeIDLength; i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' {
			b = append(b, c)
		} else {
			b = append(b, '_')
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// rawExt guesses the payload's format from its first bytes, so that the
// file opens in the right program; the bytes are never changed.
func rawExt(raw []byte) string {
	t := bytes.TrimLeft(raw, " \t\r\n\ufeff")
	switch {
	case len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(raw):
		return "json"
	case len(t) > 0 && t[0] == '<':
		head := strings.ToLower(string(t[:min(len(t), 512)]))
		if strings.HasPrefix(head, "<?xml") && !strings.Contains(head, "<html") {
			return "xml"
		}
		if strings.Contains(head, "<html") || strings.HasPrefix(head, "<!doctype html") {
			return "html"
		}
		return "xml"
	default:
		return "bin"
	}
}

func lexicons(set *event.EvidenceSet) []LexiconRef {
	seen := map[LexiconRef]bool{}
	out := []LexiconRef{}
	for i := range set.Posts {
		ep := &set.Posts[i]
		r := LexiconRef{Lexicon: ep.Flag.Lexicon, LexiconHash: ep.LexiconHash}
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lexicon != out[j].Lexicon {
			return out[i].Lexicon < out[j].Lexicon
		}
		return out[i].LexiconHash < out[j].LexiconHash
	})
	return out
}

// postLine is one line of posts.jsonl.
type postLine struct {
	Platform    string        `json:"platform"`
	ID          string        `json:"id"`
	URL         string        `json:"url"`
	Author      event.Author  `json:"author"`
	CreatedAt   time.Time     `json:"created_at,omitzero"`
	CapturedAt  time.Time     `json:"captured_at,omitzero"`
	StoredAt    time.Time     `json:"stored_at"`
	Lang        string        `json:"lang"`
	Text        string        `json:"text"`
	Links       []string      `json:"links"`
	Source      string        `json:"source"`
	RawSHA256   string        `json:"raw_sha256"`
	RawFile     string        `json:"raw_file"`
	Lexicon     string        `json:"lexicon"`
	LexiconHash string        `json:"lexicon_hash"`
	Pipeline    string        `json:"pipeline"`
	Flag        flagLine      `json:"flag"`
	Decision    *decisionLine `json:"decision"`
}

type flagLine struct {
	ID         int64    `json:"id"`
	Status     string   `json:"status"`
	Score      float64  `json:"score"`
	Categories []string `json:"categories"`
	Tags       []string `json:"tags"`
	// Groups, Regions and Places are the target groups, gazetteer
	// regions and places the post names.
	Groups  []string        `json:"groups"`
	Regions []string        `json:"regions"`
	Places  []string        `json:"places"`
	Matches []event.Match   `json:"matches"`
	Lists   []event.ListHit `json:"lists"`
}

// decisionLine is the latest decision without its note: a note is for the
// team, never for the platform.
type decisionLine struct {
	Decision    string    `json:"decision"`
	Reviewer    string    `json:"reviewer"`
	DecidedAt   time.Time `json:"decided_at"`
	Translation string    `json:"translation"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writePostsJSONL(w io.Writer, set *event.EvidenceSet, rawNames []string) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range set.Posts {
		ep := &set.Posts[i]
		p := &ep.Post
		l := postLine{
			Platform: p.Platform, ID: p.ID, URL: p.URL, Author: p.Author,
			CreatedAt: p.CreatedAt.UTC(), CapturedAt: p.CapturedAt.UTC(), StoredAt: ep.StoredAt.UTC(),
			Lang: p.Lang, Text: p.Text, Links: nonNil(p.Links), Source: p.Source,
			RawSHA256: ep.RawSHA256, RawFile: rawNames[i],
			Lexicon: ep.Flag.Lexicon, LexiconHash: ep.LexiconHash, Pipeline: ep.Flag.Pipeline,
			Flag: flagLine{
				ID: ep.Flag.ID, Status: ep.Flag.Status, Score: ep.Flag.Score,
				Categories: nonNil(ep.Flag.Categories), Tags: nonNil(ep.Flag.Tags),
				Groups: nonNil(ep.Flag.Groups), Regions: nonNil(ep.Flag.Regions), Places: nonNil(ep.Flag.Places),
				Matches: nonNil(ep.Flag.Matches), Lists: nonNil(ep.Flag.Lists),
			},
		}
		if d := ep.Flag.Decision; d != nil {
			l.Decision = &decisionLine{Decision: d.Decision, Reviewer: d.Reviewer, DecidedAt: d.DecidedAt.UTC(), Translation: d.Translation}
		}
		if err := enc.Encode(&l); err != nil {
			return err
		}
	}
	return nil
}

// reviewLine is one line of review.jsonl.
type reviewLine struct {
	Platform string `json:"platform"`
	PostID   string `json:"post_id"`
	event.ReviewStep
}

func writeReview(w io.Writer, set *event.EvidenceSet) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range set.Posts {
		ep := &set.Posts[i]
		for _, s := range ep.Trail {
			s.DecidedAt = s.DecidedAt.UTC()
			if err := enc.Encode(reviewLine{Platform: ep.Post.Platform, PostID: ep.Post.ID, ReviewStep: s}); err != nil {
				return err
			}
		}
	}
	return nil
}

// packAccount is an account as accounts.json shows it: the account view
// without the cases that hold it, whose titles are the team's own work
// and may name other investigations.
type packAccount struct {
	event.Account
	HandleHistory     []event.HandleSeen `json:"handle_history"`
	FlagsByStatus     map[string]int     `json:"flags_by_status"`
	UnflaggedReviewed int                `json:"unflagged_reviewed"`
}

func writeAccounts(w io.Writer, set *event.EvidenceSet) error {
	out := make([]packAccount, 0, len(set.Accounts))
	for _, a := range set.Accounts {
		out = append(out, packAccount{Account: a.Account, HandleHistory: nonNil(a.HandleHistory), FlagsByStatus: a.FlagsByStatus, UnflaggedReviewed: a.UnflaggedReviewed})
	}
	b, err := marshalJSON(out, true)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// CSVColumns are the columns of posts.csv, in order. categories, regions
// and groups are joined with ";", policy (the profile's policy names)
// with "; "; regions and groups came last, after translation, so that a
// reader of the earlier columns by position is not moved. A cell
// that begins with = + - @ a tab or a carriage return is written with a
// leading apostrophe so that a spreadsheet does not run it as a formula.
var CSVColumns = []string{"platform", "post_id", "url", "author_id", "handle", "created_at", "captured_at",
	"raw_sha256", "categories", "score", "status", "decision", "decided_at", "reviewer", "policy", "text", "translation",
	"regions", "groups"}

// writePostsCSV writes posts.csv: UTF-8 with a byte-order mark (without
// it, spreadsheet programs read Burmese as mojibake), one row per post.
// A cell that begins with = + - @ a tab or a carriage return gets a
// leading apostrophe, so that a spreadsheet shows it as text instead of
// running it as a formula (CSV injection): a post's text is written by
// whoever the pack is about.
func writePostsCSV(w io.Writer, set *event.EvidenceSet, prof *PlatformProfile) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVColumns))
	for i := range set.Posts {
		ep := &set.Posts[i]
		p := &ep.Post
		var decision, decidedAt, reviewer string
		if d := ep.Flag.Decision; d != nil {
			decision, decidedAt, reviewer = d.Decision, formatTime(d.DecidedAt), d.Reviewer
		}
		row = append(row[:0], p.Platform, p.ID, p.URL, p.Author.ID, p.Author.Handle,
			formatTime(p.CreatedAt), formatTime(p.CapturedAt), ep.RawSHA256,
			strings.Join(ep.Flag.Categories, ";"), strconv.FormatFloat(ep.Flag.Score, 'f', -1, 64),
			ep.Flag.Status, decision, decidedAt, reviewer,
			strings.Join(policyNames(prof, &ep.Flag), "; "), p.Text, translation(ep),
			strings.Join(ep.Flag.Regions, ";"), strings.Join(ep.Flag.Groups, ";"))
		for j := range row {
			row[j] = defuseCell(row[j])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func defuseCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// policyNames are the distinct names of the policies a flag's categories
// and list hits break, in the order first met.
func policyNames(prof *PlatformProfile, f *event.Flag) []string {
	var names []string
	for _, pol := range flagPolicies(prof, f) {
		if !contains(names, pol.Name) {
			names = append(names, pol.Name)
		}
	}
	return names
}

// flagPolicies are the policies a flag breaks, one per category then one
// per list hit.
func flagPolicies(prof *PlatformProfile, f *event.Flag) []Policy {
	var out []Policy
	for _, c := range f.Categories {
		out = append(out, prof.Policy(c))
	}
	for _, l := range f.Lists {
		out = append(out, prof.ListPolicy(l.List))
	}
	return out
}

// translation is the newest translation a reviewer gave for the post.
func translation(ep *event.EvidencePost) string {
	for i := len(ep.Trail) - 1; i >= 0; i-- {
		if ep.Trail[i].Translation != "" {
			return ep.Trail[i].Translation
		}
	}
	if ep.Flag.Decision != nil {
		return ep.Flag.Decision.Translation
	}
	return ""
}
