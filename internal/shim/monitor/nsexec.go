package monitor

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// The fast exec path: skiff-nsexec, a small static C program beside the
// shim binary, does what libcontainer's setns init does (namespaces,
// cgroups, user, capabilities, no_new_privs, rlimits, umask, keyring,
// oom_score_adj, seccomp) from the exec profile that the create helper stored,
// without re-executing the Go shim binary as libcontainer's init. It
// is taken only when it is exactly equivalent: the container has a
// profile (newExecProfile decided it has no feature the C side lacks),
// the exec asks for no terminal, and skiff-nsexec was built.

// nsexecName is the fast exec program's file name, beside the shim's.
const nsexecName = "skiff-nsexec"

// nsexecPath is skiff-nsexec's path, or "" when it was not built (no C
// compiler): then every exec goes through libcontainer.
var nsexecPath = sync.OnceValue(func() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	p := filepath.Join(filepath.Dir(self), nsexecName)
	if unix.Access(p, unix.X_OK) != nil {
		return ""
	}
	return p
})

// fastExec is what the shim knows of the container's fast exec path,
// read once.
type fastExec struct {
	profile string   // the profile's path; "" when the path is not taken
	env     []string // the spec's env, from the profile
	why     string   // why not, when profile is ""
	logOnce sync.Once
}

// fastExecFor returns the container's fast exec state, reading the
// profile on first use.
func (c *container) fastExecFor() *fastExec {
	c.lcMu.Lock()
	defer c.lcMu.Unlock()
	if c.fast == nil {
		c.fast = loadFastExec(filepath.Join(c.stateRoot, c.id, execProfileName), nsexecPath())
	}
	return c.fast
}

func loadFastExec(profile, nsexec string) *fastExec {
	if nsexec == "" {
		return &fastExec{why: nsexecName + " not built"}
	}
	b, err := os.ReadFile(profile)
	if err != nil {
		return &fastExec{why: "no exec profile (see the create's log)"}
	}
	return &fastExec{profile: profile, env: profileEnv(b)}
}

// useFast reports whether an exec with stdio child takes the fast path,
// and logs the container's first decision.
func (f *fastExec) useFast(child childIO) bool {
	ok := f.profile != "" && child.consoleSocket == nil
	if ok || f.profile == "" { // a terminal is the exec's choice, not the container's
		f.logOnce.Do(func() {
			if ok {
				slog.Info("exec: fast path, " + nsexecName)
			} else {
				slog.Info("exec: through libcontainer", "reason", f.why)
			}
		})
	}
	return ok
}

// startFastExec starts req's command through skiff-nsexec, whose clone
// makes it the shim's child (CLONE_PARENT) in the container's PID
// namespace. The reaper is held off until its pid is watched.
func (c *container) startFastExec(f *fastExec, req *api.ExecRequest, child childIO) (*proc, error) {
	cmd := nsexecCommand(nsexecPath(), f, c.state().Pid, req)
	// A nil file stays unset: os/exec gives /dev/null.
	if child.stdin != nil {
		cmd.Stdin = child.stdin
	}
	if child.stdout != nil {
		cmd.Stdout = child.stdout
	}
	if child.stderr != nil {
		cmd.Stderr = child.stderr
	}
	var pidfd int
	_, exited, err := c.reaper.spawn(func() (int, error) {
		pid, err := runNsexec(cmd)
		if err != nil {
			return 0, err
		}
		if pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
			return 0, fmt.Errorf("exec: pidfd of %d: %w", pid, err)
		}
		return pid, nil
	})
	if err != nil {
		return nil, err
	}
	var once sync.Once
	return &proc{
		exited: exited,
		signal: func(s os.Signal) error {
			return unix.PidfdSendSignal(pidfd, s.(syscall.Signal), nil, 0)
		},
		release: func() { once.Do(func() { unix.Close(pidfd) }) },
	}, nil
}

