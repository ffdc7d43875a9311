package stats

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	v1 "github.com/containerd/cgroups/v3/cgroup1/stats"
	"github.com/containerd/cgroups/v3/cgroup2"
	v2 "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/opencontainers/cgroups/systemd"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// cgroupRoot is where the host mounts its cgroup hierarchies.
const cgroupRoot = "/sys/fs/cgroup"

// unlimited is the smallest value taken for "no limit": the kernel writes
// the largest page-aligned 63-bit number (v1) or "max" (v2), which
// containerd's cgroups read as MaxUint64.
const unlimited = 1 << 62

// Cgroups reads cgroups below one root: the directory that holds the
// cgroup v1 hierarchies (one per controller: cpu/, cpuacct/, memory/,
// pids/) or the cgroup v2 mount point. It holds no state.
type Cgroups struct {
	Root string
	V2   bool
}

// HostCgroups reads the host's cgroups: v2 when the host is unified, else
// v1 (hybrid hosts keep every controller on v1).
func HostCgroups() Cgroups {
	return Cgroups{Root: cgroupRoot, V2: cgroups.Mode() == cgroups.Unified}
}

// Read samples the cgroup at path (e.g. /kubepods/pod1/skiff-<id>, as
// CgroupPath gives it). A cgroup that does not exist (the container
// exited) is errdefs.ErrNotFound.
func (c Cgroups) Read(path string) (Sample, error) {
	now := time.Now()
	var (
		s   Sample
		err error
	)
	if c.V2 {
		s, err = c.read2(path)
	} else {
		s, err = c.read1(path)
	}
	if errors.Is(err, cgroup1.ErrCgroupDeleted) || errors.Is(err, os.ErrNotExist) {
		return Sample{}, fmt.Errorf("cgroup %s: %w", path, errdefs.ErrNotFound)
	}
	if err != nil {
		return Sample{}, fmt.Errorf("read cgroup %s: %w", path, err)
	}
	s.Time = now
	return s, nil
}

// controllers1 are the v1 controllers stats read, and only those: the
// others would cost reads that nothing uses.
func (c Cgroups) controllers1() ([]cgroup1.Subsystem, error) {
	return []cgroup1.Subsystem{
		cgroup1.NewCpu(c.Root), cgroup1.NewCpuacct(c.Root), cgroup1.NewMemory(c.Root), cgroup1.NewPids(c.Root),
	}, nil
}

func (c Cgroups) read1(path string) (Sample, error) {
	cg, err := cgroup1.Load(cgroup1.StaticPath(path), cgroup1.WithHierarchy(c.controllers1))
	if err != nil {
		return Sample{}, err
	}
	m, err := cg.Stat(cgroup1.IgnoreNotExist)
	if err != nil {
		return Sample{}, err
	}
	if m.Memory == nil && m.CPU.Usage.Total == 0 && m.Pids == nil {
		return Sample{}, os.ErrNotExist // removed between Load and Stat
	}
	return fromV1(m), nil
}

func (c Cgroups) read2(path string) (Sample, error) {
	cg, err := cgroup2.Load(path, cgroup2.WithMountpoint(c.Root))
	if err != nil {
		return Sample{}, err
	}
	if _, err := os.Stat(cgroupFile(c.Root, path, "cgroup.procs")); err != nil {
		return Sample{}, err
	}
	m, err := cg.StatFiltered(cgroup2.StatPids | cgroup2.StatCPU | cgroup2.StatMemory | cgroup2.StatMemoryEvents)
	if err != nil {
		return Sample{}, err
	}
	return fromV2(m), nil
}

func cgroupFile(root, group, name string) string { return path.Join(root, group, name) }

