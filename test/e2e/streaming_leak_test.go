//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/remotecommand"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/task"
	"github.com/skiffrt/skiff/internal/testutil/output"
	"github.com/skiffrt/skiff/internal/testutil/streamclient"
)

// streamCounts are what streaming sessions could leak.
type streamCounts struct {
	DaemonFDs, DaemonGoroutines, ShimFDs, ShimGoroutines, Processes int
}

// TestStreamingLeaksNothing runs 200 execs and 50 attaches of every
// kind, over SPDY and WebSocket, clients hanging up included, against
// one container and checks that skiffd's and the shim's
// file descriptors and goroutines, and the processes under the shim, are
// back where they were.
func TestStreamingLeaksNothing(t *testing.T) {
	metrics := freeLoopbackAddr(t)
	d, pod, podCfg := streamingPod(t, "--metrics-addr", metrics)
	ctr := d.runInteractive(t, pod, podCfg, "target", true, false, false, "sh", "-c", `while read l; do echo "got $l"; done`)
	count := func() streamCounts { return d.streamCounts(t, ctr, metrics) }

	execs := func(n int) {
		for i := range n {
			d.leakExec(t, ctr, i)
		}
	}
	attaches := func(n int) {
		for i := range n {
			d.leakAttach(t, ctr, i)
		}
	}
	// Warm up: what is made once, on first use, is no leak. An attach
	// with input goes last: the output it causes would also end the
	// attachments whose clients left unnoticed; the loop ends with one.
	execs(10)
	d.leakAttach(t, ctr, 1)
	d.leakAttach(t, ctr, 3)
	d.leakAttach(t, ctr, 0)
	before := settle(t, count, nil)
	begin := time.Now()
	execs(200)
	attaches(50)
	t.Logf("200 execs and 50 attaches in %v", time.Since(begin))
	after := settle(t, count, &before)
	t.Logf("before %+v, after %+v", before, after)
	if after != before {
		t.Errorf("leaked: before %+v, after %+v", before, after)
	}
}

// settle returns the counts once they stop moving (or equal want).
func settle(t *testing.T, count func() streamCounts, want *streamCounts) streamCounts {
	t.Helper()
	last := count()
	for range 60 {
		time.Sleep(250 * time.Millisecond)
		now := count()
		if (want != nil && now == *want) || (want == nil && now == last) {
			return now
		}
		last = now
	}
	return last
}

// leakExec runs the i-th exec of the leak test, each kind in turn over
// each transport: output and an exit code, a command not found, a tty
// with input, and a silent command whose client hangs up (it is killed).
func (d *daemon) leakExec(t *testing.T, ctr string, i int) {
	t.Helper()
	transport := streamclient.Transports[i%2]
	req := &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"sh", "-c", "echo " + strconv.Itoa(i) + "; exit 2"}, Stdout: true, Stderr: true}
	opts := remotecommand.StreamOptions{Stdout: io.Discard, Stderr: io.Discard}
	wantCode := 2
	switch i % 5 {
	case 1:
		req.Cmd, wantCode = []string{"no-such-command"}, 127
	case 2:
		req = &runtime.ExecRequest{ContainerId: ctr, Cmd: []string{"sh"}, Stdin: true, Stdout: true, Tty: true}
		opts = remotecommand.StreamOptions{Stdin: strings.NewReader("exit 3\n"), Stdout: io.Discard, Tty: true}
		wantCode = 3
	case 3:
		req.Cmd = []string{"sleep", "1000"}
		ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
		defer cancel()
		if err := streamclient.Stream(ctx, transport, d.execURL(t, req), nil, opts); err == nil {
			t.Fatalf("exec %d over %s: a silent exec ended by itself", i, transport)
		}
		return
	}
	if code := exitCode(t, stream(t, transport, d.execURL(t, req), opts)); code != wantCode {
		t.Fatalf("exec %d over %s: exit %d, want %d", i, transport, code, wantCode)
	}
}

// leakAttach runs the i-th attach of the leak test: with stdin over
// SPDY, ended by the end of stdin; or, in turn over each transport,
// without stdin, ended by the client hanging up.
func (d *daemon) leakAttach(t *testing.T, ctr string, i int) {
	t.Helper()
	var out output.Buffer
	if i%2 == 0 {
		url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdin: true, Stdout: true, Stderr: true})
		line := fmt.Sprintf("line%d\n", i)
		stdinR, stdinW := io.Pipe()
		ended := make(chan error, 1)
		go func() {
			ended <- stream(t, streamclient.SPDY, url, remotecommand.StreamOptions{Stdin: stdinR, Stdout: &out, Stderr: io.Discard})
		}()
		io.WriteString(stdinW, line)
		output.Wait(t, &out, "got "+line)
		stdinW.Close()
		if err := <-ended; err != nil {
			t.Fatalf("attach %d: %v", i, err)
		}
		return
	}
	url := d.attachURL(t, &runtime.AttachRequest{ContainerId: ctr, Stdout: true})
	ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	streamclient.Stream(ctx, streamclient.Transports[i/2%2], url, nil, remotecommand.StreamOptions{Stdout: &out})
}

// streamCounts counts skiffd's descriptors and goroutines (from pprof
// at metrics), the shim's (its State), and the processes under the shim.
func (d *daemon) streamCounts(t *testing.T, ctr, metrics string) streamCounts {
	t.Helper()
	runner := &task.Runner{SocketDir: filepath.Join(d.dir, "run", "s")}
	st, err := runner.State(ctxT(t), ctr)
	if err != nil {
		t.Fatalf("shim state: %v", err)
	}
	return streamCounts{
		DaemonFDs:        countEntries(fmt.Sprintf("/proc/%d/fd", d.cmd.Process.Pid)),
		DaemonGoroutines: goroutines(t, metrics),
		ShimFDs:          countEntries(fmt.Sprintf("/proc/%d/fd", st.ShimPid)),
		ShimGoroutines:   st.Goroutines,
		Processes:        len(descendants(st.ShimPid)),
	}
}

// goroutines reads the goroutine count from the pprof endpoint, on a
// connection that is not kept.
func goroutines(t *testing.T, addr string) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var n int
	if _, err := fmt.Sscanf(string(b), "goroutine profile: total %d", &n); err != nil {
		t.Fatalf("goroutine profile %.80q: %v", b, err)
	}
	return n
}

// descendants returns the pids of pid's descendants.
func descendants(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		self, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		children[ppid] = append(children[ppid], self)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}
