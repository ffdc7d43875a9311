package sandbox

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/store"
)

func TestCheckPortForward(t *testing.T) {
	e := newEnv(t, "")
	pod := e.run(t, podConfig("web"))
	stopped := e.run(t, podConfig("stopped"))
	if err := e.m.Stop(ctxT(t), stopped); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		id    string
		ports []int32
		class error
		msg   string
	}{
		{"no ports", pod[:8], nil, nil, ""},
		{"ports", pod, []int32{1, 80, 65535}, nil, ""},
		{"port 0", pod, []int32{0}, errdefs.ErrInvalidArgument, "port 0 is out of range"},
		{"port too high", pod, []int32{80, 65536}, errdefs.ErrInvalidArgument, "port 65536"},
		{"negative port", pod, []int32{-1}, errdefs.ErrInvalidArgument, "port -1"},
		{"pod not ready", stopped, nil, errdefs.ErrFailedPrecondition, "not ready"},
		{"unknown pod", "feedface", nil, errdefs.ErrNotFound, "feedface"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := e.m.CheckPortForward(ctxT(t), tt.id, tt.ports)
			if tt.class == nil {
				if err != nil || id != pod {
					t.Errorf("got %q, %v; want %q", id, err, pod)
				}
				return
			}
			if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("got %v, want %v naming %q", err, tt.class, tt.msg)
			}
		})
	}
}

func TestDialPort(t *testing.T) {
	e := newEnv(t, "")
	pod := e.run(t, podConfig("web"))
	host := e.run(t, hostPodConfig("host"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for c, err := ln.Accept(); err == nil; c, err = ln.Accept() {
			io.WriteString(c, "hello")
			c.Close()
		}
	}()
	e.kernel.tcp = map[uint16]string{80: ln.Addr().String()}
	e.kernel.udp = map[uint16]bool{53: true}

	for _, id := range []string{pod, host} {
		c, err := e.m.DialPort(ctxT(t), id, 80)
		if err != nil {
			t.Fatalf("DialPort: %v", err)
		}
		b, _ := io.ReadAll(c)
		c.Close()
		if string(b) != "hello" {
			t.Errorf("read %q", b)
		}
	}
	sb, _ := e.st.Sandboxes.Get(pod)
	if want := []string{sb.NetNS + " 80", " 80"}; strings.Join(e.kernel.dialed, ",") != strings.Join(want, ",") {
		t.Errorf("dialed %q, want %q (the pod's netns, then the host's)", e.kernel.dialed, want)
	}
	for _, tc := range []struct {
		port  int32
		class error
		msg   string
	}{
		{53, errdefs.ErrInvalidArgument, "port 53 is UDP: port-forward carries TCP only"},
		{81, errdefs.ErrFailedPrecondition, "nothing listens on TCP port 81"},
		{70000, errdefs.ErrInvalidArgument, "out of range"},
	} {
		if _, err := e.m.DialPort(ctxT(t), pod, tc.port); !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("port %d: %v, want %v naming %q", tc.port, err, tc.class, tc.msg)
		}
	}
	e.st.Sandboxes.Update(pod, func(s store.Sandbox) (store.Sandbox, error) { s.State = store.SandboxNotReady; return s, nil })
	if _, err := e.m.DialPort(ctxT(t), pod, 80); !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Errorf("a pod not ready: %v", err)
	}
}
