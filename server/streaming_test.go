package server

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
)

// fakeStreams is the streaming server: it records the requests it made
// URLs for.
type fakeStreams struct {
	got proto.Message
	err error
}

func (f *fakeStreams) url(req proto.Message, kind string) (string, error) {
	f.got = req
	return "http://127.0.0.1:1/" + kind + "/token", f.err
}
func (f *fakeStreams) GetExec(r *runtime.ExecRequest) (string, error)     { return f.url(r, "exec") }
func (f *fakeStreams) GetAttach(r *runtime.AttachRequest) (string, error) { return f.url(r, "attach") }
func (f *fakeStreams) GetPortForward(r *runtime.PortForwardRequest) (string, error) {
	return f.url(r, "portforward")
}

// TestStreamingCalls: Exec, Attach and PortForward check the request
// with the manager, then hand the streaming server the request with the
// object's full ID; a refusal on either side makes no URL.
func TestStreamingCalls(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func(*Server) (string, error)
		check string        // the manager's check
		sent  proto.Message // what the streaming server gets
	}{
		{"exec", func(s *Server) (string, error) {
			r, err := s.Exec(ctx, &runtime.ExecRequest{ContainerId: "c1", Cmd: []string{"sh"}, Tty: true, Stdin: true, Stdout: true})
			return r.GetUrl(), err
		}, `CheckExec c1 ["sh"]`, &runtime.ExecRequest{ContainerId: "full-c1", Cmd: []string{"sh"}, Tty: true, Stdin: true, Stdout: true}},
		{"attach", func(s *Server) (string, error) {
			r, err := s.Attach(ctx, &runtime.AttachRequest{ContainerId: "c1", Stdin: true, Stdout: true})
			return r.GetUrl(), err
		}, "CheckAttach c1 true false", &runtime.AttachRequest{ContainerId: "full-c1", Stdin: true, Stdout: true}},
		{"port forward", func(s *Server) (string, error) {
			r, err := s.PortForward(ctx, &runtime.PortForwardRequest{PodSandboxId: "p1", Port: []int32{80}})
			return r.GetUrl(), err
		}, "CheckPortForward p1 [80]", &runtime.PortForwardRequest{PodSandboxId: "full-p1", Port: []int32{80}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(config.Default())
			url, err := tt.call(e.s)
			if err != nil || url == "" {
				t.Fatalf("url %q, %v", url, err)
			}
			calls := append(e.containers.calls, e.sandboxes.calls...)
			if len(calls) != 1 || calls[0] != tt.check {
				t.Errorf("checks %q, want %q", calls, tt.check)
			}
			if !proto.Equal(e.streams.got, tt.sent) {
				t.Errorf("streaming server got %v, want %v", e.streams.got, tt.sent)
			}
		})
		t.Run(tt.name+" refused", func(t *testing.T) {
			e := newEnv(config.Default())
			e.containers.err = fmt.Errorf("%w: not running", errdefs.ErrFailedPrecondition)
			e.sandboxes.err = e.containers.err
			_, err := tt.call(e.s)
			wantClass(t, err, errdefs.ErrFailedPrecondition)
			if e.streams.got != nil {
				t.Errorf("a URL was made for %v", e.streams.got)
			}
		})
		t.Run(tt.name+" streaming server refuses", func(t *testing.T) {
			e := newEnv(config.Default())
			e.streams.err = fmt.Errorf("%w: too many requests", errdefs.ErrResourceExhausted)
			_, err := tt.call(e.s)
			wantClass(t, err, errdefs.ErrResourceExhausted)
		})
	}
}
