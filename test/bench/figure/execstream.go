package figure

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"k8s.io/client-go/tools/remotecommand"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/testutil/streamclient"
	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// streamExecTimeout bounds one streaming exec, so that a stream that
// never ends fails the figure instead of hanging the run.
const streamExecTimeout = 10 * time.Second

// StreamExec runs n streaming execs of "echo ok", one at a time,
// round-robin over the running pods' containers, after a few unmeasured
// ones, and records p50 and p99 of the round trip: the CRI Exec call,
// then the session at the URL it returns, over SPDY with client-go's
// remotecommand as kubelet connects, until the stream ends with exit 0.
// There is no goal: the output is stdout only, without tty or stdin.
func StreamExec(ctx context.Context, t *Target, n int) error {
	if len(t.Pods) == 0 {
		return fmt.Errorf("streaming exec: no running pods")
	}
	call := func(i int) (time.Duration, error) {
		start := time.Now()
		err := streamExec(ctx, t.CRI.RT, spdyStream, t.Pods[i%len(t.Pods)].ContainerID)
		return time.Since(start), err
	}
	ds, err := serialCalls(n, call)
	if err != nil {
		return err
	}
	ms := stats.Millis(ds)
	p50, _, p99 := percentileFigures("exec_stream", "streaming exec round trip (Exec + SPDY stream)", 0)
	t.setPercentiles(p50, report.Figure{}, p99, ms)
	t.Run.AddSamples(fmt.Sprintf("streaming exec round trip (%d calls)", n), "ms", t.RT.Name(), ms)
	return nil
}

// execer is the CRI call that a streaming exec starts with.
type execer interface {
	Exec(ctx context.Context, req *runtime.ExecRequest, opts ...grpc.CallOption) (*runtime.ExecResponse, error)
}

// streamFunc runs the session at url with opts; it returns nil once the
// stream has ended with exit code 0.
type streamFunc func(ctx context.Context, url string, opts remotecommand.StreamOptions) error

// spdyStream is kubelet's way in: SPDY, plain HTTP (both servers listen
// on loopback without TLS).
func spdyStream(ctx context.Context, url string, opts remotecommand.StreamOptions) error {
	return streamclient.Stream(ctx, streamclient.SPDY, url, nil, opts)
}

// streamExec makes one streaming exec of "echo ok" in container id and
// checks that it printed "ok\n" on stdout and exited 0.
func streamExec(ctx context.Context, rt execer, stream streamFunc, id string) error {
	ctx, cancel := context.WithTimeout(ctx, streamExecTimeout)
	defer cancel()
	resp, err := rt.Exec(ctx, &runtime.ExecRequest{ContainerId: id, Cmd: []string{"echo", "ok"}, Stdout: true})
	if err != nil {
		return fmt.Errorf("Exec in %s: %w", id, err)
	}
	var out bytes.Buffer
	if err := stream(ctx, resp.Url, remotecommand.StreamOptions{Stdout: &out}); err != nil {
		return fmt.Errorf("exec stream in %s (stdout %q): %w", id, out.String(), err)
	}
	if got := out.String(); got != "ok\n" {
		return fmt.Errorf("exec stream in %s: stdout %q, want %q", id, got, "ok\n")
	}
	return nil
}
