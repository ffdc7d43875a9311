package container

import (
	"testing"

	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/skiffrt/skiff/internal/shim/api"
	"github.com/skiffrt/skiff/internal/store"
)

func TestGetListPickUpExits(t *testing.T) {
	e := newEnv(t)
	a, b := e.run(t, "a"), e.run(t, "b")
	// Exits that happened while nobody watched (the shim recorded them
	// while skiffd was down) are read at Get and List.
	for _, id := range []string{a, b} {
		if _, err := e.st.Containers.Update(id, func(c store.Container) (store.Container, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	e.tasks.ExitTask(a, 0)
	e.waitState(t, a, store.ContainerExited)
	list := e.m.List(func(c store.Container) bool { return c.State == store.ContainerRunning })
	if len(list) != 1 || list[0].ID != b {
		t.Errorf("running: %v, want [%s]", ids(list), b)
	}
	if c, _ := e.m.Get(a); c.Reason != api.ReasonCompleted {
		t.Errorf("reason %q", c.Reason)
	}
}

func TestRecover(t *testing.T) {
	e := newEnv(t)
	// What a daemon finds after a restart: records, and shims that ran
	// on, exited meanwhile or vanished.
	running := func(name string, task api.Status) string {
		c := store.Container{
			ID: store.NewID(), Name: name, SandboxID: e.pod.ID, State: store.ContainerRunning,
			Config: store.Proto[*runtime.ContainerConfig]{Msg: config(name)},
		}
		if task == api.StatusCreated {
			c.State = store.ContainerCreated
		}
		if err := e.st.Containers.Add(c); err != nil {
			t.Fatal(err)
		}
		if task != "" {
			e.tasks.Add(c.ID, task)
		}
		return c.ID
	}
	live, created := running("live", api.StatusRunning), running("created", api.StatusCreated)
	exited, vanished := running("exited", api.StatusStopped), running("vanished", "")
	e.m.Recover(ctxT(t))
	want := map[string]store.ContainerState{
		live: store.ContainerRunning, created: store.ContainerCreated,
		exited: store.ContainerExited, vanished: store.ContainerExited,
	}
	for id, st := range want {
		if got := e.state(t, id); got != st {
			t.Errorf("%s: %s, want %s", id, got, st)
		}
	}
	if c, _ := e.st.Containers.Get(vanished); c.Reason != "Unknown" || c.ExitCode != 255 {
		t.Errorf("vanished: %+v", c)
	}
	// The live one is watched again.
	e.tasks.ExitTask(live, 1)
	e.waitState(t, live, store.ContainerExited)
}

func TestImageUser(t *testing.T) {
	e := newEnv(t)
	if _, used := e.m.ImageUser(busyboxID); used {
		t.Error("an image no container uses is in use")
	}
	id := e.create(t, "c")
	if got, used := e.m.ImageUser(busyboxID); !used || got != id {
		t.Errorf("ImageUser = %s, %v; want %s", got, used, id)
	}
}
