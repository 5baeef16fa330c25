package event

import "time"

// Match is one place where a lexicon term fired. Start and End are byte
// offsets into the post's original Text (not the normalised copy), so a
// console can highlight exactly what the author wrote.
type Match struct {
	TermID   string `json:"term_id"`
	Category string `json:"category"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	// Field is empty when Start and End are offsets into the post's
	// text; otherwise it names the field they are offsets into:
	// "links[2]" for a domain seen in the post's third link.
	Field string `json:"field,omitempty"`
	// Rule is set when the match fed a co-occurrence rule that fired.
	Rule string `json:"rule,omitempty"`
	// Transforms lists the normalisation steps that were needed to see the
	// match ("casefold", "zawgyi", "invisible", ...); empty when the text
	// matched as written.
	Transforms []string `json:"transforms,omitempty"`
}

// ListHit says that the post's author is on an account list.
type ListHit struct {
	List   string `json:"list"`
	Note   string `json:"note,omitempty"`
	Source string `json:"source,omitempty"`
}

// Verdict is the classifier's judgement on one post: the message on
// TopicFlags. Every post gets one, flagged or not.
type Verdict struct {
	Post    Post `json:"post"`
	Flagged bool `json:"flagged"`
	// Score is the sum of the severities of the categories that fired
	// (lists count as their own severity); 0 when nothing fired.
	Score float64 `json:"score"`
	// Categories that fired and flag the post, sorted.
	Categories []string `json:"categories,omitempty"`
	// Tags are context categories (a target group, a place) seen in the
	// post; they feed rules but never flag alone. Sorted.
	Tags []string `json:"tags,omitempty"`
	// Groups are the target groups the post names (the group of each
	// context term that matched, as the lexicon gives it: "journalists",
	// "minority"). Sorted, without repeats.
	Groups []string `json:"groups,omitempty"`
	// Regions are the gazetteer's region ids (a state or region: "sagaing")
	// of the places the post names; a township counts for its region.
	// Sorted, without repeats.
	Regions []string `json:"regions,omitempty"`
	// Places are the gazetteer ids of the places themselves ("monywa",
	// "sagaing"). Sorted, without repeats.
	Places  []string  `json:"places,omitempty"`
	Matches []Match   `json:"matches,omitempty"`
	Lists   []ListHit `json:"lists,omitempty"`
	// Lexicon is the set of lexicon versions that judged the post,
	// "name@version" joined by commas.
	Lexicon string `json:"lexicon"`
	// LexiconHash is "sha256:" and the hex SHA-256 of everything the
	// classifier was compiled from (each lexicon, account, domain and brand
	// list and gazetteer, in load order): it changes whenever any of them is edited, even
	// when a version string is not, so two verdicts with the same hash were
	// judged by exactly the same data.
	LexiconHash string `json:"lexicon_hash,omitempty"`
	// Pipeline is the Vigil version that judged it.
	Pipeline     string    `json:"pipeline"`
	ClassifiedAt time.Time `json:"classified_at"`
}

// Flag statuses.
const (
	StatusPending   = "pending"
	StatusClaimed   = "claimed"
	StatusConfirmed = "confirmed"
	StatusDismissed = "dismissed"
	StatusEscalated = "escalated"
)

// Flag is a flagged post awaiting or having had review: the unit a
// monitor works on.
type Flag struct {
	ID         int64    `json:"id"`
	Platform   string   `json:"platform"`
	PostID     string   `json:"post_id"`
	AuthorID   string   `json:"author_id"`
	Handle     string   `json:"handle,omitempty"`
	Score      float64  `json:"score"`
	Categories []string `json:"categories"`
	Tags       []string `json:"tags,omitempty"`
	// Groups, Regions and Places are the verdict's: the target groups,
	// regions and places the post names.
	Groups    []string  `json:"groups,omitempty"`
	Regions   []string  `json:"regions,omitempty"`
	Places    []string  `json:"places,omitempty"`
	Matches   []Match   `json:"matches"`
	Lists     []ListHit `json:"lists,omitempty"`
	Lexicon   string    `json:"lexicon"`
	Pipeline  string    `json:"pipeline"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	// PostCreatedAt is the platform's time of the post.
	PostCreatedAt time.Time `json:"post_created_at,omitzero"`
	// ClaimedBy and LeaseExpiresAt are set while the flag is claimed: the
	// monitor's pseudonym and when the lease lapses.
	ClaimedBy      string    `json:"claimed_by,omitempty"`
	LeaseExpiresAt time.Time `json:"lease_expires_at,omitzero"`
	// Decision is the latest decision on a decided flag.
	Decision *Decision `json:"decision,omitempty"`
}

// Decision kinds.
const (
	DecisionConfirm  = "confirm"
	DecisionDismiss  = "dismiss"
	DecisionEscalate = "escalate"
)

// Decision is a monitor's judgement on a flag. Reviewer is the reviewer's
// stable pseudonym, never a name: it is what exports and the audit trail
// show.
type Decision struct {
	FlagID      int64     `json:"flag_id"`
	Decision    string    `json:"decision"`
	Note        string    `json:"note,omitempty"`
	Translation string    `json:"translation,omitempty"`
	Reviewer    string    `json:"reviewer"`
	DecidedAt   time.Time `json:"decided_at"`
}
