package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Flag queries: ListFlags and the review queue's claims select flags with
// one builder, so that a filter means the same in both.
//
// A claim is mirrored in the flags row (migration 0005): status 'claimed'
// with claimed_by, claimed_from and lease_until. Readers see a lapsed
// claim (lease_until passed) as the status it was claimed from, and a
// status filter means the status as read: "pending" matches flags pending
// and flags whose claim from pending lapsed; "claimed" only claims still
// running.

// flagQuery is what a flag query selects.
type flagQuery struct {
	f event.FlagFilter
	// claimable, when set ("pending" or "escalated"), replaces f.Status:
	// only flags that a claim from that queue may take (unclaimed, or
	// whose claim lapsed, and still flagged).
	claimable string
	// now is the read time, which decides whether a claim has lapsed.
	now time.Time
	// after, when set, is the position to continue from in the sort.
	after *flagKey
	limit int
	// keys selects only the flags' positions (id, score).
	keys bool
}

// flagKey is a flag's position in every sort.
type flagKey struct {
	id    int64
	score float64
}

// statusAsRead is the flag's status as readers see it: a lapsed claim is
// the status it was claimed from. Its argument is the read time.
const statusAsRead = `CASE WHEN f.status = 'claimed' AND f.lease_until <= ? THEN f.claimed_from ELSE f.status END`

// flagColumns selects a flag of flags f for scanFlag; its three arguments
// are the read time.
const flagColumns = `f.id, f.platform, f.post_id, f.author_id, f.handle, f.score,
	f.categories, f.tags, f.target_groups, f.regions, f.places, f.matches, f.lists, f.lexicon,
	f.pipeline, ` + statusAsRead + `,
	f.created_at, f.post_created_at,
	CASE WHEN f.status = 'claimed' AND f.lease_until > ? THEN f.claimed_by END,
	CASE WHEN f.status = 'claimed' AND f.lease_until > ? THEN f.lease_until END`

func flagColumnArgs(now any) []any { return []any{now, now, now} }

// scanFlag scans a row of flagColumns, and then of more columns into
// more.
func scanFlag(rows interface{ Scan(...any) error }, fl *event.Flag, more ...any) error {
	var claimedBy sql.NullString
	err := rows.Scan(append([]any{&fl.ID, &fl.Platform, &fl.PostID, &fl.AuthorID, &fl.Handle, &fl.Score,
		jsonColumn{&fl.Categories}, jsonColumn{&fl.Tags}, jsonColumn{&fl.Groups}, jsonColumn{&fl.Regions},
		jsonColumn{&fl.Places}, jsonColumn{&fl.Matches}, jsonColumn{&fl.Lists},
		&fl.Lexicon, &fl.Pipeline, &fl.Status, timeColumn{&fl.CreatedAt}, timeColumn{&fl.PostCreatedAt},
		&claimedBy, timeColumn{&fl.LeaseExpiresAt}}, more...)...)
	fl.ClaimedBy = claimedBy.String
	return err
}

// jsonContains returns an SQL condition, true when the JSON array of
// objects in column col holds one whose member elem is the string given as
// its argument (an account list's name in lists).
func jsonContains(d *dialect, col, elem string) string {
	if d == &postgresDialect {
		return "EXISTS (SELECT 1 FROM json_array_elements(" + col + "::json) AS j(value) WHERE j.value->>'" + elem + "' = ?)"
	}
	return "EXISTS (SELECT 1 FROM json_each(" + col + ") j WHERE json_extract(j.value, '$." + elem + "') = ?)"
}

// checkFlagFilter checks what ListFlags and claims share.
func checkFlagFilter(f *event.FlagFilter) error {
	switch f.Status {
	case "", event.StatusPending, event.StatusClaimed, event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated:
	default:
		return event.Errorf(event.EINVALID, "unknown flag status %q", f.Status)
	}
	if !event.ValidSort(f.Sort) {
		return event.Errorf(event.EINVALID, "unknown sort %q: want one of %s", f.Sort, strings.Join(event.Sorts, ", "))
	}
	if f.MinScore < 0 {
		return event.Errorf(event.EINVALID, "min_score %v must not be negative", f.MinScore)
	}
	if !timeInRange(f.Since) || !timeInRange(f.Until) {
		return event.Errorf(event.EINVALID, "since and until must be within years 1 to 9999")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return event.Errorf(event.EINVALID, "since must be before until")
	}
	return nil
}

