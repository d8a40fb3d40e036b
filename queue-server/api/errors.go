package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// errorBody is the one error shape of the API.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	// Finished is the ticket a call-next with finish_current finished before
	// it found nobody waiting (queue_empty): that finish stands.
	Finished *domain.Ticket `json:"finished,omitempty"`
}

// statusOf is the only place a domain.Code becomes an HTTP status.
func statusOf(c domain.Code) int {
	switch c {
	case domain.CodeInvalid:
		return http.StatusBadRequest
	case domain.CodeUnauthorized:
		return http.StatusUnauthorized
	case domain.CodeForbidden:
		return http.StatusForbidden
	case domain.CodeNotFound, domain.CodeEmpty:
		return http.StatusNotFound
	case domain.CodeConflict:
		return http.StatusConflict
	case domain.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// fail answers with err in the one error shape. Internal errors are logged
// with their detail; the person sees only "внутренняя ошибка сервера".
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	info(r.Context()).failed = err
	code := domain.ErrorCode(err)
	if code == domain.CodeInternal {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path,
			"request_id", info(r.Context()).id, "err", err)
	}
	if code == domain.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="talon"`)
	}
	detail := errorDetail{Code: code, Message: domain.ErrorMessage(err)}
	if de := (*domain.Error)(nil); errors.As(err, &de) {
		detail.Finished = de.Finished
	}
	body, _ := json.Marshal(errorBody{Error: detail})
	writeBody(w, statusOf(code), "application/json; charset=utf-8", body)
}

// reply writes v as JSON with status.
func (s *server) reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, domain.Internal(err, "encode response"))
		return
	}
	writeBody(w, status, "application/json; charset=utf-8", body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// A failed write means the client left; there is nobody to tell.
	_, _ = w.Write(body)
}

func invalid(format string, args ...any) error {
	return domain.Errorf(domain.CodeInvalid, format, args...)
}
