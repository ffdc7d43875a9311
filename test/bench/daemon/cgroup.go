package daemon

import (
	"os"
	"path/filepath"
)

// RemoveCgroupParent removes the cgroup directory parent (a cgroupfs path
// such as "/skiff-bench-123") from every hierarchy, deepest first, once
// the runtimes have removed their pods' cgroups below it. Best effort:
// what cannot be removed is returned.
func RemoveCgroupParent(parent string) []string {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", parent))
	if d := filepath.Join("/sys/fs/cgroup", parent); exists(d) {
		dirs = append(dirs, d)
	}
	var left []string
	for _, d := range dirs {
		var sub []string
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				sub = append(sub, p)
			}
			return nil
		})
		for i := len(sub) - 1; i >= 0; i-- {
			if err := os.Remove(sub[i]); err != nil && !os.IsNotExist(err) {
				left = append(left, sub[i])
			}
		}
	}
	return left
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
