package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// BadVerdictError reports a verdict that the store refuses as it stands, so
// that the caller can send that one message to the dead-letter topic and
// write the rest of the batch. WriteVerdicts returns it before writing
// anything. Err is an *event.Error with code EINVALID naming the post.
type BadVerdictError struct {
	// Index is the verdict's position in the batch.
	Index int
	Err   error
}

func (e *BadVerdictError) Error() string { return fmt.Sprintf("verdict %d: %v", e.Index, e.Err) }
func (e *BadVerdictError) Unwrap() error { return e.Err }

// WriteVerdicts stores a batch of verdicts in one transaction.
//
// The first verdict on a post stores the post as captured (raw payload,
// its SHA-256, capture time: these never change afterwards), its verdict,
// its flag and its share of the account aggregates. Every distinct verdict
// received is kept in verdict_history, keyed by (post, lexicon, lexicon
// hash, classification time).
//
// A later verdict on a stored post re-judges it (see rejudge.go) only when
// it is new to the history, judged the same payload, comes from other
// lexicons (lexicon or lexicon hash differ from the current verdict's) and
// was classified later than the current verdict. Anything else, a Kafka
// redelivery, a second verdict from the same lexicons (a classify
// redelivery) or an older verdict arriving out of order, is recorded in
// the history at most and changes nothing else, so writing a verdict again
// is a no-op. Within a batch, verdicts apply in order: the post ends as
// it would had each come in a batch of its own.
//
// Each verdict is checked first (identity present, Raw present and hashing
// to RawSHA256, times and score storable); the first bad one is returned as
// a *BadVerdictError and nothing is written.
func (s *Store) WriteVerdicts(ctx context.Context, vs []event.Verdict) error {
	rows, err := encodeVerdicts(vs, s.d.checkVerdict)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if err := s.prepareValues(ctx, writeQueries); err != nil {
		return fmt.Errorf("write %d verdicts: %w", len(rows), err)
	}
	// A transaction that PostgreSQL aborted in a deadlock or a
	// serialization failure wrote nothing and is run again (see dialect.go).
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, rows)
		if err == nil || attempt == maxWriteAttempts || !s.d.retryable(err) {
			return err
		}
		if werr := retryWait(ctx, attempt); werr != nil {
			return fmt.Errorf("%w (waiting to retry after: %v)", werr, err)
		}
	}
}

func (s *Store) writeOnce(ctx context.Context, rows []verdictRow) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("write %d verdicts: begin: %w", len(rows), err)
	}
	defer tx.Rollback()
	if err := writeVerdicts(ctx, tx, rows); err != nil {
		return fmt.Errorf("write %d verdicts: %w", len(rows), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("write %d verdicts: commit: %w", len(rows), err)
	}
	return nil
}

// verdictRow is a verdict checked and encoded for its columns, done before
// the transaction so that nothing that can fail on bad input runs inside it.
type verdictRow struct {
	v            *event.Verdict
	createdAt    any // encodeTime
	capturedAt   any
	classifiedAt any
	verdict      string // the verdict without its post, as JSON
	// The JSON arrays of the flag's and the history's columns; groups,
	// regions and places are the flag's alone.
	categories, tags, matches, lists string
	groups, regions, places          string
	// key is the verdict's key in verdict_history.
	key historyKey
}

// historyKey is the unique key of verdict_history.
type historyKey struct {
	platform, id, lexicon, lexiconHash, classifiedAt string
}

// verdictNoPost encodes a Verdict without its Post: the posts row holds
// the post in columns, and Raw must not be stored twice. The outer Post
// field hides the embedded one.
type verdictNoPost struct {
	*event.Verdict
	Post struct{} `json:"post,omitzero"`
}

// encodeVerdicts checks and encodes vs; check, when not nil, is the
// dialect's own check (values it cannot store).
func encodeVerdicts(vs []event.Verdict, check func(*event.Verdict) error) ([]verdictRow, error) {
	rows := make([]verdictRow, len(vs))
	for i := range vs {
		err := encodeVerdict(&vs[i], &rows[i])
		if err == nil && check != nil {
			err = check(&vs[i])
		}
		if err != nil {
			return nil, &BadVerdictError{Index: i, Err: err}
		}
	}
	return rows, nil
}

