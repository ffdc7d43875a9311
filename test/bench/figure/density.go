package figure

import (
	"context"
	"fmt"
	"time"

	"github.com/skiffrt/skiff/test/bench/cri"
	"github.com/skiffrt/skiff/test/bench/procfs"
	"github.com/skiffrt/skiff/test/bench/report"
)

var (
	densityTime   = report.Figure{Key: "density_time", Title: "density: time until all pods run", Unit: "s"}
	densityCPU    = report.Figure{Key: "density_cpu", Title: "density: daemon CPU", Unit: "s"}
	densityCPUAll = report.Figure{Key: "density_cpu_children", Title: "density: daemon CPU with its waited-for children (CNI plugins…)", Unit: "s"}
	densityErrors = report.Figure{Key: "density_errors", Title: "density: failed pod starts", Unit: "count", Zero: true}
)

// Density starts n pods (pause + one busybox container), workers at a
// time, from none running, and records the time until all run, the
// daemon's CPU time over that span and the failed starts. The pods stay.
func Density(ctx context.Context, t *Target, n, workers int) error {
	pid := t.RT.PID()
	cpu0, err := procfs.CPUTime(pid)
	if err != nil {
		return err
	}
	all0, err := procfs.CPUTimeWithChildren(pid)
	if err != nil {
		return err
	}
	pods := make([]cri.Pod, n)
	start := time.Now()
	_, errs := cri.Parallel(n, workers, func(i int) (time.Duration, error) {
		p, d, err := t.CRI.StartPod(ctx, "density")
		pods[i] = p
		return d, err
	})
	wall := time.Since(start)
	cpu1, err := procfs.CPUTime(pid)
	if err != nil {
		return err
	}
	all1, err := procfs.CPUTimeWithChildren(pid)
	if err != nil {
		return err
	}
	for _, p := range pods {
		if p.SandboxID != "" {
			t.Pods = append(t.Pods, p)
		}
	}
	title := func(f report.Figure) report.Figure {
		f.Title = fmt.Sprintf("%s (%d pods, %d at a time)", f.Title, n, workers)
		return f
	}
	t.set(title(densityTime), wall.Seconds())
	t.set(title(densityCPU), (cpu1 - cpu0).Seconds())
	t.set(title(densityCPUAll), (all1 - all0).Seconds())
	t.set(title(densityErrors), float64(len(errs)))
	for i, err := range errs {
		if i == 3 {
			t.Run.Notef("%s density: %d more errors", t.RT.Name(), len(errs)-3)
			break
		}
		t.Run.Notef("%s density: %v", t.RT.Name(), err)
	}
	return nil
}
