package oci

import (
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Sizes of the tmpfs mounts skiff makes, as docker and containerd.
const (
	devTmpfsSize = "size=65536k"
	shmTmpfsSize = "size=65536k"
)

// kernelMounts are the filesystems every container and pause container
// gets: /proc, /dev, /dev/pts, /dev/mqueue and /sys, read-only unless
// privileged. /dev/shm and /sys/fs/cgroup come from shmMount and
// cgroupMount.
func kernelMounts(privileged bool) []specs.Mount {
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", devTmpfsSize}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", rwOption(privileged)}},
	}
}

// cgroupMount shows the container its cgroups, read-only unless
// privileged.
func cgroupMount(privileged bool) specs.Mount {
	return specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup",
		Options: []string{"nosuid", "noexec", "nodev", "relatime", rwOption(privileged)}}
}

// shmMount is the pod's /dev/shm when skiff prepared one, shared by all
// its containers, else a private tmpfs.
func shmMount(shmPath string) specs.Mount {
	if shmPath == "" {
		return specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm",
			Options: []string{"nosuid", "noexec", "nodev", "mode=1777", shmTmpfsSize}}
	}
	return specs.Mount{Destination: "/dev/shm", Type: "bind", Source: shmPath,
		Options: []string{"rbind", "rprivate", "nosuid", "noexec", "nodev", "rw"}}
}

// podFileMounts bind the files skiff prepared for the pod, read-only with
// a read-only rootfs (containerd).
func podFileMounts(files map[string]string, readonly bool) []specs.Mount {
	var ms []specs.Mount
	for _, dst := range slices.Sorted(maps.Keys(files)) {
		if src := files[dst]; src != "" {
			ms = append(ms, specs.Mount{Destination: dst, Type: "bind", Source: src,
				Options: []string{"rbind", "rprivate", rwOption(!readonly)}})
		}
	}
	return ms
}

// mergeMounts lays the CRI mounts (and extra mounts, which the CRI's
// override) over the defaults: a default at a CRI destination goes, and
// with a CRI /dev everything under /dev goes. Extra and CRI mounts are
// sorted by depth so that a mount never hides a deeper one.
func mergeMounts(defaults, extra, cri []specs.Mount) []specs.Mount {
	taken := map[string]bool{}
	for _, m := range cri {
		taken[path.Clean(m.Destination)] = true
	}
	var out []specs.Mount
	for _, m := range defaults {
		dst := path.Clean(m.Destination)
		if !taken[dst] && !(taken["/dev"] && strings.HasPrefix(dst, "/dev/")) {
			out = append(out, m)
		}
	}
	var top []specs.Mount
	for _, m := range extra {
		if !taken[path.Clean(m.Destination)] {
			top = append(top, m)
		}
	}
	top = append(top, cri...)
	sort.SliceStable(top, func(i, j int) bool { return depth(top[i].Destination) < depth(top[j].Destination) })
	return append(out, top...)
}

// depth counts the components of a destination: "/" 0, "/a/b" 2.
func depth(p string) int {
	p = path.Clean(p)
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}

func rwOption(rw bool) string {
	if rw {
		return "rw"
	}
	return "ro"
}
