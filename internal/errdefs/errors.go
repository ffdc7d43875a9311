package errdefs

import "errors"

// The error classes. Each maps to one gRPC code in ToGRPC.
var (
	ErrInvalidArgument    = errors.New("invalid argument")
	ErrNotFound           = errors.New("not found")
	ErrAlreadyExists      = errors.New("already exists")
	ErrFailedPrecondition = errors.New("failed precondition")
	ErrUnavailable        = errors.New("unavailable")
	ErrNotImplemented     = errors.New("not implemented")
	ErrPermissionDenied   = errors.New("permission denied")
	ErrResourceExhausted  = errors.New("resource exhausted")
	ErrDeadlineExceeded   = errors.New("deadline exceeded")
	ErrCanceled           = errors.New("canceled")
	ErrUnauthenticated    = errors.New("unauthenticated")
	ErrAborted            = errors.New("aborted")
	ErrInternal           = errors.New("internal error")
)

// IsNotFound reports whether err is of class ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsInvalidArgument reports whether err is of class ErrInvalidArgument.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsAlreadyExists reports whether err is of class ErrAlreadyExists.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// Found splits the result of a lookup for calls that must succeed on
// what is already gone (Stop, Remove, ImageStatus): ok reports that v was
// found; an ErrNotFound error becomes (zero, false, nil) and any other
// error (zero, false, err). The usual prologue is
//
//	c, ok, err := errdefs.Found(table.Get(id))
//	if !ok {
//		return err
//	}
func Found[T any](v T, err error) (_ T, ok bool, _ error) {
	var zero T
	switch {
	case err == nil:
		return v, true, nil
	case IsNotFound(err):
		return zero, false, nil
	}
	return zero, false, err
}
