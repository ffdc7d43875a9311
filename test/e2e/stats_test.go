//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ownCgroupPod is a pod with a cgroup parent of its own under the tests'
// one, as kubelet gives every pod; the test removes it at the end.
func ownCgroupPod(t *testing.T, name string) *runtime.PodSandboxConfig {
	cfg := podConfig(t, name)
	cfg.Linux.CgroupParent = cgroupParent + "/" + name
	t.Cleanup(func() {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*" + cfg.Linux.CgroupParent)
		for _, d := range append(dirs, "/sys/fs/cgroup/unified"+cfg.Linux.CgroupParent) {
			os.Remove(d)
		}
	})
	return cfg
}

func (d *daemon) containerStats(t *testing.T, id string) *runtime.ContainerStats {
	t.Helper()
	resp, err := d.runtime.ContainerStats(ctxT(t), &runtime.ContainerStatsRequest{ContainerId: id})
	if err != nil {
		t.Fatalf("ContainerStats: %v", err)
	}
	return resp.Stats
}

func (d *daemon) podStats(t *testing.T, id string) *runtime.PodSandboxStats {
	t.Helper()
	resp, err := d.runtime.PodSandboxStats(ctxT(t), &runtime.PodSandboxStatsRequest{PodSandboxId: id})
	if err != nil {
		t.Fatalf("PodSandboxStats: %v", err)
	}
	return resp.Stats
}

// waitFor polls cond every 200ms for up to 30s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

const mib = 1 << 20

func TestMemoryInWorkingSet(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfg := ownCgroupPod(t, "mem")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	// A shell variable of 100 MiB, held while the shell waits.
	ctr := d.runContainer(t, pod, cfg, "hog", "x=$(head -c 104857600 /dev/zero | tr '\\0' x); sleep 1000; echo ${#x}")
	var st *runtime.ContainerStats
	waitFor(t, "100 MiB in the working set", func() bool {
		st = d.containerStats(t, ctr)
		return st.GetMemory().GetWorkingSetBytes().GetValue() >= 100*mib
	})
	m := st.Memory
	if m.UsageBytes.GetValue() < m.WorkingSetBytes.GetValue() || m.RssBytes.GetValue() < 90*mib || m.PageFaults.GetValue() == 0 {
		t.Errorf("memory stats %v", m)
	}
	if m.WorkingSetBytes.GetValue() > 400*mib {
		t.Errorf("working set %d MiB for a 100 MiB variable", m.WorkingSetBytes.GetValue()/mib)
	}
	ps := d.podStats(t, pod)
	if ws := ps.GetLinux().GetMemory().GetWorkingSetBytes().GetValue(); ws < 100*mib {
		t.Errorf("pod working set %d MiB, want ≥ its container's", ws/mib)
	}
	// pause, sh and sleep: the shell forks sleep a moment after its
	// variable is full (and the single-threaded pause counts one task).
	waitFor(t, "a pod process count of 3", func() bool {
		return d.podStats(t, pod).GetLinux().GetProcess().GetProcessCount().GetValue() >= 3
	})
	if len(ps.GetLinux().GetContainers()) != 1 || ps.Linux.Containers[0].GetAttributes().GetId() != ctr {
		t.Errorf("pod stats containers %v", ps.GetLinux().GetContainers())
	}
}

func TestCPUBurnNearOneCore(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfg := ownCgroupPod(t, "cpu")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	ctr := d.runContainer(t, pod, cfg, "burn", "while :; do :; done")
	first := d.containerStats(t, ctr)
	if first.GetCpu().GetTimestamp() == 0 || first.GetCpu().GetUsageCoreNanoSeconds() == nil {
		t.Fatalf("cpu stats %v", first.GetCpu())
	}
	time.Sleep(3 * time.Second)
	second := d.containerStats(t, ctr)
	rate := second.GetCpu().GetUsageNanoCores().GetValue()
	used := second.Cpu.UsageCoreNanoSeconds.Value - first.Cpu.UsageCoreNanoSeconds.Value
	elapsed := second.Cpu.Timestamp - first.Cpu.Timestamp
	t.Logf("usage_nano_cores %d; %d ns of CPU in %d ns", rate, used, elapsed)
	// One core, with room for a busy 2-core machine.
	if rate < 0.6e9 || rate > 1.15e9 {
		t.Errorf("usage_nano_cores = %d, want about 1e9 (one core)", rate)
	}
	if pod := d.podStats(t, pod); pod.GetLinux().GetCpu().GetUsageCoreNanoSeconds().GetValue() < second.Cpu.UsageCoreNanoSeconds.Value {
		t.Errorf("pod CPU %v below its container's %v", pod.GetLinux().GetCpu(), second.Cpu)
	}
}