// build returns the query's SQL and arguments.
func (q *flagQuery) build(d *dialect) (string, []any) {
	f := &q.f
	now := encodeTime(q.now)
	sort := f.Sort
	if sort == "" {
		sort = event.SortNewest
	}
	// Newest first with a category, the page is read from
	// flag_categories, whose key (category, flag_id) gives that
	// category's flags in id order, so a page costs its length whatever
	// the category's size.
	from, id := "flags f", "f.id"
	if q.claimable == event.StatusPending && d == &sqliteDialect {
		// SQLite, without statistics, would read the open flags
		// through flags_by_status and sort them all; the queue's
		// partial indexes (0005) give them in order, and a claim stops
		// after a page.
		if sort == event.SortSeverity || sort == event.SortScore {
			from = "flags f INDEXED BY flags_queue_by_score"
		} else {
			from = "flags f INDEXED BY flags_queue_by_age"
		}
	}
	var where []string
	var args []any
	if f.Category != "" {
		from = "flag_categories c JOIN " + from + " ON f.id = c.flag_id"
		if sort == event.SortNewest && q.claimable == "" {
			id = "c.flag_id"
		}
		where = append(where, "c.category = ?")
		args = append(args, f.Category)
	}
	for _, c := range []struct{ col, v string }{{"f.platform", f.Platform}, {"f.author_id", f.AuthorID}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	switch {
	case q.claimable != "":
		if q.claimable == event.StatusPending {
			// As the partial indexes of 0005 say it, so that they apply.
			where = append(where, "f.status IN ('pending', 'claimed')")
		}
		where = append(where, "f.unflagged_at IS NULL",
			"(f.status = ? OR (f.status = 'claimed' AND f.claimed_from = ? AND f.lease_until <= ?))")
		args = append(args, q.claimable, q.claimable, now)
	case f.Status == event.StatusPending || f.Status == event.StatusEscalated:
		where = append(where, "(f.status = ? OR (f.status = 'claimed' AND f.claimed_from = ? AND f.lease_until <= ?))")
		args = append(args, f.Status, f.Status, now)
	case f.Status == event.StatusClaimed:
		where = append(where, "f.status = 'claimed' AND (f.lease_until IS NULL OR f.lease_until > ?)")
		args = append(args, now)
	case f.Status != "":
		where = append(where, "f.status = ?")
		args = append(args, f.Status)
	}
	if f.List != "" {
		where = append(where, jsonContains(d, "f.lists", "list"))
		args = append(args, f.List)
	}
	// Regions and groups through flag_labels' key (kind, value, flag_id):
	// a rare region's flags are found without reading every flag.
	for _, l := range []struct{ kind, value string }{{labelRegion, f.Region}, {labelGroup, f.Group}} {
		if l.value != "" {
			where = append(where, "f.id IN (SELECT l.flag_id FROM flag_labels l WHERE l.kind = ? AND l.value = ?)")
			args = append(args, l.kind, l.value)
		}
	}
	if f.MinScore > 0 {
		where = append(where, "f.score >= ?")
		args = append(args, f.MinScore)
	}
	if !f.Since.IsZero() {
		where = append(where, "f.created_at >= ?")
		args = append(args, encodeTime(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "f.created_at < ?")
		args = append(args, encodeTime(f.Until))
	}
	var order string
	switch sort {
	case event.SortNewest:
		order = id + " DESC"
		if q.after != nil {
			where = append(where, id+" < ?")
			args = append(args, q.after.id)
		}
	case event.SortAge:
		order = "f.id"
		if q.after != nil {
			where = append(where, "f.id > ?")
			args = append(args, q.after.id)
		}
	case event.SortSeverity:
		order = "f.score DESC, f.id"
		if q.after != nil {
			where = append(where, "(f.score < ? OR (f.score = ? AND f.id > ?))")
			args = append(args, q.after.score, q.after.score, q.after.id)
		}
	case event.SortScore:
		// Ties newest first: the queue's index read backwards.
		order = "f.score, f.id DESC"
		if q.after != nil {
			where = append(where, "(f.score > ? OR (f.score = ? AND f.id < ?))")
			args = append(args, q.after.score, q.after.score, q.after.id)
		}
	}
	args = append(args, q.limit)
	cols := "f.id, f.score"
	if !q.keys {
		cols = flagColumns
		args = append(flagColumnArgs(now), args...)
	}
	return "SELECT " + cols + "\nFROM " + from + whereClause(where) + " ORDER BY " + order + " LIMIT ?", args
}

// queryKeys runs q for the positions of its flags alone.
func queryKeys(ctx context.Context, tx *tx, q *flagQuery) ([]flagKey, error) {
	q.keys = true
	query, args := q.build(tx.d)
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var ks []flagKey
	for rows.Next() {
		var k flagKey
		if err := rows.Scan(&k.id, &k.score); err != nil {
			rows.Close()
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, closeRows(rows)
}

// queryFlags runs q and returns its flags.
func queryFlags(ctx context.Context, tx *tx, q *flagQuery) ([]event.Flag, error) {
	query, args := q.build(tx.d)
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	fs := []event.Flag{}
	for rows.Next() {
		var fl event.Flag
		if err := scanFlag(rows, &fl); err != nil {
			rows.Close()
			return nil, err
		}
		fs = append(fs, fl)
	}
	return fs, closeRows(rows)
}

// flagKeyOf reads the position of flag id, for a cursor. A flag that is no
// longer there (a pending flag a later verdict stopped flagging) is an
// ECONFLICT: the pages so far stand, the next cannot be found.
func flagKeyOf(ctx context.Context, tx *tx, id int64) (*flagKey, error) {
	k := &flagKey{id: id}
	err := tx.queryRow(ctx, `SELECT score FROM flags WHERE id = ?`, id).Scan(&k.score)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, event.Errorf(event.ECONFLICT, "cursor %d: that flag is no longer stored; list again from the first page", id)
	}
	return k, err
}

// listFlags returns a page of flags in f's sort and the cursor of the next
// page, with the decision on each decided flag.
func listFlags(ctx context.Context, tx *tx, f event.FlagFilter, limit int) ([]event.Flag, int64, error) {
	q := &flagQuery{f: f, now: tx.now, limit: limit + 1} // one more tells whether a page follows
	if f.After > 0 {
		q.after = &flagKey{id: f.After}
		if s := f.Sort; s == event.SortSeverity || s == event.SortScore {
			var err error
			if q.after, err = flagKeyOf(ctx, tx, f.After); err != nil {
				return nil, 0, err
			}
		}
	}
	fs, err := queryFlags(ctx, tx, q)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(fs) > limit {
		fs = fs[:limit]
		next = fs[limit-1].ID
	}
	if err := attachDecisions(ctx, tx, fs); err != nil {
		return nil, 0, err
	}
	return fs, next, nil
}

// attachDecisions sets the latest decision on each decided flag of fs.
func attachDecisions(ctx context.Context, tx *tx, fs []event.Flag) error {
	index := map[int64]int{}
	var ids []any
	for i := range fs {
		switch fs[i].Status {
		case event.StatusConfirmed, event.StatusDismissed, event.StatusEscalated:
			index[fs[i].ID] = i
			ids = append(ids, fs[i].ID)
		case event.StatusClaimed:
			// A flag claimed from the escalated queue has its
			// escalation.
			index[fs[i].ID] = i
			ids = append(ids, fs[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT flag_id, decision, note, translation, reviewer, decided_at
FROM decisions WHERE flag_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY id`, ids...)
	if err != nil {
		return fmt.Errorf("decisions: %w", err)
	}
	for rows.Next() {
		d := &event.Decision{}
		if err := rows.Scan(&d.FlagID, &d.Decision, &d.Note, &d.Translation, &d.Reviewer, timeColumn{&d.DecidedAt}); err != nil {
			rows.Close()
			return fmt.Errorf("decisions: %w", err)
		}
		fs[index[d.FlagID]].Decision = d // the latest, by id, wins
	}
	return closeRows(rows)
}

// leaseKey is the lease of a flag.
func leaseKey(id int64) string { return "flag:" + strconv.FormatInt(id, 10) }
