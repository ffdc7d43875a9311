//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// shimsOf returns the pids of the daemon's shims, found by their command
// line, and of the processes "pgrep -x skiff-shim" finds.
func shimsOf(t *testing.T, d *daemon) (mine, pgrep []string) {
	t.Helper()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err == nil && strings.HasPrefix(string(b), "skiff-shim\x00run\x00") && strings.Contains(string(b), d.dir) {
			mine = append(mine, filepath.Base(filepath.Dir(p)))
		}
	}
	out, err := exec.Command("pgrep", "-x", "skiff-shim").Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil // no process matched
	}
	if err != nil {
		t.Fatalf("pgrep -x skiff-shim: %v", err)
	}
	return mine, strings.Fields(string(out))
}

// cgroupLines returns the lines of /proc/pid/cgroup.
func cgroupLines(t *testing.T, pid string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + pid + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestShimsInTheirOwnCgroup: every shim (the pause's too, if it has one) runs in
// the configured shim cgroup on every hierarchy, none in skiffd's, so that
// restarting skiffd or limiting it never touches them; the pause process
// is in its pod's cgroup; pgrep -x skiff-shim finds every shim.
func TestShimsInTheirOwnCgroup(t *testing.T) {
	shimCgroup := fmt.Sprintf("/skiff-e2e-shims-%d", os.Getpid())
	t.Cleanup(func() { // after the daemon and its shims are gone
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + shimCgroup)
		for _, d := range append(dirs, "/sys/fs/cgroup/unified"+shimCgroup, "/sys/fs/cgroup"+shimCgroup) {
			os.Remove(d)
		}
	})
	reg := startRegistry(t)
	d := startDaemon(t, append(mirrorArgs(reg), "--shim-cgroup", shimCgroup)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "cg")
	pod := d.runPod(t, podCfg)
	d.runContainer(t, pod, podCfg, "a", "exec sleep 1000")

	mine, pgrep := shimsOf(t, d)
	if len(mine) == 0 {
		t.Fatal("no shim of the daemon found by its command line")
	}
	daemonCgroups := cgroupLines(t, fmt.Sprint(d.cmd.Process.Pid))
	for _, pid := range mine {
		if !slices.Contains(pgrep, pid) {
			t.Errorf("pgrep -x skiff-shim does not find shim %s (found %v)", pid, pgrep)
		}
		for _, l := range cgroupLines(t, pid) {
			if !strings.HasSuffix(l, ":"+shimCgroup) {
				t.Errorf("shim %s: %q is not in %s", pid, l, shimCgroup)
			}
			if slices.Contains(daemonCgroups, l) {
				t.Errorf("shim %s shares skiffd's cgroup %q", pid, l)
			}
		}
	}
	st, err := d.runtime.PodSandboxStatus(ctxT(t), &runtime.PodSandboxStatusRequest{PodSandboxId: pod, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var info struct{ Pid int }
	json.Unmarshal([]byte(st.Info["info"]), &info)
	podCgroup := cgroupParent + "/skiff-" + pod
	for _, l := range cgroupLines(t, fmt.Sprint(info.Pid)) {
		if !strings.HasSuffix(l, ":"+podCgroup) && !strings.Contains(l, "name=") {
			t.Errorf("pause %d: %q is not in %s", info.Pid, l, podCgroup)
		}
	}
	d.removePod(t, pod)
	if mine, _ := shimsOf(t, d); len(mine) != 0 {
		t.Errorf("shims left after removal: %v", mine)
	}
}

// TestTargetPIDNamespace: an ephemeral container in pid namespace mode
// TARGET (kubectl debug --target) sees the target container's processes;
// one in its own pid namespace does not.
func TestTargetPIDNamespace(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	podCfg := podConfig(t, "target")
	podCfg.Linux.SecurityContext = &runtime.LinuxSandboxSecurityContext{
		NamespaceOptions: &runtime.NamespaceOption{Pid: runtime.NamespaceMode_CONTAINER},
	}
	pod := d.runPod(t, podCfg)
	defer d.removePod(t, pod)
	target := d.runContainer(t, pod, podCfg, "app", "exec sleep 4242")
	debug := func(name string, ns *runtime.NamespaceOption) string {
		resp, err := d.runtime.CreateContainer(ctxT(t), &runtime.CreateContainerRequest{
			PodSandboxId: pod, SandboxConfig: podCfg,
			Config: &runtime.ContainerConfig{
				Metadata: &runtime.ContainerMetadata{Name: name},
				Image:    &runtime.ImageSpec{Image: "busybox"},
				Command:  []string{"sleep", "1000"},
				Linux:    &runtime.LinuxContainerConfig{SecurityContext: &runtime.LinuxContainerSecurityContext{NamespaceOptions: ns}},
			},
		})
		if err != nil {
			t.Fatalf("CreateContainer %s: %v", name, err)
		}
		if _, err := d.runtime.StartContainer(ctxT(t), &runtime.StartContainerRequest{ContainerId: resp.ContainerId}); err != nil {
			t.Fatalf("StartContainer %s: %v", name, err)
		}
		return resp.ContainerId
	}
	for _, tt := range []struct {
		name string
		ns   *runtime.NamespaceOption
		sees bool
	}{
		{"debugger", &runtime.NamespaceOption{Pid: runtime.NamespaceMode_TARGET, TargetId: target}, true},
		{"stranger", &runtime.NamespaceOption{Pid: runtime.NamespaceMode_CONTAINER}, false},
	} {
		id := debug(tt.name, tt.ns)
		res, err := d.execSync(t, id, 10, "ps", "-o", "args")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(res.Stdout), "sleep 4242"); got != tt.sees {
			t.Errorf("%s sees the target's process: %v, want %v; ps:\n%s", tt.name, got, tt.sees, res.Stdout)
		}
	}
}
