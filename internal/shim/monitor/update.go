package monitor

import (
	"errors"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// update applies r to the container's cgroups through libcontainer's
// Set, as "runc update" does: the cgroup manager writes the values (in
// the order the kernel needs), libcontainer's recorded config follows,
// and a value the kernel refuses leaves the old ones in place. Fields of
// r that are nil keep their value.
func (c *container) update(r *specs.LinuxResources) error {
	if r == nil {
		return api.Errorf(api.CodeInvalidArgument, "update: no resources")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == api.StatusStopped {
		return api.Errorf(api.CodeFailedPrecondition, "container is stopped: cannot update its resources")
	}
	lc, err := c.libcontainer()
	if err != nil {
		return err
	}
	cfg := lc.Config()
	res := *cfg.Cgroups.Resources
	applyResources(&res, r)
	cg := *cfg.Cgroups
	// Not SkipDevices, as "runc update" does: the shim keeps this config
	// for its execs, which refuse it. Unchanged device rules are not
	// rewritten anyway.
	cg.Resources = &res
	cfg.Cgroups = &cg
	if err := lc.Set(cfg); err != nil {
		return classifyUpdate(err, belowUsage(lc, r))
	}
	return nil
}

// belowUsage reports whether r's memory limit is below what the
// container uses now.
func belowUsage(lc *libcontainer.Container, r *specs.LinuxResources) bool {
	if r.Memory == nil || r.Memory.Limit == nil || *r.Memory.Limit <= 0 {
		return false
	}
	st, err := lc.Stats()
	if err != nil || st.CgroupStats == nil {
		return false
	}
	return st.CgroupStats.MemoryStats.Usage.Usage > uint64(*r.Memory.Limit)
}

// applyResources sets the fields of res that r gives.
func applyResources(res *cgroups.Resources, r *specs.LinuxResources) {
	if cpu := r.CPU; cpu != nil {
		if cpu.Shares != nil {
			res.CpuShares = *cpu.Shares
			res.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(*cpu.Shares)
		}
		if cpu.Quota != nil {
			res.CpuQuota = *cpu.Quota
		}
		if cpu.Period != nil {
			res.CpuPeriod = *cpu.Period
		}
		if cpu.Cpus != "" {
			res.CpusetCpus = cpu.Cpus
		}
		if cpu.Mems != "" {
			res.CpusetMems = cpu.Mems
		}
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil {
			res.Memory = *m.Limit
		}
		if m.Swap != nil {
			res.MemorySwap = *m.Swap
		}
	}
	if len(r.HugepageLimits) > 0 {
		res.HugetlbLimit = nil
		for _, h := range r.HugepageLimits {
			res.HugetlbLimit = append(res.HugetlbLimit, &cgroups.HugepageLimit{Pagesize: h.Pagesize, Limit: h.Limit})
		}
	}
	if len(r.Unified) > 0 {
		res.Unified = r.Unified
	}
}

// classifyUpdate codes the kernel's refusals: a memory limit below the
// usage that it could not reclaim (cgroup v1's EBUSY, which libcontainer
// reports without the errno) is a failed precondition; a value it does
// not take (EINVAL, ERANGE, EACCES on a missing cpu or node) an invalid
// argument. libcontainer's message names the file and the value.
func classifyUpdate(err error, belowUsage bool) error {
	code := ""
	switch {
	case belowUsage, errors.Is(err, unix.EBUSY):
		code = api.CodeFailedPrecondition
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE), errors.Is(err, unix.EACCES), errors.Is(err, unix.ENOENT):
		code = api.CodeInvalidArgument
	}
	return &api.Error{Code: code, Message: "update resources: " + err.Error()}
}
