package stats

import (
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestCgroupsRead(t *testing.T) {
	const (
		usage = 125829120 // 120 MiB
		ws    = usage - 10485760
	)
	tests := []struct {
		name string
		cg   Cgroups
		want Sample
	}{
		{"v1", Cgroups{Root: "testdata/v1"}, Sample{
			CPU: CPU{UsageNanos: 5e9, UserNanos: 3e9, SystemNanos: 1e9, Periods: 10, ThrottledPeriods: 2, ThrottledNanos: 3000},
			Memory: Memory{
				Usage: usage, MaxUsage: 130000000, WorkingSet: ws, RSS: 104857600, Cache: 20971520, MappedFile: 8192,
				Limit: 268435456, Failcnt: 7, PageFaults: 2000, MajorPageFaults: 5, OOMKills: 1,
			},
			Pids: Pids{Current: 4},
		}},
		{"v2", Cgroups{Root: "testdata/v2", V2: true}, Sample{
			CPU: CPU{UsageNanos: 5e9, UserNanos: 3e9, SystemNanos: 2e9, Periods: 10, ThrottledPeriods: 2, ThrottledNanos: 3000},
			Memory: Memory{
				Usage: usage, MaxUsage: 130000000, WorkingSet: ws, RSS: 104857600, Cache: 20971520, MappedFile: 8192,
				Swap: 4096, Failcnt: 7, PageFaults: 2000, MajorPageFaults: 5, OOMKills: 1,
			},
			Pids: Pids{Current: 4, Limit: 1024},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cg.Read("/pod/ctr")
			if err != nil {
				t.Fatal(err)
			}
			if got.Time.IsZero() {
				t.Error("no time")
			}
			got.Time = tt.want.Time
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if _, err := tt.cg.Read("/pod/gone"); !errdefs.IsNotFound(err) {
				t.Errorf("a missing cgroup: %v, want not found", err)
			}
		})
	}
}

// TestCgroupsReadHost reads this process's own cgroup: the host's files
// must parse, whatever their version.
func TestCgroupsReadHost(t *testing.T) {
	if _, err := HostCgroups().Read("/"); err != nil {
		t.Fatal(err)
	}
}

func TestMemoryAvailable(t *testing.T) {
	tests := []struct {
		m    Memory
		want uint64
		ok   bool
	}{
		{Memory{Limit: 100, WorkingSet: 30}, 70, true},
		{Memory{Limit: 100, WorkingSet: 130}, 0, true},
		{Memory{WorkingSet: 30}, 0, false},
	}
	for _, tt := range tests {
		if got, ok := tt.m.Available(); got != tt.want || ok != tt.ok {
			t.Errorf("%+v: Available = %d, %v; want %d, %v", tt.m, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCgroupPath(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"/kubepods/pod1/skiff-abc", "/kubepods/pod1/skiff-abc", false},
		{"system.slice:skiff:abc", "/system.slice/skiff-abc.scope", false},
		{"kubepods-besteffort-pod1.slice:skiff:abc", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/skiff-abc.scope", false},
		{"slice:only", "", true},
		{"bad/slice.slice:skiff:abc", "", true},
	}
	for _, tt := range tests {
		got, err := CgroupPath(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("CgroupPath(%q) = %q, %v; want %q (error: %v)", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !errdefs.IsInvalidArgument(err) {
			t.Errorf("CgroupPath(%q): %v is not an invalid argument", tt.in, err)
		}
	}
}
