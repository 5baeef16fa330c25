package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Review is the review queue (event.ReviewService) on the store, with
// leases (store/leases: Redis when several api replicas share the store,
// in process otherwise) deciding who holds which flag.
//
// A claim walks the matching flags in the sort's order and takes each
// flag's lease with the leases' compare-and-set (Redis SET NX), so that
// two monitors claiming at once never take one flag; the flags it won are
// then marked claimed in the flags row (the mirror: claimed_by,
// claimed_from, lease_until), in one transaction whose UPDATE only takes
// flags that are still claimable. The mirror's lease_until is computed
// before the lease is taken, so it never runs past the lease itself.
//
// A decision needs both: the caller must own the flag's lease, and the row
// must still say that the caller's claim runs. The row is locked while
// the decision is checked and written, with its decisions row and its
// audit entry, in one transaction; so a decision lands exactly once even
// when a lease lapses and is taken by another monitor at that moment
// (one of the two finds the row changed). Admins have no override: they
// claim, like everyone, so that every decision is made under a lease and
// no two people decide one flag at once.
//
// Escalation: a pending flag takes one decision. An escalated flag waits
// in the second-level queue (a claim with status "escalated"; the api lets
// only admins claim there) and takes one more decision, confirm or
// dismiss; then it is final. A decision that the flag's state does not
// allow is an ECONFLICT.
type Review struct {
	s      *Store
	leases event.Leases
	ttl    time.Duration

	// stmts are decide's statements, prepared on the writer once (with
	// SQLite, preparing costs more than running them).
	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	// group commits single decisions together.
	group decisionGroup
}

