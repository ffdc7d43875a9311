package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"github.com/skiffrt/skiff/internal/shim/api"
)

// Launch is "skiff-shim start": it moves itself into the shim cgroup
// (opts.ShimCgroup), starts "skiff-shim run" there with the other options
// in a new session, stdin and stdout on /dev/null and stderr on the shim
// log, waits for its report (the container created, or why not), prints
// it on stdout as one api.Ready JSON line and returns. The long-lived
// shim is then reparented to init (or the nearest subreaper): it never
// stays a child of skiffd.
func Launch(opts api.Options, stdout io.Writer) error {
	rd := launch(opts)
	if err := json.NewEncoder(stdout).Encode(rd); err != nil {
		return err
	}
	if rd.Error != nil {
		return rd.Error
	}
	return nil
}

func launch(opts api.Options) *api.Ready {
	logf, err := os.OpenFile(opts.ShimLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return &api.Ready{Error: api.Errorf(api.CodeInvalidArgument, "shim log: %v", err)}
	}
	defer logf.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return &api.Ready{Error: api.AsError(err)}
	}
	defer r.Close()
	// The long-lived shim is born in the shim cgroup instead of moving
	// itself there: the cgroup library's work (mountinfo parsed, the
	// hierarchies walked, a write to each) is done here, in a process
	// that exits, not in one that keeps all it has touched (its heap
	// never shrinks while idle). Measured, 10 idle shims: PSS 1.88 ->
	// 1.82 MB each, anonymous 1.05 -> 1.02 MB.
	if opts.ShimCgroup != "" {
		if err := joinCgroup(opts.ShimCgroup); err != nil {
			return &api.Ready{Error: api.AsError(err)}
		}
		opts.ShimCgroup = ""
	}
	// /proc/self/exe: the very binary that runs now, even if the file
	// has been replaced since.
	cmd := exec.Command("/proc/self/exe", append([]string{"run"}, opts.Args()...)...)
	cmd.Args[0] = Name // its cmdline; SetProcessName sets its comm
	cmd.Stderr = logf
	// One P from the runtime's first instruction, not from main on: with
	// the machine's CPU count the runtime starts more Ms and per-P caches
	// during setup, which stay. Measured, 20 shims side by side: 2.61 MB
	// PSS each (2.22 MB anonymous) without, 2.37 (1.95) with. The
	// container's processes do not inherit it: libcontainer execs them
	// with the spec's environment.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.ExtraFiles = []*os.File{w} // fd 3: the report
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return &api.Ready{Error: api.AsError(fmt.Errorf("start shim: %w", err))}
	}
	var rd api.Ready
	if err := json.NewDecoder(r).Decode(&rd); err != nil {
		werr := cmd.Wait()
		return &api.Ready{Error: api.Errorf("", "shim exited before reporting (%v); see %s", werr, opts.ShimLog)}
	}
	if rd.Error != nil {
		cmd.Wait() // it exits right after reporting a failure
		return &rd
	}
	cmd.Process.Release()
	return &rd
}