// nsexecCommand is the skiff-nsexec command line for req in the
// container whose init is pid: the profile's user and cwd unless req
// overrides them; the environment is the command's.
func nsexecCommand(path string, f *fastExec, pid int, req *api.ExecRequest) *exec.Cmd {
	args := []string{nsexecName}
	if u := req.User; u != nil {
		gs := make([]string, len(u.AdditionalGids))
		for i, g := range u.AdditionalGids {
			gs[i] = strconv.FormatUint(uint64(g), 10)
		}
		args = append(args, "-u", strconv.FormatUint(uint64(u.UID), 10), "-g", strconv.FormatUint(uint64(u.GID), 10))
		if len(gs) > 0 {
			args = append(args, "-G", strings.Join(gs, ","))
		}
	}
	if req.Cwd != "" {
		args = append(args, "-c", req.Cwd)
	}
	args = append(args, f.profile, strconv.Itoa(pid), "--")
	env := f.env
	if len(req.Env) > 0 {
		env = req.Env
	}
	return &exec.Cmd{Path: path, Args: append(args, req.Cmd...), Env: execEnv(env)}
}

// execEnv is env as libcontainer's init passes it to the command: the
// last of each name kept, in the order of the last occurrences, an empty
// HOME dropped (skiff-nsexec then sets HOME from the container's
// /etc/passwd, as libcontainer does when HOME is unset).
func execEnv(env []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(env)+1)
	for i := len(env) - 1; i >= 0; i-- {
		k, v, _ := strings.Cut(env[i], "=")
		if seen[k] {
			continue
		}
		seen[k] = true
		if k == "HOME" && v == "" {
			continue
		}
		out = append(out, env[i])
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// runNsexec runs cmd with the report pipe on its fd 3 and waits for it:
// the pid of the command's process, or the step that failed before
// execve. The caller holds the reaper off.
func runNsexec(cmd *exec.Cmd) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	defer r.Close()
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 0, fmt.Errorf("exec: %w", err)
	}
	pid, step, errno := parseReport(bufio.NewScanner(r))
	werr := cmd.Wait()
	if step != "" {
		return 0, nsexecError(step, errno, cmd.Args[len(cmd.Args)-lenCmd(cmd.Args):])
	}
	if pid <= 0 {
		return 0, fmt.Errorf("exec: %s reported no process (%v)", nsexecName, werr)
	}
	return pid, nil
}

// lenCmd is how many of args are the command, after "--".
func lenCmd(args []string) int {
	for i, a := range args {
		if a == "--" {
			return len(args) - i - 1
		}
	}
	return 0
}

// parseReport reads skiff-nsexec's report: "pid N", "err STEP ERRNO".
func parseReport(s *bufio.Scanner) (pid int, step string, errno syscall.Errno) {
	for s.Scan() {
		f := strings.Fields(s.Text())
		switch {
		case len(f) == 2 && f[0] == "pid":
			pid, _ = strconv.Atoi(f[1])
		case len(f) == 3 && f[0] == "err" && step == "":
			n, _ := strconv.Atoi(f[2])
			step, errno = f[1], syscall.Errno(n)
		}
	}
	return pid, step, errno
}

// nsexecError is the error of an exec that failed before execve, worded
// as libcontainer's and without a wire code, as libcontainer's are (a
// missing command is gRPC Unknown to ExecSync, exit code 127 to a
// streaming exec, either way).
func nsexecError(step string, errno syscall.Errno, cmd []string) error {
	name := ""
	if len(cmd) > 0 {
		name = cmd[0]
	}
	var msg string
	switch {
	case step == "lookpath" && errno == unix.ENOENT && !strings.Contains(name, "/"):
		msg = fmt.Sprintf("exec: %q: executable file not found in $PATH", name)
	case step == "lookpath" || step == "exec":
		msg = fmt.Sprintf("exec: %q: stat %s: %v", name, name, errno)
	case step == "seccomp":
		msg = fmt.Sprintf("error loading seccomp filter into kernel: error loading seccomp filter: %v", errno)
	case step == "seccomp_nnp":
		msg = fmt.Sprintf("unable to init seccomp: error loading seccomp filter into kernel: error loading seccomp filter: %v", errno)
	case step == "chdir":
		msg = fmt.Sprintf("chdir to cwd set in config.json failed: %v", errno)
	default:
		msg = fmt.Sprintf("%s: %v", step, errno)
	}
	return &api.Error{Message: "exec: unable to start container process: " + msg}
}
