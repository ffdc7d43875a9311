package server

import runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

// The metrics of ListPodSandboxMetrics carry cAdvisor's names and labels,
// which kubelet serves on /metrics/cadvisor unchanged when it takes pod
// and container stats from the CRI (PodAndContainerStatsFromCRI). Label
// keys come sorted, the base ones first; a pod's own metrics (its
// network) have container "POD", as cAdvisor reports the pause
// container's.
var baseLabels = []string{"container", "id", "image", "name", "namespace", "pod"}

func descriptor(name, help string, extra ...string) *runtime.MetricDescriptor {
	return &runtime.MetricDescriptor{Name: name, Help: help, LabelKeys: append(append([]string{}, baseLabels...), extra...)}
}

var (
	mCPUUsage         = descriptor("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", "cpu")
	mCPUUser          = descriptor("container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.")
	mCPUSystem        = descriptor("container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.")
	mCFSPeriods       = descriptor("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.")
	mCFSThrottled     = descriptor("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.")
	mCFSThrottledTime = descriptor("container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.")
	mMemUsage         = descriptor("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed")
	mMemMaxUsage      = descriptor("container_memory_max_usage_bytes", "Maximum memory usage recorded in bytes")
	mMemWorkingSet    = descriptor("container_memory_working_set_bytes", "Current working set in bytes.")
	mMemRSS           = descriptor("container_memory_rss", "Size of RSS in bytes.")
	mMemCache         = descriptor("container_memory_cache", "Number of bytes of page cache memory.")
	mMemMappedFile    = descriptor("container_memory_mapped_file", "Size of memory mapped files in bytes.")
	mMemSwap          = descriptor("container_memory_swap", "Container swap usage in bytes.")
	mMemFailcnt       = descriptor("container_memory_failcnt", "Number of memory usage hits limits")
	mMemFailures      = descriptor("container_memory_failures_total", "Cumulative count of memory allocation failures.", "failure_type", "scope")
	mOOMEvents        = descriptor("container_oom_events_total", "Count of out of memory events observed for the container")
	mThreads          = descriptor("container_threads", "Number of threads running inside the container")
	mThreadsMax       = descriptor("container_threads_max", "Maximum number of threads allowed inside the container, infinity if value is zero")
	mFsUsage          = descriptor("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.")
	mSpecMemLimit     = descriptor("container_spec_memory_limit_bytes", "Memory limit for the container.")
	mSpecCPUShares    = descriptor("container_spec_cpu_shares", "CPU share of the container.")
	mSpecCPUQuota     = descriptor("container_spec_cpu_quota", "CPU quota of the container.")
	mSpecCPUPeriod    = descriptor("container_spec_cpu_period", "CPU period of the container.")
	mStartTime        = descriptor("container_start_time_seconds", "Start time of the container since unix epoch in seconds.")
	mLastSeen         = descriptor("container_last_seen", "Last time a container was seen by the exporter")
	mNetRxBytes       = descriptor("container_network_receive_bytes_total", "Cumulative count of bytes received", "interface")
	mNetRxPackets     = descriptor("container_network_receive_packets_total", "Cumulative count of packets received", "interface")
	mNetRxDropped     = descriptor("container_network_receive_packets_dropped_total", "Cumulative count of packets dropped while receiving", "interface")
	mNetRxErrors      = descriptor("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving", "interface")
	mNetTxBytes       = descriptor("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", "interface")
	mNetTxPackets     = descriptor("container_network_transmit_packets_total", "Cumulative count of packets transmitted", "interface")
	mNetTxDropped     = descriptor("container_network_transmit_packets_dropped_total", "Cumulative count of packets dropped while transmitting", "interface")
	mNetTxErrors      = descriptor("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting", "interface")
)

// descriptors are all the metrics ListPodSandboxMetrics reports.
var descriptors = []*runtime.MetricDescriptor{
	mCPUUsage, mCPUUser, mCPUSystem, mCFSPeriods, mCFSThrottled, mCFSThrottledTime,
	mMemUsage, mMemMaxUsage, mMemWorkingSet, mMemRSS, mMemCache, mMemMappedFile, mMemSwap, mMemFailcnt, mMemFailures,
	mOOMEvents, mThreads, mThreadsMax, mFsUsage,
	mSpecMemLimit, mSpecCPUShares, mSpecCPUQuota, mSpecCPUPeriod, mStartTime, mLastSeen,
	mNetRxBytes, mNetRxPackets, mNetRxDropped, mNetRxErrors, mNetTxBytes, mNetTxPackets, mNetTxDropped, mNetTxErrors,
}
