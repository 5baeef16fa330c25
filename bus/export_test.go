package bus

import "time"

// SetLagClock replaces the clock a LagCollector uses to age its cached
// reading, so tests can step past CacheFor without sleeping.
func SetLagClock(l *LagCollector, now func() time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = now
}
