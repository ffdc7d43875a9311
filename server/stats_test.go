package server

import (
	"context"
	"testing"
	"time"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/config"
	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/stats"
	"github.com/skiffrt/skiff/internal/store"
)

// fakeStats answers usage made from the refs: a sample for whatever has
// a cgroups path, a layer for every container.
type fakeStats struct{ podRefs []stats.PodRef }

var sampleTime = time.Unix(1000, 0)

func sample(cpu uint64) *stats.Sample {
	return &stats.Sample{
		Time: sampleTime, CPU: stats.CPU{UsageNanos: cpu},
		Memory: stats.Memory{Usage: 100, WorkingSet: 80, Limit: 200, Swap: 5}, Pids: stats.Pids{Current: 3},
	}
}

func (f *fakeStats) Containers(_ context.Context, refs []stats.ContainerRef) []stats.Container {
	out := make([]stats.Container, len(refs))
	for i, r := range refs {
		out[i] = stats.Container{ID: r.ID, Layer: &stats.Layer{Time: sampleTime, Bytes: 7, Dir: "/containers"}}
		if r.CgroupsPath != "" {
			rate := uint64(500)
			out[i].Sample, out[i].NanoCores = sample(42), &rate
		}
	}
	return out
}

func (f *fakeStats) Pods(ctx context.Context, pods []stats.PodRef, containers [][]stats.ContainerRef) []stats.Pod {
	f.podRefs = append(f.podRefs, pods...)
	out := make([]stats.Pod, len(pods))
	for i, p := range pods {
		out[i] = stats.Pod{ID: p.ID, Containers: f.Containers(ctx, containers[i])}
		if p.PauseCgroupsPath != "" {
			out[i].Sample = sample(99)
			out[i].Network = &stats.Network{Time: sampleTime, Interfaces: []stats.Interface{{Name: "eth0", RxBytes: 10}, {Name: "net1", TxBytes: 20}}}
		}
	}
	return out
}

func statsEnv() (*env, *fakeStats) {
	e := newEnv(config.Default())
	fs := &fakeStats{}
	e.s.stats = fs
	running := container("run1", "p1", store.ContainerRunning, map[string]string{"app": "web"})
	running.TaskCgroup = "/skiff/run1"
	e.containers.byID["run1"] = running
	e.containers.byID["ex1"] = container("ex1", "p1", store.ContainerExited, nil)
	e.containers.byID["run2"] = container("run2", "p2", store.ContainerRunning, nil)
	ready := pod("p1", store.SandboxReady, map[string]string{"app": "web"})
	ready.TaskCgroup = "/skiff/p1"
	e.sandboxes.byID["p1"] = ready
	e.sandboxes.byID["p2"] = pod("p2", store.SandboxNotReady, nil)
	return e, fs
}

func TestContainerStats(t *testing.T) {
	e, _ := statsEnv()
	ctx := context.Background()
	r, err := e.s.ContainerStats(ctx, &runtime.ContainerStatsRequest{ContainerId: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	st := r.Stats
	if st.Attributes.Id != "run1" || st.Cpu.UsageCoreNanoSeconds.Value != 42 || st.Cpu.UsageNanoCores.Value != 500 ||
		st.Memory.WorkingSetBytes.Value != 80 || st.Memory.AvailableBytes.Value != 120 || st.Swap.SwapUsageBytes.Value != 5 ||
		st.WritableLayer.UsedBytes.Value != 7 || st.WritableLayer.FsId.Mountpoint != "/containers" {
		t.Errorf("stats %+v", st)
	}
	r, _ = e.s.ContainerStats(ctx, &runtime.ContainerStatsRequest{ContainerId: "ex1"})
	if r.Stats.Cpu != nil || r.Stats.WritableLayer == nil {
		t.Errorf("an exited container: %+v", r.Stats)
	}
	_, err = e.s.ContainerStats(ctx, &runtime.ContainerStatsRequest{ContainerId: "nope"})
	wantClass(t, err, errdefs.ErrNotFound)

	l, _ := e.s.ListContainerStats(ctx, &runtime.ListContainerStatsRequest{})
	if len(l.Stats) != 2 { // the exited one has no usage to list
		t.Errorf("listed %d, want the 2 running", len(l.Stats))
	}
	l, _ = e.s.ListContainerStats(ctx, &runtime.ListContainerStatsRequest{Filter: &runtime.ContainerStatsFilter{PodSandboxId: "p2"}})
	if len(l.Stats) != 1 || l.Stats[0].Attributes.Id != "run2" {
		t.Errorf("filtered: %v", l.Stats)
	}
	s := &containerStatsStream{}
	if err := e.s.StreamContainerStats(&runtime.StreamContainerStatsRequest{}, s); err != nil || s.n != 2 {
		t.Errorf("streamed %d, %v", s.n, err)
	}
}

type containerStatsStream struct {
	runtime.RuntimeService_StreamContainerStatsServer
	n int
}

func (s *containerStatsStream) Send(r *runtime.StreamContainerStatsResponse) error {
	s.n += len(r.ContainerStats)
	return nil
}
func (s *containerStatsStream) Context() context.Context { return context.Background() }

type podStatsStream struct {
	runtime.RuntimeService_StreamPodSandboxStatsServer
	n int
}

func (s *podStatsStream) Send(r *runtime.StreamPodSandboxStatsResponse) error {
	s.n += len(r.PodSandboxStats)
	return nil
}
func (s *podStatsStream) Context() context.Context { return context.Background() }

func TestPodSandboxStats(t *testing.T) {
	e, fs := statsEnv()
	ctx := context.Background()
	r, err := e.s.PodSandboxStats(ctx, &runtime.PodSandboxStatsRequest{PodSandboxId: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	l := r.Stats.Linux
	if r.Stats.Attributes.Id != "p1" || l.Cpu.UsageCoreNanoSeconds.Value != 99 || l.Process.ProcessCount.Value != 3 ||
		l.Network.DefaultInterface.GetRxBytes().GetValue() != 10 || len(l.Network.Interfaces) != 1 || len(l.Containers) != 1 {
		t.Errorf("pod stats %+v", r.Stats)
	}
	r, _ = e.s.PodSandboxStats(ctx, &runtime.PodSandboxStatsRequest{PodSandboxId: "p2"})
	if r.Stats.Linux.Cpu != nil || fs.podRefs[len(fs.podRefs)-1].PauseCgroupsPath != "" {
		t.Errorf("a pod that is not ready got usage of its own: %+v", r.Stats.Linux)
	}
	_, err = e.s.PodSandboxStats(ctx, &runtime.PodSandboxStatsRequest{PodSandboxId: "nope"})
	wantClass(t, err, errdefs.ErrNotFound)
	list, _ := e.s.ListPodSandboxStats(ctx, &runtime.ListPodSandboxStatsRequest{})
	if len(list.Stats) != 1 || list.Stats[0].Attributes.Id != "p1" {
		t.Errorf("listed %v, want the ready pod", list.Stats)
	}
	s := &podStatsStream{}
	if err := e.s.StreamPodSandboxStats(&runtime.StreamPodSandboxStatsRequest{}, s); err != nil || s.n != 1 {
		t.Errorf("streamed %d, %v", s.n, err)
	}
}
