package stats

import "time"

// Sample is one reading of a cgroup. Counters are cumulative since the
// cgroup was created; a zero field was not available.
type Sample struct {
	Time   time.Time
	CPU    CPU
	Memory Memory
	Pids   Pids
}

// CPU is a cgroup's CPU time, in nanoseconds, and its CFS throttling.
type CPU struct {
	UsageNanos, UserNanos, SystemNanos uint64
	Periods, ThrottledPeriods          uint64
	ThrottledNanos                     uint64
}

// Memory is a cgroup's memory use, in bytes, as kubelet and cAdvisor
// define it: WorkingSet is Usage less inactive file pages, which the
// kernel reclaims first.
type Memory struct {
	Usage, MaxUsage, WorkingSet uint64
	RSS, Cache, MappedFile      uint64
	Swap                        uint64
	// Limit is the memory limit; 0 when unlimited.
	Limit uint64
	// Failcnt counts the times usage hit the limit (cgroup v1; on v2 the
	// memory.events "max" count).
	Failcnt                     uint64
	PageFaults, MajorPageFaults uint64
	// OOMKills counts the processes the OOM killer ended in the cgroup.
	OOMKills uint64
}

// Available is the memory left under the limit (limit − working set),
// and false when there is no limit.
func (m Memory) Available() (uint64, bool) {
	if m.Limit == 0 {
		return 0, false
	}
	if m.WorkingSet >= m.Limit {
		return 0, true
	}
	return m.Limit - m.WorkingSet, true
}

// Pids is the number of tasks in a cgroup and their limit (0: none).
type Pids struct {
	Current, Limit uint64
}

// Add returns the sum of s and o, as a pod's usage is the sum of its
// containers'. The time and the limits are s's.
func (s Sample) Add(o Sample) Sample {
	s.CPU.UsageNanos += o.CPU.UsageNanos
	s.CPU.UserNanos += o.CPU.UserNanos
	s.CPU.SystemNanos += o.CPU.SystemNanos
	s.CPU.Periods += o.CPU.Periods
	s.CPU.ThrottledPeriods += o.CPU.ThrottledPeriods
	s.CPU.ThrottledNanos += o.CPU.ThrottledNanos
	m, om := &s.Memory, o.Memory
	m.Usage += om.Usage
	m.MaxUsage += om.MaxUsage
	m.WorkingSet += om.WorkingSet
	m.RSS += om.RSS
	m.Cache += om.Cache
	m.MappedFile += om.MappedFile
	m.Swap += om.Swap
	m.Failcnt += om.Failcnt
	m.PageFaults += om.PageFaults
	m.MajorPageFaults += om.MajorPageFaults
	m.OOMKills += om.OOMKills
	s.Pids.Current += o.Pids.Current
	return s
}