func encodeVerdict(v *event.Verdict, r *verdictRow) error {
	p := &v.Post
	if p.Platform == "" || p.ID == "" || p.Author.ID == "" {
		return event.Errorf(event.EINVALID, "post %q/%q by %q: platform, id and author.id are required", p.Platform, p.ID, p.Author.ID)
	}
	if len(p.Raw) == 0 {
		return event.Errorf(event.EINVALID, "post %s: no raw payload; the store keeps every post as captured", p.Ref())
	}
	if got := event.SHA256Hex(p.Raw); got != p.RawSHA256 {
		return event.Errorf(event.EINVALID, "post %s: raw_sha256 %q does not match the raw payload (sha256 %s)", p.Ref(), p.RawSHA256, got)
	}
	for _, t := range []struct {
		name string
		t    time.Time
	}{{"created_at", p.CreatedAt}, {"captured_at", p.CapturedAt}, {"classified_at", v.ClassifiedAt}} {
		if !timeInRange(t.t) {
			return event.Errorf(event.EINVALID, "post %s: %s %s is outside years 1 to 9999", p.Ref(), t.name, t.t)
		}
	}
	*r = verdictRow{v: v, createdAt: encodeTime(p.CreatedAt), capturedAt: encodeTime(p.CapturedAt),
		classifiedAt: encodeTime(v.ClassifiedAt)}
	r.key = historyKey{p.Platform, p.ID, v.Lexicon, v.LexiconHash, ""}
	if !v.ClassifiedAt.IsZero() {
		r.key.classifiedAt = formatTime(v.ClassifiedAt)
	}
	b, err := json.Marshal(verdictNoPost{Verdict: v})
	if err != nil {
		return event.Errorf(event.EINVALID, "post %s: verdict cannot be encoded: %v", p.Ref(), err)
	}
	r.verdict = string(b)
	err = errors.Join(jsonArray(&r.categories, v.Categories), jsonArray(&r.tags, v.Tags),
		jsonArray(&r.matches, v.Matches), jsonArray(&r.lists, v.Lists),
		jsonArray(&r.groups, v.Groups), jsonArray(&r.regions, v.Regions), jsonArray(&r.places, v.Places))
	if err != nil {
		return event.Errorf(event.EINVALID, "post %s: verdict cannot be encoded: %v", p.Ref(), err)
	}
	return nil
}

// jsonArray encodes s into *dst, writing [] rather than null for an empty
// slice so that readers always decode a list.
func jsonArray[T any](dst *string, s []T) error {
	if len(s) == 0 {
		*dst = "[]"
		return nil
	}
	b, err := json.Marshal(s)
	*dst = string(b)
	return err
}

// The statements below insert many rows at once (see valuesSQL). The rows
// of one statement have distinct keys, as PostgreSQL requires of an upsert:
// writeVerdicts drops repeated posts and merges each account's rows first.
// Rows that another transaction may be writing at the same time (posts,
// history of stored posts, accounts and their children) go in key order,
// so that two PostgreSQL writers lock them in the same order.

// insertPosts returns the keys of the posts it inserted: a post already
// stored is left as it is and not returned.
var insertPosts = valuesSQL{
	head: `INSERT INTO posts (platform, post_id, author_id, handle, name, text, created_at,
	url, lang, captured_at, source, raw, raw_sha256, lexicon, lexicon_hash, pipeline, flagged,
	verdict, classified_at, stored_at)`,
	cols: 20,
	tail: `ON CONFLICT (platform, post_id) DO NOTHING RETURNING platform, post_id`,
}

var insertFlags = valuesSQL{
	head: `INSERT INTO flags (platform, post_id, author_id, handle, score, categories, tags,
	target_groups, regions, places, matches, lists, lexicon, lexicon_hash, pipeline, created_at,
	post_created_at)`,
	cols: 17,
	tail: `RETURNING id, platform, post_id`,
}

// insertHistory records verdicts; one already in the history (a
// redelivery) is left as it is. insertHistoryReturning also returns the
// keys of the verdicts it inserted.
var (
	insertHistory = valuesSQL{
		head: `INSERT INTO verdict_history (platform, post_id, lexicon, lexicon_hash, pipeline,
	classified_at, raw_sha256, flagged, score, categories, tags, matches, lists, received_at)`,
		cols: 14,
		tail: `ON CONFLICT DO NOTHING`,
	}
	insertHistoryReturning = valuesSQL{
		head: insertHistory.head,
		cols: insertHistory.cols,
		tail: insertHistory.tail + ` RETURNING platform, post_id, lexicon, lexicon_hash, classified_at`,
	}
)

