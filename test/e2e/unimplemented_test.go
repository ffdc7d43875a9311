//go:build e2e

package e2e

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestNotYetImplemented checks that RPCs whose issue has not landed answer
// Unimplemented with a message, never a fake success. Remove a row when
// its RPC lands.
func TestNotYetImplemented(t *testing.T) {
	d := startDaemon(t)
	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"PortForward", func(ctx context.Context) error {
			_, err := d.runtime.PortForward(ctx, &runtime.PortForwardRequest{PodSandboxId: "abc"})
			return err
		}},
		{"Exec", func(ctx context.Context) error {
			_, err := d.runtime.Exec(ctx, &runtime.ExecRequest{ContainerId: "abc", Cmd: []string{"true"}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(ctxT(t))
			if s, _ := status.FromError(err); s.Code() != codes.Unimplemented || s.Message() == "" {
				t.Errorf("%s: %v, want Unimplemented with a message", tt.name, err)
			}
		})
	}
	// The daemon survives all of it.
	if _, err := d.runtime.Version(ctxT(t), &runtime.VersionRequest{}); err != nil {
		t.Fatalf("Version after unimplemented calls: %v", err)
	}
}
