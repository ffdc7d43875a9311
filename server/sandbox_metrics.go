package server

import (
	"context"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// ListMetricDescriptors lists the metrics ListPodSandboxMetrics reports;
// the list is fixed.
func (s *Server) ListMetricDescriptors(context.Context, *runtime.ListMetricDescriptorsRequest) (*runtime.ListMetricDescriptorsResponse, error) {
	return &runtime.ListMetricDescriptorsResponse{Descriptors: descriptors}, nil
}

// ListPodSandboxMetrics reports the cAdvisor-named metrics of every ready
// pod and its created and running containers.
func (s *Server) ListPodSandboxMetrics(ctx context.Context, _ *runtime.ListPodSandboxMetricsRequest) (*runtime.ListPodSandboxMetricsResponse, error) {
	return &runtime.ListPodSandboxMetricsResponse{PodMetrics: s.podMetrics(ctx)}, nil
}

// StreamPodSandboxMetrics reports as ListPodSandboxMetrics does, in
// batches.
func (s *Server) StreamPodSandboxMetrics(_ *runtime.StreamPodSandboxMetricsRequest, stream runtime.RuntimeService_StreamPodSandboxMetricsServer) error {
	return sendBatches(s.podMetrics(stream.Context()), func(b []*runtime.PodSandboxMetrics) error {
		return stream.Send(&runtime.StreamPodSandboxMetricsResponse{PodSandboxMetrics: b})
	})
}

func (s *Server) podMetrics(ctx context.Context) []*runtime.PodSandboxMetrics {
	pods := s.sandboxes.List(ctx, func(sb store.Sandbox) bool { return sb.State == store.SandboxReady })
	byPod, st := s.readPods(ctx, pods)
	now := time.Now()
	out := make([]*runtime.PodSandboxMetrics, len(pods))
	for i, sb := range pods {
		pm := &runtime.PodSandboxMetrics{PodSandboxId: sb.ID, Metrics: podNetworkMetrics(sb, st[i].Network)}
		for j, c := range byPod[sb.ID] {
			pm.ContainerMetrics = append(pm.ContainerMetrics, &runtime.ContainerMetrics{
				ContainerId: c.ID, Metrics: containerMetrics(sb, c, st[i].Containers[j], now),
			})
		}
		out[i] = pm
	}
	return out
}

// metricSet collects metrics that share their base label values.
type metricSet struct {
	base []string
	out  []*runtime.Metric
}

func (m *metricSet) add(d *runtime.MetricDescriptor, typ runtime.MetricType, v uint64, extra ...string) {
	m.out = append(m.out, &runtime.Metric{
		Name: d.Name, MetricType: typ, Value: u64(v),
		LabelValues: append(append([]string{}, m.base...), extra...),
	})
}

func (m *metricSet) counter(d *runtime.MetricDescriptor, v uint64, extra ...string) {
	m.add(d, runtime.MetricType_COUNTER, v, extra...)
}

func (m *metricSet) gauge(d *runtime.MetricDescriptor, v uint64, extra ...string) {
	m.add(d, runtime.MetricType_GAUGE, v, extra...)
}

// labelValues are the base labels' values: container, id (the cgroup, as
// cAdvisor names containers), image, name, namespace, pod.
func labelValues(sb store.Sandbox, container, cgroupsPath, image, name string) []string {
	id, _ := stats.CgroupPath(cgroupsPath)
	md := sb.Config.Msg.GetMetadata()
	return []string{container, id, image, name, md.GetNamespace(), md.GetName()}
}

func containerMetrics(sb store.Sandbox, c store.Container, st stats.Container, now time.Time) []*runtime.Metric {
	m := &metricSet{base: labelValues(sb, c.Config.Msg.GetMetadata().GetName(), c.TaskCgroup, c.ImageName, c.Name)}
	m.gauge(mLastSeen, uint64(now.Unix()))
	if !c.StartedAt.IsZero() {
		m.gauge(mStartTime, uint64(c.StartedAt.Unix()))
	}
	specMetrics(m, c.Config.Msg.GetLinux().GetResources())
	if s := st.Sample; s != nil {
		cpuMetrics(m, s.CPU)
		memoryMetrics(m, s.Memory)
		m.gauge(mThreads, s.Pids.Current)
		m.gauge(mThreadsMax, s.Pids.Limit)
	}
	if l := st.Layer; l != nil {
		m.gauge(mFsUsage, l.Bytes)
	}
	return m.out
}

func specMetrics(m *metricSet, r *runtime.LinuxContainerResources) {
	m.gauge(mSpecMemLimit, uint64(max(r.GetMemoryLimitInBytes(), 0)))
	m.gauge(mSpecCPUShares, uint64(max(r.GetCpuShares(), 0)))
	m.gauge(mSpecCPUQuota, uint64(max(r.GetCpuQuota(), 0)))
	m.gauge(mSpecCPUPeriod, uint64(max(r.GetCpuPeriod(), 0)))
}

func cpuMetrics(m *metricSet, c stats.CPU) {
	m.counter(mCPUUsage, seconds(c.UsageNanos), "total")
	m.counter(mCPUUser, seconds(c.UserNanos))
	m.counter(mCPUSystem, seconds(c.SystemNanos))
	m.counter(mCFSPeriods, c.Periods)
	m.counter(mCFSThrottled, c.ThrottledPeriods)
	m.counter(mCFSThrottledTime, seconds(c.ThrottledNanos))
}

func memoryMetrics(m *metricSet, mem stats.Memory) {
	m.gauge(mMemUsage, mem.Usage)
	m.gauge(mMemMaxUsage, mem.MaxUsage)
	m.gauge(mMemWorkingSet, mem.WorkingSet)
	m.gauge(mMemRSS, mem.RSS)
	m.gauge(mMemCache, mem.Cache)
	m.gauge(mMemMappedFile, mem.MappedFile)
	m.gauge(mMemSwap, mem.Swap)
	m.counter(mMemFailcnt, mem.Failcnt)
	m.counter(mMemFailures, mem.PageFaults, "pgfault", "container")
	m.counter(mMemFailures, mem.MajorPageFaults, "pgmajfault", "container")
	m.counter(mOOMEvents, mem.OOMKills)
}

// podNetworkMetrics are the counters of the pod's interfaces, reported
// for its pause container ("POD") as cAdvisor does.
func podNetworkMetrics(sb store.Sandbox, n *stats.Network) []*runtime.Metric {
	if n == nil {
		return nil
	}
	m := &metricSet{base: labelValues(sb, "POD", sb.TaskCgroup, "", sb.Name)}
	for _, i := range n.Interfaces {
		m.counter(mNetRxBytes, i.RxBytes, i.Name)
		m.counter(mNetRxPackets, i.RxPackets, i.Name)
		m.counter(mNetRxDropped, i.RxDropped, i.Name)
		m.counter(mNetRxErrors, i.RxErrors, i.Name)
		m.counter(mNetTxBytes, i.TxBytes, i.Name)
		m.counter(mNetTxPackets, i.TxPackets, i.Name)
		m.counter(mNetTxDropped, i.TxDropped, i.Name)
		m.counter(mNetTxErrors, i.TxErrors, i.Name)
	}
	return m.out
}

// seconds turns nanoseconds into whole seconds: the CRI's metric values
// are integers.
func seconds(ns uint64) uint64 { return ns / uint64(time.Second) }
