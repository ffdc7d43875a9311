package api

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// maxSocketPath is the longest path a unix socket address holds.
const maxSocketPath = 107

// Options is the command line of "skiff-shim start" and "skiff-shim run":
// one container and where its shim keeps things.
type Options struct {
	ID        string // libcontainer ID of the container
	Bundle    string // OCI bundle: config.json, and the rootfs it names
	StateRoot string // libcontainer's state root; the container's state is StateRoot/ID
	LogPath   string // CRI log file; empty discards the output
	Socket    string // the shim's unix socket
	ExitFile  string // where the exit is recorded
	ShimLog   string // the shim's own log (its stderr); default Bundle/shim.log
	// ShimCgroup, when set, is the cgroup "skiff-shim start" moves itself
	// into before it starts the long-lived shim, which is born there, out
	// of skiffd's ("skiff-shim run" ignores it): a cgroupfs path (e.g.
	// /skiff-shims) or libcontainer's systemd form "slice:prefix:name" (a
	// transient scope prefix-name.scope in slice).
	ShimCgroup string
	// RestoreFrom, when set, is a directory of CRIU images: the shim
	// restores the container's processes from them (libcontainer's
	// Restore), running at once, instead of creating its process.
	RestoreFrom string
	// CRIU is the criu binary a restore runs; "" runs criu from PATH.
	CRIU string
	// SeccompCache is the directory of the seccomp programs the shims
	// export for the exec fast path, shared by all; "" exports one per
	// container.
	SeccompCache string
	Stdin        bool // give the process a stdin (held open by the shim)
	// StdinOnce closes the process's stdin when the first attach that
	// streamed it ends.
	StdinOnce bool
}

// Args returns o as command-line flags that ParseOptions reads back.
func (o Options) Args() []string {
	args := []string{
		"--id", o.ID, "--bundle", o.Bundle, "--state-root", o.StateRoot,
		"--log", o.LogPath, "--socket", o.Socket, "--exit-file", o.ExitFile,
	}
	if o.ShimLog != "" {
		args = append(args, "--shim-log", o.ShimLog)
	}
	if o.ShimCgroup != "" {
		args = append(args, "--shim-cgroup", o.ShimCgroup)
	}
	if o.RestoreFrom != "" {
		args = append(args, "--restore-from", o.RestoreFrom)
	}
	if o.CRIU != "" {
		args = append(args, "--criu", o.CRIU)
	}
	if o.SeccompCache != "" {
		args = append(args, "--seccomp-cache", o.SeccompCache)
	}
	if o.Stdin {
		args = append(args, "--stdin")
	}
	if o.StdinOnce {
		args = append(args, "--stdin-once")
	}
	return args
}

// ParseOptions parses and validates the flags that Args writes.
func ParseOptions(args []string) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("skiff-shim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.ID, "id", "", "container ID")
	fs.StringVar(&o.Bundle, "bundle", "", "OCI bundle directory")
	fs.StringVar(&o.StateRoot, "state-root", "", "libcontainer state root")
	fs.StringVar(&o.LogPath, "log", "", "CRI log file")
	fs.StringVar(&o.Socket, "socket", "", "shim socket")
	fs.StringVar(&o.ExitFile, "exit-file", "", "exit file")
	fs.StringVar(&o.ShimLog, "shim-log", "", "shim log file")
	fs.StringVar(&o.ShimCgroup, "shim-cgroup", "", "cgroup for the shim itself")
	fs.StringVar(&o.RestoreFrom, "restore-from", "", "CRIU images to restore the container from")
	fs.StringVar(&o.CRIU, "criu", "", "criu binary")
	fs.StringVar(&o.SeccompCache, "seccomp-cache", "", "directory of exported seccomp programs")
	fs.BoolVar(&o.Stdin, "stdin", false, "open stdin")
	fs.BoolVar(&o.StdinOnce, "stdin-once", false, "close stdin after the first attach")
	if err := fs.Parse(args); err != nil {
		return Options{}, Errorf(CodeInvalidArgument, "%v", err)
	}
	if fs.NArg() > 0 {
		return Options{}, Errorf(CodeInvalidArgument, "unexpected arguments %q", fs.Args())
	}
	if o.ShimLog == "" && o.Bundle != "" {
		o.ShimLog = filepath.Join(o.Bundle, "shim.log")
	}
	return o, o.Validate()
}

// Validate checks that o is complete and its paths absolute.
func (o Options) Validate() error {
	var errs []error
	if o.ID == "" {
		errs = append(errs, errors.New("no container ID"))
	}
	for _, p := range []struct{ name, path string }{
		{"bundle", o.Bundle}, {"state root", o.StateRoot}, {"socket", o.Socket},
		{"exit file", o.ExitFile},
	} {
		if !filepath.IsAbs(p.path) {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", p.name, p.path))
		}
	}
	for _, p := range []struct{ name, path string }{{"restore directory", o.RestoreFrom}, {"criu", o.CRIU}, {"seccomp cache", o.SeccompCache}} {
		if p.path != "" && !filepath.IsAbs(p.path) {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute path", p.name, p.path))
		}
	}
	if o.LogPath != "" && !filepath.IsAbs(o.LogPath) {
		errs = append(errs, fmt.Errorf("log path %q is not absolute", o.LogPath))
	}
	if len(o.Socket) > maxSocketPath {
		errs = append(errs, fmt.Errorf("socket path %q is longer than %d bytes", o.Socket, maxSocketPath))
	}
	if o.StdinOnce && !o.Stdin {
		errs = append(errs, errors.New("stdin-once without stdin"))
	}
	if err := errors.Join(errs...); err != nil {
		return Errorf(CodeInvalidArgument, "shim options: %v", err)
	}
	return nil
}

// SystemdUnit splits a cgroup path of libcontainer's systemd form
// "slice:prefix:name" (a scope prefix-name.scope in slice); ok is false
// for a cgroupfs path.
func SystemdUnit(cgroupPath string) (slice, prefix, name string, ok bool) {
	parts := strings.Split(cgroupPath, ":")
	if len(parts) != 3 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}
