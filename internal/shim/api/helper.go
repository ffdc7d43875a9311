package api

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
)

// The helper verbs: short-lived invocations of skiff-shim that do one
// libcontainer operation on one container and exit, printing one JSON
// Reply line on stdout (its own log goes to stderr). They keep no
// process behind but the container's: its init is the helper's child and
// is re-parented, when the helper exits, to the caller if it is a child
// subreaper (skiffd for a pause container; later a monitor for an
// application container), else to init.
//
//	skiff-shim create --id ID --bundle DIR --state-root DIR [--detached]
//	    [--stdin-fd N] [--stdout-fd N] [--stderr-fd N] [--console-socket-fd N]
//	skiff-shim kill   --id ID --state-root DIR [--signal N] [--all]
//	skiff-shim delete --id ID --state-root DIR [--force]
//
// create makes the container from DIR/config.json, its init paused
// before exec (as "runc create"): Reply.ExecFifo names the fifo whose
// opening and reading starts it (as "runc start" does; no libcontainer
// needed). With --detached it starts it too, and the Reply's status is
// running. The init's stdio is /dev/null unless the caller passes its own
// as inherited descriptors: --stdin-fd, --stdout-fd and --stderr-fd, or,
// for a terminal, --console-socket-fd, the socket the init sends the
// pty's master back on (libcontainer's console socket). kill signals the init (--all: every process
// of the container's cgroup). delete destroys a stopped container: its
// cgroups and state; --force kills a live one first. A container that
// does not exist is CodeNotFound. The exit status is 0 on success, 1 on
// failure and 2 on a bad command line; the Reply says why.
const (
	VerbCreate = "create"
	VerbKill   = "kill"
	VerbDelete = "delete"
)

// HelperOptions are the command line of a helper verb.
type HelperOptions struct {
	Verb      string
	ID        string // libcontainer ID of the container
	StateRoot string // libcontainer's state root; the container's state is StateRoot/ID
	Bundle    string // create: the OCI bundle
	Detached  bool   // create: start the container too
	Signal    int    // kill: the signal (default SIGTERM)
	All       bool   // kill: every process in the container's cgroup
	Force     bool   // delete: kill a live container first
	// SeccompCache (create) is Options.SeccompCache.
	SeccompCache string
	// StdinFd, StdoutFd, StderrFd and ConsoleSocketFd (create) are
	// descriptors the helper inherits (3 or above; 0 is none): the
	// init's stdio, or the console socket of a terminal, which excludes
	// the three others.
	StdinFd, StdoutFd, StderrFd, ConsoleSocketFd int
}

// Reply is what a helper verb prints, one JSON line: the container as it
// left it, or Error.
type Reply struct {
	ID     string `json:"id,omitempty"`
	Status Status `json:"status,omitempty"` // created or running (create), stopped (delete)
	// Pid and StartTime name the container's init: its pid and its start
	// time (field 22 of /proc/PID/stat, clock ticks after boot), which
	// tell it from a later process that reuses the pid.
	Pid       int    `json:"pid,omitempty"`
	StartTime uint64 `json:"start_time,omitempty"`
	// ExecFifo is the fifo that starts a created container (create
	// without --detached): open it for reading and read it to EOF.
	ExecFifo string `json:"exec_fifo,omitempty"`
	// CgroupPaths are the container's cgroups, by controller ("" for the
	// unified hierarchy).
	CgroupPaths map[string]string `json:"cgroup_paths,omitempty"`
	Error       *Error            `json:"error,omitempty"`
}

// defaultSignal is kill's signal when none is given: SIGTERM.
const defaultSignal = 15

// maxSignal is the highest signal number (SIGRTMAX on Linux).
const maxSignal = 64

// Args returns o as the command line (verb first) that
// ParseHelperOptions reads back.
func (o HelperOptions) Args() []string {
	args := []string{o.Verb, "--id", o.ID, "--state-root", o.StateRoot}
	switch o.Verb {
	case VerbCreate:
		args = append(args, "--bundle", o.Bundle)
		if o.SeccompCache != "" {
			args = append(args, "--seccomp-cache", o.SeccompCache)
		}
		if o.Detached {
			args = append(args, "--detached")
		}
		for _, f := range o.fdFlags() {
			if *f.fd != 0 {
				args = append(args, "--"+f.name, fmt.Sprint(*f.fd))
			}
		}
	case VerbKill:
		if o.Signal != 0 {
			args = append(args, "--signal", fmt.Sprint(o.Signal))
		}
		if o.All {
			args = append(args, "--all")
		}
	case VerbDelete:
		if o.Force {
			args = append(args, "--force")
		}
	}
	return args
}

