package figure

import (
	"context"
	"fmt"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// ExecSyncGoal is the target ratio of ExecSync p50.
const ExecSyncGoal = 0.35

// execWarmUp is the number of unmeasured calls before an exec figure.
const execWarmUp = 5

// ExecSync runs n ExecSync calls of "echo ok", one at a time, round-robin
// over the running pods' containers, after a few unmeasured ones, and
// records p50 and p99 of the round trip.
func ExecSync(ctx context.Context, t *Target, n int) error {
	if len(t.Pods) == 0 {
		return fmt.Errorf("exec: no running pods")
	}
	call := func(i int) (time.Duration, error) {
		id := t.Pods[i%len(t.Pods)].ContainerID
		start := time.Now()
		resp, err := t.CRI.RT.ExecSync(ctx, &runtime.ExecSyncRequest{ContainerId: id, Cmd: []string{"echo", "ok"}, Timeout: 10})
		d := time.Since(start)
		if err != nil {
			return 0, fmt.Errorf("ExecSync in %s: %w", id, err)
		}
		if resp.ExitCode != 0 || string(resp.Stdout) != "ok\n" {
			return 0, fmt.Errorf("ExecSync in %s: exit %d, stdout %q, stderr %q", id, resp.ExitCode, resp.Stdout, resp.Stderr)
		}
		return d, nil
	}
	ds, err := serialCalls(n, call)
	if err != nil {
		return err
	}
	ms := stats.Millis(ds)
	p50, _, p99 := percentileFigures("exec_sync", "ExecSync round trip", ExecSyncGoal)
	t.setPercentiles(p50, report.Figure{}, p99, ms)
	t.Run.AddSamples(fmt.Sprintf("ExecSync round trip (%d calls)", n), "ms", t.RT.Name(), ms)
	return nil
}

// serialCalls makes execWarmUp unmeasured calls, then n measured ones,
// one at a time, and returns the measured durations. call gets the
// call's index within its series, for round-robin; the first error
// ends the series.
func serialCalls(n int, call func(i int) (time.Duration, error)) ([]time.Duration, error) {
	for i := range execWarmUp {
		if _, err := call(i); err != nil {
			return nil, err
		}
	}
	ds := make([]time.Duration, 0, n)
	for i := range n {
		d, err := call(i)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, nil
}
