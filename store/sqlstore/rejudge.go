package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
//     matches and lists are updated (its review status is kept);
//   - no longer flagged: a flag still pending review is deleted, so that
//     it leaves the queue; a flag a monitor has claimed or decided on
//     (any status other than pending) is kept as it was reviewed, with
//     unflagged_at set, so that no review work is ever lost;
//   - accounts: flag_count and the category counts are those of the
//     posts' current verdicts, whatever the order of the changes; lists
//     only grow (an account found on a list once stays recorded as such).

// current is what re-judgement needs of a post's current verdict.
type current struct {
	authorID     string
	rawSHA256    string
	lexicon      string
	lexiconHash  string
	classifiedAt time.Time
	flagged      bool
	categories   []string
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
func rejudge(ctx context.Context, tx *tx, later []*verdictRow) error {
	type state struct {
		stored current
		cur    current
		next   *verdictRow // the verdict that becomes current, nil if none
	}
	states := map[postKey]*state{}
	var order []postKey
	for _, r := range later {
		v := r.v
		k := postKey{v.Post.Platform, v.Post.ID}
		st := states[k]
		if st == nil {
			c, err := loadCurrent(ctx, tx, k)
			if err != nil {
				return fmt.Errorf("re-judge post %s/%s: %w", k.platform, k.id, err)
			}
			st = &state{stored: c, cur: c}
			states[k] = st
			order = append(order, k)
		}
		if !st.cur.replaces(v) {
			continue
		}
		st.next = r
		st.cur = current{authorID: st.stored.authorID, rawSHA256: st.stored.rawSHA256,
			lexicon: v.Lexicon, lexiconHash: v.LexiconHash, classifiedAt: v.ClassifiedAt,
			flagged: v.Flagged, categories: v.Categories}
	}
	for _, k := range order {
		st := states[k]
		if st.next == nil {
			continue
		}
		if err := applyVerdict(ctx, tx, k, &st.stored, st.next); err != nil {
			return fmt.Errorf("re-judge post %s/%s: %w", k.platform, k.id, err)
		}
	}
	return nil
}

func loadCurrent(ctx context.Context, tx *tx, k postKey) (current, error) {
	var c current
	var verdict sql.NullString
	err := tx.queryRow(ctx, `SELECT author_id, raw_sha256, lexicon, lexicon_hash, classified_at,
	flagged, verdict FROM posts WHERE platform = ? AND post_id = ?`, k.platform, k.id).Scan(
		&c.authorID, &c.rawSHA256, &c.lexicon, &c.lexiconHash, timeColumn{&c.classifiedAt},
		&c.flagged, &verdict)
	if err != nil {
		return c, err
	}
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
// is old.
func applyVerdict(ctx context.Context, tx *tx, k postKey, old *current, r *verdictRow) error {
	v := r.v
	_, err := tx.exec(ctx, `UPDATE posts SET lexicon = ?, lexicon_hash = ?, pipeline = ?, flagged = ?,
	verdict = ?, classified_at = ? WHERE platform = ? AND post_id = ?`,
		v.Lexicon, v.LexiconHash, v.Pipeline, v.Flagged, r.verdict, r.classifiedAt, k.platform, k.id)
	if err != nil {
		return fmt.Errorf("update post: %w", err)
	}
	if err := rejudgeFlag(ctx, tx, k, old, r); err != nil {
		return err
	}
	return rejudgeAccount(ctx, tx, k.platform, old, v)
}

func rejudgeFlag(ctx context.Context, tx *tx, k postKey, old *current, r *verdictRow) error {
	v := r.v
	var id int64
	var status string
	err := tx.queryRow(ctx, `SELECT id, status FROM flags WHERE platform = ? AND post_id = ?`,
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
		_, err := tx.exec(ctx, `UPDATE flags SET score = ?, categories = ?, tags = ?, matches = ?,
	lists = ?, lexicon = ?, lexicon_hash = ?, pipeline = ?, unflagged_at = NULL WHERE id = ?`,
			v.Score, r.categories, r.tags, r.matches, r.lists, v.Lexicon, v.LexiconHash, v.Pipeline, id)
		if err != nil {
			return fmt.Errorf("update flag %d: %w", id, err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM flag_categories WHERE flag_id = ?`, id); err != nil {
			return fmt.Errorf("update flag %d categories: %w", id, err)
		}
	case v.Flagged:
		p := &v.Post
		args := []any{k.platform, k.id, old.authorID, p.Author.Handle, v.Score, r.categories, r.tags,
			r.matches, r.lists, v.Lexicon, v.LexiconHash, v.Pipeline, encodeTime(at), r.createdAt}
		err := tx.queryValues(ctx, &insertFlags, args, func(rs *sql.Rows) error {
			var pl, pid string
			return rs.Scan(&id, &pl, &pid)
		})
		if err != nil {
			return fmt.Errorf("insert flag: %w", err)
		}
	case exists && status == event.StatusPending:
		if _, err := tx.exec(ctx, `DELETE FROM flag_categories WHERE flag_id = ?`, id); err != nil {
			return fmt.Errorf("delete flag %d categories: %w", id, err)
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
	var args []any
	for i, c := range v.Categories {
		if c != "" && !slices.Contains(v.Categories[:i], c) {
			args = append(args, c, id)
		}
	}
	if err := tx.execValues(ctx, &insertFlagCategories, args); err != nil {
		return fmt.Errorf("insert flag %d categories: %w", id, err)
	}
	return nil
}

// rejudgeAccount moves the author's aggregates from the old verdict to v.
func rejudgeAccount(ctx context.Context, tx *tx, platform string, old *current, v *event.Verdict) error {
	account := old.authorID
	flags := 0
	var cats []categoryCount
	count := func(categories []string, d int) {
		flags += d
		for i, c := range categories {
			if c == "" || slices.Contains(categories[:i], c) {
				continue
			}
			j := slices.IndexFunc(cats, func(cc categoryCount) bool { return cc.category == c })
			if j < 0 {
				j = len(cats)
				cats = append(cats, categoryCount{category: c})
			}
			cats[j].flags += d
		}
	}
	if old.flagged {
		count(old.categories, -1)
	}
	if v.Flagged {
		count(v.Categories, +1)
	}
	if flags != 0 {
		_, err := tx.exec(ctx, `UPDATE accounts SET flag_count = flag_count + ? WHERE platform = ? AND account_id = ?`,
			flags, platform, account)
		if err != nil {
			return fmt.Errorf("update account: %w", err)
		}
	}
	var args []any
	for _, c := range cats {
		if c.flags != 0 {
			args = append(args, platform, account, c.category, c.flags)
		}
	}
	if len(args) > 0 {
		if err := tx.execValues(ctx, &upsertAccountCategories, args); err != nil {
			return fmt.Errorf("update account categories: %w", err)
		}
		_, err := tx.exec(ctx, `DELETE FROM account_categories
	WHERE platform = ? AND account_id = ? AND flag_count <= 0`, platform, account)
		if err != nil {
			return fmt.Errorf("update account categories: %w", err)
		}
	}
	args = args[:0]
	for i, l := range v.Lists {
		if l.List != "" && !slices.ContainsFunc(v.Lists[:i], func(x event.ListHit) bool { return x.List == l.List }) {
			args = append(args, platform, account, l.List)
		}
	}
	if err := tx.execValues(ctx, &insertAccountLists, args); err != nil {
		return fmt.Errorf("update account lists: %w", err)
	}
	return nil
}
