package api

import (
	"errors"
	"fmt"
)

// Error codes on the wire. The client maps each onto an internal/errdefs
// class; an empty code is an error of no particular class.
const (
	CodeInvalidArgument    = "invalid_argument"
	CodeNotFound           = "not_found"
	CodeAlreadyExists      = "already_exists"
	CodeFailedPrecondition = "failed_precondition"
	CodeNotImplemented     = "not_implemented"
	CodeUnavailable        = "unavailable"
	CodeInternal           = "internal"
)

// Error is an error as the shim reports it.
type Error struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an Error of the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError returns err as an *Error: itself if it is one (or wraps one,
// keeping err's full message), else an Error without a code.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return &Error{Code: e.Code, Message: err.Error()}
	}
	return &Error{Message: err.Error()}
}