// fromV1 converts cgroup v1 metrics as cAdvisor does: hierarchical
// ("total_") counters, swap as memsw less memory.
func fromV1(m *v1.Metrics) Sample {
	var s Sample
	if cpu := m.CPU; cpu != nil {
		u, t := cpu.GetUsage(), cpu.GetThrottling()
		s.CPU = CPU{
			UsageNanos: u.GetTotal(), UserNanos: u.GetUser(), SystemNanos: u.GetKernel(),
			Periods: t.GetPeriods(), ThrottledPeriods: t.GetThrottledPeriods(), ThrottledNanos: t.GetThrottledTime(),
		}
	}
	if mem := m.Memory; mem != nil {
		usage := mem.GetUsage().GetUsage()
		s.Memory = Memory{
			Usage: usage, MaxUsage: mem.GetUsage().GetMax(),
			WorkingSet: workingSet(usage, mem.TotalInactiveFile),
			RSS:        mem.TotalRSS, Cache: mem.TotalCache, MappedFile: mem.TotalMappedFile,
			Limit:      limit(mem.GetUsage().GetLimit()),
			Failcnt:    mem.GetUsage().GetFailcnt(),
			PageFaults: mem.TotalPgFault, MajorPageFaults: mem.TotalPgMajFault,
		}
		if sw := mem.GetSwap().GetUsage(); sw > usage {
			s.Memory.Swap = sw - usage
		}
	}
	s.Memory.OOMKills = m.GetMemoryOomControl().GetOomKill()
	if p := m.Pids; p != nil {
		s.Pids = Pids{Current: p.Current, Limit: p.Limit}
	}
	return s
}

// fromV2 converts cgroup v2 metrics as cAdvisor does.
func fromV2(m *v2.Metrics) Sample {
	var s Sample
	if cpu := m.CPU; cpu != nil {
		s.CPU = CPU{
			UsageNanos: cpu.UsageUsec * 1000, UserNanos: cpu.UserUsec * 1000, SystemNanos: cpu.SystemUsec * 1000,
			Periods: cpu.NrPeriods, ThrottledPeriods: cpu.NrThrottled, ThrottledNanos: cpu.ThrottledUsec * 1000,
		}
	}
	if mem := m.Memory; mem != nil {
		s.Memory = Memory{
			Usage: mem.Usage, MaxUsage: mem.MaxUsage, WorkingSet: workingSet(mem.Usage, mem.InactiveFile),
			RSS: mem.Anon, Cache: mem.File, MappedFile: mem.FileMapped, Swap: mem.SwapUsage,
			Limit:      limit(mem.UsageLimit),
			PageFaults: mem.Pgfault, MajorPageFaults: mem.Pgmajfault,
		}
	}
	if ev := m.MemoryEvents; ev != nil {
		s.Memory.Failcnt, s.Memory.OOMKills = ev.Max, ev.OomKill
	}
	if p := m.Pids; p != nil {
		s.Pids = Pids{Current: p.Current, Limit: limit(p.Limit)}
	}
	return s
}

// workingSet is usage less inactive file pages, never below zero.
func workingSet(usage, inactiveFile uint64) uint64 {
	if inactiveFile >= usage {
		return 0
	}
	return usage - inactiveFile
}

func limit(v uint64) uint64 {
	if v >= unlimited {
		return 0
	}
	return v
}

// CgroupPath turns a spec's linux.cgroupsPath into the cgroup's path
// below each hierarchy's root: a cgroupfs path is itself; libcontainer's
// systemd form "slice:prefix:name" is the scope prefix-name.scope under
// the slice's expanded path.
func CgroupPath(cgroupsPath string) (string, error) {
	slice, rest, ok := strings.Cut(cgroupsPath, ":")
	if !ok {
		return cgroupsPath, nil
	}
	prefix, name, ok := strings.Cut(rest, ":")
	if !ok {
		return "", fmt.Errorf("%w: cgroups path %q is neither a path nor slice:prefix:name", errdefs.ErrInvalidArgument, cgroupsPath)
	}
	return SlicePath(slice, prefix+"-"+name+".scope")
}

// SlicePath returns the path of a systemd slice (e.g.
// kubepods-besteffort-pod1.slice), joined with elem when given.
func SlicePath(slice string, elem ...string) (string, error) {
	dir, err := systemd.ExpandSlice(slice)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errdefs.ErrInvalidArgument, err)
	}
	return path.Join(append([]string{dir}, elem...)...), nil
}
