package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/talonqueue/talon/queue-server/domain"
)

// msgUnavailable is what a person sees when the server cannot be reached.
const msgUnavailable = "нет связи с сервером очереди"

// unavailable turns a transport failure (refused, reset, timeout, cancelled)
// into the error a screen can show; the cause stays in Err for logs. A
// server with the wrong certificate says so: retrying will not help, someone
// has to check the terminal's settings or the server.
func unavailable(method, path string, err error) *domain.Error {
	msg := msgUnavailable
	var pin *CertificateMismatchError
	if errors.As(err, &pin) {
		msg = pin.Error()
	}
	return &domain.Error{Code: domain.CodeUnavailable, Message: msg, Err: fmt.Errorf("%s %s: %w", method, path, err)}
}

// unexpected is a 2xx answer the client cannot read: a server of another
// version, or a proxy answering in its place.
func unexpected(method, path string, err error) *domain.Error {
	return &domain.Error{Code: domain.CodeInternal, Message: "сервер очереди прислал непонятный ответ", Err: fmt.Errorf("%s %s: %w", method, path, err)}
}

// errorBody is the one error shape of the API.
type errorBody struct {
	Error struct {
		Code     domain.Code    `json:"code"`
		Message  string         `json:"message"`
		Finished *domain.Ticket `json:"finished"`
	} `json:"error"`
}

// statusCode is the code an error status means when the body does not say,
// e.g. when a proxy answers in the server's place.
func statusCode(status int) domain.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		return domain.CodeInvalid
	case http.StatusUnauthorized:
		return domain.CodeUnauthorized
	case http.StatusForbidden:
		return domain.CodeForbidden
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return domain.CodeNotFound
	case http.StatusConflict:
		return domain.CodeConflict
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return domain.CodeUnavailable
	}
	return domain.CodeInternal
}

// fallbackMessage is said to a person when the body carries no message.
var fallbackMessage = map[domain.Code]string{
	domain.CodeInvalid:      "сервер очереди отклонил запрос",
	domain.CodeUnauthorized: "требуется вход в систему",
	domain.CodeForbidden:    "недостаточно прав",
	domain.CodeNotFound:     "не найдено",
	domain.CodeEmpty:        "в очереди никого нет",
	domain.CodeConflict:     "действие невозможно в текущем состоянии",
	domain.CodeUnavailable:  msgUnavailable,
	domain.CodeInternal:     "внутренняя ошибка сервера",
}

// decodeError turns an error answer into a *domain.Error with the server's
// code and message; a known code keeps its meaning without a message (a
// status alone cannot tell queue_empty from not_found), and anything else
// falls back to the status.
func decodeError(method, path string, status int, body []byte) *domain.Error {
	cause := fmt.Errorf("%s %s: status %d", method, path, status)
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil && knownCode(eb.Error.Code) {
		msg := eb.Error.Message
		if msg == "" {
			msg = fallbackMessage[eb.Error.Code]
		}
		return &domain.Error{Code: eb.Error.Code, Message: msg, Err: cause, Finished: eb.Error.Finished}
	}
	code := statusCode(status)
	if len(body) > 0 {
		cause = fmt.Errorf("%w: %s", cause, excerpt(body))
	}
	return &domain.Error{Code: code, Message: fallbackMessage[code], Err: cause}
}

func knownCode(c domain.Code) bool {
	_, ok := fallbackMessage[c]
	return ok
}

// excerpt quotes the start of a body for a log line.
func excerpt(b []byte) string {
	const max = 200
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
