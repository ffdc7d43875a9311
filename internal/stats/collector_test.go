package stats

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// fakeLayers measures every layer as 4096 bytes in 2 inodes, except
// those of IDs in gone, and counts the walks.
type fakeLayers struct {
	walks atomic.Int32
	gone  map[string]bool
}

func (f *fakeLayers) usage(_ context.Context, dir string) (int64, int64, error) {
	f.walks.Add(1)
	if f.gone[filepath.Base(dir)] {
		return 0, 0, errdefs.ErrNotFound
	}
	return 4096, 2, nil
}

func newTestCollector(f *fakeLayers) *Collector {
	return NewCollector(Config{Cgroups: Cgroups{Root: "testdata/v1"}, ContainersDir: "/c", LayerUsage: f.usage})
}

func TestCollectorContainer(t *testing.T) {
	f := &fakeLayers{gone: map[string]bool{"exited": true}}
	c := newTestCollector(f)
	ctx := context.Background()
	got := c.Containers(ctx, []ContainerRef{{ID: "running", CgroupsPath: "/pod/ctr"}, {ID: "exited", CgroupsPath: "/pod/gone"}})
	if len(got) != 2 || got[0].ID != "running" || got[1].ID != "exited" {
		t.Fatalf("Containers = %+v", got)
	}
	if got[0].Sample == nil || got[0].Sample.Memory.WorkingSet == 0 || got[0].Layer == nil || got[0].Layer.Bytes != 4096 || got[0].Layer.Inodes != 2 || got[0].Layer.Dir != "/c" {
		t.Errorf("running container: %+v", got[0])
	}
	if got[0].NanoCores != nil {
		t.Errorf("a rate from one sample: %d", *got[0].NanoCores)
	}
	if got[1].Sample != nil || got[1].Layer != nil {
		t.Errorf("exited container: %+v", got[1])
	}
	c.Container(ctx, ContainerRef{ID: "running", CgroupsPath: "/pod/ctr"})
	if n := f.walks.Load(); n != 2 {
		t.Errorf("%d layer walks, want 2: the second read within %s reuses the first", n, layerTTL)
	}
}

func TestCollectorPodSumsWithoutParent(t *testing.T) {
	c := newTestCollector(&fakeLayers{})
	ref := PodRef{ID: "p", PauseCgroupsPath: "/pod/ctr", CgroupParent: "/no/such/parent"}
	got := c.Pod(context.Background(), ref, []ContainerRef{{ID: "a", CgroupsPath: "/pod/ctr"}, {ID: "b", CgroupsPath: "/pod/gone"}})
	if got.Sample == nil {
		t.Fatal("no pod sample")
	}
	// The pause container and "a" read the same fixture; "b" is gone.
	if got.Sample.CPU.UsageNanos != 10e9 || got.Sample.Pids.Current != 8 || got.Sample.Memory.Limit != 0 {
		t.Errorf("pod sample %+v", got.Sample)
	}
	if len(got.Containers) != 2 || got.Network != nil {
		t.Errorf("pod %+v", got)
	}
	parent := c.Pod(context.Background(), PodRef{ID: "q", CgroupParent: "/pod/ctr"}, nil)
	if parent.Sample == nil || parent.Sample.CPU.UsageNanos != 5e9 {
		t.Errorf("pod with its own cgroup: %+v", parent.Sample)
	}
}

func TestRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at    time.Duration
		usage uint64
		want  int64 // -1: nil
	}{
		{0, 1e9, -1},                // one sample: no rate
		{2 * time.Second, 3e9, 1e9}, // 2 s of CPU in 2 s: one core
		{2*time.Second + 100*time.Millisecond, 3.5e9, 1e9}, // too soon: the last rate
		{4 * time.Second, 4e9, 5e8},                        // half a core since the 2 s sample
		{5 * time.Second, 1e6, -1},                         // usage went back: a new cgroup
		{7 * time.Second, 2e9 + 1e6, 1e9},
	}
	r := newRates()
	for i, s := range steps {
		got := r.update("k", t0.Add(s.at), s.usage)
		switch {
		case s.want < 0 && got != nil:
			t.Errorf("step %d: rate %d, want none", i, *got)
		case s.want >= 0 && (got == nil || *got != uint64(s.want)):
			t.Errorf("step %d: rate %v, want %d", i, got, s.want)
		}
	}
}

func TestCacheForgets(t *testing.T) {
	c := newCache[int]()
	t0 := time.Unix(1000, 0)
	c.put("old", 1, t0)
	c.put("new", 2, t0.Add(forgetAfter))
	c.put("trigger", 3, t0.Add(forgetAfter+sweepEvery+time.Second))
	if _, ok := c.get("old", t0); ok {
		t.Error("an entry unused for longer than forgetAfter is kept")
	}
	if v, ok := c.get("new", t0); !ok || v != 2 {
		t.Error("a recent entry was forgotten")
	}
}

func TestForEachStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var n atomic.Int32
	forEach(ctx, 100, func(int) { n.Add(1) })
	if n.Load() != 0 {
		t.Errorf("%d calls after cancel", n.Load())
	}
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatal("ctx")
	}
}
