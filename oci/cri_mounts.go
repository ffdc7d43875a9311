package oci

import (
	"fmt"
	"path"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// extraMountOptions are the CRI mount_options a bind mount may carry: ones
// that only take rights away or change time stamps.
var extraMountOptions = []string{
	"nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime", "strictatime", "nosymfollow",
}

// criMounts converts the CRI mounts into bind mounts and returns the root
// propagation they need: rshared with a bidirectional mount, rslave with
// a host-to-container one, else "" (runc's rprivate). Image volumes (a
// mount with an image instead of a host path) are skipped. Every mount is
// checked before the host is touched: only then are missing sources
// created (Host.BindSource), so that a refused config creates nothing.
func criMounts(ms []*runtime.Mount, host Host, f HostFeatures) ([]specs.Mount, string, error) {
	var out []specs.Mount
	rootProp := ""
	seen := map[string]bool{}
	for i, m := range ms {
		if m.GetImage() != nil {
			continue
		}
		field := fmt.Sprintf("mounts[%d]", i)
		dst, err := criMountPaths(m, field)
		if err != nil {
			return nil, "", err
		}
		if seen[dst] {
			return nil, "", invalid(containerScope, field+".container_path", "%s is mounted twice", dst)
		}
		seen[dst] = true
		opts, err := bindOptions(m, f, field)
		if err != nil {
			return nil, "", err
		}
		prop, err := bindPropagation(m, m.GetHostPath(), host, field)
		if err != nil {
			return nil, "", err
		}
		rootProp = strongerPropagation(rootProp, prop)
		out = append(out, specs.Mount{Destination: dst, Type: "bind", Source: m.GetHostPath(), Options: append([]string{"rbind", prop}, opts...)})
	}
	for i := range out {
		src, err := host.BindSource(out[i].Source)
		if err != nil {
			return nil, "", fmt.Errorf("%s: mounts: host_path %s: %w: %w", containerScope, out[i].Source, errdefs.ErrInvalidArgument, err)
		}
		out[i].Source = src
	}
	return out, rootProp, nil
}

// criMountPaths checks a mount's paths and returns its clean destination.
func criMountPaths(m *runtime.Mount, field string) (string, error) {
	if err := checkHostPath(containerScope, field+".container_path", m.GetContainerPath()); err != nil {
		return "", err
	}
	if path.Clean(m.GetContainerPath()) == "/" {
		return "", invalid(containerScope, field+".container_path", "a mount over the container's root")
	}
	if err := checkHostPath(containerScope, field+".host_path", m.GetHostPath()); err != nil {
		return "", err
	}
	if len(m.GetUidMappings()) > 0 || len(m.GetGidMappings()) > 0 {
		return "", classed(errdefs.ErrNotImplemented, containerScope, field,
			"id-mapped mounts need user namespaces, which are not supported yet")
	}
	return path.Clean(m.GetContainerPath()), nil
}

// bindPropagation is the mount's propagation option. Host-to-container
// needs a shared or slave host mount and bidirectional a shared one, or
// nothing would propagate.
func bindPropagation(m *runtime.Mount, src string, host Host, field string) (string, error) {
	var want []string
	var opt string
	switch m.GetPropagation() {
	case runtime.MountPropagation_PROPAGATION_PRIVATE:
		return "rprivate", nil
	case runtime.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
		want, opt = []string{"shared", "slave"}, "rslave"
	case runtime.MountPropagation_PROPAGATION_BIDIRECTIONAL:
		want, opt = []string{"shared"}, "rshared"
	default:
		return "", invalid(containerScope, field+".propagation", "unknown propagation %d", m.GetPropagation())
	}
	got, err := host.Propagation(src)
	if err != nil {
		return "", fmt.Errorf("%s: %s.host_path: propagation of %s: %w: %w", containerScope, field, src, errdefs.ErrInternal, err)
	}
	if !slices.Contains(want, got) {
		return "", classed(errdefs.ErrFailedPrecondition, containerScope, field+".propagation",
			"%s needs the host mount holding %s to be %v, it is %s", m.GetPropagation(), src, want, got)
	}
	return opt, nil
}

// strongerPropagation is the root propagation that serves both: rshared
// over rslave over none.
func strongerPropagation(root, opt string) string {
	switch {
	case opt == "rshared" || root == "rshared":
		return "rshared"
	case opt == "rslave" || root == "rslave":
		return "rslave"
	}
	return root
}

// bindOptions are a CRI bind mount's options after rbind and the
// propagation: rw, ro or rro (recursive read-only, which needs readonly
// and private propagation), then the CRI's own options.
func bindOptions(m *runtime.Mount, f HostFeatures, field string) ([]string, error) {
	mode := rwOption(!m.GetReadonly())
	if m.GetRecursiveReadOnly() {
		switch {
		case !m.GetReadonly():
			return nil, invalid(containerScope, field+".recursive_read_only", "needs readonly")
		case m.GetPropagation() != runtime.MountPropagation_PROPAGATION_PRIVATE:
			return nil, invalid(containerScope, field+".recursive_read_only", "needs PROPAGATION_PRIVATE, not %s", m.GetPropagation())
		case !f.RecursiveReadOnly:
			return nil, classed(errdefs.ErrFailedPrecondition, containerScope, field+".recursive_read_only",
				"the kernel cannot make mounts recursively read-only (Linux >= 5.12 needed)")
		}
		mode = "rro"
	}
	opts := []string{mode}
	for _, o := range m.GetMountOptions() {
		if !slices.Contains(extraMountOptions, o) {
			return nil, invalid(containerScope, field+".mount_options", "%q is not one of %v", o, extraMountOptions)
		}
		if !slices.Contains(opts, o) {
			opts = append(opts, o)
		}
	}
	return opts, nil
}
