package api

import "github.com/prometheus/client_golang/prometheus"

// RouteInfo describes a registered route to the tests.
type RouteInfo struct {
	Pattern string
	Role    string // "" for a public route
}

// Routes lists s's registered routes in registration order.
func Routes(s *Server) []RouteInfo {
	out := make([]RouteInfo, 0, len(s.routes))
	for _, rt := range s.routes {
		out = append(out, RouteInfo{Pattern: rt.pattern, Role: rt.role})
	}
	return out
}

// Collectors returns s's own metrics, for testutil.CollectAndLint.
func Collectors(s *Server) []prometheus.Collector {
	return []prometheus.Collector{s.metrics.requests, s.metrics.duration, s.metrics.rateLimited, s.metrics.limiterErrors}
}

// RateLimited returns s's vigil_api_rate_limited_total of role.
func RateLimited(s *Server, role string) prometheus.Counter {
	return s.metrics.rateLimited.WithLabelValues(role)
}

// RateLimiterErrors returns s's vigil_api_rate_limiter_errors_total.
func RateLimiterErrors(s *Server) prometheus.Counter { return s.metrics.limiterErrors }
