package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// Evidence (migration 0008): the posts of an account or of a case,
// exactly as captured, with their flags and review trails, gathered in one
// read snapshot for api/evidence to write as a signed pack; and the packs
// made of it, remembered in the packs table.
//
// A set is read in a few queries whatever its size: one selects the flags
// with their posts (newest flags first, one row past the limit to tell
// that the set was truncated), one per few hundred flags reads their
// decisions, and the accounts are read a few hundred at a time, so that
// 10,000 posts cost milliseconds rather than 10,000 round trips
// (BenchmarkEvidence10k).

var _ event.EvidenceService = (*Store)(nil)

// evidenceBatch is how many flag ids or account keys one query of an
// evidence read takes in its IN list: few enough for any driver's limit
// on arguments, enough that a large set takes few queries.
const evidenceBatch = 400

// defaultEvidenceStatuses are the statuses a pack takes in when the
// request names none: what monitors judged to break a policy.
var defaultEvidenceStatuses = []string{event.StatusConfirmed, event.StatusEscalated}

// Evidence implements event.EvidenceService.
//
// A flag's status is its status as read (a lapsed claim reads as the
// status it was claimed from), as ListFlags has it. A flag a later
// verdict no longer flags (kept because a monitor had reviewed it) is
// taken in like any other: the review stands, and the flag shows the
// categories and lexicons that flagged the post. The flag's Decision is
// its latest, as ListFlags gives it but without the reviewer's note,
// which is for the team: no note is read at all.
// A Limit above event.MaxEvidencePosts is taken as that maximum.
func (s *Store) Evidence(ctx context.Context, req event.EvidenceRequest) (*event.EvidenceSet, error) {
	statuses, limit, err := checkEvidenceRequest(&req)
	if err != nil {
		return nil, err
	}
	var subject string
	if req.Account != nil {
		subject = "account:" + req.Account.Platform + ":" + req.Account.ID
	} else {
		subject = "case:" + strconv.FormatInt(req.CaseID, 10)
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", subject, err)
	}
	defer tx.Rollback()
	set, err := gatherEvidence(ctx, tx, req, statuses, limit)
	if err != nil {
		return nil, fmt.Errorf("evidence %s: %w", subject, err)
	}
	set.Subject = subject
	return set, nil
}

// checkEvidenceRequest checks req and returns its statuses (deduplicated,
// the default when none) and its limit.
func checkEvidenceRequest(req *event.EvidenceRequest) ([]string, int, error) {
	switch {
	case req.Account != nil && req.CaseID != 0:
		return nil, 0, event.Errorf(event.EINVALID, "evidence is about one account or one case, not both")
	case req.Account == nil && req.CaseID == 0:
		return nil, 0, event.Errorf(event.EINVALID, "evidence needs an account or a case")
	case req.Account != nil && (req.Account.Platform == "" || req.Account.ID == ""):
		return nil, 0, event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
	case req.CaseID < 0:
		return nil, 0, event.Errorf(event.EINVALID, "case id %d must be positive", req.CaseID)
	}
	limit, err := pageLimit(req.Limit, event.MaxEvidencePosts, event.MaxEvidencePosts)
	if err != nil {
		return nil, 0, err
	}
	if len(req.Statuses) == 0 {
		return defaultEvidenceStatuses, limit, nil
	}
	var statuses []string
	for _, st := range req.Statuses {
		if !slices.Contains(event.FlagStatuses, st) {
			return nil, 0, event.Errorf(event.EINVALID, "unknown flag status %q: want one of %s", st, strings.Join(event.FlagStatuses, ", "))
		}
		if !slices.Contains(statuses, st) {
			statuses = append(statuses, st)
		}
	}
	return statuses, limit, nil
}

// evidenceColumns selects a flag of flags f (flagColumns, whose three
// arguments are the read time) and then its post of posts p and the
// lexicon hash of the verdict that set the flag's content.
const evidenceColumns = flagColumns + `,
	p.author_id, p.handle, p.name, p.text, p.created_at, p.url, p.lang, p.captured_at, p.source,
	p.raw, p.raw_sha256, p.stored_at, f.lexicon_hash`

