package api

import (
	"encoding/json"
	"net/http"

	"github.com/vigilhq/vigil/event"
)

// errorStatus is the one place where an error code becomes an HTTP status.
// A code it does not know is an internal error.
func errorStatus(code string) int {
	switch code {
	case event.EINVALID:
		return http.StatusBadRequest
	case event.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case event.EFORBIDDEN:
		return http.StatusForbidden
	case event.ENOTFOUND:
		return http.StatusNotFound
	case event.ECONFLICT:
		return http.StatusConflict
	case event.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case event.ERATELIMITED:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// errorBody is the JSON of every error response:
// {"error":{"code":"not_found","message":"..."}}.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError writes err as a JSON error with the status of its code. Only
// internal errors are logged: the others are the caller's doing and are
// told to the caller. The log names the route, not the URL, so that it
// carries neither query values nor post text, and never a token.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := event.ErrorCode(err)
	status := errorStatus(code)
	if status == http.StatusInternalServerError {
		code = event.EINTERNAL
		s.log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		// Every 429 says when to come back; the limiter sets its own.
		w.Header().Set("Retry-After", "1")
	}
	s.writeJSON(w, r, status, errorBodyOf(code, event.ErrorMessage(err)))
}

func errorBodyOf(code, message string) errorBody {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	return b
}

// writeJSON writes v as the JSON response with the given status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here (a type that cannot be
		// encoded), before anything was written.
		s.log.ErrorContext(r.Context(), "api encode response", "route", r.Pattern, "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n')) // an error means the client has gone
}
