package monitor

import (
	"bufio"
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/skiffrt/skiff/internal/log"
)

// joinCgroup moves the shim into path (e.g. /skiff-shims) on every
// mounted cgroup hierarchy, each v1 one and the v2 one, creating it where
// needed, so that the shim leaves skiffd's cgroups. Failures are logged:
// a shim left in skiffd's cgroup still works.
func joinCgroup(path string) {
	pid := []byte(strconv.Itoa(os.Getpid()))
	for _, m := range cgroupMounts() {
		dir := filepath.Join(m.point, filepath.Clean("/"+path))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			slog.Warn("shim cgroup", "dir", dir, log.KeyError, err)
			continue
		}
		if m.cpuset {
			initCpuset(m.point, dir)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), pid, 0); err != nil {
			slog.Warn("join shim cgroup", "dir", dir, log.KeyError, err)
		}
	}
}

type cgroupMount struct {
	point  string
	cpuset bool // a v1 hierarchy with the cpuset controller
}

// cgroupMounts lists the cgroup hierarchies mounted in the shim's mount
// namespace, from /proc/self/mountinfo.
func cgroupMounts() []cgroupMount {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		slog.Warn("read mountinfo", log.KeyError, err)
		return nil
	}
	var out []cgroupMount
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// 36 35 98:0 / /mnt rw,noatime master:1 - cgroup cgroup rw,cpuset
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || f[3] != "/" {
			continue
		}
		if g[0] != "cgroup" && g[0] != "cgroup2" {
			continue
		}
		super := g[2] // the hierarchy's controllers; one mount per hierarchy
		if seen[super] {
			continue
		}
		seen[super] = true
		cpuset := g[0] == "cgroup" && hasOpt(super, "cpuset")
		out = append(out, cgroupMount{point: unescape(f[4]), cpuset: cpuset})
	}
	return out
}

func hasOpt(opts, name string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == name {
			return true
		}
	}
	return false
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	if u, err := strconv.Unquote(`"` + s + `"`); err == nil {
		return u
	}
	return s
}

// initCpuset gives each new cpuset cgroup from root down to dir its
// parent's cpus and mems: a v1 cpuset cgroup starts empty and takes no
// process until both are set.
func initCpuset(root, dir string) {
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return
	}
	parent := root
	for part := range strings.SplitSeq(rel, "/") {
		cur := filepath.Join(parent, part)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, _ := os.ReadFile(filepath.Join(cur, f))
			if len(bytes.TrimSpace(v)) > 0 {
				continue
			}
			pv, _ := os.ReadFile(filepath.Join(parent, f))
			if err := os.WriteFile(filepath.Join(cur, f), pv, 0); err != nil {
				slog.Warn("init cpuset", "dir", cur, "file", f, log.KeyError, err)
			}
		}
		parent = cur
	}
}
