package tasktest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// Checkpoint "dumps" a running task: it writes the file inventory.img in
// imagesDir and dump.log in workDir, as CRIU would, and leaves the task
// running.
func (r *Runner) Checkpoint(_ context.Context, id, imagesDir, workDir string) error {
	if err := r.begin("Checkpoint", id); err != nil {
		return err
	}
	r.mu.Lock()
	t := r.tasks[id]
	r.mu.Unlock()
	switch {
	case t == nil:
		return gone(id)
	case t.Status != api.StatusRunning:
		return fmt.Errorf("%w: task %s is %s", errdefs.ErrFailedPrecondition, id, t.Status)
	}
	for _, f := range []string{filepath.Join(imagesDir, "inventory.img"), filepath.Join(workDir, "dump.log")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(f, []byte("dumped "+id), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Spec returns the spec a task was created with.
func (r *Runner) Spec(id string) (*specs.Spec, error) {
	if err := r.begin("Spec", id); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil && t.Spec != nil {
		return t.Spec, nil
	}
	return nil, gone(id)
}

// Pause marks a running task paused (Paused lists them).
func (r *Runner) Pause(_ context.Context, id string) error {
	if err := r.begin("Pause", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tasks[id]
	switch {
	case t == nil:
		return gone(id)
	case t.Status != api.StatusRunning:
		return fmt.Errorf("%w: task %s is %s", errdefs.ErrFailedPrecondition, id, t.Status)
	}
	t.Paused = true
	return nil
}

// Resume unmarks a paused task; one not paused is fine.
func (r *Runner) Resume(_ context.Context, id string) error {
	if err := r.begin("Resume", id); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t := r.tasks[id]; t != nil {
		t.Paused = false
	}
	return nil
}
