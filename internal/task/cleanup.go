package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// cleanupPoll is how often cleanup looks whether the killed processes
// have left the cgroup.
const cleanupPoll = 20 * time.Millisecond

// cleanup removes what a shim that died before destroying its container
// left behind (libcontainer.Load then fails, so runc's own Destroy is out
// of reach): it kills the processes still in the container's cgroup,
// removes the cgroups and libcontainer's state directory stateRoot/id.
//
// The cgroup paths recorded in the state directory are used when they
// are there; otherwise cgroupPath, the spec's linux.cgroupsPath: an
// absolute cgroupfs path or a systemd scope "slice:prefix:name" (a
// relative path would be relative to the dead shim's own cgroup, and is
// refused; an empty one skips the cgroups). Parent cgroups are left
// alone. cleanup is idempotent: nothing left is no error.
func cleanup(ctx context.Context, stateRoot, id, cgroupPath string) error {
	if id == "" || id != filepath.Base(id) || id == "." || id == ".." {
		return fmt.Errorf("shim cleanup: %w: bad container id %q", errdefs.ErrInvalidArgument, id)
	}
	stateDir := filepath.Join(stateRoot, id)
	paths, err := recordedCgroups(stateDir)
	if err != nil {
		return fmt.Errorf("shim cleanup %s: %w", id, err)
	}
	if paths != nil || cgroupPath != "" {
		if err := removeCgroups(ctx, cgroupPath, paths); err != nil {
			return fmt.Errorf("shim cleanup %s: %w", id, err)
		}
	}
	if err := os.RemoveAll(stateDir); err != nil {
		return fmt.Errorf("shim cleanup %s: %w", id, err)
	}
	return nil
}

// removeCgroups kills the processes in the cgroups at paths, or at
// cgroupPath when paths is nil, and removes the cgroups.
func removeCgroups(ctx context.Context, cgroupPath string, paths map[string]string) error {
	cg := &cgroups.Cgroup{Path: cgroupPath, Resources: &cgroups.Resources{}}
	if slice, prefix, name, ok := api.SystemdUnit(cgroupPath); ok && paths == nil {
		// A scope: systemd knows where it is, and stops it on Destroy.
		cg = &cgroups.Cgroup{Systemd: true, Parent: slice, ScopePrefix: prefix, Name: name, Resources: cg.Resources}
	} else if paths == nil && !filepath.IsAbs(cgroupPath) {
		return fmt.Errorf("%w: cgroup path %q is neither absolute nor slice:prefix:name", errdefs.ErrInvalidArgument, cgroupPath)
	}
	cm, err := manager.NewWithPaths(cg, paths)
	if err != nil {
		return fmt.Errorf("cgroup manager: %w", err)
	}
	if err := killCgroup(ctx, cm); err != nil {
		return err
	}
	if err := cm.Destroy(); err != nil {
		return fmt.Errorf("remove cgroups: %w", err)
	}
	return nil
}

// recordedCgroups returns the cgroup paths in libcontainer's state.json
// under stateDir, or nil if there is none.
func recordedCgroups(stateDir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st struct {
		CgroupPaths map[string]string `json:"cgroup_paths"`
	}
	if err := json.Unmarshal(b, &st); err != nil || len(st.CgroupPaths) == 0 {
		return nil, nil // a torn state file: fall back to cgroupPath
	}
	return st.CgroupPaths, nil
}

// killCgroup SIGKILLs every process in the cgroup (with cgroup.kill
// where the kernel has it, else frozen, listed and killed) and waits
// until the cgroup is empty.
func killCgroup(ctx context.Context, cm cgroups.Manager) error {
	for {
		pids, err := cm.GetAllPids()
		if errors.Is(err, os.ErrNotExist) || (err == nil && len(pids) == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list cgroup processes: %w", err)
		}
		if p := cm.Path(""); p == "" || cgroups.WriteFile(p, "cgroup.kill", "1") != nil {
			_ = cm.Freeze(cgroups.Frozen)
			for _, pid := range pids {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
			_ = cm.Freeze(cgroups.Thawed)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("processes left in the cgroup: %w", ctxError(ctx, "cleanup"))
		case <-time.After(cleanupPoll):
		}
	}
}
