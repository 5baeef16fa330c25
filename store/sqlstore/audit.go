package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/event"
)

// AuditLog is the store's tamper-evident audit log (Store.Audit): who did
// what to the evidence, one entry per review decision, export, token
// created or revoked, case change.
//
// # Tables
//
// audit_log holds one row per entry: seq (1, 2, 3, ... with no gap), at
// (the store's time encoding, text, to the microsecond: PostgreSQL's
// timestamptz and most languages' time types, Python's datetime among
// them, hold an entry's time exactly), actor (a pseudonym or
// "system", never a real name or a secret), action, subject ("flag:123"),
// details (a JSON object in canonical form), prev_hash (the previous
// entry's hash; 64 zeros for seq 1) and hash. audit_head holds one row:
// the last entry's seq and hash, 0 and 64 zeros while the log is empty.
// The hash is defined in event/audit.go: SHA-256 over netstrings of
// "vigil-audit-v1", seq, at, actor, action, subject, details and
// prev_hash.
//
// # Appending
//
// An append updates the head first (UPDATE audit_head SET seq = seq + 1
// ... RETURNING seq, hash), which gives it the next seq and the previous
// hash and, in PostgreSQL, locks the head's row until the transaction
// ends: concurrent appends queue on that lock, so the chain never forks
// and seq never skips (a rolled-back append gives its seq back). SQLite
// has one writer at a time, which serialises them anyway. PostgreSQL must
// run the transaction at READ COMMITTED (its default): at REPEATABLE READ
// an append that waited for the lock fails with a serialisation error
// instead. The entry and the head's new hash are written in the same
// transaction, and appendAuditTx lets a decision, an export or a token
// change write its entry in its own transaction, so that the action and
// its audit entry commit together or not at all.
//
// # Verifying
//
// Verify reads the head and then walks the log in seq order, a page at a
// time, in one read snapshot: each entry's hash must match its contents,
// its prev_hash the previous entry's hash, its seq the previous one plus
// one, and the entry at the head's seq must be the last one and carry the
// head's hash. It reports the first entry that fails. Editing any column
// of an entry, deleting or inserting one, deleting the last entries, or
// editing the head alone all show.
//
// # Limits
//
// The chain proves that the log is the one that led to its head, not
// that the head is genuine: someone who can write to the database can
// rewrite every entry from some point on and the head consistently, and
// the result verifies. The defence is to keep the head elsewhere:
// `vigil audit head` prints it to be written down (evidence packs are to
// carry it too), and `vigil audit verify --anchor SEQ:HASH` fails when the
// log no longer leads to a head kept outside.
//
// Triggers refuse UPDATE and DELETE on audit_log (and the head's deletion)
// so that a mistake cannot change it, but anyone who can drop a trigger
// can get past them.
type AuditLog struct{ s *Store }

var _ event.AuditLog = (*AuditLog)(nil)

// Audit returns the store's audit log.
func (s *Store) Audit() *AuditLog { return &AuditLog{s: s} }

// Page sizes of List.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

// auditVerifyPage is how many entries Verify reads per query.
const auditVerifyPage = 1000

// Append adds an entry after the last one in a transaction of its own.
// See event.AuditLog.
func (a *AuditLog) Append(ctx context.Context, e event.AuditEntry) (event.AuditEntry, error) {
	tx, err := a.s.beginWrite(ctx)
	if err != nil {
		return e, fmt.Errorf("audit append: begin: %w", err)
	}
	defer tx.Rollback()
	out, err := appendAuditTx(ctx, tx, e)
	if err != nil {
		return e, err
	}
	if err := tx.Commit(); err != nil {
		return e, fmt.Errorf("audit append: commit: %w", err)
	}
	return out, nil
}

// appendRecordAudit appends an entry of action about the record kind:id
// (a case, a takedown request), with details as its JSON.
func appendRecordAudit(ctx context.Context, tx *tx, action, kind string, id int64, actor string, details map[string]any) error {
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = appendAuditTx(ctx, tx, event.AuditEntry{Actor: actor, Action: action,
		Subject: kind + ":" + strconv.FormatInt(id, 10), Details: b})
	return err
}

