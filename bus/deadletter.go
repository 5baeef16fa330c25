package bus

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/vigilhq/vigil/event"
)

// maxReasonBytes bounds the reason header: a decoder error can quote input.
const maxReasonBytes = 1024

// Dead is one message that a role could not handle.
type Dead struct {
	// Message is the message as consumed; Topic, Partition and Offset say
	// where it came from. For input that never reached Kafka (a bad line
	// of a file), leave Topic empty and set Source.
	Message kafka.Message
	// Source names the origin outside Kafka, e.g. "file:posts.jsonl:17".
	Source string
	// Reason says why, for a person. Required.
	Reason string
	// Kind is a short, bounded label for metrics: one of the event.Kind*
	// values (event.KindOf gives it for a validation error). Default
	// event.KindInvalid.
	Kind string
}

// DeadLetters writes unhandled messages to the dead-letter topic with the
// reason and origin in headers. A payload larger than MaxMessageBytes is
// truncated, and its original size and SHA-256 are kept in headers, so
// that the dead-letter topic never refuses what it is given.
type DeadLetters struct {
	role  string
	w     *Writer
	count *prometheus.CounterVec
}

// NewDeadLetters returns a dead-letter writer for role ("ingest",
// "classify", "store"). reg may be nil.
func NewDeadLetters(cfg Config, role string, reg prometheus.Registerer) *DeadLetters {
	count := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "vigil", Subsystem: "deadletter", Name: "messages_total",
		Help: "Messages sent to the dead-letter topic, by role and kind of reason.",
	}, []string{"role", "kind"})
	if reg != nil {
		// Every role of one process shares the counter (role is a label).
		if err := reg.Register(count); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err) // a metric of another shape under this name: a programming error
			}
			count = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	// Every kind starts at 0, so that the series exist (for dashboards and
	// alerts) before the first dead letter.
	for _, kind := range deadKinds {
		count.WithLabelValues(role, kind)
	}
	return &DeadLetters{role: role, w: NewWriter(cfg, event.TopicDeadLetter), count: count}
}

// deadKinds are the kinds of reason a dead letter can have.
var deadKinds = []string{event.KindMalformed, event.KindEncoding, event.KindTooLarge, event.KindSchema, event.KindInvalid}

// Send writes the dead messages and waits for their acknowledgement.
func (d *DeadLetters) Send(ctx context.Context, dead ...Dead) error {
	msgs := make([]kafka.Message, 0, len(dead))
	for _, x := range dead {
		msgs = append(msgs, d.message(x))
	}
	if err := d.w.Write(ctx, msgs...); err != nil {
		return err
	}
	for _, x := range dead {
		d.count.WithLabelValues(d.role, kindOf(x)).Inc()
	}
	return nil
}

func kindOf(x Dead) string {
	if x.Kind == "" {
		return event.KindInvalid
	}
	return x.Kind
}

func (d *DeadLetters) message(x Dead) kafka.Message {
	reason := x.Reason
	if len(reason) > maxReasonBytes {
		reason = reason[:maxReasonBytes] + "…"
	}
	h := []kafka.Header{
		{Key: event.HeaderReason, Value: []byte(reason)},
		{Key: event.HeaderRole, Value: []byte(d.role)},
	}
	if x.Message.Topic != "" {
		h = append(h,
			kafka.Header{Key: event.HeaderTopic, Value: []byte(x.Message.Topic)},
			kafka.Header{Key: event.HeaderPartition, Value: []byte(strconv.Itoa(x.Message.Partition))},
			kafka.Header{Key: event.HeaderOffset, Value: []byte(strconv.FormatInt(x.Message.Offset, 10))},
		)
	}
	if x.Source != "" {
		h = append(h, kafka.Header{Key: event.HeaderSource, Value: []byte(x.Source)})
	}
	value := x.Message.Value
	if len(value) > MaxMessageBytes {
		h = append(h,
			kafka.Header{Key: event.HeaderOriginalBytes, Value: []byte(strconv.Itoa(len(value)))},
			kafka.Header{Key: event.HeaderOriginalSHA, Value: []byte(event.SHA256Hex(value))},
			kafka.Header{Key: event.HeaderTruncated, Value: []byte("true")},
		)
		value = value[:MaxMessageBytes]
	}
	key := x.Message.Key
	if len(key) > 1024 {
		key = key[:1024]
	}
	// Keep the original headers too, prefixed, for whoever replays it.
	for _, oh := range x.Message.Headers {
		if !strings.HasPrefix(oh.Key, "vigil-dlq-") {
			h = append(h, kafka.Header{Key: "original-" + oh.Key, Value: oh.Value})
		}
	}
	return kafka.Message{Key: key, Value: value, Headers: h, Time: time.Now().UTC()}
}

// Close closes the writer.
func (d *DeadLetters) Close() error { return d.w.Close() }

// Header returns the value of the first header named key, or "".
func Header(m kafka.Message, key string) string { return string(HeaderBytes(m, key)) }

// HeaderBytes returns the value of the first header named key, or nil.
func HeaderBytes(m kafka.Message, key string) []byte {
	for _, h := range m.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return nil
}

// Message builds a message for TopicPosts or TopicFlags: the JSON body,
// with the raw payload in the event.HeaderRaw header.
func Message(key string, body, raw []byte) kafka.Message {
	return kafka.Message{Key: []byte(key), Value: body, Headers: []kafka.Header{{Key: event.HeaderRaw, Value: raw}}}
}
