package runner

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
)

// HostCgroups removes pod cgroups from every cgroupfs hierarchy of the
// host (v1 controllers and the unified one). The runtime removes the
// containers' own cgroups; the pod's directory, which it created as a
// parent, stays behind otherwise.
type HostCgroups struct{}

// RemovePod removes parent, a cgroupfs path, from each hierarchy.
func (HostCgroups) RemovePod(parent string) error {
	mounts, err := mountinfo.GetMounts(func(m *mountinfo.Info) (bool, bool) {
		return m.FSType != "cgroup" && m.FSType != "cgroup2", false
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range mounts {
		err := os.Remove(filepath.Join(m.Mountpoint, parent))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
