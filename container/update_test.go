package container

import (
	"errors"
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestUpdateResources(t *testing.T) {
	e := newEnv(t)
	running := e.run(t, "running")
	upd := &runtime.LinuxContainerResources{CpuShares: 512, CpuQuota: 50000, CpuPeriod: 100000, MemoryLimitInBytes: 64 << 20, CpusetCpus: "0"}
	if err := e.m.UpdateResources(ctxT(t), running, upd); err != nil {
		t.Fatal(err)
	}
	res := e.tasks.Get(running).Resources
	if res == nil || *res.CPU.Shares != 512 || *res.CPU.Quota != 50000 || *res.Memory.Limit != 64<<20 || res.CPU.Cpus != "0" {
		t.Fatalf("the task got %+v", res)
	}
	// A second update that sets only the memory keeps the CPU limits.
	if err := e.m.UpdateResources(ctxT(t), running, &runtime.LinuxContainerResources{MemoryLimitInBytes: 32 << 20}); err != nil {
		t.Fatal(err)
	}
	c, _ := e.m.Get(running)
	got := c.Config.Msg.GetLinux().GetResources()
	if got.GetMemoryLimitInBytes() != 32<<20 || got.GetCpuShares() != 512 || got.GetCpusetCpus() != "0" {
		t.Errorf("recorded resources %v", got)
	}
	if res := e.tasks.Get(running).Resources; *res.CPU.Shares != 512 || *res.Memory.Limit != 32<<20 {
		t.Errorf("the task got %+v", res)
	}
}

func TestUpdateResourcesRefused(t *testing.T) {
	e := newEnv(t)
	running, created := e.run(t, "running"), e.create(t, "created")
	if err := e.m.UpdateResources(ctxT(t), created, &runtime.LinuxContainerResources{CpuShares: 10}); err != nil {
		t.Errorf("a created container: %v", err)
	}
	exited := e.run(t, "exited")
	e.tasks.ExitTask(exited, 0)
	e.waitState(t, exited, "EXITED")
	tests := []struct {
		name, id string
		r        *runtime.LinuxContainerResources
		class    error
		msg      string
	}{
		{"exited", exited, &runtime.LinuxContainerResources{CpuShares: 10}, errdefs.ErrFailedPrecondition, "EXITED"},
		{"unknown", "nope", &runtime.LinuxContainerResources{}, errdefs.ErrNotFound, "nope"},
		{"negative shares", running, &runtime.LinuxContainerResources{CpuShares: -1}, errdefs.ErrInvalidArgument, "cpu_shares"},
		{"v2 settings on v1", running, &runtime.LinuxContainerResources{Unified: map[string]string{"memory.max": "1"}}, errdefs.ErrInvalidArgument, "unified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.m.UpdateResources(ctxT(t), tt.id, tt.r), tt.class, tt.msg)
		})
	}
	// The kernel refuses: nothing is recorded.
	e.tasks.Fail("Update", errors.Join(errdefs.ErrInvalidArgument, errors.New(`cpuset.cpus "99": invalid argument`)))
	wantErr(t, e.m.UpdateResources(ctxT(t), running, &runtime.LinuxContainerResources{CpusetCpus: "99"}), errdefs.ErrInvalidArgument, `"99"`)
	if c, _ := e.m.Get(running); c.Config.Msg.GetLinux().GetResources().GetCpusetCpus() != "" {
		t.Errorf("a refused update was recorded: %v", c.Config.Msg.GetLinux().GetResources())
	}
}

func TestMergeResources(t *testing.T) {
	old := &runtime.LinuxContainerResources{CpuShares: 2, MemoryLimitInBytes: 100, OomScoreAdj: 5, Unified: map[string]string{"a": "1"}}
	got := mergeResources(old, &runtime.LinuxContainerResources{MemoryLimitInBytes: 50, OomScoreAdj: 9, Unified: map[string]string{"b": "2"},
		HugepageLimits: []*runtime.HugepageLimit{{PageSize: "2MB", Limit: 4 << 20}}})
	if got.CpuShares != 2 || got.MemoryLimitInBytes != 50 || got.OomScoreAdj != 5 || len(got.Unified) != 2 || len(got.HugepageLimits) != 1 {
		t.Errorf("merged %v", got)
	}
	if old.MemoryLimitInBytes != 100 || len(old.Unified) != 1 {
		t.Errorf("the old resources changed: %v", old)
	}
	if got := mergeResources(nil, &runtime.LinuxContainerResources{CpuQuota: -1}); got.CpuQuota != -1 {
		t.Errorf("from nothing: %v", got)
	}
}
