package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/moby/sys/mountinfo"
)

// removeState keeps the daemons' logs (moved to dir-logs) and removes
// dir, detaching whatever a runtime left mounted below it (reported).
func removeState(dir string, keep bool) error {
	logs := dir + "-logs"
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return err
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*", "*.log"))
	for _, f := range found {
		_ = os.Rename(f, filepath.Join(logs, filepath.Base(f)))
	}
	fmt.Printf("bench: daemon logs in %s\n", logs)
	if keep {
		return nil
	}
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		fmt.Fprintf(os.Stderr, "bench: left over: mount %s; detaching it\n", m)
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	return os.RemoveAll(dir)
}

// mountsUnder returns the mount points below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	if err != nil {
		return nil, err
	}
	var under []string
	for _, m := range ms {
		if m.Mountpoint != dir {
			under = append(under, m.Mountpoint)
		}
	}
	sort.Slice(under, func(i, j int) bool { return len(under[i]) > len(under[j]) })
	return under, nil
}