// The statements of a decision, prepared once.
const (
	decideSelect = `SELECT status, claimed_by, claimed_from, lease_until FROM flags WHERE id = ?`
	decideUpdate = `UPDATE flags SET status = ?, claimed_by = NULL, claimed_from = NULL,
	lease_until = NULL WHERE id = ?`
	decideInsert = `INSERT INTO decisions (flag_id, level, decision, note, translation, reviewer, decided_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// prepare prepares decide's statements on the writer, once. It runs
// outside any transaction: the SQLite writer's one connection is busy
// during one.
func (r *Review) prepare(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stmts != nil {
		return nil
	}
	stmts := map[string]*sql.Stmt{}
	for _, q := range []string{decideSelect + r.s.d.forUpdate, decideUpdate, decideInsert} {
		st, err := r.s.write.PrepareContext(ctx, r.s.d.rebind(q))
		if err != nil {
			for _, st := range stmts {
				st.Close()
			}
			return err
		}
		stmts[q] = st
	}
	r.stmts = stmts
	return nil
}

// stmt returns the prepared statement of query for use in tx.
func (r *Review) stmt(ctx context.Context, tx *tx, query string) *sql.Stmt {
	r.mu.Lock()
	st := r.stmts[query]
	r.mu.Unlock()
	return tx.tx.StmtContext(ctx, st)
}

// Close closes the prepared statements. The store stays open.
func (r *Review) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, st := range r.stmts {
		errs = append(errs, st.Close())
	}
	r.stmts = nil
	return errors.Join(errs...)
}

var _ event.ReviewService = (*Review)(nil)

// NewReview returns the review queue on s with leases l, each claim held
// for ttl (0: event.DefaultLeaseTTL).
func NewReview(s *Store, l event.Leases, ttl time.Duration) *Review {
	if ttl <= 0 {
		ttl = event.DefaultLeaseTTL
	}
	return &Review{s: s, leases: l, ttl: ttl}
}

// checkReviewer refuses a reviewer that cannot be an audit actor: a
// pseudonym, never a name.
func checkReviewer(reviewer string) error {
	if reviewer == "" {
		return event.Errorf(event.EINVALID, "the reviewer's pseudonym is required")
	}
	e := event.AuditEntry{Actor: reviewer, Action: event.AuditDecision}
	if err := e.Validate(); err != nil {
		return event.Errorf(event.EINVALID, "reviewer: %s", event.ErrorMessage(err))
	}
	return nil
}

// claimPage is how many candidate flags a claim reads at a time: more
// than it wants, since other monitors may take some first.
func claimPage(limit int) int { return max(2*limit, 50) }

// Claim implements event.ReviewService.
func (r *Review) Claim(ctx context.Context, reviewer string, limit int, f event.QueueFilter, sort string) (event.Claim, error) {
	if err := checkReviewer(reviewer); err != nil {
		return event.Claim{}, err
	}
	limit, err := pageLimit(limit, event.DefaultClaimLimit, event.MaxClaimLimit)
	if err != nil {
		return event.Claim{}, err
	}
	if err := f.Validate(); err != nil {
		return event.Claim{}, err
	}
	if sort == "" {
		sort = event.SortSeverity
	}
	ff := event.FlagFilter{Platform: f.Platform, Category: f.Category, List: f.List, Region: f.Region,
		Group: f.Group, MinScore: f.MinScore, Since: f.Since, Until: f.Until, Sort: sort}
	if err := checkFlagFilter(&ff); err != nil {
		return event.Claim{}, err
	}
	level := f.Status
	if level == "" {
		level = event.StatusPending
	}
	claim := event.Claim{Flags: []event.Flag{}}
	var after *flagKey
	for len(claim.Flags) < limit {
		page := claimPage(limit)
		var candidates []flagKey
		err := r.s.reviewRead(ctx, func(tx *tx) error {
			var err error
			candidates, err = queryKeys(ctx, tx, &flagQuery{f: ff, claimable: level, now: tx.now, after: after, limit: page})
			return err
		})
		if err != nil {
			return r.abandon(ctx, reviewer, claim, fmt.Errorf("claim: candidates: %w", err))
		}
		if len(candidates) == 0 {
			break
		}
		after = &candidates[len(candidates)-1]
		// The leases' end as the mirror records it, read before they
		// are taken so that it is never later than their own end.
		until := r.s.now().UTC().Add(r.ttl)
		var won []int64
		for _, c := range candidates {
			if len(claim.Flags)+len(won) == limit {
				break
			}
			ok, err := r.leases.Acquire(ctx, leaseKey(c.id), reviewer, r.ttl)
			if err != nil {
				r.releaseLeases(ctx, reviewer, won)
				return r.abandon(ctx, reviewer, claim, fmt.Errorf("claim: %w", err))
			}
			if ok {
				won = append(won, c.id)
			}
		}
		if len(won) > 0 {
			got, err := r.markClaimed(ctx, reviewer, level, until, won)
			if err != nil {
				r.releaseLeases(ctx, reviewer, won)
				return r.abandon(ctx, reviewer, claim, fmt.Errorf("claim: %w", err))
			}
			// A flag decided or re-judged between the read and the
			// lease is not claimed: its lease goes back.
			var lost []int64
			for _, id := range won {
				if !slices.ContainsFunc(got, func(f event.Flag) bool { return f.ID == id }) {
					lost = append(lost, id)
				}
			}
			r.releaseLeases(ctx, reviewer, lost)
			if len(got) > 0 && claim.LeaseExpiresAt.IsZero() {
				claim.LeaseExpiresAt = until // the first batch's, the earliest
			}
			claim.Flags = append(claim.Flags, got...)
		}
		if len(candidates) < page {
			break
		}
	}
	if claim.LeaseExpiresAt.IsZero() {
		claim.LeaseExpiresAt = r.s.now().UTC().Add(r.ttl) // nothing claimed
	}
	sortFlags(claim.Flags, sort)
	return claim, nil
}

// abandon gives back what a failed claim had taken and returns err.
func (r *Review) abandon(ctx context.Context, reviewer string, claim event.Claim, err error) (event.Claim, error) {
	if len(claim.Flags) > 0 {
		ids := make([]int64, len(claim.Flags))
		for i, f := range claim.Flags {
			ids[i] = f.ID
		}
		_, _ = r.Release(context.WithoutCancel(ctx), reviewer, ids)
	}
	return event.Claim{}, err
}

// releaseLeases gives back leases, best effort: one that cannot be given
// back lapses by itself.
func (r *Review) releaseLeases(ctx context.Context, reviewer string, ids []int64) {
	ctx = context.WithoutCancel(ctx)
	for _, id := range ids {
		_ = r.leases.Release(ctx, leaseKey(id), reviewer)
	}
}

// markClaimed mirrors the leases reviewer won on ids in the flags rows
// that are still claimable from level, and returns those flags.
func (r *Review) markClaimed(ctx context.Context, reviewer, level string, until time.Time, ids []int64) ([]event.Flag, error) {
	var claimed []int64
	err := r.s.reviewWrite(ctx, func(tx *tx) error {
		claimed = nil
		if !until.After(tx.now) {
			// The leases lapsed while this claim waited to write: the
			// flags are not handed out (their leases go back).
			return nil
		}
		in, args := flagIDList(ids)
		args = append([]any{reviewer, encodeTime(until)}, args...)
		args = append(args, level, level, encodeTime(tx.now))
		rows, err := tx.query(ctx, `UPDATE flags SET status = 'claimed', claimed_by = ?,
	claimed_from = CASE WHEN status = 'claimed' THEN claimed_from ELSE status END, lease_until = ?
WHERE id IN `+in+` AND unflagged_at IS NULL
	AND (status = ? OR (status = 'claimed' AND claimed_from = ? AND lease_until <= ?))
RETURNING id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			claimed = append(claimed, id)
		}
		return closeRows(rows)
	})
	if err != nil || len(claimed) == 0 {
		return nil, err
	}
	// Read outside the write, which SQLite's one writer waits for.
	var got []event.Flag
	err = r.s.reviewRead(ctx, func(tx *tx) error {
		var err error
		got, err = readFlagsByID(ctx, tx, claimed)
		return err
	})
	for i := range got {
		// As claimed, even if the claim took so long that its leases
		// lapsed by now (the monitor sees the past expiry).
		got[i].Status, got[i].ClaimedBy, got[i].LeaseExpiresAt = event.StatusClaimed, reviewer, until
	}
	return got, err
}

