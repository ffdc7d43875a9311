package monitor

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

func TestApplyResources(t *testing.T) {
	u64 := func(v uint64) *uint64 { return &v }
	i64 := func(v int64) *int64 { return &v }
	res := cgroups.Resources{CpuShares: 2, CpuQuota: 100, CpuPeriod: 1000, Memory: 10, MemorySwap: 10, CpusetCpus: "0-1"}
	applyResources(&res, &specs.LinuxResources{
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(-1)},
		Memory:         &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(64 << 20)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
	})
	if res.CpuShares != 1024 || res.CpuWeight == 0 || res.CpuQuota != -1 || res.CpuPeriod != 1000 || res.CpusetCpus != "0-1" ||
		res.Memory != 64<<20 || res.MemorySwap != 64<<20 || len(res.HugetlbLimit) != 1 || res.HugetlbLimit[0].Pagesize != "2MB" {
		t.Errorf("resources %+v", res)
	}
}

func TestClassifyUpdate(t *testing.T) {
	tests := []struct {
		err        error
		belowUsage bool
		code       string
	}{
		{fmt.Errorf("failed to write %q: %w", "63", unix.EINVAL), false, api.CodeInvalidArgument},
		{errors.New("unable to set memory limit to 8388608 (current usage: 21491712)"), true, api.CodeFailedPrecondition},
		{fmt.Errorf("write: %w", unix.EBUSY), false, api.CodeFailedPrecondition},
		{errors.New("something else"), false, ""},
	}
	for _, tt := range tests {
		var e *api.Error
		if err := classifyUpdate(tt.err, tt.belowUsage); !errors.As(err, &e) || e.Code != tt.code {
			t.Errorf("classifyUpdate(%v, %v) = %v, want code %q", tt.err, tt.belowUsage, err, tt.code)
		}
	}
}
