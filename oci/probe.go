package oci

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ProbeHostFeatures reads what this node supports from its kernel and
// cgroup hierarchy. Call it once at start-up.
func ProbeHostFeatures() HostFeatures {
	var f HostFeatures
	var st unix.Statfs_t
	f.CgroupV2 = unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
	if f.CgroupV2 {
		_, err := os.Stat("/sys/fs/cgroup/memory.swap.max")
		f.SwapAccounting = err == nil || hasController("/sys/fs/cgroup/cgroup.controllers", "memory")
		f.Hugetlb = hasController("/sys/fs/cgroup/cgroup.controllers", "hugetlb")
	} else {
		_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
		f.SwapAccounting = err == nil
		_, err = os.Stat("/sys/fs/cgroup/hugetlb")
		f.Hugetlb = err == nil
	}
	f.RecursiveReadOnly = kernelAtLeast(5, 12)
	f.OnlineCPUs = readList("/sys/devices/system/cpu/online")
	if f.OnlineMems = readList("/sys/devices/system/node/online"); f.OnlineMems == "" {
		f.OnlineMems = "0" // a kernel without NUMA has node 0 only
	}
	f.Capabilities = boundingCapabilities()
	return f
}

// boundingCapabilities returns the known capabilities in this process's
// bounding set, nil if it cannot be read.
func boundingCapabilities() []string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		hex, ok := strings.CutPrefix(line, "CapBnd:")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(hex), 16, 64)
		if err != nil {
			return nil
		}
		var caps []string
		for bit, name := range allCapabilities {
			if mask&(1<<bit) != 0 {
				caps = append(caps, name)
			}
		}
		return caps
	}
	return nil
}

// readList reads a kernel CPU or node list file, "" if there is none.
func readList(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// hasController reports whether the cgroup.controllers file at path lists c.
func hasController(path, c string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(" "+strings.TrimSpace(string(b))+" ", " "+c+" ")
}

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	parts := strings.SplitN(unix.ByteSliceToString(u.Release[:]), ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, _ := strconv.Atoi(parts[0])
	mi, _ := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return ma > major || ma == major && mi >= minor
}

// OwnOOMScoreAdj is this process's oom_score_adj: the lowest value a child
// may be given without CAP_SYS_RESOURCE.
func OwnOOMScoreAdj() int {
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}