// Release implements event.ReviewService.
func (r *Review) Release(ctx context.Context, reviewer string, flagIDs []int64) ([]int64, error) {
	if err := checkReviewer(reviewer); err != nil {
		return nil, err
	}
	if len(flagIDs) > event.MaxClaimLimit*10 {
		return nil, event.Errorf(event.EINVALID, "%d flags: release at most %d at once", len(flagIDs), event.MaxClaimLimit*10)
	}
	for _, id := range flagIDs {
		if id <= 0 {
			return nil, event.Errorf(event.EINVALID, "flag id %d must be positive", id)
		}
	}
	released := []int64{}
	if len(flagIDs) == 0 {
		return released, nil
	}
	err := r.s.reviewWrite(ctx, func(tx *tx) error {
		released = released[:0]
		in, args := flagIDList(flagIDs)
		args = append(args, reviewer)
		rows, err := tx.query(ctx, `UPDATE flags SET status = claimed_from, claimed_by = NULL,
	claimed_from = NULL, lease_until = NULL
WHERE id IN `+in+` AND status = 'claimed' AND claimed_by = ?
RETURNING id`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			released = append(released, id)
		}
		return closeRows(rows)
	})
	if err != nil {
		return nil, fmt.Errorf("release: %w", err)
	}
	// Every lease asked for goes back, mirrored or not (a claim that
	// died between taking a lease and mirroring it leaves one); the
	// leases only let their owner release them.
	r.releaseLeases(ctx, reviewer, flagIDs)
	slices.Sort(released)
	return released, nil
}

// Decide implements event.ReviewService.
func (r *Review) Decide(ctx context.Context, req event.DecisionRequest) (event.Flag, error) {
	res, err := r.decide(ctx, []event.DecisionRequest{req})
	if err != nil {
		return event.Flag{}, err
	}
	if res[0].Err != nil {
		return event.Flag{}, res[0].Err
	}
	return *res[0].Flag, nil
}

