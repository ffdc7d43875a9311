package oci

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

const nsField = "linux.security_context.namespace_options"

// checkUserns accepts the host user namespace only: mode POD would need
// id-mapped rootfs and mounts, which skiff does not do yet.
func checkUserns(ns *runtime.NamespaceOption, scope string) error {
	u := ns.GetUsernsOptions()
	switch {
	case u == nil || u.GetMode() == runtime.NamespaceMode_NODE:
		return nil
	case u.GetMode() == runtime.NamespaceMode_POD:
		return classed(errdefs.ErrNotImplemented, scope, nsField+".userns_options", "user namespaces are not supported yet")
	}
	return invalid(scope, nsField+".userns_options.mode", "%s: only POD and NODE are valid", u.GetMode())
}

// containerNamespaces joins the pod's namespaces: its pinned netns, and
// the pause process's ipc and uts, unless the pod uses the host's. The pid
// namespace follows the container's own mode: the pod's (the pause
// process's), its own, the host's, or another container's (TARGET). A
// container gets its own mount namespace, and a cgroup one on cgroup v2.
func containerNamespaces(in ContainerInput) ([]specs.LinuxNamespace, error) {
	pod := in.Sandbox.Config.GetLinux().GetSecurityContext().GetNamespaceOptions()
	ctr := in.Config.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if err := checkUserns(ctr, containerScope); err != nil {
		return nil, err
	}
	if ctr == nil {
		ctr = pod
	}
	pid, err := containerPIDNamespace(ctr, in)
	if err != nil {
		return nil, err
	}
	nss := pid
	join := func(t specs.LinuxNamespaceType, path string) {
		nss = append(nss, specs.LinuxNamespace{Type: t, Path: path})
	}
	if pod.GetNetwork() != runtime.NamespaceMode_NODE {
		netns := in.Sandbox.NetNSPath
		if netns == "" {
			if netns, err = pauseNS(in.Sandbox, "net"); err != nil {
				return nil, err
			}
		}
		join(specs.NetworkNamespace, netns)
	}
	for _, ns := range []struct {
		typ  specs.LinuxNamespaceType
		name string
		host bool
	}{
		{specs.IPCNamespace, "ipc", pod.GetIpc() == runtime.NamespaceMode_NODE},
		{specs.UTSNamespace, "uts", pod.GetNetwork() == runtime.NamespaceMode_NODE},
	} {
		if ns.host {
			continue
		}
		path, err := pauseNS(in.Sandbox, ns.name)
		if err != nil {
			return nil, err
		}
		join(ns.typ, path)
	}
	join(specs.MountNamespace, "")
	if in.Features.CgroupV2 {
		join(specs.CgroupNamespace, "")
	}
	return nss, nil
}

// containerPIDNamespace is the container's pid namespace, if any.
func containerPIDNamespace(ns *runtime.NamespaceOption, in ContainerInput) ([]specs.LinuxNamespace, error) {
	switch ns.GetPid() {
	case runtime.NamespaceMode_NODE:
		return nil, nil
	case runtime.NamespaceMode_CONTAINER:
		return []specs.LinuxNamespace{{Type: specs.PIDNamespace}}, nil
	case runtime.NamespaceMode_POD:
		path, err := pauseNS(in.Sandbox, "pid")
		return []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: path}}, err
	case runtime.NamespaceMode_TARGET:
		if ns.GetTargetId() == "" {
			return nil, invalid(containerScope, nsField+".target_id", "empty with pid mode TARGET")
		}
		if in.TargetPID <= 0 {
			return nil, classed(errdefs.ErrFailedPrecondition, containerScope, nsField+".target_id",
				"target container %s is not running", ns.GetTargetId())
		}
		return []specs.LinuxNamespace{{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", in.TargetPID)}}, nil
	}
	return nil, invalid(containerScope, nsField+".pid", "unknown mode %d", ns.GetPid())
}

// pauseNS is the path of a namespace of the pod's pause process.
func pauseNS(sb Sandbox, name string) (string, error) {
	if sb.PausePID <= 0 {
		return "", fmt.Errorf("pod sandbox %s has no running pause process to join its %s namespace: %w",
			sb.ID, name, errdefs.ErrFailedPrecondition)
	}
	return fmt.Sprintf("/proc/%d/ns/%s", sb.PausePID, name), nil
}

// sandboxNamespaces are the pause container's: it owns the pod's mount,
// ipc, uts and pid namespaces (each unless the pod uses the host's; the
// pid one also when containers have their own) and joins the pinned
// netns.
func sandboxNamespaces(in SandboxInput) ([]specs.LinuxNamespace, error) {
	ns := in.Config.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if err := checkUserns(ns, sandboxScope); err != nil {
		return nil, err
	}
	var nss []specs.LinuxNamespace
	add := func(t specs.LinuxNamespaceType, path string) {
		nss = append(nss, specs.LinuxNamespace{Type: t, Path: path})
	}
	if ns.GetPid() != runtime.NamespaceMode_NODE {
		add(specs.PIDNamespace, "")
	}
	if ns.GetNetwork() != runtime.NamespaceMode_NODE {
		if in.NetNSPath == "" {
			return nil, fmt.Errorf("%s: no network namespace was pinned for the pod: %w", sandboxScope, errdefs.ErrFailedPrecondition)
		}
		add(specs.NetworkNamespace, in.NetNSPath)
	}
	if ns.GetIpc() != runtime.NamespaceMode_NODE {
		add(specs.IPCNamespace, "")
	}
	if ns.GetNetwork() != runtime.NamespaceMode_NODE {
		add(specs.UTSNamespace, "")
	}
	add(specs.MountNamespace, "")
	if in.Features.CgroupV2 {
		add(specs.CgroupNamespace, "")
	}
	return nss, nil
}
