package oci

import (
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// allCapabilities are the Linux capabilities in kernel order (0 to 40). A
// privileged container gets all of them; runc ignores those the running
// kernel does not know.
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// defaultCapabilities is the capability set of a container that neither
// adds nor drops any: containerd's and docker's default.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

const capsField = scField + "capabilities."

// capabilitySet is the container's bounding (= effective = permitted) set:
// all capabilities when privileged, else the default set with the CRI's
// additions and drops. "ALL" may be added or dropped; the whole-set
// operations apply first, so add [ALL] with drop [CHOWN] is all but CHOWN,
// and drop [ALL] with add [NET_ADMIN] is NET_ADMIN alone.
//
// hostCaps are the capabilities this node can grant (skiffd's bounding
// set); "all" means those, so that a privileged container starts on a host
// whose root lacks some. Nil means every capability the kernel knows.
func capabilitySet(c *runtime.Capability, privileged bool, hostCaps []string) ([]string, error) {
	all := allCapabilities
	if hostCaps != nil {
		all = hostCaps
	}
	add, addAll, err := capNames(c.GetAddCapabilities(), capsField+"add_capabilities")
	if err != nil {
		return nil, err
	}
	drop, dropAll, err := capNames(c.GetDropCapabilities(), capsField+"drop_capabilities")
	if err != nil {
		return nil, err
	}
	if privileged {
		return slices.Clone(all), nil
	}
	set := map[string]bool{}
	switch {
	case dropAll: // empty even with add [ALL]: containerd adds ALL, then drops ALL
	case addAll:
		set = toSet(all)
	default:
		set = toSet(defaultCapabilities)
	}
	for _, n := range add {
		set[n] = true
	}
	for _, n := range drop {
		delete(set, n)
	}
	return ordered(set), nil
}

// processCapabilities builds the process's capability sets from the
// bounding set and the CRI's ambient capabilities, which must be in it.
// Ambient capabilities are also inheritable, as the kernel requires;
// nothing else is (CVE-2022-24769).
func processCapabilities(set []string, c *runtime.Capability) (*specs.LinuxCapabilities, error) {
	field := capsField + "add_ambient_capabilities"
	ambient, all, err := capNames(c.GetAddAmbientCapabilities(), field)
	if err != nil {
		return nil, err
	}
	if all {
		return nil, invalid(containerScope, field, `"ALL" cannot be ambient`)
	}
	for _, n := range ambient {
		if !slices.Contains(set, n) {
			return nil, invalid(containerScope, field, "%s is not in the container's capability set", n)
		}
	}
	ambient = ordered(toSet(ambient))
	return &specs.LinuxCapabilities{
		Bounding:    set,
		Effective:   slices.Clone(set),
		Permitted:   slices.Clone(set),
		Inheritable: slices.Clone(ambient),
		Ambient:     ambient,
	}, nil
}

// capNames normalizes CRI capability names ("net_admin", "NET_ADMIN" and
// "CAP_NET_ADMIN" are one) and checks them; all reports "ALL" among them.
func capNames(in []string, field string) (names []string, all bool, err error) {
	for _, n := range in {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n == "ALL" {
			all = true
			continue
		}
		if !strings.HasPrefix(n, "CAP_") {
			n = "CAP_" + n
		}
		if !slices.Contains(allCapabilities, n) {
			return nil, false, invalid(containerScope, field, "unknown capability %q", n)
		}
		names = append(names, n)
	}
	return names, all, nil
}

func toSet(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

// ordered lists the capabilities in set in kernel order.
func ordered(set map[string]bool) []string {
	out := []string{}
	for _, n := range allCapabilities {
		if set[n] {
			out = append(out, n)
		}
	}
	return out
}
