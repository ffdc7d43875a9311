package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/skiffrt/skiff/test/bench/report"
	"github.com/skiffrt/skiff/test/bench/stats"
)

// logSpan is a byte range of a daemon log: what it wrote during one
// figure.
type logSpan struct {
	path       string
	start, end int64
}

func logSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// breakdown is the span records (debug level, msg=span) and CRI call
// durations that skiffd wrote while the benchmark did one thing to pods,
// by name in the order first seen.
type breakdown struct {
	order []string
	ms    map[string][]float64
}

// readBreakdown reads the spans skiffd wrote within ls.
func readBreakdown(ls logSpan) (breakdown, error) {
	f, err := os.Open(ls.path)
	if err != nil {
		return breakdown{}, err
	}
	defer f.Close()
	if _, err := f.Seek(ls.start, io.SeekStart); err != nil {
		return breakdown{}, err
	}
	b := breakdown{ms: map[string][]float64{}}
	sc := bufio.NewScanner(io.LimitReader(f, ls.end-ls.start))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, ms, ok := parseSpan(sc.Text())
		if !ok {
			continue
		}
		if _, seen := b.ms[name]; !seen {
			b.order = append(b.order, name)
		}
		b.ms[name] = append(b.ms[name], ms)
	}
	if err := sc.Err(); err != nil {
		return breakdown{}, err
	}
	if len(b.order) == 0 {
		return breakdown{}, fmt.Errorf("no span records in %s (skiffd at debug level writes them)", ls.path)
	}
	return b, nil
}

// p50 is the median of the spans called name.
func (b breakdown) p50(name string) (float64, bool) {
	ms := b.ms[name]
	return stats.Percentile(ms, 50), len(ms) > 0
}

// section is the breakdown as a table, over what the benchmark did to
// pods pods one after the other: per name, how often, p50, p90 and the
// total per pod.
func (b breakdown) section(title, what string, pods int) report.Section {
	var w strings.Builder
	fmt.Fprintf(&w, "From skiffd's debug log over %s of %d pods, one after the other: each CRI call's duration (`rpc …`) and the spans inside (`msg=span`). A span inside a call is part of its time; `cni.add.PLUGIN` and `cni.del.PLUGIN` are the runs of each plugin inside `cni.add` and `cni.del`.\n\n", what, pods)
	w.WriteString("| span | count | p50 ms | p90 ms | total ms per pod |\n|---|---:|---:|---:|---:|\n")
	for _, name := range b.order {
		ms := b.ms[name]
		var sum float64
		for _, v := range ms {
			sum += v
		}
		fmt.Fprintf(&w, "| %s | %d | %.1f | %.1f | %.1f |\n", name, len(ms),
			stats.Percentile(ms, 50), stats.Percentile(ms, 90), sum/float64(max(pods, 1)))
	}
	return report.Section{Title: title, Body: w.String()}
}

// bound is a step both runtimes run that may by itself rule out a
// figure's target.
type bound struct {
	key  string // the figure
	span string // the step's spans
	what string // the step, for a person ("The CNI ADD")
	need string // what meeting the target would take
}

// note explains, in the run's notes, a missed target that the step
// bounds: its p50 in b, against the reference's value of the figure,
// and, when the step alone is over the target, what meeting it would
// take. It says nothing of a target met.
func (bd bound) note(r *report.Run, tab *report.Table, b breakdown) {
	row, ok := tab.Row(bd.key)
	if !ok {
		return
	}
	if met, ok := tab.Met(row); !ok || met {
		return
	}
	ms, ok := b.p50(bd.span)
	ref := row.Values[tab.Subjects[1]]
	if !ok || ref == 0 {
		return
	}
	budget := row.Goal * ref
	left := fmt.Sprintf("more than the whole target of %.0f ms, so no change to skiff's own work can meet it; it would take %s", budget, bd.need)
	if ms < budget {
		left = fmt.Sprintf("of the target's %.0f ms it leaves %.0f ms for everything else", budget, budget-ms)
	}
	r.Notef("%s: target ≤ %.2f× missed. %s alone, which %s runs too with the same conflist, takes %.0f ms (p50 of %s), %.2f× of %s's %.0f ms: %s",
		row.Title, row.Goal, bd.what, tab.Subjects[1], ms, bd.span, ms/ref, tab.Subjects[1], ref, left)
}

// parseSpan reads one timing from a slog text line of skiffd: a span
// record (msg=span span=NAME ms=N) or the end of a CRI call (msg="CRI
// call" method=/runtime.v1.RuntimeService/NAME duration=D), named "rpc
// NAME".
func parseSpan(line string) (string, float64, bool) {
	var name string
	var ms float64
	var okName, okMS bool
	switch {
	case strings.Contains(line, " msg=span "):
		for _, f := range strings.Fields(line) {
			switch {
			case strings.HasPrefix(f, "span="):
				name, okName = strings.TrimPrefix(f, "span="), true
			case strings.HasPrefix(f, "ms="):
				v, err := strconv.ParseFloat(strings.TrimPrefix(f, "ms="), 64)
				ms, okMS = v, err == nil
			}
		}
	case strings.Contains(line, ` msg="CRI call" `):
		for _, f := range strings.Fields(line) {
			switch {
			case strings.HasPrefix(f, "method="):
				m := strings.TrimPrefix(f, "method=")
				name, okName = "rpc "+m[strings.LastIndexByte(m, '/')+1:], true
			case strings.HasPrefix(f, "duration="):
				d, err := time.ParseDuration(strings.TrimPrefix(f, "duration="))
				ms, okMS = float64(d.Microseconds())/1000, err == nil
			}
		}
	}
	return name, ms, okName && okMS
}
