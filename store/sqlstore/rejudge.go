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

// Re-judgement: a post's current verdict is the one its posts row holds
// (lexicon, lexicon_hash, classified_at, flagged, verdict). A later verdict
// from other lexicons replaces it, which is how a lexicon change replayed
// over history (`vigil replay --apply`) reaches the store. The post as
// captured never changes; the flag and the account aggregates follow the
// new verdict:
//
//   - flagged now: the flag is created, or its score, categories, tags,
//     target groups, regions, places, matches and lists are updated (its
//     review status is kept);
//   - no longer flagged: a flag still pending review is deleted, so that
//     it leaves the queue; a flag a monitor has claimed or decided on
//     (any status other than pending) is kept as it was reviewed, with
//     unflagged_at set, so that no review work is ever lost;
//   - accounts: flag_count and the category counts are those of the
//     posts' current verdicts, whatever the order of the changes; lists
//     only grow (an account found on a list once stays recorded as such).
//     The changes join the batch's account deltas (write.go), so that a
//     transaction writes each account once, in key order, after every post
//     and flag: two PostgreSQL writers then never wait for each other's
//     locks in opposite orders.

// current is what re-judgement needs of a post's current verdict.
type current struct {
	authorID     string
	rawSHA256    string
	lexicon      string
	lexiconHash  string
	classifiedAt time.Time
	flagged      bool
	categories   []string
	// seen is when the post was seen, as its account counts it (see
	// accountDeltas.add): its account's first_seen and last_seen span it.
	seen time.Time
}

// replaces reports whether v takes over from the current verdict c: it
// judged the same payload, with other lexicons, later. A verdict from the
// same lexicons (a classify redelivery) or an older one (out of order)
// never does.
func (c *current) replaces(v *event.Verdict) bool {
	return v.Post.RawSHA256 == c.rawSHA256 &&
		(v.Lexicon != c.lexicon || v.LexiconHash != c.lexiconHash) &&
		v.ClassifiedAt.After(c.classifiedAt)
}

// rejudge applies the verdicts in later, which are new to the history and
// whose posts were stored before them (in an earlier batch or earlier in
// this one), in order. Only each post's last replacing verdict is
// written: the aggregates move from the stored verdict to it directly.
//
// The posts' current verdicts are read first, in key order, each locking
// its post (the dialect's forUpdate) until the transaction ends: another
// transaction re-judging one of them waits, and then reads what this one
// wrote. The account changes are added to accounts, for writeAccounts.
func rejudge(ctx context.Context, tx *tx, later []*verdictRow, accounts *accountDeltas) error {
	type state struct {
		stored current
		cur    current
		next   *verdictRow // the verdict that becomes current, nil if none
	}
	states := map[postKey]*state{}
	var order []postKey
	for _, r := range later {
		k := postKey{r.key.platform, r.key.id}
		if _, ok := states[k]; !ok {
			states[k] = nil
			order = append(order, k)
		}
	}
	locking := slices.Clone(order)
	slices.SortFunc(locking, func(a, b postKey) int {
		return cmp.Or(strings.Compare(a.platform, b.platform), strings.Compare(a.id, b.id))
	})
	for _, k := range locking {
		c, err := loadCurrent(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("re-judge post %s/%s: %w", k.platform, k.id, err)
		}
		states[k] = &state{stored: c, cur: c}
	}
	for _, r := range later {
		v := r.v
		st := states[postKey{r.key.platform, r.key.id}]
		if !st.cur.replaces(v) {
			continue
		}
		st.next = r
		st.cur = current{authorID: st.stored.authorID, rawSHA256: st.stored.rawSHA256,
			lexicon: v.Lexicon, lexiconHash: v.LexiconHash, classifiedAt: v.ClassifiedAt,
			flagged: v.Flagged, categories: v.Categories, seen: st.stored.seen}
	}
	for _, k := range order {
		st := states[k]
		if st.next == nil {
			continue
		}
		if err := applyVerdict(ctx, tx, k, &st.stored, st.next); err != nil {
			return fmt.Errorf("re-judge post %s/%s: %w", k.platform, k.id, err)
		}
		accounts.rejudge(k.platform, &st.stored, st.next.v)
	}
	return nil
}

func loadCurrent(ctx context.Context, tx *tx, k postKey) (current, error) {
	var c current
	var verdict sql.NullString
	var created, captured, stored time.Time
	err := tx.queryRow(ctx, `SELECT author_id, raw_sha256, lexicon, lexicon_hash, classified_at,
	flagged, verdict, created_at, captured_at, stored_at
FROM posts WHERE platform = ? AND post_id = ?`+tx.d.forUpdate, k.platform, k.id).Scan(
		&c.authorID, &c.rawSHA256, &c.lexicon, &c.lexiconHash, timeColumn{&c.classifiedAt},
		&c.flagged, &verdict, timeColumn{&created}, timeColumn{&captured}, timeColumn{&stored})
	if err != nil {
		return c, err
	}
	c.seen = seenAt(created, captured, stored)
	if verdict.Valid {
		var v struct {
			Categories []string `json:"categories"`
		}
		if err := json.Unmarshal([]byte(verdict.String), &v); err != nil {
			return c, fmt.Errorf("decode stored verdict: %w", err)
		}
		c.categories = v.Categories
	}
	return c, nil
}

