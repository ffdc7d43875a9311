package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// The shim's messages, as skiffd sees them.
type (
	State       = api.State
	Exit        = api.Exit
	ExecRequest = api.ExecRequest
	ExecResult  = api.ExecResult
	User        = api.User
)

// client speaks the shim's protocol (package api), one method per
// protocol method. It holds no connection: each call dials, sends one
// request and reads one answer, so a client stays valid across shim and
// skiffd restarts and is safe for concurrent use.
type client struct {
	socket string
}

// dial returns a client of the shim listening on socket. It does not
// connect; calls do.
func dial(socket string) *client { return &client{socket: socket} }

// state returns the container's state.
func (c *client) state(ctx context.Context) (*State, error) {
	var st State
	return &st, c.call(ctx, api.MethodState, nil, &st)
}

// start runs the created container's process (libcontainer Exec) and
// returns the state, now running.
func (c *client) start(ctx context.Context) (*State, error) {
	var st State
	return &st, c.call(ctx, api.MethodStart, nil, &st)
}

// kill sends sig to the container's process or, with all, to every
// process in its cgroup. An exited container gives errdefs.ErrNotFound.
func (c *client) kill(ctx context.Context, sig syscall.Signal, all bool) error {
	return c.call(ctx, api.MethodKill, &api.KillRequest{Signal: int(sig), All: all}, nil)
}

// execSync runs a command in the container and returns its output and
// exit code. When req.Timeout expires the shim kills the command and
// returns what it had, with TimedOut set (no error). When ctx ends first,
// the shim kills the command too.
func (c *client) execSync(ctx context.Context, req ExecRequest) (*ExecResult, error) {
	var res ExecResult
	return &res, c.call(ctx, api.MethodExecSync, &req, &res)
}

// reopenLog closes and reopens the container's CRI log file at its path,
// after it was rotated.
func (c *client) reopenLog(ctx context.Context) error {
	return c.call(ctx, api.MethodReopenLog, nil, nil)
}

// update changes the container's cgroup limits; nil fields of r keep
// their value.
func (c *client) update(ctx context.Context, r *specs.LinuxResources) error {
	return c.call(ctx, api.MethodUpdate, &api.UpdateRequest{Resources: r}, nil)
}

// wait blocks until the container has exited and the shim has recorded
// the exit, and returns it. The shim exits right after; if it is gone
// already, wait fails with errdefs.ErrNotFound and the exit is in the
// exit file (readExit).
func (c *client) wait(ctx context.Context) (*Exit, error) {
	var e Exit
	return &e, c.call(ctx, api.MethodWait, nil, &e)
}

// shutdown removes a created, never started container: the shim kills
// it, destroys it, records the exit and exits. A running container gives
// errdefs.ErrFailedPrecondition (kill it first).
func (c *client) shutdown(ctx context.Context) (*Exit, error) {
	var e Exit
	return &e, c.call(ctx, api.MethodShutdown, nil, &e)
}

// call makes one request.
func (c *client) call(ctx context.Context, method string, in, out any) error {
	req := api.Request{Version: api.Version, Method: method}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("shim %s: %w: %v", method, errdefs.ErrInvalidArgument, err)
		}
		req.Body = b
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", c.socket)
	if err != nil {
		return c.dialError(ctx, method, err)
	}
	defer conn.Close()
	return c.roundTrip(ctx, conn, method, &req, out)
}

// roundTrip sends req on conn and reads the answer into out (unless
// nil). Ending the connection when ctx ends lets the shim cancel the
// request.
func (c *client) roundTrip(ctx context.Context, conn net.Conn, method string, req *api.Request, out any) error {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var resp api.Response
	err := api.WriteFrame(conn, req)
	if err == nil {
		err = api.ReadFrame(conn, &resp, api.MaxFrame)
	}
	if err != nil {
		return c.ioError(ctx, method, err)
	}
	if resp.Error != nil {
		return fmt.Errorf("shim %s: %w", method, fromWire(resp.Error))
	}
	if resp.Version != api.Version {
		return fmt.Errorf("shim %s: %w: shim answered with protocol version %d, want %d", method, errdefs.ErrInternal, resp.Version, api.Version)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return fmt.Errorf("shim %s: %w: bad answer: %v", method, errdefs.ErrInternal, err)
		}
	}
	return nil
}

// dialError classes a failed connect: no socket, or nobody listening on
// it, means the shim is gone (ErrNotFound).
func (c *client) dialError(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, method)
	}
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("shim %s: %w: no shim at %s: %v", method, errdefs.ErrNotFound, c.socket, err)
	}
	return fmt.Errorf("shim %s: %w: %v", method, errdefs.ErrUnavailable, err)
}

// ioError classes a failure after connecting: ctx, or the shim went away
// mid-request (ErrUnavailable).
func (c *client) ioError(ctx context.Context, method string, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, method)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("shim %s: %w: the shim closed the connection: %v", method, errdefs.ErrUnavailable, err)
	}
	return fmt.Errorf("shim %s: %w: %v", method, errdefs.ErrUnavailable, err)
}

func ctxError(ctx context.Context, method string) error {
	class := errdefs.ErrCanceled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		class = errdefs.ErrDeadlineExceeded
	}
	return fmt.Errorf("shim %s: %w: %w", method, class, ctx.Err())
}

// wireClasses maps the wire codes onto errdefs classes.
var wireClasses = map[string]error{
	api.CodeInvalidArgument:    errdefs.ErrInvalidArgument,
	api.CodeNotFound:           errdefs.ErrNotFound,
	api.CodeAlreadyExists:      errdefs.ErrAlreadyExists,
	api.CodeFailedPrecondition: errdefs.ErrFailedPrecondition,
	api.CodeNotImplemented:     errdefs.ErrNotImplemented,
	api.CodeUnavailable:        errdefs.ErrUnavailable,
	api.CodeInternal:           errdefs.ErrInternal,
}

// fromWire turns the shim's error into an error of its errdefs class; an
// error without a known code keeps no class (gRPC Unknown).
func fromWire(e *api.Error) error {
	if class, ok := wireClasses[e.Code]; ok {
		return fmt.Errorf("%w: %s", class, e.Message)
	}
	return errors.New(e.Message)
}
