package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilhq/vigil/event"
)

// Page sizes, as documented on event.AccountFilter and event.FlagFilter.
const (
	DefaultAccountLimit = 100
	MaxAccountLimit     = 1000
	DefaultFlagLimit    = 50
	MaxFlagLimit        = 500
)

// pageLimit applies a filter's default and maximum page size; a negative
// limit is invalid.
func pageLimit(limit, def, most int) (int, error) {
	switch {
	case limit < 0:
		return 0, event.Errorf(event.EINVALID, "limit %d must not be negative", limit)
	case limit == 0:
		return def, nil
	case limit > most:
		return most, nil
	}
	return limit, nil
}

// ListAccounts returns a page of accounts, most flagged first, then most
// recently seen, then by platform and id (all descending, so that pages
// do not overlap and a cursor is one row comparison).
// Categories is never nil; Handles are oldest first; Lists are sorted.
// With Flagged the page comes from an index of flagged accounts; without
// it every account matching the platform is sorted, which costs more on a
// large store.
func (s *Store) ListAccounts(ctx context.Context, f event.AccountFilter) ([]event.Account, error) {
	limit, err := pageLimit(f.Limit, DefaultAccountLimit, MaxAccountLimit)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 {
		return nil, event.Errorf(event.EINVALID, "offset %d must not be negative", f.Offset)
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer tx.Rollback()
	as, err := listAccounts(ctx, tx, f, limit)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return as, nil
}

func listAccounts(ctx context.Context, tx *tx, f event.AccountFilter, limit int) ([]event.Account, error) {
	var where []string
	var args []any
	if f.Flagged {
		where = append(where, "flag_count > 0")
	}
	if f.Platform != "" {
		where = append(where, "platform = ?")
		args = append(args, f.Platform)
	}
	if f.List != "" {
		where = append(where, `EXISTS (SELECT 1 FROM account_lists l
	WHERE l.platform = accounts.platform AND l.account_id = accounts.account_id AND l.list = ?)`)
		args = append(args, f.List)
	}
	if c := f.After; c != nil {
		// The accounts after c in the order: a row comparison, which an
		// index in the same order (0009) starts its scan at. With a
		// platform filter the platform is fixed and left out, so that
		// the comparison matches accounts_by_platform_flags.
		if f.Platform != "" {
			where = append(where, "(flag_count, last_seen, account_id) < (?, ?, ?)")
			args = append(args, c.FlagCount, encodeTime(c.LastSeen), c.ID)
		} else {
			where = append(where, "(flag_count, last_seen, platform, account_id) < (?, ?, ?, ?)")
			args = append(args, c.FlagCount, encodeTime(c.LastSeen), c.Platform, c.ID)
		}
	}
	args = append(args, limit, f.Offset)
	return accountsPage(ctx, tx, "FROM accounts"+whereClause(where)+
		" ORDER BY flag_count DESC, last_seen DESC, platform DESC, account_id DESC LIMIT ? OFFSET ?", args)
}

// accountsPage reads the accounts that page selects, in its order, with
// their handles, categories and lists. page is a FROM clause on accounts
// (unaliased) with its conditions and order, and args its arguments. The
// page's keys are read first, alone, so that an index holding the whole
// order (0007) answers it without reading the table (deep offsets skip
// index entries, not rows), and the page is computed once; the rest is
// read by key.
func accountsPage(ctx context.Context, tx *tx, page string, args []any) ([]event.Account, error) {
	rows, err := tx.query(ctx, `SELECT platform, account_id `+page, args...)
	if err != nil {
		return nil, err
	}
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	return accountsByKey(ctx, tx, keys)
}

// accountsByKey reads the accounts keys name, in that order, with their
// handles, categories and lists; an account that does not exist is left
// out.
func accountsByKey(ctx context.Context, tx *tx, keys [][2]string) ([]event.Account, error) {
	if len(keys) == 0 {
		return []event.Account{}, nil
	}
	// (platform, account_id) IN (VALUES (?, ?), ...): a row-value list,
	// which SQLite (3.15 and later) and PostgreSQL both take.
	list := "(VALUES (?, ?)" + strings.Repeat(", (?, ?)", len(keys)-1) + ")"
	args := make([]any, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, k[0], k[1])
	}
	byKey := make(map[[2]string]*event.Account, len(keys))
	rows, err := tx.query(ctx, `SELECT platform, account_id, handle, name, post_count, flag_count,
	first_seen, last_seen FROM accounts WHERE (platform, account_id) IN `+list, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		a := &event.Account{Categories: map[string]int{}}
		if err := rows.Scan(&a.Platform, &a.ID, &a.Handle, &a.Name, &a.PostCount, &a.FlagCount,
			timeColumn{&a.FirstSeen}, timeColumn{&a.LastSeen}); err != nil {
			rows.Close()
			return nil, err
		}
		byKey[[2]string{a.Platform, a.ID}] = a
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if len(byKey) == 0 {
		return []event.Account{}, nil
	}

	where := " c WHERE (c.platform, c.account_id) IN " + list
	err = eachRow(ctx, tx, `SELECT c.platform, c.account_id, c.handle FROM account_handles`+where+`
	ORDER BY c.first_seen, c.handle`, args, func(k [2]string, v string, _ int) {
		if a := byKey[k]; a != nil {
			a.Handles = append(a.Handles, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("handles: %w", err)
	}
	err = eachRow(ctx, tx, `SELECT c.platform, c.account_id, c.category, c.flag_count
	FROM account_categories`+where, args, func(k [2]string, v string, n int) {
		if a := byKey[k]; a != nil {
			a.Categories[v] = n
		}
	})
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	err = eachRow(ctx, tx, `SELECT c.platform, c.account_id, c.list FROM account_lists`+where+`
	ORDER BY c.list`, args, func(k [2]string, v string, _ int) {
		if a := byKey[k]; a != nil {
			a.Lists = append(a.Lists, v)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("lists: %w", err)
	}
	as := make([]event.Account, 0, len(byKey))
	for _, k := range keys {
		if a := byKey[k]; a != nil {
			as = append(as, *a)
		}
	}
	return as, nil
}

// eachRow runs a query whose rows are (platform, account_id, value) or
// (platform, account_id, value, count) and calls fn for each.
func eachRow(ctx context.Context, tx *tx, query string, args []any, fn func(k [2]string, v string, n int)) error {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return err
	}
	for rows.Next() {
		var k [2]string
		var v string
		var n int
		dst := []any{&k[0], &k[1], &v, &n}[:len(cols)]
		if err := rows.Scan(dst...); err != nil {
			rows.Close()
			return err
		}
		fn(k, v, n)
	}
	return closeRows(rows)
}

// ListFlags returns a page of flags in f.Sort's order (newest first, by
// id, by default) and the cursor of the next page: the last id of this
// page when the page is full and more flags follow, else 0. A category
// filter matches one category exactly, list one element of the flag's
// lists, region one of the gazetteer regions its post names (the
// verdict's Regions; before migration 0010 region matched a tag) and
// group one of the target groups it names (the verdict's Groups). A
// status filter is the status as read: a claim whose lease lapsed reads
// as the status it was claimed from (flagquery.go). Decided flags carry their latest decision.
func (s *Store) ListFlags(ctx context.Context, f event.FlagFilter) ([]event.Flag, int64, error) {
	limit, err := pageLimit(f.Limit, DefaultFlagLimit, MaxFlagLimit)
	if err != nil {
		return nil, 0, err
	}
	if f.After < 0 {
		return nil, 0, event.Errorf(event.EINVALID, "cursor %d must not be negative", f.After)
	}
	if err := checkFlagFilter(&f); err != nil {
		return nil, 0, err
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("list flags: %w", err)
	}
	defer tx.Rollback()
	fs, next, err := listFlags(ctx, tx, f, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list flags: %w", err)
	}
	return fs, next, nil
}

// FindPost returns a stored post with its current verdict and its flag's
// id: 0 when it has none. A flag a monitor had reviewed is kept when a
// later verdict stops flagging the post, so FlagID may be set while
// Verdict.Flagged is false.
func (s *Store) FindPost(ctx context.Context, platform, id string) (*event.StoredPost, error) {
	if platform == "" || id == "" {
		return nil, event.Errorf(event.EINVALID, "a post is found by platform and id, both required")
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find post %s/%s: %w", platform, id, err)
	}
	defer tx.Rollback()
	p, err := findPost(ctx, tx, platform, id)
	if err != nil {
		return nil, fmt.Errorf("find post %s/%s: %w", platform, id, err)
	}
	return p, nil
}

func findPost(ctx context.Context, tx *tx, platform, id string) (*event.StoredPost, error) {
	var sp event.StoredPost
	p := &sp.Post
	var verdict sql.NullString
	var lexiconHash string
	err := tx.queryRow(ctx, `SELECT p.platform, p.post_id, p.author_id, p.handle, p.name, p.text,
	p.created_at, p.url, p.lang, p.captured_at, p.source, p.raw, p.raw_sha256, p.verdict,
	p.lexicon_hash, p.stored_at, COALESCE(f.id, 0)
FROM posts p LEFT JOIN flags f ON f.platform = p.platform AND f.post_id = p.post_id
WHERE p.platform = ? AND p.post_id = ?`, platform, id).Scan(
		&p.Platform, &p.ID, &p.Author.ID, &p.Author.Handle, &p.Author.Name, &p.Text,
		timeColumn{&p.CreatedAt}, &p.URL, &p.Lang, timeColumn{&p.CapturedAt}, &p.Source, &p.Raw,
		&p.RawSHA256, &verdict, &lexiconHash, timeColumn{&sp.StoredAt}, &sp.FlagID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, event.Errorf(event.ENOTFOUND, "post %s/%s not found", platform, id)
	}
	if err != nil {
		return nil, err
	}
	if verdict.Valid {
		v := &event.Verdict{}
		if err := json.Unmarshal([]byte(verdict.String), &verdictNoPost{Verdict: v}); err != nil {
			return nil, fmt.Errorf("decode verdict: %w", err)
		}
		v.Post = sp.Post
		v.LexiconHash = lexiconHash
		sp.Verdict = v
	}
	return &sp, nil
}

// PostKey names a post.
type PostKey struct{ Platform, ID string }

// FindVerdicts returns the current verdict on each of the given posts
// that is stored, by post; a post not stored is absent from the map. To
// keep a large batch cheap, each verdict's Post holds only the post's
// platform, id, author id and raw_sha256, not its text or payload.
// `vigil replay` compares new verdicts with these.
func (s *Store) FindVerdicts(ctx context.Context, keys []PostKey) (map[PostKey]*event.Verdict, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find %d verdicts: %w", len(keys), err)
	}
	defer tx.Rollback()
	out, err := findVerdicts(ctx, tx, keys)
	if err != nil {
		return nil, fmt.Errorf("find %d verdicts: %w", len(keys), err)
	}
	return out, nil
}

func findVerdicts(ctx context.Context, tx *tx, keys []PostKey) (map[PostKey]*event.Verdict, error) {
	out := make(map[PostKey]*event.Verdict, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	st, err := tx.prepare(ctx, `SELECT author_id, raw_sha256, lexicon_hash, verdict
FROM posts WHERE platform = ? AND post_id = ?`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	for _, k := range keys {
		if _, done := out[k]; done {
			continue
		}
		v := &event.Verdict{}
		var verdict sql.NullString
		var lexiconHash string
		err := st.QueryRowContext(ctx, k.Platform, k.ID).Scan(&v.Post.Author.ID, &v.Post.RawSHA256, &lexiconHash, &verdict)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("post %s/%s: %w", k.Platform, k.ID, err)
		}
		if verdict.Valid {
			if err := json.Unmarshal([]byte(verdict.String), &verdictNoPost{Verdict: v}); err != nil {
				return nil, fmt.Errorf("post %s/%s: decode verdict: %w", k.Platform, k.ID, err)
			}
		}
		v.Post.Platform, v.Post.ID, v.LexiconHash = k.Platform, k.ID, lexiconHash
		out[k] = v
	}
	return out, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// closeRows closes rows and returns the error that ended iteration.
func closeRows(rows *sql.Rows) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// jsonColumn scans a JSON document into dst; NULL leaves dst unchanged.
type jsonColumn struct{ dst any }

func (c jsonColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan JSON: unsupported type %T", src)
	}
	if err := json.Unmarshal(b, c.dst); err != nil {
		return fmt.Errorf("scan JSON: %w", err)
	}
	return nil
}