func gatherEvidence(ctx context.Context, tx *tx, req event.EvidenceRequest, statuses []string, limit int) (*event.EvidenceSet, error) {
	set := &event.EvidenceSet{Accounts: []event.AccountView{}, Posts: []event.EvidencePost{}, GatheredAt: tx.now}
	now := encodeTime(tx.now)
	in := "(?" + strings.Repeat(", ?", len(statuses)-1) + ")"
	args := flagColumnArgs(now)
	from, where := "flags f", ""
	accounts := map[[2]string]bool{}
	if a := req.Account; a != nil {
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM accounts WHERE platform = ? AND account_id = ?`, a.Platform, a.ID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, event.Errorf(event.ENOTFOUND, "account %s/%s not found", a.Platform, a.ID)
		}
		if err != nil {
			return nil, fmt.Errorf("account: %w", err)
		}
		accounts[[2]string{a.Platform, a.ID}] = true
		from = flagsByAuthor(tx.d)
		where = `f.author_id = ? AND f.platform = ? AND ` + statusAsRead + ` IN ` + in
		args = append(args, a.ID, a.Platform, now)
	} else {
		c, err := readCase(ctx, tx, req.CaseID)
		if err != nil {
			return nil, err
		}
		set.Case = &c
		rows, err := tx.query(ctx, `SELECT platform, account_id FROM case_accounts WHERE case_id = ?`, c.ID)
		if err != nil {
			return nil, fmt.Errorf("case accounts: %w", err)
		}
		for rows.Next() {
			var k [2]string
			if err := rows.Scan(&k[0], &k[1]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("case accounts: %w", err)
			}
			accounts[k] = true
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("case accounts: %w", err)
		}
		// The case's own flags whatever their status, and its accounts'
		// flags in the statuses asked for; the inner f is the
		// accounts' flags, which statusAsRead names.
		where = `f.id IN (SELECT cf.flag_id FROM case_flags cf WHERE cf.case_id = ?
	UNION SELECT f.id FROM case_accounts ca JOIN ` + flagsByAuthor(tx.d) + ` ON f.author_id = ca.account_id AND f.platform = ca.platform
	WHERE ca.case_id = ? AND ` + statusAsRead + ` IN ` + in + `)`
		args = append(args, c.ID, c.ID, now)
	}
	for _, st := range statuses {
		args = append(args, st)
	}
	args = append(args, limit+1) // one more tells that the set is truncated
	rows, err := tx.query(ctx, `SELECT `+evidenceColumns+`
FROM `+from+` JOIN posts p ON p.platform = f.platform AND p.post_id = f.post_id
WHERE `+where+` ORDER BY f.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	for rows.Next() {
		ep := event.EvidencePost{Trail: []event.ReviewStep{}}
		p := &ep.Post
		if err := scanFlag(rows, &ep.Flag, &p.Author.ID, &p.Author.Handle, &p.Author.Name, &p.Text,
			timeColumn{&p.CreatedAt}, &p.URL, &p.Lang, timeColumn{&p.CapturedAt}, &p.Source, &p.Raw,
			&p.RawSHA256, timeColumn{&ep.StoredAt}, &ep.LexiconHash); err != nil {
			rows.Close()
			return nil, fmt.Errorf("flags: %w", err)
		}
		p.Platform, p.ID = ep.Flag.Platform, ep.Flag.PostID
		ep.RawSHA256 = p.RawSHA256
		set.Posts = append(set.Posts, ep)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	if len(set.Posts) > limit {
		set.Posts = set.Posts[:limit]
		set.Truncated = true
	}
	if err := attachTrails(ctx, tx, set.Posts); err != nil {
		return nil, err
	}
	for i := range set.Posts {
		accounts[[2]string{set.Posts[i].Post.Platform, set.Posts[i].Post.Author.ID}] = true
	}
	slices.SortFunc(set.Posts, compareEvidencePosts)

	keys := make([][2]string, 0, len(accounts))
	for k := range accounts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	for len(keys) > 0 {
		n := min(len(keys), evidenceBatch/2)
		vs, err := accountViews(ctx, tx, keys[:n])
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		set.Accounts = append(set.Accounts, vs...)
		keys = keys[n:]
	}
	return set, nil
}

// compareEvidencePosts orders a set's posts: by account (platform, id),
// then by the post's time (the platform's, else the capture time), then
// by flag id.
func compareEvidencePosts(a, b event.EvidencePost) int {
	postTime := func(p *event.Post) time.Time {
		if p.CreatedAt.IsZero() {
			return p.CapturedAt
		}
		return p.CreatedAt
	}
	return cmp.Or(strings.Compare(a.Post.Platform, b.Post.Platform),
		strings.Compare(a.Post.Author.ID, b.Post.Author.ID),
		postTime(&a.Post).Compare(postTime(&b.Post)),
		cmp.Compare(a.Flag.ID, b.Flag.ID))
}

// attachTrails reads the decisions on the posts' flags, oldest first,
// into each post's Trail, and sets the latest as the flag's Decision on
// flags with a decided status (and claimed ones, which may hold an
// escalation), as attachDecisions does; the note is not read.
func attachTrails(ctx context.Context, tx *tx, ps []event.EvidencePost) error {
	index := make(map[int64]int, len(ps))
	ids := make([]int64, len(ps))
	for i := range ps {
		index[ps[i].Flag.ID] = i
		ids[i] = ps[i].Flag.ID
	}
	for len(ids) > 0 {
		n := min(len(ids), evidenceBatch)
		in, args := flagIDList(ids[:n])
		ids = ids[n:]
		rows, err := tx.query(ctx, `SELECT flag_id, level, decision, reviewer, decided_at, translation
FROM decisions WHERE flag_id IN `+in+` ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("decisions: %w", err)
		}
		for rows.Next() {
			var st event.ReviewStep
			if err := rows.Scan(&st.FlagID, &st.Level, &st.Decision, &st.Reviewer, timeColumn{&st.DecidedAt},
				&st.Translation); err != nil {
				rows.Close()
				return fmt.Errorf("decisions: %w", err)
			}
			ep := &ps[index[st.FlagID]]
			ep.Trail = append(ep.Trail, st)
			switch ep.Flag.Status {
			case event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated, event.StatusClaimed:
				ep.Flag.Decision = &event.Decision{FlagID: st.FlagID, Decision: st.Decision,
					Translation: st.Translation, Reviewer: st.Reviewer, DecidedAt: st.DecidedAt}
			}
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("decisions: %w", err)
		}
	}
	return nil
}

// flagsByAuthor is the FROM item flags f for a query of given authors'
// flags. SQLite, without statistics, would read them through
// flags_by_platform, every flag of the platform, rather than through
// flags_by_author: 2 s instead of 60 ms for a case of 50 accounts.
func flagsByAuthor(d *dialect) string {
	if d == &sqliteDialect {
		return "flags f INDEXED BY flags_by_author"
	}
	return "flags f"
}

// accountKeysIn returns a condition, true when the columns platform and
// id name one of keys, and its arguments.
func accountKeysIn(platform, id string, keys [][2]string) (string, []any) {
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k[0], k[1])
	}
	// VALUES names its columns column1, column2 in both dialects.
	return "(" + platform + ", " + id + ") IN (SELECT k.column1, k.column2 FROM (VALUES (?, ?)" +
		strings.Repeat(", (?, ?)", len(keys)-1) + ") AS k)", args
}

// accountViews is findAccount for several accounts at once, sorted by
// platform and id; keys the store does not have are left out. Its
// queries are findAccount's, for a list of keys.
func accountViews(ctx context.Context, tx *tx, keys [][2]string) ([]event.AccountView, error) {
	in, args := accountKeysIn("platform", "account_id", keys)
	as, err := accountsPage(ctx, tx, "FROM accounts WHERE "+in+" ORDER BY platform, account_id", args)
	if err != nil {
		return nil, err
	}
	vs := make([]event.AccountView, len(as))
	index := make(map[[2]string]*event.AccountView, len(as))
	for i, a := range as {
		v := &vs[i]
		*v = event.AccountView{Account: a, HandleHistory: []event.HandleSeen{}, FlagsByStatus: map[string]int{},
			Cases: []event.CaseRef{}}
		for _, st := range event.FlagStatuses {
			v.FlagsByStatus[st] = 0
		}
		index[[2]string{a.Platform, a.ID}] = v
	}

	rows, err := tx.query(ctx, `SELECT platform, account_id, handle, first_seen, last_seen FROM account_handles
WHERE `+in+` ORDER BY first_seen, handle`, args...)
	if err != nil {
		return nil, fmt.Errorf("handles: %w", err)
	}
	for rows.Next() {
		var k [2]string
		var h event.HandleSeen
		if err := rows.Scan(&k[0], &k[1], &h.Handle, timeColumn{&h.FirstSeen}, timeColumn{&h.LastSeen}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("handles: %w", err)
		}
		if v := index[k]; v != nil {
			v.HandleHistory = append(v.HandleHistory, h)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("handles: %w", err)
	}

	// By author id alone, which flags_by_author serves; the rows of a
	// namesake on another platform are dropped below.
	ids := make([]any, len(keys))
	for i, k := range keys {
		ids[i] = k[1]
	}
	rows, err = tx.query(ctx, `SELECT f.platform, f.author_id, `+statusAsRead+` AS st,
	CASE WHEN f.unflagged_at IS NULL THEN 1 ELSE 0 END AS counted, COUNT(*)
FROM `+flagsByAuthor(tx.d)+` WHERE f.author_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)
GROUP BY f.platform, f.author_id, st, counted`, append([]any{encodeTime(tx.now)}, ids...)...)
	if err != nil {
		return nil, fmt.Errorf("flag statuses: %w", err)
	}
	for rows.Next() {
		var k [2]string
		var status string
		var counted, n int
		if err := rows.Scan(&k[0], &k[1], &status, &counted, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("flag statuses: %w", err)
		}
		switch v := index[k]; {
		case v == nil:
		case counted == 1:
			v.FlagsByStatus[status] += n
		default:
			v.UnflaggedReviewed += n
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("flag statuses: %w", err)
	}

	in, args = accountKeysIn("ca.platform", "ca.account_id", keys)
	rows, err = tx.query(ctx, `SELECT ca.platform, ca.account_id, c.id, c.title, c.status
FROM case_accounts ca JOIN cases c ON c.id = ca.case_id
WHERE `+in+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	for rows.Next() {
		var k [2]string
		var c event.CaseRef
		if err := rows.Scan(&k[0], &k[1], &c.ID, &c.Title, &c.Status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("cases: %w", err)
		}
		if v := index[k]; v != nil {
			v.Cases = append(v.Cases, c)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	return vs, nil
}

// Limits of a pack record's fields.
const (
	maxPackIDBytes      = 128
	maxPackFieldBytes   = 256
	maxPackSubjectBytes = 512
)

// checkPackRecord checks r and returns its audit entry, so that bad input
// is refused before the transaction.
func checkPackRecord(r *event.PackRecord) (event.AuditEntry, error) {
	if r.ID == "" || len(r.ID) > maxPackIDBytes {
		return event.AuditEntry{}, event.Errorf(event.EINVALID, "pack id: want 1 to %d bytes", maxPackIDBytes)
	}
	for _, c := range r.ID {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return event.AuditEntry{}, event.Errorf(event.EINVALID, "pack id %q: only letters, digits and - _ . are allowed", r.ID)
		}
	}
	for _, f := range []struct {
		name, v string
		most    int
	}{{"subject", r.Subject, maxPackSubjectBytes}, {"profile", r.Profile, maxPackFieldBytes}, {"key_id", r.KeyID, maxPackFieldBytes}} {
		if err := checkOneLine(f.name, f.v, f.most, true); err != nil {
			return event.AuditEntry{}, err
		}
	}
	if len(r.ManifestSHA256) != 64 || strings.Trim(r.ManifestSHA256, "0123456789abcdef") != "" {
		return event.AuditEntry{}, event.Errorf(event.EINVALID, "manifest_sha256 %q: want 64 lowercase hex digits", r.ManifestSHA256)
	}
	if r.Posts < 0 {
		return event.AuditEntry{}, event.Errorf(event.EINVALID, "posts %d must not be negative", r.Posts)
	}
	if !timeInRange(r.CreatedAt) {
		return event.AuditEntry{}, event.Errorf(event.EINVALID, "created_at must be within years 1 to 9999")
	}
	return event.NewAuditEntry(auditActor(r.CreatedBy), event.AuditExport, "pack:"+r.ID, map[string]any{
		"subject": r.Subject, "profile": r.Profile, "key_id": r.KeyID,
		"manifest_sha256": r.ManifestSHA256, "posts": r.Posts,
	})
}

// checkOneLine checks a one-line text field: valid UTF-8, at most most
// bytes, no control characters, and not blank when required.
func checkOneLine(name, v string, most int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return event.Errorf(event.EINVALID, "%s is required", name)
	case len(v) > most:
		return event.Errorf(event.EINVALID, "%s is longer than %d bytes", name, most)
	case !utf8.ValidString(v):
		return event.Errorf(event.EINVALID, "%s is not valid UTF-8", name)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return event.Errorf(event.EINVALID, "%s holds a control character (a line break?)", name)
		}
	}
	return nil
}

// RecordPack implements event.EvidenceService. CreatedAt zero is the
// store's now; CreatedBy empty is "system".
func (s *Store) RecordPack(ctx context.Context, r event.PackRecord) error {
	entry, err := checkPackRecord(&r)
	if err != nil {
		return err
	}
	return s.inWriteRetry(ctx, func(tx *tx) error {
		at := r.CreatedAt
		if at.IsZero() {
			at = tx.now
		}
		res, err := tx.exec(ctx, `INSERT INTO packs (id, subject, profile, created_at, created_by, key_id, manifest_sha256, posts)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			r.ID, r.Subject, r.Profile, encodeTime(at), entry.Actor, r.KeyID, r.ManifestSHA256, r.Posts)
		if err != nil {
			return fmt.Errorf("record pack %s: %w", r.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("record pack %s: %w", r.ID, err)
		} else if n == 0 {
			return event.Errorf(event.ECONFLICT, "pack %s is recorded already", r.ID)
		}
		_, err = appendAuditTx(ctx, tx, entry)
		return err
	})
}

// Pack implements event.EvidenceService.
func (s *Store) Pack(ctx context.Context, id string) (event.PackRecord, error) {
	var r event.PackRecord
	err := s.reviewRead(ctx, func(tx *tx) error {
		var err error
		r, err = readPack(ctx, tx, id)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("pack %s: %w", id, err)
	}
	return r, nil
}

func readPack(ctx context.Context, tx *tx, id string) (event.PackRecord, error) {
	var r event.PackRecord
	err := tx.queryRow(ctx, `SELECT id, subject, profile, created_at, created_by, key_id, manifest_sha256, posts
FROM packs WHERE id = ?`, id).Scan(&r.ID, &r.Subject, &r.Profile, timeColumn{&r.CreatedAt}, &r.CreatedBy,
		&r.KeyID, &r.ManifestSHA256, &r.Posts)
	if errors.Is(err, sql.ErrNoRows) {
		return r, event.Errorf(event.ENOTFOUND, "pack %s not found", id)
	}
	return r, err
}