// applyVerdict makes r the current verdict of post k, whose stored verdict
// is old: the post and its flag. The caller moves the account aggregates.
func applyVerdict(ctx context.Context, tx *tx, k postKey, old *current, r *verdictRow) error {
	v := r.v
	_, err := tx.exec(ctx, `UPDATE posts SET lexicon = ?, lexicon_hash = ?, pipeline = ?, flagged = ?,
	verdict = ?, classified_at = ? WHERE platform = ? AND post_id = ?`,
		v.Lexicon, v.LexiconHash, v.Pipeline, v.Flagged, r.verdict, r.classifiedAt, k.platform, k.id)
	if err != nil {
		return fmt.Errorf("update post: %w", err)
	}
	return rejudgeFlag(ctx, tx, k, old, r)
}

func rejudgeFlag(ctx context.Context, tx *tx, k postKey, old *current, r *verdictRow) error {
	v := r.v
	var id int64
	var status string
	// Locked, so that a monitor's review cannot land between reading the
	// status and acting on it.
	err := tx.queryRow(ctx, `SELECT id, status FROM flags WHERE platform = ? AND post_id = ?`+tx.d.forUpdate,
		k.platform, k.id).Scan(&id, &status)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("find flag: %w", err)
	}
	at := v.ClassifiedAt
	if at.IsZero() {
		at = tx.now
	}
	switch {
	case v.Flagged && exists:
		_, err := tx.exec(ctx, `UPDATE flags SET score = ?, categories = ?, tags = ?, target_groups = ?,
	regions = ?, places = ?, matches = ?, lists = ?, lexicon = ?, lexicon_hash = ?, pipeline = ?,
	unflagged_at = NULL WHERE id = ?`,
			v.Score, r.categories, r.tags, r.groups, r.regions, r.places, r.matches, r.lists,
			v.Lexicon, v.LexiconHash, v.Pipeline, id)
		if err != nil {
			return fmt.Errorf("update flag %d: %w", id, err)
		}
		if err := deleteFlagRows(ctx, tx, id); err != nil {
			return err
		}
	case v.Flagged:
		p := &v.Post
		args := []any{k.platform, k.id, old.authorID, p.Author.Handle, v.Score, r.categories, r.tags,
			r.groups, r.regions, r.places, r.matches, r.lists, v.Lexicon, v.LexiconHash, v.Pipeline,
			encodeTime(at), r.createdAt}
		err := tx.queryValues(ctx, &insertFlags, args, func(rs *sql.Rows) error {
			var pl, pid string
			return rs.Scan(&id, &pl, &pid)
		})
		if err != nil {
			return fmt.Errorf("insert flag: %w", err)
		}
	case exists && status == event.StatusPending:
		if err := deleteFlagRows(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM flags WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete flag %d: %w", id, err)
		}
		return nil
	case exists:
		// Reviewed: kept as it was reviewed, marked no longer flagged.
		_, err := tx.exec(ctx, `UPDATE flags SET unflagged_at = COALESCE(unflagged_at, ?) WHERE id = ?`,
			encodeTime(at), id)
		if err != nil {
			return fmt.Errorf("mark flag %d no longer flagged: %w", id, err)
		}
		return nil
	default:
		return nil
	}
	cats, labels := flagRows(nil, nil, id, v)
	if err := tx.execValues(ctx, &insertFlagCategories, cats); err != nil {
		return fmt.Errorf("insert flag %d categories: %w", id, err)
	}
	if err := tx.execValues(ctx, &insertFlagLabels, labels); err != nil {
		return fmt.Errorf("insert flag %d regions and groups: %w", id, err)
	}
	return nil
}

// deleteFlagRows deletes the flag_categories and flag_labels rows of flag
// id, before it is re-judged or deleted.
func deleteFlagRows(ctx context.Context, tx *tx, id int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM flag_categories WHERE flag_id = ?`, id); err != nil {
		return fmt.Errorf("delete flag %d categories: %w", id, err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM flag_labels WHERE flag_id = ?`, id); err != nil {
		return fmt.Errorf("delete flag %d regions and groups: %w", id, err)
	}
	return nil
}

// rejudge adds to the delta of the post's author the move of its
// aggregates from the old verdict to v: flags and categories counted by
// the current verdicts, lists that only grow. The post counts no new post
// and is seen at its own time, which its account's span already holds, so
// the account's other columns stay as they are.
func (ds *accountDeltas) rejudge(platform string, old *current, v *event.Verdict) {
	a := ds.delta(platform, old.authorID, old.seen)
	count := func(categories []string, d int) {
		a.flags += d
		for i, c := range categories {
			if c == "" || slices.Contains(categories[:i], c) {
				continue
			}
			a.addCategory(c, d)
		}
	}
	if old.flagged {
		count(old.categories, -1)
	}
	if v.Flagged {
		count(v.Categories, +1)
	}
	a.addLists(v.Lists)
}
