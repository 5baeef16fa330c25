package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vigilhq/vigil/event"
)

// Takedown requests (migration 0008): an advocate's report of accounts to
// a platform, usually with a pack, tracked until the platform answers.
//
// Like a case change, every change runs in a write transaction that locks
// the request's row first (the dialect's forUpdate), so that changes to
// one request take turns and its history's seq never repeats; writes the
// row and a takedown_history row; and appends a takedown entry to the
// audit log last (appendAuditTx), naming what changed by statuses, ids and
// counts, never by the note's text. The history keeps the note, for the
// team.

var _ event.TakedownService = (*Store)(nil)

// Page sizes of ListTakedowns and Reappeared, as documented on
// event.TakedownFilter.
const (
	DefaultTakedownLimit = 100
	MaxTakedownLimit     = 1000
)

// takedownColumns selects a request of takedowns t for scanTakedown.
const takedownColumns = `SELECT t.id, t.platform, t.channel, COALESCE(t.pack_id, ''), COALESCE(t.case_id, 0),
	t.sent_at, t.reference, t.status, t.status_at, t.actioned_at, t.created_by, t.created_at
FROM takedowns t`

func scanTakedown(row interface{ Scan(...any) error }, t *event.Takedown) error {
	err := row.Scan(&t.ID, &t.Platform, &t.Channel, &t.PackID, &t.CaseID, timeColumn{&t.SentAt}, &t.Reference,
		&t.Status, timeColumn{&t.StatusAt}, timeColumn{&t.ActionedAt}, &t.CreatedBy, timeColumn{&t.CreatedAt})
	if err == nil && !t.ActionedAt.IsZero() {
		t.TimeToActionSeconds = t.ActionedAt.Sub(t.SentAt).Seconds()
	}
	return err
}

// checkTakedownNote checks a note: at most MaxTakedownTextBytes of UTF-8;
// line breaks and tabs are the only control characters allowed.
func checkTakedownNote(note string) error {
	switch {
	case len(note) > event.MaxTakedownTextBytes:
		return event.Errorf(event.EINVALID, "note is longer than %d bytes", event.MaxTakedownTextBytes)
	case !utf8.ValidString(note):
		return event.Errorf(event.EINVALID, "note is not valid UTF-8")
	}
	for _, r := range note {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return event.Errorf(event.EINVALID, "note holds a control character")
		}
	}
	return nil
}

// takedownActor returns by as the audit actor, checked: a pseudonym,
// never a name.
func takedownActor(by string) (string, error) {
	actor := auditActor(by)
	e := event.AuditEntry{Actor: actor, Action: event.AuditTakedown}
	if err := e.Validate(); err != nil {
		return "", event.Errorf(event.EINVALID, "by: %s", event.ErrorMessage(err))
	}
	return actor, nil
}

func validTakedownStatus(s string) bool { return slices.Contains(event.TakedownStatuses, s) }

