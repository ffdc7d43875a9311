package figure

import (
	"context"
	"fmt"

	"github.com/skiffrt/skiff/test/bench/cri"
	"github.com/skiffrt/skiff/test/bench/daemon"
	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// Target is one runtime under test and the pods the figures left running.
// It is used by one goroutine (figures may fan out inside).
type Target struct {
	RT    *daemon.Runtime
	CRI   *cri.Client
	Pods  []cri.Pod
	Table *report.Table
	Run   *report.Run
}

func (t *Target) set(f report.Figure, v float64) { t.Table.Set(f, t.RT.Name(), v) }

// setPercentiles records p50, p90 (if f90 has a key) and p99 of ms.
func (t *Target) setPercentiles(f50, f90, f99 report.Figure, ms []float64) {
	t.set(f50, stats.Percentile(ms, 50))
	if f90.Key != "" {
		t.set(f90, stats.Percentile(ms, 90))
	}
	t.set(f99, stats.Percentile(ms, 99))
}

// Keys of the p50 figures that a breakdown of skiffd's log explains.
const (
	KeyPodStartSerialP50 = "pod_start_w1_p50"
	KeyStopRemoveP50     = "stop_remove_p50"
)

const stopRemoveKey = "stop_remove"

// percentileFigures returns the p50/p90/p99 figures of a latency; the
// goal applies to p50.
func percentileFigures(key, title string, goal float64) (p50, p90, p99 report.Figure) {
	p50 = report.Figure{Key: key + "_p50", Title: title + ", p50", Unit: "ms", Goal: goal}
	p90 = report.Figure{Key: key + "_p90", Title: title + ", p90", Unit: "ms"}
	p99 = report.Figure{Key: key + "_p99", Title: title + ", p99", Unit: "ms"}
	return
}

// RemovePods removes every pod the runtime lists and forgets t.Pods.
func (t *Target) RemovePods(ctx context.Context, workers int) error {
	t.Pods = nil
	if err := t.CRI.RemoveAll(ctx, workers); err != nil {
		return fmt.Errorf("%s: remove pods: %w", t.RT.Name(), err)
	}
	return nil
}