// appendAuditTx appends e inside tx, a write transaction, and returns it
// with Seq, At (the transaction's clock reading, to the microsecond),
// PrevHash and Hash set. The caller commits; until then the head's row is
// locked (PostgreSQL) or the writer is held (SQLite), so call it last in
// the transaction, after the action's own statements: appends elsewhere
// wait for the lock only as long as the commit takes. Bad input is an *event.Error with code EINVALID,
// returned before anything is written.
func appendAuditTx(ctx context.Context, tx *tx, e event.AuditEntry) (event.AuditEntry, error) {
	details, err := event.CanonicalJSON(e.Details)
	if err != nil {
		return e, event.Errorf(event.EINVALID, "audit details: %v", err)
	}
	e.Details = details
	if err := e.Validate(); err != nil {
		return e, err
	}
	err = tx.queryRow(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).
		Scan(&e.Seq, &e.PrevHash)
	if errors.Is(err, sql.ErrNoRows) {
		return e, errors.New("audit append: the audit head is missing (run vigil audit verify)")
	}
	if err != nil {
		return e, fmt.Errorf("audit append: head: %w", err)
	}
	e.At = tx.now.UTC().Truncate(time.Microsecond) // see AuditLog
	e.Hash = e.ComputeHash()
	_, err = tx.exec(ctx, `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, encodeTime(e.At), e.Actor, e.Action, e.Subject, string(e.Details), e.PrevHash, e.Hash)
	if err != nil {
		return e, fmt.Errorf("audit append: entry %d: %w", e.Seq, err)
	}
	if _, err := tx.exec(ctx, `UPDATE audit_head SET hash = ? WHERE id = 1`, e.Hash); err != nil {
		return e, fmt.Errorf("audit append: head: %w", err)
	}
	return e, nil
}

// List returns up to limit entries (default DefaultAuditLimit, at most
// MaxAuditLimit) with a seq above after, in seq order.
func (a *AuditLog) List(ctx context.Context, after int64, limit int) ([]event.AuditEntry, error) {
	limit, err := pageLimit(limit, DefaultAuditLimit, MaxAuditLimit)
	if err != nil {
		return nil, err
	}
	tx, err := a.s.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.query(ctx, `SELECT seq, at, actor, action, subject, details, prev_hash, hash
FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	es := []event.AuditEntry{}
	for rows.Next() {
		var e event.AuditEntry
		var details string
		if err := rows.Scan(&e.Seq, timeColumn{&e.At}, &e.Actor, &e.Action, &e.Subject, &details,
			&e.PrevHash, &e.Hash); err != nil {
			rows.Close()
			return nil, fmt.Errorf("audit list: %w", err)
		}
		e.Details = []byte(details)
		es = append(es, e)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return es, nil
}

// Head returns the last entry's seq and hash.
func (a *AuditLog) Head(ctx context.Context) (event.AuditHead, error) {
	tx, err := a.s.beginRead(ctx)
	if err != nil {
		return event.AuditHead{}, fmt.Errorf("audit head: %w", err)
	}
	defer tx.Rollback()
	h, err := readAuditHead(ctx, tx)
	if errors.Is(err, sql.ErrNoRows) {
		return h, errors.New("audit head: missing (run vigil audit verify)")
	}
	if err != nil {
		return h, fmt.Errorf("audit head: %w", err)
	}
	return h, nil
}

func readAuditHead(ctx context.Context, tx *tx) (event.AuditHead, error) {
	var h event.AuditHead
	err := tx.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &h.Hash)
	return h, err
}

// Verify walks the whole chain; see AuditLog and event.AuditLog.
func (a *AuditLog) Verify(ctx context.Context) (event.AuditVerifyResult, error) {
	return a.verify(ctx, auditVerifyPage)
}

func (a *AuditLog) verify(ctx context.Context, page int) (event.AuditVerifyResult, error) {
	var res event.AuditVerifyResult
	tx, err := a.s.beginAuditSnapshot(ctx)
	if err != nil {
		return res, fmt.Errorf("audit verify: %w", err)
	}
	defer tx.Rollback()
	head, err := readAuditHead(ctx, tx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res.Problem, res.Reason = event.AuditHeadMissing, "the audit head is missing (deleted)"
		return res, nil
	case err != nil:
		return res, fmt.Errorf("audit verify: head: %w", err)
	}
	res.Head = head
	broken := func(seq int64, problem, format string, args ...any) (event.AuditVerifyResult, error) {
		res.BrokenAt, res.Problem, res.Reason = seq, problem, fmt.Sprintf(format, args...)
		return res, nil
	}

	prevSeq, prevHash := int64(0), event.AuditGenesisHash
	after := int64(math.MinInt64) // a row with a seq below 1 shows too
	for {
		rows, err := tx.query(ctx, `SELECT seq, at, actor, action, subject, details, prev_hash, hash
FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`, after, page)
		if err != nil {
			return res, fmt.Errorf("audit verify: %w", err)
		}
		n := 0
		for rows.Next() {
			n++
			var r auditRow
			if err := rows.Scan(&r.seq, auditTimeText{&r.at}, &r.actor, &r.action, &r.subject, &r.details,
				&r.prevHash, &r.hash); err != nil {
				rows.Close()
				return res, fmt.Errorf("audit verify: entry after %d: %w", prevSeq, err)
			}
			after = r.seq
			problem, reason, at := checkAuditRow(&r, prevSeq, prevHash, head)
			if problem != "" {
				rows.Close()
				return broken(at, problem, "%s", reason)
			}
			res.Entries++
			prevSeq, prevHash = r.seq, r.hash
		}
		if err := closeRows(rows); err != nil {
			return res, fmt.Errorf("audit verify: %w", err)
		}
		if n < page {
			break
		}
	}
	if prevSeq < head.Seq {
		if prevSeq == 0 {
			return broken(1, event.AuditTruncated,
				"entry 1 is missing: the log is empty but its head records %d entries (entries were deleted)", head.Seq)
		}
		return broken(prevSeq+1, event.AuditTruncated,
			"entry %d is missing: the log ends at entry %d but its head records entry %d (the last entries were deleted)",
			prevSeq+1, prevSeq, head.Seq)
	}
	res.OK = true
	return res, nil
}

// auditRow is an audit_log row as stored, every field as text.
type auditRow struct {
	seq                             int64
	at                              string
	actor, action, subject, details string
	prevHash, hash                  string
}

// checkAuditRow checks the row that follows entry prevSeq (whose hash is
// prevHash) and returns, if it fails, the problem, why, and the seq that
// is broken.
func checkAuditRow(r *auditRow, prevSeq int64, prevHash string, head event.AuditHead) (problem, reason string, at int64) {
	switch want := prevSeq + 1; {
	case r.seq < 1:
		return event.AuditBadSeq, "a seq must be 1 or more", r.seq
	case r.seq > want && want <= head.Seq:
		return event.AuditMissingEntry, fmt.Sprintf("entry %d is missing (seq jumps from %d to %d)", want, prevSeq, r.seq), want
	case r.seq > head.Seq:
		return event.AuditBeyondHead, fmt.Sprintf("entry %d comes after the head (entry %d): it was added without the head, or the head was moved back", r.seq, head.Seq), r.seq
	}
	// The hash covers at as AuditTimeLayout text: a time stored in any
	// other form (even the same instant) is not what was hashed.
	t, err := time.Parse(time.RFC3339Nano, r.at)
	if err != nil || event.FormatAuditTime(t) != r.at ||
		event.AuditHash(r.seq, r.at, r.actor, r.action, r.subject, r.details, r.prevHash) != r.hash {
		return event.AuditHashMismatch, "hash does not match its contents", r.seq
	}
	if r.prevHash != prevHash {
		if r.seq == 1 {
			return event.AuditPrevHashMismatch, "prev_hash is not 64 zeros (the first entry follows none)", 1
		}
		return event.AuditPrevHashMismatch, fmt.Sprintf("prev_hash does not match entry %d", prevSeq), r.seq
	}
	if r.seq == head.Seq && r.hash != head.Hash {
		return event.AuditHeadMismatch, fmt.Sprintf("hash does not match the head (the head records %s)", head.Hash), r.seq
	}
	return "", "", 0
}

// auditTimeText scans a time column as the text the hash covers, the
// stored text as it is; should a driver give a time.Time, it is written in
// the store's encoding.
type auditTimeText struct{ s *string }

func (c auditTimeText) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*c.s = v
	case []byte:
		*c.s = string(v)
	case time.Time:
		*c.s = formatTime(v)
	case nil:
		*c.s = ""
	default:
		return fmt.Errorf("scan audit time: unsupported type %T", src)
	}
	return nil
}

// beginAuditSnapshot starts a read-only transaction whose queries all see
// one snapshot, so that Verify's pages and the head agree while appends
// go on: a SQLite read transaction in WAL mode is one; PostgreSQL needs
// REPEATABLE READ (which this sets itself rather than count on the
// dialect's read level).
func (s *Store) beginAuditSnapshot(ctx context.Context) (*tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	t, err := s.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, d: s.d, now: s.now().UTC()}, nil
}