// CreateTakedown implements event.TakedownService: a request in status
// sent, with its first history row and an audit entry
// {"accounts":2,"case_id":4,"change":"create","channel":"...","has_note":false,"pack_id":"...","platform":"meta","status":"sent"}
// (pack_id and case_id only when set).
func (s *Store) CreateTakedown(ctx context.Context, n event.NewTakedown, by string) (event.Takedown, error) {
	actor, err := takedownActor(by)
	if err != nil {
		return event.Takedown{}, err
	}
	if err := checkOneLine("platform", n.Platform, event.MaxTakedownTextBytes, true); err != nil {
		return event.Takedown{}, err
	}
	if err := checkOneLine("channel", n.Channel, event.MaxTakedownTextBytes, true); err != nil {
		return event.Takedown{}, err
	}
	if err := checkOneLine("reference", n.Reference, event.MaxTakedownTextBytes, false); err != nil {
		return event.Takedown{}, err
	}
	if err := checkTakedownNote(n.Note); err != nil {
		return event.Takedown{}, err
	}
	if n.CaseID < 0 {
		return event.Takedown{}, event.Errorf(event.EINVALID, "case id %d must be positive", n.CaseID)
	}
	if !timeInRange(n.SentAt) {
		return event.Takedown{}, event.Errorf(event.EINVALID, "sent_at must be within years 1 to 9999")
	}
	switch {
	case len(n.Accounts) == 0:
		return event.Takedown{}, event.Errorf(event.EINVALID, "a takedown request names at least one account")
	case len(n.Accounts) > event.MaxTakedownAccounts:
		return event.Takedown{}, event.Errorf(event.EINVALID, "%d accounts: at most %d in one request", len(n.Accounts), event.MaxTakedownAccounts)
	}
	seen := make(map[event.AccountRef]bool, len(n.Accounts))
	for _, a := range n.Accounts {
		if a.Platform == "" || a.ID == "" {
			return event.Takedown{}, event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
		}
		if seen[a] {
			return event.Takedown{}, event.Errorf(event.EINVALID, "account %s/%s is named twice", a.Platform, a.ID)
		}
		seen[a] = true
	}
	details := map[string]any{"change": "create", "platform": n.Platform, "channel": n.Channel,
		"accounts": len(n.Accounts), "status": event.TakedownSent, "has_note": n.Note != ""}
	if n.PackID != "" {
		details["pack_id"] = n.PackID
	}
	if n.CaseID != 0 {
		details["case_id"] = n.CaseID
	}
	var out event.Takedown
	err = s.inWriteRetry(ctx, func(tx *tx) error {
		sentAt := n.SentAt
		if sentAt.IsZero() {
			sentAt = tx.now
		}
		if n.PackID != "" {
			if _, err := readPack(ctx, tx, n.PackID); err != nil {
				return err
			}
		}
		if n.CaseID != 0 {
			var one int
			err := tx.queryRow(ctx, `SELECT 1 FROM cases WHERE id = ?`, n.CaseID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return event.Errorf(event.ENOTFOUND, "case %d not found", n.CaseID)
			}
			if err != nil {
				return fmt.Errorf("create takedown: case %d: %w", n.CaseID, err)
			}
		}
		handles, err := accountHandles(ctx, tx, n.Accounts)
		if err != nil {
			return err
		}
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO takedowns (platform, channel, pack_id, case_id, sent_at, reference,
	status, status_at, created_by, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Platform, n.Channel, sql.NullString{String: n.PackID, Valid: n.PackID != ""},
			sql.NullInt64{Int64: n.CaseID, Valid: n.CaseID != 0}, encodeTime(sentAt), n.Reference,
			event.TakedownSent, encodeTime(sentAt), actor, encodeTime(tx.now)).Scan(&id)
		if err != nil {
			return fmt.Errorf("create takedown: %w", err)
		}
		for rest := n.Accounts; len(rest) > 0; {
			k := min(len(rest), evidenceBatch/4)
			args := make([]any, 0, 4*k)
			for _, a := range rest[:k] {
				args = append(args, id, a.Platform, a.ID, handles[a])
			}
			rest = rest[k:]
			_, err := tx.exec(ctx, `INSERT INTO takedown_accounts (takedown_id, platform, account_id, handle_at_request)
VALUES (?, ?, ?, ?)`+strings.Repeat(", (?, ?, ?, ?)", k-1), args...)
			if err != nil {
				return fmt.Errorf("create takedown %d: accounts: %w", id, err)
			}
		}
		if _, err := tx.exec(ctx, `INSERT INTO takedown_history (takedown_id, seq, status, at, changed_by, note)
VALUES (?, 1, ?, ?, ?, ?)`, id, event.TakedownSent, encodeTime(sentAt), actor, n.Note); err != nil {
			return fmt.Errorf("create takedown %d: history: %w", id, err)
		}
		if err := appendTakedownAudit(ctx, tx, id, actor, details); err != nil {
			return err
		}
		out, err = getTakedown(ctx, tx, id)
		return err
	})
	if err != nil {
		return event.Takedown{}, err
	}
	return out, nil
}

