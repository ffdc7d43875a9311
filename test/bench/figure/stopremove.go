package figure

import (
	"context"
	"fmt"
	"time"

	"github.com/skiffrt/skiff/test/bench/stats"
)

// StopRemoveGoal is the target ratio of stop + remove p50.
const StopRemoveGoal = 0.25

// StopRemove stops and removes every running benchmark pod, one after
// the other (StopPodSandbox + RemovePodSandbox, as kubelet deletes a
// pod), and records p50/p90/p99.
func StopRemove(ctx context.Context, t *Target) error {
	var ds []time.Duration
	for _, p := range t.Pods {
		d, err := t.CRI.RemovePod(ctx, p.SandboxID)
		if err != nil {
			return fmt.Errorf("stop and remove: %w", err)
		}
		ds = append(ds, d)
	}
	ms := stats.Millis(ds)
	n := len(t.Pods)
	t.Pods = nil
	p50, p90, p99 := percentileFigures(stopRemoveKey, "pod stop + remove", StopRemoveGoal)
	t.setPercentiles(p50, p90, p99, ms)
	t.Run.AddSamples(fmt.Sprintf("pod stop + remove, serial (%d pods)", n), "ms", t.RT.Name(), ms)
	return nil
}
