package event

import (
	"context"
	"time"
)

// A takedown request is an advocate's report of accounts (usually with a
// pack) to a platform, tracked until the platform answers. Every change
// appends an AuditTakedown entry with subject "takedown:ID" in the same
// transaction.

// Takedown statuses. A request starts as sent; acknowledged is optional
// on the way; actioned, rejected and no_response end it (an ended
// request may still move on: a rejection appealed and then actioned).
const (
	TakedownSent         = "sent"
	TakedownAcknowledged = "acknowledged"
	TakedownActioned     = "actioned"
	TakedownRejected     = "rejected"
	TakedownNoResponse   = "no_response"
)

// TakedownStatuses lists the statuses in funnel order.
var TakedownStatuses = []string{TakedownSent, TakedownAcknowledged, TakedownActioned, TakedownRejected, TakedownNoResponse}

// AuditTakedown is the audit action of a takedown request's creation and
// of each change to it.
const AuditTakedown = "takedown"

// Limits of a takedown request's fields.
const (
	MaxTakedownAccounts  = 1000
	MaxTakedownTextBytes = 2000 // channel, reference and note each
)

// Takedown is one request as it stands, with its history.
type Takedown struct {
	ID int64 `json:"id"`
	// Platform is the platform profile the request went to (meta, x,
	// youtube, tiktok, telegram) or another platform's name.
	Platform string `json:"platform"`
	// Channel is how it was sent: "trusted flagger portal",
	// "email to ...", a form's name.
	Channel string `json:"channel"`
	// PackID is the evidence pack sent with it, "" for none.
	PackID string `json:"pack_id,omitempty"`
	// CaseID is the case it came from, 0 for none.
	CaseID   int64        `json:"case_id,omitempty"`
	Accounts []AccountRef `json:"accounts"`
	SentAt   time.Time    `json:"sent_at"`
	// Reference is the platform's own reference for the report, once
	// it gave one.
	Reference string    `json:"reference,omitempty"`
	Status    string    `json:"status"`
	StatusAt  time.Time `json:"status_at"`
	// ActionedAt is when the platform acted (status actioned), zero
	// otherwise; TimeToActionSeconds is ActionedAt - SentAt.
	ActionedAt          time.Time        `json:"actioned_at,omitzero"`
	TimeToActionSeconds float64          `json:"time_to_action_seconds,omitempty"`
	CreatedBy           string           `json:"created_by"`
	CreatedAt           time.Time        `json:"created_at"`
	History             []TakedownChange `json:"history"`
}

// TakedownChange is one step of a request's history, oldest first.
type TakedownChange struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
}

// NewTakedown is what CreateTakedown needs. SentAt zero means now.
type NewTakedown struct {
	Platform  string       `json:"platform"`
	Channel   string       `json:"channel"`
	PackID    string       `json:"pack_id,omitempty"`
	CaseID    int64        `json:"case_id,omitempty"`
	Accounts  []AccountRef `json:"accounts"`
	SentAt    time.Time    `json:"sent_at,omitzero"`
	Reference string       `json:"reference,omitempty"`
	Note      string       `json:"note,omitempty"`
}

// TakedownUpdate moves a request to Status at At (zero: now), and sets
// its Reference when given.
type TakedownUpdate struct {
	Status    string    `json:"status"`
	At        time.Time `json:"at,omitzero"`
	Reference *string   `json:"reference,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// TakedownFilter selects requests, most recently sent first.
type TakedownFilter struct {
	Status   string
	Platform string
	CaseID   int64
	Account  *AccountRef
	Limit    int // default 100, at most 1000
	Offset   int
}

// Reappearance is an account seen again after a platform actioned a
// request against it: a post from the same platform account id, stored
// after ActionedAt. NewHandles are the handles first seen after it (an
// account that came back under a new name).
type Reappearance struct {
	Account    AccountRef `json:"account"`
	TakedownID int64      `json:"takedown_id"`
	ActionedAt time.Time  `json:"actioned_at"`
	// HandleAtAction is the handle the account had when it was actioned.
	HandleAtAction string    `json:"handle_at_action,omitempty"`
	Handle         string    `json:"handle"`
	NewHandles     []string  `json:"new_handles"`
	LastSeen       time.Time `json:"last_seen"`
	// PostsSince counts the account's posts stored after ActionedAt.
	PostsSince int `json:"posts_since"`
}

// TakedownStats is the funnel: requests by status (every status
// present), and the time to action of every actioned request, in
// seconds, for a histogram.
type TakedownStats struct {
	ByStatus     map[string]int `json:"by_status"`
	TimeToAction []float64      `json:"time_to_action_seconds"`
	Reappeared   int            `json:"reappeared"`
}

// TakedownService tracks takedown requests. by is the actor's pseudonym.
// Errors: EINVALID for bad input (an unknown status, no accounts, an
// update to the status it has), ENOTFOUND for an unknown request, pack or
// case.
type TakedownService interface {
	CreateTakedown(ctx context.Context, n NewTakedown, by string) (Takedown, error)
	UpdateTakedown(ctx context.Context, id int64, u TakedownUpdate, by string) (Takedown, error)
	GetTakedown(ctx context.Context, id int64) (Takedown, error)
	ListTakedowns(ctx context.Context, f TakedownFilter) ([]Takedown, error)
	// Reappeared lists accounts seen again after they were actioned,
	// most recently seen first.
	Reappeared(ctx context.Context, limit int) ([]Reappearance, error)
	TakedownStats(ctx context.Context) (TakedownStats, error)
}
