// Package ingest is the first stage of the pipeline: sources capture posts
// from the platforms (one package each), and the Ingester deduplicates them
// and writes them, batched, to the posts topic, sending input that cannot
// become a post to the dead-letter topic with its reason. A source's cursor
// moves only after what it read is durable in Kafka.
package ingest

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/event"
)

// Item is one thing a source read: a post, or input that could not become
// one (Err set), which goes to the dead-letter topic.
type Item struct {
	// Post is the captured post, valid when Err is nil.
	Post event.Post
	// Err says why the input is not a post.
	Err error
	// Payload is the input as read, for the dead-letter topic (only used
	// when Err is set).
	Payload []byte
	// Origin says where the input came from, e.g. "file:posts.jsonl:17".
	Origin string
	// Ack, when set, is called once the item is durable (in the posts or
	// the dead-letter topic), in the order the source emitted items.
	Ack func()
}

// Source captures posts. Run sends items on out until the source is done
// (a file read to its end) or ctx ends, and returns nil in both cases; it
// must not close out.
type Source interface {
	Name() string
	Run(ctx context.Context, out chan<- Item) error
}

// Deduper remembers which posts were already written, so that a source that
// re-reads (a restart, an overlapping page) does not flood Kafka. The store
// is idempotent anyway; this saves the work.
type Deduper interface {
	// Seen reports for each key whether it was marked before.
	Seen(ctx context.Context, keys []string) ([]bool, error)
	// Mark records the keys as written.
	Mark(ctx context.Context, keys []string) error
}

// Cursors keep each source's place across restarts.
type Cursors interface {
	Get(ctx context.Context, key string) (string, bool, error)
	Set(ctx context.Context, key, value string) error
}

// capture stamps a post with its capture time and source.
func capture(p *event.Post, source string, now time.Time) {
	if p.CapturedAt.IsZero() {
		p.CapturedAt = now.UTC()
	}
	if p.Source == "" {
		p.Source = source
	}
}
