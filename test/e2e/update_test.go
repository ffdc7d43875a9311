//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// cgroupValue reads a v1 cgroup file of container id (cgroupfs manager,
// the pod's parent).
func cgroupValue(t *testing.T, cfg *runtime.PodSandboxConfig, controller, id, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, cfg.Linux.CgroupParent, "skiff-"+id, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (d *daemon) update(t *testing.T, id string, r *runtime.LinuxContainerResources) error {
	t.Helper()
	_, err := d.runtime.UpdateContainerResources(ctxT(t), &runtime.UpdateContainerResourcesRequest{ContainerId: id, Linux: r})
	return err
}

// TestUpdateResourcesLive changes a running container's limits: the
// cgroup changes, ContainerStatus reports the new values, also after a
// restart, and values the kernel refuses are InvalidArgument naming the
// value.
func TestUpdateResourcesLive(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfg := ownCgroupPod(t, "update")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	ctr := d.runContainer(t, pod, cfg, "c", "exec sleep 1000")
	if err := d.update(t, ctr, &runtime.LinuxContainerResources{
		CpuShares: 512, CpuQuota: 50000, CpuPeriod: 100000, MemoryLimitInBytes: 128 * mib, CpusetCpus: "0",
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ controller, file, want string }{
		{"cpu", "cpu.shares", "512"}, {"cpu", "cpu.cfs_quota_us", "50000"},
		{"memory", "memory.limit_in_bytes", "134217728"}, {"cpuset", "cpuset.cpus", "0"},
	} {
		if got := cgroupValue(t, cfg, c.controller, ctr, c.file); got != c.want {
			t.Errorf("%s = %s, want %s", c.file, got, c.want)
		}
	}
	d.signal(syscall.SIGKILL, 5*time.Second)
	d = startDaemonIn(t, d.dir, daemonArgs, mirrorArgs(reg)...)
	r := d.containerStatus(t, ctr).GetResources().GetLinux()
	if r.GetCpuShares() != 512 || r.GetCpuQuota() != 50000 || r.GetMemoryLimitInBytes() != 128*mib || r.GetCpusetCpus() != "0" {
		t.Errorf("ContainerStatus.resources after a restart: %v", r)
	}
	// The kernel refuses a CPU that does not exist; nothing changes.
	err := d.update(t, ctr, &runtime.LinuxContainerResources{CpusetCpus: "63"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), `"63"`) {
		t.Errorf("update to a missing CPU = %v, want InvalidArgument naming \"63\"", err)
	}
	if got := d.containerStatus(t, ctr).GetResources().GetLinux().GetCpusetCpus(); got != "0" {
		t.Errorf("a refused update was recorded: cpuset %q", got)
	}
	if err := d.update(t, ctr, &runtime.LinuxContainerResources{CpuShares: -5}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("negative shares = %v", err)
	}
}

// TestMemoryLimitUpdateLeadsToOOMKill lowers a running container's memory
// limit below what it then allocates: the kernel kills it, and its exit
// is reported as OOMKilled. Lowering the limit below what the container
// already holds is refused on cgroup v1, whose kernel cannot reclaim
// anonymous memory without swap (cgroup v2 OOM-kills instead).
func TestMemoryLimitUpdateLeadsToOOMKill(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfg := ownCgroupPod(t, "oom")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	// 40 MiB at once; 100 MiB more once /tmp/go exists. The shell holds
	// the substitution's output and the variable's copy of it while it
	// assigns (about 80 MiB), so /tmp/held says when it is down to the
	// 40 MiB it keeps.
	ctr := d.runContainer(t, pod, cfg, "grow", `a=$(head -c 41943040 /dev/zero | tr '\0' a)
touch /tmp/held
while [ ! -e /tmp/go ]; do sleep 0.1; done
b=$(head -c 104857600 /dev/zero | tr '\0' b)
sleep 1000`)
	waitFor(t, "40 MiB held", func() bool {
		r, err := d.execSync(t, ctr, 10, "test", "-e", "/tmp/held")
		return err == nil && r.GetExitCode() == 0 &&
			d.containerStats(t, ctr).GetMemory().GetWorkingSetBytes().GetValue() >= 40*mib
	})
	err := d.update(t, ctr, &runtime.LinuxContainerResources{MemoryLimitInBytes: 24 * mib})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "memory") {
		t.Errorf("a limit below the usage = %v, want FailedPrecondition (cgroup v1 cannot reclaim)", err)
	}
	if err := d.update(t, ctr, &runtime.LinuxContainerResources{MemoryLimitInBytes: 64 * mib}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.execSync(t, ctr, 10, "touch", "/tmp/go"); err != nil {
		t.Fatal(err)
	}
	st := d.waitExited(t, ctr)
	if st.Reason != "OOMKilled" || st.ExitCode != 137 {
		t.Errorf("exit %d, reason %q; want 137, OOMKilled", st.ExitCode, st.Reason)
	}
}
