package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// CaptureDelays returns, for every post captured by source, the delay from
// its capture by ingest to its write by the store (stored_at is the
// writing transaction's clock reading), with the earliest capture and the
// latest write. The pipeline benchmark measures end-to-end throughput and
// latency with it.
func (s *Store) CaptureDelays(ctx context.Context, source string) (delays []time.Duration, firstCapture, lastStored time.Time, err error) {
	rows, err := s.read.QueryContext(ctx, s.d.rebind(`SELECT captured_at, stored_at FROM posts WHERE source = ? AND captured_at IS NOT NULL`), source)
	if err != nil {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("capture delays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var captured, stored time.Time
		if err := rows.Scan(timeColumn{&captured}, timeColumn{&stored}); err != nil {
			return nil, time.Time{}, time.Time{}, fmt.Errorf("capture delays: %w", err)
		}
		delays = append(delays, stored.Sub(captured))
		if firstCapture.IsZero() || captured.Before(firstCapture) {
			firstCapture = captured
		}
		if stored.After(lastStored) {
			lastStored = stored
		}
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("capture delays: %w", err)
	}
	if len(delays) == 0 {
		return nil, time.Time{}, time.Time{}, fmt.Errorf("capture delays: no posts from source %q", source)
	}
	return delays, firstCapture, lastStored, nil
}
