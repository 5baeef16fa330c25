package event

import (
	"context"
	"time"
)

// Evidence is what an advocate takes to a platform: the posts of one
// account, or of one case, exactly as they were captured, with why each
// was flagged and how it was reviewed. The store gathers it
// (EvidenceService); the api writes it as a signed pack (api/evidence).

// EvidenceRequest names what a pack is about: one account, or one case.
// Exactly one of Account and CaseID is set.
type EvidenceRequest struct {
	Account *AccountRef
	CaseID  int64
	// Statuses are the review statuses of the flags taken in; empty
	// means confirmed and escalated only (what monitors judged to break
	// a policy). A case's own flags (added to it by an advocate) are
	// taken in whatever their status.
	Statuses []string
	// Limit is the most posts taken in (newest flags first); 0 means
	// MaxEvidencePosts.
	Limit int
}

// MaxEvidencePosts is the most posts one pack holds.
const MaxEvidencePosts = 50000

// ReviewStep is one decision on a flag as a pack shows it: the
// reviewer's pseudonym, never a name, and never the reviewer's note (a
// note is for the team; the translation is for the platform).
type ReviewStep struct {
	FlagID int64 `json:"flag_id"`
	// Level is the status the flag was decided from: pending or
	// escalated.
	Level       string    `json:"level"`
	Decision    string    `json:"decision"`
	Reviewer    string    `json:"reviewer"`
	DecidedAt   time.Time `json:"decided_at"`
	Translation string    `json:"translation,omitempty"`
}

// EvidencePost is one post of a pack: the post as captured (Raw is the
// platform payload byte for byte, RawSHA256 its lowercase hex SHA-256 as
// computed when it was stored), the flag on it as it is now, and every
// decision on that flag, oldest first.
type EvidencePost struct {
	Post      Post      `json:"post"`
	RawSHA256 string    `json:"raw_sha256"`
	StoredAt  time.Time `json:"stored_at"`
	// LexiconHash is the hash of the lexicons that judged the post, ""
	// when the verdict did not record one.
	LexiconHash string       `json:"lexicon_hash,omitempty"`
	Flag        Flag         `json:"flag"`
	Trail       []ReviewStep `json:"trail"`
}

// EvidenceSet is everything a pack holds before it is written. Posts are
// ordered by account (platform, id), then by the post's time, then by
// flag id.
type EvidenceSet struct {
	// Subject names what the pack is about: "account:PLATFORM:ID" or
	// "case:ID".
	Subject string `json:"subject"`
	// Case is set for a case's pack.
	Case *Case `json:"case,omitempty"`
	// Accounts are the accounts whose posts the pack holds (for a case:
	// its accounts too, even those without a post in it), sorted by
	// platform and id, each with its handle history.
	Accounts []AccountView  `json:"accounts"`
	Posts    []EvidencePost `json:"posts"`
	// Truncated says that more posts matched than Limit took in.
	Truncated bool `json:"truncated,omitempty"`
	// GatheredAt is the store's clock when the set was read.
	GatheredAt time.Time `json:"gathered_at"`
}

// PackRecord is an exported pack as the store remembers it: enough to
// find it again and to tie a takedown request to it, not its content.
type PackRecord struct {
	ID        string    `json:"id"`
	Subject   string    `json:"subject"`
	Profile   string    `json:"profile"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is the exporter's pseudonym.
	CreatedBy string `json:"created_by"`
	KeyID     string `json:"key_id"`
	// ManifestSHA256 is the lowercase hex SHA-256 of the pack's
	// manifest.json.
	ManifestSHA256 string `json:"manifest_sha256"`
	Posts          int    `json:"posts"`
}

// EvidenceService gathers evidence and remembers the packs made of it.
// Errors: EINVALID for a bad request, ENOTFOUND for an unknown account or
// case.
type EvidenceService interface {
	Evidence(ctx context.Context, req EvidenceRequest) (*EvidenceSet, error)
	// RecordPack stores r and appends an AuditExport entry (subject
	// "pack:ID", details: the pack's subject, profile, key id, manifest
	// hash and post count) in one transaction. A second record with the
	// same ID is ECONFLICT.
	RecordPack(ctx context.Context, r PackRecord) error
	// Pack returns a recorded pack; ENOTFOUND when there is none.
	Pack(ctx context.Context, id string) (PackRecord, error)
}
