package oci

import (
	"fmt"
	"path"
	"strings"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// cgroupPrefix names skiff's cgroups, as cri-o's "crio-<id>".
const cgroupPrefix = "skiff"

// Parents used when the pod has none.
const (
	defaultCgroupfsParent = "/skiff"
	defaultSystemdParent  = "system.slice"
)

// cgroupsPath is the container's cgroups path under the pod's parent:
// "<parent>/skiff-<id>" for cgroupfs, "<slice>:skiff:<id>" for systemd
// (libcontainer's slice:prefix:name form, a scope skiff-<id>.scope).
func cgroupsPath(manager, parent, id string) (string, error) {
	switch manager {
	case CgroupfsManager:
		if parent == "" {
			parent = defaultCgroupfsParent
		}
		// A relative path would be relative to the shim's own cgroup.
		return path.Join("/", parent, cgroupPrefix+"-"+id), nil
	case SystemdManager:
		if parent == "" {
			parent = defaultSystemdParent
		}
		if !strings.HasSuffix(parent, ".slice") || strings.ContainsAny(parent, "/:") {
			return "", invalid(sandboxScope, "linux.cgroup_parent", "%q is not a systemd slice name", parent)
		}
		return parent + ":" + cgroupPrefix + ":" + id, nil
	}
	return "", fmt.Errorf("oci: cgroup manager %q is neither %q nor %q: %w", manager, CgroupfsManager, SystemdManager, errdefs.ErrInvalidArgument)
}

// checkID accepts ids that are safe in paths and cgroup names.
func checkID(id, scope string) error {
	if id == "" || strings.Trim(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") != "" || strings.HasPrefix(id, ".") {
		return fmt.Errorf("%s: id %q: must be letters, digits, '_', '-' and '.', not first: %w", scope, id, errdefs.ErrInvalidArgument)
	}
	return nil
}
