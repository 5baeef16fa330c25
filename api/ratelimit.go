package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/vigilhq/vigil/api/ratelimit"
	"github.com/vigilhq/vigil/event"
)

// RateLimiter keeps a request budget per key. The Server asks it once per
// authenticated request, with the caller's principal ID as the key
// ("token:12", "bootstrap"): ok false means the budget is spent, and
// retryAfter says how long until the next request would be allowed. An
// error (a limiter whose Redis is down) lets the request through: the
// review console staying up matters more than the limit.
//
// ratelimit.Memory is the in-process implementation and
// redisrate.Limiter the one that API replicas share through Redis.
type RateLimiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
}

// RateLimit is Config.RateLimit: Requests per Per for each token. The
// zero value is 600 a minute; a negative Requests turns limiting off.
type RateLimit = ratelimit.Limit

// limiterLogEvery spaces the logs of a failing limiter: a Redis that is
// down would otherwise log once per request.
const limiterLogEvery = 30 * time.Second

// rateLimiter is the Server's use of a RateLimiter: the 429, the metric,
// and the fail-open with its throttled log.
type rateLimiter struct {
	limiter RateLimiter

	mu         sync.Mutex
	lastLog    time.Time
	suppressed int
}

// newRateLimiter returns the Server's limiter: nil when cfg turns
// limiting off, deps' when set, else an in-process one of cfg's budget.
func newRateLimiter(cfg RateLimit, l RateLimiter) (*rateLimiter, error) {
	if cfg.Disabled() {
		return nil, nil
	}
	if l == nil {
		m, err := ratelimit.NewMemory(cfg, ratelimit.MemoryOptions{})
		if err != nil {
			return nil, err
		}
		l = m
	}
	return &rateLimiter{limiter: l}, nil
}

// rateLimitKey is the budget a principal spends from: its ID (one per
// token, "bootstrap" for the bootstrap admin), or its role and pseudonym
// for a verifier that gives no ID.
func rateLimitKey(p Principal) string {
	if p.ID != "" {
		return p.ID
	}
	return "role:" + p.Role + ":" + p.Pseudonym
}

// allow spends one request of p's budget; when it is spent it answers
// 429 with Retry-After and returns false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, p Principal) bool {
	return s.spend(w, r, p, s.writeError)
}

// spend spends one request of p's budget. When it is spent it sets
// Retry-After, answers with refuse (the API's JSON error or the console's
// page) and returns false. A limiter that fails lets the request through
// (and is counted and logged): an outage of Redis must not stop the
// review.
func (s *Server) spend(w http.ResponseWriter, r *http.Request, p Principal, refuse func(http.ResponseWriter, *http.Request, error)) bool {
	rl := s.limiter
	if rl == nil {
		return true
	}
	ok, retry, err := rl.limiter.Allow(r.Context(), rateLimitKey(p))
	if err != nil {
		s.metrics.limiterErrors.Inc()
		rl.logFailure(r.Context(), s, err)
		return true
	}
	if ok {
		return true
	}
	s.metrics.rateLimited.WithLabelValues(p.Role).Inc()
	secs := max(int64(math.Ceil(retry.Seconds())), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	refuse(w, r, event.Errorf(event.ERATELIMITED, "too many requests with this token; retry in %d s", secs))
	return false
}

// logFailure logs a limiter's error, at most once per limiterLogEvery,
// with the number of errors not logged since.
func (rl *rateLimiter) logFailure(ctx context.Context, s *Server, err error) {
	rl.mu.Lock()
	now := time.Now()
	if !rl.lastLog.IsZero() && now.Sub(rl.lastLog) < limiterLogEvery {
		rl.suppressed++
		rl.mu.Unlock()
		return
	}
	suppressed := rl.suppressed
	rl.lastLog, rl.suppressed = now, 0
	rl.mu.Unlock()
	s.log.WarnContext(ctx, "api rate limiter failed; letting requests through", "err", err,
		"errors_not_logged", suppressed)
}
