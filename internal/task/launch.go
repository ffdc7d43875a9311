package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// started is a shim that has created its container.
type started struct {
	ShimPid int // the long-lived shim
	Pid     int // the container's process, paused before exec until start
}

// rollbackTimeout bounds the Shutdown that undoes a start abandoned by
// ctx.
const rollbackTimeout = 10 * time.Second

// launch starts the shim of one container: it runs "binary start" with
// opts and waits until the shim has created the container (its process
// paused before exec) or failed. The shim runs on in its own session,
// not as a child of the caller. The binary must not live under
// opts.StateRoot: libcontainer's read-only sealing of /proc/self/exe
// then fails and it copies the binary on every start and exec.
//
// If ctx ends first, launch kills the starter, which makes a shim that
// has not reported yet remove its container, and shuts down a shim that
// has.
func launch(ctx context.Context, binary string, opts api.Options) (*started, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("start shim: %w", fromWire(api.AsError(err)))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, append([]string{"start"}, opts.Args()...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		rollback(ctx, opts.Socket)
		return nil, fmt.Errorf("start shim %s: %w", opts.ID, ctxError(ctx, "start"))
	}
	line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n"))
	var rd api.Ready
	if err := json.Unmarshal(line, &rd); err != nil {
		return nil, fmt.Errorf("start shim %s: %w: %v; stderr: %s", opts.ID, errdefs.ErrInternal, runErr, strings.TrimSpace(stderr.String()))
	}
	if rd.Error != nil {
		return nil, fmt.Errorf("start shim %s: %w", opts.ID, fromWire(rd.Error))
	}
	if runErr != nil || rd.ShimPid == 0 {
		return nil, fmt.Errorf("start shim %s: %w: %v; stderr: %s", opts.ID, errdefs.ErrInternal, runErr, strings.TrimSpace(stderr.String()))
	}
	return &started{ShimPid: rd.ShimPid, Pid: rd.Pid}, nil
}

// rollback shuts down a shim whose start was abandoned, if it got as
// far as listening.
func rollback(ctx context.Context, socket string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	// Best effort: Delete, at removal, catches what is left.
	_, _ = dial(socket).shutdown(ctx)
}

// readExit reads a shim's exit file. A missing file is an
// errdefs.ErrNotFound error.
func readExit(path string) (*Exit, error) {
	e, err := api.ReadExit(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no exit file: %v", errdefs.ErrNotFound, err)
	}
	return e, err
}
