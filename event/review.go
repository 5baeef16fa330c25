package event

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// The review queue. A monitor claims a batch of flags and holds each under
// a lease for a while (the lease TTL, ten minutes by default): no other
// monitor is handed a flag while its lease runs. The monitor decides each
// (confirm, dismiss or escalate) or gives back what it will not review; a
// lease that runs out puts its flag back in the queue, so a monitor who
// closes the laptop loses nothing for long.
//
// Statuses: a flag is pending until claimed; claimed while a lease on it
// runs (it shows as pending again, or escalated, once the lease lapses);
// confirmed, dismissed or escalated once decided. A pending flag takes one
// decision. An escalated flag takes one more, confirm or dismiss, from
// the second-level queue (claimed with QueueFilter.Status "escalated");
// after that it is final. Any other decision is an ECONFLICT.

// Queue sorts.
const (
	// SortSeverity hands out the highest score first (ties: oldest flag
	// first). The queue's default.
	SortSeverity = "severity"
	// SortScore hands out the lowest score first (ties: newest first),
	// for clearing low-severity noise.
	SortScore = "score"
	// SortAge hands out the oldest flag first (by its creation).
	SortAge = "age"
	// SortNewest hands out the newest flag first. ListFlags' default.
	SortNewest = "newest"
)

// Sorts lists the sorts, the queue's default first.
var Sorts = []string{SortSeverity, SortScore, SortAge, SortNewest}

// ValidSort reports whether s is one of Sorts or "" (the default).
func ValidSort(s string) bool {
	if s == "" {
		return true
	}
	for _, x := range Sorts {
		if s == x {
			return true
		}
	}
	return false
}

// Claim limits.
const (
	DefaultClaimLimit = 25
	MaxClaimLimit     = 100
	// MaxBulkDecisions is the most decisions one DecideBulk takes.
	MaxBulkDecisions = 100
	// DefaultLeaseTTL is how long a claim holds a flag by default.
	DefaultLeaseTTL = 10 * time.Minute
)

// Limits of a decision's free text (UTF-8 bytes). A translation of a
// Burmese post runs three bytes a character.
const (
	MaxDecisionNoteBytes        = 8 << 10
	MaxDecisionTranslationBytes = 32 << 10
)

// QueueFilter selects the flags a claim may hand out. Zero values select
// everything; flags created from Since (inclusive) until Until
// (exclusive).
type QueueFilter struct {
	Category string `json:"category,omitempty"`
	Platform string `json:"platform,omitempty"`
	// List keeps flags raised or marked by this account list.
	List string `json:"list,omitempty"`
	// Region keeps flags whose post names a place in this gazetteer
	// region (one of Flag.Regions, such as "sagaing").
	Region string `json:"region,omitempty"`
	// Group keeps flags whose post names this target group (one of
	// Flag.Groups, such as "journalists").
	Group    string    `json:"group,omitempty"`
	MinScore float64   `json:"min_score,omitempty"`
	Since    time.Time `json:"since,omitzero"`
	Until    time.Time `json:"until,omitzero"`
	// Status is the queue: StatusPending (the default) or StatusEscalated
	// (the second-level queue of escalated flags).
	Status string `json:"status,omitempty"`
}

// Validate checks the filter. Its errors have code EINVALID.
func (f *QueueFilter) Validate() error {
	switch f.Status {
	case "", StatusPending, StatusEscalated:
	default:
		return Errorf(EINVALID, "status %q: the queue hands out pending or escalated flags", f.Status)
	}
	if f.MinScore < 0 {
		return Errorf(EINVALID, "min_score %v must not be negative", f.MinScore)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return Errorf(EINVALID, "since must be before until")
	}
	return nil
}

// ClaimRequest is what a monitor asks of the queue (the API's body).
type ClaimRequest struct {
	// Limit is the most flags to hand out: default DefaultClaimLimit, at
	// most MaxClaimLimit.
	Limit int `json:"limit,omitempty"`
	QueueFilter
	// Sort is one of Sorts; default SortSeverity.
	Sort string `json:"sort,omitempty"`
}

// Claim is a batch of flags handed to one monitor, each leased to it at
// least until LeaseExpiresAt (each flag's own LeaseExpiresAt may be a
// little later). It may hold fewer flags than asked for (none when the
// queue is empty or every matching flag is leased to someone else).
type Claim struct {
	Flags          []Flag    `json:"flags"`
	LeaseExpiresAt time.Time `json:"lease_expires_at"`
}

// DecisionRequest is one decision. Reviewer is the deciding monitor's
// pseudonym: the API takes it from the caller's token, never from a body.
type DecisionRequest struct {
	FlagID      int64  `json:"flag_id"`
	Decision    string `json:"decision"`
	Note        string `json:"note,omitempty"`
	Translation string `json:"translation,omitempty"`
	Reviewer    string `json:"-"`
}

// ValidDecision reports whether d is DecisionConfirm, DecisionDismiss or
// DecisionEscalate.
func ValidDecision(d string) bool {
	return d == DecisionConfirm || d == DecisionDismiss || d == DecisionEscalate
}

