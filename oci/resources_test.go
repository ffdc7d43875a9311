package oci

import (
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

func TestOOMScoreAdj(t *testing.T) {
	tests := []struct {
		req       int64
		min, want int
		ok        bool
	}{
		{0, 0, 0, true},
		{-998, -999, -998, true},
		{-998, 0, 0, true}, // below the host's own: clamped
		{1000, -500, 1000, true},
		{-1000, -1000, -1000, true},
		{-500, 100, 100, true},
		{1001, 0, 0, false},
		{-1001, -1000, 0, false},
	}
	for _, tt := range tests {
		got, err := oomScoreAdj(tt.req, tt.min, containerScope, "oom")
		if (err == nil) != tt.ok || (tt.ok && *got != tt.want) {
			t.Errorf("oomScoreAdj(%d, min %d) = %v, %v; want %d (ok %v)", tt.req, tt.min, got, err, tt.want, tt.ok)
		}
		if !tt.ok && !errdefs.IsInvalidArgument(err) {
			t.Errorf("oomScoreAdj(%d): %v, want InvalidArgument", tt.req, err)
		}
	}
}

func TestMemoryResources(t *testing.T) {
	tests := []struct {
		name                string
		limit, swap         int64
		accounting          bool
		wantLimit, wantSwap int64 // 0: unset
	}{
		{"none", 0, 0, true, 0, 0},
		{"limit caps swap too", 100 << 20, 0, true, 100 << 20, 100 << 20},
		{"limit and swap", 100 << 20, 200 << 20, true, 100 << 20, 200 << 20},
		{"unlimited swap", 100 << 20, -1, true, 100 << 20, -1},
		{"no swap accounting", 100 << 20, 200 << 20, false, 100 << 20, 0},
		{"swap alone", 0, 200 << 20, true, 0, 200 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runtime.LinuxContainerResources{MemoryLimitInBytes: tt.limit, MemorySwapLimitInBytes: tt.swap}
			m := memoryResources(r, HostFeatures{SwapAccounting: tt.accounting})
			var limit, swap int64
			if m != nil && m.Limit != nil {
				limit = *m.Limit
			}
			if m != nil && m.Swap != nil {
				swap = *m.Swap
			}
			if limit != tt.wantLimit || swap != tt.wantSwap {
				t.Errorf("memory = limit %d swap %d, want %d %d", limit, swap, tt.wantLimit, tt.wantSwap)
			}
		})
	}
}

func TestResourcesDropUnsupported(t *testing.T) {
	r := &runtime.LinuxContainerResources{HugepageLimits: []*runtime.HugepageLimit{{PageSize: "2MB", Limit: 1 << 21}}}
	got, err := ContainerResources(r, HostFeatures{})
	if err != nil || got.HugepageLimits != nil {
		t.Errorf("without hugetlb: %+v, %v; want the limits dropped", got, err)
	}
	if got.CPU != nil || got.Memory != nil {
		t.Errorf("empty resources gave CPU %+v memory %+v", got.CPU, got.Memory)
	}
}
