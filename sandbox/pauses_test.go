package sandbox

import (
	"context"
	"errors"
	"os/exec"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/skiffrt/skiff/internal/proc"
)

// fakeDetached runs each "pause" as a sleep child of the test.
type fakeDetached struct {
	t       *testing.T
	deleted []string
	failDel error
}

func (f *fakeDetached) CreateDetached(context.Context, string, *specs.Spec) (proc.ID, error) {
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		return proc.ID{}, err
	}
	f.t.Cleanup(func() { cmd.Process.Kill() })
	start, _, err := proc.Stat(cmd.Process.Pid)
	return proc.ID{PID: cmd.Process.Pid, StartTime: start}, err
}

func (f *fakeDetached) DeleteDetached(_ context.Context, id, _ string) error {
	f.deleted = append(f.deleted, id)
	return f.failDel
}

func (f *fakeDetached) InitProcess(string) (proc.ID, error) {
	return proc.ID{PID: 7, StartTime: 8}, nil
}

func TestDetachedPauses(t *testing.T) {
	tasks := &fakeDetached{t: t}
	d := DetachedPauses{Tasks: tasks, Procs: &proc.Table{}}
	p, err := d.Start(ctxT(t), "pod", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Alive("pod", p) || d.Alive("pod", proc.ID{PID: p.PID, StartTime: p.StartTime + 1}) {
		t.Fatal("Alive does not tell the pause from another process with its pid")
	}
	tasks.failDel = errors.New("boom")
	if err := d.Stop(ctxT(t), "pod", p, "/cg"); err == nil {
		t.Fatal("Stop hid the helper's failure")
	}
	if d.Alive("pod", p) {
		t.Error("the pause survived Stop")
	}
	tasks.failDel = nil
	for range 2 { // idempotent
		if err := d.Stop(ctxT(t), "pod", p, "/cg"); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Stop(ctxT(t), "cut-short", proc.ID{}, "/cg"); err != nil {
		t.Fatalf("Stop of a pause never started: %v", err)
	}
	if len(tasks.deleted) != 4 || tasks.deleted[3] != "cut-short" {
		t.Errorf("helper deletes %v", tasks.deleted)
	}
	if p, err := d.Adopt("old"); err != nil || p.PID != 7 {
		t.Errorf("Adopt = %v, %v", p, err)
	}
}
