// Package event holds the types every Vigil role shares: posts as captured,
// the classifier's verdicts and flags, review decisions, the Kafka topic
// names, the versioned JSON codec used on those topics, validation with
// precise errors, the domain error type, and the service interfaces that the
// api role consumes.
//
// It is the leaf of the workspace: it imports only the standard library, and
// every other module imports it.
package event

// Kafka topics between the stages. A post flows
// source → ingest → TopicPosts → classify → TopicFlags → store.
const (
	// TopicPosts carries every captured post (an Envelope), keyed by
	// Post.Key so that one account's posts stay in order.
	TopicPosts = "vigil.posts"
	// TopicFlags carries one Verdict per classified post, flagged or not,
	// so that the store records every post with the judgement made on it.
	TopicFlags = "vigil.flags"
	// TopicDeadLetter receives every message a role could not handle,
	// with the reason and its origin in headers (see the Header* names).
	TopicDeadLetter = "vigil.deadletter"
)

// HeaderRaw carries a post's raw payload, as captured, beside the JSON
// body of every message on TopicPosts and TopicFlags (see EncodePost).
const HeaderRaw = "vigil-raw"

// Dead-letter headers. Every message on TopicDeadLetter carries
// HeaderReason and HeaderRole; a message that came from a topic carries the
// topic, partition and offset; one that came from a source before Kafka
// carries HeaderSource (for a file, "file:PATH:LINE").
const (
	HeaderReason        = "vigil-dlq-reason"
	HeaderRole          = "vigil-dlq-role"
	HeaderTopic         = "vigil-dlq-topic"
	HeaderPartition     = "vigil-dlq-partition"
	HeaderOffset        = "vigil-dlq-offset"
	HeaderSource        = "vigil-dlq-source"
	HeaderOriginalBytes = "vigil-dlq-original-bytes"
	HeaderOriginalSHA   = "vigil-dlq-original-sha256"
	HeaderTruncated     = "vigil-dlq-truncated"
)

// SchemaVersion is the version of the JSON carried on the topics. A reader
// refuses a newer version rather than misread it.
const SchemaVersion = 1
