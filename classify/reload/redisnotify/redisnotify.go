// Package redisnotify carries lexicon reload notices over Redis pub/sub,
// so that one `vigil lexicon reload` reaches every classify replica: each
// replica subscribes (Subscribe, wired by `vigil run` when redis.addr is
// set) and rebuilds its classifier when a notice arrives.
//
// Pub/sub delivers a notice only to the subscribers connected when it is
// published: a replica that is reconnecting at that moment misses it. That
// is why every replica also watches its lexicon files (classify.Reloader),
// and why a notice is a request to reload, not the data itself.
package redisnotify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultChannel is the channel notices go to unless configured otherwise
// (config redis.reload_channel).
const DefaultChannel = "vigil:lexicon-reload"

// Notice is one request to reload, as JSON on the channel: who asked and
// why, for the replicas' logs.
type Notice struct {
	// Host is the machine the notice was sent from.
	Host string `json:"host"`
	// Reason is what the sender said, e.g. "lexicon 2026-11-26 deployed".
	Reason string `json:"reason"`
	// Time is when it was sent, UTC.
	Time time.Time `json:"time"`
}

// NewNotice returns a notice from this host, now.
func NewNotice(reason string) Notice {
	host, _ := os.Hostname()
	return Notice{Host: host, Reason: reason, Time: time.Now().UTC().Truncate(time.Millisecond)}
}

// String describes the notice for a log line.
func (n Notice) String() string {
	s := "notice"
	if n.Host != "" {
		s += " from " + n.Host
	}
	if !n.Time.IsZero() {
		s += " at " + n.Time.UTC().Format(time.RFC3339)
	}
	if n.Reason != "" {
		s += ": " + n.Reason
	}
	return s
}

// Publish sends n on channel and returns how many subscribers received it
// (with one classify replica per subscription, how many replicas).
func Publish(ctx context.Context, client redis.UniversalClient, channel string, n Notice) (int64, error) {
	body, err := json.Marshal(n)
	if err != nil {
		return 0, err
	}
	receivers, err := client.Publish(ctx, channel, body).Result()
	if err != nil {
		return 0, fmt.Errorf("publish reload notice on %s: %w", channel, err)
	}
	return receivers, nil
}

// How Subscribe keeps its connection honest.
const (
	// pingAfter: with no message for this long, Subscribe pings Redis on
	// the subscription's connection...
	pingAfter = 15 * time.Second
	// pongWait: ...and takes the connection for dead when no answer comes
	// within this long (a half-open TCP connection would otherwise wait
	// for notices forever).
	pongWait = 5 * time.Second
	// retry bounds: after a failure, Subscribe waits retryMin, doubling up
	// to retryMax, before it tries again.
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
	// warnEvery: while Redis stays unreachable, a warning this often.
	warnEvery = time.Minute
)

// Subscribe calls fn with every notice on channel until ctx ends, then
// returns nil. It keeps its subscription across lost connections and Redis
// restarts: go-redis's PubSub dials again and subscribes again on the next
// receive after a failure, and Subscribe retries with a growing pause and
// logs each loss and each resubscription. Redis being unreachable at the
// start is not an error either: Subscribe waits for it.
//
// fn runs on Subscribe's goroutine and must not block for long
// ((*classify.Reloader).Reload only queues). A message that is not a
// notice's JSON is still taken as a request to reload, its text as the
// reason, so that `redis-cli publish vigil:lexicon-reload now` works. log
// may be nil.
func Subscribe(ctx context.Context, client redis.UniversalClient, channel string, fn func(Notice), log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("channel", channel)
	ps := client.Subscribe(ctx, channel) // a failure here shows at the first Receive
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // Receive does not watch ctx
	defer stop()

	var (
		subscribed   bool // ever
		up           bool // now
		downSince    time.Time
		lastWarn     time.Time
		awaitingPong bool
		retry        = retryMin
	)
	for {
		var (
			msg any
			err error
		)
		if awaitingPong {
			// A timeout here is a bad connection to go-redis: it closes
			// it and dials anew on the next receive.
			pctx, cancel := context.WithTimeout(ctx, pongWait)
			msg, err = ps.Receive(pctx)
			cancel()
		} else {
			msg, err = ps.ReceiveTimeout(ctx, pingAfter)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !awaitingPong && isTimeout(err) {
				if err = ps.Ping(ctx); err == nil {
					awaitingPong = true
					continue
				}
			}
			awaitingPong = false
			switch {
			case up:
				log.Warn("lexicon reload notices: lost the Redis connection; reconnecting", "err", err)
				up, downSince, lastWarn = false, time.Now(), time.Now()
			case time.Since(lastWarn) >= warnEvery:
				log.Warn("lexicon reload notices: cannot reach Redis; retrying", "err", err)
				lastWarn = time.Now()
			default:
				log.Debug("lexicon reload notices: Redis still unreachable", "err", err, "retry_in", retry)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(retry):
			}
			retry = min(2*retry, retryMax)
			continue
		}
		awaitingPong = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" || m.Channel != channel {
				continue
			}
			if subscribed {
				log.Info("lexicon reload notices: resubscribed after a lost connection", "down_for", time.Since(downSince).Round(time.Millisecond))
			} else {
				log.Info("lexicon reload notices: subscribed")
			}
			subscribed, up, retry = true, true, retryMin
		case *redis.Message:
			up = true
			fn(decode(m.Payload, log))
		case *redis.Pong:
			up = true
		}
	}
}

// decode reads a notice; any other text is a notice with that reason.
func decode(payload string, log *slog.Logger) Notice {
	var n Notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		const max = 200
		if len(payload) > max {
			payload = strings.ToValidUTF8(payload[:max], "") + "..."
		}
		log.Warn("lexicon reload notices: a message that is not a notice; reloading anyway", "err", err)
		return Notice{Reason: payload}
	}
	return n
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
