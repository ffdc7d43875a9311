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

// readBreakdown aggregates the span records (debug level, msg=span) and
// CRI call durations that skiffd wrote within ls, while the benchmark did
// one thing (what) to pods pods one after the other: per name, how often,
// p50, p90 and the total per pod.
func readBreakdown(title, what string, ls logSpan, pods int) (report.Section, error) {
	f, err := os.Open(ls.path)
	if err != nil {
		return report.Section{}, err
	}
	defer f.Close()
	if _, err := f.Seek(ls.start, io.SeekStart); err != nil {
		return report.Section{}, err
	}
	var order []string
	spans := map[string][]float64{}
	sc := bufio.NewScanner(io.LimitReader(f, ls.end-ls.start))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, ms, ok := parseSpan(sc.Text())
		if !ok {
			continue
		}
		if _, seen := spans[name]; !seen {
			order = append(order, name)
		}
		spans[name] = append(spans[name], ms)
	}
	if err := sc.Err(); err != nil {
		return report.Section{}, err
	}
	if len(order) == 0 {
		return report.Section{}, fmt.Errorf("no span records in %s (skiffd at debug level writes them)", ls.path)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From skiffd's debug log over %s of %d pods, one after the other: each CRI call's duration (`rpc …`) and the spans inside (`msg=span`). A span inside a call is part of its time.\n\n", what, pods)
	b.WriteString("| span | count | p50 ms | p90 ms | total ms per pod |\n|---|---:|---:|---:|---:|\n")
	for _, name := range order {
		ms := spans[name]
		var sum float64
		for _, v := range ms {
			sum += v
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.1f | %.1f |\n", name, len(ms),
			stats.Percentile(ms, 50), stats.Percentile(ms, 90), sum/float64(max(pods, 1)))
	}
	return report.Section{Title: title, Body: b.String()}, nil
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
