package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/metrics"
)

func TestInterceptors(t *testing.T) {
	tests := []struct {
		name    string
		handler func(ctx context.Context) error
		code    codes.Code
		logged  string
	}{
		{"ok", func(context.Context) error { return nil }, codes.OK, "level=DEBUG"},
		{"classed", func(context.Context) error { return fmt.Errorf("pod %q: %w", "x", errdefs.ErrNotFound) }, codes.NotFound, `error="rpc error: code = NotFound`},
		{"unclassed", func(context.Context) error { return fmt.Errorf("boom") }, codes.Unknown, "level=WARN"},
		{"panic", func(context.Context) error { panic("bad input") }, codes.Internal, "panic in CRI handler"},
		{"logger in context", func(ctx context.Context) error {
			log.G(ctx).Info("from the handler")
			return nil
		}, codes.OK, "method=/runtime.v1.RuntimeService/Version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			i := Interceptors{
				Logger:  slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Metrics: metrics.NewRPC(metrics.NewRegistry()),
			}
			info := &grpc.UnaryServerInfo{FullMethod: "/runtime.v1.RuntimeService/Version"}
			_, err := i.Unary(context.Background(), nil, info, func(ctx context.Context, _ any) (any, error) {
				return nil, tt.handler(ctx)
			})
			if got := status.Code(err); got != tt.code {
				t.Errorf("code %v, want %v (%v)", got, tt.code, err)
			}
			if !strings.Contains(out.String(), tt.logged) {
				t.Errorf("log lacks %q:\n%s", tt.logged, out.String())
			}
			sinfo := &grpc.StreamServerInfo{FullMethod: "/runtime.v1.RuntimeService/StreamContainers"}
			err = i.Stream(nil, &ctxStream{}, sinfo, func(_ any, ss grpc.ServerStream) error { return tt.handler(ss.Context()) })
			if got := status.Code(err); got != tt.code {
				t.Errorf("stream: code %v, want %v", got, tt.code)
			}
		})
	}
}

type ctxStream struct{ grpc.ServerStream }

func (*ctxStream) Context() context.Context { return context.Background() }
