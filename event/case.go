package event

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// A case is what an advocate takes to a platform: one campaign, or one
// network of accounts, with the flags that show it. Cases are built by
// advocates; every change to one (opened, edited, closed or reopened, an
// account or a flag added or removed) is appended to the audit log with
// action AuditCaseUpdate and subject "case:ID", in the transaction that
// makes it.

// Case statuses. A closed case is what was taken to a platform: its
// accounts and flags no longer change until it is reopened.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Limits of a case's fields and of one request's additions.
const (
	MaxCaseTitleBytes       = 200
	MaxCaseDescriptionBytes = 10000
	// MaxCaseBatch is the most accounts or flags one AddAccounts or
	// AddFlags call may add.
	MaxCaseBatch = 1000
)

// Case is a case without its members; AccountCount and FlagCount say how
// many it holds.
type Case struct {
	ID          int64     `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	// CreatedBy is the pseudonym of the advocate who opened the case.
	CreatedBy string    `json:"created_by"`
	UpdatedAt time.Time `json:"updated_at"`
	// AccountCount and FlagCount count the case's accounts and flags
	// (FlagCount includes flags that no longer exist; see CaseDetail).
	AccountCount int `json:"account_count"`
	FlagCount    int `json:"flag_count"`
}

// CaseAccount is an account in a case: the account's aggregate as it is
// now, and who added it when.
type CaseAccount struct {
	Account
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// CaseFlag is a flag in a case, as it is now, and who added it when.
type CaseFlag struct {
	Flag
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
}

// MissingCaseFlag is a flag added to a case that no longer exists: a flag
// still pending review is deleted when a later verdict stops flagging its
// post (a re-judgement). Its post, which is never deleted, is named.
type MissingCaseFlag struct {
	FlagID   int64     `json:"flag_id"`
	Platform string    `json:"platform"`
	PostID   string    `json:"post_id"`
	AddedAt  time.Time `json:"added_at"`
	AddedBy  string    `json:"added_by"`
}

// CaseDetail is a case with its members: accounts sorted by platform and
// id, flags newest first.
type CaseDetail struct {
	Case
	Accounts     []CaseAccount     `json:"accounts"`
	Flags        []CaseFlag        `json:"flags"`
	MissingFlags []MissingCaseFlag `json:"missing_flags"`
}

// AccountRef names an account.
type AccountRef struct {
	Platform string `json:"platform"`
	ID       string `json:"id"`
}

// NewCase is what CreateCase needs. CreatedBy is a pseudonym.
type NewCase struct {
	Title       string
	Description string
	CreatedBy   string
}

// CaseUpdate changes a case's fields; nil leaves a field as it is.
type CaseUpdate struct {
	Title       *string
	Description *string
	Status      *string
}

// CaseFilter selects cases, most recently updated first. Zero values
// select everything.
type CaseFilter struct {
	Status string // CaseOpen, CaseClosed or "" for both
	Limit  int    // default 100, at most 1000
	Offset int
}

// CaseService keeps cases. Every change appends an AuditCaseUpdate entry
// naming what changed (field names, account and flag ids; never the free
// text) in the same transaction; a call that changes nothing (an account
// added twice, a field set to its value) appends nothing. by is the
// actor's pseudonym. Errors: EINVALID for bad input, ENOTFOUND for an
// unknown case, account or flag, ECONFLICT for a change to the members of
// a closed case.
type CaseService interface {
	CreateCase(ctx context.Context, c NewCase) (Case, error)
	ListCases(ctx context.Context, f CaseFilter) ([]Case, error)
	GetCase(ctx context.Context, id int64) (*CaseDetail, error)
	UpdateCase(ctx context.Context, id int64, u CaseUpdate, by string) (Case, error)
	// AddAccounts adds accounts the store has; any unknown one fails the
	// whole call. It returns how many were not in the case yet.
	AddAccounts(ctx context.Context, id int64, accounts []AccountRef, by string) (int, error)
	// RemoveAccount removes an account; one not in the case is no error.
	RemoveAccount(ctx context.Context, id int64, a AccountRef, by string) error
	// AddFlags adds existing flags and returns how many were new to the
	// case.
	AddFlags(ctx context.Context, id int64, flagIDs []int64, by string) (int, error)
	// RemoveFlag removes a flag; one not in the case is no error.
	RemoveFlag(ctx context.Context, id int64, flagID int64, by string) error
}

// HandleSeen is a handle an account used, with when it was first and last
// seen on its posts.
type HandleSeen struct {
	Handle    string    `json:"handle"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// CaseRef names a case.
type CaseRef struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// AccountView is everything the store knows about one account: its
// aggregate, every handle with when it was seen (oldest first), its flags
// by review status and the cases that hold it.
type AccountView struct {
	Account
	HandleHistory []HandleSeen `json:"handle_history"`
	// FlagsByStatus counts the account's flags (those FlagCount counts) by
	// review status; every status is present, 0 when it has none.
	FlagsByStatus map[string]int `json:"flags_by_status"`
	// UnflaggedReviewed counts flags a monitor had claimed or decided on
	// whose posts a later verdict no longer flags: kept with their
	// review, they count neither in FlagCount nor in FlagsByStatus.
	UnflaggedReviewed int `json:"unflagged_reviewed"`
	// Cases are the cases that hold the account, oldest first.
	Cases []CaseRef `json:"cases"`
}

// AccountViewService serves one account's view; an account the store has
// never seen is ENOTFOUND.
type AccountViewService interface {
	FindAccount(ctx context.Context, platform, id string) (*AccountView, error)
}

// FlagStatuses lists the review statuses of a flag.
var FlagStatuses = []string{StatusPending, StatusClaimed, StatusConfirmed, StatusDismissed, StatusEscalated}

// ValidCaseStatus reports whether s is CaseOpen or CaseClosed.
func ValidCaseStatus(s string) bool { return s == CaseOpen || s == CaseClosed }

// CheckCaseTitle checks a case's title: required, at most
// MaxCaseTitleBytes of UTF-8, one line without control characters.
func CheckCaseTitle(title string) error {
	switch {
	case strings.TrimSpace(title) == "":
		return Errorf(EINVALID, "title is required")
	case len(title) > MaxCaseTitleBytes:
		return Errorf(EINVALID, "title is longer than %d bytes", MaxCaseTitleBytes)
	case !utf8.ValidString(title):
		return Errorf(EINVALID, "title is not valid UTF-8")
	}
	for _, r := range title {
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "title holds a control character (a line break?)")
		}
	}
	return nil
}

// CheckCaseDescription checks a case's description: at most
// MaxCaseDescriptionBytes of UTF-8; line breaks and tabs are the only
// control characters allowed.
func CheckCaseDescription(d string) error {
	switch {
	case len(d) > MaxCaseDescriptionBytes:
		return Errorf(EINVALID, "description is longer than %d bytes", MaxCaseDescriptionBytes)
	case !utf8.ValidString(d):
		return Errorf(EINVALID, "description is not valid UTF-8")
	}
	for _, r := range d {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return Errorf(EINVALID, "description holds a control character")
		}
	}
	return nil
}