// DecisionStatus returns the flag status a decision leads to, "" for an
// unknown decision.
func DecisionStatus(d string) string {
	switch d {
	case DecisionConfirm:
		return StatusConfirmed
	case DecisionDismiss:
		return StatusDismissed
	case DecisionEscalate:
		return StatusEscalated
	}
	return ""
}

// Validate checks the request as given (not whether the reviewer holds
// the flag). Its errors have code EINVALID.
func (r *DecisionRequest) Validate() error {
	switch {
	case r.FlagID <= 0:
		return Errorf(EINVALID, "flag_id must be a positive integer")
	case !ValidDecision(r.Decision):
		return Errorf(EINVALID, "decision %q: want confirm, dismiss or escalate", r.Decision)
	case r.Reviewer == "":
		return Errorf(EINVALID, "a decision needs the reviewer's pseudonym")
	}
	for _, t := range []struct {
		name, v string
		most    int
	}{{"note", r.Note, MaxDecisionNoteBytes}, {"translation", r.Translation, MaxDecisionTranslationBytes}} {
		switch {
		case len(t.v) > t.most:
			return Errorf(EINVALID, "%s: %d bytes, over %d", t.name, len(t.v), t.most)
		case !utf8.ValidString(t.v):
			return Errorf(EINVALID, "%s: not valid UTF-8", t.name)
		case strings.IndexByte(t.v, 0) >= 0:
			return Errorf(EINVALID, "%s holds a NUL character", t.name)
		}
	}
	return nil
}

// DecisionResult is the outcome of one decision of a bulk: the flag as
// decided, or the error (an *Error) that refused it.
type DecisionResult struct {
	FlagID int64 `json:"flag_id"`
	Flag   *Flag `json:"flag,omitempty"`
	Err    error `json:"-"`
}

// ReviewService is the review queue. Errors carry EINVALID, ENOTFOUND,
// ECONFLICT (the flag is decided already, or leased to someone else, or
// the caller's lease lapsed) and EUNAVAILABLE (the leases cannot be
// reached) codes.
type ReviewService interface {
	// Claim leases to reviewer up to limit flags matching f, in sort's
	// order, each for the lease TTL. Two monitors claiming at once get
	// disjoint batches.
	Claim(ctx context.Context, reviewer string, limit int, f QueueFilter, sort string) (Claim, error)
	// Release gives back flags that reviewer holds and will not decide;
	// it returns the ids it released (a flag reviewer does not hold is
	// left alone, not an error).
	Release(ctx context.Context, reviewer string, flagIDs []int64) ([]int64, error)
	// Decide records a decision by the monitor holding the flag's lease,
	// with its audit entry, and releases the lease. It returns the flag
	// as decided.
	Decide(ctx context.Context, r DecisionRequest) (Flag, error)
	// DecideBulk decides each request on its own, in order: one that is
	// refused (its result's Err) does not undo the others. The error is
	// for the bulk as a whole (too many requests; the store failing, in
	// which case nothing of the bulk is decided).
	DecideBulk(ctx context.Context, rs []DecisionRequest) ([]DecisionResult, error)
}

// Leases are named, expiring locks: a key is held by one owner at a time
// until its TTL runs out or the owner releases it. The store implements
// them in Redis (several api replicas) and in process (embedded mode).
type Leases interface {
	// Acquire takes key for owner for ttl when no one holds it; it
	// reports whether it did. A key owner already holds is not taken
	// again (false).
	Acquire(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	// Owner returns who holds key, ok false when no one does.
	Owner(ctx context.Context, key string) (owner string, ok bool, err error)
	// Release gives key up if owner holds it; otherwise it does nothing.
	Release(ctx context.Context, key, owner string) error
	// Extend restarts the TTL of key if owner holds it, reporting whether
	// it did.
	Extend(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
}

// QueueCounts is the review backlog as read at At: flags by status as
// read (a lapsed claim counts as the status it was claimed from), the
// claims running per reviewer, and the creation time of the oldest flag
// waiting in each queue (zero when the queue is empty).
type QueueCounts struct {
	At        time.Time `json:"at"`
	Pending   int       `json:"pending"`
	Claimed   int       `json:"claimed"`
	Escalated int       `json:"escalated"`
	Confirmed int       `json:"confirmed"`
	Dismissed int       `json:"dismissed"`
	// ClaimedBy counts running claims by reviewer pseudonym.
	ClaimedBy map[string]int `json:"claimed_by"`
	// OldestPending and OldestEscalated are the creation times of the
	// oldest flag each queue still holds.
	OldestPending   time.Time `json:"oldest_pending,omitzero"`
	OldestEscalated time.Time `json:"oldest_escalated,omitzero"`
}

// QueueCounter reads the backlog, for the console's live counts and the
// queue metrics. It must stay cheap on a large store (indexes, not a scan
// of every flag).
type QueueCounter interface {
	QueueCounts(ctx context.Context) (QueueCounts, error)
}
