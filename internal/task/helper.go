package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/log"
	"github.com/skiffrt/skiff/internal/proc"
	"github.com/skiffrt/skiff/internal/shim/api"
)

// CreateDetached writes the bundle of task id with spec, then creates and
// starts its container with the shim's helper ("skiff-shim create
// --detached"), which exits at once: the task has no monitor. It returns
// the container's init, which is re-parented to this process (a child
// subreaper, BecomeSubreaper) and must be reaped by it (proc.Handle
// does). Its stdio is /dev/null and nothing records its exit: this is
// for pause containers, whose exit is seen from their pid and start
// time. A failed or abandoned create may leave a container behind, which
// DeleteDetached removes.
func (r *Runner) CreateDetached(ctx context.Context, id string, spec *specs.Spec) (proc.ID, error) {
	endSpan := log.Span(ctx, "bundle.write")
	if err := r.writeBundle(id, spec); err != nil {
		return proc.ID{}, err
	}
	endSpan()
	defer log.Span(ctx, "helper.create")()
	rep, err := r.helper(ctx, api.HelperOptions{Verb: api.VerbCreate, ID: id, StateRoot: r.StateRoot, Bundle: r.dir(id), Detached: true, SeccompCache: r.SeccompCache})
	if err != nil {
		return proc.ID{}, err
	}
	if rep.Pid <= 0 || rep.StartTime == 0 {
		return proc.ID{}, fmt.Errorf("create task %s: %w: the helper named no process (%+v)", id, errdefs.ErrInternal, rep)
	}
	return proc.ID{PID: rep.Pid, StartTime: rep.StartTime}, nil
}

// DeleteDetached removes task id, created by CreateDetached, in any
// state: the helper ("skiff-shim delete --force") kills a live container
// and destroys it, when libcontainer has a state for it; then Delete
// removes whatever a create cut short left, and the task's directory.
// Deleting a deleted task is fine.
func (r *Runner) DeleteDetached(ctx context.Context, id, cgroupPath string) error {
	if _, err := os.Stat(filepath.Join(r.StateRoot, id)); err == nil {
		endSpan := log.Span(ctx, "helper.delete")
		_, err := r.helper(ctx, api.HelperOptions{Verb: api.VerbDelete, ID: id, StateRoot: r.StateRoot, Force: true})
		endSpan()
		if err != nil && !errdefs.IsNotFound(err) {
			return err
		}
	}
	return r.Delete(ctx, id, cgroupPath)
}

// InitProcess returns the init of task id's container as libcontainer
// recorded it in its state: pid and start time. No state is
// errdefs.ErrNotFound.
func (r *Runner) InitProcess(id string) (proc.ID, error) {
	b, err := os.ReadFile(filepath.Join(r.StateRoot, id, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return proc.ID{}, fmt.Errorf("task %s: %w: no container state", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return proc.ID{}, fmt.Errorf("task %s: %w", id, err)
	}
	var st struct {
		Pid   int    `json:"init_process_pid"`
		Start uint64 `json:"init_process_start"`
	}
	if err := json.Unmarshal(b, &st); err != nil || st.Pid <= 0 {
		return proc.ID{}, fmt.Errorf("task %s: %w: container state names no process (%v)", id, errdefs.ErrNotFound, err)
	}
	return proc.ID{PID: st.Pid, StartTime: st.Start}, nil
}

// writeBundle writes task id's OCI bundle: its directory and config.json.
func (r *Runner) writeBundle(id string, spec *specs.Spec) error {
	dir := r.dir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("task %s: %w", id, err)
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("task %s: encode spec: %w", id, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), raw, 0o600); err != nil {
		return fmt.Errorf("task %s: %w", id, err)
	}
	return nil
}

// helper runs a helper verb of the shim binary and returns its reply; a
// reply with an error becomes an error of its class. If ctx ends, the
// helper is killed.
func (r *Runner) helper(ctx context.Context, o api.HelperOptions) (*api.Reply, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("shim %s: %w", o.Verb, fromWire(api.AsError(err)))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, r.ShimBinary, o.Args()...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("shim %s %s: %w", o.Verb, o.ID, ctxError(ctx, o.Verb))
	}
	line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n"))
	var rep api.Reply
	if err := json.Unmarshal(line, &rep); err != nil {
		return nil, fmt.Errorf("shim %s %s: %w: %v; stderr: %s", o.Verb, o.ID, errdefs.ErrInternal, errors.Join(runErr, err), strings.TrimSpace(stderr.String()))
	}
	if rep.Error != nil {
		return nil, fmt.Errorf("shim %s %s: %w", o.Verb, o.ID, fromWire(rep.Error))
	}
	if runErr != nil {
		return nil, fmt.Errorf("shim %s %s: %w: %v; stderr: %s", o.Verb, o.ID, errdefs.ErrInternal, runErr, strings.TrimSpace(stderr.String()))
	}
	return &rep, nil
}
