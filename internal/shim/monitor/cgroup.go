package monitor

import (
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// joinCgroup moves the calling process, "skiff-shim start", into the
// shims' cgroup, out of skiffd's, where it starts the long-lived shim, so
// that a restart of skiffd (systemd stops its unit's cgroup) or a
// memory limit on skiffd never touches it. path is either a cgroupfs path
// (e.g. /skiff-shims, shared by the shims), joined on every v1 hierarchy
// and the unified one, or in the v2 hierarchy; or libcontainer's systemd
// form "slice:prefix:name", a transient scope prefix-name.scope in slice
// that systemd makes (and drops once the shim, the last process in it,
// has exited). Both go through libcontainer's cgroup managers, as the
// container's own cgroups.
func joinCgroup(path string) error {
	cg := &cgroups.Cgroup{Resources: &cgroups.Resources{}}
	if slice, prefix, name, ok := api.SystemdUnit(path); ok {
		cg.Systemd, cg.Parent, cg.ScopePrefix, cg.Name = true, slice, prefix, name
	} else if strings.HasPrefix(path, "/") {
		cg.Path = path
	} else {
		return api.Errorf(api.CodeInvalidArgument, "shim cgroup %q is neither an absolute path nor slice:prefix:name", path)
	}
	m, err := manager.New(cg)
	if err == nil {
		err = m.Apply(os.Getpid())
	}
	if err != nil {
		return fmt.Errorf("join shim cgroup %s: %w", path, err)
	}
	return nil
}
