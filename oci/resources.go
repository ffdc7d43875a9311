package oci

import (
	"maps"
	"regexp"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// sandboxCPUShares is the pause container's cpu shares, as containerd's.
const sandboxCPUShares = 2

// pageSizeRe is a hugepage size as the hugetlb controller names it.
var pageSizeRe = regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`)

const resField = "linux.resources."

// ContainerResources converts a container's CRI resources, for its spec
// and for UpdateContainerResources; zero values are unset.
// The CRI has no per-container pids limit: kubelet limits pids per pod.
func ContainerResources(r *runtime.LinuxContainerResources, f HostFeatures) (*specs.LinuxResources, error) {
	if err := checkResources(r, f); err != nil {
		return nil, err
	}
	out := &specs.LinuxResources{}
	if cpu := cpuResources(r); cpu != nil {
		out.CPU = cpu
	}
	out.Memory = memoryResources(r, f)
	if f.Hugetlb {
		for _, h := range r.GetHugepageLimits() {
			out.HugepageLimits = append(out.HugepageLimits, specs.LinuxHugepageLimit{Pagesize: h.GetPageSize(), Limit: h.GetLimit()})
		}
	}
	if len(r.GetUnified()) > 0 {
		out.Unified = maps.Clone(r.GetUnified())
	}
	return out, nil
}

// Bounds the kernel puts on resource values (zero is unset throughout).
const (
	// minMemoryLimit is the least memory limit a container starts with:
	// below it, its setup alone outgrows the limit (cri-o's bound).
	minMemoryLimit = 12 << 20
	// CFS bandwidth: a period of 1 ms to 1 s, a quota of at least 1 ms.
	minCPUPeriod, maxCPUPeriod, minCPUQuota = 1000, 1000000, 1000
	// cpu.shares as cgroup v1 takes them; v2's weights are mapped from
	// this range.
	minCPUShares, maxCPUShares = 2, 262144
)

// checkResources rejects values the kernel would, naming the field and
// the value.
func checkResources(r *runtime.LinuxContainerResources, f HostFeatures) error {
	shares, period, quota := r.GetCpuShares(), r.GetCpuPeriod(), r.GetCpuQuota()
	mem, swap := r.GetMemoryLimitInBytes(), r.GetMemorySwapLimitInBytes()
	switch {
	case shares != 0 && (shares < minCPUShares || shares > maxCPUShares):
		return invalid(containerScope, resField+"cpu_shares", "%d is outside [%d, %d]", shares, minCPUShares, maxCPUShares)
	case period != 0 && (period < minCPUPeriod || period > maxCPUPeriod):
		return invalid(containerScope, resField+"cpu_period", "%d µs is outside [%d, %d]", period, minCPUPeriod, maxCPUPeriod)
	case quota < -1 || quota > 0 && quota < minCPUQuota:
		return invalid(containerScope, resField+"cpu_quota", "%d µs: -1 (unlimited) or at least %d", quota, minCPUQuota)
	case mem < 0 || mem > 0 && mem < minMemoryLimit:
		return invalid(containerScope, resField+"memory_limit_in_bytes", "%d is below the minimum of %d (12 MiB)", mem, minMemoryLimit)
	case swap < -1:
		return invalid(containerScope, resField+"memory_swap_limit_in_bytes", "%d is below -1 (unlimited)", swap)
	case swap > 0 && mem > 0 && swap < mem:
		return invalid(containerScope, resField+"memory_swap_limit_in_bytes", "%d is below the memory limit %d (it counts memory and swap)", swap, mem)
	case len(r.GetUnified()) > 0 && !f.CgroupV2:
		return invalid(containerScope, resField+"unified", "cgroup v2 settings on a cgroup v1 host")
	}
	if err := checkCPUList("cpuset_cpus", r.GetCpusetCpus(), f.OnlineCPUs, "CPU"); err != nil {
		return err
	}
	if err := checkCPUList("cpuset_mems", r.GetCpusetMems(), f.OnlineMems, "memory node"); err != nil {
		return err
	}
	for _, h := range r.GetHugepageLimits() {
		if !pageSizeRe.MatchString(h.GetPageSize()) {
			return invalid(containerScope, resField+"hugepage_limits", "page size %q is not like 2MB or 1GB", h.GetPageSize())
		}
	}
	for k := range r.GetUnified() {
		if k == "" {
			return invalid(containerScope, resField+"unified", "empty key")
		}
	}
	return nil
}

func cpuResources(r *runtime.LinuxContainerResources) *specs.LinuxCPU {
	cpu := &specs.LinuxCPU{Cpus: r.GetCpusetCpus(), Mems: r.GetCpusetMems()}
	if v := uint64(r.GetCpuShares()); v != 0 {
		cpu.Shares = &v
	}
	if v := r.GetCpuQuota(); v != 0 {
		cpu.Quota = &v
	}
	if v := uint64(r.GetCpuPeriod()); v != 0 {
		cpu.Period = &v
	}
	if *cpu == (specs.LinuxCPU{}) {
		return nil
	}
	return cpu
}

// memoryResources sets the limit, and swap when the host accounts it: the
// CRI's swap limit (memory+swap), else the memory limit itself, so that a
// container with a memory limit does not swap (containerd).
func memoryResources(r *runtime.LinuxContainerResources, f HostFeatures) *specs.LinuxMemory {
	limit, swap := r.GetMemoryLimitInBytes(), r.GetMemorySwapLimitInBytes()
	if limit == 0 && (swap == 0 || !f.SwapAccounting) {
		return nil
	}
	m := &specs.LinuxMemory{}
	if limit != 0 {
		m.Limit = &limit
		if swap == 0 {
			swap = limit
		}
	}
	if swap != 0 && f.SwapAccounting {
		m.Swap = &swap
	}
	return m
}

// oomScoreAdj checks a requested oom_score_adj and clamps it to min, the
// host's own: the kernel refuses to lower it without CAP_SYS_RESOURCE.
func oomScoreAdj(v int64, min int, scope, field string) (*int, error) {
	if v < -1000 || v > 1000 {
		return nil, invalid(scope, field, "%d is outside [-1000, 1000]", v)
	}
	adj := max(int(v), min)
	return &adj, nil
}