// ParseHelperOptions parses and validates the flags of verb.
func ParseHelperOptions(verb string, args []string) (HelperOptions, error) {
	o := HelperOptions{Verb: verb}
	fs := flag.NewFlagSet("skiff-shim "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.ID, "id", "", "container ID")
	fs.StringVar(&o.StateRoot, "state-root", "", "libcontainer state root")
	switch verb {
	case VerbCreate:
		fs.StringVar(&o.Bundle, "bundle", "", "OCI bundle directory")
		fs.BoolVar(&o.Detached, "detached", false, "start the container too")
		fs.StringVar(&o.SeccompCache, "seccomp-cache", "", "directory of exported seccomp programs")
		for _, f := range o.fdFlags() {
			fs.IntVar(f.fd, f.name, 0, "inherited descriptor")
		}
	case VerbKill:
		fs.IntVar(&o.Signal, "signal", defaultSignal, "signal number")
		fs.BoolVar(&o.All, "all", false, "every process of the container")
	case VerbDelete:
		fs.BoolVar(&o.Force, "force", false, "kill a live container first")
	default:
		return o, Errorf(CodeInvalidArgument, "unknown verb %q", verb)
	}
	if err := fs.Parse(args); err != nil {
		return o, Errorf(CodeInvalidArgument, "%v", err)
	}
	if fs.NArg() > 0 {
		return o, Errorf(CodeInvalidArgument, "unexpected arguments %q", fs.Args())
	}
	return o, o.Validate()
}

// Validate checks that o is complete and its paths absolute.
func (o HelperOptions) Validate() error {
	var errs []error
	if o.ID == "" || o.ID != filepath.Base(o.ID) || o.ID == "." || o.ID == ".." {
		errs = append(errs, fmt.Errorf("bad container ID %q", o.ID))
	}
	if !filepath.IsAbs(o.StateRoot) {
		errs = append(errs, fmt.Errorf("state root %q is not an absolute path", o.StateRoot))
	}
	if o.Verb == VerbCreate && !filepath.IsAbs(o.Bundle) {
		errs = append(errs, fmt.Errorf("bundle %q is not an absolute path", o.Bundle))
	}
	if o.SeccompCache != "" && !filepath.IsAbs(o.SeccompCache) {
		errs = append(errs, fmt.Errorf("seccomp cache %q is not an absolute path", o.SeccompCache))
	}
	if o.Verb == VerbCreate {
		errs = append(errs, o.validateFds())
	}
	if o.Verb == VerbKill && (o.Signal <= 0 || o.Signal > maxSignal) {
		errs = append(errs, fmt.Errorf("bad signal %d", o.Signal))
	}
	if err := errors.Join(errs...); err != nil {
		return Errorf(CodeInvalidArgument, "%s: %v", o.Verb, err)
	}
	return nil
}

// fdFlag is one descriptor flag of create.
type fdFlag struct {
	name string
	fd   *int
}

// fdFlags returns create's descriptor flags, pointing into o.
func (o *HelperOptions) fdFlags() []fdFlag {
	return []fdFlag{
		{"stdin-fd", &o.StdinFd}, {"stdout-fd", &o.StdoutFd},
		{"stderr-fd", &o.StderrFd}, {"console-socket-fd", &o.ConsoleSocketFd},
	}
}

// validateFds checks create's descriptors: none below 3 (the helper's
// own stdio), none twice, and a console socket without stdio.
func (o HelperOptions) validateFds() error {
	seen := map[int]bool{}
	for _, f := range o.fdFlags() {
		switch fd := *f.fd; {
		case fd == 0:
		case fd < 3:
			return fmt.Errorf("--%s %d: not an inherited descriptor (3 or above)", f.name, fd)
		case seen[fd]:
			return fmt.Errorf("--%s %d: descriptor given twice", f.name, fd)
		default:
			seen[fd] = true
		}
	}
	if o.ConsoleSocketFd != 0 && len(seen) > 1 {
		return errors.New("a console socket excludes --stdin-fd, --stdout-fd and --stderr-fd")
	}
	return nil
}
