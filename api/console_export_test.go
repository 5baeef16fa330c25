package api

// ConsoleRoutes lists s's console routes (kept out of Routes and the
// OpenAPI document) in registration order.
func ConsoleRoutes(s *Server) []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.consoleRoutes() {
		out = append(out, RouteInfo{Pattern: rt.pattern, Role: rt.role})
	}
	return out
}
