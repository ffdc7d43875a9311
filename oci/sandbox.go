package oci

import (
	"path"
	goruntime "runtime"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Pause container defaults.
const (
	pauseID          = 65535 // uid and gid: nobody/nogroup, as the pause image's
	pauseOOMScoreAdj = -998  // kubelet's PodInfraOOMAdj, as containerd's
)

// SandboxSpec builds the runtime spec of a pod's pause container. It owns
// the pod's mount, ipc, uts and pid namespaces (each unless the pod uses
// the host's) and joins the pinned netns. It runs unprivileged whatever the
// pod asks: no capabilities, no_new_privs, skiff's RuntimeDefault seccomp
// profile, a read-only rootfs, as uid and gid 65535 unless the pod's
// security context names a user.
func SandboxSpec(in SandboxInput) (*specs.Spec, error) {
	if err := checkSandboxInput(in); err != nil {
		return nil, err
	}
	cfg, sc := in.Config, in.Config.GetLinux().GetSecurityContext()
	if err := checkAppArmor(sc.GetApparmor(), "", sandboxScope, "linux.security_context.apparmor"); err != nil {
		return nil, err
	}
	usr, err := sandboxUser(sc)
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:     specs.Version,
		Root:        &specs.Root{Path: in.RootfsPath, Readonly: true},
		Process:     sandboxProcess(in, usr),
		Mounts:      sandboxMounts(in),
		Annotations: sandboxAnnotations(in.ID, cfg),
		Linux:       &specs.Linux{MaskedPaths: slices.Clone(defaultMaskedPaths), ReadonlyPaths: slices.Clone(defaultReadonlyPaths)},
	}
	if sc.GetNamespaceOptions().GetNetwork() != runtime.NamespaceMode_NODE {
		s.Hostname = cfg.GetHostname()
	}
	if s.Linux.Namespaces, err = sandboxNamespaces(in); err != nil {
		return nil, err
	}
	if s.Linux.Sysctl, err = podSysctls(cfg); err != nil {
		return nil, err
	}
	if s.Linux.CgroupsPath, err = cgroupsPath(in.CgroupManager, in.CgroupParent, in.ID); err != nil {
		return nil, err
	}
	shares := uint64(sandboxCPUShares)
	s.Linux.Resources = &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &shares}, Devices: defaultDeviceRules()}
	s.Linux.Seccomp = runtimeDefaultSeccomp(nil, goruntime.GOARCH)
	return s, nil
}

// checkSandboxInput checks what SandboxSpec relies on.
func checkSandboxInput(in SandboxInput) error {
	switch {
	case in.Config == nil:
		return invalid(sandboxScope, "config", "missing")
	case !path.IsAbs(in.RootfsPath):
		return invalid(sandboxScope, "rootfs", "%q is not an absolute path", in.RootfsPath)
	case len(in.PauseArgs) == 0:
		return invalid(sandboxScope, "pause args", "missing")
	}
	return checkID(in.ID, sandboxScope)
}

// sandboxUser is the pause process's identity: the pod's run_as_user and
// run_as_group, each defaulting to 65535, and its supplemental groups.
func sandboxUser(sc *runtime.LinuxSandboxSecurityContext) (specs.User, error) {
	u := specs.User{UID: pauseID, GID: pauseID}
	for _, id := range []struct {
		v     *runtime.Int64Value
		to    *uint32
		field string
	}{
		{sc.GetRunAsUser(), &u.UID, "run_as_user"},
		{sc.GetRunAsGroup(), &u.GID, "run_as_group"},
	} {
		if id.v == nil {
			continue
		}
		if id.v.GetValue() < 0 || id.v.GetValue() >= 1<<32-1 {
			return u, invalid(sandboxScope, "linux.security_context."+id.field, "%d is out of range", id.v.GetValue())
		}
		*id.to = uint32(id.v.GetValue())
	}
	var groups []uint32
	for _, g := range sc.GetSupplementalGroups() {
		if g < 0 || g >= 1<<32-1 {
			return u, invalid(sandboxScope, "linux.security_context.supplemental_groups", "%d is out of range", g)
		}
		groups = append(groups, uint32(g))
	}
	u.AdditionalGids = sortedGIDs(u.GID, groups)
	return u, nil
}

// sandboxProcess is the pause process: no capabilities at all (an empty,
// non-nil set, or runc would keep root's), no_new_privs.
func sandboxProcess(in SandboxInput, usr specs.User) *specs.Process {
	adj := max(pauseOOMScoreAdj, in.MinOOMScoreAdj)
	return &specs.Process{
		Args: append([]string{}, in.PauseArgs...),
		Env:  processEnv(),
		Cwd:  "/",
		User: usr,
		Capabilities: &specs.LinuxCapabilities{
			Bounding: []string{}, Effective: []string{}, Permitted: []string{},
			Inheritable: []string{}, Ambient: []string{},
		},
		NoNewPrivileges: true,
		OOMScoreAdj:     &adj,
	}
}

// sandboxMounts are the kernel filesystems, the pod's /dev/shm and,
// read-only, the pod's files.
func sandboxMounts(in SandboxInput) []specs.Mount {
	ms := append(kernelMounts(false), shmMount(in.ShmPath))
	return append(ms, podFileMounts(map[string]string{
		"/etc/hostname": in.HostnamePath, "/etc/hosts": in.HostsPath, "/etc/resolv.conf": in.ResolvConfPath,
	}, true)...)
}
