package server

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/metrics"
)

// Interceptors are the edge every CRI call passes through: they give the
// call a logger, turn a panic into codes.Internal, turn error classes into
// gRPC codes, log the call at debug with its duration and code, and record
// its metrics.
type Interceptors struct {
	Logger  *slog.Logger
	Metrics *metrics.RPC
}

// Unary intercepts unary calls.
func (i Interceptors) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	ctx, done := i.begin(ctx, info.FullMethod)
	defer func() { err = done(recover(), err) }()
	return handler(ctx, req)
}

// Stream intercepts streaming calls.
func (i Interceptors) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	ctx, done := i.begin(ss.Context(), info.FullMethod)
	defer func() { err = done(recover(), err) }()
	return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
}

// begin starts a call; the returned func ends it, given what the handler
// panicked with (or nil) and the error it returned, and returns the error
// to send.
func (i Interceptors) begin(ctx context.Context, method string) (context.Context, func(any, error) error) {
	start := time.Now()
	logger := i.Logger.With(log.KeyMethod, method)
	ctx = log.WithLogger(ctx, logger)
	return ctx, func(panicked any, err error) error {
		if panicked != nil {
			logger.Error("panic in CRI handler", "panic", panicked, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: panic in %s: %v", errdefs.ErrInternal, method, panicked)
		}
		err = errdefs.ToGRPC(err)
		code := errdefs.Code(err)
		d := time.Since(start)
		i.Metrics.Observe(method, code, d)
		lvl := slog.LevelDebug
		if code == codes.Internal || code == codes.Unknown {
			lvl = slog.LevelWarn
		}
		attrs := []any{"code", code.String(), "duration", d}
		if err != nil {
			attrs = append(attrs, log.KeyError, err)
		}
		logger.Log(ctx, lvl, "CRI call", attrs...)
		return err
	}
}

// contextStream is a ServerStream whose Context carries the call's logger.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }
