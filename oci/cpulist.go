package oci

import (
	"fmt"
	"strconv"
	"strings"
)

// maxCPUListID bounds the numbers of a CPU or memory-node list: more than
// any kernel's NR_CPUS.
const maxCPUListID = 1 << 16

// parseCPUList parses a kernel CPU or memory-node list, "0-3,8,10-11",
// into the set of its numbers.
func parseCPUList(s string) (map[int]bool, error) {
	set := map[int]bool{}
	for part := range strings.SplitSeq(strings.TrimSpace(s), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= maxCPUListID {
			return nil, fmt.Errorf("%q is not a list like 0-3,8", s)
		}
		for i := a; i <= b; i++ {
			set[i] = true
		}
	}
	return set, nil
}

// checkCPUList checks that the list v names only numbers that online,
// the host's list, has; an empty online list checks the syntax only.
func checkCPUList(field, v, online, what string) error {
	if v == "" {
		return nil
	}
	want, err := parseCPUList(v)
	if err != nil {
		return invalid(containerScope, resField+field, "%v", err)
	}
	if online == "" {
		return nil
	}
	have, err := parseCPUList(online)
	if err != nil {
		return nil // an unreadable host list checks nothing
	}
	for i := range want {
		if !have[i] {
			return invalid(containerScope, resField+field, "%q: %s %d is not online on this node (online: %s)", v, what, i, online)
		}
	}
	return nil
}
