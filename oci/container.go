package oci

import (
	"path"
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerSpec builds the runtime spec of a CRI container. It reads the
// container's rootfs (/etc/passwd, /etc/group) and, through in.Host, host
// paths; it creates a CRI bind mount's missing host directory, as
// containerd does. Errors are classed with errdefs (see the package doc).
func ContainerSpec(in ContainerInput) (*specs.Spec, error) {
	if err := checkContainerInput(in); err != nil {
		return nil, err
	}
	b := containerBuilder{in: in, sc: in.Config.GetLinux().GetSecurityContext(), host: hostOrDefault(in.Host)}
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: in.RootfsPath, Readonly: b.sc.GetReadonlyRootfs()},
		Process: &specs.Process{},
		Linux:   &specs.Linux{},
	}
	// mounts comes last: it creates missing bind mount sources, which
	// must not happen for a config that a later step refuses.
	steps := []func(*specs.Spec) error{
		b.process, b.user, b.security, b.namespaces, b.resources, b.devices, b.cgroups, b.mounts,
	}
	for _, step := range steps {
		if err := step(s); err != nil {
			return nil, err
		}
	}
	s.Annotations = containerAnnotations(in)
	return s, nil
}

// checkContainerInput checks what every step relies on.
func checkContainerInput(in ContainerInput) error {
	switch {
	case in.Config == nil:
		return invalid(containerScope, "config", "missing")
	case in.Sandbox.Config == nil:
		return invalid(sandboxScope, "config", "missing")
	case !path.IsAbs(in.RootfsPath):
		return invalid(containerScope, "rootfs", "%q is not an absolute path", in.RootfsPath)
	case in.Config.GetLinux().GetSecurityContext().GetPrivileged() &&
		!in.Sandbox.Config.GetLinux().GetSecurityContext().GetPrivileged():
		return invalid(containerScope, scField+"privileged", "a privileged container needs a privileged pod sandbox")
	}
	if err := checkID(in.ID, containerScope); err != nil {
		return err
	}
	return checkID(in.Sandbox.ID, sandboxScope)
}

// containerBuilder holds what the steps of ContainerSpec share.
type containerBuilder struct {
	in   ContainerInput
	sc   *runtime.LinuxContainerSecurityContext
	host Host
	caps []string // the bounding set, once security has run
}

func (b *containerBuilder) process(s *specs.Spec) error {
	cfg := b.in.Config
	args, err := processArgs(cfg.GetCommand(), cfg.GetArgs(), b.in.Image)
	if err != nil {
		return err
	}
	cwd, err := processCwd(cfg.GetWorkingDir(), b.in.Image)
	if err != nil {
		return err
	}
	env, err := criEnv(cfg.GetEnvs())
	if err != nil {
		return err
	}
	var runtimeEnv []string
	if h := b.in.Sandbox.Config.GetHostname(); h != "" {
		runtimeEnv = append(runtimeEnv, "HOSTNAME="+h)
	}
	if cfg.GetTty() {
		runtimeEnv = append(runtimeEnv, "TERM=xterm")
	}
	s.Process.Args, s.Process.Cwd, s.Process.Terminal = args, cwd, cfg.GetTty()
	s.Process.Env = processEnv(runtimeEnv, b.in.Image.Env, env)
	return checkArgv(containerScope, s.Process.Args, nil, s.Process.Env) // with the image's part
}

func (b *containerBuilder) user(s *specs.Spec) error {
	u, err := containerUser(b.in.RootfsPath, b.sc, b.in.Image)
	s.Process.User = u
	return err
}

func (b *containerBuilder) security(s *specs.Spec) error {
	var err error
	if b.caps, err = capabilitySet(b.sc.GetCapabilities(), b.sc.GetPrivileged(), b.in.Features.Capabilities); err != nil {
		return err
	}
	if s.Process.Capabilities, err = processCapabilities(b.caps, b.sc.GetCapabilities()); err != nil {
		return err
	}
	s.Process.NoNewPrivileges = b.sc.GetNoNewPrivs()
	if s.Linux.MaskedPaths, s.Linux.ReadonlyPaths, err = pathLists(b.sc); err != nil {
		return err
	}
	//nolint:staticcheck // the deprecated field is still sent
	if err := checkAppArmor(b.sc.GetApparmor(), b.sc.GetApparmorProfile(), containerScope, scField+"apparmor"); err != nil {
		return err
	}
	s.Linux.Seccomp, err = containerSeccomp(b.sc, b.caps, b.in.SeccompProfileRoot, goruntime.GOARCH, b.host)
	return err
}

func (b *containerBuilder) mounts(s *specs.Spec) error {
	priv, sb := b.sc.GetPrivileged(), b.in.Sandbox
	defaults := append(kernelMounts(priv), shmMount(sb.ShmPath), cgroupMount(priv))
	files := podFileMounts(map[string]string{
		"/etc/hostname": sb.HostnamePath, "/etc/hosts": sb.HostsPath, "/etc/resolv.conf": sb.ResolvConfPath,
	}, b.sc.GetReadonlyRootfs())
	cri, rootProp, err := criMounts(b.in.Config.GetMounts(), b.host, b.in.Features)
	if err != nil {
		return err
	}
	s.Mounts = mergeMounts(defaults, files, cri)
	s.Linux.RootfsPropagation = rootProp
	return nil
}

func (b *containerBuilder) namespaces(s *specs.Spec) error {
	if err := checkUserns(b.in.Sandbox.Config.GetLinux().GetSecurityContext().GetNamespaceOptions(), sandboxScope); err != nil {
		return err
	}
	nss, err := containerNamespaces(b.in)
	s.Linux.Namespaces = nss
	return err
}

func (b *containerBuilder) resources(s *specs.Spec) error {
	r := b.in.Config.GetLinux().GetResources()
	var err error
	if s.Linux.Resources, err = ContainerResources(r, b.in.Features); err != nil {
		return err
	}
	if s.Process.OOMScoreAdj, err = oomScoreAdj(r.GetOomScoreAdj(), b.in.MinOOMScoreAdj, containerScope, resField+"oom_score_adj"); err != nil {
		return err
	}
	s.Linux.Sysctl, err = podSysctls(b.in.Sandbox.Config)
	return err
}

func (b *containerBuilder) devices(s *specs.Spec) error {
	devs, rules, err := containerDevices(b.in.Config, b.sc.GetPrivileged(), b.host)
	s.Linux.Devices, s.Linux.Resources.Devices = devs, rules
	return err
}

func (b *containerBuilder) cgroups(s *specs.Spec) error {
	p, err := cgroupsPath(b.in.CgroupManager, b.in.Sandbox.CgroupParent, b.in.ID)
	s.Linux.CgroupsPath = p
	return err
}