func TestPodNetworkCountersGrow(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	cfg := ownCgroupPod(t, "netstats")
	pod := d.runPod(t, cfg)
	defer d.removePod(t, pod)
	d.runContainer(t, pod, cfg, "web", "mkdir -p /tmp/www && head -c 2097152 /dev/zero > /tmp/www/big && exec httpd -f -p 8080 -h /tmp/www")
	before := d.podStats(t, pod).GetLinux().GetNetwork().GetDefaultInterface()
	if before.GetName() != "eth0" || before.GetRxBytes() == nil || before.GetTxBytes() == nil {
		t.Fatalf("default interface %v", before)
	}
	url := fmt.Sprintf("http://%s:8080/big", d.podIP(t, pod))
	var n int64
	waitFor(t, "a 2 MiB download from the pod", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		n, _ = io.Copy(io.Discard, resp.Body)
		return n == 2*mib
	})
	after := d.podStats(t, pod).GetLinux().GetNetwork().GetDefaultInterface()
	if tx := after.TxBytes.Value - before.TxBytes.Value; tx < 2*mib {
		t.Errorf("eth0 sent %d bytes for a %d-byte download", tx, n)
	}
	if after.RxBytes.Value <= before.RxBytes.Value {
		t.Errorf("eth0 received nothing: %d → %d", before.RxBytes.Value, after.RxBytes.Value)
	}
}

// TestListStatsOfManyContainers lists the stats of 200 running containers
// (20 pods of 10) and checks that it takes well under a second.
func TestListStatsOfManyContainers(t *testing.T) {
	reg := startRegistry(t)
	d := startDaemon(t, mirrorArgs(reg)...)
	d.pull(t, "busybox")
	const pods, perPod = 20, 10
	for p := range pods {
		cfg := podConfig(t, fmt.Sprintf("many-%d", p))
		pod := d.runPod(t, cfg)
		defer d.removePod(t, pod)
		for c := range perPod {
			d.runContainer(t, pod, cfg, fmt.Sprintf("c%d", c), "exec sleep 1000")
		}
	}
	var worst time.Duration
	for range 5 {
		start := time.Now()
		resp, err := d.runtime.ListContainerStats(ctxT(t), &runtime.ListContainerStatsRequest{})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Stats) != pods*perPod {
			t.Fatalf("%d stats, want %d", len(resp.Stats), pods*perPod)
		}
		for _, s := range resp.Stats {
			if s.GetMemory().GetWorkingSetBytes() == nil || s.GetWritableLayer().GetUsedBytes() == nil {
				t.Fatalf("incomplete stats %v", s)
			}
		}
		worst = max(worst, took)
	}
	t.Logf("ListContainerStats of %d containers: worst of 5 took %s", pods*perPod, worst)
	if worst > 500*time.Millisecond {
		t.Errorf("ListContainerStats of %d containers took %s", pods*perPod, worst)
	}
	start := time.Now()
	resp, err := d.runtime.ListPodSandboxStats(ctxT(t), &runtime.ListPodSandboxStatsRequest{})
	if err != nil || len(resp.Stats) != pods {
		t.Fatalf("ListPodSandboxStats: %d, %v", len(resp.GetStats()), err)
	}
	t.Logf("ListPodSandboxStats of %d pods: %s", pods, time.Since(start))
}