// accountHandles returns the current handle of each account, or
// ENOTFOUND naming the first (in refs' order) that the store does not
// have.
func accountHandles(ctx context.Context, tx *tx, refs []event.AccountRef) (map[event.AccountRef]string, error) {
	handles := make(map[event.AccountRef]string, len(refs))
	for rest := refs; len(rest) > 0; {
		k := min(len(rest), evidenceBatch/2)
		keys := make([][2]string, k)
		for i, a := range rest[:k] {
			keys[i] = [2]string{a.Platform, a.ID}
		}
		rest = rest[k:]
		in, args := accountKeysIn("platform", "account_id", keys)
		rows, err := tx.query(ctx, `SELECT platform, account_id, handle FROM accounts WHERE `+in, args...)
		if err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		for rows.Next() {
			var a event.AccountRef
			var h string
			if err := rows.Scan(&a.Platform, &a.ID, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("accounts: %w", err)
			}
			handles[a] = h
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
	}
	for _, a := range refs {
		if _, ok := handles[a]; !ok {
			return nil, event.Errorf(event.ENOTFOUND, "account %s/%s not found", a.Platform, a.ID)
		}
	}
	return handles, nil
}

// appendTakedownAudit appends a takedown entry about request id.
func appendTakedownAudit(ctx context.Context, tx *tx, id int64, actor string, details map[string]any) error {
	return appendRecordAudit(ctx, tx, event.AuditTakedown, "takedown", id, actor, details)
}

// UpdateTakedown implements event.TakedownService. The audit entry says
// which status the request left and reached, and whether the reference
// changed and a note was given:
// {"change":"update","has_note":true,"reference_changed":false,"status":{"from":"sent","to":"actioned"}}.
func (s *Store) UpdateTakedown(ctx context.Context, id int64, u event.TakedownUpdate, by string) (event.Takedown, error) {
	actor, err := takedownActor(by)
	if err != nil {
		return event.Takedown{}, err
	}
	if !validTakedownStatus(u.Status) {
		return event.Takedown{}, event.Errorf(event.EINVALID, "unknown takedown status %q: want one of %s", u.Status, strings.Join(event.TakedownStatuses, ", "))
	}
	if u.Reference != nil {
		if err := checkOneLine("reference", *u.Reference, event.MaxTakedownTextBytes, false); err != nil {
			return event.Takedown{}, err
		}
	}
	if err := checkTakedownNote(u.Note); err != nil {
		return event.Takedown{}, err
	}
	if !timeInRange(u.At) {
		return event.Takedown{}, event.Errorf(event.EINVALID, "at must be within years 1 to 9999")
	}
	var out event.Takedown
	err = s.inWriteRetry(ctx, func(tx *tx) error {
		var status, reference string
		var sentAt time.Time
		err := tx.queryRow(ctx, `SELECT status, reference, sent_at FROM takedowns WHERE id = ?`+tx.d.forUpdate, id).
			Scan(&status, &reference, timeColumn{&sentAt})
		if errors.Is(err, sql.ErrNoRows) {
			return event.Errorf(event.ENOTFOUND, "takedown %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("update takedown %d: %w", id, err)
		}
		if u.Status == status {
			return event.Errorf(event.EINVALID, "takedown %d is already %s", id, status)
		}
		at := u.At
		if at.IsZero() {
			at = tx.now
		}
		if at.Before(sentAt) {
			return event.Errorf(event.EINVALID, "at %s is before the request was sent (%s)",
				at.UTC().Format(time.RFC3339), sentAt.Format(time.RFC3339))
		}
		newRef := reference
		if u.Reference != nil {
			newRef = *u.Reference
		}
		var actionedAt any // NULL: leaving actioned clears it
		if u.Status == event.TakedownActioned {
			actionedAt = encodeTime(at)
		}
		if _, err := tx.exec(ctx, `UPDATE takedowns SET status = ?, status_at = ?, actioned_at = ?, reference = ? WHERE id = ?`,
			u.Status, encodeTime(at), actionedAt, newRef, id); err != nil {
			return fmt.Errorf("update takedown %d: %w", id, err)
		}
		// The request's row lock makes this seq the next one.
		var seq int64
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM takedown_history WHERE takedown_id = ?`, id).
			Scan(&seq); err != nil {
			return fmt.Errorf("update takedown %d: history: %w", id, err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO takedown_history (takedown_id, seq, status, at, changed_by, note)
VALUES (?, ?, ?, ?, ?, ?)`, id, seq, u.Status, encodeTime(at), actor, u.Note); err != nil {
			return fmt.Errorf("update takedown %d: history: %w", id, err)
		}
		details := map[string]any{"change": "update", "status": map[string]string{"from": status, "to": u.Status},
			"has_note": u.Note != "", "reference_changed": newRef != reference}
		if err := appendTakedownAudit(ctx, tx, id, actor, details); err != nil {
			return err
		}
		out, err = getTakedown(ctx, tx, id)
		return err
	})
	if err != nil {
		return event.Takedown{}, err
	}
	return out, nil
}

// GetTakedown implements event.TakedownService.
func (s *Store) GetTakedown(ctx context.Context, id int64) (event.Takedown, error) {
	var t event.Takedown
	err := s.reviewRead(ctx, func(tx *tx) error {
		var err error
		t, err = getTakedown(ctx, tx, id)
		return err
	})
	if err != nil {
		return event.Takedown{}, fmt.Errorf("get takedown %d: %w", id, err)
	}
	return t, nil
}

func getTakedown(ctx context.Context, tx *tx, id int64) (event.Takedown, error) {
	ts, err := readTakedowns(ctx, tx, ` WHERE t.id = ?`, []any{id})
	if err != nil {
		return event.Takedown{}, err
	}
	if len(ts) == 0 {
		return event.Takedown{}, event.Errorf(event.ENOTFOUND, "takedown %d not found", id)
	}
	return ts[0], nil
}

// readTakedowns reads the requests that rest (conditions, order, limit)
// selects, with their accounts (sorted by platform and id) and history.
func readTakedowns(ctx context.Context, tx *tx, rest string, args []any) ([]event.Takedown, error) {
	rows, err := tx.query(ctx, takedownColumns+rest, args...)
	if err != nil {
		return nil, err
	}
	ts := []event.Takedown{}
	for rows.Next() {
		t := event.Takedown{Accounts: []event.AccountRef{}, History: []event.TakedownChange{}}
		if err := scanTakedown(rows, &t); err != nil {
			rows.Close()
			return nil, err
		}
		ts = append(ts, t)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	index := make(map[int64]*event.Takedown, len(ts))
	ids := make([]int64, len(ts))
	for i := range ts {
		index[ts[i].ID] = &ts[i]
		ids[i] = ts[i].ID
	}
	for len(ids) > 0 {
		k := min(len(ids), evidenceBatch)
		in, args := flagIDList(ids[:k])
		ids = ids[k:]
		rows, err := tx.query(ctx, `SELECT takedown_id, platform, account_id FROM takedown_accounts
WHERE takedown_id IN `+in+` ORDER BY takedown_id, platform, account_id`, args...)
		if err != nil {
			return nil, fmt.Errorf("takedown accounts: %w", err)
		}
		for rows.Next() {
			var id int64
			var a event.AccountRef
			if err := rows.Scan(&id, &a.Platform, &a.ID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("takedown accounts: %w", err)
			}
			index[id].Accounts = append(index[id].Accounts, a)
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("takedown accounts: %w", err)
		}
		rows, err = tx.query(ctx, `SELECT takedown_id, status, at, changed_by, note FROM takedown_history
WHERE takedown_id IN `+in+` ORDER BY takedown_id, seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("takedown history: %w", err)
		}
		for rows.Next() {
			var id int64
			var c event.TakedownChange
			if err := rows.Scan(&id, &c.Status, timeColumn{&c.At}, &c.By, &c.Note); err != nil {
				rows.Close()
				return nil, fmt.Errorf("takedown history: %w", err)
			}
			index[id].History = append(index[id].History, c)
		}
		if err := closeRows(rows); err != nil {
			return nil, fmt.Errorf("takedown history: %w", err)
		}
	}
	return ts, nil
}

// ListTakedowns implements event.TakedownService: most recently sent
// first, ties by id, newest first.
func (s *Store) ListTakedowns(ctx context.Context, f event.TakedownFilter) ([]event.Takedown, error) {
	limit, err := pageLimit(f.Limit, DefaultTakedownLimit, MaxTakedownLimit)
	if err != nil {
		return nil, err
	}
	switch {
	case f.Offset < 0:
		return nil, event.Errorf(event.EINVALID, "offset %d must not be negative", f.Offset)
	case f.Status != "" && !validTakedownStatus(f.Status):
		return nil, event.Errorf(event.EINVALID, "unknown takedown status %q: want one of %s", f.Status, strings.Join(event.TakedownStatuses, ", "))
	case f.CaseID < 0:
		return nil, event.Errorf(event.EINVALID, "case id %d must be positive", f.CaseID)
	case f.Account != nil && (f.Account.Platform == "" || f.Account.ID == ""):
		return nil, event.Errorf(event.EINVALID, "an account is named by platform and id, both required")
	}
	var where []string
	var args []any
	if f.Status != "" {
		where = append(where, "t.status = ?")
		args = append(args, f.Status)
	}
	if f.Platform != "" {
		where = append(where, "t.platform = ?")
		args = append(args, f.Platform)
	}
	if f.CaseID != 0 {
		where = append(where, "t.case_id = ?")
		args = append(args, f.CaseID)
	}
	if a := f.Account; a != nil {
		where = append(where, `EXISTS (SELECT 1 FROM takedown_accounts ta
	WHERE ta.takedown_id = t.id AND ta.platform = ? AND ta.account_id = ?)`)
		args = append(args, a.Platform, a.ID)
	}
	var ts []event.Takedown
	err = s.reviewRead(ctx, func(tx *tx) error {
		var err error
		ts, err = readTakedowns(ctx, tx, whereClause(where)+` ORDER BY t.sent_at DESC, t.id DESC LIMIT ? OFFSET ?`,
			append(args, limit, f.Offset))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list takedowns: %w", err)
	}
	return ts, nil
}

// Reappearance. An account reappears when a post of it was captured after
// the platform actioned the latest actioned request that names it. The
// capture time is the one compared, not the platform's: a post written
// before the action but still there to capture after it shows the account
// was not taken down either, and a platform time can be absent or wrong.
// When the capture time is unknown, the time the store kept the post
// stands in for it. A request no longer actioned (a reversal recorded)
// does not count.
//
// lastActioned selects, for each account in an actioned request, the
// latest such request (ties: the highest id) with the handle the account
// had when the request was made.
const lastActioned = `WITH actioned AS (
	SELECT ta.platform, ta.account_id, ta.handle_at_request, t.id AS takedown_id, t.actioned_at,
		ROW_NUMBER() OVER (PARTITION BY ta.platform, ta.account_id ORDER BY t.actioned_at DESC, t.id DESC) AS rn
	FROM takedown_accounts ta JOIN takedowns t ON t.id = ta.takedown_id
	WHERE t.status = 'actioned'
), last AS (
	SELECT platform, account_id, handle_at_request, takedown_id, actioned_at FROM actioned WHERE rn = 1
) `

// postedSince joins an account's posts captured after its action to
// last l; posts_by_author (0008) gives the account's posts.
const postedSince = `JOIN posts p ON p.platform = l.platform AND p.author_id = l.account_id
	AND COALESCE(p.captured_at, p.stored_at) > l.actioned_at`

// Reappeared implements event.TakedownService: LastSeen is the latest
// capture time of the account's posts since the action, and the list is
// most recently seen first. limit 0 means DefaultTakedownLimit, at most
// MaxTakedownLimit.
func (s *Store) Reappeared(ctx context.Context, limit int) ([]event.Reappearance, error) {
	limit, err := pageLimit(limit, DefaultTakedownLimit, MaxTakedownLimit)
	if err != nil {
		return nil, err
	}
	var out []event.Reappearance
	err = s.reviewRead(ctx, func(tx *tx) error {
		var err error
		out, err = reappeared(ctx, tx, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reappeared accounts: %w", err)
	}
	return out, nil
}

func reappeared(ctx context.Context, tx *tx, limit int) ([]event.Reappearance, error) {
	rows, err := tx.query(ctx, lastActioned+`SELECT l.platform, l.account_id, l.takedown_id, l.actioned_at,
	l.handle_at_request, a.handle, COUNT(*), MAX(COALESCE(p.captured_at, p.stored_at)) AS last_seen
FROM last l `+postedSince+`
JOIN accounts a ON a.platform = l.platform AND a.account_id = l.account_id
GROUP BY l.platform, l.account_id, l.takedown_id, l.actioned_at, l.handle_at_request, a.handle
ORDER BY last_seen DESC, l.platform, l.account_id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	out := []event.Reappearance{}
	index := map[event.AccountRef]int{}
	for rows.Next() {
		r := event.Reappearance{NewHandles: []string{}}
		if err := rows.Scan(&r.Account.Platform, &r.Account.ID, &r.TakedownID, timeColumn{&r.ActionedAt},
			&r.HandleAtAction, &r.Handle, &r.PostsSince, timeColumn{&r.LastSeen}); err != nil {
			rows.Close()
			return nil, err
		}
		index[r.Account] = len(out)
		out = append(out, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	// The handles first seen after the action, of every actioned
	// account; those of accounts not listed are dropped.
	rows, err = tx.query(ctx, lastActioned+`SELECT h.platform, h.account_id, h.handle
FROM last l JOIN account_handles h ON h.platform = l.platform AND h.account_id = l.account_id
	AND h.first_seen > l.actioned_at
ORDER BY h.first_seen, h.handle`)
	if err != nil {
		return nil, fmt.Errorf("new handles: %w", err)
	}
	for rows.Next() {
		var a event.AccountRef
		var h string
		if err := rows.Scan(&a.Platform, &a.ID, &h); err != nil {
			rows.Close()
			return nil, fmt.Errorf("new handles: %w", err)
		}
		if i, ok := index[a]; ok {
			out[i].NewHandles = append(out[i].NewHandles, h)
		}
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("new handles: %w", err)
	}
	return out, nil
}

// TakedownStats implements event.TakedownService. TimeToAction is in
// the order the requests were made.
func (s *Store) TakedownStats(ctx context.Context) (event.TakedownStats, error) {
	st := event.TakedownStats{ByStatus: map[string]int{}, TimeToAction: []float64{}}
	for _, status := range event.TakedownStatuses {
		st.ByStatus[status] = 0
	}
	err := s.reviewRead(ctx, func(tx *tx) error {
		rows, err := tx.query(ctx, `SELECT status, COUNT(*) FROM takedowns GROUP BY status`)
		if err != nil {
			return fmt.Errorf("by status: %w", err)
		}
		for rows.Next() {
			var status string
			var n int
			if err := rows.Scan(&status, &n); err != nil {
				rows.Close()
				return fmt.Errorf("by status: %w", err)
			}
			st.ByStatus[status] = n
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("by status: %w", err)
		}
		rows, err = tx.query(ctx, `SELECT sent_at, actioned_at FROM takedowns WHERE status = 'actioned' ORDER BY id`)
		if err != nil {
			return fmt.Errorf("time to action: %w", err)
		}
		for rows.Next() {
			var sent, actioned time.Time
			if err := rows.Scan(timeColumn{&sent}, timeColumn{&actioned}); err != nil {
				rows.Close()
				return fmt.Errorf("time to action: %w", err)
			}
			st.TimeToAction = append(st.TimeToAction, actioned.Sub(sent).Seconds())
		}
		if err := closeRows(rows); err != nil {
			return fmt.Errorf("time to action: %w", err)
		}
		err = tx.queryRow(ctx, lastActioned+`SELECT COUNT(*) FROM last l WHERE EXISTS (SELECT 1 FROM posts p
	WHERE p.platform = l.platform AND p.author_id = l.account_id AND COALESCE(p.captured_at, p.stored_at) > l.actioned_at)`).
			Scan(&st.Reappeared)
		if err != nil {
			return fmt.Errorf("reappeared: %w", err)
		}
		return nil
	})
	if err != nil {
		return event.TakedownStats{}, fmt.Errorf("takedown stats: %w", err)
	}
	return st, nil
}
