//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// pausePID returns the pid of pod's pause process, from the verbose
// PodSandboxStatus.
func (d *daemon) pausePID(t *testing.T, pod string) int {
	t.Helper()
	resp, err := d.runtime.PodSandboxStatus(ctxT(t), &runtime.PodSandboxStatusRequest{PodSandboxId: pod, Verbose: true})
	if err != nil {
		t.Fatalf("PodSandboxStatus: %v", err)
	}
	var info struct{ Pid int }
	if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil || info.Pid <= 0 {
		t.Fatalf("PodSandboxStatus info %q: no pause pid (%v)", resp.Info["info"], err)
	}
	return info.Pid
}

// procStatus returns field of /proc/pid/status.
func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return ""
}

// TestPauseRunsSkiffPause checks that a pod's pause process is the
// skiff-pause program that was built, run from the pause rootfs as pid 1
// of the pod's PID namespace, and, when it is the C program, that it
// holds next to no memory.
func TestPauseRunsSkiffPause(t *testing.T) {
	d := startDaemon(t)
	pod := d.runPod(t, podConfig(t, "tiny"))
	defer d.removePod(t, pod)
	pid := d.pausePID(t, pod)

	want, err := os.ReadFile(filepath.Join(binDir(t), "skiff-pause"))
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil || !bytes.Equal(have, want) {
		t.Fatalf("pause process %d runs a program that is not bin/skiff-pause (%d bytes, %v)", pid, len(have), err)
	}
	if ns := strings.Fields(procStatus(t, pid, "NSpid")); ns[len(ns)-1] != "1" {
		t.Errorf("pause NSpid %v: want pid 1 of the pod's PID namespace", ns)
	}
	if len(want) < 64<<10 { // the C program, not the Go fallback
		rss, _ := strconv.Atoi(strings.TrimSuffix(procStatus(t, pid, "VmRSS"), " kB"))
		if rss > 100 {
			t.Errorf("C pause VmRSS = %d kB, want a few pages", rss)
		}
	}
}
