package oci

import (
	"path"
	"slices"
	"strings"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// defaultMaskedPaths are hidden from an unprivileged container: kubelet's
// default list plus /proc/interrupts, as containerd has it.
var defaultMaskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

// defaultReadonlyPaths are read-only in an unprivileged container.
var defaultReadonlyPaths = []string{
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
}

// pathLists returns the masked and read-only paths: none for a privileged
// container; else the CRI's lists, or the defaults for a nil list. Over
// gRPC an empty list arrives as nil, so only an in-process caller can ask
// for none with an empty, non-nil list; kubelet sends the defaults itself
// and sends them empty only with procMount Unmasked.
func pathLists(sc *runtime.LinuxContainerSecurityContext) (masked, readonly []string, err error) {
	if sc.GetPrivileged() {
		return nil, nil, nil
	}
	masked, readonly = defaultMaskedPaths, defaultReadonlyPaths
	if sc.GetMaskedPaths() != nil {
		masked = sc.GetMaskedPaths()
	}
	if sc.GetReadonlyPaths() != nil {
		readonly = sc.GetReadonlyPaths()
	}
	if err := absPaths(masked, scField+"masked_paths"); err != nil {
		return nil, nil, err
	}
	if err := absPaths(readonly, scField+"readonly_paths"); err != nil {
		return nil, nil, err
	}
	return slices.Clone(masked), slices.Clone(readonly), nil
}

func absPaths(paths []string, field string) error {
	for _, p := range paths {
		if !path.IsAbs(p) {
			return invalid(containerScope, field, "%q is not an absolute path", p)
		}
	}
	return nil
}

// checkAppArmor accepts what this host can honour without AppArmor: no
// profile, runtime/default and unconfined are no confinement at all. A
// Localhost profile is refused, since nothing could load or enforce it.
// legacy is the deprecated apparmor_profile string, used when p is nil.
func checkAppArmor(p *runtime.SecurityProfile, legacy, scope, field string) error {
	name := ""
	switch {
	case p != nil && p.GetProfileType() == runtime.SecurityProfile_Localhost:
		name = p.GetLocalhostRef()
	case p != nil && p.GetProfileType() != runtime.SecurityProfile_RuntimeDefault &&
		p.GetProfileType() != runtime.SecurityProfile_Unconfined:
		return invalid(scope, field+".profile_type", "unknown type %d", p.GetProfileType())
	case p != nil:
		return nil
	case legacy == "" || legacy == "runtime/default" || legacy == "unconfined":
		return nil
	case strings.HasPrefix(legacy, "localhost/"):
		name, field = strings.TrimPrefix(legacy, "localhost/"), "linux.security_context.apparmor_profile"
	default:
		return invalid(scope, "linux.security_context.apparmor_profile", "unknown profile %q", legacy)
	}
	return classed(errdefs.ErrFailedPrecondition, scope, field,
		"AppArmor profile %q requested, but this host has no AppArmor", name)
}
