package podspec

import (
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CPU weight and CFS quota, as kubelet converts millicores.
const (
	minShares     = 2
	maxShares     = 262144
	sharesPerCPU  = 1024
	milliPerCPU   = 1000
	quotaPeriod   = 100000 // µs
	minQuota      = 1000   // µs
	guaranteedOOM = -997
	bestEffortOOM = 1000
)

// milliCPUToShares: 1 CPU is 1024 shares, at least 2.
func milliCPUToShares(milli int64) int64 {
	if milli == 0 {
		return minShares
	}
	return min(max(milli*sharesPerCPU/milliPerCPU, minShares), maxShares)
}

// milliCPUToQuota: the CFS quota of a limit per period, at least 1 ms;
// 0 (none) without a limit.
func milliCPUToQuota(milli, period int64) int64 {
	if milli == 0 {
		return 0
	}
	return max(milli*period/milliPerCPU, minQuota)
}

// Resources are the container's CRI Linux resources from its requests
// and limits: cpu shares from the request (the limit when there is no
// request), a CFS quota over a 100 ms period from the CPU limit, the
// memory limit, and the OOM score adjustment of its QoS class
// (memoryCapacity is the node's, in bytes).
func Resources(pod *corev1.Pod, c *corev1.Container, qos corev1.PodQOSClass, memoryCapacity int64) *runtimeapi.LinuxContainerResources {
	req, lim := c.Resources.Requests, c.Resources.Limits
	r := &runtimeapi.LinuxContainerResources{}
	cpuReq, cpuLim := req.Cpu().MilliValue(), lim.Cpu().MilliValue()
	if cpuReq == 0 && cpuLim != 0 {
		r.CpuShares = milliCPUToShares(cpuLim)
	} else {
		r.CpuShares = milliCPUToShares(cpuReq)
	}
	if cpuLim != 0 {
		r.CpuPeriod, r.CpuQuota = quotaPeriod, milliCPUToQuota(cpuLim, quotaPeriod)
	}
	if m, ok := lim[corev1.ResourceMemory]; ok {
		r.MemoryLimitInBytes = m.Value()
	}
	r.OomScoreAdj = oomScoreAdj(c, qos, memoryCapacity)
	return r
}

// oomScoreAdj: Guaranteed -997, BestEffort 1000; a Burstable container
// 1000 less its share of the node's memory it requested, kept in
// [2, 999], as kubelet's heuristic.
func oomScoreAdj(c *corev1.Container, qos corev1.PodQOSClass, memoryCapacity int64) int64 {
	switch qos {
	case corev1.PodQOSGuaranteed:
		return guaranteedOOM
	case corev1.PodQOSBestEffort:
		return bestEffortOOM
	}
	if memoryCapacity <= 0 {
		return 999
	}
	adj := 1000 - 1000*c.Resources.Requests.Memory().Value()/memoryCapacity
	return min(max(adj, 2), 999)
}
