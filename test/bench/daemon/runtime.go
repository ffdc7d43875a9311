package daemon

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/test/bench/procfs"
)

// Runtime is one CRI runtime under test: a daemon the benchmark starts,
// stops and restarts, serving CRI on its own socket. It is used by one
// goroutine.
type Runtime struct {
	name    string
	bin     string
	args    []string
	env     []string
	sock    string
	logPath string
	// shimExe is the shim's executable; a shim process runs it with
	// shimMark somewhere in its command line (its daemon's paths).
	shimExe, shimMark string

	c *child // nil when stopped
}

// Name is how tables and plots call the runtime.
func (r *Runtime) Name() string { return r.name }

// Socket is the path of its CRI socket.
func (r *Runtime) Socket() string { return r.sock }

// Log is the path of the daemon's log.
func (r *Runtime) Log() string { return r.logPath }

// PID is the daemon's pid, 0 when it is not running.
func (r *Runtime) PID() int {
	if r.c == nil || r.c.exited() {
		return 0
	}
	return r.c.pid()
}

// Tracks reports whether pid is the daemon process.
func (r *Runtime) Tracks(pid int) bool { return r.c != nil && r.c.pid() == pid }

// Launch starts the daemon without waiting for it to answer.
func (r *Runtime) Launch() error {
	if r.PID() != 0 {
		return fmt.Errorf("%s already runs as pid %d", r.name, r.PID())
	}
	c, err := launch(r.bin, r.args, r.env, r.logPath)
	if err != nil {
		return err
	}
	r.c = c
	return nil
}

// Start launches the daemon and waits until it answers Version, and
// returns what it answered.
func (r *Runtime) Start(ctx context.Context, timeout time.Duration) (*runtime.VersionResponse, error) {
	if err := r.Launch(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		v, err := r.version(ctx)
		if err == nil {
			return v, nil
		}
		if r.c.exited() {
			return nil, fmt.Errorf("%s exited during start-up (%v); log %s", r.name, r.c.err, r.logPath)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s not answering on %s: %v; log %s", r.name, r.sock, err, r.logPath)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *Runtime) version(ctx context.Context) (*runtime.VersionResponse, error) {
	conn, err := Dial(r.sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return runtime.NewRuntimeServiceClient(conn).Version(ctx, &runtime.VersionRequest{})
}

// Stop stops the daemon with SIGTERM (SIGKILL after grace). Its shims
// and containers go on running, as both runtimes promise.
func (r *Runtime) Stop(grace time.Duration) error {
	if r.c == nil {
		return nil
	}
	err := r.c.stop(grace)
	r.c = nil
	if err != nil {
		return fmt.Errorf("stop %s: %w", r.name, err)
	}
	return nil
}

// Dial connects to a CRI socket. Calls fail until the daemon listens.
func Dial(sock string) (*grpc.ClientConn, error) {
	return grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
}

// Procs are the processes that make up the runtime's cost.
type Procs struct {
	Daemon int
	Shims  []int
	Pauses []int
}

// Processes finds the daemon, its shims (alive across daemon restarts,
// found by executable and command line) and the pause processes: the
// children of the shims or of the daemon (skiffd's pause has no shim)
// whose program is named pause.
func (r *Runtime) Processes() (Procs, error) {
	all, err := procfs.All()
	if err != nil {
		return Procs{}, err
	}
	p := Procs{Daemon: r.PID()}
	var shims []procfs.Proc
	for _, pr := range all {
		if slices.ContainsFunc(pr.Args, func(a string) bool { return strings.Contains(a, r.shimMark) }) && procfs.SameExe(pr.PID, r.shimExe) {
			shims = append(shims, pr)
		}
	}
	p.Shims = procfs.PIDs(shims)
	for _, c := range procfs.Children(all, append([]int{p.Daemon}, p.Shims...)) {
		if len(c.Args) > 0 && strings.Contains(filepath.Base(c.Args[0]), "pause") {
			p.Pauses = append(p.Pauses, c.PID)
		}
	}
	return p, nil
}
