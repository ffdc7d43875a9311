package figure

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"k8s.io/client-go/tools/remotecommand"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/utils/exec"
)

// fakeExecer answers Exec with url, or err, and keeps the request.
type fakeExecer struct {
	url string
	err error
	req *runtime.ExecRequest
}

func (f *fakeExecer) Exec(_ context.Context, req *runtime.ExecRequest, _ ...grpc.CallOption) (*runtime.ExecResponse, error) {
	f.req = req
	if f.err != nil {
		return nil, f.err
	}
	return &runtime.ExecResponse{Url: f.url}, nil
}

func TestStreamExec(t *testing.T) {
	errExec := errors.New("exec refused")
	errStream := errors.New("stream reset")
	tests := []struct {
		name    string
		execErr error
		stdout  string
		end     error // what the stream returns after writing stdout
		wantErr error
		errText string
	}{
		{name: "ok", stdout: "ok\n"},
		{name: "Exec fails", execErr: errExec, wantErr: errExec},
		{name: "stream fails", stdout: "o", end: errStream, wantErr: errStream, errText: `stdout "o"`},
		{name: "non-zero exit", stdout: "ok\n", end: exec.CodeExitError{Err: errors.New("exit 1"), Code: 1}, errText: "exit 1"},
		{name: "other output", stdout: "ok", errText: `stdout "ok", want "ok\n"`},
		{name: "no output", errText: `stdout "", want`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := &fakeExecer{url: "http://127.0.0.1:1/exec/tok", err: tc.execErr}
			var gotURL string
			streamed := false
			stream := func(ctx context.Context, url string, opts remotecommand.StreamOptions) error {
				streamed = true
				gotURL = url
				if _, ok := ctx.Deadline(); !ok {
					t.Error("the stream has no deadline")
				}
				if opts.Stdin != nil || opts.Stderr != nil || opts.Tty || opts.Stdout == nil {
					t.Errorf("stream options %+v, want stdout only", opts)
				}
				if _, err := io.WriteString(opts.Stdout, tc.stdout); err != nil {
					t.Fatal(err)
				}
				return tc.end
			}
			err := streamExec(context.Background(), rt, stream, "ctr1")
			if tc.wantErr == nil && tc.errText == "" {
				if err != nil {
					t.Fatalf("streamExec: %v", err)
				}
			} else {
				if err == nil {
					t.Fatal("streamExec succeeded, want an error")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v does not wrap %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.errText) || !strings.Contains(err.Error(), "ctr1") {
					t.Errorf("error %q lacks %q or the container", err, tc.errText)
				}
			}
			req := rt.req
			if req.ContainerId != "ctr1" || strings.Join(req.Cmd, " ") != "echo ok" || !req.Stdout || req.Stderr || req.Stdin || req.Tty {
				t.Errorf("Exec request %+v, want echo ok in ctr1, stdout only", req)
			}
			if streamed != (tc.execErr == nil) {
				t.Errorf("streamed = %v after Exec error %v", streamed, tc.execErr)
			}
			if streamed && gotURL != rt.url {
				t.Errorf("streamed to %q, want Exec's URL %q", gotURL, rt.url)
			}
		})
	}
}

func TestSerialCalls(t *testing.T) {
	var calls []int
	ds, err := serialCalls(3, func(i int) (time.Duration, error) {
		calls = append(calls, i)
		return time.Duration(100+len(calls)) * time.Millisecond, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []int{0, 1, 2, 3, 4, 0, 1, 2}
	if !slices.Equal(calls, want) {
		t.Errorf("call indexes %v, want %v (%d unmeasured, then 3)", calls, want, execWarmUp)
	}
	if len(ds) != 3 || ds[0] != 106*time.Millisecond || ds[2] != 108*time.Millisecond {
		t.Errorf("durations %v, want the 3 measured ones", ds)
	}

	boom := errors.New("boom")
	n := 0
	if _, err := serialCalls(10, func(int) (time.Duration, error) {
		n++
		if n == 7 {
			return 0, boom
		}
		return time.Millisecond, nil
	}); !errors.Is(err, boom) || n != 7 {
		t.Errorf("error %v after %d calls, want boom after 7", err, n)
	}
}
