package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// checkpoint dumps the running container with CRIU and leaves it
// running.
func (c *client) checkpoint(ctx context.Context, req *api.CheckpointRequest) error {
	return c.call(ctx, api.MethodCheckpoint, req, nil)
}

// Checkpoint dumps running task id with CRIU, leaving it running: its
// images go to imagesDir, CRIU's log (dump.log) and statistics
// (stats-dump) to workDir. A task that is not running is
// errdefs.ErrFailedPrecondition; a failure of CRIU errdefs.ErrInternal,
// quoting CRIU's log.
func (r *Runner) Checkpoint(ctx context.Context, id, imagesDir, workDir string) error {
	defer log.Span(ctx, "shim.checkpoint")()
	req := &api.CheckpointRequest{ImagesDir: imagesDir, WorkDir: workDir, CRIU: r.CRIU}
	if err := r.client(id).checkpoint(ctx, req); err != nil {
		return fmt.Errorf("checkpoint task %s: %w", id, err)
	}
	return nil
}

// Pause freezes the processes of running task id until Resume; a
// Checkpoint meanwhile leaves them frozen.
func (r *Runner) Pause(ctx context.Context, id string) error {
	if err := r.client(id).call(ctx, api.MethodPause, nil, nil); err != nil {
		return fmt.Errorf("pause task %s: %w", id, err)
	}
	return nil
}

// Resume thaws task id; one that is not paused is fine.
func (r *Runner) Resume(ctx context.Context, id string) error {
	if err := r.client(id).call(ctx, api.MethodResume, nil, nil); err != nil {
		return fmt.Errorf("resume task %s: %w", id, err)
	}
	return nil
}

// Spec returns the OCI spec task id runs with, from its bundle.
func (r *Runner) Spec(id string) (*specs.Spec, error) {
	raw, err := os.ReadFile(filepath.Join(r.dir(id), "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("task %s: %w: no bundle", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", id, err)
	}
	var s specs.Spec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("task %s: spec: %w", id, err)
	}
	return &s, nil
}
