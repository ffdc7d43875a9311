package oci

import (
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Cgroup managers, the values of ContainerInput.CgroupManager and
// SandboxInput.CgroupManager.
const (
	CgroupfsManager = "cgroupfs"
	SystemdManager  = "systemd"
)

// ImageConfig is what the spec needs from the image config (OCI image-spec
// config).
type ImageConfig struct {
	Env        []string // KEY=value, applied before the CRI envs
	Entrypoint []string // replaced by the CRI command
	Cmd        []string // replaced by the CRI args, dropped with a CRI command
	WorkingDir string   // used when the CRI config has none
	User       string   // "uid", "name", "uid:gid" or "name:group"; used without run_as_user/run_as_username
	StopSignal string   // not part of the runtime spec; carried for the caller's container record
}

// Sandbox is what a container shares with its pod.
type Sandbox struct {
	ID     string
	Config *runtime.PodSandboxConfig

	NetNSPath string // the pod's pinned network namespace; "" with host network
	PausePID  int    // pid of the pause process: containers join /proc/<pid>/ns/{ipc,uts,pid}

	CgroupParent string // resolved pod cgroup parent (cgroupfs path or systemd slice)

	// Files and directories skiff prepared for the pod; each is bind-mounted
	// when set. ShmPath "" gives the container a private tmpfs /dev/shm.
	ResolvConfPath, HostsPath, HostnamePath, ShmPath string
}

// HostFeatures says what the node's kernel and cgroup hierarchy support.
// The caller probes them once; the zero value is the most conservative.
type HostFeatures struct {
	// CgroupV2: the unified hierarchy. Containers then get a private cgroup
	// namespace and may carry unified resources, which cgroup v1 rejects.
	CgroupV2 bool
	// SwapAccounting: memory.memsw (v1) or memory.swap.max (v2) exists.
	// Without it swap limits are dropped; with it a memory limit without a
	// swap limit also caps swap (memory+swap = limit), as containerd does.
	SwapAccounting bool
	// Hugetlb: the hugetlb controller exists; without it hugepage limits are
	// dropped (containerd's tolerate_missing_hugetlb_controller).
	Hugetlb bool
	// RecursiveReadOnly: mount_setattr(AT_RECURSIVE), Linux ≥ 5.12.
	// Without it a recursive_read_only mount is refused.
	RecursiveReadOnly bool
	// Capabilities are those this node can grant: skiffd's bounding set.
	// A privileged container, or one that adds ALL, gets these. Nil means
	// every capability the kernel knows.
	Capabilities []string
	// OnlineCPUs and OnlineMems are the node's online CPUs and memory
	// nodes as the kernel lists them ("0-3"); cpuset values outside them
	// are refused. Empty: not checked.
	OnlineCPUs, OnlineMems string
}

// ContainerInput is everything ContainerSpec needs.
type ContainerInput struct {
	ID      string
	Config  *runtime.ContainerConfig
	Sandbox Sandbox
	Image   ImageConfig
	// ImageName is the image as the user named it, for the image-name
	// annotation; "" falls back to the CRI config's image.
	ImageName string

	RootfsPath string // mounted rootfs (overlay); its /etc/passwd and /etc/group are read

	CgroupManager  string // CgroupfsManager or SystemdManager
	MinOOMScoreAdj int    // oom_score_adj is clamped to >= this (the shim's own)

	// SeccompProfileRoot is where relative Localhost seccomp profiles are
	// looked up; absolute paths are used as they are.
	SeccompProfileRoot string

	// TargetPID is the pid of the target container's init, for a pid
	// namespace in mode TARGET (kubectl debug --target).
	TargetPID int

	Features HostFeatures
	// Host reads and prepares host paths; nil is the real host.
	Host Host
}

// SandboxInput is everything SandboxSpec needs for a pod's pause container.
type SandboxInput struct {
	ID         string
	Config     *runtime.PodSandboxConfig
	RootfsPath string   // the pause rootfs, mounted read-only
	PauseArgs  []string // the pause program and its arguments

	NetNSPath      string // pinned netns to join; "" with host network
	CgroupParent   string
	CgroupManager  string
	MinOOMScoreAdj int

	// Files skiff prepared for the pod; each is mounted read-only into the
	// pause container when set, /dev/shm read-write (a private tmpfs when
	// ShmPath is "").
	ShmPath, ResolvConfPath, HostsPath, HostnamePath string

	Features HostFeatures
}
