package container

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/skiffrt/skiff/internal/errdefs"
	"github.com/skiffrt/skiff/internal/task"
)

func TestCheckExecAttach(t *testing.T) {
	e := newEnv(t)
	running := e.run(t, "running")
	created := e.create(t, "created")
	cfg := config("interactive")
	cfg.Stdin, cfg.Tty = true, true
	interactive, err := e.m.Create(ctxT(t), e.pod.ID, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.m.Start(ctxT(t), interactive); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check func() (string, error)
		want  string // the full ID
		class error
	}{
		{"exec by prefix", func() (string, error) { return e.m.CheckExec(running[:12], []string{"ls"}) }, running, nil},
		{"exec, empty command", func() (string, error) { return e.m.CheckExec(running, nil) }, "", errdefs.ErrInvalidArgument},
		{"exec, empty program", func() (string, error) { return e.m.CheckExec(running, []string{""}) }, "", errdefs.ErrInvalidArgument},
		{"exec in a created container", func() (string, error) { return e.m.CheckExec(created, []string{"ls"}) }, "", errdefs.ErrFailedPrecondition},
		{"exec in an unknown container", func() (string, error) { return e.m.CheckExec("feedface", []string{"ls"}) }, "", errdefs.ErrNotFound},
		{"attach", func() (string, error) { return e.m.CheckAttach(running, false, false) }, running, nil},
		{"attach with stdin and tty", func() (string, error) { return e.m.CheckAttach(interactive, true, true) }, interactive, nil},
		{"attach with stdin, none", func() (string, error) { return e.m.CheckAttach(running, true, false) }, "", errdefs.ErrFailedPrecondition},
		{"attach with tty, none", func() (string, error) { return e.m.CheckAttach(running, false, true) }, "", errdefs.ErrFailedPrecondition},
		{"attach to a created container", func() (string, error) { return e.m.CheckAttach(created, false, false) }, "", errdefs.ErrFailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tt.check()
			if id != tt.want || (tt.class == nil) != (err == nil) || tt.class != nil && !errors.Is(err, tt.class) {
				t.Errorf("got %q, %v; want %q, %v", id, err, tt.want, tt.class)
			}
		})
	}
}

// TestExecAttach: the calls go to the task once checked, by full ID.
func TestExecAttach(t *testing.T) {
	e := newEnv(t)
	id := e.run(t, "c")
	var out bytes.Buffer
	if code, err := e.m.Exec(ctxT(t), id[:10], []string{"echo", "hi"}, task.Streams{Stdout: &out}); err != nil || code != 0 || out.String() != "[echo hi]" {
		t.Errorf("Exec = %d, %v, output %q", code, err, out.String())
	}
	if err := e.m.Attach(ctxT(t), id[:10], task.Streams{Stdout: &out}); err != nil {
		t.Errorf("Attach: %v", err)
	}
	if _, err := e.m.Exec(ctxT(t), id, nil, task.Streams{Stdout: &out}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("Exec of nothing: %v", err)
	}
	calls := e.tasks.Calls()
	for _, want := range []string{"Exec " + id, "Attach " + id} {
		if !slices.Contains(calls, want) {
			t.Errorf("task calls %q lack %q", calls, want)
		}
	}
}
