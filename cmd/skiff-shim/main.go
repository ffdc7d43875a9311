// Command skiff-shim is the per-container monitor: started by skiffd once
// per container, it has the container created (by its own helper verb
// create, a short-lived child), starts it and outlives skiffd. See internal/shim/monitor for the design.
//
//	skiff-shim start --id ID --bundle DIR --state-root DIR --log PATH \
//	    --socket PATH --exit-file PATH [--shim-log PATH] [--shim-cgroup PATH] [--stdin]
//
// starts the long-lived "skiff-shim run" with the same flags in its own
// session, waits until it has created the container, prints one JSON line
// ({"shim_pid":…,"pid":…} or {"error":{…}}) and exits.
//
// "skiff-shim create|kill|delete <flags>" are the helper verbs: one
// libcontainer operation each, one JSON line (api.Reply) on stdout, then
// exit (see api.HelperOptions).
//
// "skiff-shim seccomp-export" (hidden) loads a seccomp config read from
// stdin through libcontainer and traps, for the create helper to read the
// program back (see monitor.SeccompExport).
//
// This binary is also libcontainer's init: libcontainer re-executes it as
// "skiff-shim init" inside the new container's namespaces.
package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime"

	_ "github.com/opencontainers/cgroups/devices" // device cgroup support for libcontainer
	"github.com/opencontainers/runc/libcontainer"
	_ "github.com/opencontainers/runc/libcontainer/nsenter" // the C constructor that joins namespaces before Go starts

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/shim/monitor"
	"github.com/skiffrt/skiff/internal/version"
)

func init() {
	// The export loads its filter on the calling thread only, which its
	// parent traces: the main thread.
	if len(os.Args) > 1 && os.Args[1] == monitor.SeccompExportVerb {
		runtime.LockOSThread()
	}
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "init":
			libcontainer.Init() // Does not return.
		case "--version":
			fmt.Printf("skiff-shim %s\n", version.Version)
			return
		case "start":
			os.Exit(start(os.Args[2:]))
		case "run":
			os.Exit(run(os.Args[2:]))
		case monitor.SeccompExportVerb:
			err := monitor.SeccompExport(os.Stdin)
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		case api.VerbCreate, api.VerbKill, api.VerbDelete:
			os.Exit(helper(os.Args[1], os.Args[2:]))
		}
	}
	fmt.Fprintln(os.Stderr, "skiff-shim: started by skiffd, once per container; not meant to be run by hand")
	os.Exit(2)
}

// start is "skiff-shim start": see the package comment.
func start(args []string) int {
	opts, err := api.ParseOptions(args)
	if err != nil {
		json.NewEncoder(os.Stdout).Encode(&api.Ready{Error: api.AsError(err)})
		return 2
	}
	if err := monitor.Launch(opts, os.Stdout); err != nil {
		return 1
	}
	return 0
}

// run is "skiff-shim run", the long-lived shim, started by "start" with
// the report pipe on fd 3 and its log on stderr.
func run(args []string) int {
	monitor.SetProcessName()
	// One P is plenty for a process that mostly waits; it keeps the
	// runtime's per-P caches small. Launch sets GOMAXPROCS=1 in the
	// environment, which takes effect before any setup; this only
	// guards against another starter.
	runtime.GOMAXPROCS(1)
	ready := os.NewFile(3, "ready")
	opts, err := api.ParseOptions(args)
	if err != nil {
		json.NewEncoder(ready).Encode(&api.Ready{Error: api.AsError(err)})
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)).With(log.KeyContainerID, opts.ID))
	if err := monitor.Run(opts, ready); err != nil {
		slog.Error("shim failed", log.KeyError, err)
		return 1
	}
	return 0
}

// helper runs a helper verb and prints its reply: exit status 0 on
// success, 1 on failure, 2 on a bad command line.
func helper(verb string, args []string) int {
	opts, err := api.ParseHelperOptions(verb, args)
	if err != nil {
		json.NewEncoder(os.Stdout).Encode(&api.Reply{ID: opts.ID, Error: api.AsError(err)})
		return 2
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)).With(log.KeyContainerID, opts.ID))
	rep, err := monitor.Helper(opts)
	if err != nil {
		rep = &api.Reply{ID: opts.ID, Error: api.AsError(err)}
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil || rep.Error != nil {
		return 1
	}
	return 0
}
