package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error for the caller. The API maps each code to one HTTP
// status in exactly one place; people see Message for every code but Internal.
type Code string

const (
	CodeInvalid  Code = "invalid"
	CodeNotFound Code = "not_found"
	// CodeEmpty says nobody is waiting for the window: a normal moment of
	// the day, not a mistake such as an unknown window (CodeNotFound).
	CodeEmpty        Code = "queue_empty"
	CodeConflict     Code = "conflict"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeUnavailable  Code = "unavailable"
	CodeInternal     Code = "internal"
)

// Error is the one error type of the product. Message is a sentence a person
// can act on, in Russian by default; Err keeps the technical cause for logs.
type Error struct {
	Code    Code
	Message string
	Err     error
	// Finished is the window's ticket that a call with finish_current
	// finished before it found nobody waiting (CodeEmpty): the refusal is of
	// the call only, the finish is committed.
	Finished *Ticket
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected failure; its detail goes to logs, not to people.
func Internal(err error, context string) *Error {
	return &Error{Code: CodeInternal, Message: "внутренняя ошибка сервера", Err: fmt.Errorf("%s: %w", context, err)}
}

// ErrorCode returns the code of err, CodeInternal for foreign errors and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns what a person may be shown about err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "внутренняя ошибка сервера"
}
