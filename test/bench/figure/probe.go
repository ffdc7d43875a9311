package figure

import (
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// The runtimes are measured one after the other, each for minutes, so a
// machine whose speed drifts meanwhile (a VM sharing its host) moves the
// ratios without either runtime changing. The machine probe times the same
// fixed work at the start and at the end of each runtime's figures; its
// own ratio says how much of a ratio is the machine. Pod start and stop
// are bound by process creation (CNI plugins, their iptables runs, shims),
// so the work is that: a dynamically linked program run to its exit.

// Probe moments, for ProbeKey and Probe.
const (
	ProbeStart = "start"
	ProbeEnd   = "end"
)

// probeProgram is the probe's work: it does nothing but start and exit.
const probeProgram = "/bin/true"

// ProbeKey returns the key of the probe figure taken at when.
func ProbeKey(when string) string { return "machine_probe_" + when }

// Probe runs the probe n times and records its p50 as the figure of when
// (ProbeStart or ProbeEnd).
func Probe(ctx context.Context, t *Target, when string, n int) error {
	ds := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := exec.CommandContext(ctx, probeProgram).Run(); err != nil {
			return fmt.Errorf("machine probe: %s: %w", probeProgram, err)
		}
		ds = append(ds, time.Since(start))
	}
	t.set(report.Figure{
		Key:   ProbeKey(when),
		Title: fmt.Sprintf("machine probe at the %s of the runtime's figures: %s started and waited for, p50 of %d", when, probeProgram, n),
		Unit:  "ms",
	}, stats.Median(stats.Millis(ds)))
	return nil
}