// DecideBulk implements event.ReviewService. The decisions run in order in
// one transaction, each in a savepoint of its own: one refused (its
// result's Err: invalid, not found, not the caller's, decided already) is
// rolled back alone and leaves the others standing. An error of the store
// itself fails the bulk as a whole (nothing is decided) and is returned.
func (r *Review) DecideBulk(ctx context.Context, rs []event.DecisionRequest) ([]event.DecisionResult, error) {
	if len(rs) > event.MaxBulkDecisions {
		return nil, event.Errorf(event.EINVALID, "%d decisions: at most %d at once", len(rs), event.MaxBulkDecisions)
	}
	return r.decide(ctx, rs)
}

// errRefused rolls back a single decision that was refused.
var errRefused = errors.New("decision refused")

// decisionItem is one decision on its way: the request, the flag's lease
// as read before the write, and its result.
type decisionItem struct {
	req   event.DecisionRequest
	owner string
	held  bool
	// ok and err are the outcome, set by the write that ran it: ok when
	// recorded, err (with a code) when refused.
	ok  bool
	err error
}

// decide checks the decisions rs, records those that pass in one write
// transaction (a single decision is grouped with others arriving at the
// same time; see decisionGroup), then reads back the flags decided.
func (r *Review) decide(ctx context.Context, rs []event.DecisionRequest) ([]event.DecisionResult, error) {
	out := make([]event.DecisionResult, len(rs))
	items := make([]*decisionItem, len(rs))
	var todo []*decisionItem
	for i, req := range rs {
		out[i].FlagID = req.FlagID
		it := &decisionItem{req: req}
		items[i] = it
		err := req.Validate()
		if err == nil {
			err = checkReviewer(req.Reviewer)
		}
		if err == nil {
			it.owner, it.held, err = r.leases.Owner(ctx, leaseKey(req.FlagID))
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		todo = append(todo, it)
	}
	if len(todo) == 0 {
		return out, nil
	}
	if err := r.prepare(ctx); err != nil {
		return nil, fmt.Errorf("decide: prepare: %w", err)
	}
	var err error
	if len(rs) == 1 {
		err = r.group.commit(ctx, r.write, todo[0])
	} else {
		err = r.write(ctx, todo)
	}
	if err != nil {
		return nil, err
	}
	// The flags as decided, read outside the write (which SQLite's one
	// writer waits for), with their decisions.
	var decided []int64
	for i, it := range items {
		switch {
		case it.ok:
			r.releaseLeases(ctx, it.req.Reviewer, []int64{it.req.FlagID})
			decided = append(decided, it.req.FlagID)
		case it.err != nil:
			out[i].Err = it.err
		}
	}
	if len(decided) == 0 {
		return out, nil
	}
	var fs []event.Flag
	err = r.s.reviewRead(ctx, func(tx *tx) error {
		var err error
		fs, err = readFlagsByID(ctx, tx, decided)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("decide: read the flags decided: %w", err)
	}
	for i, it := range items {
		if !it.ok {
			continue
		}
		for j := range fs {
			if fs[j].ID == it.req.FlagID {
				fl := fs[j]
				out[i].Flag = &fl
			}
		}
	}
	return out, nil
}

// write records items in one write transaction, in flag id order (rows
// are locked in a fixed order, so that two writes never wait for each
// other in a cycle; a bulk naming one flag twice keeps its order).
// With more than one item, each runs in a savepoint of its own: one
// refused is rolled back alone and leaves the others standing. An error
// of the store itself fails the write as a whole (nothing is recorded)
// and is returned.
func (r *Review) write(ctx context.Context, items []*decisionItem) error {
	sorted := slices.Clone(items)
	slices.SortStableFunc(sorted, func(a, b *decisionItem) int { return compareIDs(a.req.FlagID, b.req.FlagID) })
	bulk := len(sorted) > 1
	err := r.s.reviewWrite(ctx, func(tx *tx) error {
		for _, it := range sorted {
			it.ok, it.err = false, nil
			if bulk {
				if _, err := tx.exec(ctx, "SAVEPOINT decision"); err != nil {
					return err
				}
			}
			err := r.decideTx(ctx, tx, it.req, it.owner, it.held)
			switch {
			case err != nil && event.ErrorCode(err) == event.EINTERNAL:
				return fmt.Errorf("decide flag %d: %w", it.req.FlagID, err)
			case err != nil:
				it.err = err
				if !bulk {
					return errRefused // nothing of it is kept
				}
				if _, err := tx.exec(ctx, "ROLLBACK TO SAVEPOINT decision"); err != nil {
					return err
				}
			default:
				it.ok = true
			}
			if bulk {
				if _, err := tx.exec(ctx, "RELEASE SAVEPOINT decision"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRefused) {
		for _, it := range sorted {
			it.ok, it.err = false, nil
		}
		return err
	}
	return nil
}

// decisionGroup commits single decisions that arrive together in one
// transaction: group commit. Every decision appends to the audit chain,
// whose head is one row locked from the append to the commit, so
// decisions commit one at a time, each paying for its own commit (a WAL
// flush). Grouped, one commit records every decision that queued while
// the previous one ran.
//
// There is no goroutine of its own: the first caller to find the group
// idle leads, writing its decision and everything queued behind it; the
// others wait. When a leader's write ends, the first waiter left in the
// queue (if any) leads the next write. A waiter cannot leave early (it
// may be the next leader), so a write runs on a context that a caller's
// cancellation does not end.
type decisionGroup struct {
	mu    sync.Mutex
	busy  bool
	queue []*groupedDecision
}

// groupWriteTimeout bounds a grouped write: a store that hangs fails the
// decisions waiting on it instead of holding them for ever.
const groupWriteTimeout = time.Minute

type groupedDecision struct {
	item *decisionItem
	wake chan struct{} // written once: done, or lead
	done bool
	err  error
}

// commit records it through write, grouped with the decisions queued with
// it, and returns write's error.
func (g *decisionGroup) commit(ctx context.Context, write func(context.Context, []*decisionItem) error, it *decisionItem) error {
	me := &groupedDecision{item: it, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, me)
	if g.busy {
		g.mu.Unlock()
		<-me.wake
		if me.done {
			return me.err
		}
		// Woken to lead: me is first in the queue.
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	g.mu.Lock()
	n := min(len(g.queue), event.MaxBulkDecisions)
	batch := slices.Clone(g.queue[:n])
	g.queue = slices.Delete(g.queue, 0, n)
	g.mu.Unlock()

	items := make([]*decisionItem, len(batch))
	for i, d := range batch {
		items[i] = d.item
	}
	// Bounded, since no caller can cut it short.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), groupWriteTimeout)
	err := write(wctx, items)
	cancel()
	for _, d := range batch {
		if d != me {
			d.err, d.done = err, true
			d.wake <- struct{}{}
		}
	}
	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].wake <- struct{}{} // the next leader
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return err
}

// decideTx records one decision in tx, or returns why not: an error with a
// code (EINTERNAL for the store's own). owner and held are the
// flag's lease as read before tx.
func (r *Review) decideTx(ctx context.Context, tx *tx, req event.DecisionRequest, owner string, held bool) error {
	// The flag's row as stored, locked.
	var status string
	var claimedBy, claimedFrom sql.NullString
	var leaseUntil time.Time
	now := encodeTime(tx.now)
	err := r.stmt(ctx, tx, decideSelect+tx.d.forUpdate).QueryRowContext(ctx, req.FlagID).Scan(
		&status, &claimedBy, &claimedFrom, timeColumn{&leaseUntil})
	if errors.Is(err, sql.ErrNoRows) {
		return event.Errorf(event.ENOTFOUND, "flag %d not found", req.FlagID)
	}
	if err != nil {
		return err
	}
	running := status == event.StatusClaimed && leaseUntil.After(tx.now)
	asRead := status
	if status == event.StatusClaimed && !running {
		asRead = claimedFrom.String
	}
	mine := running && claimedBy.String == req.Reviewer && held && owner == req.Reviewer
	switch {
	case asRead == event.StatusConfirmed || asRead == event.StatusDismissed:
		return event.Errorf(event.ECONFLICT, "flag %d is decided already (%s)", req.FlagID, asRead)
	case mine:
	case running && claimedBy.String != req.Reviewer, running && held:
		return event.Errorf(event.ECONFLICT, "flag %d is claimed by another monitor", req.FlagID)
	case running:
		return event.Errorf(event.ECONFLICT, "your lease on flag %d is gone: claim it again", req.FlagID)
	case claimedBy.String == req.Reviewer:
		return event.Errorf(event.ECONFLICT, "your claim on flag %d lapsed: claim it again", req.FlagID)
	case asRead == event.StatusEscalated:
		return event.Errorf(event.ECONFLICT, "flag %d is escalated: it takes its next decision from the escalated queue (claim it there first)", req.FlagID)
	default:
		return event.Errorf(event.ECONFLICT, "flag %d is not claimed by you: claim it first", req.FlagID)
	}
	level := claimedFrom.String
	if level == event.StatusEscalated && req.Decision == event.DecisionEscalate {
		return event.Errorf(event.ECONFLICT, "flag %d is escalated already: confirm or dismiss it", req.FlagID)
	}
	decided := event.DecisionStatus(req.Decision)
	if _, err := r.stmt(ctx, tx, decideUpdate).ExecContext(ctx, decided, req.FlagID); err != nil {
		return fmt.Errorf("update flag: %w", err)
	}
	if _, err := r.stmt(ctx, tx, decideInsert).ExecContext(ctx, req.FlagID, level, req.Decision, req.Note,
		req.Translation, req.Reviewer, now); err != nil {
		return fmt.Errorf("insert decision: %w", err)
	}
	// The audit entry says what was decided, not the note's text.
	details := fmt.Sprintf(`{"decision":%q,"has_note":%t,"has_translation":%t,"level":%q}`,
		req.Decision, req.Note != "", req.Translation != "", level)
	if _, err := appendAuditTx(ctx, tx, event.AuditEntry{Actor: req.Reviewer, Action: event.AuditDecision,
		Subject: "flag:" + strconv.FormatInt(req.FlagID, 10), Details: []byte(details)}); err != nil {
		return err
	}
	return nil
}

// readFlagsByID reads the flags with the given ids, in id order, as read in
// tx, with their decisions.
func readFlagsByID(ctx context.Context, tx *tx, ids []int64) ([]event.Flag, error) {
	if len(ids) == 0 {
		return []event.Flag{}, nil
	}
	in, args := flagIDList(ids)
	now := encodeTime(tx.now)
	rows, err := tx.query(ctx, `SELECT `+flagColumns+` FROM flags f WHERE f.id IN `+in+` ORDER BY f.id`,
		append(flagColumnArgs(now), args...)...)
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
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	return fs, attachDecisions(ctx, tx, fs)
}

// sortFlags puts a claim's flags in the sort's order (the batches of a
// claim each come in it, and a later batch may hold flags freed meanwhile).
func sortFlags(fs []event.Flag, sort string) {
	slices.SortStableFunc(fs, func(a, b event.Flag) int {
		switch sort {
		case event.SortSeverity:
			if a.Score != b.Score {
				if a.Score > b.Score {
					return -1
				}
				return 1
			}
		case event.SortScore:
			if a.Score != b.Score {
				if a.Score < b.Score {
					return -1
				}
				return 1
			}
			return compareIDs(b.ID, a.ID)
		case event.SortNewest:
			return compareIDs(b.ID, a.ID)
		}
		return compareIDs(a.ID, b.ID)
	})
}

func compareIDs(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// flagIDList returns "(?, ?, ...)" for ids and the ids as arguments.
func flagIDList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// reviewRead runs fn in a read transaction.
func (s *Store) reviewRead(ctx context.Context, fn func(*tx) error) error {
	tx, err := s.beginRead(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// reviewWrite runs fn in a write transaction and commits it, running it
// again when PostgreSQL aborted it in a deadlock or a serialization
// failure (see dialect.go; nothing was written); fn must set its results
// afresh each time.
func (s *Store) reviewWrite(ctx context.Context, fn func(*tx) error) error {
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
