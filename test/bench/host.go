package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/skiffrt/skiff/test/bench/procfs"
	"github.com/skiffrt/skiff/test/bench/report"
)

// describeHost fills in the machine, the commit and the versions that do
// not come from a daemon.
func describeHost(r *report.Run) {
	model, mem := "", ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(strings.SplitN(string(raw), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
	}
	r.Machine = fmt.Sprintf("%d × %s, %s", runtime.NumCPU(), model, mem)
	r.Commit = output("git", "describe", "--always", "--dirty", "--abbrev=12")
	r.Versions["kernel"] = output("uname", "-r")
	r.Versions["go (benchmark)"] = runtime.Version()
	r.Versions["runc (reference)"] = firstLine(output("runc", "--version"))
	r.Versions["CNI plugins"] = output("dpkg-query", "-W", "-f=${Version}", "containernetworking-plugins")
	if raw, err := os.ReadFile("/etc/debian_version"); err == nil {
		r.Versions["debian"] = strings.TrimSpace(string(raw))
	}
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// busyLimit is the share of the CPUs that other work may use while a
// run starts or ends before its latencies are flagged as untrustworthy.
const busyLimit = 0.25

// noteQuiet samples how busy the CPUs are, 2 s at a time, until the
// share falls below busyLimit or wait has passed, and records the last
// sample in the run's notes, with a warning if it is above the limit.
// Taken before the run's daemons start and after they are gone, it
// measures the neighbours; the load average would not, since it still
// counts the benchmark's own last phase a minute after it ended.
func noteQuiet(ctx context.Context, r *report.Run, when string, wait time.Duration) {
	deadline := time.Now().Add(wait)
	var busy float64
	for {
		a, err := procfs.ReadCPU()
		if err != nil {
			r.Notef("CPU use at the %s: %v", when, err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
		b, err := procfs.ReadCPU()
		if err != nil {
			r.Notef("CPU use at the %s: %v", when, err)
			return
		}
		busy = a.Busy(b)
		if busy < busyLimit || time.Now().After(deadline) {
			break
		}
	}
	r.Notef("CPUs busy at the %s of the run, with no daemon of its own running: %.0f %% of %d (2 s sample)", when, 100*busy, runtime.NumCPU())
	if busy >= busyLimit {
		r.Notef("WARNING: other work kept the CPUs %.0f %% busy at the %s of the run: latencies are not trustworthy", 100*busy, when)
		fmt.Printf("bench: warning: CPUs %.0f %% busy at the %s of the run\n", 100*busy, when)
	}
}