// historyArgs appends the insertHistory arguments of r to args.
func historyArgs(args []any, r *verdictRow, now any) []any {
	v := r.v
	return append(args, r.key.platform, r.key.id, v.Lexicon, v.LexiconHash, v.Pipeline,
		r.classifiedAt, v.Post.RawSHA256, v.Flagged, v.Score, r.categories, r.tags, r.matches,
		r.lists, now)
}

var insertFlagCategories = valuesSQL{
	head: `INSERT INTO flag_categories (category, flag_id)`,
	cols: 2,
	tail: `ON CONFLICT DO NOTHING`,
}

var insertFlagLabels = valuesSQL{
	head: `INSERT INTO flag_labels (kind, value, flag_id)`,
	cols: 3,
	tail: `ON CONFLICT DO NOTHING`,
}

// Kinds of flag_labels rows.
const (
	labelRegion = "region"
	labelGroup  = "group"
)

// flagRows appends to cats and labels the flag_categories and flag_labels
// rows of flag id with verdict v: each category, region and group once.
func flagRows(cats, labels []any, id int64, v *event.Verdict) ([]any, []any) {
	for j, c := range v.Categories {
		if c != "" && !slices.Contains(v.Categories[:j], c) {
			cats = append(cats, c, id)
		}
	}
	for _, l := range []struct {
		kind   string
		values []string
	}{{labelRegion, v.Regions}, {labelGroup, v.Groups}} {
		for j, x := range l.values {
			if x != "" && !slices.Contains(l.values[:j], x) {
				labels = append(labels, l.kind, x, id)
			}
		}
	}
	return cats, labels
}

var upsertHandles = valuesSQL{
	head: `INSERT INTO account_handles (platform, account_id, handle, first_seen, last_seen)`,
	cols: 5,
	tail: `ON CONFLICT (platform, account_id, handle) DO UPDATE SET
	first_seen = CASE WHEN excluded.first_seen < account_handles.first_seen
		THEN excluded.first_seen ELSE account_handles.first_seen END,
	last_seen = CASE WHEN excluded.last_seen > account_handles.last_seen
		THEN excluded.last_seen ELSE account_handles.last_seen END`,
}

// upsertAccounts adds a batch's counts to its accounts. The handle and the
// name are those of the latest post that carried one, whatever the order in
// which posts arrive; handle_seen and name_seen are those posts' times. On
// the right of SET, accounts.* is the row before the update.
var upsertAccounts = valuesSQL{
	head: `INSERT INTO accounts (platform, account_id, handle, handle_seen, name, name_seen,
	post_count, flag_count, first_seen, last_seen)`,
	cols: 10,
	tail: `ON CONFLICT (platform, account_id) DO UPDATE SET
	handle = CASE WHEN excluded.handle <> '' AND (accounts.handle = '' OR excluded.handle_seen >= accounts.handle_seen)
		THEN excluded.handle ELSE accounts.handle END,
	handle_seen = CASE WHEN excluded.handle <> '' AND (accounts.handle = '' OR excluded.handle_seen >= accounts.handle_seen)
		THEN excluded.handle_seen ELSE accounts.handle_seen END,
	name = CASE WHEN excluded.name <> '' AND (accounts.name = '' OR excluded.name_seen >= accounts.name_seen)
		THEN excluded.name ELSE accounts.name END,
	name_seen = CASE WHEN excluded.name <> '' AND (accounts.name = '' OR excluded.name_seen >= accounts.name_seen)
		THEN excluded.name_seen ELSE accounts.name_seen END,
	post_count = accounts.post_count + excluded.post_count,
	flag_count = accounts.flag_count + excluded.flag_count,
	first_seen = CASE WHEN excluded.first_seen < accounts.first_seen
		THEN excluded.first_seen ELSE accounts.first_seen END,
	last_seen = CASE WHEN excluded.last_seen > accounts.last_seen
		THEN excluded.last_seen ELSE accounts.last_seen END`,
}

var upsertAccountCategories = valuesSQL{
	head: `INSERT INTO account_categories (platform, account_id, category, flag_count)`,
	cols: 4,
	tail: `ON CONFLICT (platform, account_id, category) DO UPDATE SET
	flag_count = account_categories.flag_count + excluded.flag_count`,
}

