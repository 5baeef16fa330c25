package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/event"
)

// Cases (migration 0006): what an advocate takes to a platform, one
// campaign or one network of accounts, with the flags that show it.
//
// Every change runs in a write transaction that first locks the case's
// row (the dialect's forUpdate), so that changes to one case take turns,
// then writes the change, moves the case's updated_at and appends a
// case_update entry to the audit log, last (appendAuditTx), naming what
// changed by field names and ids, never by free text. A change that
// changes nothing (an account added twice, a field set to the value it
// has, a member removed that was not there) writes nothing and appends
// nothing. The lock order (the case, its member rows, the accounts' rows
// that the foreign key checks FOR KEY SHARE, the audit head) is the same
// in every case transaction, and the verdict writers never take a lock
// those checks wait for, so PostgreSQL's deadlock retry is a safety net.
//
// case_flags has no foreign key to flags (see the migration): a flag
// deleted by a re-judgement shows in CaseDetail.MissingFlags, named by
// its post.

var (
	_ event.CaseService        = (*Store)(nil)
	_ event.AccountViewService = (*Store)(nil)
)

// Page sizes of ListCases, as documented on event.CaseFilter.
const (
	DefaultCaseLimit = 100
	MaxCaseLimit     = 1000
)

// FindAccount implements event.AccountViewService: the account's
// aggregate (as ListAccounts gives it), its handles with when each was
// first and last seen (oldest first), its flags by review status and the
// cases that hold it.
func (s *Store) FindAccount(ctx context.Context, platform, id string) (*event.AccountView, error) {
	if platform == "" || id == "" {
		return nil, event.Errorf(event.EINVALID, "an account is found by platform and id, both required")
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find account %s/%s: %w", platform, id, err)
	}
	defer tx.Rollback()
	v, err := findAccount(ctx, tx, platform, id)
	if err != nil {
		return nil, fmt.Errorf("find account %s/%s: %w", platform, id, err)
	}
	return v, nil
}

