package monitor

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"

	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// gcPercent is the shim's GOGC once the container is created. Setup
// allocates ~1.5 MiB and, left at GOGC=100 (a 4 MiB minimum heap goal),
// never triggers a GC, so idle shims stay small; lowering GOGC before
// setup only adds a GC cycle's overhead (measured). But every ExecSync
// (exec probes) leaves garbage inside libcontainer, and at GOGC=100 the
// heap grows to the 4 MiB goal and stays resident: measured here, 6.4 MiB
// anonymous memory per shim after 400 execs, 4.4 MiB at 50, idle
// unchanged (2.1 MiB).
const gcPercent = 50

// Run is "skiff-shim run", the long-lived shim. It creates the container
// (its process paused before exec), reports the pids or the error on
// ready (the pipe from "skiff-shim start") and closes it, serves the
// socket until the container has exited and its exit is recorded, then
// returns. If the report cannot be delivered (the starter was killed:
// skiffd gave up), it kills the container and cleans up instead.
func Run(opts api.Options, ready *os.File) error {
	c, ln, err := setUp(opts)
	if err != nil {
		report(ready, &api.Ready{Error: api.AsError(err)})
		return err
	}
	srv := newServer(c, ln)
	go srv.serve()
	if err := report(ready, &api.Ready{ShimPid: os.Getpid(), Pid: c.pid}); err != nil {
		slog.Error("the starter is gone; removing the container", log.KeyError, err)
		c.kill(unix.SIGKILL, true)
	}
	debug.SetGCPercent(gcPercent)
	<-c.done
	srv.stop(handlerGrace)
	return nil
}

// setUp does everything before the report: the subreaper, the
// container, the socket and the container's process. The shim is in its
// own cgroup already: Launch moved itself there before starting it.
func setUp(opts api.Options) (*container, *net.UnixListener, error) {
	if err := os.Chdir(opts.Bundle); err != nil {
		return nil, nil, api.Errorf(api.CodeInvalidArgument, "bundle: %v", err)
	}
	r, err := newReaper()
	if err != nil {
		return nil, nil, err
	}
	c, err := newContainer(opts, r)
	if err != nil {
		return nil, nil, err
	}
	if opts.RestoreFrom != "" {
		if err := c.restoreFrom(opts.RestoreFrom, opts.CRIU, opts.StateRoot); err != nil {
			c.reaper.hold(c.destroy)
			return nil, nil, err
		}
	}
	ln, err := listen(opts.Socket)
	if err != nil {
		c.reaper.hold(c.destroy)
		return nil, nil, fmt.Errorf("listen on %s: %w", opts.Socket, err)
	}
	if err := c.startInit(opts); err != nil {
		ln.Close()
		c.reaper.hold(c.destroy)
		return nil, nil, err
	}
	return c, ln, nil
}

func report(ready *os.File, r *api.Ready) error {
	defer ready.Close()
	return json.NewEncoder(ready).Encode(r)
}
