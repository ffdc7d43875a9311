package errdefs

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToGRPC(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code codes.Code
		msg  string
	}{
		{"nil", nil, codes.OK, ""},
		{"plain", errors.New("boom"), codes.Unknown, "boom"},
		{"not found", fmt.Errorf("container %q: %w", "abc", ErrNotFound), codes.NotFound, `container "abc": not found`},
		{"deeply wrapped", fmt.Errorf("a: %w", fmt.Errorf("b: %w", ErrInvalidArgument)), codes.InvalidArgument, "a: b: invalid argument"},
		{"joined, first class wins", errors.Join(ErrInvalidArgument, ErrNotFound), codes.InvalidArgument, "invalid argument\nnot found"},
		{"context deadline", fmt.Errorf("pull: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "pull: context deadline exceeded"},
		{"unimplemented", fmt.Errorf("PullImage: %w", ErrNotImplemented), codes.Unimplemented, "PullImage: not implemented"},
		{"status passes through", status.Error(codes.Aborted, "x"), codes.Aborted, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ToGRPC(tt.err)
			if tt.err == nil {
				if err != nil {
					t.Fatalf("ToGRPC(nil) = %v", err)
				}
				return
			}
			s, ok := status.FromError(err)
			if !ok {
				t.Fatalf("ToGRPC(%v) is not a status: %T", tt.err, err)
			}
			if s.Code() != tt.code || s.Message() != tt.msg {
				t.Errorf("ToGRPC(%v) = %v %q, want %v %q", tt.err, s.Code(), s.Message(), tt.code, tt.msg)
			}
		})
	}
}
