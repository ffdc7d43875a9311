package proc

import (
	"context"
	"fmt"
	"sync"
	"syscall"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// Table watches processes by key (skiffd: a pod's pause by the pod's
// ID). It opens a Handle the first time it is asked about a process, so
// that it works the same for the processes this skiffd started and for
// those an earlier one did. It is safe for concurrent use.
type Table struct {
	mu      sync.Mutex // guards handles
	handles map[string]*Handle
}

// handle returns the Handle on id's process under key, opening it if
// needed: errdefs.ErrNotFound when the process is gone.
func (t *Table) handle(key string, id ID) (*Handle, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.handles[key]; ok && h.id == id {
		return h, nil
	} else if ok {
		h.Close() // another process under key: forget the old one
		delete(t.handles, key)
	}
	h, err := Open(id)
	if err != nil {
		return nil, err
	}
	if t.handles == nil {
		t.handles = map[string]*Handle{}
	}
	t.handles[key] = h
	return h, nil
}

// Watch starts watching id's process under key: its exit is then seen
// (and, for a child, reaped) as it happens. A process that is gone
// already (reaped) is errdefs.ErrNotFound.
func (t *Table) Watch(key string, id ID) error {
	_, err := t.handle(key, id)
	return err
}

// Alive reports whether id's process is still running.
func (t *Table) Alive(key string, id ID) bool {
	h, err := t.handle(key, id)
	return err == nil && !h.Exited()
}

// Kill sends SIGKILL to id's process and waits until it has exited. A
// process that has exited already is fine.
func (t *Table) Kill(ctx context.Context, key string, id ID) error {
	h, err := t.handle(key, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-h.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("process %v: waiting for its exit: %w", id, ctx.Err())
	}
}

// Forget stops watching the process under key.
func (t *Table) Forget(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.handles[key]; ok {
		h.Close()
		delete(t.handles, key)
	}
}