var insertAccountLists = valuesSQL{
	head: `INSERT INTO account_lists (platform, account_id, list)`,
	cols: 3,
	tail: `ON CONFLICT DO NOTHING`,
}

// writeQueries are the statements of writeVerdicts.
var writeQueries = []*valuesSQL{
	&insertPosts, &insertHistory, &insertHistoryReturning, &insertFlags, &insertFlagCategories,
	&insertFlagLabels, &upsertHandles, &upsertAccounts, &upsertAccountCategories, &insertAccountLists,
}

type postKey struct{ platform, id string }

// comparePosts orders history keys by their post, as the posts' primary
// key does.
func comparePosts(a, b historyKey) int {
	return cmp.Or(strings.Compare(a.platform, b.platform), strings.Compare(a.id, b.id))
}

// compareHistory orders history keys as verdict_history's unique index does.
func compareHistory(a, b historyKey) int {
	return cmp.Or(comparePosts(a, b), strings.Compare(a.lexicon, b.lexicon),
		strings.Compare(a.lexiconHash, b.lexiconHash), strings.Compare(a.classifiedAt, b.classifiedAt))
}

// writeVerdicts inserts the posts, records the verdicts in the history,
// inserts the flags of the new flagged posts, re-judges stored posts with
// the later verdicts, and then writes what the new posts and the
// re-judgements change in their accounts.
func writeVerdicts(ctx context.Context, tx *tx, rows []verdictRow) error {
	// Within the batch the first verdict on a post inserts it; the
	// others are taken as they would be in a later batch (re-judgement).
	seen := make(map[postKey]bool, len(rows))
	firsts := make([]*verdictRow, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		k := postKey{r.key.platform, r.key.id}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = false // not known to be new until the insert says so
		firsts = append(firsts, r)
	}
	slices.SortFunc(firsts, func(a, b *verdictRow) int { return comparePosts(a.key, b.key) })
	args := make([]any, 0, len(firsts)*insertPosts.cols)
	now := encodeTime(tx.now)
	for _, r := range firsts {
		v, p := r.v, &r.v.Post
		args = append(args, p.Platform, p.ID, p.Author.ID, p.Author.Handle, p.Author.Name,
			p.Text, r.createdAt, p.URL, p.Lang, r.capturedAt, p.Source, p.Raw, p.RawSHA256,
			v.Lexicon, v.LexiconHash, v.Pipeline, v.Flagged, r.verdict, r.classifiedAt, now)
	}
	err := tx.queryValues(ctx, &insertPosts, args, func(rs *sql.Rows) error {
		var k postKey
		if err := rs.Scan(&k.platform, &k.id); err != nil {
			return err
		}
		seen[k] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert posts: %w", err)
	}

	// The history. The verdict that inserted a post is new to it and
	// needs no RETURNING; of the others, those that come back are new, and
	// only they can re-judge a post (a redelivery cannot). The rows of one
	// statement have distinct keys.
	fresh := map[historyKey]bool{}
	inserting := map[postKey]bool{}
	var otherRows []*verdictRow
	args = args[:0]
	for i := range rows {
		r := &rows[i]
		if _, dup := fresh[r.key]; dup {
			continue
		}
		k := postKey{r.key.platform, r.key.id}
		if seen[k] && !inserting[k] {
			inserting[k] = true
			fresh[r.key] = true
			args = historyArgs(args, r, now)
		} else {
			fresh[r.key] = false
			otherRows = append(otherRows, r)
		}
	}
	slices.SortFunc(otherRows, func(a, b *verdictRow) int { return compareHistory(a.key, b.key) })
	var others []any
	for _, r := range otherRows {
		others = historyArgs(others, r, now)
	}
	if err := tx.execValues(ctx, &insertHistory, args); err != nil {
		return fmt.Errorf("insert verdict history: %w", err)
	}
	err = tx.queryValues(ctx, &insertHistoryReturning, others, func(rs *sql.Rows) error {
		var k historyKey
		var at sql.NullString
		if err := rs.Scan(&k.platform, &k.id, &k.lexicon, &k.lexiconHash, &at); err != nil {
			return err
		}
		k.classifiedAt = at.String
		fresh[k] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert verdict history: %w", err)
	}

	// Only the posts just inserted go further here: a post stored before
	// changes only by re-judgement, below.
	accounts := newAccountDeltas()
	args = args[:0]
	var later []*verdictRow // verdicts that may re-judge a stored post, in order
	for i := range rows {
		r := &rows[i]
		v, p := r.v, &r.v.Post
		k := postKey{p.Platform, p.ID}
		if !seen[k] {
			if fresh[r.key] {
				fresh[r.key] = false // a later duplicate in the batch is not new
				later = append(later, r)
			}
			continue
		}
		seen[k] = false // a later duplicate in the batch is not new
		fresh[r.key] = false
		accounts.add(v, tx.now)
		if !v.Flagged {
			continue
		}
		created := v.ClassifiedAt
		if created.IsZero() {
			created = tx.now
		}
		args = append(args, p.Platform, p.ID, p.Author.ID, p.Author.Handle, v.Score,
			r.categories, r.tags, r.groups, r.regions, r.places, r.matches, r.lists, v.Lexicon,
			v.LexiconHash, v.Pipeline, encodeTime(created), r.createdAt)
	}
	flagIDs := map[postKey]int64{}
	err = tx.queryValues(ctx, &insertFlags, args, func(rs *sql.Rows) error {
		var k postKey
		var id int64
		if err := rs.Scan(&id, &k.platform, &k.id); err != nil {
			return err
		}
		flagIDs[k] = id
		return nil
	})
	if err != nil {
		return fmt.Errorf("insert flags: %w", err)
	}
	args = args[:0]
	var labels []any
	for i := range rows {
		v, p := rows[i].v, &rows[i].v.Post
		id, ok := flagIDs[postKey{p.Platform, p.ID}]
		if !ok {
			continue
		}
		delete(flagIDs, postKey{p.Platform, p.ID})
		args, labels = flagRows(args, labels, id, v)
	}
	if err := tx.execValues(ctx, &insertFlagCategories, args); err != nil {
		return fmt.Errorf("insert flag categories: %w", err)
	}
	if err := tx.execValues(ctx, &insertFlagLabels, labels); err != nil {
		return fmt.Errorf("insert flag regions and groups: %w", err)
	}
	if len(later) > 0 {
		if err := rejudge(ctx, tx, later, accounts); err != nil {
			return err
		}
	}
	return writeAccounts(ctx, tx, accounts.order)
}

// writeAccounts writes the batch's account deltas: handles, then the
// accounts (the children's foreign keys are checked at commit), then
// categories and lists, each in key order. Every account whose children
// change is upserted, so that with PostgreSQL its row lock orders the
// writers of its categories and lists. A category whose count falls to
// zero (re-judgement) is deleted.
func writeAccounts(ctx context.Context, tx *tx, as []*accountDelta) error {
	as = slices.Clone(as)
	slices.SortFunc(as, func(a, b *accountDelta) int {
		return cmp.Or(strings.Compare(a.platform, b.platform), strings.Compare(a.id, b.id))
	})
	for _, a := range as {
		slices.SortFunc(a.handles, func(x, y handleSpan) int { return strings.Compare(x.handle, y.handle) })
		slices.SortFunc(a.categories, func(x, y categoryCount) int { return strings.Compare(x.category, y.category) })
		slices.Sort(a.lists)
	}
	var args []any
	for _, a := range as {
		for _, h := range a.handles {
			args = append(args, a.platform, a.id, h.handle, encodeTime(h.first), encodeTime(h.last))
		}
	}
	if err := tx.execValues(ctx, &upsertHandles, args); err != nil {
		return fmt.Errorf("upsert account handles: %w", err)
	}
	args = args[:0]
	for _, a := range as {
		args = append(args, a.platform, a.id, a.handle, encodeTime(a.handleSeen), a.name, encodeTime(a.nameSeen),
			a.posts, a.flags, encodeTime(a.first), encodeTime(a.last))
	}
	if err := tx.execValues(ctx, &upsertAccounts, args); err != nil {
		return fmt.Errorf("upsert accounts: %w", err)
	}
	args = args[:0]
	for _, a := range as {
		for _, c := range a.categories {
			if c.flags != 0 {
				args = append(args, a.platform, a.id, c.category, c.flags)
			}
		}
	}
	if err := tx.execValues(ctx, &upsertAccountCategories, args); err != nil {
		return fmt.Errorf("upsert account categories: %w", err)
	}
	for _, a := range as {
		if !slices.ContainsFunc(a.categories, func(c categoryCount) bool { return c.flags < 0 }) {
			continue
		}
		_, err := tx.exec(ctx, `DELETE FROM account_categories
	WHERE platform = ? AND account_id = ? AND flag_count <= 0`, a.platform, a.id)
		if err != nil {
			return fmt.Errorf("update account categories: %w", err)
		}
	}
	args = args[:0]
	for _, a := range as {
		for _, l := range a.lists {
			args = append(args, a.platform, a.id, l)
		}
	}
	if err := tx.execValues(ctx, &insertAccountLists, args); err != nil {
		return fmt.Errorf("insert account lists: %w", err)
	}
	return nil
}

// accountDelta is what one batch adds to an account: its new posts, and
// the re-judgement of its stored ones (posts 0, flags and category counts
// that may be negative).
type accountDelta struct {
	platform, id string
	posts, flags int
	first, last  time.Time
	// handle and name are those of the batch's latest post that had one,
	// posted at handleSeen and nameSeen.
	handle, name         string
	handleSeen, nameSeen time.Time
	handles              []handleSpan
	// categories counts flags by category; lists are the lists hit.
	categories []categoryCount
	lists      []string
}

type handleSpan struct {
	handle      string
	first, last time.Time
}

type categoryCount struct {
	category string
	flags    int
}

// accountDeltas collects deltas in the order accounts first appear.
type accountDeltas struct {
	byKey map[[2]string]*accountDelta
	order []*accountDelta
}

func newAccountDeltas() *accountDeltas {
	return &accountDeltas{byKey: map[[2]string]*accountDelta{}}
}

// seenAt is when a post was seen: the platform's time, else the capture
// time, else when it was stored.
func seenAt(created, captured, stored time.Time) time.Time {
	switch {
	case !created.IsZero():
		return created
	case !captured.IsZero():
		return captured
	}
	return stored
}

// delta returns the account's delta, made if needed, with seen added to
// its span.
func (ds *accountDeltas) delta(platform, id string, seen time.Time) *accountDelta {
	k := [2]string{platform, id}
	a := ds.byKey[k]
	if a == nil {
		a = &accountDelta{platform: platform, id: id, first: seen, last: seen}
		ds.byKey[k] = a
		ds.order = append(ds.order, a)
	}
	if seen.Before(a.first) {
		a.first = seen
	}
	if seen.After(a.last) {
		a.last = seen
	}
	return a
}

func (a *accountDelta) addCategory(c string, d int) {
	j := 0
	for j < len(a.categories) && a.categories[j].category != c {
		j++
	}
	if j == len(a.categories) {
		a.categories = append(a.categories, categoryCount{category: c})
	}
	a.categories[j].flags += d
}

func (a *accountDelta) addLists(ls []event.ListHit) {
	for _, l := range ls {
		if l.List != "" && !slices.Contains(a.lists, l.List) {
			a.lists = append(a.lists, l.List)
		}
	}
}

// add folds a newly stored verdict into its author's delta. A post is seen
// at the platform's time, else the capture time, else now (the time it is
// stored).
func (ds *accountDeltas) add(v *event.Verdict, now time.Time) {
	p := &v.Post
	seen := seenAt(p.CreatedAt, p.CapturedAt, now)
	a := ds.delta(p.Platform, p.Author.ID, seen)
	a.posts++
	if p.Author.Name != "" && (a.name == "" || !seen.Before(a.nameSeen)) {
		a.name, a.nameSeen = p.Author.Name, seen
	}
	if h := p.Author.Handle; h != "" {
		if a.handle == "" || !seen.Before(a.handleSeen) {
			a.handle, a.handleSeen = h, seen
		}
		i := 0
		for i < len(a.handles) && a.handles[i].handle != h {
			i++
		}
		if i == len(a.handles) {
			a.handles = append(a.handles, handleSpan{handle: h, first: seen, last: seen})
		} else {
			s := &a.handles[i]
			if seen.Before(s.first) {
				s.first = seen
			}
			if seen.After(s.last) {
				s.last = seen
			}
		}
	}
	a.addLists(v.Lists)
	if !v.Flagged {
		return
	}
	a.flags++
	for i, c := range v.Categories {
		if c != "" && !slices.Contains(v.Categories[:i], c) {
			a.addCategory(c, 1)
		}
	}
}
