//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
	// The pod is ready once libcontainer started its init, whose execve
	// of the pause program may come a moment later.
	var have []byte
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		have, err = os.ReadFile("/proc/" + strconv.Itoa(pid) + "/exe")
		if (err == nil && bytes.Equal(have, want)) || time.Now().After(deadline) {
			break
		}
	}
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

// podState returns pod's state from PodSandboxStatus.
func (d *daemon) podState(t *testing.T, pod string) runtime.PodSandboxState {
	t.Helper()
	resp, err := d.runtime.PodSandboxStatus(ctxT(t), &runtime.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil {
		t.Fatalf("PodSandboxStatus: %v", err)
	}
	return resp.Status.State
}

// procStat returns the state letter and the parent of pid, from
// /proc/pid/stat; ok is false once pid is gone.
func procStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// podShims counts the shim processes whose command line names id.
func podShims(id string) int {
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte("skiff-shim")) && bytes.Contains(b, []byte(id)) {
			n++
		}
	}
	return n
}

// TestPauseWithoutMonitor: a pod's pause runs with no shim, as a child of
// skiffd; when it dies skiffd reaps it and the pod is not ready.
func TestPauseWithoutMonitor(t *testing.T) {
	d := startDaemon(t)
	before := resources(t, d)
	pod := d.runPod(t, podConfig(t, "lone"))
	pid := d.pausePID(t, pod)
	if _, ppid, _ := procStat(pid); ppid != d.cmd.Process.Pid {
		t.Errorf("pause's parent is %d, want skiffd (%d)", ppid, d.cmd.Process.Pid)
	}
	if n := podShims(pod); n != 0 {
		t.Errorf("%d shims for a pod without containers", n)
	}
	if st := d.podState(t, pod); st != runtime.PodSandboxState_SANDBOX_READY {
		t.Fatalf("pod %v, want ready", st)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "skiffd to reap its dead pause", func() bool {
		_, ppid, ok := procStat(pid)
		return !ok || ppid != d.cmd.Process.Pid // gone, or the pid reused
	})
	if st := d.podState(t, pod); st != runtime.PodSandboxState_SANDBOX_NOTREADY {
		t.Errorf("pod with a dead pause is %v, want not ready", st)
	}
	d.removePod(t, pod)
	if after := resources(t, d); after != before {
		t.Errorf("leaked: before %+v, after %+v", before, after)
	}
}

// TestPauseAcrossRestart stops skiffd (SIGTERM, then kill -9) with two
// pods running and kills one pod's pause while skiffd is down: the
// restarted skiffd finds the other pod ready, from its recorded pause pid
// and start time, with its container still running, and the first one
// not ready; both go without a trace.
func TestPauseAcrossRestart(t *testing.T) {
	reg := startRegistry(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDaemon(t, mirrorArgs(reg)...)
			d.pull(t, "busybox")
			before := resources(t, d)
			keepCfg, loseCfg := podConfig(t, "keep"), podConfig(t, "lose")
			keep, lose := d.runPod(t, keepCfg), d.runPod(t, loseCfg)
			ctr := d.runContainer(t, keep, keepCfg, "c", "exec sleep 1000")
			losePID := d.pausePID(t, lose)

			d.signal(sig, 10*time.Second)
			syscall.Kill(losePID, syscall.SIGKILL)
			d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)

			if st := d.podState(t, keep); st != runtime.PodSandboxState_SANDBOX_READY {
				t.Errorf("running pod after the restart: %v, want ready", st)
			}
			if res, err := d.execSync(t, ctr, 10, "echo", "up"); err != nil || string(res.Stdout) != "up\n" {
				t.Errorf("ExecSync in the running pod after the restart = %v, %v", res, err)
			}
			if st := d.podState(t, lose); st != runtime.PodSandboxState_SANDBOX_NOTREADY {
				t.Errorf("pod whose pause died while skiffd was down: %v, want not ready", st)
			}
			d.removePod(t, keep)
			d.removePod(t, lose)
			if after := resources(t, d); after != before {
				t.Errorf("leaked: before %+v, after %+v", before, after)
			}
		})
	}
}
