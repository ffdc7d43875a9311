package errdefs

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// classes pairs each error class with its gRPC code, most specific first:
// an error wrapping several classes gets the code of the first match.
var classes = []struct {
	class error
	code  codes.Code
}{
	{ErrInvalidArgument, codes.InvalidArgument},
	{ErrNotFound, codes.NotFound},
	{ErrAlreadyExists, codes.AlreadyExists},
	{ErrFailedPrecondition, codes.FailedPrecondition},
	{ErrPermissionDenied, codes.PermissionDenied},
	{ErrUnauthenticated, codes.Unauthenticated},
	{ErrResourceExhausted, codes.ResourceExhausted},
	{ErrNotImplemented, codes.Unimplemented},
	{ErrAborted, codes.Aborted},
	{ErrInternal, codes.Internal},
	{ErrUnavailable, codes.Unavailable},
	{ErrDeadlineExceeded, codes.DeadlineExceeded},
	{ErrCanceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// Code returns the gRPC code for err: the code of its class, the code of a
// gRPC status it already carries, or codes.Unknown.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	for _, c := range classes {
		if errors.Is(err, c.class) {
			return c.code
		}
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return codes.Unknown
}

// ToGRPC turns err into a gRPC status error with the code of its class and
// its full message. A status error passes through unchanged.
func ToGRPC(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok {
		return err
	}
	return status.Error(Code(err), err.Error())
}
