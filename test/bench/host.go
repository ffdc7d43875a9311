package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

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
	noteLoad(r, "start")
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

// noteLoad records the load average; on a shared machine a run under
// load measures the neighbours as much as the runtimes, and says so.
func noteLoad(r *report.Run, when string) {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return
	}
	r.Notef("load average at the %s: %s %s %s (%d CPUs)", when, f[0], f[1], f[2], runtime.NumCPU())
	var one float64
	if _, err := fmt.Sscanf(f[0], "%g", &one); err == nil && one > float64(runtime.NumCPU()) {
		r.Notef("WARNING: the machine was loaded at the %s of the run (1-minute load %s on %d CPUs): latencies are not trustworthy", when, f[0], runtime.NumCPU())
		fmt.Printf("bench: warning: load average %s on %d CPUs\n", f[0], runtime.NumCPU())
	}
}
