package figure

import (
	"context"
	"fmt"
	"time"

	"github.com/skiffrt/skiff/test/bench/cri"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// PodStartGoal is the target ratio of pod start p50 against the reference.
const PodStartGoal = 0.25

// PodStart starts n one-container pods, workers at a time, and records
// the p50/p90/p99 of pod start: RunPodSandbox, PullImage (cached),
// CreateContainer and StartContainer until the first log line. The pods
// stay running. Any failed start fails the figure.
func PodStart(ctx context.Context, t *Target, n, workers int) error {
	label := "serial"
	if workers > 1 {
		label = fmt.Sprintf("%d in parallel", workers)
	}
	key := podStartKey(workers)
	pods := make([]cri.Pod, n)
	ds, errs := cri.Parallel(n, workers, func(i int) (time.Duration, error) {
		p, d, err := t.CRI.StartPod(ctx, "start")
		pods[i] = p
		return d, err
	})
	for _, p := range pods {
		if p.SandboxID != "" {
			t.Pods = append(t.Pods, p)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pod start (%s): %d of %d failed, first: %w", label, len(errs), n, errs[0])
	}
	ms := stats.Millis(ds)
	p50, p90, p99 := percentileFigures(key, "pod start, "+label, PodStartGoal)
	t.setPercentiles(p50, p90, p99, ms)
	t.Run.AddSamples(fmt.Sprintf("pod start, %s (%d pods)", label, n), "ms", t.RT.Name(), ms)
	return nil
}

func podStartKey(workers int) string { return fmt.Sprintf("pod_start_w%d", workers) }
