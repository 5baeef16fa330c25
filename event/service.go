package event

import (
	"context"
	"time"
)

// Account is an author as the store aggregates it.
type Account struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
	Handle   string `json:"handle,omitempty"`
	Name     string `json:"name,omitempty"`
	// Handles lists every handle seen for the account, oldest first.
	Handles   []string `json:"handles,omitempty"`
	PostCount int      `json:"post_count"`
	FlagCount int      `json:"flag_count"`
	// Categories counts the account's flags by category.
	Categories map[string]int `json:"categories"`
	Lists      []string       `json:"lists,omitempty"`
	FirstSeen  time.Time      `json:"first_seen"`
	LastSeen   time.Time      `json:"last_seen"`
}

// AccountFilter selects accounts. Zero values select everything.
type AccountFilter struct {
	// Flagged keeps only accounts with at least one flag.
	Flagged  bool
	Platform string
	// List keeps only accounts found on this account list (a verdict's
	// list hit).
	List   string
	Limit  int // default 100, at most 1000
	Offset int
	// After, when set, starts the page after this account in the list's
	// order (a keyset cursor: the last account of the page before).
	// Paging with After costs the same on every page; a deep Offset costs
	// the accounts it skips.
	After *AccountCursor
}

// AccountCursor is an account's position in the accounts list's order:
// most flags first, then most recently seen, then platform and id, each
// descending.
type AccountCursor struct {
	FlagCount int
	LastSeen  time.Time
	Platform  string
	ID        string
}

// CursorOf returns a's position in the list's order.
func CursorOf(a Account) *AccountCursor {
	return &AccountCursor{FlagCount: a.FlagCount, LastSeen: a.LastSeen, Platform: a.Platform, ID: a.ID}
}

// FlagFilter selects flags, newest first unless Sort says otherwise. Zero
// values select everything.
type FlagFilter struct {
	Platform string
	Category string
	Status   string
	AuthorID string
	// List keeps flags with a hit on this account list; Region keeps
	// flags whose post names a place in this gazetteer region (one of
	// Flag.Regions, such as "sagaing"); Group keeps flags whose post names
	// this target group (one of Flag.Groups, such as "journalists").
	List     string
	Region   string
	Group    string
	MinScore float64
	// Since (inclusive) and Until (exclusive) bound the flags' creation.
	Since time.Time
	Until time.Time
	// Sort is one of Sorts; default SortNewest.
	Sort string
	// After is the cursor of a previous page: the id of its last flag.
	// Newest first, only flags with a smaller ID are returned; in another
	// sort, the flags after that one in the sort's order.
	After int64
	Limit int // default 50, at most 500
}

// StoredPost is a post as the store keeps it, with the verdict on it.
type StoredPost struct {
	Post
	// Verdict holds the classifier's judgement; nil while none is stored.
	Verdict *Verdict `json:"verdict,omitempty"`
	// FlagID is the post's flag, 0 when it was not flagged.
	FlagID int64 `json:"flag_id,omitempty"`
	// StoredAt is when the store first wrote the post.
	StoredAt time.Time `json:"stored_at"`
}

// ReadService is what the api role reads. The store implements it for
// SQLite and PostgreSQL; errors carry ENOTFOUND and EINVALID codes.
type ReadService interface {
	ListAccounts(ctx context.Context, f AccountFilter) ([]Account, error)
	// ListFlags returns a page of flags and the cursor of the next page
	// (0 when this was the last).
	ListFlags(ctx context.Context, f FlagFilter) ([]Flag, int64, error)
	FindPost(ctx context.Context, platform, id string) (*StoredPost, error)
	// Ping reports whether the store can serve reads.
	Ping(ctx context.Context) error
}

// VerdictWriter persists a batch of verdicts in one transaction. It must
// be idempotent on (platform, post_id): writing a verdict twice (a Kafka
// redelivery) changes nothing the second time.
type VerdictWriter interface {
	WriteVerdicts(ctx context.Context, vs []Verdict) error
}
