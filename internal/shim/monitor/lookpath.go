package monitor

import (
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// commandExists reports whether req's command names a file in the
// container, looked up as the exec'd process would have: a name with a
// slash from its working directory, any other in each directory of its
// PATH. It tells a command that is not there (exit code 127) from one
// that is there but cannot run (126) when the exec failed, without
// reading the failure's text.
func (c *container) commandExists(req *api.ExecRequest) bool {
	root, err := os.Open("/proc/" + strconv.Itoa(c.state().Pid) + "/root")
	if err != nil {
		return false
	}
	defer root.Close()
	var env []string
	var cwd string
	if sp, err := c.process(); err == nil {
		env, cwd = sp.Env, sp.Cwd
	}
	if len(req.Env) > 0 {
		env = req.Env
	}
	if req.Cwd != "" {
		cwd = req.Cwd
	}
	for _, p := range candidates(req.Cmd[0], env, cwd) {
		if fileIn(root, p) {
			return true
		}
	}
	return false
}

// candidates are the paths, in the container, that name may run from.
func candidates(name string, env []string, cwd string) []string {
	if strings.Contains(name, "/") {
		return []string{inDir(cwd, name)}
	}
	var out []string
	for _, kv := range env {
		pathList, ok := strings.CutPrefix(kv, "PATH=")
		if !ok {
			continue
		}
		out = out[:0] // the last PATH wins
		for dir := range strings.SplitSeq(pathList, ":") {
			out = append(out, inDir(cwd, path.Join(dir, name)))
		}
	}
	return out
}

// inDir is p from directory dir: p itself if absolute.
func inDir(dir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join("/", dir, p)
}

// fileIn reports whether p, resolved inside root (symlinks included),
// exists.
func fileIn(root *os.File, p string) bool {
	fd, err := unix.Openat2(int(root.Fd()), strings.TrimPrefix(p, "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}
