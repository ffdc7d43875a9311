package server

import (
	"slices"
	"sort"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// TestMetricsMatchDescriptors checks every metric against its
// descriptor: kubelet drops a metric whose name it was not told of, and
// label values must line up with the keys.
func TestMetricsMatchDescriptors(t *testing.T) {
	sb := store.Sandbox{ID: "p1", Name: "k8s_web_ns_u_0", TaskCgroup: "/kubepods/pod1/skiff-p1", Config: store.Proto[*runtime.PodSandboxConfig]{
		Msg: &runtime.PodSandboxConfig{Metadata: &runtime.PodSandboxMetadata{Name: "web", Namespace: "ns"}},
	}}
	c := store.Container{ID: "c1", Name: "k8s_app_web_ns_u_0", ImageName: "busybox", TaskCgroup: "/kubepods/pod1/skiff-c1",
		StartedAt: time.Unix(100, 0), Config: store.Proto[*runtime.ContainerConfig]{Msg: &runtime.ContainerConfig{
			Metadata: &runtime.ContainerMetadata{Name: "app"},
			Linux:    &runtime.LinuxContainerConfig{Resources: &runtime.LinuxContainerResources{MemoryLimitInBytes: 1 << 30, CpuShares: 512}},
		}}}
	s := &stats.Sample{CPU: stats.CPU{UsageNanos: 3e9}, Memory: stats.Memory{WorkingSet: 42}}
	got := containerMetrics(sb, c, stats.Container{ID: "c1", Sample: s, Layer: &stats.Layer{Bytes: 7}}, time.Unix(200, 0))
	got = append(got, podNetworkMetrics(sb, &stats.Network{Interfaces: []stats.Interface{{Name: "eth0", RxBytes: 5}}})...)

	byName := map[string]*runtime.MetricDescriptor{}
	for _, d := range descriptors {
		if byName[d.Name] != nil {
			t.Errorf("descriptor %s listed twice", d.Name)
		}
		byName[d.Name] = d
		if !sort.StringsAreSorted(d.LabelKeys[:len(baseLabels)]) {
			t.Errorf("%s: base label keys not sorted: %v", d.Name, d.LabelKeys)
		}
	}
	seen := map[string]bool{}
	for _, m := range got {
		d := byName[m.Name]
		if d == nil {
			t.Errorf("metric %s has no descriptor", m.Name)
			continue
		}
		if len(m.LabelValues) != len(d.LabelKeys) {
			t.Errorf("%s: %d label values for keys %v", m.Name, len(m.LabelValues), d.LabelKeys)
		}
		seen[m.Name] = true
	}
	for _, want := range []string{"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_network_receive_bytes_total", "container_spec_memory_limit_bytes", "container_fs_usage_bytes"} {
		if !seen[want] {
			t.Errorf("no %s among the metrics", want)
		}
	}
	values := func(name string) []string {
		i := slices.IndexFunc(got, func(m *runtime.Metric) bool { return m.Name == name })
		return got[i].LabelValues
	}
	if v := values("container_cpu_usage_seconds_total"); !slices.Equal(v, []string{"app", "/kubepods/pod1/skiff-c1", "busybox", "k8s_app_web_ns_u_0", "ns", "web", "total"}) {
		t.Errorf("cpu usage labels %v", v)
	}
	if v := values("container_network_receive_bytes_total"); v[0] != "POD" || v[len(v)-1] != "eth0" {
		t.Errorf("network labels %v", v)
	}
}
