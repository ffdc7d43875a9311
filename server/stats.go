package server

import (
	"context"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// Stats reads the resource usage of containers and pods (stats.Collector).
type Stats interface {
	Containers(ctx context.Context, refs []stats.ContainerRef) []stats.Container
	Pods(ctx context.Context, pods []stats.PodRef, containers [][]stats.ContainerRef) []stats.Pod
}

// hasCgroup reports whether c has processes whose usage can be read.
func hasCgroup(c store.Container) bool {
	return c.State == store.ContainerRunning || c.State == store.ContainerCreated
}

func containerRef(c store.Container) stats.ContainerRef {
	ref := stats.ContainerRef{ID: c.ID}
	if hasCgroup(c) {
		ref.CgroupsPath = c.TaskCgroup
	}
	return ref
}

func podRef(sb store.Sandbox) stats.PodRef {
	return stats.PodRef{ID: sb.ID, CgroupParent: sb.CgroupParent, PauseCgroupsPath: sb.TaskCgroup, NetNS: sb.NetNS}
}

func containerAttributes(c store.Container) *runtime.ContainerAttributes {
	cfg := c.Config.Msg
	return &runtime.ContainerAttributes{Id: c.ID, Metadata: cfg.GetMetadata(), Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations()}
}

// toCRIContainerStats is c's usage in CRI form: attributes always, CPU,
// memory and swap while it runs, its writable layer when measured.
func toCRIContainerStats(c store.Container, st stats.Container) *runtime.ContainerStats {
	out := &runtime.ContainerStats{Attributes: containerAttributes(c)}
	if s := st.Sample; s != nil {
		out.Cpu = cpuUsage(s, st.NanoCores)
		out.Memory = memoryUsage(s)
		out.Swap = &runtime.SwapUsage{Timestamp: s.Time.UnixNano(), SwapUsageBytes: u64(s.Memory.Swap)}
	}
	if l := st.Layer; l != nil {
		out.WritableLayer = &runtime.FilesystemUsage{
			Timestamp: l.Time.UnixNano(), FsId: &runtime.FilesystemIdentifier{Mountpoint: l.Dir},
			UsedBytes: u64(l.Bytes), InodesUsed: u64(l.Inodes),
		}
	}
	return out
}

func cpuUsage(s *stats.Sample, nanoCores *uint64) *runtime.CpuUsage {
	cpu := &runtime.CpuUsage{Timestamp: s.Time.UnixNano(), UsageCoreNanoSeconds: u64(s.CPU.UsageNanos)}
	if nanoCores != nil {
		cpu.UsageNanoCores = u64(*nanoCores)
	}
	return cpu
}

func memoryUsage(s *stats.Sample) *runtime.MemoryUsage {
	m := s.Memory
	out := &runtime.MemoryUsage{
		Timestamp: s.Time.UnixNano(), WorkingSetBytes: u64(m.WorkingSet), UsageBytes: u64(m.Usage),
		RssBytes: u64(m.RSS), PageFaults: u64(m.PageFaults), MajorPageFaults: u64(m.MajorPageFaults),
	}
	if avail, ok := m.Available(); ok {
		out.AvailableBytes = u64(avail)
	}
	return out
}

// toCRIPodStats is a pod's usage in CRI form, with its containers'.
func toCRIPodStats(sb store.Sandbox, containers []store.Container, st stats.Pod) *runtime.PodSandboxStats {
	cfg := sb.Config.Msg
	linux := &runtime.LinuxPodSandboxStats{Containers: make([]*runtime.ContainerStats, len(containers))}
	for i, c := range containers {
		linux.Containers[i] = toCRIContainerStats(c, st.Containers[i])
	}
	if s := st.Sample; s != nil {
		linux.Cpu = cpuUsage(s, st.NanoCores)
		linux.Memory = memoryUsage(s)
		linux.Process = &runtime.ProcessUsage{Timestamp: s.Time.UnixNano(), ProcessCount: u64(s.Pids.Current)}
	}
	if n := st.Network; n != nil {
		linux.Network = networkUsage(n)
	}
	return &runtime.PodSandboxStats{
		Attributes: &runtime.PodSandboxAttributes{Id: sb.ID, Metadata: cfg.GetMetadata(), Labels: cfg.GetLabels(), Annotations: cfg.GetAnnotations()},
		Linux:      linux,
	}
}

// networkUsage puts the pod's default interface apart, as kubelet reads it.
func networkUsage(n *stats.Network) *runtime.NetworkUsage {
	out := &runtime.NetworkUsage{Timestamp: n.Time.UnixNano()}
	for _, i := range n.Interfaces {
		iu := &runtime.NetworkInterfaceUsage{
			Name: i.Name, RxBytes: u64(i.RxBytes), RxErrors: u64(i.RxErrors), TxBytes: u64(i.TxBytes), TxErrors: u64(i.TxErrors),
		}
		if i.Name == stats.DefaultInterface {
			out.DefaultInterface = iu
		} else {
			out.Interfaces = append(out.Interfaces, iu)
		}
	}
	return out
}

func u64(v uint64) *runtime.UInt64Value { return &runtime.UInt64Value{Value: v} }
