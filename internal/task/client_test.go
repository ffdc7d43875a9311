package task

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// fakeShim serves one answer per connection on a socket: answer gets the
// request and returns the frame to send, or nil to hang up.
func fakeShim(t *testing.T, answer func(*api.Request) any) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "shim.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			var req api.Request
			if api.ReadFrame(conn, &req, api.MaxFrame) == nil {
				if resp := answer(&req); resp != nil {
					api.WriteFrame(conn, resp)
				} else {
					time.Sleep(50 * time.Millisecond) // hang, then drop
				}
			}
			conn.Close()
		}
	}()
	return sock
}

// TestClientErrors: every way a call fails has its class.
func TestClientErrors(t *testing.T) {
	errorAnswer := func(code string) func(*api.Request) any {
		return func(*api.Request) any {
			return &api.Response{Version: api.Version, Error: &api.Error{Code: code, Message: "no"}}
		}
	}
	stale := filepath.Join(t.TempDir(), "stale.sock")
	ln, _ := net.Listen("unix", stale)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, nobody listens
	tests := []struct {
		name   string
		socket string
		ctx    func() (context.Context, context.CancelFunc)
		class  error
		msg    string
	}{
		{"no socket", filepath.Join(t.TempDir(), "none.sock"), nil, errdefs.ErrNotFound, "no shim at"},
		{"nobody listening", stale, nil, errdefs.ErrNotFound, "no shim at"},
		{"not found", fakeShim(t, errorAnswer(api.CodeNotFound)), nil, errdefs.ErrNotFound, "no"},
		{"precondition", fakeShim(t, errorAnswer(api.CodeFailedPrecondition)), nil, errdefs.ErrFailedPrecondition, "no"},
		{"unknown code", fakeShim(t, errorAnswer("weird")), nil, nil, "no"},
		{"other version", fakeShim(t, func(*api.Request) any { return &api.Response{Version: 99} }), nil, errdefs.ErrInternal, "protocol version 99"},
		{"bad body", fakeShim(t, func(*api.Request) any {
			return &api.Response{Version: api.Version, Body: []byte(`"not a state"`)}
		}), nil, errdefs.ErrInternal, "bad answer"},
		{"hangs up", fakeShim(t, func(*api.Request) any { return nil }), nil, errdefs.ErrUnavailable, "closed the connection"},
		{"deadline", fakeShim(t, func(*api.Request) any { time.Sleep(time.Second); return nil }), func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 20*time.Millisecond)
		}, errdefs.ErrDeadlineExceeded, "deadline"},
		{"canceled before", fakeShim(t, errorAnswer("")), func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, errdefs.ErrCanceled, "canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.Background(), func() {}
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err := dial(tt.socket).state(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.msg)
			}
			if tt.class != nil && !errors.Is(err, tt.class) {
				t.Errorf("err = %v, want class %v", err, tt.class)
			}
			if tt.class == nil && errdefs.IsNotFound(err) {
				t.Errorf("an unknown code got a class: %v", err)
			}
		})
	}
}

// TestRunnerCallsOverTheProtocol: each Runner call sends its method and
// reads its answer.
func TestRunnerCallsOverTheProtocol(t *testing.T) {
	var mu sync.Mutex
	var got []string
	sock := fakeShim(t, func(req *api.Request) any {
		mu.Lock()
		got = append(got, req.Method)
		mu.Unlock()
		body := `{}`
		switch req.Method {
		case api.MethodStart, api.MethodState:
			body = `{"status":"running","started_at":"2026-01-02T03:04:05Z"}`
		case api.MethodWait:
			body = `{"exit_code":3}`
		}
		return &api.Response{Version: api.Version, Body: []byte(body)}
	})
	r := &Runner{SocketDir: filepath.Dir(sock)}
	id := "x"
	if err := os.Rename(sock, r.socket(id)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if at, err := r.Start(ctx, id); err != nil || at.Year() != 2026 {
		t.Errorf("Start = %v, %v", at, err)
	}
	if e, err := r.Wait(ctx, id); err != nil || e.ExitCode != 3 {
		t.Errorf("Wait = %+v, %v", e, err)
	}
	if err := r.ReopenLog(ctx, id); err != nil {
		t.Error(err)
	}
	if _, err := r.ExecSync(ctx, id, ExecRequest{Cmd: []string{"ls"}}); err != nil {
		t.Error(err)
	}
	want := []string{api.MethodStart, api.MethodWait, api.MethodReopenLog, api.MethodExecSync}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("methods %v, want %v", got, want)
	}
}