func findAccount(ctx context.Context, tx *tx, platform, id string) (*event.AccountView, error) {
	key := []any{platform, id}
	as, err := accountsPage(ctx, tx, "FROM accounts WHERE platform = ? AND account_id = ?", key)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, event.Errorf(event.ENOTFOUND, "account %s/%s not found", platform, id)
	}
	v := &event.AccountView{
		Account:       as[0],
		HandleHistory: []event.HandleSeen{},
		FlagsByStatus: map[string]int{},
		Cases:         []event.CaseRef{},
	}
	for _, st := range event.FlagStatuses {
		v.FlagsByStatus[st] = 0
	}

	rows, err := tx.query(ctx, `SELECT handle, first_seen, last_seen FROM account_handles
WHERE platform = ? AND account_id = ? ORDER BY first_seen, handle`, key...)
	if err != nil {
		return nil, fmt.Errorf("handles: %w", err)
	}
	for rows.Next() {
		var h event.HandleSeen
		if err := rows.Scan(&h.Handle, timeColumn{&h.FirstSeen}, timeColumn{&h.LastSeen}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("handles: %w", err)
		}
		v.HandleHistory = append(v.HandleHistory, h)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("handles: %w", err)
	}

	// A flag whose post a later verdict no longer flags (unflagged_at
	// set) is out of the aggregates; it is counted apart.
	// A lapsed claim counts as the status it came from (statusAsRead).
	rows, err = tx.query(ctx, `SELECT `+statusAsRead+` AS st, CASE WHEN f.unflagged_at IS NULL THEN 1 ELSE 0 END AS counted, COUNT(*)
FROM `+flagsByAuthor(tx.d)+` WHERE f.platform = ? AND f.author_id = ?
GROUP BY st, counted`, append([]any{encodeTime(tx.now)}, key...)...)
	if err != nil {
		return nil, fmt.Errorf("flag statuses: %w", err)
	}
	for rows.Next() {
		var status string
		var counted, n int
		if err := rows.Scan(&status, &counted, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("flag statuses: %w", err)
		}
		if counted == 1 {
			v.FlagsByStatus[status] += n
		} else {
			v.UnflaggedReviewed += n
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("flag statuses: %w", err)
	}

	rows, err = tx.query(ctx, `SELECT c.id, c.title, c.status
FROM case_accounts ca JOIN cases c ON c.id = ca.case_id
WHERE ca.platform = ? AND ca.account_id = ? ORDER BY c.id`, key...)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	for rows.Next() {
		var c event.CaseRef
		if err := rows.Scan(&c.ID, &c.Title, &c.Status); err != nil {
			rows.Close()
			return nil, fmt.Errorf("cases: %w", err)
		}
		v.Cases = append(v.Cases, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	return v, nil
}

// caseColumns selects a case with its member counts, from cases c.
const caseColumns = `SELECT c.id, c.title, c.description, c.status, c.created_at, c.created_by, c.updated_at,
	(SELECT COUNT(*) FROM case_accounts ca WHERE ca.case_id = c.id),
	(SELECT COUNT(*) FROM case_flags cf WHERE cf.case_id = c.id)
FROM cases c`

func scanCase(row interface{ Scan(...any) error }, c *event.Case) error {
	return row.Scan(&c.ID, &c.Title, &c.Description, &c.Status, timeColumn{&c.CreatedAt}, &c.CreatedBy,
		timeColumn{&c.UpdatedAt}, &c.AccountCount, &c.FlagCount)
}

func readCase(ctx context.Context, tx *tx, id int64) (event.Case, error) {
	var c event.Case
	err := scanCase(tx.queryRow(ctx, caseColumns+` WHERE c.id = ?`, id), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	return c, err
}

// CreateCase implements event.CaseService: an open case, with a
// case_update entry {"change":"create"}.
func (s *Store) CreateCase(ctx context.Context, n event.NewCase) (event.Case, error) {
	if err := event.CheckCaseTitle(n.Title); err != nil {
		return event.Case{}, err
	}
	if err := event.CheckCaseDescription(n.Description); err != nil {
		return event.Case{}, err
	}
	actor := auditActor(n.CreatedBy)
	var c event.Case
	err := s.inWriteRetry(ctx, func(tx *tx) error {
		c = event.Case{Title: n.Title, Description: n.Description, Status: event.CaseOpen,
			CreatedAt: tx.now, CreatedBy: actor, UpdatedAt: tx.now}
		err := tx.queryRow(ctx, `INSERT INTO cases (title, description, status, created_at, created_by, updated_at)
VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			c.Title, c.Description, c.Status, encodeTime(tx.now), actor, encodeTime(tx.now)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("create case: %w", err)
		}
		return appendCaseAudit(ctx, tx, c.ID, actor, map[string]any{"change": "create", "status": c.Status})
	})
	if err != nil {
		return event.Case{}, err
	}
	return c, nil
}

// ListCases implements event.CaseService: most recently updated first.
func (s *Store) ListCases(ctx context.Context, f event.CaseFilter) ([]event.Case, error) {
	limit, err := pageLimit(f.Limit, DefaultCaseLimit, MaxCaseLimit)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 {
		return nil, event.Errorf(event.EINVALID, "offset %d must not be negative", f.Offset)
	}
	if f.Status != "" && !event.ValidCaseStatus(f.Status) {
		return nil, event.Errorf(event.EINVALID, "unknown case status %q", f.Status)
	}
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer tx.Rollback()
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "c.status = ?")
		args = append(args, f.Status)
	}
	rows, err := tx.query(ctx, caseColumns+whereClause(where)+` ORDER BY c.updated_at DESC, c.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	cs := []event.Case{}
	for rows.Next() {
		var c event.Case
		if err := scanCase(rows, &c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list cases: %w", err)
		}
		cs = append(cs, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return cs, nil
}

// GetCase implements event.CaseService.
func (s *Store) GetCase(ctx context.Context, id int64) (*event.CaseDetail, error) {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, err)
	}
	defer tx.Rollback()
	d, err := getCase(ctx, tx, id)
	if err != nil {
		return nil, fmt.Errorf("get case %d: %w", id, err)
	}
	return d, nil
}

func getCase(ctx context.Context, tx *tx, id int64) (*event.CaseDetail, error) {
	c, err := readCase(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	d := &event.CaseDetail{Case: c, Accounts: []event.CaseAccount{}, Flags: []event.CaseFlag{},
		MissingFlags: []event.MissingCaseFlag{}}

	as, err := accountsPage(ctx, tx, `FROM accounts WHERE EXISTS (SELECT 1 FROM case_accounts ca
	WHERE ca.case_id = ? AND ca.platform = accounts.platform AND ca.account_id = accounts.account_id)
ORDER BY platform, account_id`, []any{id})
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	index := make(map[[2]string]int, len(as))
	for i, a := range as {
		d.Accounts = append(d.Accounts, event.CaseAccount{Account: a})
		index[[2]string{a.Platform, a.ID}] = i
	}
	rows, err := tx.query(ctx, `SELECT platform, account_id, added_at, added_by FROM case_accounts WHERE case_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	for rows.Next() {
		var k [2]string
		var ca event.CaseAccount
		if err := rows.Scan(&k[0], &k[1], timeColumn{&ca.AddedAt}, &ca.AddedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("accounts: %w", err)
		}
		if i, ok := index[k]; ok {
			d.Accounts[i].AddedAt, d.Accounts[i].AddedBy = ca.AddedAt, ca.AddedBy
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}

	rows, err = tx.query(ctx, `SELECT f.id, f.platform, f.post_id, f.author_id, f.handle, f.score,
	f.categories, f.tags, f.target_groups, f.regions, f.places, f.matches, f.lists, f.lexicon,
	f.pipeline, `+statusAsRead+`, f.created_at, f.post_created_at, cf.added_at, cf.added_by
FROM case_flags cf JOIN flags f ON f.id = cf.flag_id
WHERE cf.case_id = ? ORDER BY f.id DESC`, encodeTime(tx.now), id)
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	for rows.Next() {
		var cf event.CaseFlag
		fl := &cf.Flag
		if err := rows.Scan(&fl.ID, &fl.Platform, &fl.PostID, &fl.AuthorID, &fl.Handle, &fl.Score,
			jsonColumn{&fl.Categories}, jsonColumn{&fl.Tags}, jsonColumn{&fl.Groups}, jsonColumn{&fl.Regions},
			jsonColumn{&fl.Places}, jsonColumn{&fl.Matches}, jsonColumn{&fl.Lists},
			&fl.Lexicon, &fl.Pipeline, &fl.Status, timeColumn{&fl.CreatedAt}, timeColumn{&fl.PostCreatedAt},
			timeColumn{&cf.AddedAt}, &cf.AddedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("flags: %w", err)
		}
		d.Flags = append(d.Flags, cf)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}

	rows, err = tx.query(ctx, `SELECT cf.flag_id, cf.platform, cf.post_id, cf.added_at, cf.added_by
FROM case_flags cf WHERE cf.case_id = ? AND NOT EXISTS (SELECT 1 FROM flags f WHERE f.id = cf.flag_id)
ORDER BY cf.flag_id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("missing flags: %w", err)
	}
	for rows.Next() {
		var m event.MissingCaseFlag
		if err := rows.Scan(&m.FlagID, &m.Platform, &m.PostID, timeColumn{&m.AddedAt}, &m.AddedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("missing flags: %w", err)
		}
		d.MissingFlags = append(d.MissingFlags, m)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("missing flags: %w", err)
	}
	return d, nil
}

// UpdateCase implements event.CaseService. The audit entry names the
// fields that changed and, when the status did, the old and new status:
// {"change":"update","fields":["status","title"],"status":{"from":"open","to":"closed"}}.
func (s *Store) UpdateCase(ctx context.Context, id int64, u event.CaseUpdate, by string) (event.Case, error) {
	if u.Title == nil && u.Description == nil && u.Status == nil {
		return event.Case{}, event.Errorf(event.EINVALID, "nothing to update: give title, description or status")
	}
	if u.Title != nil {
		if err := event.CheckCaseTitle(*u.Title); err != nil {
			return event.Case{}, err
		}
	}
	if u.Description != nil {
		if err := event.CheckCaseDescription(*u.Description); err != nil {
			return event.Case{}, err
		}
	}
	if u.Status != nil && !event.ValidCaseStatus(*u.Status) {
		return event.Case{}, event.Errorf(event.EINVALID, "status must be %s or %s", event.CaseOpen, event.CaseClosed)
	}
	actor := auditActor(by)
	var out event.Case
	err := s.inWriteRetry(ctx, func(tx *tx) error {
		c, err := lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		var fields []string
		details := map[string]any{"change": "update"}
		if u.Title != nil && *u.Title != c.Title {
			fields = append(fields, "title")
			c.Title = *u.Title
		}
		if u.Description != nil && *u.Description != c.Description {
			fields = append(fields, "description")
			c.Description = *u.Description
		}
		if u.Status != nil && *u.Status != c.Status {
			fields = append(fields, "status")
			details["status"] = map[string]string{"from": c.Status, "to": *u.Status}
			c.Status = *u.Status
		}
		if len(fields) > 0 {
			slices.Sort(fields)
			details["fields"] = fields
			if _, err := tx.exec(ctx, `UPDATE cases SET title = ?, description = ?, status = ?, updated_at = ? WHERE id = ?`,
				c.Title, c.Description, c.Status, encodeTime(tx.now), id); err != nil {
				return fmt.Errorf("update case %d: %w", id, err)
			}
			if err := appendCaseAudit(ctx, tx, id, actor, details); err != nil {
				return err
			}
		}
		out, err = readCase(ctx, tx, id)
		return err
	})
	if err != nil {
		return event.Case{}, err
	}
	return out, nil
}

// AddAccounts implements event.CaseService. The audit entry lists the
// accounts new to the case, sorted:
// {"accounts":[{"id":"44","platform":"x"}],"change":"add_accounts"}.
func (s *Store) AddAccounts(ctx context.Context, id int64, refs []event.AccountRef, by string) (int, error) {
	if len(refs) == 0 {
		return 0, event.Errorf(event.EINVALID, "no accounts to add")
	}
	if len(refs) > event.MaxCaseBatch {
		return 0, event.Errorf(event.EINVALID, "%d accounts: at most %d at once", len(refs), event.MaxCaseBatch)
	}
	for _, a := range refs {
		if a.Platform == "" || a.ID == "" {
			return 0, event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
		}
	}
	refs = slices.Clone(refs)
	slices.SortFunc(refs, compareAccountRefs)
	refs = slices.Compact(refs)
	actor := auditActor(by)
	var added []event.AccountRef
	err := s.inWriteRetry(ctx, func(tx *tx) error {
		added = nil
		if err := lockOpenCase(ctx, tx, id); err != nil {
			return err
		}
		for _, a := range refs {
			var one int
			err := tx.queryRow(ctx, `SELECT 1 FROM accounts WHERE platform = ? AND account_id = ?`, a.Platform, a.ID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return event.Errorf(event.ENOTFOUND, "account %s/%s not found", a.Platform, a.ID)
			}
			if err != nil {
				return fmt.Errorf("add accounts to case %d: %w", id, err)
			}
			res, err := tx.exec(ctx, `INSERT INTO case_accounts (case_id, platform, account_id, added_at, added_by)
VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, platform, account_id) DO NOTHING`,
				id, a.Platform, a.ID, encodeTime(tx.now), actor)
			if err != nil {
				return fmt.Errorf("add accounts to case %d: %w", id, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				added = append(added, a)
			}
		}
		if len(added) == 0 {
			return nil
		}
		return touchCase(ctx, tx, id, actor, map[string]any{"change": "add_accounts", "accounts": added})
	})
	if err != nil {
		return 0, err
	}
	return len(added), nil
}

// RemoveAccount implements event.CaseService:
// {"account":{"id":"44","platform":"x"},"change":"remove_account"}.
func (s *Store) RemoveAccount(ctx context.Context, id int64, a event.AccountRef, by string) error {
	if a.Platform == "" || a.ID == "" {
		return event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
	}
	actor := auditActor(by)
	return s.inWriteRetry(ctx, func(tx *tx) error {
		if err := lockOpenCase(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM case_accounts WHERE case_id = ? AND platform = ? AND account_id = ?`,
			id, a.Platform, a.ID)
		if err != nil {
			return fmt.Errorf("remove account from case %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return touchCase(ctx, tx, id, actor, map[string]any{"change": "remove_account", "account": a})
	})
}

// AddFlags implements event.CaseService:
// {"change":"add_flags","flag_ids":[3,5]} (the flags new to the case).
func (s *Store) AddFlags(ctx context.Context, id int64, flagIDs []int64, by string) (int, error) {
	if len(flagIDs) == 0 {
		return 0, event.Errorf(event.EINVALID, "no flags to add")
	}
	if len(flagIDs) > event.MaxCaseBatch {
		return 0, event.Errorf(event.EINVALID, "%d flags: at most %d at once", len(flagIDs), event.MaxCaseBatch)
	}
	for _, f := range flagIDs {
		if f <= 0 {
			return 0, event.Errorf(event.EINVALID, "flag id %d: must be positive", f)
		}
	}
	flagIDs = slices.Compact(slices.Sorted(slices.Values(flagIDs)))
	actor := auditActor(by)
	var added []int64
	err := s.inWriteRetry(ctx, func(tx *tx) error {
		added = nil
		if err := lockOpenCase(ctx, tx, id); err != nil {
			return err
		}
		for _, f := range flagIDs {
			var platform, postID string
			err := tx.queryRow(ctx, `SELECT platform, post_id FROM flags WHERE id = ?`, f).Scan(&platform, &postID)
			if errors.Is(err, sql.ErrNoRows) {
				return event.Errorf(event.ENOTFOUND, "flag %d not found", f)
			}
			if err != nil {
				return fmt.Errorf("add flags to case %d: %w", id, err)
			}
			res, err := tx.exec(ctx, `INSERT INTO case_flags (case_id, flag_id, platform, post_id, added_at, added_by)
VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, flag_id) DO NOTHING`,
				id, f, platform, postID, encodeTime(tx.now), actor)
			if err != nil {
				return fmt.Errorf("add flags to case %d: %w", id, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n > 0 {
				added = append(added, f)
			}
		}
		if len(added) == 0 {
			return nil
		}
		return touchCase(ctx, tx, id, actor, map[string]any{"change": "add_flags", "flag_ids": added})
	})
	if err != nil {
		return 0, err
	}
	return len(added), nil
}

// RemoveFlag implements event.CaseService:
// {"change":"remove_flag","flag_id":3}.
func (s *Store) RemoveFlag(ctx context.Context, id int64, flagID int64, by string) error {
	if flagID <= 0 {
		return event.Errorf(event.EINVALID, "flag id %d: must be positive", flagID)
	}
	actor := auditActor(by)
	return s.inWriteRetry(ctx, func(tx *tx) error {
		if err := lockOpenCase(ctx, tx, id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM case_flags WHERE case_id = ? AND flag_id = ?`, id, flagID)
		if err != nil {
			return fmt.Errorf("remove flag from case %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return touchCase(ctx, tx, id, actor, map[string]any{"change": "remove_flag", "flag_id": flagID})
	})
}

func compareAccountRefs(a, b event.AccountRef) int {
	if c := strings.Compare(a.Platform, b.Platform); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// lockCase reads a case's fields and locks its row until the transaction
// ends (PostgreSQL; SQLite's one writer excludes every other anyway).
func lockCase(ctx context.Context, tx *tx, id int64) (event.Case, error) {
	c := event.Case{ID: id}
	err := tx.queryRow(ctx, `SELECT title, description, status FROM cases WHERE id = ?`+tx.d.forUpdate, id).
		Scan(&c.Title, &c.Description, &c.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return c, event.Errorf(event.ENOTFOUND, "case %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("case %d: %w", id, err)
	}
	return c, nil
}

// lockOpenCase locks a case whose members are to change: a closed case's
// are what was taken to a platform and stay as they are (ECONFLICT).
func lockOpenCase(ctx context.Context, tx *tx, id int64) error {
	c, err := lockCase(ctx, tx, id)
	if err != nil {
		return err
	}
	if c.Status != event.CaseOpen {
		return event.Errorf(event.ECONFLICT, "case %d is %s: reopen it (status open) to change its accounts or flags", id, c.Status)
	}
	return nil
}

// touchCase moves a case's updated_at and appends the audit entry of a
// change to its members.
func touchCase(ctx context.Context, tx *tx, id int64, actor string, details map[string]any) error {
	if _, err := tx.exec(ctx, `UPDATE cases SET updated_at = ? WHERE id = ?`, encodeTime(tx.now), id); err != nil {
		return fmt.Errorf("case %d: %w", id, err)
	}
	return appendCaseAudit(ctx, tx, id, actor, details)
}

// appendCaseAudit appends a case_update entry about case id.
func appendCaseAudit(ctx context.Context, tx *tx, id int64, actor string, details map[string]any) error {
	return appendRecordAudit(ctx, tx, event.AuditCaseUpdate, "case", id, actor, details)
}

// inWriteRetry runs fn in a write transaction, as inWrite does, and runs
// it again when PostgreSQL aborted it in a deadlock or a serialization
// failure (nothing was written); fn must set its results afresh each time.
func (s *Store) inWriteRetry(ctx context.Context, fn func(*tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inWrite(ctx, fn)
		if err == nil || attempt == maxWriteAttempts || !s.d.retryable(err) {
			return err
		}
		if werr := retryWait(ctx, attempt); werr != nil {
			return fmt.Errorf("%w (waiting to retry after: %v)", werr, err)
		}
	}
}
