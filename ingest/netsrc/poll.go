package netsrc

import (
	"context"
	"errors"

	"github.com/vigilhq/vigil/ingest"
)

// Loop runs round every s.Interval until ctx ends, recording each round
// in the health record; with once, it runs one round and returns its
// error. A round that fails is followed by a wait that grows with the
// failures in a row (s.Backoff, with jitter), never shorter than the
// interval. Loop returns nil when ctx ends.
func Loop(ctx context.Context, source string, s Settings, env ingest.Env, round func(context.Context) error) error {
	log := env.Logger().With("source", source)
	env.Health.Register(source)
	failures := 0
	for {
		err := round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			failures = 0
			env.Health.Success(source)
		} else {
			failures++
			var e *Error
			if !errors.As(err, &e) || !e.recorded {
				env.Health.Failure(source, KindOf(err), err)
			}
			log.Warn("collection round failed", "kind", KindOf(err), "err", err, "failures_in_a_row", failures)
		}
		if env.Once {
			return err
		}
		wait := s.Interval
		if failures > 0 {
			wait = max(wait, Jitter(s.Backoff, failures-1))
		}
		if sleepCtx(ctx, wait) != nil {
			return nil
		}
	}
}

// Emit sends items to out in order and arranges for commit (saving the
// cursor that covers them) to run once the last is durable: as its Ack,
// or at once when there are none. It returns false when ctx ended first;
// then commit does not run, and the items are read again next time.
func Emit(ctx context.Context, out chan<- ingest.Item, items []ingest.Item, commit func()) bool {
	if len(items) == 0 {
		if commit != nil {
			commit()
		}
		return true
	}
	if commit != nil {
		last := &items[len(items)-1]
		prev := last.Ack
		last.Ack = func() {
			if prev != nil {
				prev()
			}
			commit()
		}
	}
	for _, it := range items {
		select {
		case out <- it:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// SaveCursor returns a commit function for Emit that stores value under
// key, logging (not failing) when the store refuses: the next round
// starts from the source's own memory, and a restart re-reads a little.
func SaveCursor(ctx context.Context, env ingest.Env, key, value string) func() {
	return func() {
		if env.Cursors == nil {
			return
		}
		if err := env.Cursors.Set(context.WithoutCancel(ctx), key, value); err != nil {
			env.Logger().Warn("save cursor", "key", key, "err", err)
		}
	}
}
