package main

import (
	"math"

	"github.com/skiffrt/skiff/test/bench/figure"
	"github.com/skiffrt/skiff/test/bench/report"
)

// driftLimit is how far from 1 the machine probe's ratio may be before
// the run says that the machine's speed changed between the runtimes'
// figures.
const driftLimit = 0.15

// noteDrift says, in the run's notes, when the machine probe (see
// figure.Probe) took longer for one runtime's figures than for the
// other's: the machine itself moved the ratios of that run.
func noteDrift(r *report.Run, tab *report.Table) {
	for _, when := range []string{figure.ProbeStart, figure.ProbeEnd} {
		row, ok := tab.Row(figure.ProbeKey(when))
		if !ok {
			continue
		}
		ratio, ok := tab.Ratio(row)
		if !ok || math.Abs(ratio-1) <= driftLimit {
			continue
		}
		r.Notef("machine probe at the %s of the figures: %.2f ms for %s, %.2f ms for %s (%.2f×): the machine ran at another speed for one runtime's figures than for the other's, and this run's ratios carry that",
			when, row.Values[tab.Subjects[0]], tab.Subjects[0], row.Values[tab.Subjects[1]], tab.Subjects[1], ratio)
	}
}
