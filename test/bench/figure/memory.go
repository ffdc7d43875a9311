package figure

import (
	"fmt"

	"github.com/skiffrt/skiff/test/bench/procfs"
	"github.com/skiffrt/skiff/test/bench/report"
)

// PSSGoal is the target ratio of the runtime's PSS per pod.
const PSSGoal = 0.5

// DaemonRSSGoal is the target ratio of the daemon's RSS with 100 pods.
const DaemonRSSGoal = 1.0

const mb = 1 << 20

var (
	pssPerPod      = report.Figure{Key: "pss_per_pod", Title: "PSS per pod: (daemon + shims + pause) / pods", Unit: "MB", Goal: PSSGoal}
	pssPerPodNoD   = report.Figure{Key: "pss_per_pod_without_daemon", Title: "PSS per pod without the daemon: (shims + pause) / pods", Unit: "MB"}
	pssShims       = report.Figure{Key: "pss_shims_per_pod", Title: "  of which shims", Unit: "MB"}
	pssPause       = report.Figure{Key: "pss_pause_per_pod", Title: "  of which pause", Unit: "MB"}
	shimsPerPod    = report.Figure{Key: "shims_per_pod", Title: "shim processes per pod", Unit: "count"}
	pssDaemon      = report.Figure{Key: "pss_daemon", Title: "daemon PSS", Unit: "MB"}
	rssDaemonIdle  = report.Figure{Key: "rss_daemon_idle", Title: "daemon RSS, no pods", Unit: "MB"}
	rssDaemon100   = report.Figure{Key: "rss_daemon_100", Title: "daemon RSS with 100 pods", Unit: "MB", Goal: DaemonRSSGoal}
	pssFigureTitle = "with %d running pods"
)

// Memory records, with len(t.Pods) pods running, the summed PSS of the
// daemon, every shim and every pause process per pod, and its parts.
func Memory(t *Target) error {
	n := len(t.Pods)
	if n == 0 {
		return fmt.Errorf("memory: no running pods")
	}
	ps, err := t.RT.Processes()
	if err != nil {
		return err
	}
	if len(ps.Pauses) != n {
		return fmt.Errorf("memory: found %d pause processes for %d pods", len(ps.Pauses), n)
	}
	d, err := procfs.PSS(ps.Daemon)
	if err != nil {
		return fmt.Errorf("memory: daemon: %w", err)
	}
	shims, err := procfs.SumPSS(ps.Shims)
	if err != nil {
		return fmt.Errorf("memory: shims: %w", err)
	}
	pause, err := procfs.SumPSS(ps.Pauses)
	if err != nil {
		return fmt.Errorf("memory: pause: %w", err)
	}
	per := func(b int64) float64 { return float64(b) / mb / float64(n) }
	t.set(titled(pssPerPod, n), per(d+shims+pause))
	t.set(titled(pssPerPodNoD, n), per(shims+pause))
	t.set(pssShims, per(shims))
	t.set(pssPause, per(pause))
	t.set(shimsPerPod, float64(len(ps.Shims))/float64(n))
	t.set(titled(pssDaemon, n), float64(d)/mb)
	return nil
}

// DaemonRSS records the daemon's RSS; idle when no pod runs, else the
// figure with 100 pods.
func DaemonRSS(t *Target) error {
	pid := t.RT.PID()
	rss, err := procfs.RSS(pid)
	if err != nil {
		return fmt.Errorf("daemon RSS: %w", err)
	}
	f := rssDaemonIdle
	if len(t.Pods) > 0 {
		f = rssDaemon100
		if len(t.Pods) != 100 {
			f.Title = fmt.Sprintf("daemon RSS with %d pods", len(t.Pods))
		}
	}
	t.set(f, float64(rss)/mb)
	return nil
}

// titled appends the pod count to a memory figure's title.
func titled(f report.Figure, pods int) report.Figure {
	f.Title += ", " + fmt.Sprintf(pssFigureTitle, pods)
	return f
}
